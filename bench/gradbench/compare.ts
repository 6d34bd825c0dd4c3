/**
 * Compares tsgrad's GradBench tool (bench/gradbench/tool.ts) with GradBench's hand-written
 * C++ tool ("manual") on the real evals: for each eval it runs the eval's Python program
 * twice, connected once to each tool over pipes (JSON lines, as GradBench's `run` command
 * connects them), counts the validity analyses the eval sends, and compares the median
 * `evaluate` timing (of the later half of the runs) of each eval's derivative with that of
 * its primal, per input.
 *
 *   npx tsx bench/gradbench/compare.ts --gradbench /path/to/gradbench [--evals llsq,lse]
 *     [--min-runs 40] [--min-seconds 0.1] [--eval-args "-d 10 64 -k 5"] [--repeat 3]
 *
 * `--eval-args` replaces the eval arguments of EVALS (below) for every eval run.
 * `--repeat N` runs each eval N times with each tool, the tools taking turns, and reports
 * per input the median over the N runs of each time and of each tool's ratio (with the
 * range of the ratios): on a shared machine one run's input can land on a busy moment of
 * another process (seen: one gmm input's derivative 1.6x its neighbours' in one run, normal
 * in the next), and a median of three is not moved by one such run.
 *
 * `--gradbench` is a checkout of github.com/gradbench/gradbench with the C++ dependency
 * set up (`cpp/json.hpp`) and Python able to run `python/gradbench` (numpy, scipy,
 * pydantic 2 or a shim; PYTHONPATH from the environment is kept, the repo's
 * `python/gradbench` is appended). The manual tool is started the way its Dockerfile
 * does, `python3 python/gradbench/gradbench/cpp.py manual` from the repository root: it
 * builds `tools/manual/bin/<eval>` on `define` and runs it once per `evaluate` with the
 * input in a file. That binary times only `compute` (JSON parsing, and the conversion into
 * its own input type, are outside its timings), once per run, as `evaluate`.
 *
 * Nested evals (particle, saddle) have no primal: their table gives each nesting's time, its
 * ratio to the fastest other nesting, and GradBench's C++ finite-differences tool's time.
 *
 * A developer tool: tests never run it. Without a usable `--gradbench` it says so and
 * exits 0.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { MODULES } from "./tool.ts";

/**
 * Each eval's primal and derivative function, and the eval arguments that keep a run short.
 * A nested eval (`nestings`) has no primal: one function per nesting of the outer and inner
 * mode, all timed, compared with each other and with the C++ tool named by `cpp` (GradBench's
 * manual tool does not implement them; its finite-differences tool does).
 */
const EVALS: Record<string, { primal: string; derivative: string; args: string[]; runs?: boolean; nestings?: string[]; cpp?: string }> = {
  hello: { primal: "square", derivative: "double", args: [], runs: false },
  llsq: { primal: "primal", derivative: "gradient", args: ["-n", "256", "1024", "4096", "16392"] },
  lse: { primal: "primal", derivative: "gradient", args: ["-n", "2500", "20000", "160000"] },
  ode: { primal: "primal", derivative: "gradient", args: ["-n", "1000", "10000", "-s", "10", "100"] },
  det: { primal: "primal", derivative: "gradient", args: ["-l", "5", "7", "9", "10"] },
  kmeans: { primal: "cost", derivative: "dir", args: [] },
  gmm: { primal: "objective", derivative: "jacobian", args: [] },
  lstm: { primal: "objective", derivative: "jacobian", args: ["-l", "2", "4", "-c", "1024", "4096"] },
  ba: { primal: "objective", derivative: "jacobian", args: ["--min", "1", "--max", "3"] },
  ht: { primal: "objective", derivative: "jacobian", args: ["--min", "1", "--max", "3", "--model", "small"] },
  particle: { primal: "", derivative: "", args: [], nestings: ["rr", "ff", "fr", "rf"], cpp: "finite" },
  saddle: { primal: "", derivative: "", args: [], nestings: ["rr", "ff", "fr", "rf"], cpp: "finite" },
};

interface Evaluation {
  function: string;
  description: string;
  success: boolean;
  error?: string;
  evaluateNs: number[];
  valid?: boolean;
  analysisError?: string;
}

