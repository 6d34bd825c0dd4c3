/**
 * Right-hand side of Robertson's stiff chemical kinetics ODE, y' = f(y; k):
 *
 *   f_1 = -k1 y1 + k3 y2 y3
 *   f_2 =  k1 y1 - k3 y2 y3 - k2 y2²
 *   f_3 =  k2 y2²
 *
 * with the classic rates k = (0.04, 3e7, 1e4). An implicit integrator needs ∂f/∂y:
 *
 *   [ -k1   k3 y3              k3 y2 ]
 *   [  k1  -k3 y3 - 2 k2 y2   -k3 y2 ]
 *   [  0    2 k2 y2             0    ]
 *
 * and parameter estimation needs ∂f/∂k as well.
 *
 * @jvp y, k
 * @vjp y, k
 * @jacobian y
 */
export function robertson(y: readonly number[], k: readonly number[]): number[] {
  const r1 = k[0] * y[0];
  const r2 = k[1] * y[1] * y[1];
  const r3 = k[2] * y[1] * y[2];
  return [-r1 + r3, r1 - r3 - r2, r2];
}

export function robertsonInputs(): Parameters<typeof robertson> {
  return [
    [0.9, 2.5e-5, 0.1],
    [0.04, 3e7, 1e4],
  ];
}
