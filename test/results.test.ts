/**
 * What `@jvp` and `@vjp` functions return: an object of numbers (`{ a, b }`, an interface, a
 * returned parameter, several returns, a helper's object), a tuple or an alias of one, and
 * what they cannot return (a matrix, a boolean) said as a diagnostic. An object result's
 * tangent and cotangent are objects with the same fields; each is checked against the tape,
 * central differences, and forward against reverse (the dot-product test), and the
 * generated files typecheck under the strict flags (test/generated-strict.test.ts has the tsc run).
 */
import { describe, expect, it } from "vitest";
import { tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build, diagnose } from "./harness/build.ts";
import { centralDifferences } from "./harness/fd.ts";
import { maxRelError } from "./harness/numeric.ts";

const source = `export interface Pair { a: number; b: number }
export type Vec2 = [number, number];

/** @jvp v @vjp v */
export function polar(v: number[]): { r: number; theta: number } {
  return { r: Math.hypot(v[0], v[1]), theta: Math.atan2(v[1], v[0]) };
}

/** @jvp p @vjp p */
export function identity(p: Pair): Pair {
  return p;
}

/** @jvp p @vjp p */
export function scaled(p: Pair, k: number): Pair {
  const out = { a: k * p.a * p.b, b: Math.exp(p.b) };
  return out;
}

/** @jvp x @vjp x */
export function branches(x: number): { lo: number; hi: number } {
  if (x < 0) return { lo: x * x, hi: 0 };
  return { lo: Math.sin(x), hi: Math.sqrt(x) };
}

function product(a: number, b: number): Pair {
  return { a: a * b, b: a - b };
}

/** @jvp x @vjp x */
export function viaHelper(x: number[]): Pair {
  if (x[0] > 0) return product(x[0], x[1]);
  return product(x[1], x[0] * x[0]);
}

/** @jvp v @vjp v */
export function rotate(v: Vec2, angle: number): Vec2 {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const out: Vec2 = [c * v[0] - s * v[1], s * v[0] + c * v[1]];
  return out;
}
`;

type Fn = (...args: unknown[]) => unknown;
type Numbers = Record<string, number> | number[];
const values = (r: Numbers) => Object.values(r) as number[];
/** The output's number k as a function of the arguments (for differences). */
const component = (f: Fn, k: number) => (...args: unknown[]) => values(f(...args) as Numbers)[k]!;
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const flat = (x: unknown): number[] => (typeof x === "number" ? [x] : Array.isArray(x) ? x.flatMap(flat) : Object.values(x as object).flatMap(flat));

interface Case {
  fn: string;
  args: unknown[];
  params: string[];
  wrt: string;
  /** A direction for the wrt parameter and a cotangent for the result, in their shapes. */
  direction: unknown;
  cotangent: Numbers;
}

const cases: Case[] = [
  { fn: "polar", args: [[0.6, -1.3]], params: ["v"], wrt: "v", direction: [0.7, 0.2], cotangent: { r: 0.9, theta: -1.4 } },
  { fn: "identity", args: [{ a: 1.5, b: -0.5 }], params: ["p"], wrt: "p", direction: { a: 0.3, b: 2 }, cotangent: { a: -1, b: 0.25 } },
  { fn: "scaled", args: [{ a: 1.5, b: -0.5 }, 3], params: ["p", "k"], wrt: "p", direction: { a: 0.3, b: 2 }, cotangent: { a: -1, b: 0.25 } },
  { fn: "branches", args: [-0.8], params: ["x"], wrt: "x", direction: 1, cotangent: { lo: 0.5, hi: 2 } },
  { fn: "branches", args: [0.8], params: ["x"], wrt: "x", direction: 1, cotangent: { lo: 0.5, hi: 2 } },
  { fn: "viaHelper", args: [[0.7, 1.9]], params: ["x"], wrt: "x", direction: [1, -0.5], cotangent: { a: 0.3, b: -2 } },
  { fn: "viaHelper", args: [[-0.7, 1.9]], params: ["x"], wrt: "x", direction: [1, -0.5], cotangent: { a: 0.3, b: -2 } },
  { fn: "rotate", args: [[1, 2], 0.3], params: ["v", "angle"], wrt: "v", direction: [0.4, -1], cotangent: [0.5, -1] },
];

