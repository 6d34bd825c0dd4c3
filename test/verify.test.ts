/**
 * compiler/verify's checks on hand-written "generated" functions: right ones pass in every
 * mode, and each kind of slip (a wrong entry, a transposed Jacobian, an HVP off by a
 * factor, a non-symmetric Hessian, a JVP that disagrees with the VJP) is caught and
 * located; finite differences pick their step and flag what they cannot resolve.
 */
import { describe, expect, it } from "vitest";
import { checkAt, type CheckSubject } from "../compiler/verify/checks.ts";
import { centralDerivative } from "../compiler/verify/differences.ts";
import { pointsFor } from "../compiler/verify/points.ts";
import { seededRandom } from "../compiler/verify/values.ts";

type Fn = (...args: unknown[]) => unknown;

// f(x, y) = x0² y + sin(x1) y², wrt x (an array) and y (a number).
const f = (x: number[], y: number) => x[0]! * x[0]! * y + Math.sin(x[1]!) * y * y;
const grad = (x: number[], y: number) => ({ value: f(x, y), grad: { x: [2 * x[0]! * y, Math.cos(x[1]!) * y * y], y: x[0]! * x[0]! + 2 * Math.sin(x[1]!) * y } });
const hessian = (x: number[], y: number) => [
  [2 * y, 0, 2 * x[0]!],
  [0, -Math.sin(x[1]!) * y * y, 2 * Math.cos(x[1]!) * y],
  [2 * x[0]!, 2 * Math.cos(x[1]!) * y, 2 * Math.sin(x[1]!)],
];
const hvp = (x: number[], y: number, v: { x: number[]; y: number }) => {
  const H = hessian(x, y);
  const flat = [v.x[0]!, v.x[1]!, v.y];
  const hv = H.map((row) => row.reduce((s, h, j) => s + h * flat[j]!, 0));
  return { value: f(x, y), grad: grad(x, y).grad, hvp: { x: [hv[0], hv[1]], y: hv[2] } };
};

// g(p) = [p0 p1, exp(p0) - p1], a map R² → R².
const g = (p: number[]) => [p[0]! * p[1]!, Math.exp(p[0]!) - p[1]!];
const J = (p: number[]) => [
  [p[1]!, p[0]!],
  [Math.exp(p[0]!), -1],
];
const jvp = (p: number[], t: { p: number[] }) => ({ value: g(p), tangent: J(p).map((row) => row[0]! * t.p[0]! + row[1]! * t.p[1]!) });
const vjp = (p: number[], w: number[]) => ({ value: g(p), grad: { p: [0, 1].map((j) => J(p)[0]![j]! * w[0]! + J(p)[1]![j]! * w[1]!) } });

function run(subject: Partial<CheckSubject> & Pick<CheckSubject, "f">, args: unknown[], params: string[], wrt: string[]) {
  const results = checkAt({ name: "f", params, wrt, ...subject } as CheckSubject, args, { tolerance: 1e-6, random: seededRandom(3) });
  return Object.fromEntries(results.map((r) => [r.mode, r]));
}

