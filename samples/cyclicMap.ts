/**
 * A cyclic map R^n → R^n with indices taken mod n:
 *
 *   f_i(x) = x_i exp(x_{i+1}) - sin(x_{i-1})
 *
 * Its Jacobian has three non-zeros per row:
 *   ∂f_i/∂x_i     = exp(x_{i+1})
 *   ∂f_i/∂x_{i+1} = x_i exp(x_{i+1})
 *   ∂f_i/∂x_{i-1} = -cos(x_{i-1})
 *
 * @jvp x
 * @vjp x
 * @jacobian x
 */
export function cyclicMap(x: readonly number[]): number[] {
  const n = x.length;
  const f = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    const next = x[(i + 1) % n];
    const prev = x[(i + n - 1) % n];
    f[i] = x[i] * Math.exp(next) - Math.sin(prev);
  }
  return f;
}

export function cyclicMapInputs(): Parameters<typeof cyclicMap> {
  return [[0.5, -0.3, 1.1, 0.2, -0.9, 0.7]];
}
