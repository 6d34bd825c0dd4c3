/**
 * Temporaries of an expression's adjoint (transform/reverse/expressions.ts, applyRule): an
 * argument the partials mention more than once is evaluated once into a temporary; once an
 * argument is bound, the partials are read anew, so an argument that only the bound one
 * contained is mentioned once and stays written out. Checked in the generated text, and the
 * derivatives against the tape and central differences.
 */
import { describe, expect, it } from "vitest";
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
