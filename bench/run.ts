/**
 * `npm run bench`: ratios measured side by side in one process, medians of interleaved
 * batches (see timing.ts). Never asserts anything: performance is reported, not tested.
 *
 *   tsgrad gradient / primal, hand-written gradient / primal   (first-order cost)
 *   HVP / gradient, Hessian / (n × gradient)                    (second order, issue 5)
 *   peak bytes held by the generated code's stacks
 */
import { stackBytes } from "../runtime/stack.ts";
import { rosenbrock, rosenbrockGradByHand } from "./workloads/rosenbrock.ts";
import { rosenbrockDenseHessian, rosenbrockGradInto, rosenbrockHessian, rosenbrockHvpInto } from "./workloads/rosenbrock.grad.ts";
import { logisticNll, logisticNllGradByHand } from "./workloads/logisticRegression.ts";
import { logisticNllGradInto, logisticNllHessian, logisticNllHvpInto } from "./workloads/logisticRegression.grad.ts";
import { logisticNllWithHelpersGradInto } from "./workloads/logisticHelpers.grad.ts";
import { logisticNllSharedGradInto } from "./workloads/logisticShared.grad.ts";
import { measure, table } from "./timing.ts";
import { loadTapeModule } from "../runtime/tape/index.ts";
import { loadTf, tfLogisticGrad, tfRosenbrockGrad } from "./tfjs.ts";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const tf = await loadTf();
const tapeRosenbrock = loadTapeModule(path.join(here, "workloads/rosenbrock.ts"));
const tapeLogistic = loadTapeModule(path.join(here, "workloads/logisticRegression.ts"));

/** Median seconds per tape gradient (slow: few rounds, only where it finishes quickly). */
function tapeTime(run: () => void): number {
  return measure([{ name: "tape", run }], { rounds: 3, minBatchMs: 20 })[0]!.median;
}
import { makeRng } from "../test/harness/rng.ts";
import { adbenchAvailable, baAvailable, baRows, gmmRows, lstmRows } from "./adbench.ts";
import { sampleBuildRows, throughput } from "./compiler.ts";
import { seedRows } from "./seeds.ts";
import { startupRows } from "./startup.ts";

const quick = process.argv.includes("--quick");
const sizes = quick ? [10, 1000] : [10, 1000, 100000];

/** Uniform in [-0.5, 0.5), seeded (the suite's PRNG, test/harness/rng.ts). */
function random(seed: number): () => number {
  const r = makeRng(seed);
  return () => r.next() - 0.5;
}

let sink = 0; // keeps results alive so nothing is optimized away

const first: (string | number)[][] = [];
const calls: (string | number)[][] = [];
const second: (string | number)[][] = [];

for (const n of sizes) {
  const next = random(n);
  const x = Float64Array.from({ length: n }, () => 1 + next());
  const g = new Float64Array(n);
  const v = Float64Array.from({ length: n }, () => next());
  const grad = { x: g };
  const hvp = { x: new Float64Array(n) };
  const t = measure([
    { name: "primal", run: () => (sink += rosenbrock(x)) },
    { name: "tsgrad", run: () => (sink += rosenbrockGradInto(x, grad)) },
    { name: "hand", run: () => (sink += rosenbrockGradByHand(x, g)) },
    { name: "hvp", run: () => (sink += rosenbrockHvpInto(x, { x: v }, grad, hvp)) },
    ...(n <= 1000
      ? [
          { name: "hessianBanded", run: () => (sink += rosenbrockHessian(x).value) },
          { name: "hessianDense", run: () => (sink += rosenbrockDenseHessian(x).value) },
        ]
      : []),
  ], { rounds: quick ? 5 : 9 });
  const [primal, gen, hand, hv, banded, dense] = t.map((m) => m.median);
  const tape = n <= 1000 ? tapeTime(() => void tapeRosenbrock.grad("rosenbrock", [x], ["x"])) : NaN;
  const x32 = Float32Array.from(x);
  const tfjs = tapeTime(() => void (sink += tfRosenbrockGrad(tf, x32)));
  first.push(["rosenbrock", String(n), gen! / primal!, hand! / primal!, gen! / hand!, tape / gen!, tfjs / gen!]);
  second.push(["rosenbrock", String(n), hv! / gen!, dense ? dense / (n * gen!) : NaN, banded ? banded / gen! : NaN]);
}

