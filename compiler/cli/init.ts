/**
 * `tsgrad init`: sets tsgrad up in an existing project (the folder with package.json):
 *
 *   - package.json: the scripts `tsgrad:build` (`tsgrad build`) and `tsgrad:check`
 *     (`tsgrad build --check`, for CI), and a `"tsgrad"` configuration (cli/config.ts)
 *     building `src` if the project has one, else the whole project;
 *   - .gitattributes: `*.grad.ts linguist-generated=true`, so code hosts collapse generated
 *     files in diffs and leave them out of language statistics;
 *   - .eslintignore (only where the project already has one, ESLint 8 and older):
 *     `*.grad.ts`; for a flat config (eslint.config.*) or Biome it prints the line to add
 *     (tsgrad does not edit code). Generated code is the compiler's product, checked by
 *     `tsgrad build --check` and by tsc; a project's lint rules (naming, non-null
 *     assertions) are not written for it.
 *
 * Never clobbers: an existing script, configuration or line is kept as it is and reported;
 * running it twice changes nothing the second time. Edits keep package.json's indentation,
 * key order and final newline, and each file is written whole through a temporary file.
 * Prints one line per thing it did or kept.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CONFIG_FILE } from "./config.ts";
import type { CliIo } from "./io.ts";

export const SCRIPTS: Record<string, string> = { "tsgrad:build": "tsgrad build", "tsgrad:check": "tsgrad build --check" };
export const GITATTRIBUTES_LINE = "*.grad.ts linguist-generated=true";
const ESLINT_FLAT = ["eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", "eslint.config.ts", "eslint.config.mts", "eslint.config.cts"];

/** Runs `tsgrad init` in `io.cwd`; returns the exit code (1 when there is no package.json or a file cannot be written). */
export function runInit(io: CliIo): number {
  const root = io.cwd;
  const packageFile = path.join(root, "package.json");
  if (!existsSync(packageFile)) {
    io.stderr(`error: no package.json in ${root}\nRun 'tsgrad init' at the root of your project ('npm init' creates a package.json).\n`);
    return 1;
  }
  const say = (line: string) => io.stdout(`${line}\n`);
  try {
    const text = readFileSync(packageFile, "utf8");
    let pkg: Record<string, unknown>;
    try {
      pkg = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      io.stderr(`error: package.json is not valid JSON: ${(error as Error).message}\n`);
      return 1;
    }
    let changed = false;
    const scripts = { ...((pkg["scripts"] as Record<string, string> | undefined) ?? {}) };
    for (const [name, command] of Object.entries(SCRIPTS)) {
      if (scripts[name] === undefined) {
        scripts[name] = command;
        changed = true;
        say(`added script "${name}": "${command}" to package.json`);
      } else if (scripts[name] === command) {
        say(`package.json already has script "${name}"`);
      } else {
        say(`kept your script "${name}": "${scripts[name]}" (tsgrad would have added "${command}")`);
      }
    }
    if (changed) pkg["scripts"] = scripts;
    if (existsSync(path.join(root, CONFIG_FILE))) {
      say(`${CONFIG_FILE} already configures tsgrad`);
    } else if (pkg["tsgrad"] !== undefined) {
      say(`package.json already has a "tsgrad" configuration`);
    } else {
      const include = existsSync(path.join(root, "src")) ? ["src"] : ["."];
      pkg["tsgrad"] = { include, format: "project" };
      changed = true;
      say(`added "tsgrad": { "include": ${JSON.stringify(include)}, "format": "project" } to package.json (what 'tsgrad build' builds; formatting with your prettier configuration)`);
    }
    if (changed) writeWhole(packageFile, stringifyLike(text, pkg), io.pid);

    appendLine(root, ".gitattributes", GITATTRIBUTES_LINE, /^\*\.grad\.ts\s.*linguist-generated/m, io, true);
    if (existsSync(path.join(root, ".eslintignore"))) {
      appendLine(root, ".eslintignore", "*.grad.ts", /^(\*\*\/)?\*\.grad\.ts\s*$/m, io, false);
    }
    const flat = ESLINT_FLAT.find((f) => existsSync(path.join(root, f)));
    if (flat) say(`ESLint: add { ignores: ["**/*.grad.ts"] } to the array in ${flat} (tsgrad does not edit code)`);
    const biome = ["biome.json", "biome.jsonc"].find((f) => existsSync(path.join(root, f)));
    if (biome) say(`Biome: add "!**/*.grad.ts" to files.includes in ${biome}`);

    const deps = { ...(pkg["dependencies"] as object | undefined), ...(pkg["devDependencies"] as object | undefined) };
    if (!("tsgrad" in deps)) say(`tsgrad is not in package.json: run 'npm install --save-dev tsgrad' so the scripts find it`);
    say(`Next: tag a function with /** @grad */ and run 'npm run tsgrad:build'; check generated files in CI with 'npm run tsgrad:check'.`);
    return 0;
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Appends `line` to the file (creating it) unless `present` matches its text. */
function appendLine(root: string, name: string, line: string, present: RegExp, io: CliIo, create: boolean): void {
  const file = path.join(root, name);
  const text = existsSync(file) ? readFileSync(file, "utf8") : null;
  if (text !== null && present.test(text)) {
    io.stdout(`${name} already marks *.grad.ts\n`);
    return;
  }
  if (text === null && !create) return;
  const next = text === null || text === "" ? `${line}\n` : `${text}${text.endsWith("\n") ? "" : "\n"}${line}\n`;
  writeWhole(file, next, io.pid);
  io.stdout(`${text === null ? "created" : "added to"} ${name}: ${line}\n`);
}

/** JSON text of `value` indented like `original` (its first indented line), with its final newline or lack of one. */
export function stringifyLike(original: string, value: unknown): string {
  const indent = /^[ \t]+(?=")/m.exec(original)?.[0] ?? "  ";
  const eol = original.includes("\r\n") ? "\r\n" : "\n";
  const text = JSON.stringify(value, null, indent).replace(/\n/g, eol);
  return /\r?\n$/.test(original) || original === "" ? text + eol : text;
}

/** Writes through a temporary file renamed over the target, so a failure leaves the old file whole. */
function writeWhole(file: string, text: string, pid: number): void {
  const temp = `${file}.${pid}.tsgrad-tmp`;
  try {
    writeFileSync(temp, text, "utf8");
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new Error(`cannot write ${path.basename(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
