/**
 * compiler/typescript.ts: the compiler gets TypeScript's API, the very functions ts-morph's
 * `ts` forwards to, without loading the rest of ts-morph (~0.07 s of every start).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ts as tsMorphTs } from "ts-morph";
import { describe, expect, it } from "vitest";
import { ts } from "../compiler/typescript.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("typescript.ts", () => {
  it("gives the API ts-morph's ts forwards to, member for member", () => {
    const names = Object.keys(tsMorphTs).filter((k) => k !== "default");
    expect(names.length).toBeGreaterThan(1000);
    expect(names.filter((k) => (ts as unknown as Record<string, unknown>)[k] !== (tsMorphTs as unknown as Record<string, unknown>)[k])).toEqual([]);
    expect(ts.version).toBe(tsMorphTs.version);
  });

  it("has the node tests, forEachChild and the syntax enums as plain members of an object V8 keeps fast, the rest through the module", () => {
    const module = Object.getPrototypeOf(ts) as Record<string, unknown>;
    const own = Object.getOwnPropertyNames(ts);
    expect(own.length).toBeGreaterThan(600);
    for (const name of ["isIdentifier", "isCallExpression", "forEachChild", "SyntaxKind", "NodeFlags", "createSourceFile"]) {
      expect(Object.getOwnPropertyDescriptor(ts, name), name).toMatchObject({ value: module[name] });
    }
    expect(own.every((name) => /^is[A-Z]/.test(name) || ["forEachChild", "SyntaxKind", "NodeFlags", "ScriptTarget", "ScriptKind", "getLeadingCommentRanges", "getTextOfJSDocComment", "getModifiers", "canHaveModifiers", "createSourceFile"].includes(name))).toBe(true);
    // A hash-table object would make every `ts.isX` a lookup again (V8's own report, in a child process).
    const script = `import { ts } from "./compiler/typescript.ts"; console.log(JSON.stringify([%HasFastProperties(ts), %HasFastProperties(Object.getPrototypeOf(ts))]));`;
    const run = spawnSync(process.execPath, ["--allow-natives-syntax", "--import", "tsx", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout.trim().split("\n").pop()!)).toEqual([true, false]);
  });

  it("loads TypeScript for a compile, and none of ts-morph's own code", () => {
    const script = `
      import { createRequire } from "node:module";
      const { compileSources } = await import("./compiler/pipeline.ts");
      const out = await compileSources([{ path: "f.ts", text: "/** @grad x */\\nexport function f(x: number): number {\\n  return x * x;\\n}\\n" }]);
      const loaded = Object.keys(createRequire(import.meta.url).cache).map((f) => f.replaceAll("\\\\", "/"));
      console.log(JSON.stringify({ files: out.files.length, typescript: loaded.some((f) => f.endsWith("/@ts-morph/common/dist/typescript.js")), tsMorph: loaded.filter((f) => /\\/ts-morph(-common)?\\.js$/.test(f)) }));
    `;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout.trim().split("\n").pop()!)).toEqual({ files: 1, typescript: true, tsMorph: [] });
  });
});
