/**
 * Polynomial evaluation by Horner's rule, differentiated in both the coefficients
 * and the point.
 *
 *   p(x) = Σ_{k=0}^{n-1} c_k x^k = c_0 + x (c_1 + x (c_2 + … + x c_{n-1}))
 *
 * Closed forms:
 *
 *   ∂p/∂c_k = x^k,     ∂p/∂x = p'(x) = Σ_{k=1}^{n-1} k c_k x^{k-1}
 *
 * The loop overwrites its accumulator every iteration, so reverse mode has to restore
 * (or recompute) each earlier value of `p` on the way back.
 */

/** @grad coeffs, x */
export function horner(coeffs: readonly number[], x: number): number {
  let p = 0;
  for (let k = coeffs.length - 1; k >= 0; k--) {
    p = p * x + coeffs[k];
  }
  return p;
}

export function hornerInputs(): Parameters<typeof horner> {
  return [[1.5, -2.0, 0.75, 3.0, -1.25, 0.5, 0.2], 0.85];
}
