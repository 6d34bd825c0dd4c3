/**
 * What the user's project decides about a generated file (the compiler's `OutputStyle`):
 *
 * - **formatting**: the project's own prettier, with the options prettier itself resolves
 *   for the output path (its config file and overrides, .editorconfig, else prettier's
 *   defaults), so `prettier --write` and format-on-save leave generated files as they are
 *   and `tsgrad build --check` stays green. The project's installed prettier formats when
 *   it has one (version 2 or 3: the same version both ways), else tsgrad's. With
 *   `"format": "tsgrad"` in the config, tsgrad's own fixed style instead.
 * - from the nearest **tsconfig.json** (its `extends` followed): `noUncheckedIndexedAccess`
 *   (element reads print as `a[i]!`), and the import extension for a source with no
 *   relative import to mirror: `.ts` where the project may import `.ts` files
 *   (`allowImportingTsExtensions`, `rewriteRelativeImportExtensions`), else `.js`.
 *
 * `key(source)` names all of it for the build cache (cache.ts): a change to the prettier
 * configuration or the tsconfig changes the key. Reads the disk (the compiler never does),
 * loads neither TypeScript nor (for `"format": "tsgrad"`) prettier, and never throws: a
 * broken prettier configuration surfaces as a TSG1005 diagnostic of the files it formats.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ImportExtension } from "../backend/imports.ts";
import { lineStyleOf } from "../backend/lines.ts";
import type { OutputStyle } from "../pipeline.ts";

/** Who formats generated files: the project's prettier configuration, or tsgrad's fixed style. */
export type FormatChoice = "project" | "tsgrad";

export interface StyleChoices {
  format?: FormatChoice;
  /** Overrides the tsconfig's choice for sources without relative imports. */
  importExtension?: ImportExtension;
}

export interface ProjectStyle {
  style(sourcePath: string): Promise<OutputStyle>;
  /** Everything `style` depends on, as text (for the build cache's key). */
  key(sourcePath: string): Promise<string>;
}

interface PrettierApi {
  format(text: string, options: Record<string, unknown>): string | Promise<string>;
  resolveConfig(file: string, options?: Record<string, unknown>): Promise<Record<string, unknown> | null>;
  clearConfigCache?(): void | Promise<void>;
  version?: string;
}

interface Resolved {
  importExtension: ImportExtension;
  uncheckedIndexedAccess: boolean;
  /** null: tsgrad's own style. */
  prettier: { api: PrettierApi; options: Record<string, unknown> | null; error?: string } | null;
}

export function projectStyle(choices: StyleChoices = {}): ProjectStyle {
  const prettiers = new Map<string, Promise<PrettierApi>>();
  const tsconfigs = new Map<string, TsOptions>();
  const resolved = new Map<string, Promise<Resolved>>();
  const resolve = (sourcePath: string): Promise<Resolved> => {
    const source = path.resolve(sourcePath);
    let r = resolved.get(source);
    if (!r) {
      r = (async () => {
        const dir = path.dirname(source);
        const ts = tsOptionsFor(dir, tsconfigs);
        const importExtension = choices.importExtension ?? (ts.allowImportingTsExtensions || ts.rewriteRelativeImportExtensions ? ".ts" : ".js");
        const base = { importExtension, uncheckedIndexedAccess: ts.noUncheckedIndexedAccess === true };
        if (choices.format === "tsgrad") return { ...base, prettier: null };
        const root = packageDir(dir);
        if (!prettiers.has(root)) prettiers.set(root, loadPrettier(root));
        const api = await prettiers.get(root)!;
        const output = outputPathOf(source);
        try {
          return { ...base, prettier: { api, options: await api.resolveConfig(output, { editorconfig: true }) } };
        } catch (error) {
          return { ...base, prettier: { api, options: null, error: `cannot read the prettier configuration for ${path.basename(output)}: ${firstLine(error)}` } };
        }
      })();
      resolved.set(source, r);
    }
    return r;
  };
  return {
    async style(sourcePath) {
      const r = await resolve(sourcePath);
      const style: OutputStyle = { importExtension: r.importExtension, uncheckedIndexedAccess: r.uncheckedIndexedAccess };
      const p = r.prettier;
      if (p) {
        style.format = async (text, outputPath) => {
          if (p.error) throw new Error(p.error);
          try {
            return await p.api.format(text, { ...p.options, filepath: path.resolve(outputPath) });
          } catch (error) {
            throw new Error(`prettier, with the project's configuration, failed on ${path.basename(outputPath)}: ${firstLine(error)}`, { cause: error });
          }
        };
        // Prettier 3 with options one-line statements are known under: the compiler writes those itself.
        const lines = p.error ? null : lineStyleOf(p.api.version, p.options);
        if (lines) {
          style.lineStyle = lines;
          style.formatKey = JSON.stringify(["prettier", p.api.version, p.options]);
        }
      }
      return style;
    },
    async key(sourcePath) {
      const r = await resolve(sourcePath);
      const p = r.prettier;
      return JSON.stringify([r.importExtension, r.uncheckedIndexedAccess, p ? [p.api.version ?? "?", p.options, p.error ?? null] : "tsgrad"]);
    },
  };
}

