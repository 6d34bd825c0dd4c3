/**
 * Unroll-and-jam (compiler/transform/jam.ts): a generated loop nest whose inner loop sums
 * into a scalar runs two outer iterations at once, so two independent sums advance per
 * inner step (GMM's reverse triangular product: `centered_bar` per column). Each copy adds
 * the same terms in the same order: values and derivatives equal the build with the pass
 * off (`{ jam: false }`) bit for bit, and match the tape, central differences and forward
 * mode. A nest whose iterations see each other's writes is left alone, and so is one whose
 * copies could add into one element at different steps (their index ranges not provably
 * apart, or two arrays that may be one).
 */
import { describe, expect, it } from "vitest";
import { build, generatedFunction } from "./harness/build.ts";
import { expectSameTriangular, TRIANGULAR as triangular } from "./harness/triangular.ts";
import { centralDifferences, flatten, maxRelError, randomMatrix, randomVector, rng } from "./harness/numeric.ts";

/** A nest in the user's code: forward mode's tangent sums are chains too. \`independent\`: iteration c adds into y[c] only; \`dependent\`: it reads what later iterations wrote. */
const nests = `/** @jvp x */
export function independent(x: readonly number[]): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let c = n - 1; c >= 0; c--) {
    let s = 0;
    for (let r = n - 1; r >= c + 1; r--) s += Math.sin(x[r] * x[c]);
    y[c] += s * s;
  }
  let out = 0;
  for (let i = 0; i < n; i++) out += y[i] * x[i];
  return out;
}

/** @jvp x */
export function dependent(x: readonly number[]): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let c = n - 1; c >= 0; c--) {
    let s = 0;
    for (let r = n - 1; r >= c + 1; r--) s += Math.sin(y[r] + x[r] * x[c]);
    y[c] += s + x[c];
  }
  let out = 0;
  for (let i = 0; i < n; i++) out += y[i] * x[i];
  return out;
}
`;

/** A search after the sum (GradBench kmeans' closest centroid): the copies' comparisons run in order after both sums. \`chained\`: the sum reads what the code after it writes. */
const searches = `/** @jvp x */
export function nearest(x: readonly number[], c: readonly (readonly number[])[]): number {
  let best = 0;
  let closest = Infinity;
  for (let j = 0; j < c.length; j++) {
    let dist = 0;
    for (let l = 0; l < x.length; l++) {
      const d = x[l] - c[j][l];
      dist += d * d;
    }
    if (dist < closest) {
      closest = dist;
      best = j;
    }
  }
  let out = 0;
  for (let l = 0; l < x.length; l++) out += Math.sin(x[l] * c[best][l]);
  return out + closest;
}

/** @jvp x */
export function chained(x: readonly number[], c: readonly (readonly number[])[]): number {
  let acc = 1;
  for (let j = 0; j < c.length; j++) {
    let s = 0;
    for (let l = 0; l < x.length; l++) s += x[l] * c[j][l] * acc;
    acc = Math.cos(s);
  }
  return acc;
}
`;

/** Two nests like the triangle's whose reverse must stay one column at a time. `overlapping`: column c adds into w[c + row], which column c - 1 reaches too. `otherRow`: the reverse adds into two rows of c's gradient, the same array when j = k (here K = 1). */
const unsafe = `/** @grad w, c */
export function overlapping(w: readonly number[], c: readonly (readonly number[])[], x: readonly number[]): number {
  const D = x.length;
  const buf = new Array(D).fill(0);
  let total = 0;
  for (let k = 0; k < c.length; k++) {
    for (let j = 0; j < D; j++) buf[j] = Math.exp(w[j]) * (x[j] - c[k][j]);
    for (let col = 0; col < D; col++) {
      const first = col;
      const centered = x[col] - c[k][col];
      for (let row = col + 1; row < D; row++) buf[row] += w[first + row] * centered;
    }
    let sq = 0;
    for (let j = 0; j < D; j++) sq += buf[j] * buf[j];
    total += Math.log(1 + sq);
  }
  return total;
}

/** @grad w, c */
export function otherRow(w: readonly number[], c: readonly (readonly number[])[], x: readonly number[]): number {
  const D = x.length;
  const buf = new Array(D).fill(0);
  let total = 0;
  for (let k = 0; k < c.length; k++) {
    const ck = c[k];
    const cj = c[(k + 1) % c.length];
    for (let j = 0; j < D; j++) buf[j] = Math.exp(w[j]) * (x[j] - ck[j]);
    for (let col = 0; col < D; col++) {
      const first = D + (col * (2 * D - col - 1)) / 2 - col - 1;
      const centered = x[col] - ck[col];
      for (let row = col + 1; row < D; row++) buf[row] += w[first + row] * centered * cj[row];
    }
    let sq = 0;
    for (let j = 0; j < D; j++) sq += buf[j] * buf[j];
    total += Math.log(1 + sq);
  }
  return total;
}
`;

