/**
 * The lecture notes' seed examples (samples/quadratic, gaussian, leastSquares, logistic) in
 * `npm run bench`: generated gradient, a careful hand-written gradient, the tape runtime and
 * TF.js, each over its own primal, at n = 10, 1000 and 100000. The dense-matrix examples
 * (½xᵀAx − bᵀx, ½‖Ax − b‖² with A n × n) skip n = 100000, where A alone would be 80 GB.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { quadratic } from "../samples/quadratic.ts";
import { quadraticGradInto } from "../samples/quadratic.grad.ts";
import { gaussian } from "../samples/gaussian.ts";
import { gaussianGradInto } from "../samples/gaussian.grad.ts";
import { leastSquares } from "../samples/leastSquares.ts";
import { leastSquaresGradInto } from "../samples/leastSquares.grad.ts";
import { logistic } from "../samples/logistic.ts";
import { logisticGradInto } from "../samples/logistic.grad.ts";
import { loadTapeModule } from "../runtime/tape/index.ts";
import { measure } from "./timing.ts";
import type { loadTf } from "./tfjs.ts";

type Tf = Awaited<ReturnType<typeof loadTf>>;
type Matrix = readonly (readonly number[])[];

const samples = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "samples");

/** ∇(½xᵀAx − bᵀx) = ½(A + Aᵀ)x − b, one pass over A; returns the value, as fGradInto does. */
export function quadraticGradByHand(x: readonly number[], A: Matrix, b: readonly number[], g: number[]): number {
  const n = x.length;
  let value = 0;
  for (let i = 0; i < n; i++) g[i] = -b[i]!;
  for (let i = 0; i < n; i++) {
    const row = A[i]!;
    const xi = x[i]!;
    let dot = 0;
    for (let j = 0; j < n; j++) {
      dot += row[j]! * x[j]!;
      g[j] += 0.5 * row[j]! * xi;
    }
    g[i] += 0.5 * dot;
    value += xi * (0.5 * dot - b[i]!);
  }
  return value;
}

/** ∇(−exp(−xᵀx)) = 2 exp(−xᵀx) x; returns the value. */
export function gaussianGradByHand(x: readonly number[], g: number[]): number {
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += x[i]! * x[i]!;
  const e = Math.exp(-sq);
  const scale = 2 * e;
  for (let i = 0; i < x.length; i++) g[i] = scale * x[i]!;
  return -e;
}

/** ∇(½‖Ax − b‖²) = Aᵀ(Ax − b), one pass over A per product; returns the value. */
export function leastSquaresGradByHand(x: readonly number[], A: Matrix, b: readonly number[], g: number[]): number {
  g.fill(0);
  let value = 0;
  for (let i = 0; i < A.length; i++) {
    const row = A[i]!;
    let r = -b[i]!;
    for (let j = 0; j < x.length; j++) r += row[j]! * x[j]!;
    for (let j = 0; j < x.length; j++) g[j] += r * row[j]!;
    value += r * r;
  }
  return 0.5 * value;
}

/** ∇ log(1 + exp(aᵀx)) = σ(aᵀx) a; returns the value. */
export function logisticGradByHand(x: readonly number[], a: readonly number[], g: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += a[i]! * x[i]!;
  // One exp either way: e = exp(−|s|), σ(s) = 1/(1+e) or e/(1+e), value = max(s, 0) + log1p(e).
  const e = Math.exp(s > 0 ? -s : s);
  const p = s > 0 ? 1 / (1 + e) : e / (1 + e);
  for (let i = 0; i < x.length; i++) g[i] = p * a[i]!;
  return (s > 0 ? s : 0) + Math.log1p(e);
}

interface Seed {
  name: string;
  /** The sample's file in samples/ and its function (for the tape). */
  file: string;
  fn: string;
  /** Largest n this example runs at. */
  maxN: number;
  setup(n: number, next: () => number): {
    args: unknown[];
    primal: () => number;
    /** Zeroes `gradient` and adds the generated gradient into it. */
    tsgrad: () => number;
    /** Writes the hand-written gradient into `handGradient`. */
    hand: () => number;
    tf: (t: Tf) => number;
    gradient: number[];
    handGradient: number[];
  };
}

const matrix = (n: number, next: () => number) => Array.from({ length: n }, () => Array.from({ length: n }, () => next()));
const vector = (n: number, next: () => number) => Array.from({ length: n }, () => next());

