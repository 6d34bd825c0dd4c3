/**
 * A large-state time-stepping workload: the 1-D heat equation with a cubic reaction term
 * (Allen–Cahn type), explicit Euler on n grid points with fixed ends, many steps.
 *
 *   u_t = kappa · u_xx − u³
 *
 * The loss is the squared distance of the final profile from a target. Differentiated
 * with respect to the initial profile and the diffusivity. Each step overwrites the whole
 * profile, so the reverse sweep needs every step's profile back: store-all saves about
 * 2n numbers per step (16 bytes · n · steps), which for n = 10^4 over 10^4 steps is
 * 1.6 GB; this is the loop checkpointing is for (issue 21, bench/checkpoint/).
 *
 * @grad u0, kappa
 */
export function heat(u0: Float64Array, target: Float64Array, kappa: number, dt: number, steps: number): number {
  const n = u0.length;
  const u = Float64Array.from(u0);
  const next = new Float64Array(n);
  const dx2 = 1 / ((n - 1) * (n - 1));
  for (let s = 0; s < steps; s++) {
    for (let i = 1; i + 1 < n; i++) {
      const curvature = (u[i - 1] - 2 * u[i] + u[i + 1]) / dx2;
      next[i] = u[i] + dt * (kappa * curvature - u[i] * u[i] * u[i]);
    }
    for (let i = 1; i + 1 < n; i++) u[i] = next[i];
  }
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const d = u[i] - target[i];
    loss += d * d;
  }
  return loss;
}

/**
 * A stable setup with n points and the given steps: dt = 0.4 · dx² / kappa keeps explicit
 * Euler stable; the initial profile is a smooth bump plus a ripple, the target a flatter bump.
 */
export function heatSetup(n: number, steps: number): Parameters<typeof heat> {
  const kappa = 0.05;
  const dt = (0.4 / kappa) / ((n - 1) * (n - 1));
  const u0 = new Float64Array(n);
  const target = new Float64Array(n);
  for (let i = 1; i + 1 < n; i++) {
    const x = i / (n - 1);
    u0[i] = Math.sin(Math.PI * x) + 0.1 * Math.sin(7 * Math.PI * x);
    target[i] = 0.8 * Math.sin(Math.PI * x);
  }
  return [u0, target, kappa, dt, steps];
}

export function heatInputs(): Parameters<typeof heat> {
  return heatSetup(12, 30);
}
