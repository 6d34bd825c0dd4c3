/**
 * Loads a sample, its generated `.grad.ts` and the tape oracle, with errors that say
 * what to do instead of a bare module-not-found, and calls them through loose types
 * (the suites discover functions by name at run time).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT, generatedPathFor } from "./discover.ts";

export type AnyFn = (...args: unknown[]) => unknown;
export type Module = Record<string, unknown>;

export interface GradResult {
  value: number;
  grad: Record<string, unknown>;
}

export async function importFile(file: string): Promise<Module> {
  return (await import(pathToFileURL(file).href)) as Module;
}

export async function loadSource(file: string): Promise<Module> {
  return importFile(file);
}

export async function loadGenerated(sourceFile: string): Promise<Module> {
  const generated = generatedPathFor(sourceFile);
  if (!existsSync(generated)) {
    throw new Error(`${path.relative(REPO_ROOT, generated)} is missing: run \`node bin/tsgrad.js build samples\``);
  }
  return importFile(generated);
}

export function getFn(module: Module, name: string, where: string): AnyFn {
  const f = module[name];
  if (typeof f !== "function") throw new Error(`${where} does not export a function ${name}`);
  return f as AnyFn;
}

export const TAPE_ENTRY = path.join(REPO_ROOT, "runtime", "tape", "index.ts");

export interface TapeModule {
  grad(fnName: string, args: unknown[], wrt?: string[]): GradResult | Promise<GradResult>;
  call(fnName: string, args: unknown[]): unknown;
}

/** `loadTapeModule(file)` from runtime/tape (sync or async). */
export async function loadTape(sourceFile: string): Promise<TapeModule> {
  if (!existsSync(TAPE_ENTRY)) throw new Error("runtime/tape/index.ts does not exist yet: no tape oracle to compare with");
  const tape = await importFile(TAPE_ENTRY);
  const load = getFn(tape, "loadTapeModule", "runtime/tape/index.ts");
  return (await load(sourceFile)) as TapeModule;
}
