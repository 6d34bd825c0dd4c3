/**
 * fGradInto and fHvpInto overwrite their buffers (compiler/transform/overwrite.ts): the
 * first addition into a buffer becomes an assignment where it provably sets every element
 * once before anything reads it, and the buffer is cleared with `.fill(0)` otherwise. Each
 * case is checked numerically (checkGradientAndHvp calls the Into forms with buffers full
 * of NaN, against the tape and differences) and by the text: set or cleared, as expected.
 */
import { describe, expect, it } from "vitest";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { randomMatrix, randomVector, rng } from "./harness/numeric.ts";
import { mapShape } from "./harness/shapes.ts";

const next = rng(20261129);

const vec = (n: number) => () => [randomVector(n, next)];
const cases: { name: string; fn: string; source: string; args: () => unknown[]; wrt: string[]; set: RegExp[]; cleared: string[] }[] = [
  {
    name: "a loop over every index, counting down in the reverse sweep: set",
    fn: "bump",
    source: `/** @grad x @hvp x */
export function bump(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return -Math.exp(-s);
}`,
    args: vec(5),
    wrt: ["x"],
    set: [/x_bar\[i\] = /, /x_bar_dot\[i\] = /],
    cleared: [],
  },
  {
    name: "the last loop fused with its reverse, counting up: set",
    fn: "sumSquares",
    source: `/** @grad x @hvp x */
export function sumSquares(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const t = Math.sin(x[i]);
    s += t * t;
  }
  return s;
}`,
    args: vec(5),
    wrt: ["x"],
    set: [/x_bar\[i\] = /],
    cleared: [],
  },
  {
    name: "a loop that skips the first index: cleared",
    fn: "tail",
    source: `/** @grad x @hvp x */
export function tail(x: readonly number[]): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += x[i] * x[i] * x[i];
  return s;
}`,
    args: vec(5),
    wrt: ["x"],
    set: [],
    cleared: ["x_bar"],
  },
  {
    name: "two additions per iteration (neighbours): cleared",
    fn: "chain",
    source: `/** @grad x @hvp x */
export function chain(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const d = x[i + 1] - x[i] * x[i];
    s += d * d;
  }
  return s;
}`,
    args: vec(5),
    wrt: ["x"],
    set: [],
    cleared: ["x_bar"],
  },
  {
    name: "an addition under a condition: cleared",
    fn: "positive",
    source: `/** @grad x @hvp x */
export function positive(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 0) s += x[i] * x[i];
  }
  return s;
}`,
    args: () => [[0.3, -0.2, 0.9, -1.1, 0.5]],
    wrt: ["x"],
    set: [],
    cleared: ["x_bar"],
  },
  {
    name: "a loop bounded by another array's length: cleared",
    fn: "weighted",
    source: `/** @grad x @hvp x */
export function weighted(x: readonly number[], w: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * x[i] * x[i];
  return s;
}`,
    args: () => [randomVector(4, next), randomVector(3, next)],
    wrt: ["x"],
    set: [],
    cleared: ["x_bar"],
  },
  {
    name: "the same element added into twice (two loops): the first set, the second adds",
    fn: "twice",
    source: `/** @grad x @hvp x */
export function twice(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.sin(x[i]);
  let t = 0;
  for (let i = 0; i < x.length; i++) t += x[i] * x[i];
  return s * t;
}`,
    args: vec(4),
    wrt: ["x"],
    set: [/x_bar\[i\] = /, /x_bar\[i_1\] \+= |x_bar\[i\] \+= /],
    cleared: [],
  },
  {
    name: "a matrix and a scalar: the matrix cleared row by row, the scalar set",
    fn: "bilinear",
    source: `/** @grad A, c @hvp A, c */
export function bilinear(A: readonly (readonly number[])[], c: number, x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) {
    for (let j = 0; j < x.length; j++) s += A[i][j] * x[j];
  }
  return c * s * s;
}`,
    args: () => [randomMatrix(3, 4, next), 0.7, randomVector(4, next)],
    wrt: ["A", "c"],
    set: [/grad\.c = /],
    cleared: ["A_bar\\[i_?\\d*\\]"],
  },
  {
    // The seeding runs before a fused loop, so the exp it shares with the value must be computed there too.
    name: "a fused loop after a result's costly call its seeding reads: the call comes first, both buffers set",
    fn: "shifted",
    source: `/** @grad x, c @hvp x, c */
export function shifted(x: readonly number[], c: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.exp(c) + s;
}`,
    args: () => [randomVector(4, next), 0.3],
    wrt: ["x", "c"],
    set: [/x_bar\[i\] = /, /grad\.c = /, /const _t\d+ = Math\.exp\(c\);[\s\S]*for \(/],
    cleared: [],
  },
];

describe("overwriting entry points", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const built = await build(c.source);
      const args = c.args();
      let k = 0;
      const v = Object.fromEntries(c.wrt.map((name, at) => [name, mapShape(args[at], () => Math.cos(++k))]));
      await checkGradientAndHvp(built, c.fn, args, c.wrt, v);
      const text = generatedFunction(built.text, `${c.fn}GradInto`, false) + generatedFunction(built.text, `${c.fn}HvpInto`, false);
      for (const pattern of c.set) expect(text).toMatch(pattern);
      for (const name of c.cleared) expect(text).toMatch(new RegExp(`${name}\\.fill\\(0\\)`));
      if (c.cleared.length === 0) expect(text).not.toMatch(/\.fill\(0\)/);
    });
  }
});
