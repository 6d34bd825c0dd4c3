/**
 * The outer optimisations of GradBench's nested-AD evals `particle` and `saddle`, and
 * their four variants. Not differentiated itself (no annotations): it calls the code tsgrad
 * generated from `particle.ts`, `saddle.ts` and `saddleObjective.ts`.
 *
 * A variant's name gives the mode of the outer derivative, then the inner one:
 *
 * | variant | particle: dE/dw | saddle: ∇ₚ max_q f(p, q) | saddle step 2: ∇_q f |
 * | --- | --- | --- | --- |
 * | rr | `naiveEulerRGrad` (reverse over reverse) | `innerMaxRGrad` (reverse over reverse) | `saddleCostGrad` |
 * | rf | `naiveEulerFGrad` (reverse over forward) | `innerMaxFGrad` (reverse over forward) | `saddleCostGrad` |
 * | fr | `naiveEulerRJvp` (forward over reverse) | `innerMaxRJvp` ×2 (forward over reverse) | `saddleCostJvp` ×2 |
 * | ff | `naiveEulerFJvp` (forward over forward) | `innerMaxFJvp` ×2 (forward over forward) | `saddleCostJvp` ×2 |
 *
 * The step-2 argmax uses the outer mode, as the eval asks.
 */
import { naiveEulerF, naiveEulerR } from "./particle.ts";
import { naiveEulerFGrad, naiveEulerFJvp, naiveEulerRGrad, naiveEulerRJvp } from "./particle.grad.ts";
import { innerMaxF, innerMaxR } from "./saddle.ts";
import { innerMaxFGrad, innerMaxFJvp, innerMaxRGrad, innerMaxRJvp } from "./saddle.grad.ts";
import { saddleCost } from "./saddleObjective.ts";
import { saddleCostGrad, saddleCostJvp } from "./saddleObjective.grad.ts";

export type Variant = "rr" | "rf" | "fr" | "ff";
export const VARIANTS: readonly Variant[] = ["rr", "rf", "fr", "ff"];

type Vec = number[];

const norm = (v: Vec) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/**
 * GradBench's gradient-descent solver (`multivariate_argmin`): from x with step η = 1e-5,
 * take x − η·∇f while that lowers f; after ten accepted steps double η, after a rejected
 * one halve it; stop when ‖∇f‖ ≤ 1e-5 or a step would move x by at most 1e-5.
 */
export function argmin(f: (x: Vec) => number, grad: (x: Vec) => Vec, x0: Vec): Vec {
  let x = x0.slice();
  let fx = f(x);
  let gx = grad(x);
  let eta = 1e-5;
  let i = 0;
  for (;;) {
    if (norm(gx) <= 1e-5) return x;
    if (i === 10) {
      eta *= 2;
      i = 0;
      continue;
    }
    const next = x.map((xi, k) => xi - eta * gx[k]!);
    if (norm(x.map((xi, k) => xi - next[k]!)) <= 1e-5) return x;
    const fnext = f(next);
    if (fnext < fx) {
      x = next;
      fx = fnext;
      gx = grad(x);
      i++;
    } else {
      eta /= 2;
      i = 0;
    }
  }
}

export function argmax(f: (x: Vec) => number, grad: (x: Vec) => Vec, x0: Vec): Vec {
  return argmin((x) => -f(x), (x) => grad(x).map((g) => -g), x0);
}

/** dE/dw of the particle objective, by the variant's nesting of tsgrad's modes. */
export function particleGradient(variant: Variant, w: number): number {
  switch (variant) {
    case "rr": return naiveEulerRGrad(w).grad.w;
    case "rf": return naiveEulerFGrad(w).grad.w;
    case "fr": return naiveEulerRJvp(w, { w: 1 }).tangent;
    case "ff": return naiveEulerFJvp(w, { w: 1 }).tangent;
  }
}

/** The eval's answer: the w that gradient descent reaches from w0. */
export function particle(variant: Variant, w0: number): number {
  const objective = variant[1] === "r" ? naiveEulerR : naiveEulerF;
  return argmin(([w]) => objective(w!), ([w]) => [particleGradient(variant, w!)], [w0])[0]!;
}

/** ∇ₚ of m(p) = max_q f(p, q) (ascent from s), by the variant's nesting of tsgrad's modes. */
export function saddleOuterGradient(variant: Variant, p: Vec, s: Vec): Vec {
  const [p0, p1, s0, s1] = [p[0]!, p[1]!, s[0]!, s[1]!];
  switch (variant) {
    case "rr": {
      const g = innerMaxRGrad(p0, p1, s0, s1).grad;
      return [g.p0, g.p1];
    }
    case "rf": {
      const g = innerMaxFGrad(p0, p1, s0, s1).grad;
      return [g.p0, g.p1];
    }
    case "fr": return [innerMaxRJvp(p0, p1, s0, s1, { p0: 1, p1: 0 }).tangent, innerMaxRJvp(p0, p1, s0, s1, { p0: 0, p1: 1 }).tangent];
    case "ff": return [innerMaxFJvp(p0, p1, s0, s1, { p0: 1, p1: 0 }).tangent, innerMaxFJvp(p0, p1, s0, s1, { p0: 0, p1: 1 }).tangent];
  }
}

/** ∇_q f(p, q) in the variant's outer mode (the eval's step 2). */
export function saddleInnerGradient(variant: Variant, p: Vec, q: Vec): Vec {
  const [p0, p1, q0, q1] = [p[0]!, p[1]!, q[0]!, q[1]!];
  if (variant[0] === "r") {
    const g = saddleCostGrad(p0, p1, q0, q1).grad;
    return [g.q0, g.q1];
  }
  return [saddleCostJvp(p0, p1, q0, q1, { q0: 1, q1: 0 }).tangent, saddleCostJvp(p0, p1, q0, q1, { q0: 0, q1: 1 }).tangent];
}

/** The eval's answer: p = argmin_p max_q f(p, q), then q = argmax_q f(p, q), both from `start`; [p, q]. */
export function saddle(variant: Variant, start: Vec): Vec {
  const inner = variant[1] === "r" ? innerMaxR : innerMaxF;
  const p = argmin(
    (p) => inner(p[0]!, p[1]!, start[0]!, start[1]!),
    (p) => saddleOuterGradient(variant, p, start),
    start,
  );
  const q = argmax(
    (q) => saddleCost(p[0]!, p[1]!, q[0]!, q[1]!),
    (q) => saddleInnerGradient(variant, p, q),
    start,
  );
  return [...p, ...q];
}
