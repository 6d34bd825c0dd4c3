/**
 * The tape runtime (runtime/tape), the independent oracle, checked on its own:
 *
 *   closed forms       quadratic form, -exp(-xᵀx), least squares, logistic loss: gradient and
 *                      Hessian against the formulas of the lecture notes (corrected), with a
 *                      normwise relative error below 1e-12 (max |a - b| / max |b|)
 *   rule table         every entry, first and second derivatives, against central differences:
 *                      gradient with h = 1e-6·max(1, |x|), tolerance 1e-7·max(1, |d|); Hessian
 *                      columns against central differences of the tape's gradient with
 *                      h = 1e-5·max(1, |x|), tolerance 1e-6·max(1, |d|); fround with h = 1e-2
 *                      (float32 steps), tolerance 1e-4
 *   language           loops with break/continue/early return, do…while, for…of, ?:, &&/||,
 *                      ++/-- and compound assignment on boxes and elements, local arrays,
 *                      Float64Array and number[][] parameters, objects, calls across modules
 *   modes              vjp/jvp dot-product test, jacobian against vjp rows, hvp against the
 *                      Hessian (1e-12), nested traces without perturbation confusion
 *   hygiene            the caller's arguments are never mutated; errors name the problem
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Box, RULES, backward, loadTapeModule, newTrace, primal, t, tapeModuleFromSource, type PrimitiveName, type TapeModule, type Value } from "../runtime/tape/index.ts";

// ---------------------------------------------------------------------------------------
// helpers

function flat(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (v instanceof Float64Array) out.push(...v);
  else if (Array.isArray(v)) for (const x of v) flat(x, out);
  else if (v && typeof v === "object") for (const k of Object.keys(v)) flat((v as Record<string, unknown>)[k], out);
  return out;
}

/** Normwise relative error max |a - b| / max |b| (b = 0 everywhere: the absolute error). */
function normRel(a: unknown, b: unknown): number {
  const fa = flat(a);
  const fb = flat(b);
  expect(fa.length).toBe(fb.length);
  const scale = Math.max(...fb.map(Math.abs), 0) || 1;
  return Math.max(0, ...fa.map((x, i) => Math.abs(x - fb[i]!))) / scale;
}

/** Elementwise |a - b| ≤ tol·max(1, |b|). */
function expectNear(a: unknown, b: unknown, tol: number): void {
  const fa = flat(a);
  const fb = flat(b);
  expect(fa.length).toBe(fb.length);
  fa.forEach((x, i) => {
    const y = fb[i]!;
    if (!(Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)))) throw new Error(`entry ${i}: ${x} vs ${y} (tol ${tol})`);
  });
}

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const matvec = (A: number[][], x: number[]) => A.map((row) => dot(row, x));
const transpose = (A: number[][]) => A[0]!.map((_, j) => A.map((row) => row[j]!));
const outer = (a: number[], b: number[]) => a.map((x) => b.map((y) => x * y));

/** Central differences of the tape's own `call` over scalar arguments. */
function fdGradient(m: TapeModule, fn: string, x: number[], h0: number): number[] {
  return x.map((xi, k) => {
    const h = h0 * Math.max(1, Math.abs(xi));
    const plus = x.slice();
    const minus = x.slice();
    plus[k] = xi + h;
    minus[k] = xi - h;
    return ((m.call(fn, plus) as number) - (m.call(fn, minus) as number)) / (2 * h);
  });
}

/** Column k of the Hessian by central differences of the tape's gradient. */
function fdHessian(m: TapeModule, fn: string, x: number[], h0: number): number[][] {
  const gradAt = (y: number[]) => flat(m.grad(fn, y).grad);
  const cols = x.map((xi, k) => {
    const h = h0 * Math.max(1, Math.abs(xi));
    const plus = x.slice();
    const minus = x.slice();
    plus[k] = xi + h;
    minus[k] = xi - h;
    const gp = gradAt(plus);
    const gm = gradAt(minus);
    return gp.map((g, i) => (g - gm[i]!) / (2 * h));
  });
  return transpose(cols);
}

// ---------------------------------------------------------------------------------------
// closed forms (lecture notes, corrected)

const CLOSED = `
export function quadratic(x: number[], A: number[][], b: number[]): number {
  let quad = 0;
  let lin = 0;
  for (let i = 0; i < x.length; i++) {
    let row = 0;
    for (let j = 0; j < x.length; j++) row += A[i][j] * x[j];
    quad += x[i] * row;
    lin += b[i] * x[i];
  }
  return 0.5 * quad - lin;
}
export function bump(x: number[]): number {
  let sq = 0;
  for (const xi of x) sq += xi * xi;
  return -Math.exp(-sq);
}
export function leastSquares(x: number[], A: number[][], b: number[]): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) {
    let r = -b[i];
    for (let j = 0; j < x.length; j++) r += A[i][j] * x[j];
    s += r * r;
  }
  return s / 2;
}
export function logistic(x: number[], a: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += a[i] * x[i];
  return Math.log(1 + Math.exp(s));
}
`;

