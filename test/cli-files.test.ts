/**
 * The CLI's files, as a user meets them: a build killed with SIGKILL while it writes (the
 * real command in a child process) leaves every output complete or untouched, and its
 * staged files are reported by `--check` and removed by the next build; staged files of a
 * build still running are left alone; a folder named twice (itself and a symbolic link to
 * it) is built once.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, watch, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-files-"));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

async function tsgrad(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main([...argv, "--no-cache"], { cwd, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

/** Files directly in `dir` whose names match. */
const filesIn = (dir: string, pattern: RegExp) => readdirSync(dir).filter((n) => pattern.test(n)).sort();
const STAGED = /\.tsgrad-tmp$/;

/** A source with one annotated function of a dozen statements (each output a few kilobytes). */
function source(k: number): string {
  const body = Array.from({ length: 12 }, (_, j) => `  s = 0.9 * s + Math.sin(x[${j % 4}] * ${(k + j + 1) / 7} + s);`).join("\n");
  return `/** @grad */\nexport function f${k}(x: number[]): number {\n  let s = 0;\n${body}\n  return s * s;\n}\n`;
}

const dead = (): number => spawnSync(process.execPath, ["-e", ""]).pid!;

describe("a build killed while it writes", () => {
  it("leaves each output complete or untouched; --check reports its staged files and the next build removes them", async () => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`src/m${k}.ts`, source(k)]));
    // What a build that is not interrupted writes.
    const reference = project(files);
    expect((await tsgrad(reference, "build", "src")).code).toBe(0);
    const expected = (name: string) => readFileSync(path.join(reference, "src", name), "utf8");

    let root = "";
    let staged: string[] = [];
    // Killing as soon as the first file is staged wins the race against the remaining stages
    // and renames; should the build finish first all the same, try again.
    for (let attempt = 0; attempt < 3 && staged.length === 0; attempt++) {
      root = project(files);
      const dir = path.join(root, "src");
      const child = spawn(process.execPath, [path.join(REPO, "bin/tsgrad.js"), "build", "src", "--no-cache"], { cwd: root, stdio: "ignore" });
      const watcher = watch(dir, (_, name) => {
        if (name && STAGED.test(String(name))) child.kill("SIGKILL");
      });
      const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_, s) => resolve(s)));
      watcher.close();
      staged = filesIn(dir, STAGED);
      if (staged.length > 0) expect(signal).toBe("SIGKILL");
    }
    expect(staged.length, "no build was caught while staging").toBeGreaterThan(0);
    const dir = path.join(root, "src");
    for (const name of filesIn(dir, /\.grad\.ts$/)) expect(readFileSync(path.join(dir, name), "utf8"), name).toBe(expected(name));

    const check = await tsgrad(root, "build", "--check", "src");
    expect(check.code).toBe(1);
    for (const name of staged) expect(check.stdout).toContain(`leftover: src/${name}\n`);

    const rebuild = await tsgrad(root, "build", "src");
    expect(rebuild.code, rebuild.stderr).toBe(0);
    for (const name of staged) expect(rebuild.stdout).toContain(`removed src/${name} (left by an interrupted build)\n`);
    expect(filesIn(dir, STAGED)).toEqual([]);
    for (let k = 0; k < 40; k++) expect(readFileSync(path.join(dir, `m${k}.grad.ts`), "utf8")).toBe(expected(`m${k}.grad.ts`));
    expect((await tsgrad(root, "build", "--check", "src")).code).toBe(0);
  }, 300_000);

  it("removes only what no running build owns, and only when the build may write", async () => {
    const root = project({ "a.ts": source(1), "b.ts": source(2) });
    const [gone, running] = [dead(), process.ppid];
    const leftover = `a.grad.ts.${gone}.tsgrad-tmp`;
    const live = `b.grad.ts.${running}.tsgrad-tmp`;
    const old = `a.grad.ts.${running}.tsgrad-tmp`;
    for (const name of [leftover, live, old]) writeFileSync(path.join(root, name), "// partial");
    // A live pid, but older than any build stages a file for: the pid was reused.
    const hourAgo = Date.now() / 1000 - 3600;
    utimesSync(path.join(root, old), hourAgo, hourAgo);

    const check = await tsgrad(root, "build", "--check");
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`leftover: ${leftover}\n`);
    expect(check.stdout).toContain(`leftover: ${old}\n`);
    expect(check.stdout).not.toContain(live);
    const json = JSON.parse((await tsgrad(root, "build", "--check", "--format", "json")).stdout) as { outOfDate: { path: string; reason: string }[] };
    expect(json.outOfDate).toContainEqual({ path: leftover, reason: "leftover" });

    // A source with an error keeps its generated file as it was, and the leftovers beside it.
    const good = readFileSync(path.join(root, "a.ts"), "utf8");
    writeFileSync(path.join(root, "a.ts"), `/** @grad */\nexport function c(x: number): number {\n  return x * Math.random();\n}\n`);
    expect((await tsgrad(root, "build", "a.ts")).code).toBe(1);
    expect(existsSync(path.join(root, leftover))).toBe(true);
    expect(existsSync(path.join(root, old))).toBe(true);
    writeFileSync(path.join(root, "a.ts"), good);

    // A source named on the command line: its own leftovers are found beside its output.
    const named = await tsgrad(root, "build", "a.ts");
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toContain(`removed ${leftover} (left by an interrupted build)\n`);
    expect(named.stdout).toContain(`removed ${old} (left by an interrupted build)\n`);
    expect(existsSync(path.join(root, live))).toBe(true);

    const all = await tsgrad(root, "build");
    expect(all.code, all.stderr).toBe(0);
    expect(filesIn(root, STAGED)).toEqual([live]);
  }, 120_000);
});

describe("two names for one folder", () => {
  it("a folder and a symbolic link to it are one output: one write, no failure", async () => {
    const root = project({ "real/a.ts": source(3), "real/sub/b.ts": source(4) });
    symlinkSync(path.join(root, "real"), path.join(root, "link"), "dir");
    const both = await tsgrad(root, "build", "real", "link");
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout.match(/^wrote /gm)).toHaveLength(2);
    expect(both.stdout).toContain("wrote real/a.grad.ts\n");
    expect(both.stdout).toContain("wrote real/sub/b.grad.ts\n");
    expect((await tsgrad(root, "build", "--check", "link", "real")).code).toBe(0);
    // Through the link first: spelled as met, still once.
    rmSync(path.join(root, "real/a.grad.ts"));
    const linkFirst = await tsgrad(root, "build", "link", "real/a.ts");
    expect(linkFirst.code, linkFirst.stderr).toBe(0);
    expect(linkFirst.stdout.match(/^wrote /gm)).toEqual(["wrote "]);
    expect(linkFirst.stdout).toContain("wrote link/a.grad.ts\n");
    expect(existsSync(path.join(root, "real/a.grad.ts"))).toBe(true);
  }, 120_000);
});
