/**
 * Large inputs through the real CLI (issue 20, item 5): wall time and peak memory of
 * `tsgrad build --no-cache` in a fresh process on generated sources: a sum of 5,000 terms,
 * expressions nested 5,000 and 20,000 deep (all three compiled again in the large-stack
 * worker), and functions of 5,000 and 20,000 statements. `npm run bench:large` (run it under
 * `flock /work/.bench.lock` on a shared machine). Peak memory is the child's maximum
 * resident set, read from GNU time when /usr/bin/time exists.
 *
 *   npx tsx bench/large.ts [--only sum|nest|nest20000|stmts5000|stmts20000]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nestFunction, statementsFunction, sumFunction } from "../test/harness/large-sources.ts";

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../bin/tsgrad.js");
const TIME = "/usr/bin/time";

const cases: { name: string; text: () => string }[] = [
  { name: "sum", text: () => sumFunction(5000) },
  { name: "nest", text: () => nestFunction(5000) },
  { name: "nest20000", text: () => nestFunction(20000) },
  { name: "stmts5000", text: () => statementsFunction(5000) },
  { name: "stmts20000", text: () => statementsFunction(20000) },
];

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const root = mkdtempSync(path.join(tmpdir(), "tsgrad-bench-large-"));
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}; node ${process.version}`);
console.log("| input | exit | wall s | peak RSS MB | generated KB |");
console.log("| --- | --- | --- | --- | --- |");
try {
  for (const c of cases.filter((c) => !only || c.name === only)) {
    const dir = path.join(root, c.name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, "f.ts"), c.text());
    const rss = path.join(root, `${c.name}.rss`);
    const command = existsSync(TIME) ? [TIME, "-f", "%M", "-o", rss, process.execPath] : [process.execPath];
    const started = performance.now();
    const r = spawnSync(command[0]!, [...command.slice(1), BIN, "build", dir, "--no-cache", "--quiet"], { encoding: "utf8" });
    const seconds = (performance.now() - started) / 1000;
    const peak = existsSync(rss) ? (Number(readFileSync(rss, "utf8").trim().split("\n").pop()) / 1024).toFixed(0) : "?";
    const out = path.join(dir, "f.grad.ts");
    const kb = existsSync(out) ? (readFileSync(out).length / 1024).toFixed(0) : "-";
    console.log(`| ${c.name} | ${r.status} | ${seconds.toFixed(1)} | ${peak} | ${kb} |`);
    if (r.status !== 0) console.log(r.stderr.split("\n").slice(0, 3).join("\n").slice(0, 400));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
