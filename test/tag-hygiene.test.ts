/**
 * No silent no-ops: a near miss of a tsgrad tag, or a tag in a comment TypeScript does not
 * read as JSDoc, is a warning with a "did you mean"; tags in several JSDoc blocks merge.
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../compiler/pipeline.ts";

async function compile(text: string) {
  return compileSources([{ path: "f.ts", text }]);
}

const body = `export function f(x: number): number {\n  return x * x;\n}\n`;

describe("tag hygiene", () => {
  for (const [tag, meant] of [["gradient", "grad"], ["Grad", "grad"], ["GRAD", "grad"], ["hessians", "hessian"], ["jacobain", "jacobian"], ["vjpof", "vjpOf"], ["Hvp", "hvp"], ["noInline", "noinline"]]) {
    it(`@${tag} warns: did you mean @${meant}?`, async () => {
      const { diagnostics, files } = await compile(`/** @${tag} */\n${body}`);
      expect(diagnostics).toHaveLength(1);
      expect(diagnostics[0]).toMatchObject({ code: 2007, severity: "warning", line: 1, column: 5, length: tag.length + 1 });
      expect(diagnostics[0]!.message).toContain(`did you mean '@${meant}'`);
      expect(files).toHaveLength(0); // nothing to generate, but nothing blocked either
    });
  }

  it("a tag in a // or /* */ comment above a function warns and says how to write it", async () => {
    for (const comment of ["// @grad", "/* @grad x */", "/*\n * @hvp\n */"]) {
      const { diagnostics } = await compile(`${comment}\n${body}`);
      expect(diagnostics, comment).toHaveLength(1);
      expect(diagnostics[0]!.severity).toBe("warning");
      expect(diagnostics[0]!.message).toMatch(/tsgrad reads tags in \/\*\* … \*\/ comments; write '\/\*\* @(grad|hvp) \*\/'/);
    }
  });

  it("a warning does not stop the file: a warned function beside a tagged one is still generated", async () => {
    const { diagnostics, files } = await compile(`/** @Grad */\n${body}\n/** @grad */\nexport function g(x: number): number {\n  return 3 * x;\n}\n`);
    expect(diagnostics.map((d) => d.severity)).toEqual(["warning"]);
    expect(files).toHaveLength(1);
    expect(files[0]!.text).toContain("export function gGrad(");
    expect(files[0]!.text).not.toContain("fGrad");
  });

  it("tags in a second JSDoc block are read (blocks merge); standard tags and prose are left alone", async () => {
    const text = `/**\n * Squares.\n * @param x the input\n * @returns x²\n */\n/** @grad */\n${body}\n// see @grad in the README\nexport const unrelated = 1;\n`;
    const { diagnostics, files } = await compile(text);
    expect(diagnostics).toEqual([]);
    expect(files[0]!.text).toContain("export function fGrad(");
  });
});
