/**
 * Small innermost loops inside other loops unrolled by two (compiler/transform/unroll.ts):
 * pairs of iterations while the next two are both due, then at most one alone. Values and
 * derivatives equal the build with the pass off (`{ unroll: false }`) bit for bit, for
 * trip counts 0 to 7 (even and odd), counting up (`<`, `<=`) and down (`>`, `>=`), forward
 * and reverse mode, and match the tape and central differences. A loop whose bound the body
 * changes, one with a larger body, one that is not inside another loop and one that calls a
 * function stay as they are.
 */
import { describe, expect, it } from "vitest";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { expectSameTriangular, TRIANGULAR as triangular } from "./harness/triangular.ts";
import { centralDifferences, flatten, maxRelError, randomMatrix, randomVector, rng } from "./harness/numeric.ts";

const next = rng(2432);

/**
 * `nest`: three inner loops of a row loop, counting up with `<` and `<=` and down with `>`
 * (its reverse counts down with `>=`). `kept`: a top-level loop; an inner loop whose body
 * lowers its own bound (`lim[0] -= 3`: paired, the second iteration would run although the
 * first made its test false); one of five statements; one calling a helper.
 */
const loops = `/**
 * @grad x, A
 * @jvp x, A
 * @hvp x, A
 */
export function nest(x: readonly number[], A: readonly (readonly number[])[]): number {
  const n = x.length;
  let total = 0;
  for (let i = 0; i < A.length; i++) {
    const row = A[i];
    let s = 0;
    for (let j = 0; j < n; j++) s += row[j] * x[j];
    let t = 0;
    for (let j = 1; j <= n - 1; j++) t += row[j] * row[j - 1];
    let u = 0;
    for (let j = n - 1; j > 0; j--) u += Math.sin(x[j]) * row[j];
    total += s * s + t + u;
  }
  return total;
}

/** @noinline */
function cube(v: number): number {
  return v * v * v;
}

/**
 * @grad x
 * @jvp x
 */
export function kept(x: readonly number[]): number {
  let total = 0;
  for (let j = 0; j < x.length; j++) total += x[j] * x[j];
  for (let i = 0; i < 3; i++) {
    const lim = [x.length];
    let s = 0;
    for (let j = 0; j < lim[0]; j++) {
      s += x[j] * (i + 1);
      lim[0] -= 3;
    }
    let w = 0;
    for (let j = 0; j < x.length; j++) {
      const a = x[j] * 2;
      const b = a * x[j];
      const c = b + a;
      const d = c * c;
      w += d;
    }
    let h = 0;
    for (let j = 0; j < x.length; j++) h += cube(x[j]);
    total += s * w + h;
  }
  return total;
}
`;

type Grad = (...args: unknown[]) => { value: number; grad: Record<string, unknown> };
type Jvp = (...args: unknown[]) => { value: number; tangent: number };

