/**
 * The build cache: what compiling one source gave (its generated text, or "no
 * annotations"), keyed by everything that can change it, so a build whose sources did
 * not change compiles nothing (and never loads the compiler).
 *
 * The key of a source is a SHA-256 over
 *   - tsgrad's fingerprint: the package version, the versions of ts-morph and prettier,
 *     and a hash of the compiler's and the runtime's own files (a changed compiler, even
 *     at the same version number, never reuses an old result);
 *   - the options that change output (`--debug`);
 *   - the source's name and text, and the name (relative to the source) and text of every
 *     file it imports, transitively, with how each relative import specifier resolved
 *     (so a helper appearing where an import pointed at nothing changes the key too).
 * Only clean results are stored (no diagnostic in the source or anything it imports), so
 * a hit is never a result that should have been an error.
 *
 * Where: `TSGRAD_CACHE_DIR` if set; else `node_modules/.cache/tsgrad` in the nearest
 * folder at or above the current one that holds a package.json; else
 * `<tmpdir>/tsgrad-cache-<uid>`. One JSON file per entry, written atomically (temporary
 * file, then rename). An entry that does not parse, names another key, or whose checksum
 * does not match its content is ignored (and replaced); a cache folder owned by another
 * user is not used at all. Writing is best effort: a read-only cache only costs speed.
 * At most MAX_ENTRIES entries are kept; past that the oldest are deleted.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isGeneratedText } from "../backend/header.ts";

export const CACHE_FORMAT = "tsgrad-cache/1";
export const MAX_ENTRIES = 4096;

/** What compiling a source gave: its generated text, or null (no annotations). */
export type CachedOutput = { text: string | null };

export interface CacheLocation {
  dir: string;
  /** Why caching is off for this folder, if it is. */
  disabled?: string;
}

/** The cache folder for a build run from `cwd` (see the module comment). */
export function cacheLocation(cwd: string, env: NodeJS.ProcessEnv = process.env): CacheLocation {
  if (env.TSGRAD_CACHE_DIR) return checkOwner(path.resolve(cwd, env.TSGRAD_CACHE_DIR));
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return checkOwner(path.join(dir, "node_modules", ".cache", "tsgrad"));
    if (path.dirname(dir) === dir) break;
  }
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  return checkOwner(path.join(os.tmpdir(), `tsgrad-cache-${uid}`));
}

function checkOwner(dir: string): CacheLocation {
  try {
    const stat = statSync(dir);
    if (!stat.isDirectory()) return { dir, disabled: "not a folder" };
    if (typeof process.getuid === "function" && stat.uid !== process.getuid()) return { dir, disabled: "owned by another user" };
  } catch {
    // absent: created on first write
  }
  return { dir };
}

export class BuildCache {
  private readonly memory = new Map<string, CachedOutput>();

  /** `dir` null: an in-memory cache only (watch mode and the bundler plugin keep one per process). */
  constructor(readonly dir: string | null) {}

  get(key: string): CachedOutput | undefined {
    const remembered = this.memory.get(key);
    if (remembered) return remembered;
    if (this.dir === null) return undefined;
    const entry = readEntry(this.entryPath(key), key);
    if (entry) this.memory.set(key, entry);
    return entry;
  }

