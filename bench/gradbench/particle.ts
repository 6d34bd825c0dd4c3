/**
 * GradBench `particle`: a unit charge starts at (0, 8) with velocity (0.75, 0) and moves
 * under the force −∇ₓp(x; w) of two fixed charges (`particleField.ts`), integrated with
 * naive Euler steps (Δt = 0.1) until its next step would cross the x-axis; the crossing
 * point is found by linear interpolation, and the objective is its squared x-coordinate.
 * The eval minimises it over w by gradient descent (`nested.ts`), so its gradient is a
 * derivative of a function that itself takes a derivative (nested AD).
 *
 * Two versions of the objective differ only in how the inner ∇ₓp is computed, both with
 * tsgrad-generated code from `particleField.grad.ts`:
 *
 * - `naiveEulerR`: reverse mode, `potentialGradInto` (one sweep gives both components);
 * - `naiveEulerF`: forward mode, `potentialJvp` along (1, 0) and along (0, 1).
 *
 * Each is tagged `@grad w` (outer reverse mode) and `@jvp w` (outer forward mode): tsgrad
 * inlines the generated inner derivative into the loop and differentiates it again, so
 * the four combinations rr, rf, fr, ff are `naiveEulerRGrad`, `naiveEulerFGrad`,
 * `naiveEulerRJvp`, `naiveEulerFJvp`.
 */
import { potentialGradInto, potentialJvp } from "./particleField.grad.ts";

const DT = 0.1;

/**
 * The objective with the inner gradient in reverse mode.
 *
 * @grad w
 * @jvp w
 */
export function naiveEulerR(w: number): number {
  let x = 0;
  let y = 8;
  let vx = 0.75;
  let vy = 0;
  while (true) {
    const force = { x: 0, y: 0 };
    potentialGradInto(w, x, y, force);
    const nx = x + DT * vx;
    const ny = y + DT * vy;
    if (ny <= 0) break;
    x = nx;
    y = ny;
    vx = vx - DT * force.x;
    vy = vy - DT * force.y;
  }
  const dtf = -y / vy;
  const xf = x + dtf * vx;
  return xf * xf;
}

/**
 * The objective with the inner gradient in forward mode (one JVP per coordinate).
 *
 * @grad w
 * @jvp w
 */
export function naiveEulerF(w: number): number {
  let x = 0;
  let y = 8;
  let vx = 0.75;
  let vy = 0;
  while (true) {
    const fx = potentialJvp(w, x, y, { x: 1, y: 0 }).tangent;
    const fy = potentialJvp(w, x, y, { x: 0, y: 1 }).tangent;
    const nx = x + DT * vx;
    const ny = y + DT * vy;
    if (ny <= 0) break;
    x = nx;
    y = ny;
    vx = vx - DT * fx;
    vy = vy - DT * fy;
  }
  const dtf = -y / vy;
  const xf = x + dtf * vx;
  return xf * xf;
}
