/**
 * Forward mode, VJP, HVP, Hessian and Jacobian on functions with known closed forms,
 * plus the dot-product test <J v, w> = <v, Jᵀ w> tying forward and reverse mode together,
 * and HVPs against central differences of the generated gradient.
 */
import { describe, expect, it } from "vitest";
import { pendingStackEntries } from "../runtime/stack.ts";
import { build } from "./harness/build.ts";
import { differenceAlong, flatten, maxRelError, randomVector, rng } from "./harness/numeric.ts";

type Fn = (...args: never[]) => unknown;
const next = rng(7);

const source = `
/**
 * @grad x
 * @hvp x
 * @hessian x
 */
export function rosen(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    s += 100 * a * a + b * b;
  }
  return s;
}

/** @hessian x bandwidth=1 */
export function rosenBanded(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    s += 100 * a * a + b * b;
  }
  return s;
}

/** @hessian x, diagonal */
export function separable(x: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]) * (i + 1) + x[i] ** 4;
  return s;
}

/**
 * @jvp z
 * @vjp z
 * @jacobian z
 */
export function expElementwise(z: readonly number[]): number[] {
  const y = new Array(z.length).fill(0);
  for (let i = 0; i < z.length; i++) y[i] = Math.exp(z[i]);
  return y;
}

/** @hessian */
export function gauss(x: number[]): number {
  let q = 0;
  for (const v of x) q += v * v;
  return -Math.exp(-q);
}

/**
 * @jacobian x
 * @jvp x
 * @vjp x
 */
export function cyclic(x: number[]): number[] {
  const n = x.length;
  const f = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    f[i] = x[i] * Math.exp(x[(i + 1) % n]) - Math.sin(x[(i + n - 1) % n]);
  }
  return f;
}

/**
 * @hvp x
 * @jvp x
 * @vjp x
 */
export function pushy(x: number[]): number {
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] > -0.5) ys.push(Math.sin(x[i]) * x[i]);
  let s = 0;
  for (const y of ys) s += y * y * ys.length;
  return s;
}

/**
 * @grad x, y
 * @jvp x, y
 */
export function chain(x: number[], y: number): number {
  const acc: number[] = [y];
  for (let i = 0; i < x.length; i++) acc.push(Math.cos(acc[acc.length - 1]) * x[i]);
  return acc[acc.length - 1];
}

/**
 * @grad A
 * @hvp A
 */
export function rowCubes(A: number[][]): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) {
    const r = A[i];
    for (let j = 0; j < r.length; j++) s += r[j] * r[j] * r[j] * (i + 1);
  }
  return s;
}

/**
 * @hvp
 * @jvp
 */
export function branchy(x: number[], w: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] * w > 0.1) s += Math.tanh(x[i] * w) * x[i];
    else if (x[i] < -0.5) {
      s -= x[i] ** 3;
      continue;
    }
    s += Math.sin(s) * 0.5;
  }
  return s * w;
}
`;

async function load() {
  return build(source);
}

function relClose(a: number[], b: number[], tol: number) {
  expect(maxRelError(a, b, 1)).toBeLessThan(tol);
}

