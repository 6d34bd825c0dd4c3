/**
 * One measurement of bench/checkpoint/run.ts, in its own process so that its peak resident
 * memory is its own:
 *
 *   node --import tsx bench/checkpoint/child.ts <workload> <variant> <steps> [--unknowns N] [--rounds R]
 *
 * workload: rk4 (samples/rk4.ts) or heat (samples/heat.ts, N unknowns, default 10^4).
 * variant:  primal · storeAll (the generated fGradInto) · hand:K[:B] (bench/checkpoint/
 *           *ByHand.ts: the schedule with K snapshots, recording blocks of B steps; K = 0
 *           picks snapshotsFor(steps, width, 16 MiB)) · gen:OPTIONS (the generated code
 *           of the sample rebuilt with `// @checkpoint OPTIONS` above its main loop, the
 *           module run.ts compiled, given as --module PATH; `gen:` alone is the default
 *           budget) · while:OPTIONS (the same with the main loop written as a while
 *           loop: the online schedule).
 *
 * A gradient variant runs interleaved with the primal, R rounds each (median times), so
 * its gradient / primal ratio is measured in one process; before timing, a checkpointed
 * variant's gradient is compared bit for bit with the store-all one at a small step count
 * (20 heat steps, 5000 RK4 steps: a few MB of stack, not to count in the peak).
 * Prints one JSON line: times, ratio, the process's peak RSS (getrusage's ru_maxrss, the
 * figure `/usr/bin/time -v` reports), the value and a digest of the gradient's bits.
 */
import { heat, heatSetup } from "../../samples/heat.ts";
import { heatGradInto } from "../../samples/heat.grad.ts";
import { rk4 } from "../../samples/rk4.ts";
import { rk4GradInto } from "../../samples/rk4.grad.ts";
import { pathToFileURL } from "node:url";
import { snapshotsFor } from "../../runtime/checkpoint.ts";
import { heatGradCheckpointedInto, heatSchedule } from "./heatByHand.ts";
import { rk4GradCheckpointedInto, rk4Schedule } from "./rk4ByHand.ts";

const [workload, variant, stepsArg] = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const k = process.argv.indexOf(name);
  return k > 0 ? Number(process.argv[k + 1]) : fallback;
};
const steps = Number(stepsArg);
const modulePath = process.argv.includes("--module") ? process.argv[process.argv.indexOf("--module") + 1] : undefined;
/** The checkpointed build's fGradInto (a gen: variant), loaded before any measurement. */
const checkpointed = modulePath ? ((await import(pathToFileURL(modulePath).href)) as Record<string, (...args: never[]) => number>) : undefined;
const unknowns = option("--unknowns", 10_000);
const rounds = option("--rounds", 3);

interface Workload {
  primal(steps: number): number;
  /** The gradient, flattened (value first). */
  run(variant: string, steps: number): number[];
  /** The schedule's statistics after a checkpointed run. */
  stats(): { advanced: number; recorded: number; snapshots: number; width: number };
}

/** A snapshot count of 0 means: the fewest that fit in 16 MiB with the smallest repetition number. */
const SNAPSHOT_BUDGET = 16 << 20;

function parseCheckpointed(v: string, stepCount: number, width: number): { snapshots: number; block: number } {
  const [, k, b] = v.split(":");
  const snapshots = Number(k) > 0 ? Number(k) : snapshotsFor(stepCount, width, SNAPSHOT_BUDGET);
  return { snapshots, block: b ? Number(b) : 1 };
}

