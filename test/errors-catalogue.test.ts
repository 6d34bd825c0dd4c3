/**
 * The diagnostic catalogue (docs/errors.md) is complete and true: every code of
 * compiler/diagnostics.ts has an entry, and every example in it produces its code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Codes, formatCode } from "../compiler/diagnostics.ts";
import { diagnose } from "./harness/build.ts";
import { main } from "../compiler/cli.ts";

const catalogue = readFileSync(path.resolve(import.meta.dirname, "../docs/errors.md"), "utf8");
const entries = [...catalogue.matchAll(/^## (TSG\d{4}) — (\w+)\n([\s\S]*?)(?=^## |$(?![\s\S]))/gm)].map((m) => ({
  code: m[1]!,
  name: m[2]!,
  example: /```ts\n([\s\S]*?)```/.exec(m[3]!)?.[1],
  body: m[3]!,
}));

/** The codes the CLI reports about files (no source example): produced by a real build in a temporary folder. */
async function cliCodes(files: Record<string, string | Uint8Array>): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-catalogue-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    let stdout = "";
    await main(["build", "--no-cache", "--format", "json"], { cwd: dir, pid: 1, stdout: (t) => void (stdout += t), stderr: () => undefined });
    return (JSON.parse(stdout) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const square = "/** @grad */\nexport function f(x: number): number {\n  return x * x;\n}\n";

describe("diagnostic catalogue", () => {
  // TSG9001 (a fault of tsgrad itself) has no input that produces it; test/isolation.test.ts injects faults to check it.
  it("TSG1002 and TSG1003: a build produces them as described", async () => {
    expect(await cliCodes({ "f.ts": new Uint8Array([...Buffer.from(square), 0xe9, 0x0a]) })).toEqual(["TSG1002"]);
    expect(await cliCodes({ "model.ts": square, "model.grad.ts": "export const mine = 1;\n" })).toEqual(["TSG1003"]);
  });

  it("documents every code, under its name", () => {
    const documented = new Map(entries.map((e) => [e.code, e.name]));
    for (const [name, code] of Object.entries(Codes)) expect(documented.get(formatCode(code))).toBe(name);
    expect(entries).toHaveLength(Object.keys(Codes).length);
  });

  it("tells what to do for every code", () => {
    for (const entry of entries) expect(entry.body, entry.code).toMatch(/\*\*What to do:\*\* \S/);
  });

  for (const entry of entries.filter((e) => e.example)) {
    it(`${entry.code}: its example produces it`, async () => {
      const diagnostics = await diagnose(entry.example!);
      expect(diagnostics.map((d) => formatCode(d.code))).toEqual([entry.code]);
    });
  }
});
