/**
 * GradBench's `ode` eval with checkpointing (issue 21): the real eval (its Python program,
 * validating against GradBench's C++ tool) connected to tsgrad's tool whose ode gradient is
 * a build of bench/gradbench/ode.ts with `// @checkpoint OPTIONS` above its step loop, for
 * each variant; store-all is the committed ode.grad.ts. Per variant: the analyses the eval
 * sent (valid of all), the median `evaluate` time of the gradient and of the primal per
 * input, the tool's peak resident memory, and whether each gradient has the bits of
 * store-all's.
 *
 *   npx tsx bench/checkpoint/ode.ts --gradbench /path/to/gradbench [--variants storeAll,snapshots=4,]
 *     [--eval-args "-n 1000 10000 100000 -s 1 10 100 --min-runs 5 --min-seconds 0"]
 *
 * `--gradbench` is set up as bench/gradbench/compare.ts says. Without it, says so and exits 0.
 * A developer tool: tests never run it.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { compileSources } from "../../compiler/pipeline.ts";
import { table } from "../timing.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const option = (name: string) => {
  const k = process.argv.indexOf(name);
  return k >= 0 ? process.argv[k + 1] : undefined;
};
const gradbench = option("--gradbench");
if (!gradbench || !existsSync(path.join(gradbench, "python/gradbench/gradbench/evals/ode/run.py"))) {
  console.log("bench/checkpoint/ode.ts needs --gradbench <a gradbench checkout> (see bench/gradbench/compare.ts); skipped.");
  process.exit(0);
}
const variants = (option("--variants") ?? "storeAll,,snapshots=4").split(",");
const evalArgs = (option("--eval-args") ?? "-n 1000 10000 100000 -s 1 10 100 --min-runs 5 --min-seconds 0").split(/\s+/).filter(Boolean);
const work = mkdtempSync(path.join(os.tmpdir(), "tsgrad-ode-checkpoint-"));

/** The ode gradient module of a variant: the committed store-all one, or a checkpointed build. */
async function moduleOf(variant: string, k: number): Promise<string> {
  if (variant === "storeAll") return path.join(here, "../gradbench/ode.grad.ts");
  const text = readFileSync(path.join(here, "../gradbench/ode.ts"), "utf8");
  const loop = "  for (let step = 0; step < s; step++) {";
  if (!text.includes(loop)) throw new Error("bench/gradbench/ode.ts: no step loop to tag");
  const file = path.join(work, `ode${k}.ts`);
  const tagged = text.replace(loop, `  // @checkpoint ${variant}\n${loop}`);
  writeFileSync(file, tagged);
  const result = await compileSources([{ path: file, text: tagged }]);
  if (!result.files[0] || result.diagnostics.some((d) => d.severity !== "warning")) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  if (!result.files[0].text.includes("Schedule.start")) throw new Error(`variant '${variant}': the build has no schedule`);
  writeFileSync(result.files[0].path, result.files[0].text);
  return result.files[0].path;
}

interface Run {
  valid: number;
  analyses: number;
  /** Median evaluate ms by "function description". */
  ms: Map<string, number>;
  rssMB: number;
  out: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function runEval(module: string, out: string): Promise<Run> {
  const env = { ...process.env, PYTHONPATH: [process.env["PYTHONPATH"], path.join(gradbench!, "python/gradbench")].filter(Boolean).join(path.delimiter) };
  const ev = spawn("python3", [path.join("python/gradbench/gradbench/evals/ode/run.py"), ...evalArgs], { cwd: gradbench, env, stdio: ["pipe", "pipe", "inherit"] });
  const tool = spawn(process.execPath, ["--import", "tsx", path.join(here, "odeTool.ts"), module, out], { cwd: path.join(here, "../.."), stdio: ["pipe", "pipe", "inherit"] });
  const run: Run = { valid: 0, analyses: 0, ms: new Map(), rssMB: NaN, out };
  const names = new Map<number, string>();
  createInterface({ input: ev.stdout }).on("line", (line) => {
    if (!line.trim()) return;
    const m = JSON.parse(line) as { kind: string; id: number; of?: number; valid?: boolean; function?: string; description?: string };
    if (m.kind === "evaluate") names.set(m.id, `${m.function} ${m.description ?? ""}`);
    if (m.kind === "analysis") {
      run.analyses++;
      if (m.valid) run.valid++;
    }
    tool.stdin.write(`${line}\n`);
  });
  createInterface({ input: tool.stdout }).on("line", (line) => {
    if (!line.trim()) return;
    const r = JSON.parse(line) as { id: number; timings?: { name: string; nanoseconds: number }[] };
    const name = names.get(r.id);
    if (name) run.ms.set(name, median((r.timings ?? []).filter((t) => t.name === "evaluate").map((t) => t.nanoseconds / 1e6)));
    ev.stdin.write(`${line}\n`);
  });
  return new Promise((resolve) => {
    ev.on("exit", () => {
      tool.stdin.end();
      tool.on("exit", () => {
        run.rssMB = Number(readFileSync(path.join(out, "rss"), "utf8")) / 1024;
        resolve(run);
      });
    });
  });
}

/** Gradients of `run` with the bits of `base`'s, input by input. */
function identical(run: Run, base: Run): string {
  const files = readdirSync(base.out).filter((f) => f.endsWith(".f64"));
  const same = files.filter((f) => existsSync(path.join(run.out, f)) && Buffer.compare(readFileSync(path.join(run.out, f)), readFileSync(path.join(base.out, f))) === 0);
  return `${same.length} of ${files.length}`;
}

console.log(`ode eval: ${evalArgs.join(" ")}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}; 2 cores shared with other work`);
const runs: [string, Run][] = [];
for (const [k, variant] of variants.entries()) {
  const out = path.join(work, `out${k}`);
  mkdirSync(out);
  runs.push([variant, await runEval(await moduleOf(variant, k), out)]);
}
const base = runs.find(([v]) => v === "storeAll")?.[1];
const inputs = [...(runs[0]?.[1].ms.keys() ?? [])].filter((k) => k.startsWith("gradient ")).map((k) => k.slice("gradient ".length));
const rows = runs.map(([variant, run]) => [
  variant === "storeAll" ? "store-all" : `// @checkpoint ${variant}`.trim(),
  `${run.valid} of ${run.analyses}`,
  run.rssMB.toFixed(0),
  ...inputs.map((i) => `${run.ms.get(`gradient ${i}`)!.toFixed(1)} (${(run.ms.get(`gradient ${i}`)! / run.ms.get(`primal ${i}`)!).toFixed(1)}×)`),
  base ? identical(run, base) : "",
]);
table("ode eval: gradient ms, median (gradient/primal)", ["variant", "valid", "tool peak RSS MB", ...inputs, "bits = store-all's"], rows);