for (const n of sizes) {
  const m = 100;
  const next = random(7 * n);
  const X = Array.from({ length: m }, () => Float64Array.from({ length: n }, () => next()));
  const y = Float64Array.from({ length: m }, (_, i) => (i % 2 ? 1 : -1));
  const w = Float64Array.from({ length: n }, () => next() / Math.sqrt(n));
  const v = Float64Array.from({ length: n }, () => next());
  const g = new Float64Array(n);
  const grad = { w: g };
  const hvp = { w: new Float64Array(n) };
  const t = measure([
    { name: "primal", run: () => (sink += logisticNll(w, X, y)) },
    { name: "tsgrad", run: () => (sink += logisticNllGradInto(w, X, y, grad)) },
    { name: "hand", run: () => (sink += logisticNllGradByHand(w, X, y, g)) },
    { name: "hvp", run: () => (sink += logisticNllHvpInto(w, X, y, { w: v }, grad, hvp)) },
    { name: "helpers", run: () => (sink += logisticNllWithHelpersGradInto(w, X, y, grad)) },
    { name: "shared", run: () => (sink += logisticNllSharedGradInto(w, X, y, grad)) },
    ...(n <= 1000 ? [{ name: "hessian", run: () => (sink += logisticNllHessian(w, X, y).value) }] : []),
  ], { rounds: quick ? 5 : 9 });
  const [primal, gen, hand, hv, helpers, shared, dense] = t.map((q) => q.median);
  const tape = n <= 1000 ? tapeTime(() => void tapeLogistic.grad("logisticNll", [w, X, y], ["w"])) : NaN;
  const tX = tf.tensor2d(X.map((row) => Array.from(row)));
  const tY = tf.tensor1d(Float32Array.from(y));
  const w32 = Float32Array.from(w);
  const tfjs = tapeTime(() => void (sink += tfLogisticGrad(tf, w32, tX, tY)));
  tf.dispose([tX, tY]);
  calls.push([String(n), helpers! / gen!, shared! / gen!]);
  first.push([`logistic (m=${m})`, String(n), gen! / primal!, hand! / primal!, gen! / hand!, tape / gen!, tfjs / gen!]);
  second.push([`logistic (m=${m})`, String(n), hv! / gen!, dense ? dense / (n * gen!) : NaN, NaN]);
}

table("Gradient cost (median time ratios; tape only for n ≤ 1000; TF.js cpu backend, float32)", ["workload", "n", "tsgrad/primal", "hand/primal", "tsgrad/hand", "tape/tsgrad", "tfjs/tsgrad"], first);
table(
  "Seed examples (median time ratios; tape only for n ≤ 1000; dense n × n examples up to n = 1000; last column: max relative difference tsgrad vs hand)",
  ["example", "n", "tsgrad/primal", "hand/primal", "tsgrad/hand", "tape/tsgrad", "tfjs/tsgrad", "|tsgrad-hand|"],
  seedRows(sizes, quick ? 5 : 9, tf, random),
);
table("Second order (median time ratios)", ["workload", "n", "HVP/grad", "Hessian/(n*grad)", "banded Hessian/grad"], second);
table(
  "Calls: logistic NLL through dot/softplus helpers, gradient time over the hand-inlined source's",
  ["n", "helpers inlined", "dot as a shared pullback (recomputes its forward sweep)"],
  calls,
);
if (adbenchAvailable()) {
  table("ADBench GMM (gradient / objective; target ≤ 3)", ["data", "d", "K", "n", "grad/objective"], gmmRows(quick));
  const lstm = await lstmRows(quick);
  table("ADBench LSTM (gradient / objective; target ≤ 4)", ["data", "layers", "chars", "grad/objective"], lstm.rows);
  console.log(lstm.golden);
} else {
  console.log("\nADBench data not found at ../shared/adbench: GMM and LSTM rows skipped.");
}
if (baAvailable()) {
  const ba = baRows(quick);
  table(
    "ADBench BA (sparse Jacobian / objective; target ≤ 5, ADBench's hand-written C++: 6.5–7.4; tape/tsgrad: Jacobian times on the first 500 observations, target ≥ 30)",
    ["data", "n", "m", "p", "objective ms", "Jacobian ms", "Jacobian/objective", "tape/tsgrad"],
    ba.rows,
  );
  console.log(ba.agreement);
} else {
  console.log("\nADBench BA data not found at ../shared/adbench/ba: BA rows skipped.");
}
console.log(`\nPeak memory of the generated code's stacks: ${(stackBytes() / 1024).toFixed(0)} KiB`);

table("Build time and generated size per sample (median of 3 in-process builds)", ["sample", "source bytes", "generated bytes", "build ms"], await sampleBuildRows());
const big = await throughput(quick ? 1000 : 5000);
console.log(
  `\nCompiler throughput on one ${quick ? 1000 : 5000}-statement function: ${big.perSecond.toFixed(0)} statements/s ` +
    `(${big.seconds.toFixed(2)} s); peak resident memory of this process so far: ${big.peakMiB.toFixed(0)} MiB`,
);
table(
  "Start-up of the tsgrad command (whole process, median of interleaved runs; ms)",
  ["command", "ms", "ms beyond node -e 0"],
  startupRows(quick ? 3 : 7),
);
if (sink === 42) console.log("");