/** The triangle in a shared pullback (`@noinline`), called once with the same array for both arguments: its gradient buffer's fields are then one array. */
const viaHelper = `/** @noinline */
function triangle(w: readonly number[], ck: readonly number[], x: readonly number[]): number {
  const D = x.length;
  const buf = new Array(D).fill(0);
  for (let j = 0; j < D; j++) buf[j] = Math.exp(w[j]) * (x[j] - ck[j]);
  for (let col = 0; col < D; col++) {
    const first = D + (col * (2 * D - col - 1)) / 2 - col - 1;
    const centered = x[col] - ck[col];
    for (let row = col + 1; row < D; row++) buf[row] += w[first + row] * centered;
  }
  let sq = 0;
  for (let j = 0; j < D; j++) sq += buf[j] * buf[j];
  return Math.log(1 + sq);
}

/** @grad w, c */
export function viaHelper(w: readonly number[], c: readonly (readonly number[])[], x: readonly number[]): number {
  let total = triangle(w, w, x);
  for (let k = 0; k < c.length; k++) total += triangle(w, c[k], x);
  return total;
}
`;

type Grad = (...a: unknown[]) => { value: number; grad: Record<string, unknown> };
type Jvp = (x: number[], t: { x: number[] }) => { value: number; tangent: number };

const next = rng(2424);