function rk4Workload(): Workload {
  const state0 = [1.2, 0.8];
  const rates = [1.1, 0.4, 0.4, 0.9];
  const h = 0.01;
  const grad = { state0: [0, 0], rates: [0, 0, 0, 0] };
  let snapshots = 0;
  return {
    primal: (n) => rk4(state0, rates, h, n),
    run(v, n) {
      let value: number;
      if (v === "storeAll") value = rk4GradInto(state0, rates, h, n, grad);
      else if (checkpointed) value = (checkpointed.rk4GradInto as typeof rk4GradInto)(state0, rates, h, n, grad);
      else if (v.startsWith("hand:")) {
        const c = parseCheckpointed(v, n, 4);
        snapshots = c.snapshots;
        value = rk4GradCheckpointedInto(state0, rates, h, n, grad, c.snapshots, c.block);
      } else throw new Error(`unknown variant ${v}`);
      return [value, ...grad.state0, ...grad.rates];
    },
    stats: () => ({ advanced: rk4Schedule.advanced, recorded: rk4Schedule.recorded, snapshots, width: 4 }),
  };
}

function heatWorkload(): Workload {
  const base = heatSetup(unknowns, 1);
  const [u0, target, kappa, dt] = base;
  const grad = { u0: new Float64Array(unknowns), kappa: 0 };
  let snapshots = 0;
  return {
    primal: (n) => heat(u0, target, kappa, dt, n),
    run(v, n) {
      let value: number;
      if (v === "storeAll") value = heatGradInto(u0, target, kappa, dt, n, grad);
      else if (checkpointed) value = (checkpointed.heatGradInto as typeof heatGradInto)(u0, target, kappa, dt, n, grad);
      else if (v.startsWith("hand:")) {
        const c = parseCheckpointed(v, n, unknowns);
        snapshots = c.snapshots;
        value = heatGradCheckpointedInto(u0, target, kappa, dt, n, grad, c.snapshots, c.block);
      } else throw new Error(`unknown variant ${v}`);
      return [value, grad.kappa, ...grad.u0];
    },
    stats: () => ({ advanced: heatSchedule.advanced, recorded: heatSchedule.recorded, snapshots, width: unknowns }),
  };
}

/** FNV-1a over the numbers' bits: equal digests mean bit-identical gradients. */
function digest(xs: number[]): string {
  const bits = new Uint32Array(Float64Array.from(xs).buffer);
  let h = 0x811c9dc5;
  for (const w of bits) {
    h ^= w;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

const w = workload === "rk4" ? rk4Workload() : workload === "heat" ? heatWorkload() : undefined;
if (!w || !Number.isFinite(steps) || !variant) {
  console.error("usage: child.ts rk4|heat primal|storeAll|hand:K[:B]|gen:OPTIONS <steps> [--unknowns N] [--rounds R] [--module PATH]");
  process.exit(2);
}

let identicalAtSmallSize: boolean | undefined;
if (variant !== "primal" && variant !== "storeAll") {
  // small enough that store-all's stack does not count in this process's peak memory
  const small = Math.min(steps, workload === "heat" ? 20 : 5000);
  identicalAtSmallSize = digest(w.run("storeAll", small)) === digest(w.run(variant, small));
}

// warm up (compile every path) at a small size
for (let k = 0; k < 3; k++) {
  const small = Math.min(steps, workload === "heat" ? 20 : 2000);
  w.primal(small);
  if (variant !== "primal") w.run(variant, small);
}

const primalMs: number[] = [];
const variantMs: number[] = [];
let value = NaN;
let result: number[] = [];
for (let r = 0; r < rounds; r++) {
  let t = performance.now();
  value = w.primal(steps);
  primalMs.push(performance.now() - t);
  if (variant === "primal") continue;
  t = performance.now();
  result = w.run(variant, steps);
  variantMs.push(performance.now() - t);
}

const gradient = variant !== "primal";
console.log(
  JSON.stringify({
    workload,
    variant,
    steps,
    unknowns: workload === "heat" ? unknowns : 2,
    primalMs: median(primalMs),
    variantMs: gradient ? median(variantMs) : median(primalMs),
    ratio: gradient ? median(variantMs) / median(primalMs) : 1,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    value: gradient ? result[0] : value,
    valueMatchesPrimal: gradient ? Object.is(result[0], value) : true,
    digest: gradient ? digest(result) : "",
    identicalAtSmallSize,
    ...(variant.startsWith("hand:") ? w.stats() : {}),
  }),
);