describe("tape: closed forms", () => {
  const m = tapeModuleFromSource(CLOSED, "closed.ts");
  const n = 5;
  const x = [0.4, -0.3, 0.8, 0.1, -0.6];
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 3 + i : Math.sin(2 * i + j + 1) + 0.3 * (j - i))));
  const b = [0.5, -1.0, 0.25, 2.0, -0.75];

  it("1/2 xᵀAx - bᵀx: ∇ = ½(A + Aᵀ)x - b, ∇² = ½(A + Aᵀ) for non-symmetric A", () => {
    const S = A.map((row, i) => row.map((a, j) => 0.5 * (a + A[j]![i]!)));
    const g = m.grad("quadratic", [x, A, b], ["x"]);
    expect(normRel(g.grad.x, matvec(S, x).map((v, i) => v - b[i]!))).toBeLessThan(1e-12);
    expect(normRel(m.hessian("quadratic", [x, A, b], ["x"]), S)).toBeLessThan(1e-12);
  });

  it("-exp(-xᵀx): ∇ = 2e^{-xᵀx} x, ∇² = 2e^{-xᵀx}(I - 2xxᵀ)", () => {
    const e = Math.exp(-dot(x, x));
    const g = m.grad("bump", [x]);
    expect(g.value).toBeCloseTo(-e, 15);
    expect(normRel(g.grad.x, x.map((xi) => 2 * e * xi))).toBeLessThan(1e-12);
    const H = x.map((xi, i) => x.map((xj, j) => 2 * e * ((i === j ? 1 : 0) - 2 * xi * xj)));
    expect(normRel(m.hessian("bump", [x]), H)).toBeLessThan(1e-12);
  });

  it("½‖Ax - b‖²: ∇ = Aᵀ(Ax - b), ∇² = AᵀA (A 7×5)", () => {
    const B = Array.from({ length: 7 }, (_, i) => Array.from({ length: n }, (_, j) => Math.cos(1.3 * i - 0.7 * j)));
    const c = Array.from({ length: 7 }, (_, i) => 0.3 * i - 1);
    const r = matvec(B, x).map((v, i) => v - c[i]!);
    const g = m.grad("leastSquares", [x, B, c], ["x"]);
    expect(normRel(g.grad.x, matvec(transpose(B), r))).toBeLessThan(1e-12);
    const BtB = transpose(B).map((row) => transpose(B).map((col) => dot(row, col)));
    expect(normRel(m.hessian("leastSquares", [x, B, c], ["x"]), BtB)).toBeLessThan(1e-12);
  });

  it("ln(1 + exp(⟨a,x⟩)): ∇ = σ a, ∇² = σ(1 - σ) a aᵀ", () => {
    const sigma = 1 / (1 + Math.exp(-dot(b, x)));
    const g = m.grad("logistic", [x, b], ["x"]);
    expect(normRel(g.grad.x, b.map((ai) => sigma * ai))).toBeLessThan(1e-12);
    expect(normRel(m.hessian("logistic", [x, b], ["x"]), outer(b, b).map((row) => row.map((v) => sigma * (1 - sigma) * v)))).toBeLessThan(1e-12);
    // The HVP is the Hessian times v.
    const v = [0.3, -0.1, 0.7, -0.5, 0.2];
    const h = m.hvp("logistic", [x, b], { x: v }, ["x"]);
    expect(normRel(h.hvp.x, matvec(m.hessian("logistic", [x, b], ["x"]), v))).toBeLessThan(1e-12);
    expect(normRel(h.grad.x, g.grad.x)).toBeLessThan(1e-15);
  });
});

// ---------------------------------------------------------------------------------------
// every rule of the table against central differences (first and second order)

interface RuleCase {
  /** Expression in the parameters a, b, c. */
  expr: string;
  arity: number;
  points: number[][];
}

