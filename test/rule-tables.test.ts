/**
 * The compiler's rule table (compiler/ir/primitives.ts) and the tape's own table
 * (runtime/tape/rules.ts) are written independently, so that a wrong rule shows up as a
 * disagreement; this checks they at least cover the same primitives, and that every
 * compiler rule agrees with the tape on a few points (value and first derivative).
 */
import { describe, expect, it } from "vitest";
import { PRIMITIVES as COMPILER } from "../compiler/ir/primitives.ts";
import { RULES as TAPE, tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build } from "./harness/build.ts";
import { v } from "../compiler/ir/build.ts";

/** Compiler primitive name → tape primitive name. */
function tapeName(name: string): string {
  const operators: Record<string, string> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow", neg: "neg" };
  return operators[name] ?? name.replace(/^Math\./, "");
}

describe("the primitives table", () => {
  /** The partials for symbolic arguments (a variadic primitive with two and with three). */
  const probe = (name: string) => {
    const p = COMPILER[name]!;
    let readsResult = false;
    const partials = (p.arity === "variadic" ? [2, 3] : [p.arity]).flatMap((n) =>
      p.partials(Array.from({ length: n }, (_, k) => v(`a${k}`)), () => ((readsResult = true), v("ans"))),
    );
    return { p, readsResult, partials };
  };

  it("says which primitives' partials read the result, as the partials do", () => {
    for (const name of Object.keys(COMPILER)) {
      const { p, readsResult } = probe(name);
      expect(p.reusesResult === true, name).toBe(readsResult);
    }
  });

  it("calls exactly the primitives whose partials are all zero piecewise constant", () => {
    for (const name of Object.keys(COMPILER)) {
      const { p, partials } = probe(name);
      expect(p.piecewiseConstant === true, name).toBe(partials.every((x) => x === null));
    }
  });
});

describe("the two rule tables", () => {
  it("cover the same primitives", () => {
    const fromCompiler = new Set(Object.keys(COMPILER).map(tapeName));
    expect([...fromCompiler].sort()).toEqual(Object.keys(TAPE).sort());
  });

  it("agree on every Math primitive's derivative", async () => {
    const unary = Object.keys(COMPILER).filter((n) => n.startsWith("Math.") && COMPILER[n]!.arity === 1);
    const binary = Object.keys(COMPILER).filter((n) => n.startsWith("Math.") && COMPILER[n]!.arity !== 1);
    // Points inside every domain (acosh needs > 1, asin/atanh need |x| < 1).
    const body = [
      ...unary.map((n) => `  s += ${n}(${n === "Math.acosh" ? "1.5 + x * x" : "0.3 + 0.2 * x * x - 0.1 * x"}) * ${unary.indexOf(n) + 1};`),
      ...binary.map((n) => `  s += ${n}(0.3 + x * x, 0.2 + y * y) * ${binary.indexOf(n) + 2};`),
    ].join("\n");
    const source = `/** @grad */\nexport function f(x: number, y: number): number {\n  let s = 0;\n${body}\n  return s;\n}\n`;
    const { generated } = await build(source);
    const tape = tapeModuleFromSource(source, "rules.ts");
    for (const [x, y] of [[0.7, -0.3], [-0.9, 1.4], [0.2, 0.05]]) {
      const g = (generated.fGrad as (x: number, y: number) => { grad: { x: number; y: number } })(x!, y!);
      const t = tape.grad("f", [x, y]).grad as { x: number; y: number };
      expect(Math.abs(g.grad.x - t.x) / Math.max(1, Math.abs(t.x))).toBeLessThan(1e-12);
      expect(Math.abs(g.grad.y - t.y) / Math.max(1, Math.abs(t.y))).toBeLessThan(1e-12);
    }
  });
});
