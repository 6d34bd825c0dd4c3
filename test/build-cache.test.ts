/**
 * The build cache (compiler/cli/cache.ts) as a user meets it: through `main()` and the
 * real `bin/tsgrad.js`, in temporary projects (each with a package.json, so the cache is
 * the project's own `node_modules/.cache/tsgrad`). The oracle for "not stale" is always a
 * build with `--no-cache`, which compiles everything from the files on disk.
 */
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.ts";
import { cacheLocation } from "../compiler/cli/cache.ts";

const repo = path.resolve(import.meta.dirname, "..");
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-cache-test-"));
  roots.push(root);
  put(root, "package.json", '{ "name": "p", "private": true }\n');
  for (const [name, text] of Object.entries(files)) put(root, name, text);
  return root;
}

function put(root: string, name: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
  writeFileSync(path.join(root, name), text);
}

const read = (root: string, name: string) => readFileSync(path.join(root, name), "utf8");
const cacheDir = (root: string) => path.join(root, "node_modules/.cache/tsgrad");
const entries = (root: string) => readdirSync(cacheDir(root)).filter((f) => f.endsWith(".json"));

async function tsgrad(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { cwd, pid: 4242, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

/** "N compiled, M from the cache" from a --verbose build. */
function counts(stdout: string): { compiled: number; cached: number } {
  const m = /(\d+) compiled, (\d+) from the cache/.exec(stdout);
  if (!m) throw new Error(`no cache summary in:\n${stdout}`);
  return { compiled: Number(m[1]), cached: Number(m[2]) };
}

/** Builds with --no-cache into a copy and returns the generated texts: what the cache must agree with. */
async function uncached(root: string, names: string[]): Promise<Record<string, string>> {
  const copy = mkdtempSync(path.join(os.tmpdir(), "tsgrad-cache-oracle-"));
  roots.push(copy);
  for (const f of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!f.isFile() || f.parentPath.includes("node_modules") || f.name.endsWith(".grad.ts")) continue;
    const rel = path.relative(root, path.join(f.parentPath, f.name));
    put(copy, rel, read(root, rel));
  }
  const r = await tsgrad(copy, "build", "--no-cache");
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries(names.map((n) => [n, read(copy, n)]));
}

const HELPER = (k: number) => `export function scale(t: number): number {\n  return t * ${k};\n}\n`;
const USER = `import { scale } from "./lib/scale.js";\n\n/** @grad */\nexport function f(x: number): number {\n  return scale(x) * x;\n}\n`;
const ALONE = `/** @grad */\nexport function g(x: number): number {\n  return Math.sin(x) * x;\n}\n`;

describe("build cache", () => {
  it("a no-op build compiles nothing, also in a new process", async () => {
    const dir = project({ "lib/scale.ts": HELPER(5), "user.ts": USER, "alone.ts": ALONE });
    const first = await tsgrad(dir, "build", "--verbose");
    expect(first.code).toBe(0);
    expect(counts(first.stdout)).toEqual({ compiled: 3, cached: 0 });
    expect(first.stdout).toContain("Built 3 sources: 2 written, 0 unchanged, 1 without annotations.");
    expect(entries(dir)).toHaveLength(3);

    const again = await tsgrad(dir, "build", "--verbose");
    expect(counts(again.stdout)).toEqual({ compiled: 0, cached: 3 });
    expect(again.stdout).toContain("Built 3 sources: 0 written, 2 unchanged, 1 without annotations.");
    const check = await tsgrad(dir, "build", "--check", "--verbose");
    expect(check.code).toBe(0);
    expect(counts(check.stdout)).toEqual({ compiled: 0, cached: 3 });

    // The real command, a fresh process: the entries on disk are what it reuses.
    const bin = spawnSync(process.execPath, [path.join(repo, "bin/tsgrad.js"), "build", "--check", "--verbose"], { cwd: dir, encoding: "utf8" });
    expect(bin.status, bin.stderr).toBe(0);
    expect(counts(bin.stdout)).toEqual({ compiled: 0, cached: 3 });
  }, 60_000);

  it("never serves a stale result: a changed imported helper rebuilds its importer, directly or through another file", async () => {
    const dir = project({
      "lib/scale.ts": HELPER(5),
      "lib/twice.ts": `import { scale } from "./scale.ts";\nexport function twice(t: number): number {\n  return scale(t) + scale(t);\n}\n`,
      "user.ts": USER,
      "far.ts": `import { twice } from "./lib/twice.js";\n\n/** @grad */\nexport function h(x: number): number {\n  return twice(x) * x;\n}\n`,
      "alone.ts": ALONE,
    });
    expect((await tsgrad(dir, "build")).code).toBe(0);
    expect(read(dir, "user.grad.ts")).toContain("5");
    const before = { user: read(dir, "user.grad.ts"), far: read(dir, "far.grad.ts"), alone: read(dir, "alone.grad.ts") };

    put(dir, "lib/scale.ts", HELPER(8));
    const r = await tsgrad(dir, "build", "--verbose");
    expect(r.code).toBe(0);
    // scale.ts, twice.ts, user.ts and far.ts again; alone.ts from the cache.
    expect(counts(r.stdout)).toEqual({ compiled: 4, cached: 1 });
    expect(r.stdout).toContain("wrote far.grad.ts\nwrote user.grad.ts\n");
    expect(read(dir, "user.grad.ts")).not.toBe(before.user);
    expect(read(dir, "far.grad.ts")).not.toBe(before.far);
    expect(read(dir, "alone.grad.ts")).toBe(before.alone);
    expect({ "user.grad.ts": read(dir, "user.grad.ts"), "far.grad.ts": read(dir, "far.grad.ts") }).toEqual(await uncached(dir, ["user.grad.ts", "far.grad.ts"]));

    // Back to the old helper: the old entries are valid again, nothing is compiled.
    put(dir, "lib/scale.ts", HELPER(5));
    const back = await tsgrad(dir, "build", "--verbose");
    expect(counts(back.stdout)).toEqual({ compiled: 0, cached: 5 });
    expect(read(dir, "user.grad.ts")).toBe(before.user);
  }, 60_000);

  it("a source calling another source's generated code is rebuilt when that source changes", async () => {
    const inner = (k: number) => `/** @jvp x */\nexport function g(x: number): number {\n  return x * x * ${k};\n}\n`;
    const dir = project({
      "inner.ts": inner(2),
      "outer.ts": 'import { gJvp } from "./inner.grad.js";\n\n/** @grad */\nexport function f(x: number): number {\n  return gJvp(x, { x: 1 }).tangent;\n}\n',
    });
    expect((await tsgrad(dir, "build")).code).toBe(0);
    const before = read(dir, "outer.grad.ts");
    put(dir, "inner.ts", inner(7));
    const r = await tsgrad(dir, "build", "--verbose");
    expect(counts(r.stdout)).toEqual({ compiled: 2, cached: 0 });
    expect(read(dir, "outer.grad.ts")).not.toBe(before);
    expect(read(dir, "outer.grad.ts")).toBe((await uncached(dir, ["outer.grad.ts"]))["outer.grad.ts"]);
  }, 60_000);

  it("an import that comes to resolve to another file changes the key", async () => {
    const dir = project({
      "lib/index.ts": HELPER(3),
      "user.ts": USER.replace("./lib/scale.js", "./lib"),
    });
    expect((await tsgrad(dir, "build")).code).toBe(0);
    expect(read(dir, "user.grad.ts")).toContain("3");
    // `./lib` now means lib.ts (tried before lib/index.ts); lib/index.ts is unchanged.
    put(dir, "lib.ts", HELPER(11));
    const r = await tsgrad(dir, "build", "--verbose");
    expect(r.code).toBe(0);
    expect(read(dir, "user.grad.ts")).toContain("11");
    expect(read(dir, "user.grad.ts")).toBe((await uncached(dir, ["user.grad.ts"]))["user.grad.ts"]);
  }, 60_000);

  it("errors are never cached: a failing build fails again, then a fix builds", async () => {
    const dir = project({ "lib/scale.ts": HELPER(5), "user.ts": USER });
    put(dir, "lib/scale.ts", "export function scale(t: number): number {\n  return t * Math.random();\n}\n");
    for (let run = 0; run < 2; run++) {
      const r = await tsgrad(dir, "build");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("TSG3004");
    }
    put(dir, "lib/scale.ts", HELPER(5));
    expect((await tsgrad(dir, "build")).code).toBe(0);
    expect(read(dir, "user.grad.ts")).toBe((await uncached(dir, ["user.grad.ts"]))["user.grad.ts"]);
  }, 60_000);

  it("--debug builds and plain builds never share entries", async () => {
    const dir = project({ "alone.ts": ALONE.replace("Math.sin(x) * x", "x[0] * x[1]").replace("x: number)", "x: number[])") });
    expect((await tsgrad(dir, "build", "--debug")).code).toBe(0);
    const debug = read(dir, "alone.grad.ts");
    expect((await tsgrad(dir, "build")).code).toBe(0);
    const plain = read(dir, "alone.grad.ts");
    expect(plain).not.toBe(debug);
    expect(plain).toBe((await uncached(dir, ["alone.grad.ts"]))["alone.grad.ts"]);
    expect((await tsgrad(dir, "build", "--debug")).code).toBe(0);
    expect(read(dir, "alone.grad.ts")).toBe(debug);
  }, 60_000);

  it("ignores corrupt, truncated, mislabelled and tampered entries, and replaces them", async () => {
    const dir = project({ "lib/scale.ts": HELPER(5), "user.ts": USER, "alone.ts": ALONE });
    expect((await tsgrad(dir, "build")).code).toBe(0);
    const good = { "user.grad.ts": read(dir, "user.grad.ts"), "alone.grad.ts": read(dir, "alone.grad.ts") };
    const files = entries(dir).map((f) => path.join(cacheDir(dir), f));
    const parsed = files.map((f) => JSON.parse(readFileSync(f, "utf8")) as { key: string; text: string | null; sha256: string });
    const withText = parsed.findIndex((e) => e.text !== null);
    const other = parsed.findIndex((e, i) => i !== withText && e.text !== null);
    const damage = [
      (f: string) => writeFileSync(f, "not json at all"),
      (f: string) => writeFileSync(f, readFileSync(f, "utf8").slice(0, 40)),
      // another entry's content under this name (its key does not match the file name)
      (f: string) => writeFileSync(f, readFileSync(files[other], "utf8")),
      // the text changed, the checksum not
      (f: string) => {
        const e = JSON.parse(readFileSync(f, "utf8"));
        writeFileSync(f, JSON.stringify({ ...e, text: String(e.text).replace(/x_bar/g, "y_bar") }));
      },
      // a text that is not a generated file
      (f: string) => writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, "utf8")), text: "export const evil = 1;\n" })),
    ];
    for (const hurt of damage) {
      hurt(files[withText]);
      rmSync(path.join(dir, "user.grad.ts"), { force: true });
      rmSync(path.join(dir, "alone.grad.ts"), { force: true });
      const r = await tsgrad(dir, "build", "--verbose");
      expect(r.code, r.stderr).toBe(0);
      expect(counts(r.stdout)).toEqual({ compiled: 1, cached: 2 });
      expect({ "user.grad.ts": read(dir, "user.grad.ts"), "alone.grad.ts": read(dir, "alone.grad.ts") }).toEqual(good);
      // The damaged entry was rewritten: the next build compiles nothing.
      expect(counts((await tsgrad(dir, "build", "--verbose")).stdout)).toEqual({ compiled: 0, cached: 3 });
    }
  }, 120_000);

  it("a cache folder that is not ours, or not a folder, is not used", async () => {
    const dir = project({ "alone.ts": ALONE });
    mkdirSync(path.join(dir, "node_modules/.cache"), { recursive: true });
    writeFileSync(cacheDir(dir), "a file where the folder would be");
    const r = await tsgrad(dir, "build", "--verbose");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("not a folder");
    expect(read(dir, "alone.grad.ts")).toContain("gGrad");
    if (process.getuid?.() === 0) {
      rmSync(cacheDir(dir));
      mkdirSync(cacheDir(dir));
      chownSync(cacheDir(dir), 4321, 4321);
      expect(cacheLocation(dir, {}).disabled).toBe("owned by another user");
      expect((await tsgrad(dir, "build", "--verbose")).stdout).toContain("owned by another user");
      expect(readdirSync(cacheDir(dir))).toEqual([]);
    }
  }, 60_000);

  it("lives in the nearest package's node_modules/.cache/tsgrad, or TSGRAD_CACHE_DIR", () => {
    const dir = project({ "deep/er/a.ts": ALONE });
    expect(cacheLocation(path.join(dir, "deep/er"), {}).dir).toBe(cacheDir(dir));
    expect(cacheLocation(path.join(dir, "deep"), { TSGRAD_CACHE_DIR: "/somewhere/else" }).dir).toBe("/somewhere/else");
    const bare = mkdtempSync(path.join(os.tmpdir(), "tsgrad-bare-"));
    roots.push(bare);
    if (!existsSync(path.join(os.tmpdir(), "package.json"))) expect(cacheLocation(bare, {}).dir).toContain(path.join(os.tmpdir(), "tsgrad-cache-"));
  });

  it("each source compiled alone with what it imports gives the committed output (what makes per-source entries sound)", async () => {
    // The committed files come from whole-folder builds; a cache entry may be produced by
    // compiling a source with only its imports. These sources import helpers or generated code.
    for (const file of ["samples/logisticRegression.ts", "bench/workloads/logisticHelpers.ts", "bench/gradbench/nested.ts"]) {
      const r = await tsgrad(repo, "build", "--check", "--no-cache", file);
      expect(r.code, `${file}\n${r.stdout}${r.stderr}`).toBe(0);
    }
  }, 60_000);
});