describe("unroll-and-jam", () => {
  it("runs two columns of the triangular product together, and two columns of its reverse (whose elements never meet), with the gradient bit for bit the same", async () => {
    const on = await build(triangular);
    const off = await build(triangular, { jam: false });
    const code = generatedFunction(on.text, "triangularGradInto", false);
    // The pairs: the first column's first row alone, then both columns' rows in step; then what is left (an odd column count).
    // (the last column, with no row below it, left out: transform/trim.ts)
    expect(code).toMatch(/for \(; col < D - 1 && col \+ 1 < D - 1; col \+= 2\) \{\s*const col_1 = col \+ 1;/);
    expect(code).toMatch(/let row = col \+ 1;\s*if \(row < D\) \{\s*buf\[row\] \+= w\[first \+ row\] \* centered;\s*\}\s*row\+\+;/);
    expect(code).toMatch(/buf\[row\] \+= w\[first \+ row\] \* centered;\s*buf\[row\] \+= w\[first_1 \+ row\] \* centered_1;/);
    // The reverse adds into w_bar[first + row]: column c's elements end one below where column c - 1's begin
    // (first is a polynomial of col), and w_bar, the gradient's field w, shares no storage with c's gradient,
    // the arguments or buf_bar. Both columns' rows in step, then each column's rest alone.
    expect(code).toMatch(/for \(; col >= 0 && col - 1 >= 0; col -= 2\) \{\s*const col_\d = col - 1;/);
    expect(code).toMatch(/w_bar\[first \+ row\] \+= _t\d+ \* centered;\s*centered_bar \+= _t\d+ \* w\[first \+ row\];\s*w_bar\[first_\d \+ row\] \+= _t\d+ \* centered_\d;\s*centered_bar_1 \+= _t\d+ \* w\[first_\d \+ row\];/);
    // What the pairs leave is at most one column, forward and reverse: an if, not a loop.
    expect(code).toMatch(/\}\s*if \(col < D - 1\) \{\s*const first = /);
    expect(code).toMatch(/\}\s*if \(col >= 0\) \{\s*const first = /);
    expect(code).not.toMatch(/col\+\+\)|col--\)/);
    expect(generatedFunction(off.text, "triangularGradInto", false)).not.toMatch(/col_1/);
    for (const D of [1, 2, 5, 6]) await expectSameTriangular(on, off, D, next, true);
  });

  it("leaves the reverse one column at a time where the columns' elements may meet, where it adds into two rows of one gradient field, and in a shared pullback", async () => {
    const on = await build(unsafe + viaHelper);
    const off = await build(unsafe + viaHelper, { jam: false });
    for (const name of ["overlapping", "otherRow"]) {
      const code = generatedFunction(on.text, `${name}GradInto`, false);
      expect(code).toMatch(/col_1/); // the forward's sums, two columns at a time
      expect(code).not.toMatch(/centered_bar_1/);
    }
    const pullback = /function trianglePullback\w*\([\s\S]*?\n\}\n/.exec(on.text)![0];
    expect(pullback).toMatch(/col_1/);
    expect(pullback).not.toMatch(/centered_bar_1/);
    for (const name of ["overlapping", "otherRow", "viaHelper"]) {
      for (const [K, D] of [[1, 5], [3, 6]] as const) {
        const args = [randomVector((D * (D + 1)) / 2, next, 0.5), randomMatrix(K, D, next), randomVector(D, next)];
        const a = (on.generated[`${name}Grad`] as Grad)(...args);
        const b = (off.generated[`${name}Grad`] as Grad)(...args);
        expect(a.value).toBe(b.value);
        expect(flatten(a.grad.w)).toEqual(flatten(b.grad.w));
        expect(flatten(a.grad.c)).toEqual(flatten(b.grad.c));
        const f = on.source[name] as (...a: unknown[]) => number;
        const fd = centralDifferences(f, args, [0, 1]);
        expect(maxRelError(flatten(a.grad.w), fd[0]!)).toBeLessThan(1e-6);
        expect(maxRelError(flatten(a.grad.c), fd[1]!)).toBeLessThan(1e-6);
      }
    }
  });

  it("jams forward mode's tangent sums where the iterations are independent, and leaves a nest whose iterations read each other's writes", async () => {
    const on = await build(nests);
    const off = await build(nests, { jam: false });
    expect(generatedFunction(on.text, "independentJvp", false)).toMatch(/for \(; c >= 0 && c - 1 >= 0; c -= 2\)/);
    expect(generatedFunction(on.text, "dependentJvp", false)).not.toMatch(/c_1/);
    for (const name of ["independent", "dependent"]) {
      const f = on.source[name] as (x: number[]) => number;
      for (const n of [1, 4, 7]) {
        const x = randomVector(n, next);
        const t = randomVector(n, next);
        const a = (on.generated[`${name}Jvp`] as Jvp)(x, { x: t });
        const b = (off.generated[`${name}Jvp`] as Jvp)(x, { x: t });
        expect(a.value).toBe(f(x));
        expect(a.tangent).toBe(b.tangent);
        const fd = centralDifferences(f as (...a: unknown[]) => number, [x], [0])[0]!;
        const along = fd.reduce((s, g, i) => s + g * t[i]!, 0);
        expect(maxRelError([a.tangent], [along])).toBeLessThan(1e-6);
      }
    }
  });

  it("jams a search whose comparisons come after the sum, and leaves a sum that reads what the code after it writes", async () => {
    const on = await build(searches);
    const off = await build(searches, { jam: false });
    expect(generatedFunction(on.text, "nearestJvp", false)).toMatch(/for \(; j < c\.length && j \+ 1 < c\.length; j \+= 2\)[\s\S]*if \(dist < closest\)[\s\S]*if \(dist_1 < closest\)/);
    expect(generatedFunction(on.text, "chainedJvp", false)).not.toMatch(/j_1/);
    for (const name of ["nearest", "chained"]) {
      const f = on.source[name] as (x: number[], c: number[][]) => number;
      for (const k of [1, 4, 7]) {
        const x = randomVector(5, next);
        const c = randomMatrix(k, 5, next);
        const t = randomVector(5, next);
        type Jvp2 = (x: number[], c: number[][], t: { x: number[] }) => { value: number; tangent: number };
        const a = (on.generated[`${name}Jvp`] as Jvp2)(x, c, { x: t });
        const b = (off.generated[`${name}Jvp`] as Jvp2)(x, c, { x: t });
        expect(a.value).toBe(f(x, c));
        expect(a.tangent).toBe(b.tangent);
        const fd = centralDifferences(((xx: number[]) => f(xx, c)) as (...a: unknown[]) => number, [x], [0])[0]!;
        expect(maxRelError([a.tangent], [fd.reduce((s, g, i) => s + g * t[i]!, 0)])).toBeLessThan(1e-6);
      }
    }
  });
});
