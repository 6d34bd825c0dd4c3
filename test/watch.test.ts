/**
 * `tsgrad build --watch` as editors and shells treat it: the real CLI process
 * (`node bin/tsgrad.js`), driven by scripted editor-style saves in a temporary project.
 * After each change we wait for the generated file to show it, let the watcher settle,
 * and check the whole folder with an uncached `--check` (which compiles everything from
 * the files on disk): the watcher must end where a fresh build would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.ts";

const repo = path.resolve(import.meta.dirname, "..");
const bin = path.join(repo, "bin/tsgrad.js");
const roots: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const model = (k: number) => `/** @grad */\nexport function f(x: number): number {\n  return x * x * ${k};\n}\n`;
const helper = (k: number) => `export function h(t: number): number {\n  return t * ${k};\n}\n`;
const user = `import { h } from "./lib/h.js";\n\n/** @grad */\nexport function u(x: number): number {\n  return h(x) * x;\n}\n`;

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-watch-"));
  roots.push(root);
  writeFileSync(path.join(root, "package.json"), '{ "name": "w", "private": true }\n');
  for (const [name, text] of Object.entries(files)) put(root, name, text);
  return root;
}

function put(root: string, name: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
  writeFileSync(path.join(root, name), text);
}

let saves = 0;
/** Write a temporary file beside the target, then rename it over the target (VS Code, many editors). */
function atomicSave(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}-${saves++}`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}
/** Move the original to a backup, write a new file, delete the backup (Vim with nobackupcopy). */
function backupSave(file: string, text: string): void {
  renameSync(file, `${file}~`);
  writeFileSync(file, text);
  rmSync(`${file}~`);
}

interface Watcher {
  child: ChildProcess;
  output: () => string;
  waitFor: (what: string, predicate: () => boolean, ms?: number) => Promise<void>;
  /** Waits until the last line says it is watching and nothing has been printed for a while. */
  settled: () => Promise<void>;
  exited: Promise<number | null>;
}

