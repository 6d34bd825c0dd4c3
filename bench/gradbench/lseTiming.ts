/**
 * GradBench `lse` in one process: the primal (lse.ts), tsgrad's generated gradient and a
 * hand-written JavaScript gradient (softmax, as a careful programmer writes it), at the
 * eval's sizes, CPU-time medians of interleaved batches (bench/timing.ts). Prints gradient / primal
 * for both and tsgrad / hand. A focused developer script (tests never run it):
 *
 *   flock /work/.bench.lock npx tsx bench/gradbench/lseTiming.ts [n…]
 */
import { logsumexp } from "./lse.ts";
import { logsumexpGradInto } from "./lse.grad.ts";
import { measure, table } from "../timing.ts";
import { makeRng } from "../../test/harness/rng.ts";

/**
 * ∂/∂x_i log Σ exp(x_j) = exp(x_i − m) / Σ exp(x_j − m): one pass for the shift's index,
 * one for the exponentials (kept in the gradient) and their sum, one to scale. The shift's
 * own derivative cancels, so a hand-written gradient leaves it out. Returns the value.
 */
export function logsumexpGradByHand(x: readonly number[], grad: { x: number[] }): number {
  const g = grad.x;
  const n = x.length;
  let top = 0;
  for (let i = 1; i < n; i++) if (x[i]! > x[top]!) top = i;
  const max = x[top]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[i]! - max);
    g[i] = e;
    sum += e;
  }
  const scale = 1 / sum;
  for (let i = 0; i < n; i++) g[i]! *= scale;
  return Math.log(sum) + max;
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const rows: (string | number)[][] = [];
let sink = 0;
for (const n of sizes.length > 0 ? sizes : [2500, 20000, 160000]) {
  const rng = makeRng(n);
  // The eval's inputs are standard normal draws; uniform in [-2, 2) has the same cost.
  const x = Array.from({ length: n }, () => 4 * rng.next() - 2);
  const tsgrad = { x: new Array<number>(n).fill(0) };
  const hand = { x: new Array<number>(n).fill(0) };
  logsumexpGradInto(x, tsgrad);
  logsumexpGradByHand(x, hand);
  const worst = tsgrad.x.reduce((m, g, i) => Math.max(m, Math.abs(g - hand.x[i]!)), 0);
  // They differ only at the maximum, by the shift's 1 − Σ softmax (rounding): ~1e-15.
  if (worst > 1e-12) throw new Error(`the two gradients disagree by ${worst} at n = ${n}`);
  const [primal, generated, byHand] = measure([
    { name: "primal", run: () => (sink += logsumexp(x)) },
    { name: "tsgrad", run: () => (sink += logsumexpGradInto(x, tsgrad)) },
    { name: "hand", run: () => (sink += logsumexpGradByHand(x, hand)) },
  ], { rounds: 15, clock: "cpu" });
  rows.push([n, `${(primal!.median * 1e6).toFixed(1)} µs`, (generated!.median / primal!.median).toFixed(2), (byHand!.median / primal!.median).toFixed(2), (generated!.median / byHand!.median).toFixed(2)]);
}
table("GradBench lse, one process (CPU-time medians of 15 interleaved batches)", ["n", "primal", "tsgrad/primal", "hand/primal", "tsgrad/hand"], rows);
if (sink === 42) console.log("");