describe("what @jvp and @vjp functions return", () => {
  it.each(cases)("$fn($args): JVP and VJP against the tape, differences and each other", async ({ fn, args, params, wrt, direction, cotangent }) => {
    const built = await build(source);
    const primal = built.source[fn] as Fn;
    const jvp = built.generated[`${fn}Jvp`] as Fn;
    const vjp = built.generated[`${fn}Vjp`] as Fn;
    const forward = jvp(...args, { [wrt]: direction }) as { value: Numbers; tangent: Numbers };
    const reverse = vjp(...args, cotangent) as { value: Numbers; grad: Record<string, unknown> };
    expect(forward.value).toEqual(primal(...args));
    expect(reverse.value).toEqual(primal(...args));
    // The tangent and cotangent have the result's shape: the same fields, or a tuple's length.
    expect(Object.keys(forward.tangent)).toEqual(Object.keys(forward.value));

    const tape = tapeModuleFromSource(source, "/virtual/results.ts");
    const taped = tape.vjp(fn, args, cotangent, [wrt]);
    expect(maxRelError(flat(reverse.grad[wrt]), flat(taped.grad[wrt]))).toBeLessThan(1e-14);

    // Differences of each output number along the direction, against the tangent.
    const outputs = values(forward.value).length;
    const d = flat(direction);
    for (let k = 0; k < outputs; k++) {
      const fd = flat(centralDifferences(component(primal, k), args, params, [wrt])[wrt]);
      expect(values(forward.tangent)[k]).toBeCloseTo(dot(fd, d), 8);
    }
    // Dot-product test: ⟨cotangent, J·direction⟩ = ⟨cotangentᵀ·J, direction⟩.
    expect(dot(values(cotangent), values(forward.tangent))).toBeCloseTo(dot(flat(reverse.grad[wrt]), d), 13);
  });

  it("a result with no derivative of its own is a diagnostic, not a zero derivative", async () => {
    const diagnostics = await diagnose(`/** @vjp v */
export function matrix(v: number[]): number[][] {
  return [[v[0] * v[1], v[1]], [v[0], 2 * v[1]]];
}
/** @jvp v */
export function flag(v: number[]): boolean {
  return v[0] > v[1];
}
/** @vjp v */
export function nested(v: number[]): { inner: { a: number } } {
  return { inner: { a: v[0] } };
}
`);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [2003, "@vjp needs 'matrix' to return a number, a flat numeric array or an object of numbers (not 'number[][]'); return the numbers the derivative is of"],
      [2003, "@jvp needs 'flag' to return a number, a flat numeric array or an object of numbers (not 'boolean'); return the numbers the derivative is of"],
      [2003, "@vjp needs 'nested' to return a number, a flat numeric array or an object of numbers (not '{ inner: { a: number } }'); return the numbers the derivative is of"],
    ]);
  });
});

/** Jacobians of object results: one row per field, in declaration order. */
const jacobians = `export interface Pair { a: number; b: number }

/** @jacobian v */
export function polar(v: number[]): { r: number; theta: number } {
  return { r: Math.hypot(v[0], v[1]), theta: Math.atan2(v[1], v[0]) };
}

/** @jacobian x */
export function moments(x: number[]): { mean: number; square: number; cube: number } {
  let m = 0;
  let s = 0;
  let c = 0;
  for (const v of x) {
    m += v;
    s += v * v;
    c += v * Math.sin(v) * v;
  }
  return { mean: m / x.length, square: s, cube: c };
}

/** @jacobian p k */
export function scaled(p: Pair, k: number): Pair {
  return { a: k * p.a * p.b, b: Math.exp(p.b - k) };
}
`;

describe("@jacobian of a function returning an object of numbers", () => {
  it.each([
    // n = m = 2: forward sweeps; n = 5 > m = 3: reverse sweeps; n = 3 > m = 2 over a record and a number.
    { fn: "polar", args: [[0.6, -1.3]], params: ["v"], wrt: ["v"], rows: ["r", "theta"] },
    { fn: "moments", args: [[0.3, -1.2, 0.8, 1.5, -0.4]], params: ["x"], wrt: ["x"], rows: ["mean", "square", "cube"] },
    { fn: "scaled", args: [{ a: 1.5, b: -0.5 }, 0.7], params: ["p", "k"], wrt: ["p", "k"], rows: ["a", "b"] },
  ])("$fn: rows are the fields ($rows), against the tape and differences", async ({ fn, args, params, wrt, rows }) => {
    const built = await build(jacobians);
    const primal = built.source[fn] as Fn;
    const { value, jacobian } = (built.generated[`${fn}Jacobian`] as Fn)(...args) as { value: Record<string, number>; jacobian: number[][] };
    expect(value).toEqual(primal(...args));
    expect(jacobian.length).toBe(rows.length);
    const tape = tapeModuleFromSource(jacobians, "/virtual/jacobians.ts").jacobian(fn, args, wrt);
    rows.forEach((field, r) => {
      expect(maxRelError(jacobian[r]!, tape[r]!), `row ${field}`).toBeLessThan(1e-14);
      const fd = centralDifferences((...a: unknown[]) => (primal(...a) as Record<string, number>)[field]!, args, params, wrt);
      expect(maxRelError(jacobian[r]!, wrt.flatMap((w) => flat(fd[w])))).toBeLessThan(1e-7);
    });
  });
});

