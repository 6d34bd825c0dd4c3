/**
 * A checkpointed loop inside a loop that is not (issue 21; README "Long loops in bounded
 * memory", Nested): what one schedule per run of the inner loop costs. The workload is the
 * heat sample's step (N unknowns) run in R rounds of T steps, a loop of rounds around the
 * time loop; variants put `// @checkpoint OPTIONS` above the time loop only (`inner:`: the
 * forward sweep saves each round's entry state and runs it plainly; the reverse sweep runs
 * the round's schedule there), above both loops (`both:`: the rounds loop records one
 * round at a time), or nowhere (`storeAll`).
 *
 *   npx tsx bench/checkpoint/nested.ts [--unknowns N] [--rounds R] [--steps T]
 *                                      [--variants storeAll,inner:snapshots=8,both:snapshots=8]
 *
 * Time: every variant's gradient / primal ratio, measured interleaved in this process
 * (bench/timing.ts), after checking that its gradient has the store-all one's bits. Memory:
 * each variant once more in a child process of its own, reporting its peak resident memory
 * (VmHWM, what `/usr/bin/time -v` reports for a process started from a small one).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatRatio, measure, table } from "../timing.ts";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1]! : fallback;
};

/** The rounds loop (OUTER) around the time loop (INNER); `name` is the function's name. */
function source(name: string, outer: string, inner: string): string {
  return `/** @grad u0, kappa */
export function ${name}(u0: Float64Array, kappa: number, rounds: number, steps: number): number {
  const n = u0.length;
  const u = Float64Array.from(u0);
  const next = new Float64Array(n);
  let loss = 0;
  ${outer}
  for (let r = 0; r < rounds; r++) {
    const dt = 0.02 / (r + 1);
    ${inner}
    for (let s = 0; s < steps; s++) {
      for (let i = 1; i + 1 < n; i++) {
        const curvature = u[i - 1] - 2 * u[i] + u[i + 1];
        next[i] = u[i] + dt * (kappa * curvature - u[i] * u[i] * u[i]);
      }
      for (let i = 1; i + 1 < n; i++) u[i] = next[i];
    }
    loss = loss + u[1] * u[n - 2];
  }
  return loss;
}
`;
}

/** `storeAll`, `inner:OPTIONS` or `both:OPTIONS` as a function name and its source. */
function variantSource(variant: string, k: number): { name: string; text: string } {
  const [where, options = ""] = variant.split(":");
  const directive = `// @checkpoint ${options}`.trimEnd();
  const name = `variant${k}`;
  if (where === "storeAll") return { name, text: source(name, "", "") };
  if (where === "inner") return { name, text: source(name, "", directive) };
  if (where === "both") return { name, text: source(name, directive, directive) };
  throw new Error(`unknown variant '${variant}' (storeAll, inner:OPTIONS, both:OPTIONS)`);
}

type Grad = (u0: Float64Array, kappa: number, rounds: number, steps: number, grad: { u0: Float64Array; kappa: number }) => number;

function initial(unknowns: number): Float64Array {
  const u0 = new Float64Array(unknowns);
  for (let i = 1; i + 1 < unknowns; i++) u0[i] = 0.5 + 0.4 * Math.sin((7 * i) / unknowns);
  return u0;
}

const child = args.indexOf("--child");
if (child >= 0) {
  // One variant, once, in this process: its peak resident memory.
  const [modulePath, name, unknowns, rounds, steps] = args.slice(child + 1);
  const generated = (await import(pathToFileURL(modulePath!).href)) as Record<string, Grad>;
  const u0 = initial(Number(unknowns));
  const grad = { u0: new Float64Array(u0.length), kappa: 0 };
  generated[`${name}GradInto`]!(u0, 0.3, Number(rounds), Number(steps), grad);
  // VmHWM, not getrusage's ru_maxrss: Linux carries the latter over from the parent at fork
  // (the parent here has compiled and timed every variant).
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  console.log(JSON.stringify({ peakRssMB: hwm ? Number(hwm[1]) / 1024 : NaN, kappa: grad.kappa }));
} else {
  const unknowns = Number(flag("--unknowns", "10000"));
  const rounds = Number(flag("--rounds", "4"));
  const steps = Number(flag("--steps", "400"));
  const variants = flag("--variants", "storeAll,inner:snapshots=8,inner:,both:snapshots=8").split(",");
  const sources = variants.map(variantSource);
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-nested-"));
  const file = path.join(dir, "rounds.ts");
  writeFileSync(file, sources.map((s) => s.text).join("\n"));
  // Loaded here only: a child's peak memory must not count the compiler.
  const { compileSources } = await import("../../compiler/pipeline.ts");
  const compiled = await compileSources([{ path: file, text: sources.map((s) => s.text).join("\n") }]);
  const out = compiled.files[0];
  if (!out || compiled.diagnostics.some((d) => d.severity !== "warning")) throw new Error(compiled.diagnostics.map((d) => d.message).join("; "));
  writeFileSync(out.path, out.text);
  const primalModule = (await import(pathToFileURL(file).href)) as Record<string, (u0: Float64Array, kappa: number, rounds: number, steps: number) => number>;
  const generated = (await import(pathToFileURL(out.path).href)) as Record<string, Grad>;
  const u0 = initial(unknowns);
  const gradOf = (name: string, r: number, t: number) => {
    const grad = { u0: new Float64Array(unknowns), kappa: 0 };
    generated[`${name}GradInto`]!(u0, 0.3, r, t, grad);
    return grad;
  };
  // Bits first, at a small size: every variant against store-all.
  const reference = gradOf(sources[0]!.name, 3, 7);
  for (const s of sources) {
    const g = gradOf(s.name, 3, 7);
    const same = Object.is(g.kappa, reference.kappa) && g.u0.every((x, i) => Object.is(x, reference.u0[i]));
    if (!same) throw new Error(`${variants[sources.indexOf(s)]}: not bit-identical to ${variants[0]}`);
  }
  const primal = () => primalModule[sources[0]!.name]!(u0, 0.3, rounds, steps);
  const timed = measure(
    [{ name: "primal", run: primal }, ...sources.map((s, k) => ({ name: variants[k]!, run: () => gradOf(s.name, rounds, steps).kappa }))],
    { rounds: 3, minBatchMs: 1 },
  );
  const here = fileURLToPath(import.meta.url);
  const rows = sources.map((s, k) => {
    const run = spawnSync(process.execPath, ["--import", "tsx", here, "--child", out.path, s.name, String(unknowns), String(rounds), String(steps)], { encoding: "utf8" });
    const peak = run.status === 0 ? (JSON.parse(run.stdout.trim().split("\n").pop()!) as { peakRssMB: number }).peakRssMB : NaN;
    return [variants[k]!, formatRatio(timed[k + 1]!.median / timed[0]!.median), Number.isNaN(peak) ? `failed: ${run.stderr.slice(0, 200)}` : peak.toFixed(0)];
  });
  const load = os.loadavg().map((x) => x.toFixed(1)).join(", ");
  table(`${rounds} rounds × ${steps} heat steps, ${unknowns} unknowns (primal ${(timed[0]!.median * 1000).toFixed(1)} ms; load average ${load}; every gradient bit-identical to store-all's at 3 × 7)`, ["variant", "gradient / primal", "peak RSS (MB)"], rows);
}
