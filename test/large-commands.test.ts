/**
 * `tsgrad verify`, `graph` and `build --dump-after` on a source nested too deep for the main
 * thread's stack (issue 20, item 5): like `build`, each runs again in a worker with a large
 * stack (cli/largeStack.ts) and does its job; where even that stack is too small
 * (TSGRAD_STACK_MB makes it small here), each reports TSG1006 at the deepest expression,
 * says which stack was tried, and prints no stack trace. The real CLI in a child process.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nestFunction } from "./harness/large-sources.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(REPO, "bin/tsgrad.js");
/** Deep enough to exhaust the main thread's stack while parsing (about 1,000 levels fit). */
const DEPTH = 3000;

function tsgrad(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let root: string;
let text: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "tsgrad-large-commands-"));
  writeFileSync(path.join(root, "package.json"), `{ "type": "module" }\n`);
  text = nestFunction(DEPTH);
  writeFileSync(path.join(root, "deep.ts"), text);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** line:col of the innermost `(` of the nest (where TSG1006 points). */
function innermost(): string {
  const at = text.indexOf("x[0] + 1)") - 1;
  return `${text.slice(0, at).split("\n").length}:${at - text.lastIndexOf("\n", at - 1)}`;
}

function expectTooLarge(r: { status: number | null; stdout: string; stderr: string }) {
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`deep.ts:${innermost()} - error TSG1006: 'nest' in deep.ts is too large to compile: an expression nested ${DEPTH} levels deep`);
  expect(r.stderr).toContain("or set TSGRAD_STACK_MB above 4");
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe("commands other than build on a source too deep for the main thread", () => {
  it("build --dump-after prints the stage's IR", () => {
    const r = tsgrad(root, ["build", "--dump-after=lower", "deep.ts"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\/\/ after lower: nest \(deep\.ts\)\nexport function nest\(x: number\[\]\): number \{/);
    // x[0] + 1 + 2 + …: one term a line, every one of the DEPTH there.
    expect(r.stdout.match(/^\s+\d+ \+$/gm)?.length).toBe(DEPTH - 1);
  }, 600_000);

  it("graph draws the function", () => {
    const r = tsgrad(root, ["graph", "deep.ts", "-o", "deep.json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wrote deep\.json \(\d+ nodes, \d+ edges\)\n$/);
    const graph = JSON.parse(readFileSync(path.join(root, "deep.json"), "utf8"));
    expect(graph.nodes.length).toBeGreaterThan(0);
  }, 600_000);

  it("verify checks the gradient after a build", () => {
    expect(tsgrad(root, ["build", "deep.ts", "--no-cache"]).status).toBe(0);
    const r = tsgrad(root, ["verify", "deep.ts", "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.rows.map((row: { function: string; mode: string; status: string }) => [row.function, row.mode, row.status])).toEqual([["nest", "grad", "ok"]]);
  }, 600_000);

  it("where even the worker's stack is too small: TSG1006 at the innermost parenthesis, for each command", () => {
    const small = { TSGRAD_STACK_MB: "4" };
    expectTooLarge(tsgrad(root, ["build", "--dump-after=lower", "deep.ts"], small));
    expectTooLarge(tsgrad(root, ["graph", "deep.ts"], small));
    expectTooLarge(tsgrad(root, ["verify", "deep.ts"], small));
  }, 600_000);
});