function startWatch(cwd: string, argv: string[], command = process.execPath, prefix: string[] = [bin]): Watcher {
  const child = spawn(command, [...prefix, ...argv], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
  children.push(child);
  let out = "";
  let lastChange = Date.now();
  child.stdout!.on("data", (d) => ((out += d), (lastChange = Date.now())));
  child.stderr!.on("data", (d) => ((out += d), (lastChange = Date.now())));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = async (what: string, predicate: () => boolean, ms = 40_000) => {
    const start = Date.now();
    while (!predicate()) {
      if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}; watcher said:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    child,
    output: () => out,
    waitFor,
    settled: () => waitFor("the watcher to settle", () => out.trimEnd().endsWith("watching for changes") && Date.now() - lastChange > 400),
    exited,
  };
}

/** An uncached --check of the whole folder: 0 when every generated file is what a fresh build writes. */
async function inSync(cwd: string, target = "src"): Promise<string> {
  let text = "";
  const code = await main(["build", "--check", "--no-cache", target], { cwd, stdout: (t) => void (text += t), stderr: (t) => void (text += t) });
  return code === 0 ? "in sync" : text;
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

describe("--watch with editor-style saves (the real CLI)", () => {
  let dir: string;
  let w: Watcher;
  const src = (name: string) => path.join(dir, "src", name);

  beforeAll(async () => {
    dir = project({ "src/m.ts": model(1.25), "src/lib/h.ts": helper(2.5), "src/use.ts": user });
    w = startWatch(dir, ["build", "--watch", "src"]);
    await w.waitFor("the first build", () => w.output().includes("watching for changes"), 90_000);
    expect(read(src("m.grad.ts"))).toContain("1.25");
  }, 120_000);

  afterAll(async () => {
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    expect(w.output()).toContain("SIGTERM; stopping");
    expect(readdirSync(path.join(dir, "src")).filter((f) => f.includes("tsgrad-tmp"))).toEqual([]);
  }, 30_000);

  it("sees every save made by writing a temporary file and renaming it over the source", async () => {
    for (const k of [3.25, 4.25, 5.25]) {
      atomicSave(src("m.ts"), model(k));
      await w.waitFor(`m.grad.ts to show ${k}`, () => read(src("m.grad.ts")).includes(String(k)));
    }
    for (const k of [6.25, 7.25]) {
      backupSave(src("m.ts"), model(k));
      await w.waitFor(`m.grad.ts to show ${k}`, () => read(src("m.grad.ts")).includes(String(k)));
    }
    await w.settled();
    expect(await inSync(dir)).toBe("in sync");
  }, 120_000);

  it("follows a delete and a re-creation", async () => {
    rmSync(src("m.ts"));
    await w.waitFor("m.grad.ts to be removed", () => !existsSync(src("m.grad.ts")));
    writeFileSync(src("m.ts"), model(8.25));
    await w.waitFor("m.grad.ts to come back", () => read(src("m.grad.ts")).includes("8.25"));
    await w.settled();
    expect(await inSync(dir)).toBe("in sync");
  }, 120_000);

  it("follows a rename", async () => {
    renameSync(src("m.ts"), src("n.ts"));
    await w.waitFor("n.grad.ts, and m.grad.ts gone", () => read(src("n.grad.ts")).includes("8.25") && !existsSync(src("m.grad.ts")));
    renameSync(src("n.ts"), src("m.ts"));
    await w.waitFor("m.grad.ts, and n.grad.ts gone", () => read(src("m.grad.ts")).includes("8.25") && !existsSync(src("n.grad.ts")));
    await w.settled();
    expect(await inSync(dir)).toBe("in sync");
  }, 120_000);

  it("ends on the last of a burst of saves", async () => {
    const ks = Array.from({ length: 30 }, (_, i) => 10.5 + i);
    for (const [i, k] of ks.entries()) {
      if (i % 2 === 0) atomicSave(src("m.ts"), model(k));
      else writeFileSync(src("m.ts"), model(k));
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 30));
    }
    await w.waitFor("the last save", () => read(src("m.grad.ts")).includes(String(ks.at(-1))));
    await w.settled();
    expect(read(src("m.grad.ts"))).toContain(String(ks.at(-1)));
    expect(await inSync(dir)).toBe("in sync");
  }, 120_000);

  it("rebuilds the importer of a changed helper", async () => {
    const before = read(src("use.grad.ts"));
    expect(before).toContain("2.5");
    atomicSave(src("lib/h.ts"), helper(9.75));
    await w.waitFor("use.grad.ts to follow its helper", () => read(src("use.grad.ts")).includes("9.75"));
    await w.settled();
    expect(await inSync(dir)).toBe("in sync");
  }, 120_000);

  it("follows new, deleted and re-created folders", async () => {
    mkdirSync(src("sub/deeper"), { recursive: true });
    writeFileSync(src("sub/deeper/d.ts"), model(21.5));
    await w.waitFor("a source in a new folder", () => read(src("sub/deeper/d.grad.ts")).includes("21.5"));
    rmSync(src("sub"), { recursive: true });
    await w.settled();
    mkdirSync(src("sub"));
    atomicSave(src("sub/e.ts"), model(22.5));
    await w.waitFor("a source in a re-created folder", () => read(src("sub/e.grad.ts")).includes("22.5"));
    atomicSave(src("sub/e.ts"), model(23.5));
    await w.waitFor("a second save there", () => read(src("sub/e.grad.ts")).includes("23.5"));
    await w.settled();
    expect(await inSync(dir)).toBe("in sync");
  }, 120_000);

  it("keeps going after an error, and builds the fix", async () => {
    atomicSave(src("m.ts"), model(1).replace("x * x * 1", "x * Math.random()"));
    await w.waitFor("the failing rebuild", () => w.output().includes("build failed"));
    expect(w.output()).toContain("src/m.ts:3:14 - error TSG3004");
    atomicSave(src("m.ts"), model(31.5));
    await w.waitFor("the fix", () => read(src("m.grad.ts")).includes("31.5"));
    await w.settled();
    expect(await inSync(dir)).toBe("in sync");
  }, 120_000);
});

