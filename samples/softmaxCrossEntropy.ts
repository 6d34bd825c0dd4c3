/**
 * Cross-entropy of a softmax, the classification loss, computed stably.
 *
 *   f(z) = -log softmax(z)[c] = log Σ_j exp(z_j) - z_c,   z ∈ R^n, c a class index
 *
 * Subtracting m = max_j z_j first keeps every exp ≤ 1 (no overflow):
 *
 *   f(z) = log Σ_j exp(z_j - m) - (z_c - m)
 *
 * The shift cancels, so its derivative does not matter (whichever branch max took):
 *
 *   ∇_z f = softmax(z) - e_c,   softmax(z)_j = exp(z_j - m) / Σ_k exp(z_k - m)
 *
 * The label is an integer used as an index: it is passed through, not differentiated.
 */

/**
 * Hessian: diag(p) - p pᵀ with p = softmax(z), independent of the label.
 *
 * @grad z
 * @hvp z
 * @hessian z
 */
export function softmaxCrossEntropy(z: readonly number[], label: number): number {
  let m = z[0];
  for (let j = 1; j < z.length; j++) {
    if (z[j] > m) m = z[j];
  }
  let sum = 0;
  for (let j = 0; j < z.length; j++) {
    sum += Math.exp(z[j] - m);
  }
  return Math.log(sum) - (z[label] - m);
}

export function softmaxCrossEntropyInputs(): Parameters<typeof softmaxCrossEntropy> {
  // Large logits: the naive formula would overflow exp(z_j).
  return [[801.2, 799.5, 800.4, 802.0, 798.7, 800.9], 2];
}
