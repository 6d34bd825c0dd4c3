/**
 * GradBench `saddle`: min over p of max over q of f(p, q) (`saddleObjective.ts`), both by
 * gradient descent from the same start s (`nested.ts` runs the outer descents). The outer
 * cost is m(p) = f(p, q*(p)) with q*(p) the result of a gradient ascent over q started at
 * s; its gradient differentiates through that whole ascent loop, including the inner
 * gradients the loop takes (nested AD).
 *
 * Two versions of m differ only in how the inner ∇_q f is computed, both with
 * tsgrad-generated code from `saddleObjective.grad.ts`:
 *
 * - `innerMaxR`: reverse mode, `saddleCostGradInto`;
 * - `innerMaxF`: forward mode, `saddleCostJvp` along (1, 0) and along (0, 1).
 *
 * Each is tagged `@grad p0 p1` (outer reverse) and `@jvp p0 p1` (outer forward), so the
 * variants rr, rf, fr, ff use `innerMaxRGrad`, `innerMaxFGrad`, `innerMaxRJvp`,
 * `innerMaxFJvp`.
 *
 * The ascent is the eval's solver (GradBench's `multivariate_argmin` on −f): step
 * q − η·g while it lowers −f, doubling η after ten accepted steps and halving it after a
 * rejected one, until ‖g‖ ≤ 1e-5 or a step moves q by at most 1e-5.
 */
import { saddleCost } from "./saddleObjective.ts";
import { saddleCostGradInto, saddleCostJvp } from "./saddleObjective.grad.ts";

/**
 * max over q of f(p, q) with the inner gradient in reverse mode.
 *
 * @grad p0 p1
 * @jvp p0 p1
 */
export function innerMaxR(p0: number, p1: number, s0: number, s1: number): number {
  let q0 = s0;
  let q1 = s1;
  let fq = -saddleCost(p0, p1, q0, q1);
  const first = { q0: 0, q1: 0 };
  saddleCostGradInto(p0, p1, q0, q1, first);
  let g0 = -first.q0;
  let g1 = -first.q1;
  let eta = 1e-5;
  let i = 0;
  while (true) {
    if (Math.sqrt(g0 * g0 + g1 * g1) <= 1e-5) break;
    if (i === 10) {
      eta = 2 * eta;
      i = 0;
      continue;
    }
    const n0 = q0 - eta * g0;
    const n1 = q1 - eta * g1;
    if (Math.sqrt((q0 - n0) * (q0 - n0) + (q1 - n1) * (q1 - n1)) <= 1e-5) break;
    const fn = -saddleCost(p0, p1, n0, n1);
    if (fn < fq) {
      q0 = n0;
      q1 = n1;
      fq = fn;
      const g = { q0: 0, q1: 0 };
      saddleCostGradInto(p0, p1, q0, q1, g);
      g0 = -g.q0;
      g1 = -g.q1;
      i++;
    } else {
      eta = eta / 2;
      i = 0;
    }
  }
  return saddleCost(p0, p1, q0, q1);
}

/**
 * max over q of f(p, q) with the inner gradient in forward mode (one JVP per axis).
 *
 * @grad p0 p1
 * @jvp p0 p1
 */
export function innerMaxF(p0: number, p1: number, s0: number, s1: number): number {
  let q0 = s0;
  let q1 = s1;
  let fq = -saddleCost(p0, p1, q0, q1);
  let g0 = -saddleCostJvp(p0, p1, q0, q1, { q0: 1, q1: 0 }).tangent;
  let g1 = -saddleCostJvp(p0, p1, q0, q1, { q0: 0, q1: 1 }).tangent;
  let eta = 1e-5;
  let i = 0;
  while (true) {
    if (Math.sqrt(g0 * g0 + g1 * g1) <= 1e-5) break;
    if (i === 10) {
      eta = 2 * eta;
      i = 0;
      continue;
    }
    const n0 = q0 - eta * g0;
    const n1 = q1 - eta * g1;
    if (Math.sqrt((q0 - n0) * (q0 - n0) + (q1 - n1) * (q1 - n1)) <= 1e-5) break;
    const fn = -saddleCost(p0, p1, n0, n1);
    if (fn < fq) {
      q0 = n0;
      q1 = n1;
      fq = fn;
      g0 = -saddleCostJvp(p0, p1, q0, q1, { q0: 1, q1: 0 }).tangent;
      g1 = -saddleCostJvp(p0, p1, q0, q1, { q0: 0, q1: 1 }).tangent;
      i++;
    } else {
      eta = eta / 2;
      i = 0;
    }
  }
  return saddleCost(p0, p1, q0, q1);
}
