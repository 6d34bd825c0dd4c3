/**
 * Object parameters (interfaces whose fields are numbers and numeric arrays): the
 * gradient has the parameter's shape, a helper writes into a local array through an
 * argument, and the Hessian over the flattened object is symmetric and matches
 * differences of the gradient.
 */
import { describe, expect, it } from "vitest";
import { build, buildProject } from "./harness/build.ts";
import { centralDifferences, clone, differenceAlong, flatten, maxRelError, randomMatrix, randomVector, rng } from "./harness/numeric.ts";

const source = `
export interface Net {
  W1: number[][];
  b1: number[];
  w2: number[];
  b2: number;
}

function hidden(p: Net, x: readonly number[], h: number[]): void {
  for (let i = 0; i < p.b1.length; i++) {
    let z = p.b1[i];
    const row = p.W1[i];
    for (let j = 0; j < x.length; j++) z += row[j] * x[j];
    h[i] = Math.tanh(z);
  }
}

/**
 * @grad p
 * @hessian p
 */
export function loss(p: Net, x: readonly number[], target: number): number {
  const h = new Array(p.b1.length).fill(0);
  hidden(p, x, h);
  let out = p.b2;
  const w = p.w2;
  for (let i = 0; i < h.length; i++) out += w[i] * h[i];
  return 0.5 * (out - target) ** 2;
}

type Point = { x: number; y: number };

/** @grad a, b */
export function distance(a: Point, b: { x: number; y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
`;

const next = rng(3);

describe("object parameters", () => {
  it("gradient of a network loss has the shape of its parameter object", async () => {
    const { source: src, generated } = await build(source);
    const p = { W1: randomMatrix(3, 2, next), b1: randomVector(3, next), w2: randomVector(3, next), b2: 0.1 };
    type Params = typeof p;
    const x = randomVector(2, next);
    const loss = src.loss as (p: unknown, x: number[], t: number) => number;
    const g = (generated.lossGrad as (p: unknown, x: number[], t: number) => { value: number; grad: { p: Params } })(p, x, 0.3);
    expect(g.value).toBe(loss(p, x, 0.3));
    expect(Object.keys(g.grad.p)).toEqual(["W1", "b1", "w2", "b2"]);
    expect(g.grad.p.W1.map((r) => r.length)).toEqual([2, 2, 2]);
    // Finite differences over the flattened object, in field order.
    const flat = flatten(p);
    /** The parameter object whose fields, in order, hold `values`. */
    const unflatten = (values: number[]): Params => {
      let k = 0;
      const q = clone(p);
      q.W1 = q.W1.map((r) => r.map(() => values[k++]!));
      q.b1 = q.b1.map(() => values[k++]!);
      q.w2 = q.w2.map(() => values[k++]!);
      q.b2 = values[k++]!;
      return q;
    };
    const fd = centralDifferences((v) => loss(unflatten(v as number[]), x, 0.3), [flat], [0]);
    expect(maxRelError(flatten(g.grad.p), fd[0]!)).toBeLessThan(1e-6);
    const { hessian } = (generated.lossHessian as (p: unknown, x: number[], t: number) => { hessian: number[][] })(p, x, 0.3);
    expect(hessian).toHaveLength(flat.length);
    for (let i = 0; i < flat.length; i++) for (let j = 0; j < i; j++) expect(hessian[i]![j]).toBe(hessian[j]![i]);
    // Column k of H against differences of the gradient along e_k.
    const h = 1e-6;
    for (const k of [0, 4, 8, flat.length - 1]) {
      const at = (t: number) => {
        const values = flat.slice();
        values[k] += t;
        return flatten((generated.lossGrad as (p: unknown, x: number[], t: number) => { grad: { p: unknown } })(unflatten(values), x, 0.3).grad.p);
      };
      expect(maxRelError(hessian.map((row) => row[k]!), differenceAlong(at, h))).toBeLessThan(1e-6);
    }
  });

  it("type aliases and type literals work as parameter types", async () => {
    const { generated } = await build(source);
    const g = (generated.distanceGrad as (a: unknown, b: unknown) => { grad: { a: { x: number; y: number }; b: { x: number; y: number } } })({ x: 1, y: 2 }, { x: 4, y: 6 });
    expect(g.grad.a).toEqual({ x: -0.6, y: -0.8 });
    expect(g.grad.b).toEqual({ x: 0.6, y: 0.8 });
  });
});

describe("type aliases in signatures", () => {
  it("spells out an alias the module keeps private or imports, and imports one it exports", async () => {
    const built = await buildProject(
      {
        "types.ts": "export type Row = readonly number[];\n",
        "input.ts": `import type { Row } from "./types.ts";
type Vec = readonly number[];
export type Mat = readonly (readonly number[])[];

/** @grad x, y */
export function g(x: Vec, y: Row, A: Mat): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += A[i][i] * x[i] * y[i];
  return s;
}
`,
      },
      "input.ts",
    );
    expect(built.text.replace(/\s+/g, " ")).toContain("export function gGrad( x: readonly number[], y: readonly number[], A: Mat, )");
    expect(built.text).toContain('import type { Mat } from "./input.ts";'); // the source's own imports say .ts
    const x = [0.5, -1, 2];
    const y = [1, 2, 3];
    const A = [[1, 0, 0], [0, 2, 0], [0, 0, 3]];
    const { grad } = (built.generated["gGrad"] as (...a: unknown[]) => { grad: { x: number[]; y: number[] } })(x, y, A);
    expect(grad.x).toEqual([1, 4, 9]);
    expect(grad.y).toEqual([0.5, -2, 6]);
  });
});
