/**
 * The diagnostic catalogue (docs/errors.md) is complete and true: every code of
 * compiler/diagnostics.ts has an entry, and every example in it produces its code.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Codes, formatCode } from "../compiler/diagnostics.ts";
import { diagnose } from "./harness/build.ts";

const catalogue = readFileSync(path.resolve(import.meta.dirname, "../docs/errors.md"), "utf8");
const entries = [...catalogue.matchAll(/^## (TSG\d{4}) — (\w+)\n([\s\S]*?)(?=^## |$(?![\s\S]))/gm)].map((m) => ({
  code: m[1]!,
  name: m[2]!,
  example: /```ts\n([\s\S]*?)```/.exec(m[3]!)?.[1],
}));

describe("diagnostic catalogue", () => {
  it("documents every code, under its name", () => {
    const documented = new Map(entries.map((e) => [e.code, e.name]));
    for (const [name, code] of Object.entries(Codes)) expect(documented.get(formatCode(code))).toBe(name);
    expect(entries).toHaveLength(Object.keys(Codes).length);
  });

  for (const entry of entries.filter((e) => e.example)) {
    it(`${entry.code}: its example produces it`, async () => {
      const diagnostics = await diagnose(entry.example!);
      expect(diagnostics.map((d) => formatCode(d.code))).toEqual([entry.code]);
    });
  }
});
