/**
 * Which files a build covers. Takes the paths from the command line (files or folders,
 * default the current folder); gives the absolute, sorted, de-duplicated list of sources
 * to compile, the folders that were walked, and the generated files found in them (the
 * candidates for orphan removal). A path that does not exist is a usage error.
 *
 * Folders are walked recursively in sorted order, skipping `node_modules`, dot-folders,
 * `*.grad.ts` and `*.d.ts`; only `.ts` files count (not `.tsx`). Symbolic links to files
 * are followed, links to folders are not (no cycles). A folder named twice (itself and a
 * link to it) is one folder: every path is spelled as the build first met its real folder
 * (paths.ts), so each source and each output appears once.
 *
 * Also finds the staged files a killed build left (`X.grad.ts.<pid>.tsgrad-tmp`) in the
 * walked folders and beside the named sources' outputs.
 *
 * A path that does not exist but holds a glob character (`*`, `?`, `[`, `{`) is a glob,
 * for shells that pass it quoted and for the config's `include` (`"src/**\/*.ts"`): the
 * sources it matches are built (same rules: no node_modules, dot-folders, `.d.ts`), and
 * the generated files it matches are the orphan candidates. A glob matching nothing is
 * a usage error, like a missing path.
 */
import { readdirSync, statSync, type Dirent } from "node:fs";
import path from "node:path";
import { globSync } from "tinyglobby";
import { UsageError } from "./args.ts";
import { FolderSpellings, leftoverOf, leftoversBeside } from "./paths.ts";

export interface Discovered {
  /** Absolute paths of the sources to compile, sorted. */
  sources: string[];
  /** Absolute paths of the `*.grad.ts` files found while walking folders, sorted. */
  generatedInWalkedFolders: string[];
  /** Staged files of earlier builds (`X.grad.ts.<pid>.tsgrad-tmp`), sorted; live builds' included. */
  leftovers: string[];
  /** How this build spells each real folder (reading sources follows imports with it). */
  spellings: FolderSpellings;
}

export function isGeneratedPath(file: string): boolean {
  return file.endsWith(".grad.ts");
}

export function isSourcePath(file: string): boolean {
  return file.endsWith(".ts") && !file.endsWith(".d.ts") && !isGeneratedPath(file);
}

export function outputPathOf(source: string): string {
  return source.replace(/\.ts$/, ".grad.ts");
}

export function sourcePathOf(generated: string): string {
  return generated.replace(/\.grad\.ts$/, ".ts");
}

/**
 * The source whose generated code an import path names (`…/inner.grad.js` → `…/inner.ts`),
 * else null. The same rule as the compiler's `sourceOfGenerated`, kept here so reading
 * sources does not load the compiler.
 */
export function sourceOfGeneratedImport(importPath: string): string | null {
  return /\.grad(\.js|\.ts)?$/.test(importPath) ? importPath.replace(/\.grad(\.js|\.ts)?$/, ".ts") : null;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function discover(paths: readonly string[], cwd: string): Discovered {
  const spellings = new FolderSpellings();
  const found: Found = { sources: new Set(), generated: new Set(), leftovers: new Set() };
  for (const given of paths.length > 0 ? paths : ["."]) {
    const abs = path.resolve(cwd, given);
    let stat;
    try {
      stat = statSync(abs);
    } catch {
      if (isGlob(given)) {
        expandGlob(abs, given, found, spellings);
        continue;
      }
      throw new UsageError(`no such file or folder: ${given}`);
    }
    if (stat.isDirectory()) {
      walk(abs, found, spellings);
    } else if (isGeneratedPath(abs)) {
      throw new UsageError(`${given} is a generated file; name its source ${path.basename(sourcePathOf(abs))} instead`);
    } else if (isSourcePath(abs)) {
      const source = spellings.canonical(abs);
      addNamedSource(found, source);
    } else {
      throw new UsageError(`not a TypeScript source file (.ts): ${given}`);
    }
  }
  const sorted = (set: Set<string>) => [...set].sort(compareStrings);
  return { sources: sorted(found.sources), generatedInWalkedFolders: sorted(found.generated), leftovers: sorted(found.leftovers), spellings };
}

/** A source named on the command line or matched by a glob: its output's folder is not walked, so its leftovers are looked up beside the output. */
function addNamedSource(found: Found, source: string): void {
  found.sources.add(source);
  for (const leftover of leftoversBeside(outputPathOf(source))) found.leftovers.add(leftover);
}

interface Found {
  sources: Set<string>;
  generated: Set<string>;
  leftovers: Set<string>;
}

function walk(dir: string, found: Found, spellings: FolderSpellings): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // an unreadable folder holds nothing we can build
  }
  entries.sort((a, b) => compareStrings(a.name, b.name));
  for (const entry of entries) {
    const full = spellings.canonical(path.join(dir, entry.name));
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      walk(full, found, spellings);
      continue;
    }
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        isFile = statSync(full).isFile();
      } catch {
        isFile = false; // dangling link
      }
    }
    if (!isFile) continue;
    if (isGeneratedPath(entry.name)) found.generated.add(full);
    else if (isSourcePath(entry.name)) found.sources.add(full);
    else if (leftoverOf(entry.name)) found.leftovers.add(full);
  }
}

/** Whether a command-line path is a glob pattern (checked only when no such file exists). */
export function isGlob(given: string): boolean {
  return /[*?[{]/.test(given);
}

function expandGlob(pattern: string, given: string, found: Found, spellings: FolderSpellings): void {
  // The pattern's folders before its first glob character are its root: the match can
  // then climb out of the current folder (`../models/*.ts`) and stays fast in a big tree.
  const parts = pattern.split(/[\\/]/);
  const first = parts.findIndex((p) => isGlob(p));
  const root = parts.slice(0, first).join("/") || "/";
  const files = globSync(parts.slice(first).join("/"), { cwd: root, absolute: true, onlyFiles: true, expandDirectories: false, ignore: ["**/node_modules/**"] });
  if (files.length === 0) throw new UsageError(`no files match ${given}`);
  for (const file of files.map((f) => spellings.canonical(path.normalize(f)))) {
    if (isGeneratedPath(file)) found.generated.add(file);
    else if (isSourcePath(file)) addNamedSource(found, file);
  }
}
