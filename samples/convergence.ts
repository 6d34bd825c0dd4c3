/**
 * Square root by the Babylonian (Newton) iteration, run until it has converged:
 *
 *   y_0 = max(a, 1),   y_{k+1} = (y_k + a / y_k) / 2,   stop when |y_k^2 - a| ≤ 1e-14 a
 *
 * The value is √a to rounding. Differentiating the iteration (what AD does: it
 * differentiates the iterations actually run, with the trip count held fixed) gives
 *
 *   y'_{k+1} = 1 / (2 y_k) + (1 - a / y_k^2) y'_k / 2
 *
 * which converges to the derivative of the limit, d√a/da = 1 / (2 √a), also
 * quadratically: with y_k = √a (1 + ε), y'_{k+1} = (1 + O(ε^2)) / (2 √a). So the closed
 * form holds only approximately, to the truncation error of the last step taken
 * (here well below 1e-12 relative), not exactly: the stopping test is a comparison
 * (zero derivative), and a different tolerance would give a slightly different
 * derivative. The trip count is piecewise constant in a.
 */

/** @grad a */
export function babylonianSqrt(a: number): number {
  let y = a > 1 ? a : 1;
  while (Math.abs(y * y - a) > 1e-14 * a) {
    y = 0.5 * (y + a / y);
  }
  return y;
}

export function babylonianSqrtInputs(): Parameters<typeof babylonianSqrt> {
  return [7.3];
}
