/**
 * GradBench's nested-AD evals, `particle` and `saddle` (bench/gradbench/nested.ts and the
 * annotated sources it calls). Each of the four variants nests two of tsgrad's generated
 * modes (outer then inner: rr, rf, fr, ff). Checked here:
 *
 * - the nested derivatives against central differences of the objective (which itself
 *   contains the inner derivative), and against an independent nested computation on the
 *   tape runtime: a reverse sweep of the inner potential run inside an outer trace, then
 *   the outer trace's reverse sweep (reverse over reverse, written here from the eval's
 *   definition, sharing no code with the sources);
 * - saddle's outer gradient against its closed form: the inner ascent's q does not depend
 *   on p, so ∇ₚ max_q f(p, q) = 2p;
 * - the tool's final answers against the values the evals expect (particle: w ≈
 *   0.2071918746486116, where the particle reaches the origin; saddle: 8.246324826140356e-6
 *   in all four outputs), to a tighter tolerance than the eval's 1e-4.
 */
import { describe, expect, it } from "vitest";
import { respond } from "../bench/gradbench/tool.ts";
import { particleGradient, saddleOuterGradient, VARIANTS } from "../bench/gradbench/nested.ts";
import { naiveEulerF, naiveEulerR } from "../bench/gradbench/particle.ts";
import { innerMaxF, innerMaxR } from "../bench/gradbench/saddle.ts";
import { leaf } from "../runtime/tape/box.ts";
import { backward, newTrace, primal, t, type Value } from "../runtime/tape/index.ts";
import { centralDifferences, maxRelError } from "./harness/numeric.ts";

/** The potential of the eval's two charges, traced: 1/‖x − (10, 10 − w)‖ + 1/‖x − (10, 0)‖. */
function tapePotential(w: Value, x: Value, y: Value): Value {
  const inverseDistance = (cx: Value, cy: Value) => {
    const dx = t.sub(x, cx);
    const dy = t.sub(y, cy);
    return t.div(1, t.sqrt(t.add(t.mul(dx, dx), t.mul(dy, dy))));
  };
  return t.add(inverseDistance(10, t.sub(10, w)), inverseDistance(10, 0));
}

/** ∇ₓ of the potential by a reverse sweep on a trace of its own (nested inside any outer one). */
function tapeForceGradient(w: Value, x: Value, y: Value): [Value, Value] {
  const trace = newTrace();
  const bx = leaf(x, trace);
  const by = leaf(y, trace);
  const grads = backward(trace, [[tapePotential(w, bx, by), 1]], t.add);
  return [grads.get(bx) ?? 0, grads.get(by) ?? 0];
}

/** The eval's naive Euler trajectory, traced, and dE/dw by the outer trace's reverse sweep. */
function tapeParticle(w0: number): { value: number; gradient: number } {
  const trace = newTrace();
  const w = leaf(w0, trace);
  let x: Value = 0;
  let y: Value = 8;
  let vx: Value = 0.75;
  let vy: Value = 0;
  for (;;) {
    const [gx, gy] = tapeForceGradient(w, x, y);
    const nx = t.add(x, t.mul(0.1, vx));
    const ny = t.add(y, t.mul(0.1, vy));
    if (primal(ny) <= 0) break;
    x = nx;
    y = ny;
    vx = t.sub(vx, t.mul(0.1, gx));
    vy = t.sub(vy, t.mul(0.1, gy));
  }
  const xf = t.add(x, t.mul(t.div(t.neg(y), vy), vx));
  const e = t.mul(xf, xf);
  const grads = backward(trace, [[e, 1]], t.add);
  return { value: primal(e), gradient: primal(grads.get(w) ?? 0) };
}

const objectives = { r: naiveEulerR, f: naiveEulerF } as const;

describe("GradBench particle (nested: Euler loop over a generated inner gradient)", () => {
  // Points where the Euler step count is the same within the difference stencil.
  const points = [-0.3, 0, 0.13, 0.2071918746486116, 0.45];

  it("the four nestings agree with central differences of the objective and with the tape", () => {
    for (const w of points) {
      const tape = tapeParticle(w);
      expect(Math.abs(naiveEulerR(w) - tape.value)).toBeLessThan(1e-12 * Math.max(1, tape.value));
      for (const variant of VARIANTS) {
        const g = particleGradient(variant, w);
        const objective = objectives[variant[1] as "r" | "f"];
        const fd = centralDifferences((v) => objective(v as number), [w], [0])[0]!;
        expect(maxRelError([g], fd)).toBeLessThan(1e-6);
        expect(maxRelError([g], [tape.gradient])).toBeLessThan(1e-10);
      }
    }
  });

  it("the tool's answer is the eval's w, where the particle hits the origin", () => {
    for (const variant of VARIANTS) {
      const r = respond({ id: 1, kind: "evaluate", module: "particle", function: variant, input: { w: 0, min_runs: 1, min_seconds: 0 } });
      expect(r).toMatchObject({ id: 1, success: true });
      const w = r.output as number;
      expect(Math.abs(w - 0.2071918746486116)).toBeLessThan(1e-9);
      expect(naiveEulerR(w)).toBeLessThan(1e-7);
    }
  });
});