function outputPathOf(source: string): string {
  return source.replace(/\.ts$/, ".grad.ts");
}

/**
 * The project's own prettier (version 2 or 3), resolved from its folder, else tsgrad's;
 * with its configuration cache cleared, since a process (watch mode, a bundler plugin)
 * may run many builds while the configuration changes.
 */
async function loadPrettier(projectDir: string): Promise<PrettierApi> {
  let api: PrettierApi | undefined;
  try {
    const resolved = createRequire(path.join(projectDir, "package.json")).resolve("prettier");
    const mod = (await import(pathToFileURL(resolved).href)) as Partial<PrettierApi> & { default?: PrettierApi };
    const found = typeof mod.format === "function" && typeof mod.resolveConfig === "function" ? (mod as PrettierApi) : mod.default;
    if (found && typeof found.format === "function" && typeof found.resolveConfig === "function") api = found;
  } catch {
    // no prettier of its own: tsgrad's
  }
  api ??= (await import("prettier")) as unknown as PrettierApi;
  await api.clearConfigCache?.();
  return api;
}

/** The nearest folder at or above `dir` with a package.json (else `dir`). */
function packageDir(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, "package.json"))) return d;
    if (path.dirname(d) === d) return dir;
  }
}

interface TsOptions {
  allowImportingTsExtensions?: boolean;
  rewriteRelativeImportExtensions?: boolean;
  noUncheckedIndexedAccess?: boolean;
}

const TS_OPTIONS: readonly (keyof TsOptions)[] = ["allowImportingTsExtensions", "rewriteRelativeImportExtensions", "noUncheckedIndexedAccess"];

/** The options that matter here of the nearest tsconfig.json above `dir` (none found or unreadable: defaults). */
function tsOptionsFor(dir: string, cache: Map<string, TsOptions>): TsOptions {
  for (let d = dir; ; d = path.dirname(d)) {
    const file = path.join(d, "tsconfig.json");
    if (existsSync(file)) {
      if (!cache.has(file)) cache.set(file, readTsconfig(file, new Set()));
      return cache.get(file)!;
    }
    if (path.dirname(d) === d) return {};
  }
}

/** A tsconfig's options with those of what it `extends` (later entries win, its own last). */
function readTsconfig(file: string, seen: Set<string>): TsOptions {
  if (seen.has(file)) return {};
  seen.add(file);
  let config: { extends?: unknown; compilerOptions?: Record<string, unknown> };
  try {
    config = JSON.parse(stripJsonComments(readFileSync(file, "utf8"))) as typeof config;
  } catch {
    return {};
  }
  const options: TsOptions = {};
  const bases = typeof config.extends === "string" ? [config.extends] : Array.isArray(config.extends) ? config.extends : [];
  for (const base of bases) {
    const baseFile = typeof base === "string" ? resolveExtends(base, file) : null;
    if (baseFile) Object.assign(options, readTsconfig(baseFile, seen));
  }
  for (const name of TS_OPTIONS) {
    const value = config.compilerOptions?.[name];
    if (typeof value === "boolean") options[name] = value;
  }
  return options;
}

/** The file an `extends` entry names: a relative path, or a package's tsconfig (`@tsconfig/node20/tsconfig.json`). */
function resolveExtends(spec: string, from: string): string | null {
  const candidates = (p: string) => [p, `${p}.json`, path.join(p, "tsconfig.json")];
  if (spec.startsWith(".") || path.isAbsolute(spec)) {
    return candidates(path.resolve(path.dirname(from), spec)).find((f) => existsSync(f) && f.endsWith(".json")) ?? null;
  }
  const require = createRequire(from);
  for (const candidate of [spec, `${spec}.json`, `${spec}/tsconfig.json`]) {
    try {
      return require.resolve(candidate);
    } catch {
      // next form
    }
  }
  return null;
}

/** JSON with comments and trailing commas (tsconfig's dialect) → JSON. */
export function stripJsonComments(text: string): string {
  let out = "";
  let comma = -1; // where in `out` a comma waits to see whether a } or ] follows it
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
      comma = -1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 1;
      out += " ";
    } else if ((c === "}" || c === "]") && comma >= 0) {
      out = out.slice(0, comma) + out.slice(comma + 1) + c;
      comma = -1;
    } else {
      if (c === ",") comma = out.length;
      else if (!/\s/.test(c)) comma = -1;
      out += c;
    }
  }
  return out;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
