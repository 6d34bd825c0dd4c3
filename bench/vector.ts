/**
 * `npm run bench:vector`: the vector (width-k) sweeps of issue 23, side by side in one
 * process (medians of interleaved batches, timing.ts). Never asserts anything.
 *
 *   Hessian / (n × gradient)   Rosenbrock's dense Hessian (rosenbrockDenseHessian), n = 10, 100, 1000:
 *                              the one-direction driver (one rosenbrockDenseHvpInto per column, as
 *                              fHessian was before the vector sweeps) against fHessian at widths 1–16
 *   Hessian / (n × gradient)   logistic regression's (workloads/logisticRegression.ts, m = 20 rows of n
 *                              features): a heavier primal per direction (exp, log1p per row)
 *   Jacobian / (n × primal)    Broyden's tridiagonal function (workloads/broyden.ts), n = 10, 100, 1000:
 *                              one broydenJvp per column (the one-direction driver) against fJacobian
 *                              at widths 1–16
 *
 * Memory: a sweep of width k holds two lanes records (directions and results) of n·k numbers
 * each, printed as bytes; the one-direction driver holds two of n.
 *
 *   --quick   n = 10 and 100 only          --sizes=1000   those n only
 */
import os from "node:os";
import { rosenbrockDenseHessian, rosenbrockDenseHvpInto, rosenbrockGradInto } from "./workloads/rosenbrock.grad.ts";
import { broyden } from "./workloads/broyden.ts";
import { logisticNllGradInto, logisticNllHessian, logisticNllHvpInto } from "./workloads/logisticRegression.grad.ts";
import { broydenJacobian, broydenJvp } from "./workloads/broyden.grad.ts";
import { measure } from "./timing.ts";

const quick = process.argv.includes("--quick");
const sizes = process.argv.find((a) => a.startsWith("--sizes="))?.slice(8).split(",").map(Number) ?? (quick ? [10, 100] : [10, 100, 1000]);
const widths = [1, 2, 4, 8, 16];
let sink = 0;

/**
 * The one-direction dense Hessian of an n-vector parameter: one HVP per column of H (the
 * direction `v`, `grad` and `hvp` records' one field `key`), then (H + Hᵀ)/2, as fHessian
 * did before.
 */
function oneDirectionHessian<K extends string>(
  n: number,
  key: K,
  hvpInto: (v: Record<K, Float64Array>, grad: Record<K, Float64Array>, hvp: Record<K, Float64Array>) => number,
): number {
  const field = () => ({ [key]: new Float64Array(n) }) as Record<K, Float64Array>;
  const v = field();
  const grad = field();
  const hvp = field();
  const H: number[][] = [];
  for (let i = 0; i < n; i++) H.push(new Array<number>(n).fill(0));
  let value = 0;
  for (let k = 0; k < n; k++) {
    v[key][k] = 1;
    value = hvpInto(v, grad, hvp);
    v[key][k] = 0;
    for (let i = 0; i < n; i++) H[i]![k] = hvp[key][i]!;
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const mean = 0.5 * (H[i]![j]! + H[j]![i]!);
      H[i]![j] = mean;
      H[j]![i] = mean;
    }
  }
  return value + H[n - 1]![0]!;
}

/** The one-direction dense Jacobian: one JVP per column. */
function oneDirectionJacobian(x: Float64Array): number {
  const n = x.length;
  const e = { x: new Float64Array(n) };
  const m = broyden(x).length;
  const J: number[][] = [];
  for (let r = 0; r < m; r++) J.push(new Array<number>(n).fill(0));
  for (let k = 0; k < n; k++) {
    e.x[k] = 1;
    const t = broydenJvp(x, e).tangent;
    e.x[k] = 0;
    for (let r = 0; r < m; r++) J[r]![k] = t[r]!;
  }
  return J[m - 1]![0]!;
}

const rows: string[][] = [];
const fmt = (x: number) => x.toFixed(2);
for (const n of sizes) {
  const x = Float64Array.from({ length: n }, (_, i) => 1 + 0.3 * Math.sin(i));
  const grad = { x: new Float64Array(n) };
  const hessian = measure([
    { name: "gradient", run: () => (sink += rosenbrockGradInto(x, grad)) },
    { name: "one direction", run: () => (sink += oneDirectionHessian(x.length, "x", (v, grad, hvp) => rosenbrockDenseHvpInto(x, v, grad, hvp))) },
    ...widths.map((k) => ({ name: `width ${k}`, run: () => (sink += rosenbrockDenseHessian(x, k).value) })),
  ], { rounds: quick ? 5 : 9 });
  const g = hessian[0]!.median;
  rows.push(["Hessian / (n·gradient)", "rosenbrock", String(n), ...hessian.slice(1).map((m) => fmt(m.median / (n * g)))]);
  const X = Array.from({ length: 20 }, (_, r) => Float64Array.from({ length: n }, (_, j) => Math.sin(r * n + j)));
  const y = Float64Array.from({ length: 20 }, (_, r) => (r % 3 === 0 ? -1 : 1));
  const w = Float64Array.from({ length: n }, (_, j) => 0.1 * Math.cos(j));
  const lgrad = { w: new Float64Array(n) };
  const logistic = measure([
    { name: "gradient", run: () => (sink += logisticNllGradInto(w, X, y, lgrad)) },
    { name: "one direction", run: () => (sink += oneDirectionHessian(w.length, "w", (v, grad, hvp) => logisticNllHvpInto(w, X, y, v, grad, hvp))) },
    ...widths.map((k) => ({ name: `width ${k}`, run: () => (sink += logisticNllHessian(w, X, y, k).value) })),
  ], { rounds: quick ? 5 : 9 });
  const lg = logistic[0]!.median;
  rows.push(["Hessian / (n·gradient)", "logistic (m = 20)", String(n), ...logistic.slice(1).map((m) => fmt(m.median / (n * lg)))]);
  const jacobian = measure([
    { name: "primal", run: () => (sink += broyden(x)[0]!) },
    { name: "one direction", run: () => (sink += oneDirectionJacobian(x)) },
    ...widths.map((k) => ({ name: `width ${k}`, run: () => (sink += broydenJacobian(x, k).jacobian[0]![0]!) })),
  ], { rounds: quick ? 5 : 9 });
  const p = jacobian[0]!.median;
  rows.push(["Jacobian / (n·primal)", "broyden", String(n), ...jacobian.slice(1).map((m) => fmt(m.median / (n * p)))]);
}

const header = ["ratio", "workload", "n", "one direction", ...widths.map((k) => `width ${k}`)];
console.log(`vector sweeps (issue 23), ${new Date().toISOString()}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, ${os.cpus().length} cores (shared)`);
console.log(`| ${header.join(" | ")} |`);
console.log(`| ${header.map(() => "---").join(" | ")} |`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
console.log(`memory per sweep of width k: two lanes records of 8·n·k bytes (n = 1000, k = 8: ${2 * 8 * 1000 * 8} bytes); one direction: 2·8·n`);
if (sink === 42) console.log("");
