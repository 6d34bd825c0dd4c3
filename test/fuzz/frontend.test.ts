/**
 * The front end never crashes: random mutations of real annotated sources (deleted,
 * duplicated and swapped spans, injected tokens) either compile or produce diagnostics with
 * a valid location; compileSources never throws. Fixed seeds, so a failure reproduces.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/pipeline.ts";
import { rng } from "../harness/numeric.ts";

const samplesDir = path.resolve(import.meta.dirname, "../../samples");
const sources = readdirSync(samplesDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".grad.ts") && f !== "run.ts")
  .sort()
  .map((f) => ({ name: f, text: readFileSync(path.join(samplesDir, f), "utf8") }));

const TOKENS = [
  "(", ")", "{", "}", "[", "]", ";", ",", "=", "+=", "*", "/", "-", "**", "?", ":", "=>", "return", "break", "continue",
  "let ", "const ", "for (", "while (", "if (", "else", "x", "i", "0", "1e308", "NaN", "Math.random()", "Math.sin(",
  "try {", "} catch {", "async ", "function g() {}", "/** @grad */", "@grad q", "any", "this", "new ", "...", "`", "'", "\\u0000",
];

function mutate(text: string, next: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * out.length);
    const len = Math.floor(next() * 12);
    switch (Math.floor(next() * 4)) {
      case 0: out = out.slice(0, at) + out.slice(at + len); break;
      case 1: out = out.slice(0, at) + out.slice(at, at + len) + out.slice(at); break;
      case 2: out = out.slice(0, at) + TOKENS[Math.floor(next() * TOKENS.length)] + out.slice(at); break;
      default: {
        const other = Math.floor(next() * out.length);
        out = out.slice(0, at) + out.slice(other, other + len) + out.slice(at + len);
      }
    }
  }
  return out;
}

describe("front-end robustness", () => {
  it("never throws on 300 mutated sources, and locates every diagnostic", async () => {
    const next = rng(424242);
    for (let round = 0; round < 300; round++) {
      const base = sources[round % sources.length]!;
      const text = mutate(base.text, next);
      const file = `fuzz/${base.name}`;
      let result;
      try {
        result = await compileSources([{ path: file, text }]);
      } catch (error) {
        throw new Error(`compileSources threw on round ${round} (${base.name}): ${String(error)}\n--- input ---\n${text}`);
      }
      const lines = text.split("\n").length;
      for (const d of result.diagnostics) {
        expect(d.file).toBe(file);
        expect(d.line).toBeGreaterThanOrEqual(1);
        expect(d.line).toBeLessThanOrEqual(lines + 1);
        expect(d.column).toBeGreaterThanOrEqual(1);
        expect(d.message.length).toBeGreaterThan(0);
        if (d.code === 9001) throw new Error(`internal error on round ${round} (${base.name}): ${d.message}\n--- input ---\n${text}`);
      }
    }
  }, 120_000);
});
