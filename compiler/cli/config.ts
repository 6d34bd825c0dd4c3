/**
 * The project's tsgrad configuration: a `"tsgrad"` field in package.json (what `tsgrad init`
 * writes) or a `tsgrad.config.json` file, looked up from the current folder upwards and no
 * further than the first folder with a package.json (the project's root):
 *
 *   "tsgrad": {
 *     "include": ["src", "models/**\/*.ts"],  // folders, files or globs to build, relative to
 *                                            // the config's folder (default ["."])
 *     "format": "project",                   // "project": the project's prettier configuration
 *                                            // (default); "tsgrad": tsgrad's fixed style
 *     "importExtension": ".js",              // ".js", ".ts" or "none" for sources with no relative
 *                                            // import to mirror (default: from the tsconfig)
 *     "checkpointBudget": "256MB"            // the automatic checkpointing policy (README,
 *                                            // "checkpointing"; default: off)
 *   }
 *
 * `tsgrad build` with no paths builds `include`; `format` and `importExtension` apply to
 * every build. A config that cannot be read, or has an unknown field or value, is a usage
 * error (exit 2) naming the file, never ignored: a typo must not silently build nothing.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ImportExtension } from "../backend/imports.ts";
import { UsageError } from "./args.ts";
import { parseSize } from "../frontend/checkpointTag.ts";
import { projectStyle, type FormatChoice, type ProjectStyle, type StyleChoices } from "./style.ts";

export const CONFIG_FILE = "tsgrad.config.json";

export interface TsgradConfig {
  /** The file it was read from (package.json or tsgrad.config.json). */
  file: string;
  /** Folder that `include` is relative to. */
  dir: string;
  include: string[];
  format: FormatChoice;
  importExtension?: ImportExtension;
  /** The automatic checkpointing policy's budget in bytes. */
  checkpointBudget?: number;
}

const FIELDS = ["include", "format", "importExtension", "checkpointBudget"] as const;
const FORMATS: readonly FormatChoice[] = ["project", "tsgrad"];
const EXTENSIONS: Record<string, ImportExtension> = { ".js": ".js", ".ts": ".ts", none: "" };

/** The configuration that applies in `cwd`, or null when the project has none. */
export function loadConfig(cwd: string): TsgradConfig | null {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const configFile = path.join(dir, CONFIG_FILE);
    const packageFile = path.join(dir, "package.json");
    const pkg = existsSync(packageFile) ? readJson(packageFile) : undefined;
    const inPackage = pkg && typeof pkg === "object" && !Array.isArray(pkg) && "tsgrad" in pkg ? (pkg as Record<string, unknown>)["tsgrad"] : undefined;
    if (existsSync(configFile)) {
      if (inPackage !== undefined) throw new UsageError(`both ${configFile} and the "tsgrad" field of ${packageFile} configure tsgrad; keep one`);
      return validate(readJson(configFile), configFile, dir);
    }
    if (inPackage !== undefined) return validate(inPackage, `${packageFile} ("tsgrad")`, dir);
    if (pkg !== undefined || path.dirname(dir) === dir) return null;
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function validate(value: unknown, where: string, dir: string): TsgradConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`${where}: the tsgrad configuration must be an object`);
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key === "$schema") continue;
    if (!(FIELDS as readonly string[]).includes(key)) throw new UsageError(`${where}: unknown option '${key}' (known: ${FIELDS.join(", ")})`);
  }
  const include = fields["include"] ?? ["."];
  if (!Array.isArray(include) || include.length === 0 || !include.every((p) => typeof p === "string" && p.length > 0)) {
    throw new UsageError(`${where}: 'include' must be a non-empty list of folders, files or globs`);
  }
  const format = fields["format"] ?? "project";
  if (!(FORMATS as readonly unknown[]).includes(format)) throw new UsageError(`${where}: 'format' must be "project" or "tsgrad"`);
  const extension = fields["importExtension"];
  if (extension !== undefined && (typeof extension !== "string" || !(extension in EXTENSIONS))) {
    throw new UsageError(`${where}: 'importExtension' must be ".js", ".ts" or "none"`);
  }
  const checkpointBudget = budgetBytes(fields["checkpointBudget"]);
  if (checkpointBudget === null) throw new UsageError(`${where}: ${BUDGET_EXPECTED}`);
  return {
    file: where,
    dir,
    include: include as string[],
    format: format as FormatChoice,
    ...(extension !== undefined ? { importExtension: EXTENSIONS[extension as string]! } : {}),
    ...(checkpointBudget !== undefined ? { checkpointBudget } : {}),
  };
}

/** What a `checkpointBudget` setting (the config's, the bundler plugin's) must be. */
export const BUDGET_EXPECTED = `'checkpointBudget' must be a size such as "256MB", "1GB" or a number of bytes`;

/** A `checkpointBudget` setting in bytes: a size string or a positive whole number; undefined when absent, null when neither. */
export function budgetBytes(value: unknown): number | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value === "string") return parseSize(value);
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : null;
}

/**
 * What a build covers and how it writes: the paths given on the command line, else the
 * config's `include` (relative to the current folder, for messages), and the style of
 * its files (the config's choices, the project's prettier and tsconfig).
 */
export function buildSettings(paths: readonly string[], cwd: string): { paths: string[]; style: ProjectStyle; choices: StyleChoices; config: TsgradConfig | null } {
  const config = loadConfig(cwd);
  const chosen = paths.length > 0 || !config ? [...paths] : config.include.map((p) => path.relative(cwd, path.resolve(config.dir, p)) || ".");
  const choices: StyleChoices = {};
  if (config) choices.format = config.format;
  if (config?.importExtension !== undefined) choices.importExtension = config.importExtension;
  return { paths: chosen, style: projectStyle(choices), choices, config };
}
