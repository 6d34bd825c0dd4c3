/**
 * Empty iterations of triangular nests left out (compiler/transform/trim.ts): the last
 * column of a triangle has no row below it, so the outer loop stops one column early (its
 * reverse starts one column later) when that iteration does nothing else. Values and
 * derivatives equal the build with the pass off (`{ trim: false }`) bit for bit, and match
 * the tape, central differences and forward mode. An iteration that does something besides
 * its inner loop (a write before it, an increment after it that is not `x -= 0`) stays.
 */
import { describe, expect, it } from "vitest";
import { build, generatedFunction } from "./harness/build.ts";
import { expectSameTriangular, TRIANGULAR as triangular } from "./harness/triangular.ts";
import { centralDifferences, maxRelError, randomVector, rng } from "./harness/numeric.ts";

/**
 * Nests in the user's code (forward mode keeps their shape). \`down\`, \`downStrict\` and
 * \`twoBelow\` count down with 1, 1 and 2 empty columns first; the others must keep every
 * column: \`sumBefore\` adds before its inner loop, \`carried\` subtracts a sum that starts
 * at x[c], \`signedZero\` adds a sum that is still 0 into -0 (which makes it +0), and the
 * inner loops of \`wide\` and \`wider\` reach one step past the outer one's.
 */
const nests = `/** @jvp x */
export function down(x: readonly number[]): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let c = n - 1; c >= 0; c--) {
    let s = 0;
    for (let r = n - 1; r >= c + 1; r--) s += Math.sin(x[r] * x[c]);
    y[c] -= s;
  }
  let out = 0;
  for (let i = 0; i < n; i++) out += (1 + y[i]) * (1 + y[i]) * x[i];
  return out;
}

/** @jvp x */
export function downStrict(x: readonly number[]): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let c = n - 1; c >= 0; c--) {
    let s = 0;
    for (let r = n - 1; r > c; r--) s += x[r] * Math.cos(x[c]);
    y[c] -= s;
  }
  let out = 0;
  for (let i = 0; i < n; i++) out += Math.exp(y[i]) * x[i];
  return out;
}

/** @jvp x */
export function twoBelow(x: readonly number[]): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let c = 0; c < n; c++) {
    const xc = x[c];
    for (let r = c + 2; r < n; r++) y[r] += Math.sin(xc * x[r - 1] + y[r]);
  }
  let out = 0;
  for (let i = 0; i < n; i++) out += y[i] * x[i];
  return out;
}

/** @jvp x */
export function sumBefore(x: readonly number[]): number {
  const n = x.length;
  let total = 0;
  for (let c = 0; c < n; c++) {
    total += x[c] * x[c];
    for (let r = c + 1; r < n; r++) total += x[r] * x[c];
  }
  return total;
}

/** @jvp x */
export function carried(x: readonly number[]): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let c = n - 1; c >= 0; c--) {
    let s = x[c];
    for (let r = n - 1; r >= c + 1; r--) s += x[r] * x[c];
    y[c] -= s;
  }
  let out = 0;
  for (let i = 0; i < n; i++) out += (1 + y[i]) * (1 + y[i]) * x[i];
  return out;
}

/** @jvp x */
export function signedZero(x: readonly number[]): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let i = 0; i < n; i++) y[i] = -0 * Math.exp(x[i]);
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let r = c + 1; r < n; r++) s += x[r] * x[c];
    y[c] += s;
  }
  return Math.atan2(y[n - 1], -1) + y[0] * x[0];
}

/** @jvp x */
export function wide(x: readonly number[]): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let c = n - 1; c >= 0; c--) {
    let s = 0;
    for (let r = n; r >= c + 1; r--) s += x[r - 1] * x[c];
    y[c] -= s;
  }
  let out = 0;
  for (let i = 0; i < n; i++) out += (1 + y[i]) * (1 + y[i]) * x[i];
  return out;
}

/** @jvp x */
export function wider(x: readonly number[]): number {
  const n = x.length;
  let total = 0;
  for (let c = 0; c < n; c++) {
    const xc = x[c];
    for (let r = c + 1; r < n + 1; r++) total += Math.sin(x[r - 1] * xc);
  }
  return total;
}
`;

type Jvp = (x: number[], t: { x: number[] }) => { value: number; tangent: number };

const next = rng(2430);

describe("empty iterations of triangular nests", () => {
  for (const jam of [true, false]) {
    it(`leaves out the triangle's last column and its reverse's first, with the gradient bit for bit the same (jam: ${jam})`, async () => {
      const on = await build(triangular, { jam });
      const off = await build(triangular, { jam, trim: false });
      const code = generatedFunction(on.text, "triangularGradInto", false);
      if (jam) {
        // The pairs of columns (transform/jam.ts) stop before the last column, and so does the column left alone.
        expect(code).toMatch(/for \(; col < D - 1 && col \+ 1 < D - 1; col \+= 2\)/);
        expect(code).toMatch(/if \(col < D - 1\) \{/);
      } else expect(code).toMatch(/for \(let col = 0; col < D - 1; col\+\+\)/);
      expect(code).toMatch(/let col = D - 2;/);
      expect(code).not.toMatch(/col = D - 1/);
      expect(generatedFunction(off.text, "triangularGradInto", false)).toMatch(/col = D - 1/);
      for (const D of [1, 2, 3, 6]) await expectSameTriangular(on, off, D, next, jam);
    });
  }

  it("trims the user's own nests counting down (k empty columns first) and up, and keeps every column of one that does something else", async () => {
    const on = await build(nests, { jam: false });
    const off = await build(nests, { jam: false, trim: false });
    const jvp = (name: string) => generatedFunction(on.text, `${name}Jvp`, false);
    expect(jvp("down")).toMatch(/for \(let c = n - 2; c >= 0; c--\)/);
    expect(jvp("downStrict")).toMatch(/for \(let c = n - 2; c >= 0; c--\)/);
    expect(jvp("twoBelow")).toMatch(/for \(let c = 0; c < n - 2; c\+\+\)/);
    expect(jvp("sumBefore")).toMatch(/for \(let c = 0; c < n; c\+\+\)/);
    expect(jvp("carried")).toMatch(/for \(let c = n - 1; c >= 0; c--\)/);
    expect(jvp("signedZero")).toMatch(/for \(let c = 0; c < n; c\+\+\)/);
    expect(jvp("wide")).toMatch(/for \(let c = n - 1; c >= 0; c--\)/);
    expect(jvp("wider")).toMatch(/for \(let c = 0; c < n; c\+\+\)/);
    for (const name of ["down", "downStrict", "twoBelow", "sumBefore", "carried", "signedZero", "wide", "wider"]) {
      const f = on.source[name] as (x: number[]) => number;
      for (const n of [1, 2, 3, 6]) {
        const x = randomVector(n, next).map((v) => Math.abs(v) + 0.1);
        const t = randomVector(n, next);
        const a = (on.generated[`${name}Jvp`] as Jvp)(x, { x: t });
        const b = (off.generated[`${name}Jvp`] as Jvp)(x, { x: t });
        expect(a.value).toBe(f(x));
        expect(a.tangent).toBe(b.tangent);
        const fd = centralDifferences(f as (...a: unknown[]) => number, [x], [0])[0]!;
        expect(maxRelError([a.tangent], [fd.reduce((s, g, i) => s + g * t[i]!, 0)])).toBeLessThan(1e-6);
      }
    }
  });
});