const CASES: Record<PrimitiveName, RuleCase[]> = {
  add: [{ expr: "a + b", arity: 2, points: [[0.7, -1.3], [2.5, 0.4]] }],
  sub: [{ expr: "a - b", arity: 2, points: [[0.7, -1.3], [2.5, 0.4]] }],
  mul: [{ expr: "a * b", arity: 2, points: [[0.7, -1.3], [2.5, 0.4]] }],
  div: [{ expr: "a / b", arity: 2, points: [[0.7, -1.3], [2.5, 0.4]] }],
  mod: [{ expr: "a % b", arity: 2, points: [[5.3, 2.1], [-7.4, 3.3]] }],
  neg: [{ expr: "-a", arity: 1, points: [[0.7], [-2]] }],
  pow: [
    { expr: "a ** b", arity: 2, points: [[1.7, 2.3], [0.6, -1.4], [2, 3]] },
    { expr: "Math.pow(a, b)", arity: 2, points: [[1.7, 2.3]] },
  ],
  sin: [{ expr: "Math.sin(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  cos: [{ expr: "Math.cos(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  tan: [{ expr: "Math.tan(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  asin: [{ expr: "Math.asin(a)", arity: 1, points: [[0.3], [-0.6]] }],
  acos: [{ expr: "Math.acos(a)", arity: 1, points: [[0.3], [-0.6]] }],
  atan: [{ expr: "Math.atan(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  atan2: [{ expr: "Math.atan2(a, b)", arity: 2, points: [[0.5, -1.2], [-2, 0.3]] }],
  sinh: [{ expr: "Math.sinh(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  cosh: [{ expr: "Math.cosh(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  tanh: [{ expr: "Math.tanh(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  asinh: [{ expr: "Math.asinh(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  acosh: [{ expr: "Math.acosh(a)", arity: 1, points: [[1.5], [3]] }],
  atanh: [{ expr: "Math.atanh(a)", arity: 1, points: [[0.3], [-0.6]] }],
  exp: [{ expr: "Math.exp(a)", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  expm1: [{ expr: "Math.expm1(a)", arity: 1, points: [[0.4], [-1.1], [1e-3]] }],
  log: [{ expr: "Math.log(a)", arity: 1, points: [[0.4], [2.7]] }],
  log1p: [{ expr: "Math.log1p(a)", arity: 1, points: [[-0.5], [2]] }],
  log2: [{ expr: "Math.log2(a)", arity: 1, points: [[0.4], [2.7]] }],
  log10: [{ expr: "Math.log10(a)", arity: 1, points: [[0.4], [2.7]] }],
  sqrt: [{ expr: "Math.sqrt(a)", arity: 1, points: [[0.4], [2.7]] }],
  cbrt: [{ expr: "Math.cbrt(a)", arity: 1, points: [[0.4], [-2.7]] }],
  abs: [{ expr: "Math.abs(a)", arity: 1, points: [[-0.8], [1.3]] }],
  hypot: [{ expr: "Math.hypot(a, b, c)", arity: 3, points: [[0.3, -1.2, 2], [-4, 0.5, 1]] }],
  min: [
    { expr: "Math.min(a, b, c)", arity: 3, points: [[0.3, -1.2, 2], [2, 2.5, -1]] },
    { expr: "Math.min(a, b) * a", arity: 2, points: [[0.3, -1.2], [-2, 1.5]] },
  ],
  max: [
    { expr: "Math.max(a, b, c)", arity: 3, points: [[0.3, -1.2, 2], [2, 2.5, -1]] },
    { expr: "Math.max(a, b) * a", arity: 2, points: [[0.3, -1.2], [-2, 1.5]] },
  ],
  fround: [{ expr: "Math.fround(a)", arity: 1, points: [[0.4], [-1.1]] }],
  floor: [{ expr: "Math.floor(a) * a", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  ceil: [{ expr: "Math.ceil(a) * a", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  round: [{ expr: "Math.round(a) * a", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  trunc: [{ expr: "Math.trunc(a) * a", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
  sign: [{ expr: "Math.sign(a) * a", arity: 1, points: [[0.4], [-1.1], [2.3]] }],
};

describe("tape: rule table against central differences", () => {
  it("every rule has a case", () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(RULES).sort());
  });

  const names = ["a", "b", "c"];
  const fns: string[] = [];
  let source = "";
  for (const [name, cases] of Object.entries(CASES)) {
    cases.forEach((c, k) => {
      const fn = `rule_${name}_${k}`;
      const params = names.slice(0, c.arity).map((p) => `${p}: number`).join(", ");
      source += `export function ${fn}(${params}): number { return ${c.expr}; }\n`;
      fns.push(fn);
    });
  }
  const m = tapeModuleFromSource(source, "rules.ts");

  for (const [name, cases] of Object.entries(CASES)) {
    cases.forEach((c, k) => {
      const fn = `rule_${name}_${k}`;
      const coarse = name === "fround";
      for (const x of c.points) {
        it(`${c.expr} at (${x.join(", ")}): value, gradient and Hessian`, () => {
          const g = m.grad(fn, x);
          expect(g.value).toBe(m.call(fn, x));
          const fd = fdGradient(m, fn, x, coarse ? 1e-2 : 1e-6);
          expectNear(names.slice(0, c.arity).map((p) => g.grad[p]), fd, coarse ? 1e-4 : 1e-7);
          if (coarse) return;
          const H = m.hessian(fn, x);
          expectNear(H, fdHessian(m, fn, x, 1e-5), 1e-6);
          // hvp along a direction equals H·v.
          const v = x.map((_, i) => 0.5 - 0.3 * i);
          const hv = m.hvp(fn, x, Object.fromEntries(v.map((vi, i) => [names[i]!, vi])));
          expect(normRel(names.slice(0, c.arity).map((p) => hv.hvp[p]), matvec(H, v))).toBeLessThan(1e-12);
        });
      }
    });
  }

  it("kink conventions: abs'(0) = 0; max/min follow the returned argument, shared evenly on ties", () => {
    const k = tapeModuleFromSource(`
      export function absAt(x: number): number { return Math.abs(x); }
      export function max2(a: number, b: number): number { return Math.max(a, b); }
      export function min3(a: number, b: number, c: number): number { return Math.min(a, b, c); }
      export function hyp(a: number, b: number): number { return Math.hypot(a, b); }
    `);
    expect(k.grad("absAt", [0]).grad).toEqual({ x: 0 });
    expect(k.grad("absAt", [-2]).grad).toEqual({ x: -1 });
    expect(k.grad("max2", [1.5, 1.5]).grad).toEqual({ a: 0.5, b: 0.5 });
    expect(k.grad("max2", [1, 2]).grad).toEqual({ a: 0, b: 1 });
    expect(k.grad("min3", [2, 1, 1]).grad).toEqual({ a: 0, b: 0.5, c: 0.5 });
    expect(k.grad("min3", [1, 1, 1]).grad).toEqual({ a: 1 / 3, b: 1 / 3, c: 1 / 3 });
    expect(k.grad("hyp", [0, 0]).grad).toEqual({ a: 0, b: 0 });
  });

  it("piecewise-constant rules give exactly zero, and so do comparisons", () => {
    const k = tapeModuleFromSource(`
      export function steps(x: number): number { return Math.floor(x) + Math.ceil(x) + Math.round(x) + Math.trunc(x) + Math.sign(x); }
      export function pick(x: number, y: number): number { return x < y ? 2 : 3; }
    `);
    expect(k.grad("steps", [1.3])).toEqual({ value: 1 + 2 + 1 + 1 + 1, grad: { x: 0 } });
    expect(k.grad("pick", [1, 2])).toEqual({ value: 2, grad: { x: 0, y: 0 } });
  });
});

// ---------------------------------------------------------------------------------------
// the language subset

const LANGUAGE = `
/** Skip negatives (continue), stop once the sum passes the limit (break). */
export function earlyStop(x: number[], limit: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < 0) continue;
    const w = i % 2 === 0 ? 1 : 2;
    s += w * x[i] * x[i];
    if (s > limit) break;
  }
  return s;
}

/** Early returns by branch. */
export function huber(r: number, delta: number): number {
  if (r < -delta) return -delta * (r + 0.5 * delta);
  if (r > delta) {
    return delta * (r - 0.5 * delta);
  }
  return 0.5 * r * r;
}

/** while, do…while, ++ and -- on boxes, compound assignment. */
export function loops(x: number): number {
  let y = x;
  let k = 0;
  do {
    y /= 2;
    k++;
  } while (Math.abs(y) > 0.5);
  let z = y;
  while (k > 0) {
    z *= z + 1;
    k--;
  }
  let w = x;
  w++;
  ++w;
  w--;
  const before = w++;
  return z + w * before;
}

/** Local arrays: new Array(n).fill(0), new Float64Array(n), literals, push, slice, for…of. */
export function locals(x: number[]): number {
  const n = x.length;
  const a = new Array(n).fill(0);
  const b = new Float64Array(n);
  const c: number[] = [];
  for (let i = 0; i < n; i++) {
    a[i] = x[i] * x[i];
    b[i] += Math.sin(x[i]);
    b[i] *= 2;
    c.push(a[i] - b[i]);
  }
  const tail = c.slice(1);
  const pair = [tail[0], x[0] ** 3];
  let s = 0;
  for (const v of tail) s += v;
  for (const v of pair) s -= v;
  return s;
}

/** &&, ||, !, and truthiness of a (possibly boxed) number. */
export function logic(x: number, y: number): number {
  const both = x > 0 && y > 0;
  const either = x < -10 || y > 1;
  const scale = x || 7;
  let out = both ? x * y : x - y;
  if (either && !(x > 100)) out += y * y;
  if (x) out *= scale;
  return out;
}

/** number[][] and Float64Array parameters; Math constants stay constants. */
export function matrices(M: number[][], w: Float64Array): number {
  let f = 0;
  for (let i = 0; i < M.length; i++) {
    for (let j = 0; j < M[i].length; j++) f += w[j] * M[i][j] * M[i][j] * Math.PI;
  }
  return f;
}

/** Mutates its own arguments; callers must not see it. */
export function mutating(x: number[], M: number[][], w: Float64Array, p: { a: number[] }): number {
  x[0] *= 3;
  M[1][0] += x[0];
  w[1] = w[0] * x[1];
  p.a[0] -= 1;
  p.a.push(5);
  return x[0] * M[1][0] + w[1] + p.a[0] * p.a[1];
}

/** Compound assignment to fields, ++/-- on elements in value position. */
export function fields(o: { s: number }, x: number[]): number {
  o.s += x[0] * x[0];
  o.s *= 2;
  const a = x[0]++;
  const b = x[1]--;
  return o.s + a * x[0] + b * x[1];
}

/** A vector-valued function: y = (x0 x1, sin x1, x0 + exp x2). */
export function vecFn(x: number[]): number[] {
  return [x[0] * x[1], Math.sin(x[1]), x[0] + Math.exp(x[2])];
}

/** A Float64Array result. */
export function squares(x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] * x[i];
  return y;
}

/** Calls between functions of the module. */
function sq(v: number): number {
  return v * v;
}
const cube = (v: number): number => v * sq(v);
export function calls(x: number, y: number): number {
  return sq(x) + cube(y) * x;
}
`;

describe("tape: the language subset", () => {
  const m = tapeModuleFromSource(LANGUAGE, "language.ts");

  it("break and continue: only the entries visited count", () => {
    const x = [0.7, -0.4, 0.9, -1.1, 1.2, 0.5, 0.8];
    const g = m.grad("earlyStop", [x, 3], ["x"]);
    // Visited: 0 (w 1), 2 (w 1), 4 (w 1) → 0.49 + 0.81 + 1.44 = 2.74; 5 (w 2): 2.74 + 0.5 = 3.24 > 3 → break.
    expect(g.value).toBeCloseTo(3.24, 14);
    expect(g.grad.x).toEqual([1.4, 0, 1.8, 0, 2.4, 2, 0]);
  });

  it("early return: each branch of the Huber loss", () => {
    const left = m.grad("huber", [-2.3, 0.8]).grad;
    expect(left.r).toBe(-0.8);
    expect(left.delta).toBeCloseTo(2.3 - 0.8, 15);
    expect(m.grad("huber", [0.3, 0.8]).grad).toEqual({ r: 0.3, delta: 0 });
    const g = m.grad("huber", [1.9, 0.8]).grad;
    expect(g.r).toBe(0.8);
    expect(g.delta).toBeCloseTo(1.9 - 0.8, 15);
  });

  it("while, do…while, ++/-- and compound assignment match finite differences", () => {
    for (const x of [2.7, -1.3, 0.3]) {
      const g = m.grad("loops", [x]);
      expect(g.value).toBe(m.call("loops", [x]));
      expectNear(g.grad.x, fdGradient(m, "loops", [x], 1e-6), 1e-7);
    }
    // w = x + 1 (after w++, ++w, w--), before = w, then w++: value z + (x + 2)(x + 1),
    // with one halving (y = x/2) and one squaring step z = y (y + 1).
    const g = m.grad("loops", [0.3]);
    expect(g.value).toBeCloseTo(0.15 * 1.15 + 2.3 * 1.3, 14);
    expect(g.grad.x).toBeCloseTo(0.5 * (2 * 0.15 + 1) + 2.3 + 1.3, 14);
  });

  it("local arrays: Array(n).fill, Float64Array holding boxes, push, slice, for…of", () => {
    const x = [0.3, -0.8, 1.1, 0.5];
    const g = m.grad("locals", [x]);
    // s = Σ_{i≥1} (x_i² - 2 sin x_i) - (x_1² - 2 sin x_1) - x_0³ = Σ_{i≥2} (x_i² - 2 sin x_i) - x_0³
    const expected = x.map((xi, i) => (i === 0 ? -3 * xi * xi : i === 1 ? 0 : 2 * xi - 2 * Math.cos(xi)));
    expect(normRel(g.grad.x, expected)).toBeLessThan(1e-12);
  });

  it("&&, ||, ! and truthiness see primal values", () => {
    for (const [x, y] of [[0.5, 2], [0.5, -2], [-0.5, 2]] as const) {
      const g = m.grad("logic", [x, y]);
      expect(g.value).toBe(m.call("logic", [x, y]));
      expectNear([g.grad.x, g.grad.y], fdGradient(m, "logic", [x, y], 1e-6), 1e-7);
    }
    // x = 0 is falsy even as a box: scale = 7 and the `if (x)` branch is skipped.
    expect(m.call("logic", [0, 3])).toBe(0 - 3 + 9);
    expect(m.grad("logic", [0, 3]).grad).toEqual({ x: 1, y: -1 + 6 });
  });

  it("number[][] and Float64Array parameters: gradients of the same shape", () => {
    const M = [
      [0.5, -1.2, 0.3],
      [2.0, 0.7, -0.4],
    ];
    const w = Float64Array.from([1.5, -0.5, 2]);
    const g = m.grad("matrices", [M, w]);
    expect(g.grad.w).toBeInstanceOf(Float64Array);
    expect(Array.isArray(g.grad.M)).toBe(true);
    const gM = M.map((row) => row.map((v, j) => 2 * w[j]! * v * Math.PI));
    const gw = [0, 1, 2].map((j) => Math.PI * (M[0]![j]! ** 2 + M[1]![j]! ** 2));
    expect(normRel(g.grad.M, gM)).toBeLessThan(1e-12);
    expect(normRel(g.grad.w, gw)).toBeLessThan(1e-12);
    const only = m.grad("matrices", [M, w], ["w"]);
    expect(Object.keys(only.grad)).toEqual(["w"]);
  });

  it("a Float64Array result comes back as a Float64Array; vjp and jvp on it", () => {
    const x = Float64Array.from([0.5, -2, 3]);
    expect(m.call("squares", [x])).toEqual(Float64Array.from([0.25, 4, 9]));
    const j = m.jvp("squares", [x], { x: Float64Array.from([1, 1, 1]) });
    expect(j.tangent).toEqual(Float64Array.from([1, -4, 6]));
    const v = m.vjp("squares", [x], Float64Array.from([1, 2, 3]));
    expect(v.grad.x).toEqual(Float64Array.from([1, -8, 18]));
  });

  it("calls between functions of the module (declarations and const arrows)", () => {
    const g = m.grad("calls", [0.7, -1.3]);
    expect(g.grad.x).toBeCloseTo(2 * 0.7 + (-1.3) ** 3, 14);
    expect(g.grad.y).toBeCloseTo(3 * 1.3 * 1.3 * 0.7, 14);
    expect(m.params("calls")).toEqual(["x", "y"]);
  });

  it("compound assignment to fields; x[i]++ and x[i]-- give the old value", () => {
    const g = m.grad("fields", [{ s: 0.5 }, [0.7, -0.4]]);
    // 2 (s + x0²) + x0 (x0 + 1) + x1 (x1 - 1)
    expect(g.value).toBeCloseTo(2 * (0.5 + 0.49) + 0.7 * 1.7 + -0.4 * -1.4, 14);
    expect(g.grad.o).toEqual({ s: 2 });
    expect(normRel(g.grad.x, [4 * 0.7 + 2 * 0.7 + 1, 2 * -0.4 - 1])).toBeLessThan(1e-15);
  });

  it("the rewrite turns operators into traced calls and leaves the rest", () => {
    const src = m.rewritten;
    const code = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    expect(code).not.toMatch(/ [-+*/%<>] | \*\* | [<>=!]==? /); // no binary arithmetic or comparison left
    expect(src).toContain("$t.mul(");
    expect(src).toContain("$t.sin(");
    expect(src).toContain("$t.lt(");
    expect(src).toContain("$t.newFloat64Array(");
    expect(src).toContain("Math.PI");
  });
});

// ---------------------------------------------------------------------------------------
// objects

describe("tape: object parameters", () => {
  const m = tapeModuleFromSource(`
    interface Layer { W: number[][]; b: number[]; }
    interface Net { layer: Layer; w2: Float64Array; b2: number; name: string; frozen: boolean; }
    export function net(p: Net, x: number[], t: number): number {
      let out = p.b2;
      for (let i = 0; i < p.layer.b.length; i++) {
        let z = p.layer.b[i];
        const row = p.layer.W[i];
        for (let j = 0; j < x.length; j++) z += row[j] * x[j];
        out += p.w2[i] * Math.tanh(z);
      }
      return 0.5 * (out - t) ** 2;
    }
  `);
  const p = {
    layer: {
      W: [
        [0.2, -0.4],
        [0.5, 0.3],
        [-0.3, 0.8],
      ],
      b: [0.05, -0.1, 0.2],
    },
    w2: Float64Array.from([0.7, -0.5, 0.3]),
    b2: 0.1,
    name: "net",
    frozen: false,
  };
  const x = [0.5, -1.2];

  it("the gradient is an object of the same shape (non-numeric fields left out)", () => {
    const g = m.grad("net", [p, x, 0.25], ["p"]);
    const gp = g.grad.p as { layer: { W: number[][]; b: number[] }; w2: Float64Array; b2: number };
    expect(Object.keys(gp)).toEqual(["layer", "w2", "b2"]);
    expect(gp.w2).toBeInstanceOf(Float64Array);
    // Closed form: r = ŷ - t, ∂b2 = r, ∂w2 = r h, ∂b1 = r w2 (1 - h²), ∂W1 = ∂b1 xᵀ.
    const z = p.layer.b.map((bi, i) => bi + dot(p.layer.W[i]!, x));
    const h = z.map(Math.tanh);
    const r = p.b2 + dot(Array.from(p.w2), h) - 0.25;
    const gb = h.map((hi, i) => r * p.w2[i]! * (1 - hi * hi));
    expect(normRel(gp.b2, r)).toBeLessThan(1e-12);
    expect(normRel(gp.w2, h.map((hi) => r * hi))).toBeLessThan(1e-12);
    expect(normRel(gp.layer.b, gb)).toBeLessThan(1e-12);
    expect(normRel(gp.layer.W, outer(gb, x))).toBeLessThan(1e-12);
  });

  it("by default an object with a string field is not differentiated; x and t are", () => {
    const g = m.grad("net", [p, x, 0.25]);
    expect(Object.keys(g.grad)).toEqual(["x", "t"]);
  });

  it("hvp over an object parameter equals the Hessian times v", () => {
    const v = {
      layer: { W: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], b: [0.7, -0.8, 0.9] },
      w2: Float64Array.from([-0.1, 0.2, -0.3]),
      b2: 0.4,
    };
    const out = m.hvp("net", [p, x, 0.25], { p: v }, ["p"]);
    const H = m.hessian("net", [p, x, 0.25], ["p"]);
    expect(normRel(out.hvp.p, matvec(H, flat(v)))).toBeLessThan(1e-12);
    // H is symmetric to rounding.
    expect(normRel(H, transpose(H))).toBeLessThan(1e-12);
  });
});

// ---------------------------------------------------------------------------------------
// modes against each other

describe("tape: modes agree", () => {
  const m = tapeModuleFromSource(LANGUAGE, "language.ts");
  const x = [0.4, -0.9, 0.3];

  it("vjp/jvp dot-product test ⟨Jv, w⟩ = ⟨v, Jᵀw⟩ and the Jacobian against both", () => {
    const v = [0.3, -0.7, 1.1];
    const w = [-0.2, 0.5, 0.9];
    const jv = m.jvp("vecFn", [x], { x: v });
    const jtw = m.vjp("vecFn", [x], w);
    expect(jv.value).toEqual(m.call("vecFn", [x]));
    expect(Math.abs(dot(flat(jv.tangent), w) - dot(v, flat(jtw.grad.x)))).toBeLessThan(1e-14);
    const J = m.jacobian("vecFn", [x]);
    const exact = [
      [x[1]!, x[0]!, 0],
      [0, Math.cos(x[1]!), 0],
      [1, 0, Math.exp(x[2]!)],
    ];
    expect(normRel(J, exact)).toBeLessThan(1e-15);
    expect(normRel(jv.tangent, matvec(J, v))).toBeLessThan(1e-15);
    expect(normRel(jtw.grad.x, matvec(transpose(J), w))).toBeLessThan(1e-15);
  });

  it("jvp of a scalar function is ⟨∇f, t⟩; a missing tangent entry counts as zero", () => {
    const g = m.grad("calls", [0.7, -1.3]);
    expect(m.jvp("calls", [0.7, -1.3], { x: 1 }).tangent).toBe(g.grad.x);
    expect(m.jvp("calls", [0.7, -1.3], { x: 0.5, y: 2 }).tangent).toBeCloseTo(0.5 * (g.grad.x as number) + 2 * (g.grad.y as number), 14);
  });

  it("nested traces do not confuse perturbations: d/dx [x · d/dy (x + y)] = 1", () => {
    // A small functional grad on the exported primitives, nested twice.
    const gradOf = (f: (v: Value) => Value) => (v: Value): Value => {
      const trace = newTrace();
      const xb = new Box(v, trace);
      const grads = backward(trace, [[f(xb), 1]], t.add);
      return grads.get(xb) ?? 0;
    };
    const d = gradOf((xv) => t.mul(xv, gradOf((yv) => t.add(xv, yv))(1)))(3);
    expect(primal(d)).toBe(1);
    // Third derivative of sin by three nested reverse sweeps: -cos.
    const d3 = gradOf(gradOf(gradOf((xv) => t.sin(xv))))(0.8);
    expect(primal(d3)).toBeCloseTo(-Math.cos(0.8), 15);
  });
});

// ---------------------------------------------------------------------------------------
// cross-module calls

describe("tape: relative imports", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-tape-"));
  writeFileSync(
    path.join(dir, "linalg.ts"),
    `export function dot(a: readonly number[], b: readonly number[]): number {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += a[i] * b[i];
      return s;
    }
    export type Vec = number[];`,
  );
  writeFileSync(path.join(dir, "act.ts"), `import { scale } from "./nested/consts";\nexport const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z * scale()));`);
  writeFileSync(path.join(dir, "sq.ts"), `export function sq(v: number): number { return v ** 2; }`);
  const nested = path.join(dir, "nested");
  mkdirSync(nested);
  writeFileSync(path.join(nested, "consts.ts"), `export function scale(): number { return 1; }`);
  writeFileSync(
    path.join(dir, "main.ts"),
    `import { dot, type Vec } from "./linalg.ts";
    import { sigmoid } from "./act.js";
    import * as S from "./sq";
    /** Logistic loss of a single example plus a ridge term. */
    export function loss(w: Vec, x: number[], y: number): number {
      const p = sigmoid(dot(w, x));
      return -(y * Math.log(p) + (1 - y) * Math.log(1 - p)) + 0.05 * S.sq(dot(w, w));
    }`,
  );

  it("loads ./x.ts, ./x.js and ./x (and nested imports) through the same rewrite", () => {
    const m = loadTapeModule(path.join(dir, "main.ts"));
    const w = [0.3, -0.2, 0.5];
    const x = [1, 0.4, -1.3];
    const g = m.grad("loss", [w, x, 1], ["w"]);
    const s = 1 / (1 + Math.exp(-dot(w, x)));
    const expected = x.map((xi, i) => (s - 1) * xi + 0.05 * 2 * dot(w, w) * 2 * w[i]!);
    expect(normRel(g.grad.w, expected)).toBeLessThan(1e-12);
    const H = m.hessian("loss", [w, x, 1], ["w"]);
    const ww = dot(w, w);
    const Hexact = x.map((xi, i) => x.map((xj, j) => s * (1 - s) * xi * xj + 0.05 * (8 * w[i]! * w[j]! + (i === j ? 4 * ww : 0))));
    expect(normRel(H, Hexact)).toBeLessThan(1e-12);
  });
});

// ---------------------------------------------------------------------------------------
// hygiene

describe("tape: the caller's arguments are never mutated", () => {
  const m = tapeModuleFromSource(LANGUAGE, "language.ts");
  const snapshot = (v: unknown) => JSON.stringify(v, (_, x) => (x instanceof Float64Array ? { f64: Array.from(x) } : x));

  it("call, grad, vjp, jvp, hvp, hessian and jacobian leave every argument as it was", () => {
    const args = () => [[0.5, -0.3], [[1, 2], [3, 4]], Float64Array.from([0.7, -1.1]), { a: [2, 3] }];
    const given = args();
    const before = snapshot(given);
    const value = m.call("mutating", given);
    expect(snapshot(given)).toBe(before);
    expect(m.call("mutating", args())).toBe(value);
    const g = m.grad("mutating", given);
    expect(g.value).toBe(value);
    m.vjp("mutating", given, 1);
    m.jvp("mutating", given, { x: [1, 0] });
    m.hvp("mutating", given, { x: [1, 0] });
    m.hessian("mutating", given);
    m.jacobian("mutating", given);
    expect(snapshot(given)).toBe(before);
    // ∂/∂x0 of 3x0 (M10 + 3x0) = 3 M10 + 18 x0 = 9 + 9 = 18.
    expect((g.grad.x as number[])[0]).toBe(18);
    // Gradient shapes follow the caller's arguments, not the mutated copies.
    expect((g.grad.p as { a: number[] }).a).toHaveLength(2);
  });
});

describe("tape: errors name the problem", () => {
  const m = tapeModuleFromSource(LANGUAGE, "language.ts");
  it("unknown function, unknown parameter, non-scalar grad, misshapen cotangent", () => {
    expect(() => m.grad("nope", [1])).toThrow(/no top-level function nope/);
    expect(() => m.grad("calls", [1, 2], ["z"])).toThrow(/no parameter z/);
    expect(() => m.grad("vecFn", [[1, 2, 3]])).toThrow(/not a number/);
    expect(() => m.vjp("vecFn", [[1, 2, 3]], [1, 2])).toThrow(/length 3/);
    expect(() => m.hvp("calls", [1, 2], { z: 1 })).toThrow(/not among the wrt parameters/);
  });
});
