/**
 * `npm run bench:compile`: the compiler's throughput on one large function (bench/compiler.ts's
 * `largeFunction`: reassignments, locals and Math.sin, the "5000-statement function" of
 * issue 19) at several sizes, with where the time goes.
 *
 *   npx tsx bench/compile.ts [--sizes=1000,5000,20000] [--runs=1] [--dist]
 *
 * Each size compiles in a fresh child process (so its peak resident memory is its own),
 * after a small warm-up compile in that process (module loading and prettier's first-call
 * cost are not the large function's). Reported per size: wall seconds, statements per
 * second, CPU seconds of the compile, the child's peak RSS, and milliseconds per stage
 * (compiler/stages.ts: project creation, parse, discover, lower, each pass, print,
 * format), wall and CPU (on a shared machine the CPU figures are the ones to compare).
 * With --runs=N the median run's figures are shown. Reports; asserts nothing.
 *
 * The compiler runs from its TypeScript sources through tsx, as in earlier sessions' tables.
 * tsx wraps every named closure in a `__name` call (esbuild's keepNames), which costs the
 * closure-heavy passes ~20 %; users run the compiled JavaScript. `--dist` builds dist/
 * (`npm run build`) and compiles each size with both, sources and dist/, one after the
 * other per run, so the two rows of a size share the machine's load.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { compileSources as CompileSources } from "../compiler/pipeline.ts";
import type { StageClock as Clock } from "../compiler/stages.ts";
import { largeFunction } from "./compiler.ts";

/** Where the compiler is loaded from: its sources (through tsx) or the compiled dist/. */
type Compiler = "sources" | "dist";

interface Run {
  compiler: Compiler;
  statements: number;
  seconds: number;
  cpuSeconds: number;
  peakMiB: number;
  stages: Record<string, number>;
  cpuStages: Record<string, number>;
  outputBytes: number;
}

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

async function child(statements: number, compiler: Compiler): Promise<Run> {
  // dist/'s JavaScript is imported as it is: tsx transforms only the TypeScript files.
  const root = compiler === "dist" ? "../dist/compiler" : "../compiler";
  const ext = compiler === "dist" ? "js" : "ts";
  const { compileSources } = (await import(`${root}/pipeline.${ext}`)) as { compileSources: typeof CompileSources };
  const { StageClock } = (await import(`${root}/stages.${ext}`)) as { StageClock: typeof Clock };
  await compileSources([{ path: "warm.ts", text: largeFunction(20) }]);
  const clock = new StageClock(true);
  const text = largeFunction(statements);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const out = await compileSources([{ path: "big.ts", text }], { clock });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (out.diagnostics.length > 0 || out.files.length !== 1) throw new Error(`the ${statements}-statement function did not compile: ${out.diagnostics[0]?.message}`);
  return {
    compiler,
    statements,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakMiB: process.resourceUsage().maxRSS / 1024,
    stages: Object.fromEntries(clock.totals),
    cpuStages: Object.fromEntries(clock.cpuTotals),
    outputBytes: out.files[0]!.text.length,
  };
}

function median(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
}

const only = arg("child");
if (only) {
  console.log(JSON.stringify(await child(Number(only), arg("compiler") === "dist" ? "dist" : "sources")));
} else {
  const sizes = (arg("sizes") ?? "1000,5000,20000").split(",").map(Number);
  const runs = Number(arg("runs") ?? 1);
  const compilers: Compiler[] = process.argv.includes("--dist") ? ["sources", "dist"] : ["sources"];
  if (compilers.includes("dist")) {
    const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
  const results: Run[] = [];
  console.log(`Compiler throughput (bench/compile.ts), load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${availableParallelism()} cores`);
  for (const n of sizes) {
    const each = new Map<Compiler, Run[]>(compilers.map((c) => [c, []]));
    for (let r = 0; r < runs; r++) {
      for (const compiler of compilers) {
        // The bench file itself always runs through tsx; with "dist" it imports the compiled compiler.
        const proc = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), `--child=${n}`, `--compiler=${compiler}`], { encoding: "utf8", maxBuffer: 1 << 26 });
        if (proc.status !== 0) throw new Error(`child for ${n} statements (${compiler}) failed:\n${proc.stderr}`);
        each.get(compiler)!.push(JSON.parse(proc.stdout.trim().split("\n").pop()!) as Run);
      }
    }
    for (const compiler of compilers) results.push(median(each.get(compiler)!));
  }
  const label = (r: Run) => (compilers.length > 1 ? `${r.statements} ${r.compiler}` : String(r.statements));
  const rows = results.map((r) => [label(r), r.seconds.toFixed(2), (r.statements / r.seconds).toFixed(0), r.cpuSeconds.toFixed(2), (r.statements / r.cpuSeconds).toFixed(0), r.peakMiB.toFixed(0), (r.outputBytes / 1024).toFixed(0)]);
  printTable(["statements", "wall s", "statements/s", "CPU s", "statements/CPU s", "peak RSS MiB", "output KiB"], rows);
  const stages = [...new Set(results.flatMap((r) => Object.keys(r.stages)))];
  console.log("\nWhere the time goes (ms per stage, wall; 'other' = the compile minus the stages):");
  const stageRows = stages.map((s) => [s, ...results.map((r) => (r.stages[s] ?? 0).toFixed(0))]);
  stageRows.push(["other", ...results.map((r) => (r.seconds * 1000 - Object.values(r.stages).reduce((a, b) => a + b, 0)).toFixed(0))]);
  printTable(["stage", ...results.map(label)], stageRows);
  console.log("\nCPU ms per stage ('other' = the compile's CPU minus the stages'):");
  const cpuRows = stages.map((s) => [s, ...results.map((r) => (r.cpuStages[s] ?? 0).toFixed(0))]);
  cpuRows.push(["other", ...results.map((r) => (r.cpuSeconds * 1000 - Object.values(r.cpuStages).reduce((a, b) => a + b, 0)).toFixed(0))]);
  printTable(["stage", ...results.map(label)], cpuRows);
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  console.log(line(head));
  console.log(`| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`);
  for (const r of rows) console.log(line(r));
}
