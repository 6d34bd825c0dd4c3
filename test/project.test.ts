/**
 * tsgrad in a user's project, through `main(argv, io)` in temporary folders: `tsgrad init`
 * (what it adds, what it keeps, twice is once), the config (`tsgrad build` with no paths,
 * mistakes are usage errors), quoted globs, and what the project decides about generated
 * files (cli/style.ts): its prettier configuration, its tsconfig's import style and
 * noUncheckedIndexedAccess, and the source's own import extensions.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { afterAll, describe, expect, it } from "vitest";
import { main, type CliIo } from "../compiler/cli.ts";
import { loadConfig } from "../compiler/cli/config.ts";
import { stringifyLike } from "../compiler/cli/init.ts";
import { stripJsonComments } from "../compiler/cli/style.ts";
import { Codes, formatCode } from "../compiler/diagnostics.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SQUARE = `/** @grad */\nexport function square(x: number): number {\n  return x * x;\n}\n`;
/** Loops, a branch on a loop local (a stack), row reads: what the index and format rules touch. */
const MODEL = `import { scale } from "./util.js";

/** @grad w */
export function model(w: number[], x: number[][]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    let z = 0;
    for (let j = 0; j < w.length; j++) z += w[j] * x[i][j];
    const h = Math.tanh(z);
    if (h > 0) s += scale(h * h);
    else s -= h;
  }
  return s;
}
`;
const UTIL = `export function scale(t: number): number {\n  return 2 * t;\n}\n`;

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function project(files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-project-"));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) put(root, name, text);
  return root;
}

function put(root: string, name: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
  writeFileSync(path.join(root, name), text);
}

function read(root: string, name: string): string {
  return readFileSync(path.join(root, name), "utf8");
}

function snapshot(root: string): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === "node_modules") continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(`${path.relative(root, full)}\n${readFileSync(full, "utf8")}`);
    }
  };
  walk(root);
  return out.join("\n");
}

async function tsgrad(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Partial<CliIo> = { cwd, pid: 4242, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await main([...argv, ...(argv[0] === "build" ? ["--no-cache"] : [])], io);
  return { code, stdout, stderr };
}

const PACKAGE = `{\n    "name": "app",\n    "version": "1.0.0",\n    "scripts": {\n        "test": "node --test"\n    }\n}\n`;

describe("tsgrad init", () => {
  it("adds the scripts, the config and the .gitattributes line, keeping package.json's indentation, and says so", async () => {
    const dir = project({ "package.json": PACKAGE, "src/square.ts": SQUARE });
    const r = await tsgrad(dir, "init");
    expect(r.code).toBe(0);
    const pkg = JSON.parse(read(dir, "package.json"));
    expect(pkg.scripts).toEqual({ test: "node --test", "tsgrad:build": "tsgrad build", "tsgrad:check": "tsgrad build --check" });
    expect(pkg.tsgrad).toEqual({ include: ["src"], format: "project" });
    expect(Object.keys(pkg)).toEqual(["name", "version", "scripts", "tsgrad"]);
    expect(read(dir, "package.json")).toMatch(/^ {4}"name"/m);
    expect(read(dir, "package.json").endsWith("}\n")).toBe(true);
    expect(read(dir, ".gitattributes")).toBe("*.grad.ts linguist-generated=true\n");
    expect(r.stdout).toContain('added script "tsgrad:build": "tsgrad build" to package.json');
    expect(r.stdout).toContain("created .gitattributes: *.grad.ts linguist-generated=true");
    expect(r.stdout).toContain("npm install --save-dev tsgrad");
    // The config it wrote is what a bare build uses.
    const built = await tsgrad(dir, "build");
    expect(built.code).toBe(0);
    expect(existsSync(path.join(dir, "src/square.grad.ts"))).toBe(true);
  });

  it("changes nothing the second time, and keeps what the project already has", async () => {
    const dir = project({
      "package.json": JSON.stringify({ name: "app", scripts: { "tsgrad:build": "tsgrad build lib" }, devDependencies: { tsgrad: "^0.1.0" } }, null, "\t"),
      ".gitattributes": "*.png binary",
      ".eslintignore": "dist\n",
      "eslint.config.js": "export default [];\n",
    });
    const first = await tsgrad(dir, "init");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('kept your script "tsgrad:build": "tsgrad build lib"');
    expect(first.stdout).toContain("ESLint: add { ignores: [\"**/*.grad.ts\"] } to the array in eslint.config.js");
    expect(first.stdout).not.toContain("npm install");
    expect(read(dir, ".gitattributes")).toBe("*.png binary\n*.grad.ts linguist-generated=true\n");
    expect(read(dir, ".eslintignore")).toBe("dist\n*.grad.ts\n");
    const pkg = read(dir, "package.json");
    expect(pkg).toMatch(/^\t"name"/m);
    expect(pkg.endsWith("}")).toBe(true); // it had no final newline
    expect(JSON.parse(pkg).tsgrad).toEqual({ include: ["."], format: "project" });
    const before = snapshot(dir);
    const second = await tsgrad(dir, "init");
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/^(added|created)/m);
    expect(snapshot(dir)).toBe(before);
  });

  it("needs a package.json, takes no paths, and leaves a broken package.json alone", async () => {
    const empty = project();
    const r = await tsgrad(empty, "init");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no package.json");
    expect((await tsgrad(empty, "init", "src")).code).toBe(2);
    const broken = project({ "package.json": "{ nope" });
    expect((await tsgrad(broken, "init")).code).toBe(1);
    expect(read(broken, "package.json")).toBe("{ nope");
    expect(existsSync(path.join(broken, ".gitattributes"))).toBe(false);
  });

  it("writes JSON the way the original was written", () => {
    expect(stringifyLike('{\r\n  "a": 1\r\n}\r\n', { a: 1, b: [2] })).toBe('{\r\n  "a": 1,\r\n  "b": [\r\n    2\r\n  ]\r\n}\r\n');
  });
});

describe("the config", () => {
  it("is found from a subfolder up to the project root, in package.json or tsgrad.config.json, not both", () => {
    const dir = project({ "package.json": JSON.stringify({ tsgrad: { include: ["models"] } }), "models/deep/x.ts": SQUARE });
    expect(loadConfig(path.join(dir, "models/deep"))).toMatchObject({ dir, include: ["models"], format: "project" });
    const both = project({ "package.json": JSON.stringify({ tsgrad: {} }), "tsgrad.config.json": "{}" });
    expect(() => loadConfig(both)).toThrow(/both/);
    const inner = project({ "package.json": "{}", "sub/package.json": "{}", "tsgrad.config.json": "{}" });
    expect(loadConfig(path.join(inner, "sub"))).toBeNull(); // sub is a project of its own
  });

  it("rejects unknown options and values as usage errors, naming the file", async () => {
    for (const [config, message] of [
      [{ incude: ["src"] }, "unknown option 'incude'"],
      [{ include: [] }, "'include' must be a non-empty list"],
      [{ format: "black" }, "'format' must be"],
      [{ importExtension: "js" }, "'importExtension' must be"],
    ] as const) {
      const dir = project({ "tsgrad.config.json": JSON.stringify(config), "a.ts": SQUARE });
      const r = await tsgrad(dir, "build");
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain("tsgrad.config.json");
      expect(existsSync(path.join(dir, "a.grad.ts"))).toBe(false);
    }
  });

  it("gives the paths of a bare build; paths on the command line win", async () => {
    const dir = project({ "tsgrad.config.json": JSON.stringify({ include: ["models/**/*.ts"] }), "models/a/m.ts": SQUARE, "other/o.ts": SQUARE, "top.ts": SQUARE });
    expect((await tsgrad(path.join(dir, "other"), "build")).code).toBe(0);
    expect(existsSync(path.join(dir, "models/a/m.grad.ts"))).toBe(true);
    expect(existsSync(path.join(dir, "other/o.grad.ts"))).toBe(false);
    expect((await tsgrad(dir, "build", "top.ts")).code).toBe(0);
    expect(existsSync(path.join(dir, "top.grad.ts"))).toBe(true);
    expect(existsSync(path.join(dir, "other/o.grad.ts"))).toBe(false);
  });
});

describe("globs on the command line", () => {
  it("build what they match (node_modules and .d.ts excluded), remove the orphans they match, and fail when they match nothing", async () => {
    const dir = project({ "src/a.ts": SQUARE, "src/deep/b.ts": SQUARE, "src/c.d.ts": "export {};\n", "node_modules/x/y.ts": SQUARE, "other.ts": SQUARE });
    const r = await tsgrad(dir, "build", "src/**/*.ts");
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, "src/a.grad.ts"))).toBe(true);
    expect(existsSync(path.join(dir, "src/deep/b.grad.ts"))).toBe(true);
    expect(existsSync(path.join(dir, "node_modules/x/y.grad.ts"))).toBe(false);
    expect(existsSync(path.join(dir, "other.grad.ts"))).toBe(false);
    rmSync(path.join(dir, "src/deep/b.ts"));
    expect((await tsgrad(dir, "build", "src/**/*.ts")).code).toBe(0);
    expect(existsSync(path.join(dir, "src/deep/b.grad.ts"))).toBe(false);
    const none = await tsgrad(dir, "build", "lib/**/*.ts");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no files match lib/**/*.ts");
  });
});

describe("what the project decides about generated files", () => {
  it("formats with the project's prettier configuration, so prettier --check passes, and the cache follows a change to it", async () => {
    const dir = project({ "package.json": "{}", ".prettierrc.json": JSON.stringify({ singleQuote: true, semi: false, printWidth: 70 }), "model.ts": MODEL, "util.ts": UTIL });
    expect((await main(["build", "model.ts"], { cwd: dir, stdout: () => {}, stderr: () => {} }))).toBe(0);
    const text = read(dir, "model.grad.ts");
    expect(text).toContain("  const value = modelGradInto(w, x, grad)\n"); // no semicolons
    expect(text).toContain("export function modelGrad(\n  w: number[],\n"); // wrapped at 70
    const options = await prettier.resolveConfig(path.join(dir, "model.grad.ts"));
    expect(await prettier.check(text, { ...options, filepath: path.join(dir, "model.grad.ts") })).toBe(true);
    // The cache (on here) must not serve the old formatting once the configuration changes.
    put(dir, ".prettierrc.json", JSON.stringify({ semi: true }));
    expect(await main(["build", "--check", "model.ts"], { cwd: dir, stdout: () => {}, stderr: () => {} })).toBe(1);
    expect(await main(["build", "model.ts"], { cwd: dir, stdout: () => {}, stderr: () => {} })).toBe(0);
    expect(read(dir, "model.grad.ts")).toContain("  const value = modelGradInto(w, x, grad);\n");
  });

  it('uses tsgrad\'s own style with "format": "tsgrad", and reports a broken prettier configuration as TSG1005 without writing', async () => {
    const dir = project({ "tsgrad.config.json": JSON.stringify({ format: "tsgrad" }), ".prettierrc.json": JSON.stringify({ semi: false }), "model.ts": MODEL, "util.ts": UTIL });
    expect((await tsgrad(dir, "build", "model.ts")).code).toBe(0);
    expect(read(dir, "model.grad.ts")).toContain("  const value = modelGradInto(w, x, grad);\n");
    const broken = project({ ".prettierrc.json": "{ semi: ", "model.ts": MODEL, "util.ts": UTIL });
    const r = await tsgrad(broken, "build", "model.ts");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`model.ts:1:1 - error ${formatCode(Codes.FormatFailed)}: cannot read the prettier configuration`);
    expect(existsSync(path.join(broken, "model.grad.ts"))).toBe(false);
  });

  it("writes import specifiers the way the source does, else as its tsconfig allows", async () => {
    const dir = project({
      "mirror/model.ts": MODEL.replace('"./util.js"', '"./util"'),
      "mirror/util.ts": UTIL,
      "ts/tsconfig.json": `{\n  // comments and trailing commas, as tsc allows\n  "extends": "./base.json",\n}\n`,
      "ts/base.json": `{ "compilerOptions": { "allowImportingTsExtensions": true, "noEmit": true } }`,
      "ts/square.ts": `/** @grad x */\nexport function square(x: Point): number {\n  return x.a * x.b;\n}\nexport interface Point {\n  a: number;\n  b: number;\n}\n`,
      "js/square.ts": `/** @grad x */\nexport function square(x: Point): number {\n  return x.a * x.b;\n}\nexport interface Point {\n  a: number;\n  b: number;\n}\n`,
    });
    expect((await tsgrad(dir, "build", "mirror/model.ts", "ts", "js")).code).toBe(0);
    expect(read(dir, "ts/square.grad.ts")).toContain('from "./square.ts"');
    expect(read(dir, "js/square.grad.ts")).toContain('from "./square.js"');
    const mirrored = read(dir, "mirror/model.grad.ts");
    expect(mirrored).not.toMatch(/from "\.\/[^"]*\.(js|ts)"/);
  });

  it("reads array elements as a[i]! where the tsconfig has noUncheckedIndexedAccess, and tsc accepts it", async () => {
    const flags = { strict: true, noUncheckedIndexedAccess: true, noEmit: true, target: "ES2022", module: "nodenext", lib: ["ES2022"], types: [], noImplicitReturns: true, exactOptionalPropertyTypes: true };
    const dir = project({
      "package.json": JSON.stringify({ type: "module" }),
      "tsconfig.json": JSON.stringify({ compilerOptions: flags }),
      "model.ts": MODEL.replace("w[j] * x[i][j]", "w[j]! * x[i]![j]!"),
      "util.ts": UTIL,
    });
    expect((await tsgrad(dir, "build", "model.ts")).code).toBe(0);
    const text = read(dir, "model.grad.ts");
    expect(text).toMatch(/w\[j\]! \* x_i\[j\]!|x\[i\]!\[j\]!/);
    const tsc = spawnSync(process.execPath, [path.join(repo, "node_modules/typescript/bin/tsc"), "-p", dir], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });
});

describe("tsconfig's JSON dialect", () => {
  it("drops comments and trailing commas, not what strings hold", () => {
    const text = `{\n  // a comment with "quotes"\n  "a": "http://x/*y*/", /* block, */\n  "b": [1, 2,],\n  "c": { "d": "e,}", },\n}`;
    expect(JSON.parse(stripJsonComments(text))).toEqual({ a: "http://x/*y*/", b: [1, 2], c: { d: "e,}" } });
  });
});
