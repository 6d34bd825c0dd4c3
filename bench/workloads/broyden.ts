/**
 * Broyden's tridiagonal function F: Rⁿ → Rⁿ (Moré, Garbow and Hillstrom's test set),
 *
 *   F_i(x) = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1,   x_0 = x_{n+1} = 0,
 *
 * with a dense Jacobian (n ≤ m, so fJacobian takes forward-mode columns) to measure
 * Jacobian time / (n × primal time) for the vector sweeps (bench/vector.ts).
 *
 * @jvp x
 * @jacobian x
 */
export function broyden(x: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const left = i > 0 ? x[i - 1] : 0;
    const right = i + 1 < n ? x[i + 1] : 0;
    out[i] = (3 - 2 * x[i]) * x[i] - left - 2 * right + 1;
  }
  return out;
}
