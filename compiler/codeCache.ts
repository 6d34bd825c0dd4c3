/**
 * Requiring a large CommonJS file with V8's code cache: what Node 22's
 * `module.enableCompileCache()` does, for one file, on Node 20. TypeScript's 9 MB file takes
 * ~0.17 s of CPU to compile at every start of the command; from the cache, ~0.07 s.
 *
 * The cache of a file is V8's serialized bytecode, kept in `<tmpdir>/tsgrad-code-cache-<uid>`
 * (created private to the user; a folder that is a link, or is another user's, or that
 * others may write to, is not used). Its name is a hash of what could make it stale: the
 * file's path, size, inode and modification and change times (a file replaced or edited
 * has another change time, even when an installer resets its modification time), and
 * Node's and V8's versions and the architecture; V8 checks its own version, flags and the
 * source's length again and rejects a cache that does not fit (then the file is compiled
 * as usual). Written once, at the end of the first process that compiled the file, so it
 * holds the functions that process ran as well (to a temporary file, then renamed), after
 * its own SHA-256, which is checked before V8 is given the rest; the newest KEPT_PER_FILE
 * caches of one file are kept (a reinstall makes another), older ones deleted.
 * TSGRAD_CODE_CACHE=off turns it off. Any failure of the cache falls back to `require`.
 */
import { createHash, randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";

/** `require(file)` through the code cache (the module is registered with Node's CommonJS loader as `require` registers it). */
export function requireWithCodeCache(file: string): unknown {
  const cached = (Module as unknown as { _cache: Record<string, Module> })._cache[file];
  if (cached) return cached.exports;
  const cacheFile = process.env["TSGRAD_CODE_CACHE"] === "off" ? null : cacheFileOf(file);
  if (!cacheFile) return createRequire(file)(file);
  let cachedData: Buffer | undefined;
  try {
    if (ownedFile(cacheFile)) cachedData = verified(readFileSync(cacheFile));
  } catch {
    cachedData = undefined;
  }
  const source = readFileSync(file, "utf8");
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const module = new Module(file, undefined);
  module.filename = file;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  (Module as unknown as { _cache: Record<string, Module> })._cache[file] = module;
  try {
    const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
    wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  } catch (error) {
    delete (Module as unknown as { _cache: Record<string, Module> })._cache[file];
    throw error;
  }
  module.loaded = true;
  if (!cachedData || script.cachedDataRejected) process.once("exit", () => writeCache(cacheFile, script));
  return module.exports;
}

/** Where the cache of `file` is, or null when there is no usable cache folder. */
function cacheFileOf(file: string): string | null {
  try {
    const uid = typeof process.getuid === "function" ? process.getuid() : null;
    const dir = path.join(os.tmpdir(), `tsgrad-code-cache-${uid ?? "user"}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const folder = lstatSync(dir);
    if (!folder.isDirectory() || (uid !== null && folder.uid !== uid) || (uid !== null && (folder.mode & 0o022) !== 0)) return null;
    const stat = lstatSync(file, { bigint: true });
    const identity = [file, stat.size, stat.ino, stat.dev, stat.mtimeNs, stat.ctimeNs, process.version, process.versions.v8, process.arch].join("\n");
    return path.join(dir, `${path.parse(file).name}-${createHash("sha256").update(identity).digest("hex").slice(0, 32)}.bin`);
  } catch {
    return null;
  }
}

/** A regular file of this user's (not a link). */
function ownedFile(file: string): boolean {
  const stat = lstatSync(file, { throwIfNoEntry: false });
  return !!stat && stat.isFile() && (typeof process.getuid !== "function" || stat.uid === process.getuid());
}

/** The cache's content: after its SHA-256, which must match (a damaged cache is not handed to V8). */
function verified(stored: Buffer): Buffer | undefined {
  const data = stored.subarray(32);
  return stored.length > 32 && createHash("sha256").update(data).digest().equals(stored.subarray(0, 32)) ? data : undefined;
}

function writeCache(cacheFile: string, script: vm.Script): void {
  const temporary = `${cacheFile}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const data = script.createCachedData();
    writeFileSync(temporary, Buffer.concat([createHash("sha256").update(data).digest(), data]), { mode: 0o600 });
    renameSync(temporary, cacheFile);
    prune(cacheFile);
  } catch {
    rmSync(temporary, { force: true });
  }
}

/** Caches of the same file kept at most (other installs of it, or earlier ones: each reinstall makes another). */
export const KEPT_PER_FILE = 4;

/** Deletes the oldest caches of the file `cacheFile` caches, past KEPT_PER_FILE. */
function prune(cacheFile: string): void {
  const dir = path.dirname(cacheFile);
  const prefix = path.basename(cacheFile).replace(/[0-9a-f]{32}\.bin$/, "");
  const same = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && /^[0-9a-f]{32}\.bin$/.test(f.slice(prefix.length)))
    .map((f) => ({ file: path.join(dir, f), modified: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.modified - a.modified);
  for (const { file } of same.slice(KEPT_PER_FILE)) if (file !== cacheFile) rmSync(file, { force: true });
}
