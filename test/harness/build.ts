/**
 * Compiles TypeScript source text with tsgrad in memory, writes the source and its
 * generated file to a temporary package folder (where `tsgrad` resolves to this
 * repository, though generated files import nothing of it), and imports both. Used by tests that try tsgrad on code it has not seen.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileSources, type CompileOptions } from "../../compiler/pipeline.ts";
import type { Diagnostic } from "../../compiler/diagnostics.ts";
import { recordGenerated } from "./typecheck.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/**
 * Mutation runs (test/mutation/) skip prettier: it is most of a compile's time and changes
 * no derivative. Every other run formats, as the CLI does.
 */
const UNFORMATTED = process.env["TSGRAD_TEST_UNFORMATTED"] === "1";
let workDir: string | null = null;
let counter = 0;

function workspace(): string {
  if (!workDir) {
    workDir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-test-"));
    mkdirSync(path.join(workDir, "node_modules"), { recursive: true });
    symlinkSync(repoRoot, path.join(workDir, "node_modules", "tsgrad"), "dir");
  }
  return workDir;
}

/** The temporary package folder cases are built in (its node_modules holds tsgrad, and packages a test installs). */
export function workspaceDir(): string {
  return workspace();
}

export interface Built {
  source: Record<string, (...args: never[]) => unknown>;
  generated: Record<string, (...args: never[]) => unknown>;
  text: string;
  sourcePath: string;
}

/** Compiles `text`; throws with the diagnostics if there are any. */
export async function build(text: string, options: CompileOptions = {}): Promise<Built> {
  return buildProject({ "input.ts": text }, "input.ts", options);
}

/** Compiles several files together (they may import each other) and loads `main` and its generated file. */
export async function buildProject(files: Record<string, string>, main: string, options: CompileOptions = {}): Promise<Built> {
  const dir = path.join(workspace(), `case${counter++}`);
  mkdirSync(dir);
  const inputs = Object.entries(files).map(([name, text]) => {
    const filePath = path.join(dir, name);
    mkdirSync(path.dirname(filePath), { recursive: true });
    writeFileSync(filePath, text);
    return { path: filePath, text };
  });
  const result = await compileSources(inputs, UNFORMATTED && !options.style ? { ...options, style: () => ({ format: async (t) => t }) } : options);
  if (result.diagnostics.some((d) => d.severity !== "warning")) {
    throw new Error(result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} TSG${d.code} ${d.message}`).join("\n"));
  }
  for (const out of result.files) {
    writeFileSync(out.path, out.text);
    recordGenerated(out.path, workspace());
  }
  const sourcePath = path.join(dir, main);
  const out = result.files.find((f) => f.source === sourcePath);
  if (!out) throw new Error("no file generated");
  const source = await import(pathToFileURL(sourcePath).href);
  const generated = await import(pathToFileURL(out.path).href);
  return { source, generated, text: out.text, sourcePath };
}

/** Compiles `text` and returns its diagnostics (expected to be non-empty). */
export async function diagnose(text: string, file = "input.ts"): Promise<Diagnostic[]> {
  const result = await compileSources([{ path: file, text }]);
  return result.diagnostics;
}

/** The text of the generated function `name` in `text`, its comment lines dropped unless `comments`. */
export function generatedFunction(text: string, name: string, comments = true): string {
  const start = text.indexOf(`export function ${name}(`);
  if (start < 0) throw new Error(`no generated function ${name}`);
  const body = text.slice(start, text.indexOf("\n}\n", start) + 3);
  return comments ? body : body.replace(/^\s*\/\/.*$/gm, "");
}
