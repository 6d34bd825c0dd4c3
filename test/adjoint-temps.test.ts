/**
 * Temporaries of an expression's adjoint (transform/reverse/expressions.ts, applyRule): an
 * argument the partials mention more than once is evaluated once into a temporary; once an
 * argument is bound, the partials are read anew, so an argument that only the bound one
 * contained is mentioned once and stays written out. Checked in the generated text, and the
 * derivatives against the tape and central differences. An argument whose JSON is longer
 * than every partial's is not written out (textAtMost: never wrong about that length).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { Expr } from "../compiler/ir/nodes.ts";
import { textAtMost } from "../compiler/transform/reverse/expressions.ts";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";

const source = `/**
 * @grad u, v
 * @hvp u, v
 */
export function f(u: number, v: number): number {
  return Math.exp(u + v) * (u + v);
}
`;

describe("an expression adjoint's temporaries", () => {
  it("bind exp(u + v), which the partials read twice, and not u + v, which only exp(u + v) held", async () => {
    const built = await build(source);
    const grad = generatedFunction(built.text, "fGradInto", false);
    expect(grad).toContain("const _t0 = Math.exp(u + v);");
    // (u + v) is read once more, by the partial of exp(u + v)'s factor: no temporary of its own.
    expect(grad).toContain("const _t1 = (u + v) * _t0;");
    expect(grad).not.toMatch(/const _t\d+ = u \+ v;/);
    await checkGradientAndHvp(built, "f", [0.3, -0.7], ["u", "v"], { u: 0.4, v: -1.1 });
  });
});

describe("textAtMost", () => {
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom("s", "x_bar", "t4996").map(b.v),
      fc.constantFrom(0, 1, 0.999, 1e-6, 4996).map(b.num),
      fc.tuple(tie("expr"), tie("expr")).map(([l, r]) => b.bin("*", l, r)),
      fc.tuple(tie("expr"), tie("expr")).map(([o, i]) => b.index(o, i)),
      tie("expr").map((x) => b.call("Math.sin", [x])),
      tie("expr").map((x) => b.neg(x)),
      fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([t, l, r]): Expr => ({ kind: "conditional", test: t, whenTrue: l, whenFalse: r })),
      fc.constant<Expr>({ kind: "stackSize", stack: "values" }),
      fc.constant<Expr>({ kind: "record", fields: [{ name: "v", value: b.v("a_bar") }] }),
    ),
  }));

  it("says an expression fits in as many characters as its JSON has, and not in fewer than it counts", () => {
    fc.assert(
      fc.property(expr, (e) => {
        const length = JSON.stringify(e).length;
        expect(textAtMost(e, length)).toBe(true);
        expect(textAtMost(e, 0)).toBe(false);
      }),
      { numRuns: 2000, seed: 20261207 },
    );
  });
});