interface Run {
  evaluations: Evaluation[];
  exitCode: number | null;
  stderr: string;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** Runs one eval connected to one tool; returns every evaluation with its timings and analysis. */
function runEval(gradbench: string, evalName: string, evalArgs: string[], tool: { cmd: string; args: string[]; cwd: string }): Promise<Run> {
  const env = {
    ...process.env,
    PYTHONPATH: [process.env.PYTHONPATH, path.join(gradbench, "python/gradbench")].filter(Boolean).join(path.delimiter),
  };
  const script = path.join("python/gradbench/gradbench/evals", evalName, "run.py");
  const ev = spawn("python3", [script, ...evalArgs], { cwd: gradbench, env, stdio: ["pipe", "pipe", "pipe"] });
  const tl = spawn(tool.cmd, tool.args, { cwd: tool.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  const byId = new Map<number, Evaluation>();
  const evaluations: Evaluation[] = [];
  let stderr = "";
  ev.stderr.on("data", (d) => (stderr += d));
  tl.stderr.on("data", (d) => (stderr += d));
  ev.stdin.on("error", () => {});
  tl.stdin.on("error", () => {});

  createInterface({ input: ev.stdout }).on("line", (line) => {
    if (line.trim() === "") return;
    const m = JSON.parse(line);
    if (m.kind === "evaluate") {
      const e: Evaluation = { function: m.function, description: m.description ?? "", success: false, evaluateNs: [] };
      byId.set(m.id, e);
      evaluations.push(e);
    } else if (m.kind === "analysis") {
      const e = byId.get(m.of);
      if (e) {
        e.valid = m.valid;
        if (!m.valid) e.analysisError = String(m.error ?? "").slice(0, 400);
      }
    }
    tl.stdin.write(`${line}\n`);
  });
  createInterface({ input: tl.stdout }).on("line", (line) => {
    if (line.trim() === "") return;
    const r = JSON.parse(line);
    const e = byId.get(r.id);
    if (e) {
      e.success = r.success === true;
      if (!e.success) e.error = String(r.error ?? "").slice(0, 400);
      e.evaluateNs = (r.timings ?? []).filter((t: { name: string }) => t.name === "evaluate").map((t: { nanoseconds: number }) => t.nanoseconds);
    }
    ev.stdin.write(`${line}\n`);
  });

  return new Promise((resolve) => {
    ev.on("exit", (code) => {
      tl.stdin.end();
      const done = () => resolve({ evaluations, exitCode: code, stderr });
      const timer = setTimeout(() => {
        tl.kill();
        done();
      }, 10_000);
      tl.on("exit", () => {
        clearTimeout(timer);
        done();
      });
    });
  });
}

/**
 * The median of the later half of the runs: a JIT needs some runs to compile the hot code
 * (tsgrad's ode gradient takes about 15 at n = 1000, s = 10), and the first runs of a
 * compiled tool are no different from the rest.
 */
const steadyMedian = (runs: number[]): number => {
  const xs = runs.slice(Math.floor(runs.length / 2));
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/** Pairs the k-th primal and the k-th derivative evaluation of each input description. */
function ratios(run: Run, primal: string, derivative: string): Map<string, { primal: number; derivative: number }> {
  const seen = new Map<string, number>();
  const slots = new Map<string, { p?: Evaluation; d?: Evaluation }>();
  for (const e of run.evaluations) {
    if (e.function !== primal && e.function !== derivative) continue;
    const base = e.description || "input";
    const counter = `${base}\u0000${e.function}`;
    const k = (seen.get(counter) ?? 0) + 1;
    seen.set(counter, k);
    const key = k === 1 ? base : `${base} #${k}`;
    const slot = slots.get(key) ?? {};
    if (e.function === primal) slot.p = e;
    else slot.d = e;
    slots.set(key, slot);
  }
  const out = new Map<string, { primal: number; derivative: number }>();
  for (const [key, { p, d }] of slots) {
    if (!p?.success || !d?.success) continue;
    out.set(key, { primal: steadyMedian(p.evaluateNs), derivative: steadyMedian(d.evaluateNs) });
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

interface Repeated {
  primal: number;
  derivative: number;
  ratio: number;
  low: number;
  high: number;
}

/** Each input's times and ratio over repeated runs of one tool: medians, and the ratios' range. */
function repeated(runs: Run[], primal: string, derivative: string): Map<string, Repeated> {
  const each = runs.map((run) => ratios(run, primal, derivative));
  const out = new Map<string, Repeated>();
  for (const key of new Set(each.flatMap((m) => [...m.keys()]))) {
    const got = each.map((m) => m.get(key)).filter((x) => x !== undefined);
    const r = got.map((x) => x.derivative / x.primal);
    out.set(key, { primal: median(got.map((x) => x.primal)), derivative: median(got.map((x) => x.derivative)), ratio: median(r), low: Math.min(...r), high: Math.max(...r) });
  }
  return out;
}

function validity(runs: Run[]): string {
  const all = runs.flatMap((run) => run.evaluations);
  const n = all.length;
  const valid = all.filter((e) => e.valid === true).length;
  const failed = all.filter((e) => !e.success).length;
  return `${valid} of ${n} valid${failed ? `, ${failed} failed` : ""}`;
}

const fmtTime = (ns: number): string =>
  !Number.isFinite(ns) ? "–" : ns >= 1e9 ? `${(ns / 1e9).toFixed(2)} s` : ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} µs` : `${ns} ns`;
const fmtRatio = (r: number): string => (!Number.isFinite(r) ? "–" : r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2));

/**
 * A nested eval's table: each nesting's median time for tsgrad and the C++ tool, and each
 * tsgrad nesting over the fastest of the others (issue 24: reverse-over-forward within 2x).
 */
function nestingTable(name: string, nestings: string[], cpp: string, args: string[], runs: Record<string, Run[]>): string {
  const time = (list: Run[], fn: string) =>
    median(
      list.flatMap((run) => {
        const e = run.evaluations.find((x) => x.function === fn && x.success);
        return e ? [steadyMedian(e.evaluateNs)] : [];
      }),
    );
  const ts = new Map(nestings.map((n) => [n, time(runs.tsgrad!, n)]));
  console.log(`## ${name} (one function per nesting, outer mode then inner; eval args: ${args.join(" ") || "none"})\n`);
  console.log(`validity: tsgrad ${validity(runs.tsgrad!)}; C++ ${cpp} ${validity(runs["C++"]!)}\n`);
  console.log(`| nesting | tsgrad | tsgrad / fastest other nesting | C++ ${cpp} |`);
  console.log("| --- | ---: | ---: | ---: |");
  let worst = 0;
  for (const n of nestings) {
    const others = Math.min(...nestings.filter((m) => m !== n).map((m) => ts.get(m)!));
    const r = ts.get(n)! / others;
    worst = Math.max(worst, r);
    console.log(`| ${n} | ${fmtTime(ts.get(n)!)} | ${fmtRatio(r)} | ${fmtTime(time(runs["C++"]!, n))} |`);
  }
  for (const [toolName, list] of Object.entries(runs)) {
    for (const e of list.flatMap((run) => run.evaluations).filter((e) => !e.success || e.valid === false)) {
      console.log(`\n${toolName} ${e.function}: ${e.success ? `invalid: ${e.analysisError}` : `failed: ${e.error}`}`);
    }
  }
  console.log("");
  return `${name}: slowest tsgrad nesting ${fmtRatio(worst)}x the fastest other one`;
}

async function main(): Promise<void> {
  const gradbench = option("--gradbench");
  if (!gradbench || !existsSync(path.join(gradbench, "python/gradbench/gradbench/evals"))) {
    console.log(
      gradbench
        ? `compare: ${gradbench} is not a gradbench checkout (no python/gradbench/gradbench/evals); nothing compared.`
        : "compare: no --gradbench <path to a gradbench checkout> given; nothing compared.",
    );
    return;
  }
  const gb = path.resolve(gradbench);
  const minRuns = option("--min-runs") ?? "40";
  const minSeconds = option("--min-seconds") ?? "0.1";
  const repeat = Math.max(1, Number(option("--repeat") ?? "1") || 1);
  const wanted = (option("--evals") ?? Object.keys(EVALS).join(",")).split(",").filter(Boolean);
  const toolsFor = (cpp: string) => ({
    tsgrad: { cmd: process.execPath, args: ["--import", "tsx", path.join(repoRoot, "bench/gradbench/tool.ts")], cwd: repoRoot },
    "C++": { cmd: "python3", args: ["python/gradbench/gradbench/cpp.py", cpp], cwd: gb },
  });
  const repeats = repeat > 1 ? `; each eval run ${repeat} times per tool, medians over the runs, the ratios' range in parentheses` : "";
  console.log(`# tsgrad vs GradBench's manual C++ tool (median of the later half of each evaluation's evaluate timings; --min-runs ${minRuns} --min-seconds ${minSeconds}${repeats})\n`);
  const verdicts: string[] = [];
  const skipped: string[] = [];
  for (const name of wanted) {
    const spec = EVALS[name];
    if (!spec) {
      skipped.push(`${name} (no such eval in this script)`);
      continue;
    }
    if (!MODULES[name]) {
      skipped.push(`${name} (tool.ts does not implement it yet)`);
      continue;
    }
    const evalArgs = option("--eval-args")?.split(" ").filter(Boolean) ?? spec.args;
    const args = spec.runs === false ? evalArgs : [...evalArgs, "--min-runs", minRuns, "--min-seconds", minSeconds];
    const runs: Record<string, Run[]> = {};
    for (let round = 1; round <= repeat; round++) {
      for (const [toolName, tool] of Object.entries(toolsFor(spec.cpp ?? "manual"))) {
        const started = Date.now();
        const run = await runEval(gb, name, args, tool);
        (runs[toolName] ??= []).push(run);
        const which = repeat > 1 ? ` (run ${round} of ${repeat})` : "";
        process.stderr.write(`${name} with ${toolName}${which}: ${((Date.now() - started) / 1000).toFixed(1)} s, ${validity([run])}\n`);
      }
    }
    if (spec.nestings) {
      verdicts.push(nestingTable(name, spec.nestings, spec.cpp ?? "manual", args, runs));
      continue;
    }
    const ts = repeated(runs.tsgrad!, spec.primal, spec.derivative);
    const cpp = repeated(runs["C++"]!, spec.primal, spec.derivative);
    console.log(`## ${name} (${spec.derivative}/${spec.primal}; eval args: ${args.join(" ") || "none"})\n`);
    console.log(`validity: tsgrad ${validity(runs.tsgrad!)}; C++ ${validity(runs["C++"]!)}\n`);
    console.log(`| input | tsgrad ${spec.primal} | tsgrad ${spec.derivative} | tsgrad ratio | C++ ${spec.primal} | C++ ${spec.derivative} | C++ ratio | tsgrad ≤ C++ |`);
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | :-: |");
    let met = 0;
    let compared = 0;
    for (const key of new Set([...ts.keys(), ...cpp.keys()])) {
      const a = ts.get(key);
      const b = cpp.get(key);
      const ra = a?.ratio ?? NaN;
      const rb = b?.ratio ?? NaN;
      const range = (x: Repeated | undefined) => (x && repeat > 1 ? ` (${fmtRatio(x.low)}–${fmtRatio(x.high)})` : "");
      const ok = Number.isFinite(ra) && Number.isFinite(rb) ? ra <= rb : undefined;
      if (ok !== undefined) {
        compared++;
        if (ok) met++;
      }
      console.log(
        `| ${key} | ${fmtTime(a?.primal ?? NaN)} | ${fmtTime(a?.derivative ?? NaN)} | ${fmtRatio(ra)}${range(a)} | ${fmtTime(b?.primal ?? NaN)} | ${fmtTime(b?.derivative ?? NaN)} | ${fmtRatio(rb)}${range(b)} | ${ok === undefined ? "–" : ok ? "yes" : "no"} |`,
      );
    }
    for (const [toolName, list] of Object.entries(runs)) {
      for (const run of list) {
        for (const e of run.evaluations.filter((e) => !e.success || e.valid === false)) {
          console.log(`\n${toolName} ${e.function} ${e.description}: ${e.success ? `invalid: ${e.analysisError}` : `failed: ${e.error}`}`);
        }
        if (run.exitCode !== 0) console.log(`\n${toolName}: the eval exited with ${run.exitCode}:\n${run.stderr.slice(-1500)}`);
      }
    }
    console.log("");
    verdicts.push(`${name}: tsgrad ratio ≤ C++ ratio on ${met} of ${compared} inputs`);
  }
  console.log("## Summary\n");
  for (const v of verdicts) console.log(`- ${v}`);
  for (const s of skipped) console.log(`- skipped: ${s}`);
}

await main();
