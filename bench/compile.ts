/**
 * `npm run bench:compile`: the compiler's throughput on one large function (bench/compiler.ts's
 * `largeFunction`: reassignments, locals and Math.sin, the "5000-statement function" of
 * issue 19) at several sizes, with where the time goes.
 *
 *   npx tsx bench/compile.ts [--sizes=1000,5000,20000] [--runs=1] [--dist]
 *
 * Each size compiles in a fresh child process (so its peak resident memory is its own),
 * after a small warm-up compile in that process (module loading and prettier's first-call
 * cost are not the large function's; the compile itself runs mostly in code V8 has not
 * optimized yet, as in a one-shot `tsgrad build`). At 5,000 statements a second row ("warm")
 * compiles the same function after building every sample three times in that process, as
 * `npm run bench` does before its throughput line: the measurement behind the issue's
 * ~1,300 statements/s, and what `--watch` and the bundler plugin feel. Reported per size: wall seconds, statements per
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
 *
 * With 5,000 among the sizes it ends with the issue's figure in one line: statements per
 * second at 5,000 (wall, through tsx and from dist/), beside the whole command a user runs
 * on that function's file (`tsgrad build --no-cache`, a fresh process: start-up, module
 * loading, reading and writing included; from dist/ with --dist, else through tsx).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { compileSources as CompileSources } from "../compiler/pipeline.ts";
import type { StageClock as Clock } from "../compiler/stages.ts";
import { largeFunction, sampleBuilds } from "./compiler.ts";

/** Where the compiler is loaded from: its sources (through tsx) or the compiled dist/. */
type Compiler = "sources" | "dist";

/**
 * What the child compiles before the large function: a 20-statement function (module loading
 * and first calls only: the large compile runs mostly in code V8 has not optimized yet), or
 * every sample three times, as `npm run bench` does before its throughput line (the
 * measurement behind the issue's ~1,300 statements/s; the compiler's code is warm, as in
 * `--watch` and the bundler plugin).
 */
type WarmUp = "small" | "samples";

interface Run {
  compiler: Compiler;
  warmUp: WarmUp;
  statements: number;
  seconds: number;
  cpuSeconds: number;
  peakMiB: number;
  stages: Record<string, number>;
  cpuStages: Record<string, number>;
  outputBytes: number;
}

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

async function child(statements: number, compiler: Compiler, warmUp: WarmUp): Promise<Run> {
  // dist/'s JavaScript is imported as it is: tsx transforms only the TypeScript files.
  const root = compiler === "dist" ? "../dist/compiler" : "../compiler";
  const ext = compiler === "dist" ? "js" : "ts";
  const { compileSources } = (await import(`${root}/pipeline.${ext}`)) as { compileSources: typeof CompileSources };
  const { StageClock } = (await import(`${root}/stages.${ext}`)) as { StageClock: typeof Clock };
  if (warmUp === "small") await compileSources([{ path: "warm.ts", text: largeFunction(20) }]);
  else {
    const builds = sampleBuilds();
    for (let r = 0; r < 3; r++) for (const inputs of builds) await compileSources(inputs);
  }
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
    warmUp,
    statements,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakMiB: process.resourceUsage().maxRSS / 1024,
    stages: Object.fromEntries(clock.totals),
    cpuStages: Object.fromEntries(clock.cpuTotals),
    outputBytes: out.files[0]!.text.length,
  };
}