/** The eval's inner ascent on the tape: q ← q − η·∇_q(−f) by a nested reverse sweep, then f(p, q*). */
function tapeInnerMax(p0: Value, p1: Value, s: [number, number]): Value {
  const f = (q0: Value, q1: Value) => t.sub(t.add(t.mul(p0, p0), t.mul(p1, p1)), t.add(t.mul(q0, q0), t.mul(q1, q1)));
  const gradNeg = (q0: Value, q1: Value): [Value, Value] => {
    const trace = newTrace();
    const b0 = leaf(q0, trace);
    const b1 = leaf(q1, trace);
    const grads = backward(trace, [[t.neg(f(b0, b1)), 1]], t.add);
    return [grads.get(b0) ?? 0, grads.get(b1) ?? 0];
  };
  let q: [Value, Value] = [s[0], s[1]];
  let fq = t.neg(f(q[0], q[1]));
  let g = gradNeg(q[0], q[1]);
  let eta = 1e-5;
  let i = 0;
  for (;;) {
    if (Math.hypot(primal(g[0]), primal(g[1])) <= 1e-5) break;
    if (i === 10) {
      eta *= 2;
      i = 0;
      continue;
    }
    const next: [Value, Value] = [t.sub(q[0], t.mul(eta, g[0])), t.sub(q[1], t.mul(eta, g[1]))];
    if (Math.hypot(primal(q[0]) - primal(next[0]), primal(q[1]) - primal(next[1])) <= 1e-5) break;
    const fnext = t.neg(f(next[0], next[1]));
    if (primal(fnext) < primal(fq)) {
      q = next;
      fq = fnext;
      g = gradNeg(q[0], q[1]);
      i++;
    } else {
      eta /= 2;
      i = 0;
    }
  }
  return f(q[0], q[1]);
}

function tapeSaddleGradient(p: [number, number], s: [number, number]): { value: number; gradient: number[] } {
  const trace = newTrace();
  const b0 = leaf(p[0], trace);
  const b1 = leaf(p[1], trace);
  const m = tapeInnerMax(b0, b1, s);
  const grads = backward(trace, [[m, 1]], t.add);
  return { value: primal(m), gradient: [primal(grads.get(b0) ?? 0), primal(grads.get(b1) ?? 0)] };
}

describe("GradBench saddle (nested: gradient ascent over a generated inner gradient)", () => {
  const cases: { p: [number, number]; s: [number, number] }[] = [
    { p: [1, 1], s: [1, 1] },
    { p: [0.3, -0.7], s: [1, 1] },
    { p: [-1.5, 0.25], s: [0.5, -2] },
  ];

  it("the four nestings agree with central differences, the tape and the closed form 2p", () => {
    for (const { p, s } of cases) {
      const tape = tapeSaddleGradient(p, s);
      expect(Math.abs(innerMaxR(p[0], p[1], s[0], s[1]) - tape.value)).toBeLessThan(1e-12);
      for (const variant of VARIANTS) {
        const g = saddleOuterGradient(variant, p, s);
        const m = variant[1] === "r" ? innerMaxR : innerMaxF;
        const fd = centralDifferences((a, b) => m(a as number, b as number, s[0], s[1]), [p[0], p[1]], [0, 1]).map((row) => row[0]!);
        expect(maxRelError(g, fd)).toBeLessThan(1e-6);
        expect(maxRelError(g, tape.gradient)).toBeLessThan(1e-12);
        expect(maxRelError(g, [2 * p[0], 2 * p[1]])).toBeLessThan(1e-12);
      }
    }
  });

  it("the tool's answer is the eval's saddle point estimate", () => {
    for (const variant of VARIANTS) {
      const r = respond({ id: 1, kind: "evaluate", module: "saddle", function: variant, input: { start: [1, 1], min_runs: 1, min_seconds: 0 } });
      expect(r).toMatchObject({ id: 1, success: true });
      const out = r.output as number[];
      expect(out).toHaveLength(4);
      expect(maxRelError(out, [8.246324826140356e-6, 8.246324826140356e-6, 8.246324826140356e-6, 8.246324826140356e-6], 1e-12)).toBeLessThan(1e-6);
    }
  });
});