describe("checks", () => {
  const at = [[0.7, -0.4], 1.3];

  it("pass right derivatives, to finite differences' accuracy", () => {
    const r = run({ f: f as Fn, grad: grad as Fn, hvp: hvp as Fn, hessian: ((x: number[], y: number) => ({ value: f(x, y), grad: grad(x, y).grad, hessian: hessian(x, y) })) as Fn }, at, ["x", "y"], ["x", "y"]);
    for (const mode of ["grad", "hvp", "hessian"]) {
      expect(r[mode]!.ok, mode).toBe(true);
      expect(r[mode]!.worst, mode).toBeLessThan(1e-9);
    }
    const m = run({ f: g as Fn, jvp: jvp as Fn, vjp: vjp as Fn, jacobian: ((p: number[]) => ({ value: g(p), jacobian: J(p) })) as Fn }, [[0.3, 0.8]], ["p"], ["p"]);
    for (const mode of ["jvp", "vjp", "jvp·vjp", "jacobian"]) expect(m[mode]!.ok, mode).toBe(true);
    expect(m["jvp·vjp"]!.worst).toBeLessThan(1e-14);
  });

  it("catch and locate a wrong gradient entry", () => {
    const wrong = (x: number[], y: number) => {
      const r = grad(x, y);
      return { ...r, grad: { ...r.grad, x: [r.grad.x[0], 1.01 * r.grad.x[1]!] } };
    };
    const r = run({ f: f as Fn, grad: wrong as Fn }, at, ["x", "y"], ["x", "y"]);
    expect(r.grad!.ok).toBe(false);
    const entry = r.grad!.entries.find((e) => e.label === "∂/∂x[1]")!;
    expect(entry.relError).toBeCloseTo(0.01, 6);
    expect(r.grad!.entries.filter((e) => e.relError > 1e-6).map((e) => e.label).sort()).toEqual(["∂/∂(random direction)", "∂/∂x[1]"]);
  });

  it("catch an HVP off by a factor, a non-symmetric Hessian, a transposed Jacobian, a JVP that disagrees with the VJP", () => {
    const halfHvp = (x: number[], y: number, v: { x: number[]; y: number }) => {
      const r = hvp(x, y, v);
      return { ...r, hvp: { x: r.hvp.x.map((a) => a! / 2), y: r.hvp.y! / 2 } };
    };
    expect(run({ f: f as Fn, grad: grad as Fn, hvp: halfHvp as Fn }, at, ["x", "y"], ["x", "y"]).hvp!.ok).toBe(false);
    const skewed = (x: number[], y: number) => {
      const H = hessian(x, y);
      H[0]![2]! += 1e-3;
      return { value: f(x, y), grad: grad(x, y).grad, hessian: H };
    };
    const h = run({ f: f as Fn, grad: grad as Fn, hessian: skewed as Fn }, at, ["x", "y"], ["x", "y"]).hessian!;
    expect(h.ok).toBe(false);
    expect(h.entries.some((e) => e.label.startsWith("symmetry") && e.relError > 1e-6)).toBe(true);
    const transposed = (p: number[]) => ({ value: g(p), jacobian: [0, 1].map((i) => J(p).map((row) => row[i]!)) });
    expect(run({ f: g as Fn, jacobian: transposed as Fn }, [[0.3, 0.8]], ["p"], ["p"]).jacobian!.ok).toBe(false);
    const badJvp = (p: number[], t: { p: number[] }) => ({ value: g(p), tangent: jvp(p, t).tangent.map((x, i) => (i === 1 ? -x : x)) });
    const m = run({ f: g as Fn, jvp: badJvp as Fn, vjp: vjp as Fn }, [[0.3, 0.8]], ["p"], ["p"]);
    expect(m.jvp!.ok).toBe(false);
    expect(m["jvp·vjp"]!.ok).toBe(false);
    expect(m.vjp!.ok).toBe(true);
  });

  it("do not judge what differences cannot resolve: a kink inside the step", () => {
    const abs = (x: number[]) => Math.abs(x[0]!) + x[1]!;
    const absGrad = (x: number[]) => ({ value: abs(x), grad: { x: [Math.sign(x[0]!), 1] } });
    const r = run({ f: abs as Fn, grad: absGrad as Fn }, [[1e-9, 2]], ["x"], ["x"]);
    expect(r.grad!.entries.find((e) => e.label === "∂/∂x[0]")!.unresolved).toBe(true);
    expect(r.grad!.ok).toBe(true);
  });
});

describe("finite differences", () => {
  it("choose a step that resolves both a smooth and a badly scaled function", () => {
    const smooth = centralDerivative((t) => [Math.exp(1 + t)], 1);
    expect(Math.abs(smooth.value[0]! - Math.E) / Math.E).toBeLessThan(1e-11);
    // At x = 1e4 a fixed absolute step of 1e-5 would drown in rounding; the relative ladder does not.
    const big = centralDerivative((t) => [(1e4 + t) ** 3], 1e4);
    expect(Math.abs(big.value[0]! - 3e8) / 3e8).toBeLessThan(1e-9);
  });
});

describe("points", () => {
  const params = [{ name: "x", type: { kind: "array", element: { kind: "number" }, container: "float64array", readonly: false } as const }, { name: "n", type: { kind: "number" } as const }];

  it("are seeded: the same seed gives the same points", () => {
    const a = pointsFor("f", params, ["x"], undefined, 2, seededRandom(5));
    const b = pointsFor("f", params, ["x"], undefined, 2, seededRandom(5));
    expect(a).toEqual(b);
    if ("error" in a) throw new Error(a.error);
    expect(a.points[0]![0]).toBeInstanceOf(Float64Array);
    expect((a.points[0]![0] as Float64Array).length).toBe(4);
  });

  it("come from <name>Inputs(random) when it takes the generator, or perturb <name>Inputs() otherwise", () => {
    const withRandom = pointsFor("f", params, ["x"], (random: unknown) => [new Float64Array([(random as () => number)()]), 2], 3, seededRandom(1));
    if ("error" in withRandom) throw new Error(withRandom.error);
    expect(new Set(withRandom.points.map((p) => (p[0] as Float64Array)[0])).size).toBe(3);
    const fixed = pointsFor("f", params, ["x"], () => [new Float64Array([2, -3, 0]), 7], 3, seededRandom(1));
    if ("error" in fixed) throw new Error(fixed.error);
    expect(Array.from(fixed.points[0]![0] as Float64Array)).toEqual([2, -3, 0]);
    for (const p of fixed.points.slice(1)) {
      const [a, b, c] = Array.from(p[0] as Float64Array);
      expect(a! / 2).toBeGreaterThanOrEqual(0.9);
      expect(a! / 2).toBeLessThanOrEqual(1.1);
      expect(b).toBeLessThan(0); // signs kept
      expect(c).toBe(0);
      expect(p[1]).toBe(7); // not differentiated: not moved
    }
  });
});
