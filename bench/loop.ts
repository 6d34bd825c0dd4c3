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
 *
 * each also with `--no-cache` (every source compiled, as before the cache existed), the
 * two kinds of run interleaved. Medians of wall-clock times; nothing is asserted.
 * `TSGRAD_BIN=/path/to/bin/tsgrad.js` times another checkout's CLI.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HUNDRED, helperPath, helperText, modelPath, modelText, writeProject } from "./project.ts";
import { median } from "./timing.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.TSGRAD_BIN ?? path.resolve(here, "../bin/tsgrad.js");
const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 5);

function cli(cwd: string, ...args: string[]): { ms: number; code: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });
  const ms = performance.now() - t0;
  return { ms, code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const help = cli(here, "--help").out;
const hasCache = help.includes("--no-cache");
const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-loop-bench-"));
writeProject(root);
const cacheDir = path.join(root, "node_modules/.cache/tsgrad");

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
rmSync(root, { recursive: true, force: true });

console.log(`Edit–build loop, ${HUNDRED.helpers + HUNDRED.models} sources (${HUNDRED.models} annotated), ${bin}`);
console.log(`${runs} runs each (cold: ${Math.min(runs, 3)}), median wall-clock ms of a fresh CLI process; ${os.cpus().length} cores shared with other work`);
if (!hasCache) console.log("(this CLI has no --no-cache: no cache to compare against)");
for (const [name, ms] of times) {
  console.log(`  ${name.padEnd(44)} ${median(ms).toFixed(0).padStart(6)} ms   [${ms.map((m) => m.toFixed(0)).join(", ")}]`);
}
void cacheDir;