  put(key: string, output: CachedOutput): void {
    this.memory.set(key, output);
    if (this.dir === null) return;
    const file = this.entryPath(key);
    const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      const tag = path.join(this.dir, "CACHEDIR.TAG");
      if (!existsSync(tag)) writeFileSync(tag, "Signature: 8a477f597d28d172789f06886806bc55\n# tsgrad's build cache; safe to delete.\n");
      writeFileSync(temp, JSON.stringify({ format: CACHE_FORMAT, key, text: output.text, sha256: checksum(output.text) }));
      renameSync(temp, file);
    } catch {
      rmSync(temp, { force: true });
    }
  }

  /** Deletes the oldest entries when there are more than `max`. */
  prune(max = MAX_ENTRIES): void {
    if (this.dir === null) return;
    try {
      const entries = readdirSync(this.dir).filter((f) => f.endsWith(".json"));
      if (entries.length <= max) return;
      const aged = entries.map((f) => ({ f, t: statSync(path.join(this.dir!, f)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { f } of aged.slice(0, entries.length - Math.floor((max * 3) / 4))) rmSync(path.join(this.dir, f), { force: true });
    } catch {
      // best effort
    }
  }

  private entryPath(key: string): string {
    return path.join(this.dir!, `${key}.json`);
  }
}

function checksum(text: string | null): string {
  return createHash("sha256").update(text === null ? "\0none" : `\0text\0${text}`).digest("hex");
}

/** An entry as stored, or undefined when it is absent, corrupt or not what it claims to be. */
function readEntry(file: string, key: string): CachedOutput | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const entry = JSON.parse(raw) as { format?: unknown; key?: unknown; text?: unknown; sha256?: unknown };
    if (entry.format !== CACHE_FORMAT || entry.key !== key) return undefined;
    if (entry.text !== null && typeof entry.text !== "string") return undefined;
    if (typeof entry.text === "string" && !isGeneratedText(entry.text)) return undefined;
    if (entry.sha256 !== checksum(entry.text)) return undefined;
    return { text: entry.text };
  } catch {
    return undefined;
  }
}

/** One file a source depends on, as it goes into the key. */
export interface KeyPart {
  /** Path relative to the source's folder, `/`-separated (the source itself: its base name). */
  name: string;
  /** Its text, or null when it could not be read. */
  text: string | null;
  /** Each relative import specifier in it and the file it resolved to (relative, like name), or null. */
  imports: readonly { specifier: string; resolved: string | null }[];
}

/** The key of a source: `parts` is the source first, then what it imports, in a fixed order. */
export function cacheKey(fingerprint: string, options: { debug: boolean; style?: string; checkpointBudget?: number }, parts: readonly KeyPart[]): string {
  const hash = createHash("sha256");
  hash.update(`${CACHE_FORMAT}\0${fingerprint}\0${JSON.stringify(options)}\0`);
  for (const part of parts) {
    hash.update(`file\0${part.name}\0`);
    hash.update(part.text === null ? "unreadable\0" : `${part.text.length}\0${part.text}\0`);
    for (const i of part.imports) hash.update(`import\0${i.specifier}\0${i.resolved ?? "unresolved"}\0`);
  }
  return hash.digest("hex");
}

let fingerprintMemo: string | undefined;

/**
 * tsgrad's own identity for the cache: version, dependency versions, and a hash of every
 * file of the package's code folders (`compiler/`, `runtime/`, and `dist/` when the
 * compiled JavaScript is there), found from the package root above this module (a few ms).
 */
export function toolFingerprint(): string {
  if (fingerprintMemo) return fingerprintMemo;
  const here = path.dirname(fileURLToPath(import.meta.url));
  let root = here;
  while (!existsSync(path.join(root, "package.json")) && path.dirname(root) !== root) root = path.dirname(root);
  const hash = createHash("sha256");
  const require = createRequire(import.meta.url);
  for (const pkg of ["tsgrad", "prettier/package.json", "ts-morph/package.json"]) {
    let version = "unknown";
    try {
      const file = pkg === "tsgrad" ? path.join(root, "package.json") : require.resolve(pkg);
      version = String((JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version);
    } catch {
      // unknown: the code hash below still changes with the code
    }
    hash.update(`${pkg}\0${version}\0`);
  }
  for (const folder of ["compiler", "runtime", "dist"]) hashTree(root, path.join(root, folder), hash);
  fingerprintMemo = hash.digest("hex").slice(0, 32);
  return fingerprintMemo;
}

function hashTree(root: string, dir: string, hash: ReturnType<typeof createHash>): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) hashTree(root, full, hash);
    else if (e.isFile() && !e.name.endsWith(".md")) {
      hash.update(`${path.relative(root, full)}\0`);
      hash.update(readFileSync(full));
    }
  }
}
