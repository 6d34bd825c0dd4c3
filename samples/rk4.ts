/**
 * Sensitivities of an ODE solution: explicit fourth-order Runge–Kutta on the Lotka–Volterra
 * predator–prey model over many steps, differentiated through every step.
 *
 *   prey' = a·prey - b·prey·pred,   pred' = c·prey·pred - d·pred
 *
 * The loss is the squared distance of the final state from a target. The reverse sweep
 * runs the steps backwards; stage values overwritten by the next step are saved on the
 * stack (about a dozen numbers per step), the rest is recomputed.
 *
 * @grad state0, rates
 */
export function rk4(state0: readonly number[], rates: readonly number[], h: number, steps: number): number {
  const y = [state0[0], state0[1]];
  const k1 = new Array(2).fill(0);
  const k2 = new Array(2).fill(0);
  const k3 = new Array(2).fill(0);
  const k4 = new Array(2).fill(0);
  const stage = new Array(2).fill(0);
  for (let s = 0; s < steps; s++) {
    lotkaVolterra(y, rates, k1);
    for (let i = 0; i < 2; i++) stage[i] = y[i] + 0.5 * h * k1[i];
    lotkaVolterra(stage, rates, k2);
    for (let i = 0; i < 2; i++) stage[i] = y[i] + 0.5 * h * k2[i];
    lotkaVolterra(stage, rates, k3);
    for (let i = 0; i < 2; i++) stage[i] = y[i] + h * k3[i];
    lotkaVolterra(stage, rates, k4);
    for (let i = 0; i < 2; i++) y[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  const dx = y[0] - 1;
  const dy = y[1] - 0.5;
  return dx * dx + dy * dy;
}

/** Writes the Lotka–Volterra right-hand side at `state` into `out`. */
function lotkaVolterra(state: readonly number[], rates: readonly number[], out: number[]): void {
  out[0] = rates[0] * state[0] - rates[1] * state[0] * state[1];
  out[1] = rates[2] * state[0] * state[1] - rates[3] * state[1];
}

export function rk4Inputs(): Parameters<typeof rk4> {
  return [[1.2, 0.8], [1.1, 0.4, 0.4, 0.9], 0.01, 400];
}
