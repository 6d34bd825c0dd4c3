/**
 * A running energy with `continue`, `break` and the conditional operator.
 *
 *   walk the entries in order; skip (continue) entries with x_i < 0; add
 *   w_i x_i^2 to the running sum s, where w_i = (i even ? 1 : 2); stop (break) as soon
 *   as s exceeds `limit`. Return s.
 *
 * So f(x) = Σ_{i ∈ V} w_i x_i^2, where V holds the non-negative entries up to and
 * including the one at which the sum first passes the limit (all of them if it never
 * does). Closed form:
 *
 *   ∂f/∂x_i = 2 w_i x_i  for i ∈ V,   0 otherwise.
 *
 * V is piecewise constant in x; the example inputs sit well inside one piece.
 */

/** @grad x */
export function earlyStop(x: readonly number[], limit: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < 0) continue;
    const w = i % 2 === 0 ? 1 : 2;
    s += w * x[i] * x[i];
    if (s > limit) break;
  }
  return s;
}

export function earlyStopInputs(): Parameters<typeof earlyStop> {
  // Running sum: 0.49, skip, 0.49 + 2·0.81 = 2.11, skip, 2.11 + 1.44 = 3.55 > 3 → break.
  return [[0.7, -0.4, 0.9, -1.1, 1.2, 0.5, 0.8], 3];
}