/** Whether pid is still a live process (a zombie waiting for a parent that never reaps counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Pids whose command line contains every one of `parts`. */
function pidsWith(...parts: string[]): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ");
        return parts.every((p) => cmd.includes(p));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.runIf(process.platform === "linux")("--watch stops with the process that started it", () => {
  it("through a shell that stays behind (as npx's `sh -c` does) when the parent is killed with SIGKILL", async () => {
    const dir = project({ "src/m.ts": model(2) });
    // parent (node) → sh -c '…; true' (the `; true` keeps the shell alive above tsgrad) → tsgrad
    const parentScript = `const { spawn } = require("node:child_process");
      spawn("sh", ["-c", ${JSON.stringify(`"${process.execPath}" "${bin}" build --watch src; true`)}], { stdio: "inherit" });
      setInterval(() => {}, 1000);`;
    const parent = startWatch(dir, [], process.execPath, ["-e", parentScript]);
    await parent.waitFor("the first build", () => parent.output().includes("watching for changes"), 90_000);
    // The tsgrad process itself: argv is exactly node, bin, build, --watch, src (not the shell, not the parent).
    const watchers = pidsWith(bin, "--watch", "src").filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[1] === bin && cwdOf(pid) === dir);
    expect(watchers).toHaveLength(1);
    const [watcher] = watchers;
    expect(alive(watcher)).toBe(true);
    parent.child.kill("SIGKILL");
    const start = Date.now();
    while (alive(watcher) && Date.now() - start < 15_000) await new Promise((r) => setTimeout(r, 100));
    const survived = alive(watcher);
    if (survived) process.kill(watcher, "SIGKILL");
    expect(survived).toBe(false);
  }, 120_000);

  it("when the npx that started it is killed with SIGKILL", async () => {
    const dir = project({ "src/m.ts": model(3) });
    mkdirSync(path.join(dir, "node_modules/.bin"), { recursive: true });
    symlinkSync(repo, path.join(dir, "node_modules/tsgrad"));
    symlinkSync("../tsgrad/bin/tsgrad.js", path.join(dir, "node_modules/.bin/tsgrad"));
    const npx = startWatch(dir, ["--no-install", "tsgrad", "build", "--watch", "src"], "npx", []);
    await npx.waitFor("the first build", () => npx.output().includes("watching for changes"), 90_000);
    const watchers = pidsWith("node_modules/.bin/tsgrad", "--watch").filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[1].endsWith("node_modules/.bin/tsgrad") && cwdOf(pid) === dir);
    expect(watchers).toHaveLength(1);
    expect(alive(watchers[0])).toBe(true);
    npx.child.kill("SIGKILL");
    const start = Date.now();
    while (alive(watchers[0]) && Date.now() - start < 15_000) await new Promise((r) => setTimeout(r, 100));
    const survived = alive(watchers[0]);
    if (survived) process.kill(watchers[0], "SIGKILL");
    expect(survived).toBe(false);
  }, 120_000);
});

function cwdOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return "";
  }
}

describe("--watch, in process", () => {
  it("does not lose a save made while the first build runs", async () => {
    const dir = project({ "src/m.ts": model(41.5), "src/o.ts": model(42.5).replace("function f", "function g") });
    const controller = new AbortController();
    let stdout = "";
    let saved = false;
    const done = main(["build", "--watch", "--no-cache", "src"], {
      cwd: dir,
      signal: controller.signal,
      stdout: (t) => void (stdout += t),
      // The progress line's first frame comes when compiling starts: the sources have been read.
      stderr: () => {
        if (saved) return;
        saved = true;
        writeFileSync(path.join(dir, "src/m.ts"), model(43.5));
      },
      progress: true,
      progressDelayMs: 0,
    });
    const start = Date.now();
    while (!read(path.join(dir, "src/m.grad.ts")).includes("43.5")) {
      if (Date.now() - start > 40_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    controller.abort();
    expect(await done).toBe(0);
    expect(saved).toBe(true);
    expect(read(path.join(dir, "src/m.grad.ts"))).toContain("43.5");
    expect(await inSync(dir)).toBe("in sync");
  }, 60_000);
});