describe("small inner loops unrolled by two", () => {
  it("pairs the iterations of inner loops counting up and down, forward and reverse, with values and derivatives bit for bit the same", async () => {
    const on = await build(loops);
    const off = await build(loops, { unroll: false });
    const grad = generatedFunction(on.text, "nestGradInto", false);
    expect(grad).toMatch(/let j = 0;\s*for \(; j \+ 1 < n; j \+= 2\) \{\s*s \+= row\[j\] \* x\[j\];\s*const j_\d+ = j \+ 1;\s*s \+= row\[j_\d+\] \* x\[j_\d+\];\s*\}\s*if \(j < n\) \{\s*s \+= row\[j\] \* x\[j\];\s*\}/);
    expect(grad).toMatch(/for \(; j \+ 1 <= n - 1; j \+= 2\)/);
    expect(grad).toMatch(/for \(; j - 1 > 0; j -= 2\) \{[\s\S]*?const j_\d+ = j - 1;[\s\S]*?\}\s*if \(j > 0\) \{/);
    expect(grad).toMatch(/for \(; j - 1 >= 0; j -= 2\)/);
    // The second copy's locals renamed; its comments left to the first.
    expect(grad).toMatch(/const _t0 = Math\.sin\(x\[j\]\);[\s\S]*const _t0_1 = Math\.sin\(x\[j_\d+\]\);/);
    expect(grad).toMatch(/const (j_\d+) = j \+ 1;\s*t \+= row\[\1\] \* row\[\1 - 1\];\s*row_bar\[\1\] \+=/);
    expect(generatedFunction(on.text, "nestJvp", false)).toMatch(/for \(; j \+ 1 < n; j \+= 2\)/);
    // The row loop itself (not inside another loop) runs one row per trip.
    expect(grad).toMatch(/for \(let i = 0; i < A\.length; i\+\+\)/);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const x = randomVector(n, next);
      const A = randomMatrix(3, n, next);
      const a = (on.generated.nestGrad as Grad)(x, A);
      const b = (off.generated.nestGrad as Grad)(x, A);
      expect(a.value).toBe(b.value);
      expect(a.value).toBe((on.source.nest as (...a: unknown[]) => number)(x, A));
      expect(flatten(a.grad.x)).toEqual(flatten(b.grad.x));
      expect(flatten(a.grad.A)).toEqual(flatten(b.grad.A));
      const tx = randomVector(n, next);
      const tA = randomMatrix(3, n, next);
      const ja = (on.generated.nestJvp as Jvp)(x, A, { x: tx, A: tA });
      const jb = (off.generated.nestJvp as Jvp)(x, A, { x: tx, A: tA });
      expect(ja.value).toBe(jb.value);
      expect(ja.tangent).toBe(jb.tangent);
      if (n === 2 || n === 5) await checkGradientAndHvp(on, "nest", [x, A], ["x", "A"], { x: tx, A: tA });
    }
  });

  it("leaves a loop whose body changes its bound, a larger body, a top-level loop and a loop that calls a function", async () => {
    const on = await build(loops);
    const off = await build(loops, { unroll: false });
    const jvp = generatedFunction(on.text, "keptJvp", false);
    // (forward mode inlines cube, so that loop is paired there; the gradient calls it)
    expect(jvp).toMatch(/for \(let j = 0; j < lim\[0\]; j\+\+\)/);
    expect(jvp).toMatch(/for \(let j = 0; j < x\.length; j\+\+\) \{\s*const a = /);
    expect(jvp).toMatch(/for \(let j = 0; j < x\.length; j\+\+\) \{\s*total_dot \+=/);
    expect(generatedFunction(on.text, "keptGradInto", false)).toBe(generatedFunction(off.text, "keptGradInto", false));
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const x = randomVector(n, next);
      const t = randomVector(n, next);
      const f = on.source.kept as (x: number[]) => number;
      const a = (on.generated.keptJvp as Jvp)(x, { x: t });
      const b = (off.generated.keptJvp as Jvp)(x, { x: t });
      expect(a.value).toBe(f(x));
      expect(a.tangent).toBe(b.tangent);
      const g = (on.generated.keptGrad as Grad)(x);
      expect(g.value).toBe(f(x));
      if (n > 0) {
        const fd = centralDifferences(f as (...a: unknown[]) => number, [x], [0])[0]!;
        expect(maxRelError([a.tangent], [fd.reduce((s, d, i) => s + d * t[i]!, 0)])).toBeLessThan(1e-6);
        expect(maxRelError(flatten(g.grad.x), fd)).toBeLessThan(1e-6);
      }
    }
  });

  it("unrolls GMM's loops over one component's coordinates, forward and reverse, bit for bit", async () => {
    const on = await build(triangular);
    const off = await build(triangular, { unroll: false });
    const code = generatedFunction(on.text, "triangularGradInto", false);
    expect(code).toMatch(/for \(; j \+ 1 < D; j \+= 2\) \{\s*const _t1 = Math\.exp\(w\[j\]\);\s*saved\[savedTop\+\+\] = _t1;\s*buf\[j\] = /);
    expect(code).toMatch(/for \(; j - 1 >= 0; j -= 2\)/);
    // The triangle's rows below a column left alone (transform/jam.ts), and the column left alone.
    expect(code).toMatch(/for \(; row - 1 >= col \+ 1; row -= 2\)/);
    for (const D of [1, 2, 3, 4, 5, 6]) await expectSameTriangular(on, off, D, next, D === 2 || D === 5);
  });
});