const only = arg("child");
if (only) {
  console.log(JSON.stringify(await child(Number(only), arg("compiler") === "dist" ? "dist" : "sources", arg("warm") === "samples" ? "samples" : "small")));
} else {
  const sizes = (arg("sizes") ?? "1000,5000,20000").split(",").map(Number);
  const runs = Number(arg("runs") ?? 1);
  const compilers: Compiler[] = process.argv.includes("--dist") ? ["sources", "dist"] : ["sources"];
  if (compilers.includes("dist")) {
    const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
  const results: Run[] = [];
  const load = () => `load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${availableParallelism()} cores`;
  console.log(`Compiler throughput (bench/compile.ts), ${load()}`);
  for (const n of sizes) {
    // At 5,000 also the issue's own measurement: the same compile after the sample builds.
    const variants = compilers.flatMap((compiler) => (n === 5000 ? (["small", "samples"] as const) : (["small"] as const)).map((warmUp) => ({ compiler, warmUp })));
    const each = variants.map((): Run[] => []);
    for (let r = 0; r < runs; r++) {
      variants.forEach(({ compiler, warmUp }, v) => {
        // The bench file itself always runs through tsx; with "dist" it imports the compiled compiler.
        const proc = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), `--child=${n}`, `--compiler=${compiler}`, `--warm=${warmUp}`], { encoding: "utf8", maxBuffer: 1 << 26 });
        if (proc.status !== 0) throw new Error(`child for ${n} statements (${compiler}, ${warmUp} warm-up) failed:\n${proc.stderr}`);
        each[v]!.push(JSON.parse(proc.stdout.trim().split("\n").pop()!) as Run);
      });
    }
    for (const runsOfVariant of each) results.push(medianBy(runsOfVariant, (r) => r.seconds));
  }
  const label = (r: Run) => `${r.statements}${compilers.length > 1 ? ` ${r.compiler}` : ""}${r.warmUp === "samples" ? " warm" : ""}`;
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
  const at5k = results.filter((r) => r.statements === 5000);
  if (at5k.length > 0) {
    const compiler = compilers.includes("dist") ? "dist" : "sources";
    const cli = medianBy(Array.from({ length: runs }, () => commandRun(5000, compiler)), (c) => c.seconds);
    const each = at5k.map((r) => `${(r.statements / r.seconds).toFixed(0)} statements/s ${r.compiler === "dist" ? "from dist/" : "through tsx"}${r.warmUp === "samples" ? " after the sample builds (as npm run bench)" : " in a fresh process"} (${r.seconds.toFixed(2)} s wall)`);
    const cpu = cli.cpuSeconds === null ? "" : `, ${cli.cpuSeconds.toFixed(2)} CPU s`;
    console.log(`\n5,000 statements: ${each.join(", ")}; \`tsgrad build --no-cache\` on that file ${cli.seconds.toFixed(2)} s wall${cpu} (whole process, ${compiler === "dist" ? "dist/" : "through tsx"}); ${load()}`);
  }
}

function medianBy<T>(items: T[], key: (item: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]!;
}

/** Children's CPU seconds so far (Linux: /proc/self/stat's cutime + cstime, clock ticks of 1/100 s), or null elsewhere. */
function childrenCpuSeconds(): number | null {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

/** The `tsgrad build --no-cache` command on a file of `largeFunction(statements)`, as a user runs it: one fresh process. */
function commandRun(statements: number, compiler: Compiler): { seconds: number; cpuSeconds: number | null } {
  const dir = mkdtempSync(path.join(tmpdir(), "tsgrad-compile-"));
  try {
    writeFileSync(path.join(dir, "big.ts"), largeFunction(statements));
    const bin = fileURLToPath(new URL("../bin/tsgrad.js", import.meta.url));
    const env = { ...process.env, ...(compiler === "dist" && { TSGRAD_DIST: "1" }) };
    const cpuBefore = childrenCpuSeconds();
    const started = performance.now();
    const proc = spawnSync(process.execPath, [bin, "build", "--no-cache", "--quiet", dir], { encoding: "utf8", env });
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = childrenCpuSeconds();
    if (proc.status !== 0) throw new Error(`tsgrad build on the ${statements}-statement file failed:\n${proc.stdout}${proc.stderr}`);
    return { seconds, cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  console.log(line(head));
  console.log(`| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`);
  for (const r of rows) console.log(line(r));
}
