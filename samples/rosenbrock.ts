/**
 * Extended Rosenbrock function ("banana"), the classic optimisation test problem.
 *
 *   f(x) = Σ_{i=0}^{n-2} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2,   x ∈ R^n
 *
 * Each term touches x_i and x_{i+1}; with u_i = x_{i+1} - x_i^2:
 *
 *   ∂f/∂x_k = -400 x_k u_k - 2 (1 - x_k)   [if k ≤ n-2]
 *             + 200 u_{k-1}                [if k ≥ 1]
 *
 * Minimum f = 0 at x = (1, …, 1).
 */

/**
 * Hessian: tridiagonal (declared with bandwidth=1, so 3 HVPs build it).
 *
 * @grad x
 * @hvp x
 * @hessian x bandwidth=1
 */
export function rosenbrock(x: Float64Array): number {
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const u = x[i + 1] - x[i] * x[i];
    const v = 1 - x[i];
    f += 100 * u * u + v * v;
  }
  return f;
}

export function rosenbrockInputs(): Parameters<typeof rosenbrock> {
  return [Float64Array.from([-1.2, 1.0, 0.8, -0.5, 1.3, 0.6, 0.9, 1.1])];
}