/** Largest |tsgrad − hand| over the entries, relative to max(1, |hand|): the two must agree. */
function disagreement(a: number[], b: number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

const SEEDS: Seed[] = [
  {
    name: "½xᵀAx − bᵀx",
    file: "quadratic.ts",
    fn: "quadratic",
    maxN: 1000,
    setup(n, next) {
      const [x, A, b] = [vector(n, next), matrix(n, next), vector(n, next)];
      const g = { x: new Array<number>(n).fill(0) };
      const h = new Array<number>(n).fill(0);
      return {
        args: [x, A, b],
        primal: () => quadratic(x, A, b),
        tsgrad: () => quadraticGradInto(x, A, b, g),
        hand: () => quadraticGradByHand(x, A, b, h),
        tf: (t) => t.tidy(() => {
          const tA = t.tensor2d(A.flatMap((r) => r), [n, n]);
          const tb = t.tensor1d(Float32Array.from(b));
          const f = (v: import("@tensorflow/tfjs").Tensor) => {
            const col = t.reshape(v, [-1, 1]);
            return t.sub(t.mul(0.5, t.sum(t.mul(col, t.matMul(tA, col)))), t.sum(t.mul(tb, v))) as import("@tensorflow/tfjs").Scalar;
          };
          return t.grad(f)(t.tensor1d(Float32Array.from(x))).dataSync()[0]!;
        }),
        gradient: g.x,
        handGradient: h,
      };
    },
  },
  {
    name: "−exp(−xᵀx)",
    file: "gaussian.ts",
    fn: "gaussian",
    maxN: 100000,
    setup(n, next) {
      const x = vector(n, () => next() / Math.sqrt(n));
      const g = { x: new Array<number>(n).fill(0) };
      const h = new Array<number>(n).fill(0);
      return {
        args: [x],
        primal: () => gaussian(x),
        tsgrad: () => gaussianGradInto(x, g),
        hand: () => gaussianGradByHand(x, h),
        tf: (t) => t.tidy(() => {
          const f = (v: import("@tensorflow/tfjs").Tensor) => t.neg(t.exp(t.neg(t.sum(t.square(v))))) as import("@tensorflow/tfjs").Scalar;
          return t.grad(f)(t.tensor1d(Float32Array.from(x))).dataSync()[0]!;
        }),
        gradient: g.x,
        handGradient: h,
      };
    },
  },
  {
    name: "½‖Ax − b‖² (A n × n)",
    file: "leastSquares.ts",
    fn: "leastSquares",
    maxN: 1000,
    setup(n, next) {
      const [x, A, b] = [vector(n, next), matrix(n, next), vector(n, next)];
      const g = { x: new Array<number>(n).fill(0) };
      const h = new Array<number>(n).fill(0);
      return {
        args: [x, A, b],
        primal: () => leastSquares(x, A, b),
        tsgrad: () => leastSquaresGradInto(x, A, b, g),
        hand: () => leastSquaresGradByHand(x, A, b, h),
        tf: (t) => t.tidy(() => {
          const tA = t.tensor2d(A.flatMap((r) => r), [n, n]);
          const tb = t.tensor1d(Float32Array.from(b));
          const f = (v: import("@tensorflow/tfjs").Tensor) =>
            t.mul(0.5, t.sum(t.square(t.sub(t.squeeze(t.matMul(tA, t.reshape(v, [-1, 1]))), tb)))) as import("@tensorflow/tfjs").Scalar;
          return t.grad(f)(t.tensor1d(Float32Array.from(x))).dataSync()[0]!;
        }),
        gradient: g.x,
        handGradient: h,
      };
    },
  },
  {
    name: "log(1 + exp(aᵀx))",
    file: "logistic.ts",
    fn: "logistic",
    maxN: 100000,
    setup(n, next) {
      const [x, a] = [vector(n, next), vector(n, () => next() / Math.sqrt(n))];
      const g = { x: new Array<number>(n).fill(0) };
      const h = new Array<number>(n).fill(0);
      return {
        args: [x, a],
        primal: () => logistic(x, a),
        tsgrad: () => logisticGradInto(x, a, g),
        hand: () => logisticGradByHand(x, a, h),
        tf: (t) => t.tidy(() => {
          const ta = t.tensor1d(Float32Array.from(a));
          const f = (v: import("@tensorflow/tfjs").Tensor) => t.softplus(t.sum(t.mul(ta, v))) as import("@tensorflow/tfjs").Scalar;
          return t.grad(f)(t.tensor1d(Float32Array.from(x))).dataSync()[0]!;
        }),
        gradient: g.x,
        handGradient: h,
      };
    },
  },
];

/**
 * Rows of [example, n, tsgrad/primal, hand/primal, tsgrad/hand, tape/tsgrad, tfjs/tsgrad,
 * largest tsgrad-vs-hand disagreement]. The tape runs for n ≤ 1000 only (it is slow).
 */
export function seedRows(sizes: number[], rounds: number, tf: Tf, random: (seed: number) => () => number): (string | number)[][] {
  const rows: (string | number)[][] = [];
  let sink = 0;
  for (const seed of SEEDS) {
    const tapeModule = loadTapeModule(path.join(samples, seed.file));
    for (const n of sizes) {
      if (n > seed.maxN) continue;
      const s = seed.setup(n, random(31 * n + seed.name.length));
      const [primal, gen, hand] = measure([
        // The setup's own closures, called directly by the timing loops (see timing.ts): a
        // wrapper shared by every seed would be a megamorphic call in front of each.
        { name: "primal", run: s.primal },
        { name: "tsgrad", run: s.tsgrad },
        { name: "hand", run: s.hand },
      ], { rounds }).map((m) => m.median);
      const slow = (run: () => void) => measure([{ name: "slow", run }], { rounds: 3, minBatchMs: 20 })[0]!.median;
      const tape = n <= 1000 ? slow(() => void tapeModule.grad(seed.fn, s.args, ["x"])) : NaN;
      const tfjs = slow(() => void (sink += s.tf(tf)));
      const [mine, theirs] = [s.tsgrad(), s.hand()];
      // Gradients and values both: the hand-written gradients return the value too.
      const check = Math.max(disagreement(s.gradient, s.handGradient), Math.abs(mine - theirs) / Math.max(1, Math.abs(theirs)));
      rows.push([seed.name, String(n), gen! / primal!, hand! / primal!, gen! / hand!, tape / gen!, tfjs / gen!, check.toExponential(0)]);
    }
  }
  if (sink === 42) console.log("");
  return rows;
}
