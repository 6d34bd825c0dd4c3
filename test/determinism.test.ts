/**
 * Output is a function of the input alone: the same sources give byte-identical files
 * whatever order they are given in and however often they are compiled; and a function of
 * thousands of statements compiles (scale, not speed: throughput is reported by the bench).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileSources } from "../compiler/index.ts";
import { buildSettings } from "../compiler/cli/config.ts";

const dir = path.resolve(import.meta.dirname, "../samples");
const inputs = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".grad.ts") && f !== "run.ts")
  .map((f) => ({ path: `samples/${f}`, text: readFileSync(path.join(dir, f), "utf8") }));

// The checked-in files are what `tsgrad build` writes here: this repository's tsconfig and
// tsgrad.config.json decide their import extensions and formatting (cli/style.ts).
const { style } = buildSettings([], path.resolve(import.meta.dirname, "..")).style;

describe("determinism and scale", () => {
  it("gives byte-identical files for any input order, and matches the checked-in files", async () => {
    const forward = await compileSources(inputs, { style });
    const backward = await compileSources([...inputs].reverse(), { style });
    const again = await compileSources(inputs, { style });
    expect(forward.diagnostics).toEqual([]);
    expect(backward.files).toEqual(forward.files);
    expect(again.files).toEqual(forward.files);
    for (const file of forward.files) expect(file.text).toBe(readFileSync(path.resolve(import.meta.dirname, "..", file.path), "utf8"));
    // No dead statements: nothing assigns a variable or element to itself.
    for (const file of forward.files) expect(file.text).not.toMatch(/^\s*([\w.]+(\[\w+\])*) = \1;$/m);
    // ...no tangent of the value in an HVP (it is not returned, so it was dead work)...
    for (const file of forward.files) expect(file.text).not.toMatch(/\bvalue_dot\b/);
    // ...no reset immediately overwritten by an addition (`v = 0; v += e` is `v = e`)...
    for (const file of forward.files) expect(file.text).not.toMatch(/^\s*([\w.]+(\[\w+\])*) = 0;\n\s*\1 [+-]= /m);
    // ...and no temporary that only copies a variable (`const _t0 = p_bar; p_bar = _t0 * x`
    // reads p_bar and updates it last: Horner, llsq, det, scaling and squaring).
    for (const file of forward.files) expect(file.text).not.toMatch(/^\s*const _t\d+ = [A-Za-z_]\w*;$/m);
  }, 60_000); // three builds of every sample: 9–14 s on a loaded machine, over vitest's default 5 s

  it("compiles a 5000-statement function", async () => {
    const lines = ["/** @grad x */", "export function big(x: number[]): number {", "  let s = 0;"];
    for (let i = 0; i < 5000; i++) {
      if (i % 3 === 0) lines.push(`  s += Math.sin(x[${i % 7}]) * ${(i % 5) + 1};`);
      else if (i % 3 === 1) lines.push(`  const t${i} = x[${(i + 1) % 7}] * s + ${i};`);
      else lines.push(`  s = s * 0.999 + t${i - 1} * 1e-6;`);
    }
    lines.push("  return s;", "}");
    const result = await compileSources([{ path: "big.ts", text: lines.join("\n") }]);
    expect(result.diagnostics).toEqual([]);
    expect(result.files[0]!.text).toContain("export function bigGradInto");
  }, 60_000);
});
