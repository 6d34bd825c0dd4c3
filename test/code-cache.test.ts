/**
 * compiler/codeCache.ts: a CommonJS file required through V8's code cache is the same
 * module as required plainly, its cache is written once and then used, and a cache never
 * serves another text: an edited file (even at the same length, which is all V8 itself
 * checks) is compiled afresh; a damaged cache is not used; a cache folder others may write
 * to is not used; TSGRAD_CODE_CACHE=off turns it off; old caches are deleted. Each case is a fresh Node process
 * with its own temporary folder.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { KEPT_PER_FILE } from "../compiler/codeCache.ts";

const codeCache = fileURLToPath(new URL("../compiler/codeCache.ts", import.meta.url));
const uid = typeof process.getuid === "function" ? process.getuid() : "user";
const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

function setup(): { tmp: string; module: string; cacheDir: string } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsgrad-code-cache-test-"));
  made.push(tmp);
  const module = path.join(tmp, "lib.cjs");
  writeFileSync(module, "exports.value = function () { return 'one'; };\nexports.loader = typeof require;\n");
  return { tmp, module, cacheDir: path.join(tmp, `tsgrad-code-cache-${uid}`) };
}

/** Requires `module` through the cache in a new process whose temporary folder is `tmp`; what it exports. */
function load(tmp: string, module: string, env: Record<string, string> = {}): { value: string; loader: string } {
  const script = `const { requireWithCodeCache } = await import(${JSON.stringify(codeCache)}); const m = requireWithCodeCache(${JSON.stringify(module)}); console.log(JSON.stringify({ value: m.value(), loader: m.loader }));`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, TMPDIR: tmp, ...env } });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout.trim());
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".bin"));

describe("requireWithCodeCache", () => {
  it("writes the cache once, at the end of the first process, and later processes use it", () => {
    const { tmp, module, cacheDir } = setup();
    expect(load(tmp, module)).toEqual({ value: "one", loader: "function" });
    const [file] = cacheFiles(cacheDir);
    expect(file).toMatch(/^lib-[0-9a-f]{32}\.bin$/);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const written = statSync(path.join(cacheDir, file!)).mtimeMs;
    expect(load(tmp, module)).toEqual({ value: "one", loader: "function" });
    // Accepted, so not written again.
    expect(statSync(path.join(cacheDir, file!)).mtimeMs).toBe(written);
    expect(cacheFiles(cacheDir)).toEqual([file]);
  });

  it("compiles an edited file afresh, even one of the same length", () => {
    const { tmp, module, cacheDir } = setup();
    expect(load(tmp, module).value).toBe("one");
    writeFileSync(module, readFileSync(module, "utf8").replace("'one'", "'two'"));
    expect(load(tmp, module).value).toBe("two");
    expect(cacheFiles(cacheDir)).toHaveLength(2);
  });

  it("does not hand a damaged cache to V8, and replaces it", () => {
    const { tmp, module, cacheDir } = setup();
    load(tmp, module);
    const file = path.join(cacheDir, cacheFiles(cacheDir)[0]!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    expect(load(tmp, module).value).toBe("one");
    expect(readFileSync(file).equals(bytes)).toBe(false);
  });

  it("keeps the newest caches of a file, deleting older ones (each reinstall makes another)", () => {
    const { tmp, module, cacheDir } = setup();
    load(tmp, module);
    const older = Array.from({ length: 5 }, (_, k) => path.join(cacheDir, `lib-${String(k).repeat(32)}.bin`));
    older.forEach((file, k) => {
      writeFileSync(file, "old");
      utimesSync(file, 1000 + k, 1000 + k);
    });
    const other = path.join(cacheDir, `other-${"a".repeat(32)}.bin`);
    writeFileSync(other, "another file's");
    utimesSync(other, 1, 1);
    writeFileSync(module, readFileSync(module, "utf8").replace("'one'", "'two'"));
    expect(load(tmp, module).value).toBe("two");
    const left = cacheFiles(cacheDir);
    expect(left.filter((f) => f.startsWith("lib-"))).toHaveLength(KEPT_PER_FILE);
    // The new one, the one before it, and the newest of the old ones.
    expect(left).toContain(path.basename(older[4]!));
    expect(left).not.toContain(path.basename(older[0]!));
    expect(left).toContain(path.basename(other));
  });

  it("uses no cache folder that others may write to, and none with TSGRAD_CODE_CACHE=off", () => {
    const open = setup();
    load(open.tmp, open.module, { TSGRAD_CODE_CACHE: "off" });
    expect(readdirSync(open.tmp).filter((f) => f.startsWith("tsgrad-"))).toEqual([]);
    load(open.tmp, open.module);
    chmodSync(open.cacheDir, 0o777);
    rmSync(path.join(open.cacheDir, cacheFiles(open.cacheDir)[0]!));
    expect(load(open.tmp, open.module).value).toBe("one");
    expect(cacheFiles(open.cacheDir)).toEqual([]);
  });
});
