/**
 * Negative Gaussian bump (second example of the lecture notes).
 *
 *   f(x) = -exp(-x^T x),   x ∈ R^n
 *
 * df = -exp(-x^T x) · d(-x^T x) = exp(-x^T x) · <2x, dx>, so
 *
 *   ∇f = 2 exp(-x^T x) x
 *
 * (and ∇²f = 2 exp(-x^T x) (I - 2 x x^T); the notes' "I - 2 x^T" is a slip).
 */

/**
 * Hessian: 2 exp(-xᵀx)(I - 2 x xᵀ) (the notes write "I - 2xᵀ"; the outer product is meant).
 *
 * @grad x
 * @hvp x
 * @hessian x
 */
export function gaussian(x: readonly number[]): number {
  let sq = 0;
  for (const xi of x) {
    sq += xi * xi;
  }
  return -Math.exp(-sq);
}

export function gaussianInputs(): Parameters<typeof gaussian> {
  // |x|^2 ≈ 0.9, so exp(-|x|^2) is of order one.
  return [[0.1, -0.35, 0.5, 0.25, -0.45, 0.3]];
}
