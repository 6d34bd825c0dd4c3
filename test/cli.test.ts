/**
 * The `tsgrad` command, driven in-process through `main(argv, io)` against temporary
 * folders, with stdout/stderr captured by injected writers and `cwd` injected (the
 * process's own working folder is never changed). Uses the real compiler pipeline.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main, type CliIo } from "../compiler/cli.ts";
import { parseArgs } from "../compiler/cli/args.ts";
import { codeFrame, formatDiagnostic, formatSummary } from "../compiler/cli/frame.ts";
import { GENERATED_MARKER } from "../compiler/backend/header.ts";
import { Codes, type Diagnostic } from "../compiler/diagnostics.ts";

const SQUARE = `/** @grad */\nexport function square(x: number): number {\n  return x * x;\n}\n`;
const CUBE = `/** @grad */\nexport function cube(x: number): number {\n  return x * x * x;\n}\n`;
const PLAIN = `export function plain(x: number): number {\n  return x + 1;\n}\n`;
const RANDOM = `/** @grad */\nexport function noisy(x: number): number {\n  return x * Math.random();\n}\n`;
const PID = 4242;

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A temporary folder holding `files` (relative path → text or bytes). */
function project(files: Record<string, string | Uint8Array> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-cli-"));
  roots.push(root);
  for (const [name, content] of Object.entries(files)) put(root, name, content);
  return root;
}

function put(root: string, name: string, content: string | Uint8Array): void {
  const file = path.join(root, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function read(root: string, name: string): string {
  return readFileSync(path.join(root, name), "utf8");
}

/** Every file under root (relative, sorted), for "nothing changed" comparisons. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(root, full)] = readFileSync(full, "utf8");
    }
  };
  walk(root);
  return out;
}

function tempFiles(root: string): string[] {
  return Object.keys(snapshot(root)).filter((f) => f.includes("tsgrad-tmp"));
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function tsgrad(cwd: string, ...argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: Partial<CliIo> = { cwd, pid: PID, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe("usage", () => {
  it("prints help and version with exit 0", async () => {
    const dir = project();
    for (const flag of ["--help", "-h", "help"]) {
      const r = await tsgrad(dir, flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("tsgrad build [paths...] [--check] [--watch] [--debug] [--format text|json]");
    }
    expect((await tsgrad(dir, "build", "--help")).code).toBe(0);
    const v = await tsgrad(dir, "--version");
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
  });

  it.each([
    [[], "missing command"],
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["--frobnicate"], "unknown option '--frobnicate'"],
    [["build", "--fast"], "unknown option '--fast'"],
    [["build", "--format"], "option '--format' needs a value"],
    [["build", "--format", "xml"], "unknown format 'xml'"],
    [["build", "--check", "--watch"], "cannot be used together"],
    [["build", "nowhere.ts"], "no such file or folder: nowhere.ts"],
    [["build", "notes.txt"], "not a TypeScript source file"],
    [["build", "a.grad.ts"], "is a generated file"],
  ])("%j is a usage error (exit 2)", async (argv, message) => {
    const dir = project({ "notes.txt": "hi", "a.grad.ts": "// x\n" });
    const r = await tsgrad(dir, ...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(message);
    expect(lines[1]).toBe("Run 'tsgrad --help' for usage.");
  });

  it("accepts --format=json and -- before paths", () => {
    expect(parseArgs(["build", "--format=json", "--", "--odd.ts"])).toEqual({
      kind: "build",
      paths: ["--odd.ts"],
      check: false,
      watch: false,
      debug: false,
      format: "json",
      cache: true,
      verbosity: "normal",
    });
    expect(parseArgs(["build", "--debug", "x.ts"])).toMatchObject({ kind: "build", debug: true, paths: ["x.ts"] });
  });

  it("reports an unexpected fault as TSG9001 without a stack trace", async () => {
    const dir = project({ "a.ts": SQUARE });
    let stderr = "";
    const code = await main(["build"], {
      cwd: dir,
      stdout: () => {
        throw new Error("stdout is gone\n    at someFrame (x.ts:1:1)");
      },
      stderr: (t) => void (stderr += t),
    });
    expect(code).toBe(1);
    expect(stderr).toBe("error TSG9001: internal error: stdout is gone\n");
  });
});

describe("bin/tsgrad.js", () => {
  it("sets the process exit code from main()", () => {
    const dir = project({ "a.ts": SQUARE });
    const bin = new URL("../bin/tsgrad.js", import.meta.url).pathname;
    const usage = spawnSync(process.execPath, [bin, "bild"], { cwd: dir, encoding: "utf8" });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe("error: unknown command 'bild'\nRun 'tsgrad --help' for usage.\n");
    const check = spawnSync(process.execPath, [bin, "build", "--check"], { cwd: dir, encoding: "utf8" });
    expect(check.status).toBe(1);
    expect(check.stdout).toContain("missing: a.grad.ts\n");
    expect(check.stderr).toBe("");
  }, 30_000);
});

describe("build", () => {
  it("writes X.grad.ts beside each annotated X.ts, only then, and only when it changed", async () => {
    const dir = project({ "src/a.ts": SQUARE, "src/plain.ts": PLAIN, "src/deep/b.ts": CUBE });
    const first = await tsgrad(dir, "build");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("wrote src/a.grad.ts\nwrote src/deep/b.grad.ts\nBuilt 3 sources: 2 written, 0 unchanged, 1 without annotations.\n");
    expect(read(dir, "src/a.grad.ts")).toContain(GENERATED_MARKER);
    expect(read(dir, "src/a.grad.ts")).toContain("squareGrad");
    expect(existsSync(path.join(dir, "src/plain.grad.ts"))).toBe(false);
    expect(tempFiles(dir)).toEqual([]);

    const mtime = statSync(path.join(dir, "src/a.grad.ts")).mtimeMs;
    const second = await tsgrad(dir, "build", "src");
    expect(second.code).toBe(0);
    expect(second.stdout).toBe("Built 3 sources: 0 written, 2 unchanged, 1 without annotations.\n");
    expect(statSync(path.join(dir, "src/a.grad.ts")).mtimeMs).toBe(mtime);
  });

  it("output is byte-identical across runs", async () => {
    const dir = project({ "a.ts": SQUARE });
    await tsgrad(dir, "build");
    const once = read(dir, "a.grad.ts");
    rmSync(path.join(dir, "a.grad.ts"));
    await tsgrad(dir, "build", "a.ts");
    expect(read(dir, "a.grad.ts")).toBe(once);
  });

  it("walks folders skipping node_modules, dot-folders, .d.ts, .tsx and .grad.ts", async () => {
    const dir = project({
      "a.ts": SQUARE,
      "node_modules/pkg/x.ts": SQUARE,
      ".hidden/y.ts": SQUARE,
      "types.d.ts": SQUARE,
      "view.tsx": SQUARE,
    });
    const r = await tsgrad(dir, "build", ".");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Built 1 source:");
    expect(Object.keys(snapshot(dir)).filter((f) => f.endsWith(".grad.ts"))).toEqual(["a.grad.ts"]);
  });

  it("accepts absolute paths and prints paths relative to the current folder", async () => {
    const dir = project({ "pkg/a.ts": SQUARE });
    const r = await tsgrad(path.join(dir, "pkg"), "build", path.join(dir, "pkg", "a.ts"));
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("wrote a.grad.ts");
  });

  it("finds helpers imported by a named file without building them", async () => {
    const dir = project({
      "helpers.ts": `export function sq(x: number): number {\n  return x * x;\n}\n`,
      "main.ts": `import { sq } from "./helpers.js";\n\n/** @grad */\nexport function f(x: number): number {\n  return sq(x) + x;\n}\n`,
    });
    const r = await tsgrad(dir, "build", "main.ts");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("wrote main.grad.ts\n");
    expect(existsSync(path.join(dir, "helpers.grad.ts"))).toBe(false);
  });

  it("a named file calling another source's generated code compiles that source too (nested derivatives)", async () => {
    const dir = project({
      "inner.ts": `/** @jvp x */\nexport function g(a: number, x: number): number {\n  return a * x * x;\n}\n`,
      "outer.ts": `import { gJvp } from "./inner.grad.js";\n\n/** @grad a */\nexport function h(a: number): number {\n  return gJvp(a, 3, { x: 1 }).tangent;\n}\n`,
    });
    const r = await tsgrad(dir, "build", "outer.ts");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("wrote outer.grad.ts\n");
    // The inner source is context: compiled in memory for its generated code, not written.
    expect(existsSync(path.join(dir, "inner.grad.ts"))).toBe(false);
    expect(read(dir, "outer.grad.ts")).toContain("inlined gJvp(…) from inner.grad.ts");
  });

  it("never overwrites a hand-written X.grad.ts (TSG1003 at 1:1); the other files are still written", async () => {
    const handWritten = "export const mine = 1;\n";
    const dir = project({ "a.ts": SQUARE, "a.grad.ts": handWritten, "b.ts": CUBE });
    const r = await tsgrad(dir, "build");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("a.grad.ts:1:1 - error TSG1003: a.grad.ts exists and was not generated by tsgrad");
    expect(r.stderr).toContain("1 export const mine = 1;\n  ~~~~~~~~~~~~~~~~~~~~~~");
    expect(r.stderr).toContain("Found 1 error in 1 file.\n");
    expect(read(dir, "a.grad.ts")).toBe(handWritten);
    expect(read(dir, "b.grad.ts")).toContain("export function cubeGrad(");
    expect(Codes.HandWrittenOutput).toBe(1003);
  });

  it("a bad function costs only its own file: the rest is written, its generated file left as it was, every error reported", async () => {
    const dir = project({ "a.ts": SQUARE, "b.ts": CUBE, "bad.ts": SQUARE.replace("square", "soonBad") });
    expect((await tsgrad(dir, "build")).code).toBe(0);
    const before = read(dir, "bad.grad.ts");
    // a.ts changes (its output changes), b.ts loses its annotations, c.ts is new, bad.ts stops compiling (twice).
    put(dir, "a.ts", SQUARE.replace("x * x", "x * x * 2"));
    put(dir, "b.ts", PLAIN);
    put(dir, "c.ts", CUBE.replace("cube", "cube2"));
    put(dir, "bad.ts", `${RANDOM}\n/** @grad */\nexport function worse(x: number): number {\n  try {\n    return x;\n  } catch {\n    return 0;\n  }\n}\n`);
    const r = await tsgrad(dir, "build");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("wrote a.grad.ts\nwrote c.grad.ts\nremoved b.grad.ts\nBuilt 4 sources: 2 written, 0 unchanged, 1 without annotations, 1 with errors; removed 1 generated file.\n");
    expect(r.stderr).toContain("bad.ts:3:14 - error TSG3004: Math.random");
    expect(r.stderr).toContain("bad.ts:8:3 - error TSG3001: 'try' cannot be differentiated");
    expect(r.stderr).toContain("Found 2 errors in 1 file.\n1 file with errors was not written (bad.ts): its generated file is left as it was.\n");
    expect(read(dir, "bad.grad.ts")).toBe(before);
    expect(read(dir, "a.grad.ts")).toContain("x_bar += 4 * x;");
    expect(existsSync(path.join(dir, "b.grad.ts"))).toBe(false);
  });

  it("prints every diagnostic sorted by file and position, with code frames and a summary", async () => {
    const dir = project({
      "z.ts": RANDOM,
      "a.ts": `/** @grad */\nexport function g(x: number): number {\n  const y = Math.random();\n  return x * Math.random() + y;\n}\n`,
    });
    const r = await tsgrad(dir, "build");
    expect(r.code).toBe(1);
    const heads = r.stderr.split("\n").filter((l) => / - error TSG\d{4}: /.test(l));
    expect(heads.map((l) => l.split(" - ")[0])).toEqual([...heads.map((l) => l.split(" - ")[0])].sort((x, y) => {
      const [fx, lx, cx] = x.split(":");
      const [fy, ly, cy] = y.split(":");
      return fx.localeCompare(fy) || Number(lx) - Number(ly) || Number(cx) - Number(cy);
    }));
    expect(heads[heads.length - 1]).toMatch(/^z\.ts:3:14 - error TSG3004: /);
    expect(r.stderr).toContain("\n\n3   return x * Math.random();\n               ~~~~~~~~~~~~~\n");
    expect(r.stderr.trimEnd().split("\n").at(-2)).toBe(`Found ${heads.length} errors in 2 files.`);
  });

  it("a file that is not valid UTF-8 gets TSG1002 and is not compiled", async () => {
    const bytes = new Uint8Array([...Buffer.from("/** @grad */\nexport function f(x: number): number { return x; } // "), 0xff, 0xfe, 0x0a]);
    const dir = project({ "latin1.ts": bytes, "a.ts": SQUARE });
    const r = await tsgrad(dir, "build");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("latin1.ts:1:1 - error TSG1002: file is not valid UTF-8");
    expect(existsSync(path.join(dir, "latin1.grad.ts"))).toBe(false);
    expect(read(dir, "a.grad.ts")).toContain("export function squareGrad(");
  });

  it("removes a generated file whose source lost its annotations or disappeared, never a hand-written one", async () => {
    const dir = project({ "a.ts": SQUARE, "b.ts": CUBE, "sub/c.ts": SQUARE.replace("square", "sq") });
    expect((await tsgrad(dir, "build")).code).toBe(0);
    put(dir, "a.ts", PLAIN);
    rmSync(path.join(dir, "sub/c.ts"));
    put(dir, "orphan.grad.ts", "// hand-written, no source\n");
    put(dir, "d.ts", PLAIN);
    put(dir, "d.grad.ts", "// hand-written beside a plain source\n");
    const r = await tsgrad(dir, "build");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("removed a.grad.ts\nremoved sub/c.grad.ts\nBuilt 3 sources: 0 written, 1 unchanged, 2 without annotations; removed 2 generated files.\n");
    expect(existsSync(path.join(dir, "a.grad.ts"))).toBe(false);
    expect(existsSync(path.join(dir, "sub/c.grad.ts"))).toBe(false);
    expect(existsSync(path.join(dir, "b.grad.ts"))).toBe(true);
    expect(read(dir, "orphan.grad.ts")).toContain("hand-written");
    expect(read(dir, "d.grad.ts")).toContain("hand-written");
  });

  it("only removes orphans inside folders that were walked", async () => {
    const dir = project({ "a.ts": SQUARE, "other/b.ts": CUBE });
    expect((await tsgrad(dir, "build")).code).toBe(0);
    rmSync(path.join(dir, "other/b.ts"));
    expect((await tsgrad(dir, "build", "a.ts")).stdout).toBe("Built 1 source: 0 written, 1 unchanged, 0 without annotations.\n");
    expect(existsSync(path.join(dir, "other/b.grad.ts"))).toBe(true);
  });

  it("a write failure is a diagnostic; nothing is written and no temporary file is left", async () => {
    const dir = project({ "a.ts": SQUARE, "b.ts": CUBE });
    // Block a's temporary file name with a folder: staging a fails after b was staged.
    mkdirSync(path.join(dir, `a.grad.ts.${PID}.tsgrad-tmp`));
    const r = await tsgrad(dir, "build");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^a\.grad\.ts:1:1 - error TSG1002: cannot write a\.grad\.ts: /);
    expect(r.stderr).toContain("Found 1 error in 1 file.");
    expect(existsSync(path.join(dir, "a.grad.ts"))).toBe(false);
    expect(existsSync(path.join(dir, "b.grad.ts"))).toBe(false);
    expect(existsSync(path.join(dir, `b.grad.ts.${PID}.tsgrad-tmp`))).toBe(false);
    expect(statSync(path.join(dir, `a.grad.ts.${PID}.tsgrad-tmp`)).isDirectory()).toBe(true);
  });

  it.skipIf(process.getuid?.() === 0)("a read-only folder is a diagnostic, not a crash", async () => {
    const dir = project({ "ro/a.ts": SQUARE });
    chmodSync(path.join(dir, "ro"), 0o555);
    try {
      const r = await tsgrad(dir, "build");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("error TSG1002: cannot write a.grad.ts: permission denied");
    } finally {
      chmodSync(path.join(dir, "ro"), 0o755);
    }
    expect(tempFiles(dir)).toEqual([]);
  });
});

describe("--check", () => {
  it("names missing, stale and orphaned files, writes nothing, exit 1; exit 0 when up to date", async () => {
    const dir = project({ "a.ts": SQUARE, "b.ts": CUBE, "c.ts": SQUARE.replace("square", "sq") });
    expect((await tsgrad(dir, "build")).code).toBe(0);
    const clean = await tsgrad(dir, "build", "--check");
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe("All generated files are up to date (3 sources checked: 3 with derivatives, 0 without annotations).\n");

    put(dir, "a.grad.ts", read(dir, "a.grad.ts") + "// edited\n");
    rmSync(path.join(dir, "b.grad.ts"));
    rmSync(path.join(dir, "c.ts"));
    const before = snapshot(dir);
    const r = await tsgrad(dir, "build", "--check");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("stale: a.grad.ts\nmissing: b.grad.ts\norphaned: c.grad.ts\n3 generated files are out of date; run 'tsgrad build' to update.\n");
    expect(snapshot(dir)).toEqual(before);
  });

  it("reports diagnostics too", async () => {
    const dir = project({ "bad.ts": RANDOM });
    const r = await tsgrad(dir, "build", "--check");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.ts:3:14 - error TSG3004");
  });
});

describe("--format json", () => {
  it("prints one JSON document on stdout", async () => {
    const dir = project({ "a.ts": SQUARE, "bad.ts": RANDOM });
    const r = await tsgrad(dir, "build", "--format", "json");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ written: ["a.grad.ts"], removed: [], stale: [], heldBack: ["bad.ts"] });
    expect(doc.diagnostics).toEqual([
      {
        file: "bad.ts",
        line: 3,
        column: 14,
        length: 13,
        code: "TSG3004",
        severity: "error",
        message: expect.stringContaining("Math.random"),
      },
    ]);
    rmSync(path.join(dir, "bad.ts"));
    const ok = JSON.parse((await tsgrad(dir, "build", "--format=json")).stdout);
    expect(ok).toMatchObject({ diagnostics: [], written: [], removed: [], stale: [] });
    rmSync(path.join(dir, "a.grad.ts"));
    const check = JSON.parse((await tsgrad(dir, "build", "--check", "--format", "json")).stdout);
    expect(check).toMatchObject({ stale: ["a.grad.ts"], outOfDate: [{ path: "a.grad.ts", reason: "missing" }], exitCode: 1 });
  });
});

describe("diagnostic formatting", () => {
  const diag = (over: Partial<Diagnostic>): Diagnostic => ({
    code: Codes.UnsupportedExpression,
    message: "no",
    file: "/x/f.ts",
    line: 1,
    column: 1,
    length: 1,
    ...over,
  });

  it("prints path:line:col, the code, the line in a gutter and ~ under the span", () => {
    const text = "const a = 1;\nconst b = a ** q;\n";
    expect(formatDiagnostic(diag({ line: 2, column: 11, length: 6, message: "bad power" }), { displayPath: "src/f.ts", text })).toBe(
      "src/f.ts:2:11 - error TSG3002: bad power\n\n2 const b = a ** q;\n            ~~~~~~\n\n",
    );
  });

  it("widens the gutter for long line numbers and keeps tabs under tabs", () => {
    const text = Array.from({ length: 9 }, () => "").join("\n") + "\n\tif (x) y;\n";
    expect(codeFrame({ line: 10, column: 5, length: 1 }, text)).toBe("10 \tif (x) y;\n   \t   ~\n");
  });

  it("marks a span over several lines on each line", () => {
    const text = "f(a,\n  b,\n  c);\n";
    expect(codeFrame({ line: 1, column: 1, length: text.length - 1 }, text)).toBe("1 f(a,\n  ~~~~\n2   b,\n    ~~\n3   c);\n    ~~~\n");
  });

  it("elides the middle of a long span", () => {
    const text = ["{", " a", " b", " c", " d", " e", "}"].join("\n");
    const frame = codeFrame({ line: 1, column: 1, length: text.length }, text);
    expect(frame.split("\n")).toEqual(["1 {", "  ~", "2  a", "   ~", "3  b", "   ~", "...", "7 }", "  ~", ""]);
  });

  it("shows at least one ~ and survives spans outside the text", () => {
    expect(codeFrame({ line: 1, column: 4, length: 0 }, "abc")).toBe("1 abc\n     ~\n");
    expect(codeFrame({ line: 5, column: 1, length: 3 }, "abc")).toBe("");
    expect(formatDiagnostic(diag({ line: 9 }), { displayPath: "f.ts", text: "x" })).toBe("f.ts:9:1 - error TSG3002: no\n\n");
    expect(formatDiagnostic(diag({}), { displayPath: "f.ts" })).toBe("f.ts:1:1 - error TSG3002: no\n\n");
  });

  it("colours only when asked", () => {
    expect(formatDiagnostic(diag({}), { displayPath: "f.ts", text: "x", color: true })).toContain("\x1b[");
    expect(formatDiagnostic(diag({}), { displayPath: "f.ts", text: "x" })).not.toContain("\x1b[");
  });

  it("summarises with counts", () => {
    expect(formatSummary(3, 2)).toBe("Found 3 errors in 2 files.\n");
    expect(formatSummary(1, 1)).toBe("Found 1 error in 1 file.\n");
  });
});

describe("--watch", () => {
  it("builds, rebuilds on change, keeps going after errors, and stops on abort", async () => {
    const dir = project({ "a.ts": SQUARE });
    const controller = new AbortController();
    let stdout = "";
    let stderr = "";
    const done = main(["build", "--watch"], {
      cwd: dir,
      pid: PID,
      signal: controller.signal,
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
    });
    const waitFor = async (predicate: () => boolean, what: string) => {
      const start = Date.now();
      while (!predicate()) {
        if (Date.now() - start > 20_000) throw new Error(`timed out waiting for ${what}\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor(() => stdout.includes("watching for changes"), "first build");
    expect(stdout).toContain("wrote a.grad.ts");

    put(dir, "b.ts", RANDOM);
    await waitFor(() => stdout.includes("build failed"), "a failing rebuild");
    expect(stderr).toContain("b.ts:3:14 - error TSG3004");

    put(dir, "b.ts", CUBE);
    await waitFor(() => stdout.includes("wrote b.grad.ts"), "a fixed rebuild");
    await waitFor(() => stdout.trimEnd().endsWith("watching for changes"), "the rebuild to finish");
    controller.abort();
    expect(await done).toBe(0);
    expect(read(dir, "b.grad.ts")).toContain("cubeGrad");
    expect(tempFiles(dir)).toEqual([]);
  }, 60_000);
});
