/**
 * Reads the sources of a build. Each file is decoded as strict UTF-8; a file that is not
 * valid UTF-8 (or cannot be read at all) gives a TSG1002 diagnostic instead of an input.
 * Also follows relative imports of the named sources to files that exist but were not
 * named, so the compiler sees the helpers they call ("context" files: compiled for
 * reference, their outputs neither written nor checked).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { SourceInput } from "../pipeline.ts";
import { Codes, type Diagnostic } from "../diagnostics.ts";
import type { FolderSpellings } from "./paths.ts";
import { isSourcePath, sourceOfGeneratedImport } from "./discover.ts";
import { existsSync, statSync } from "node:fs";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export type ReadResult = { text: string } | { error: string };

export function readUtf8(file: string): ReadResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return { error: `cannot read file: ${describeFsError(error)}` };
  }
  try {
    let text = strictUtf8.decode(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { text };
  } catch {
    return { error: "file is not valid UTF-8; save it as UTF-8 to build it" };
  }
}

export function describeFsError(error: unknown): string {
  if (error && typeof error === "object" && "code" in error) {
    const code = String((error as { code: unknown }).code);
    const reasons: Record<string, string> = {
      EACCES: "permission denied",
      EPERM: "operation not permitted",
      ENOENT: "no such file or folder",
      EISDIR: "is a folder",
      ENOTDIR: "not a folder",
      EROFS: "read-only file system",
      ENOSPC: "no space left on device",
      EEXIST: "already exists",
    };
    return reasons[code] ? `${reasons[code]} (${code})` : code;
  }
  return error instanceof Error ? error.message : String(error);
}

export function fileDiagnostic(file: string, message: string, code: Diagnostic["code"] = Codes.UnreadableFile): Diagnostic {
  return { code, message, file, line: 1, column: 1, length: 1 };
}

export interface ReadSources {
  inputs: SourceInput[];
  /** Sources pulled in only because a named source imports them. */
  context: Set<string>;
  /** The relative imports of every file read, as resolved on disk (for the build cache's keys). */
  imports: Map<string, { specifier: string; resolved: string | null }[]>;
  diagnostics: Diagnostic[];
}

/** `spellings`: how the build spells each real folder (discover.ts), so an import of a file already met under another name is that file. */
export function readSources(sources: readonly string[], spellings?: FolderSpellings): ReadSources {
  const inputs: SourceInput[] = [];
  const diagnostics: Diagnostic[] = [];
  const context = new Set<string>();
  const imports = new Map<string, { specifier: string; resolved: string | null }[]>();
  const seen = new Set<string>(sources);
  const queue = [...sources];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const read = readUtf8(file);
    if ("error" in read) {
      if (!context.has(file)) diagnostics.push(fileDiagnostic(file, read.error));
      continue;
    }
    inputs.push({ path: file, text: read.text });
    const resolved = resolveImports(file, read.text).map((i) => (i.resolved && spellings ? { ...i, resolved: spellings.canonical(i.resolved) } : i));
    imports.set(file, resolved);
    for (const { resolved: imported } of resolved) {
      if (imported === null || seen.has(imported)) continue;
      seen.add(imported);
      context.add(imported);
      queue.push(imported);
    }
  }
  return { inputs, context, imports, diagnostics };
}

/** Existing `.ts` files named by relative `import`/`export … from` specifiers. A scan, not a parse. */
export function relativeImports(file: string, text: string): string[] {
  return resolveImports(file, text).flatMap((i) => (i.resolved ? [i.resolved] : []));
}

/** Every relative specifier in `text` and the existing `.ts` source it names, or null. */
export function resolveImports(file: string, text: string): { specifier: string; resolved: string | null }[] {
  const found: { specifier: string; resolved: string | null }[] = [];
  const pattern = /\b(?:from|import)\s*["'](\.{1,2}\/[^"'\n]+)["']/g;
  for (const match of text.matchAll(pattern)) {
    const base = path.resolve(path.dirname(file), match[1]);
    // A generated file (`./inner.grad.js`, nested derivatives) is compiled from its source.
    const generated = sourceOfGeneratedImport(base);
    const candidates = [...(generated ? [generated] : []), base.replace(/\.js$/, ".ts"), base, `${base}.ts`, path.join(base, "index.ts")];
    const hit = candidates.find((c) => isSourcePath(c) && existsSync(c) && statSync(c).isFile());
    found.push({ specifier: match[1], resolved: hit ?? null });
  }
  return found;
}