describe("second order and vector modes", () => {
  it("gaussian Hessian equals 2 exp(-xᵀx)(I - 2 x xᵀ) (the notes' slip corrected)", async () => {
    const { generated } = await load();
    const x = randomVector(5, next, 0.6);
    const { hessian, value } = (generated.gaussHessian as Fn as (x: number[]) => { value: number; hessian: number[][] })(x);
    const e = Math.exp(-x.reduce((s, v) => s + v * v, 0));
    expect(value).toBeCloseTo(-e, 15);
    const closed = x.map((xi, i) => x.map((xj, j) => 2 * e * ((i === j ? 1 : 0) - 2 * xi * xj)));
    relClose(flatten(hessian), flatten(closed), 1e-12);
    expect(pendingStackEntries()).toBe(0);
  });

  it("rosenbrock HVP equals H·v from the dense Hessian and central differences of the gradient", async () => {
    const { generated } = await load();
    const x = randomVector(6, next);
    const v = randomVector(6, next);
    const hvp = (generated.rosenHvp as Fn as (x: number[], v: { x: number[] }) => { grad: { x: number[] }; hvp: { x: number[] } })(x, { x: v });
    const grad = (generated.rosenGrad as Fn as (x: number[]) => { grad: { x: number[] } })(x);
    expect(hvp.grad.x).toEqual(grad.grad.x);
    const H = (generated.rosenHessian as Fn as (x: number[]) => { hessian: number[][] })(x).hessian;
    const Hv = H.map((row) => row.reduce((s, h, j) => s + h * v[j]!, 0));
    relClose(hvp.hvp.x, Hv, 1e-12);
    // Closed form of the Rosenbrock Hessian (tridiagonal).
    const n = x.length;
    const closed = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n - 1; i++) {
      closed[i]![i]! += 1200 * x[i]! ** 2 - 400 * x[i + 1]! + 2;
      closed[i + 1]![i + 1]! += 200;
      closed[i]![i + 1]! += -400 * x[i]!;
      closed[i + 1]![i]! += -400 * x[i]!;
    }
    relClose(flatten(H), flatten(closed), 1e-12);
    const h = 1e-6;
    const gradAt = (t: number) => (generated.rosenGrad as Fn as (x: number[]) => { grad: { x: number[] } })(x.map((xi, i) => xi + t * v[i]!)).grad.x;
    relClose(hvp.hvp.x, differenceAlong(gradAt, h), 1e-6);
  });

  it("a declared band or diagonal gives the same Hessian with 3 or 1 HVPs", async () => {
    const { generated } = await load();
    const x = randomVector(9, next);
    const dense = (generated.rosenHessian as Fn as (x: number[]) => { hessian: number[][] })(x).hessian;
    const banded = (generated.rosenBandedHessian as Fn as (x: number[]) => { hessian: number[][] })(x).hessian;
    expect(flatten(banded)).toEqual(flatten(dense));
    const d = (generated.separableHessian as Fn as (x: number[]) => { hessian: number[][] })(x).hessian;
    const closed = x.map((xi, i) => x.map((_, j) => (i === j ? Math.exp(xi) * (i + 1) + 12 * xi * xi : 0)));
    relClose(flatten(d), flatten(closed), 1e-14);
  });

  it("elementwise exp has Jacobian diag(exp z) in both sweep directions", async () => {
    const { generated } = await load();
    for (const n of [3, 7]) {
      const z = randomVector(n, next);
      const { jacobian } = (generated.expElementwiseJacobian as Fn as (z: number[]) => { jacobian: number[][] })(z);
      const closed = z.map((zi, i) => z.map((_, j) => (i === j ? Math.exp(zi) : 0)));
      relClose(flatten(jacobian), flatten(closed), 1e-15);
    }
  });

  it("cyclic map Jacobian matches its closed form", async () => {
    const { generated } = await load();
    const x = randomVector(5, next);
    const n = x.length;
    const { jacobian } = (generated.cyclicJacobian as Fn as (x: number[]) => { jacobian: number[][] })(x);
    const closed = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) {
      closed[i]![i]! += Math.exp(x[(i + 1) % n]!);
      closed[i]![(i + 1) % n]! += x[i]! * Math.exp(x[(i + 1) % n]!);
      closed[i]![(i + n - 1) % n]! -= Math.cos(x[(i + n - 1) % n]!);
    }
    relClose(flatten(jacobian), flatten(closed), 1e-12);
  });

  it("dot-product test <J v, w> = <v, Jᵀ w> for every function with both modes", async () => {
    const { generated } = await load();
    for (const name of ["expElementwise", "cyclic"]) {
      for (let trial = 0; trial < 3; trial++) {
        const x = randomVector(6, next);
        const v = randomVector(6, next);
        const w = randomVector(6, next);
        const Jv = (generated[`${name}Jvp`] as Fn as (x: number[], t: Record<string, number[]>) => { tangent: number[] })(x, { [name === "cyclic" ? "x" : "z"]: v }).tangent;
        const JTw = (generated[`${name}Vjp`] as Fn as (x: number[], c: number[]) => { grad: Record<string, number[]> })(x, w).grad;
        const lhs = Jv.reduce((s, a, i) => s + a * w[i]!, 0);
        const rhs = flatten(JTw).reduce((s, a, i) => s + a * v[i]!, 0);
        expect(Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs))).toBeLessThan(1e-13);
      }
    }
    // Scalar-valued: <grad, v> from the HVP's gradient equals the JVP's tangent.
    const x = randomVector(5, next);
    const v = randomVector(5, next);
    const jvp = (generated.branchyJvp as Fn as (x: number[], w: number, t: { x: number[]; w: number }) => { value: number; tangent: number })(x, 0.7, { x: v, w: 0.3 });
    const hvp = (generated.branchyHvp as Fn as (x: number[], w: number, t: { x: number[]; w: number }) => { value: number; grad: { x: number[]; w: number } })(x, 0.7, { x: v, w: 0.3 });
    const dot = hvp.grad.x.reduce((s, g, i) => s + g * v[i]!, 0) + hvp.grad.w * 0.3;
    expect(jvp.value).toBe(hvp.value);
    expect(Math.abs(jvp.tangent - dot)).toBeLessThan(1e-13 * Math.max(1, Math.abs(dot)));
  });

  it("push onto a local array works in forward, reverse and forward-over-reverse", async () => {
    const { generated } = await load();
    const x = [0.8, -0.9, 0.3, 0.05, -0.2, 1.1];
    const v = randomVector(6, next);
    const w = 0.7;
    const jvp = (generated.pushyJvp as Fn as (x: number[], t: { x: number[] }) => { tangent: number })(x, { x: v });
    const vjp = (generated.pushyVjp as Fn as (x: number[], c: number) => { grad: { x: number[] } })(x, w);
    expect(Math.abs(jvp.tangent * w - vjp.grad.x.reduce((s, g, i) => s + g * v[i]!, 0))).toBeLessThan(1e-13);
    const hvpFn = generated.pushyHvp as Fn as (x: number[], v: { x: number[] }) => { grad: { x: number[] }; hvp: { x: number[] } };
    const h = 1e-6;
    const gradAt = (t: number) => hvpFn(x.map((xi, i) => xi + t * v[i]!), { x: v }).grad.x;
    relClose(hvpFn(x, { x: v }).hvp.x, differenceAlong(gradAt, h), 1e-6);
    expect(pendingStackEntries()).toBe(0);
  });

  it("regression: forward mode reads a pushed array before the push (dot-product with the gradient)", async () => {
    const { generated } = await load();
    const x = [0.3, -0.4, 0.5, 0.2];
    const v = { x: [0.1, 0.2, -0.3, 0.4], y: 0.5 };
    const g = (generated.chainGrad as Fn as (x: number[], y: number) => { grad: { x: number[]; y: number } })(x, 0.6).grad;
    const t = (generated.chainJvp as Fn as (x: number[], y: number, t: typeof v) => { tangent: number })(x, 0.6, v).tangent;
    const dot = g.x.reduce((s, gi, i) => s + gi * v.x[i]!, 0) + g.y * v.y;
    expect(Math.abs(t - dot)).toBeLessThan(1e-14);
  });

  it("regression: HVP with respect to a number[][] read through a row alias (found by GradBench's kmeans)", async () => {
    const { generated } = await load();
    const A = [[0.5, -1.2], [0.3, 0.8], [1.1, -0.4]];
    const V = [[1, 0.5], [-0.2, 0.3], [0.7, 1]];
    const out = (generated.rowCubesHvp as Fn as (A: number[][], v: { A: number[][] }) => { hvp: { A: number[][] } })(A, { A: V });
    // H is diagonal: ∂²/∂a² of (i+1) a³ = 6 (i+1) a.
    relClose(flatten(out.hvp.A), flatten(A.map((row, i) => row.map((a, j) => 6 * (i + 1) * a * V[i]![j]!))), 1e-14);
  });

  it("HVP through branches and continue matches central differences of the gradient", async () => {
    const { generated } = await load();
    const x = [0.8, -0.9, 0.3, 0.05, -0.2, 1.1];
    const v = randomVector(6, next);
    const w = 0.9;
    const hvpFn = generated.branchyHvp as Fn as (x: number[], w: number, t: { x: number[]; w: number }) => { grad: { x: number[]; w: number }; hvp: { x: number[]; w: number } };
    const out = hvpFn(x, w, { x: v, w: 0.5 });
    const h = 1e-6;
    const gradAt = (t: number) => {
      const r = hvpFn(x.map((xi, i) => xi + t * v[i]!), w + t * 0.5, { x: v, w: 0.5 }).grad;
      return [...r.x, r.w];
    };
    relClose([...out.hvp.x, out.hvp.w], differenceAlong(gradAt, h), 1e-6);
    expect(pendingStackEntries()).toBe(0);
  });
});
