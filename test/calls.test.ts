/**
 * Calls between user functions (same file and imported), inlined before differentiation:
 * gradients and HVPs against finite differences, and the diagnostics for what is not
 * supported (recursion, calls in loop conditions, helpers that cannot be found).
 */
import { describe, expect, it } from "vitest";
import { pendingStackEntries } from "../runtime/stack.ts";
import { buildProject, diagnose } from "./harness/build.ts";
import { centralDifferences, flatten, maxRelError, randomMatrix, randomVector, rng } from "./harness/numeric.ts";

const linalg = `
export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

export function matvec(A: readonly number[][], x: readonly number[]): number[] {
  const y = new Array(A.length).fill(0);
  for (let i = 0; i < A.length; i++) y[i] = dot(A[i], x);
  return y;
}
`;

const model = `
import { dot, matvec, sigmoid } from "./linalg.ts";

function square(t: number): number {
  return t * t;
}

/**
 * @grad w
 * @hvp w
 */
export function nll(w: number[], X: number[][], y: number[]): number {
  let total = 0;
  for (let i = 0; i < X.length; i++) {
    const p = sigmoid(dot(w, X[i]));
    total -= y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p);
  }
  return total + 0.01 * dot(w, w);
}

/** @grad W, v */
export function net(W: number[][], v: number[], x: number[]): number {
  const h = matvec(W, x);
  let out = 0;
  for (let i = 0; i < h.length; i++) {
    out += v[i] * Math.tanh(h[i]);
    square(out); // result discarded: no effect on the derivative
  }
  return square(out) + sigmoid(v[0]);
}
`;

const next = rng(99);

describe("calls between user functions", () => {
  it("logistic-regression NLL through imported dot and sigmoid: gradient and HVP", async () => {
    const { source, generated } = await buildProject({ "linalg.ts": linalg, "model.ts": model }, "model.ts");
    const X = randomMatrix(12, 4, next, 2);
    const y = X.map((_, i) => (i % 3 === 0 ? 1 : 0));
    const w = randomVector(4, next);
    const f = source.nll as (w: number[], X: number[][], y: number[]) => number;
    const g = (generated.nllGrad as (w: number[], X: number[][], y: number[]) => { value: number; grad: { w: number[] } })(w, X, y);
    expect(g.value).toBe(f(w, X, y));
    const fd = centralDifferences(f as (...a: unknown[]) => number, [w, X, y], [0]);
    expect(maxRelError(g.grad.w, fd[0]!)).toBeLessThan(1e-6);
    // Closed form: grad = Xᵀ(σ(Xw) - y) + 0.02 w.
    const closed = w.map((wj, j) => X.reduce((s, xi, i) => s + xi[j]! * (1 / (1 + Math.exp(-xi.reduce((d, xk, k) => d + xk * w[k]!, 0))) - y[i]!), 0) + 0.02 * wj);
    expect(maxRelError(g.grad.w, closed)).toBeLessThan(1e-12);
    const v = randomVector(4, next);
    const h = (generated.nllHvp as (w: number[], X: number[][], y: number[], v: { w: number[] }) => { hvp: { w: number[] } })(w, X, y, { w: v });
    // Closed form: H = Xᵀ diag(σ(1-σ)) X + 0.02 I.
    const Hv = w.map((_, j) => X.reduce((s, xi) => {
      const p = 1 / (1 + Math.exp(-xi.reduce((d, xk, k) => d + xk * w[k]!, 0)));
      return s + xi[j]! * p * (1 - p) * xi.reduce((d, xk, k) => d + xk * v[k]!, 0);
    }, 0) + 0.02 * v[j]!);
    expect(maxRelError(h.hvp.w, Hv)).toBeLessThan(1e-12);
    expect(pendingStackEntries()).toBe(0);
  });

  it("a helper that returns an array, nested calls and a discarded result", async () => {
    const { source, generated } = await buildProject({ "linalg.ts": linalg, "model.ts": model }, "model.ts");
    const W = randomMatrix(3, 4, next);
    const v = randomVector(3, next);
    const x = randomVector(4, next);
    const f = source.net as (...a: unknown[]) => number;
    const g = (generated.netGrad as (...a: unknown[]) => { value: number; grad: { W: number[][]; v: number[] } })(W, v, x);
    expect(g.value).toBe(f(W, v, x));
    const fd = centralDifferences(f, [W, v, x], [0, 1]);
    expect(maxRelError(flatten(g.grad.W), fd[0]!)).toBeLessThan(1e-6);
    expect(maxRelError(g.grad.v, fd[1]!)).toBeLessThan(1e-6);
  });

  it("a helper's own helpers are found in the helper's file, not the caller's", async () => {
    const lib = `
function square(t: number): number {
  return t * t;
}
export function norm2(v: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += square(v[i]);
  return s;
}
`;
    const main = `
import { norm2 } from "./lib.ts";
/** @grad x */
export function f(x: number[]): number {
  return norm2(x) * 0.5;
}
`;
    const { generated } = await buildProject({ "lib.ts": lib, "main.ts": main }, "main.ts");
    const g = (generated.fGrad as (x: number[]) => { grad: { x: number[] } })([1, -2, 3]);
    expect(g.grad.x).toEqual([1, -2, 3]);
  });

  it("rejects recursion with a located diagnostic", async () => {
    const d = await diagnose(`
function fact(n: number): number {
  if (n <= 1) return 1;
  return n * fact(n - 1);
}
/** @grad */
export function f(x: number): number {
  return x * fact(3);
}
`);
    expect(d).toHaveLength(1);
    expect(d[0]!.code).toBe(3010);
    expect(d[0]!.message).toContain("recursive");
  });

  it("rejects a call in a loop condition and an unknown helper", async () => {
    const inCondition = await diagnose(`
function limit(x: number): number { return x * 2; }
/** @grad */
export function f(x: number): number {
  let s = 0;
  while (s < limit(x)) s += 1;
  return s * x;
}
`);
    expect(inCondition.map((d) => d.code)).toEqual([3003]);
    const missing = await diagnose(`
import { helper } from "some-package";
/** @grad */
export function f(x: number): number {
  return helper(x);
}
`);
    expect(missing.map((d) => d.code)).toEqual([3003]);
    expect(missing[0]!.line).toBe(5);
  });
});
