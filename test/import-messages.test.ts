/**
 * Diagnostics at the right place, naming the right things: a missing module at its import,
 * a package's function as a package's (not as a value-less function of the program), both
 * functions of a generated-type-name clash, a function the generated file must import but
 * its module does not export.
 */
import { describe, expect, it } from "vitest";
import { Codes, type Diagnostic } from "../compiler/diagnostics.ts";
import { compileSources } from "../compiler/pipeline.ts";
import { diagnose } from "./harness/build.ts";

const brief = (d: Diagnostic) => ({ code: d.code, line: d.line, column: d.column, length: d.length, message: d.message });

describe("messages", () => {
  it("a missing module is reported once, at its import, naming what is used from it", async () => {
    const diagnostics = await diagnose(
      [
        `import { scale } from "./linalg.js";`,
        ``,
        `/** @grad */`,
        `export function f(x: number): number {`,
        `  return scale(x) * x;`,
        `}`,
        ``,
        `/** @grad */`,
        `export function g(x: number): number {`,
        `  return scale(x) + x;`,
        `}`,
      ].join("\n"),
    );
    expect(diagnostics.map(brief)).toEqual([
      {
        code: Codes.UnresolvedImport,
        line: 1,
        column: 23,
        length: 13,
        message: `cannot find the module './linalg.js' that 'scale' is imported from: no file './linalg.ts' in the build`,
      },
    ]);
  });

  it("a module of the build is found (no diagnostic), so the same import compiles when the file is given", async () => {
    const result = await compileSources([
      { path: "/p/main.ts", text: `import { scale } from "./linalg.js";\n/** @grad */\nexport function f(x: number): number {\n  return scale(x) * x;\n}\n` },
      { path: "/p/linalg.ts", text: `export function scale(x: number): number {\n  return 2 * x;\n}\n` },
    ]);
    expect(result.diagnostics).toEqual([]);
  });

  it("a name a file of the build does not declare is reported where it is imported, with what the file declares", async () => {
    const result = await compileSources([
      { path: "/p/main.ts", text: `import { scale } from "./linalg.js";\n/** @grad */\nexport function f(x: number): number {\n  return scale(x) * x;\n}\n` },
      { path: "/p/linalg.ts", text: `export function dot(x: number): number {\n  return 2 * x;\n}\n` },
    ]);
    expect(result.diagnostics.map(brief)).toEqual([{ code: Codes.UnsupportedCall, line: 1, column: 10, length: 5, message: `'./linalg.js' has no function 'scale' (it declares 'dot')` }]);
  });

  it("a function from a package is a package's, called, used as a value, or through a namespace", async () => {
    const called = await diagnose(`import { other } from "other";\n/** @grad */\nexport function f(x: number): number {\n  return other(x) * x;\n}\n`);
    expect(called.map((d) => [d.code, d.line, d.column])).toEqual([[Codes.UnsupportedCall, 4, 10]]);
    expect(called[0]!.message).toMatch(/^'other' comes from the package 'other', whose body tsgrad cannot see: supply its derivative with a function tagged '@vjpOf other'/);
    const value = await diagnose(`import { other } from "other";\n/** @grad */\nexport function f(x: number): number {\n  const t = other;\n  return x;\n}\n`);
    expect(value.map((d) => [d.code, d.line, d.message])).toEqual([[Codes.UnsupportedExpression, 4, `'other' comes from the package 'other', whose body tsgrad cannot see: pass its value in as a parameter`]]);
    const namespace = await diagnose(`import * as lib from "lib";\n/** @grad */\nexport function f(x: number): number {\n  return lib.dot(x, x);\n}\n`);
    expect(namespace.map((d) => [d.code, d.line, d.message])).toEqual([
      [Codes.UnsupportedCall, 4, `'lib' comes from the package 'lib', whose body tsgrad cannot see: import the function by name (import { dot } from "lib") and supply its derivative with a function tagged '@vjpOf dot'`],
    ]);
  });

  it("TSG2006 names both functions whose generated type names clash", async () => {
    const diagnostics = await diagnose(`/** @grad */\nexport function ab(x: number): number {\n  return x * x;\n}\n\n/** @grad */\nexport function Ab(x: number, y: number): number {\n  return x * y;\n}\n`);
    expect(diagnostics.map((d) => [d.code, d.line, d.message])).toEqual([
      [Codes.NameClash, 6, `'ab' (annotated on line 1) and 'Ab' both need a generated type named 'AbGradient', with different fields; rename one of the two functions`],
    ]);
  });

  it("a @vjpOf rule or its primal that the generated file imports must be exported: reported at its declaration", async () => {
    const rule = (exported: string) =>
      [
        `${exported}function softplus(u: number): number {`,
        `  return Math.log1p(Math.exp(u));`,
        `}`,
        ``,
        `/** @vjpOf softplus */`,
        `export function softplusVjp(u: number, cotangent: number, grad: { u: number }): number {`,
        `  grad.u += cotangent / (1 + Math.exp(-u));`,
        `  return Math.log1p(Math.exp(u));`,
        `}`,
        ``,
        `/** @grad */`,
        `export function f(x: number): number {`,
        `  return softplus(x * x);`,
        `}`,
      ].join("\n");
    const diagnostics = await diagnose(rule(""));
    expect(diagnostics.map(brief)).toEqual([
      { code: Codes.UnsupportedCall, line: 1, column: 10, length: 8, message: `the generated input.grad.ts calls 'softplus', which input.ts does not export; add 'export' to its declaration` },
    ]);
    expect(await diagnose(rule("export "))).toEqual([]);
    expect(await diagnose(`${rule("")}\nexport { softplus };\n`)).toEqual([]);
  });
});
