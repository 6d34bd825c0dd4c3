/**
 * The online schedule against the doubling rule it replaced, side by side in one process:
 * the sample's main loop written as a `while` loop (`while:snapshots=K`, the online
 * schedule) and the same generated code driven by the doubling rule (`while-old:`), timed
 * in interleaved rounds with the primal (medians), so the ratio new / old is measured under
 * the same load. Peak memory is run.ts's job (one process per variant).
 *
 *   npx tsx bench/checkpoint/onlinePair.ts --workload heat|rk4 --steps N --snapshots K [--rounds R] [--unknowns N]
 *
 * Both gradients are compared bit for bit with each other at the measured size, and with
 * the store-all gradient (samples/*.grad.ts) at a small size.
 */
import os from "node:os";
import { pathToFileURL } from "node:url";
import { heat, heatSetup } from "../../samples/heat.ts";
import { heatGradInto } from "../../samples/heat.grad.ts";
import { rk4 } from "../../samples/rk4.ts";
import { rk4GradInto } from "../../samples/rk4.grad.ts";
import { checkpointedModule } from "./variants.ts";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1]! : fallback;
};
const workload = flag("--workload", "heat");
const steps = Number(flag("--steps", "2000"));
const snapshots = Number(flag("--snapshots", "30"));
const rounds = Number(flag("--rounds", "5"));
const unknowns = Number(flag("--unknowns", "10000"));

type Gradient = (steps: number) => number[];

async function load(variant: string): Promise<Record<string, (...args: never[]) => number>> {
  return (await import(pathToFileURL(await checkpointedModule(workload, variant)).href)) as Record<string, (...args: never[]) => number>;
}
const online = await load(`while:snapshots=${snapshots}`);
const doubling = await load(`while-old:snapshots=${snapshots}`);

let primal: (steps: number) => number;
let gradients: { storeAll: Gradient; online: Gradient; doubling: Gradient };
if (workload === "rk4") {
  const state0 = [1.2, 0.8];
  const rates = [1.1, 0.4, 0.4, 0.9];
  const grad = { state0: [0, 0], rates: [0, 0, 0, 0] };
  const run = (f: typeof rk4GradInto): Gradient => (n) => [f(state0, rates, 0.01, n, grad), ...grad.state0, ...grad.rates];
  primal = (n) => rk4(state0, rates, 0.01, n);
  gradients = { storeAll: run(rk4GradInto), online: run(online.rk4GradInto as typeof rk4GradInto), doubling: run(doubling.rk4GradInto as typeof rk4GradInto) };
} else {
  const [u0, target, kappa, dt] = heatSetup(unknowns, 1);
  const grad = { u0: new Float64Array(unknowns), kappa: 0 };
  const run = (f: typeof heatGradInto): Gradient => (n) => [f(u0, target, kappa, dt, n, grad), grad.kappa, ...grad.u0];
  primal = (n) => heat(u0, target, kappa, dt, n);
  gradients = { storeAll: run(heatGradInto), online: run(online.heatGradInto as typeof heatGradInto), doubling: run(doubling.heatGradInto as typeof heatGradInto) };
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, k) => Object.is(x, b[k]));
const small = Math.min(steps, workload === "heat" ? 20 : 5000);
const reference = gradients.storeAll(small);
const smallIdentical = same(gradients.online(small), reference) && same(gradients.doubling(small), reference);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const times = { primal: [] as number[], online: [] as number[], doubling: [] as number[] };
let onlineResult: number[] = [];
let doublingResult: number[] = [];
for (let r = 0; r < rounds; r++) {
  let t = performance.now();
  primal(steps);
  times.primal.push(performance.now() - t);
  t = performance.now();
  onlineResult = gradients.online(steps);
  times.online.push(performance.now() - t);
  t = performance.now();
  doublingResult = gradients.doubling(steps);
  times.doubling.push(performance.now() - t);
}
const [p, n, d] = [median(times.primal), median(times.online), median(times.doubling)];
console.log(`${workload}, ${steps} steps${workload === "heat" ? `, ${unknowns} unknowns` : ""}, ${snapshots} snapshots; median of ${rounds} interleaved rounds; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
console.log(`primal ${p.toFixed(0)} ms · online schedule ${n.toFixed(0)} ms (${(n / p).toFixed(2)}× the primal) · doubling rule ${d.toFixed(0)} ms (${(d / p).toFixed(2)}×) · online / doubling ${(n / d).toFixed(2)}`);
console.log(`bit-identical: to each other at ${steps} steps ${same(onlineResult, doublingResult) ? "yes" : "NO"}; to store-all at ${small} steps ${smallIdentical ? "yes" : "NO"}`);
