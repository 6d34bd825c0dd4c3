/**
 * `npm run bench:loop`: the edit–build loop as a user feels it. Generates a 100-file
 * project (bench/project.ts: 10 helpers, 90 annotated models) in a temporary folder and
 * times the real CLI (`node bin/tsgrad.js`, a fresh process each time, startup included):
 *
 *   --version                     startup alone
 *   cold build                    no outputs, no cache
 *   no-op build                   everything up to date
 *   --check                       everything up to date
 *   one model changed             one source edited, then build
 *   one helper changed            a helper imported by 9 models edited, then build
 *   --watch                       a save, until the watcher has rewritten the output
 *                                 (the compiler already loaded; 100 ms of debounce included)
 *
 * each also with `--no-cache` (every source compiled, as before the cache existed), the
 * two kinds of run interleaved. Medians of wall-clock times; nothing is asserted.
 * The CLI runs the compiled package (dist/, TSGRAD_DIST=1), as an installed tsgrad does;
 * `--sources` runs the repository's TypeScript through tsx instead.
 * `TSGRAD_BIN=/path/to/bin/tsgrad.js` times another checkout's CLI.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HUNDRED, helperPath, helperText, modelPath, modelText, writeProject } from "./project.ts";
import { median } from "./timing.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.TSGRAD_BIN ?? path.resolve(here, "../bin/tsgrad.js");
const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 5);
const fromSources = process.argv.includes("--sources");
const env = { ...process.env, TSGRAD_DIST: fromSources ? "0" : "1" };

function cli(cwd: string, ...args: string[]): { ms: number; code: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env });
  const ms = performance.now() - t0;
  return { ms, code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const help = cli(here, "--help").out;
const hasCache = help.includes("--no-cache");
const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-loop-bench-"));
writeProject(root);

function clean(): void {
  rmSync(path.join(root, "node_modules"), { recursive: true, force: true });
  spawnSync("sh", ["-c", "find src -name '*.grad.ts' -delete"], { cwd: root });
}

function expectOk(r: { code: number; out: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.out}`);
}

const times = new Map<string, number[]>();
const record = (name: string, ms: number) => {
  if (!times.has(name)) times.set(name, []);
  times.get(name)!.push(ms);
};
const variants = hasCache ? [[] as string[], ["--no-cache"]] : [[] as string[]];
const label = (flags: string[]) => (flags.length > 0 ? " (--no-cache)" : "");

for (let r = 0; r < runs; r++) record("--version", cli(root, "--version").ms);

for (let r = 0; r < Math.min(runs, 3); r++) {
  for (const flags of variants) {
    clean();
    const cold = cli(root, "build", "src", ...flags);
    expectOk(cold, "cold build");
    record(`cold build${label(flags)}`, cold.ms);
  }
}
let edit = 0;
for (let r = 0; r < runs; r++) {
  for (const flags of variants) {
    // The other variant's edits were never built with these flags: build them first, untimed.
    expectOk(cli(root, "build", "src", ...flags), "warm-up build");
    const noop = cli(root, "build", "src", ...flags);
    expectOk(noop, "no-op build");
    if (!/\b0 written/.test(noop.out)) throw new Error(`no-op build wrote something:\n${noop.out}`);
    record(`no-op build${label(flags)}`, noop.ms);

    const check = cli(root, "build", "--check", "src", ...flags);
    expectOk(check, "--check");
    record(`--check${label(flags)}`, check.ms);

    edit++;
    writeFileSync(path.join(root, modelPath(7)), modelText(7, HUNDRED.helpers, edit));
    const one = cli(root, "build", "src", ...flags);
    expectOk(one, "one-model build");
    if (!/\b1 written/.test(one.out)) throw new Error(`one-model build did not write one file:\n${one.out}`);
    record(`one model changed${label(flags)}`, one.ms);

    writeFileSync(path.join(root, helperPath(3)), helperText(3, edit));
    const helper = cli(root, "build", "src", ...flags);
    expectOk(helper, "one-helper build");
    if (!/\b9 written/.test(helper.out)) throw new Error(`helper change did not rewrite its 9 importers:\n${helper.out}`);
    record(`one helper changed (9 importers)${label(flags)}`, helper.ms);
  }
}

// --watch: from a save to the generated file on disk, the compiler already loaded (one process).
{
  const watcher = spawn(process.execPath, [bin, "build", "--watch", "--quiet", "src"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  watcher.stdout.on("data", (d) => (out += d));
  watcher.stderr.on("data", (d) => (out += d));
  const until = async (predicate: () => boolean, what: string) => {
    const start = performance.now();
    while (!predicate()) {
      if (performance.now() - start > 120_000) throw new Error(`timed out: ${what}\n${out}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - start;
  };
  const generated = path.join(root, modelPath(7).replace(/\.ts$/, ".grad.ts"));
  // Warm the watcher's compiler with a first change (its first compile loads ts-morph and prettier).
  for (let r = 0; r <= runs; r++) {
    edit++;
    const before = readFileSync(generated, "utf8");
    await new Promise((res) => setTimeout(res, r === 0 ? 3000 : 300));
    writeFileSync(path.join(root, modelPath(7)), modelText(7, HUNDRED.helpers, edit));
    const ms = await until(() => readFileSync(generated, "utf8") !== before, "the watcher to rewrite the model's output");
    if (r > 0) record("--watch: save to written file (compiler warm)", ms);
  }
  watcher.kill("SIGTERM");
}
rmSync(root, { recursive: true, force: true });

console.log(`Edit–build loop, ${HUNDRED.helpers + HUNDRED.models} sources (${HUNDRED.models} annotated), ${bin} (${fromSources ? "TypeScript sources through tsx" : "compiled dist/"})`);
console.log(`${runs} runs each (cold: ${Math.min(runs, 3)}), median wall-clock ms of a fresh CLI process; ${os.cpus().length} cores shared with other work`);
if (!hasCache) console.log("(this CLI has no --no-cache: no cache to compare against)");
for (const [name, ms] of times) {
  console.log(`  ${name.padEnd(44)} ${median(ms).toFixed(0).padStart(6)} ms   [${ms.map((m) => m.toFixed(0)).join(", ")}]`);
}
