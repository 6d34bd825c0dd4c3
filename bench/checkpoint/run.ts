/**
 * `npm run bench:memory` (issue 21): peak memory and time of long simulations' gradients,
 * store-all against checkpointed, each measurement in its own process (child.ts) so its
 * peak resident memory is its own.
 *
 *   npx tsx bench/checkpoint/run.ts [--quick] [--limit-mb 2048] [--only rk4|heat]
 *                                   [--steps N --variants primal,storeAll,gen:budget=16MB [--rounds R]]
 *
 * `--steps` with `--only` and `--variants` measures that one row set instead of the cases
 * below (a few minutes rather than an hour: `--variants` are the names of the tables).
 *
 * Workloads: the RK4 Lotka–Volterra sample (2 unknowns) at 10^6 and 10^7 steps, and the
 * heat sample (10^4 unknowns) at 10^3, 10^4 and 10^5 steps. Variants: the primal, the
 * generated store-all gradient, the generated checkpointed gradients (`gen:OPTIONS`: the
 * sample rebuilt here, in a temporary folder, with `// @checkpoint OPTIONS` above its main
 * loop; `gen:` is the default 64 MiB budget), and the schedule driving the store-all code
 * by hand (`hand:K[:B]`, bench/checkpoint/*ByHand.ts, with K snapshots and blocks of B),
 * and the main loop written as a `while` loop (`while:OPTIONS`: the online schedule).
 * A child whose resident memory passes the limit is killed and reported as not fitting
 * (store-all at the large sizes): the limit stands for the memory a user has, and keeps
 * this benchmark from taking a shared machine's memory. Time ratios (gradient / primal)
 * are measured inside each child, interleaved with the primal.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatRatio, table } from "../timing.ts";
import { checkpointedModule, generated } from "./variants.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const flag = (name: string) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : undefined;
};
const limitMB = Number(flag("--limit-mb") ?? 2048);
const only = flag("--only");
const steps = flag("--steps");

interface Case {
  workload: "rk4" | "heat";
  steps: number;
  variants: string[];
  rounds: number;
}

const rk4Variants = ["primal", "storeAll", "gen:", "gen:budget=16MB", "gen:snapshots=100", "hand:100", "hand:0"];
const heatVariants = ["primal", "storeAll", "gen:", "gen:snapshots=30", "hand:30", "hand:0"];
const cases: Case[] = steps
  ? [{ workload: only === "heat" ? "heat" : "rk4", steps: Number(steps), variants: (flag("--variants") ?? "primal,storeAll,gen:").split(","), rounds: Number(flag("--rounds") ?? 3) }]
  : quick
  ? [
      { workload: "rk4", steps: 1e6, variants: rk4Variants, rounds: 3 },
      { workload: "heat", steps: 1e3, variants: heatVariants, rounds: 3 },
      { workload: "heat", steps: 1e4, variants: heatVariants, rounds: 1 },
    ]
  : [
      { workload: "rk4", steps: 1e6, variants: rk4Variants, rounds: 5 },
      { workload: "rk4", steps: 1e7, variants: rk4Variants, rounds: 3 },
      { workload: "heat", steps: 1e3, variants: heatVariants, rounds: 3 },
      { workload: "heat", steps: 1e4, variants: heatVariants, rounds: 1 },
      { workload: "heat", steps: 1e5, variants: ["primal", "storeAll", "gen:", "gen:snapshots=30", "hand:30"], rounds: 1 },
    ];

interface Measured {
  variant: string;
  steps: number;
  primalMs: number;
  variantMs: number;
  ratio: number;
  peakRssMB: number;
  digest: string;
  identicalAtSmallSize?: boolean;
  valueMatchesPrimal: boolean;
  snapshots?: number;
  advanced?: number;
  width?: number;
}

/** Resident memory of a process in MB (Linux), or NaN. */
function rssMB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Runs one child; resolves to its measurement, or to { killedAtMB } when it passed the memory limit. */
async function measure(c: Case, variant: string): Promise<Measured | { killedAtMB: number; seconds: number } | { error: string }> {
  const module = generated(variant) ? ["--module", await checkpointedModule(c.workload, variant)] : [];
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "child.ts"), c.workload, variant, String(c.steps), "--rounds", String(c.rounds), ...module], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let killedAt = 0;
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const watch = setInterval(() => {
      const rss = rssMB(child.pid!);
      if (rss > limitMB && !killedAt) {
        killedAt = rss;
        child.kill("SIGKILL");
      }
    }, 50);
    child.on("close", () => {
      clearInterval(watch);
      const seconds = (performance.now() - started) / 1000;
      if (killedAt) resolve({ killedAtMB: killedAt, seconds });
      else if (out.trim()) resolve(JSON.parse(out.trim().split("\n").pop()!) as Measured);
      else resolve({ error: err.trim().split("\n").slice(-3).join(" ") });
    });
  });
}

const mb = (x: number) => x.toFixed(0);
console.log(`Each row is one process; a process past ${limitMB} MB resident is killed ("does not fit").`);
console.log(`Machine: 2 cores shared with other work (load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}); times are medians of the rounds inside each process.`);
for (const c of cases) {
  if (only && c.workload !== only) continue;
  const rows: (string | number)[][] = [];
  let primalRss = NaN;
  let storeAll: Measured | undefined;
  for (const variant of c.variants) {
    const m = await measure(c, variant);
    if ("error" in m) {
      rows.push([variant, "", "error", "", "", "", "", m.error]);
      continue;
    }
    if ("killedAtMB" in m) {
      rows.push([variant, "", `> ${mb(limitMB)} (killed)`, "", "", "", "", `after ${m.seconds.toFixed(1)} s`]);
      continue;
    }
    if (variant === "primal") primalRss = m.peakRssMB;
    if (variant === "storeAll") storeAll = m;
    const identical = variant.includes(":")
      ? storeAll
        ? m.digest === storeAll.digest && m.identicalAtSmallSize
          ? "yes (same size)"
          : "NO"
        : m.identicalAtSmallSize
          ? "yes (small size)"
          : "NO"
      : "";
    rows.push([
      variant,
      m.snapshots ? `${m.snapshots} × ${m.width}` : "",
      mb(m.peakRssMB),
      formatRatio(m.peakRssMB / primalRss),
      (m.variantMs / 1000).toFixed(2),
      variant === "primal" ? "" : formatRatio(m.ratio),
      storeAll && variant.includes(":") ? formatRatio(m.ratio / storeAll.ratio) : "",
      identical + (m.valueMatchesPrimal ? "" : " (value differs from the primal)"),
    ]);
  }
  const size = c.workload === "rk4" ? `${c.steps.toExponential(0)} steps` : `10^4 unknowns, ${c.steps.toExponential(0)} steps`;
  table(`${c.workload}, ${size}`, ["variant", "snapshots", "peak RSS MB", "RSS/primal", "time s", "grad/primal", "ratio/store-all's", "bit-identical to store-all"], rows);
}
