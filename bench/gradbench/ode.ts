/**
 * GradBench `ode` (from cmpad's an_ode): y'_0 = x_0, y'_i = x_i y_{i-1}, y(0) = 0, solved on
 * [0, 2] by s steps of classical Runge–Kutta. `primal` is y(2); `gradient` is the gradient
 * of its last element with respect to x.
 */
export function odeSolve(x: readonly number[], s: number): number[] {
  const n = x.length;
  const h = 2 / s;
  const y = new Array(n).fill(0);
  const k1 = new Array(n).fill(0);
  const k2 = new Array(n).fill(0);
  const k3 = new Array(n).fill(0);
  const k4 = new Array(n).fill(0);
  const tmp = new Array(n).fill(0);
  for (let step = 0; step < s; step++) {
    rhs(x, y, k1);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + (h * k1[i]) / 2;
    rhs(x, tmp, k2);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + (h * k2[i]) / 2;
    rhs(x, tmp, k3);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + h * k3[i];
    rhs(x, tmp, k4);
    for (let i = 0; i < n; i++) y[i] += (h * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i])) / 6;
  }
  return y;
}

/** z = f(y): z_0 = x_0, z_i = x_i y_{i-1}. */
function rhs(x: readonly number[], y: readonly number[], z: number[]): void {
  z[0] = x[0];
  for (let i = 1; i < x.length; i++) z[i] = x[i] * y[i - 1];
}

/**
 * The last element of y(2), the quantity GradBench differentiates.
 *
 * @grad x
 */
export function odeLast(x: readonly number[], s: number): number {
  const y = odeSolve(x, s);
  return y[x.length - 1];
}
