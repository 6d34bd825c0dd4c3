/**
 * The generated gradients of the samples against their closed forms, written out here
 * independently of the samples' code, at several random inputs from a seeded PRNG.
 *
 * Tolerance: 1e-12 relative per entry, with the denominator max(|expected_k|,
 * FLOOR · max_j |expected_j|) and FLOOR = 1e-4, so an entry that is near zero only by
 * cancellation is judged against the size of the whole gradient. The math (correct, not
 * the notes' slips) is in each sample's header comment. scalingSquaring and convergence
 * compute exp and √ by iterations, so their closed forms hold only approximately; their
 * headers show why the error stays far below this tolerance.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SAMPLES_DIR } from "./harness/discover.ts";
import { getFn, loadGenerated, loadSource, type GradResult } from "./harness/load.ts";
import { makeRng, type Rng } from "./harness/rng.ts";
import { compareRecords, deepClone } from "./harness/shapes.ts";

const TOL = { rel: 1e-12, floorScale: 1e-4 };
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

type Grad = Record<string, unknown>;

interface Case {
  /** samples/<module>.ts */
  module: string;
  fn: string;
  /** Random arguments, in the function's parameter order. */
  inputs(rng: Rng): unknown[];
  /** The gradient, from the formula. */
  closedForm(...args: never[]): Grad;
}

const sigmoid = (s: number) => (s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s)));
const dot = (a: readonly number[], b: readonly number[]) => a.reduce((acc, ai, i) => acc + ai * b[i]!, 0);
const matVec = (A: readonly number[][], x: readonly number[]) => A.map((row) => dot(row, x));
const matTVec = (A: readonly number[][], y: readonly number[]) =>
  A[0]!.map((_, j) => A.reduce((acc, row, i) => acc + row[j]! * y[i]!, 0));

/** A number drawn from [lo, hi) at least `gap` away from every point in `avoid`. */
function awayFrom(rng: Rng, lo: number, hi: number, avoid: number[], gap = 1e-3): number {
  for (;;) {
    const x = rng.uniform(lo, hi);
    if (avoid.every((k) => Math.abs(x - k) > gap)) return x;
  }
}

const cases: Case[] = [
  {
    // ∇f = 1/2 (A + A^T) x - b
    module: "quadratic",
    fn: "quadratic",
    inputs: (rng) => {
      const n = 3 + rng.int(6);
      return [rng.vector(n, -2, 2), rng.matrix(n, n, -1, 1), rng.vector(n, -1, 1)];
    },
    closedForm: (x: number[], A: number[][], b: number[]) => {
      const Ax = matVec(A, x);
      const ATx = matTVec(A, x);
      return { x: x.map((_, i) => 0.5 * (Ax[i]! + ATx[i]!) - b[i]!) };
    },
  },
  {
    // ∇f = 2 exp(-x^T x) x
    module: "gaussian",
    fn: "gaussian",
    inputs: (rng) => [rng.vector(3 + rng.int(6), -0.7, 0.7)],
    closedForm: (x: number[]) => {
      const e = Math.exp(-dot(x, x));
      return { x: x.map((xi) => 2 * e * xi) };
    },
  },
  {
    // ∇f = A^T (A x - b)
    module: "leastSquares",
    fn: "leastSquares",
    inputs: (rng) => {
      const m = 4 + rng.int(5);
      const n = 2 + rng.int(4);
      return [rng.vector(n, -1, 1), rng.matrix(m, n, -1, 1), rng.vector(m, -1, 1)];
    },
    closedForm: (x: number[], A: number[][], b: number[]) => {
      const r = matVec(A, x).map((v, i) => v - b[i]!);
      return { x: matTVec(A, r) };
    },
  },
  {
    // ∇f = σ(<a, x>) a; large |<a, x>| too, where the naive formula would overflow
    module: "logistic",
    fn: "logistic",
    inputs: (rng) => {
      const n = 3 + rng.int(6);
      const scale = rng.next() < 0.5 ? 1 : 40;
      return [rng.vector(n, -scale, scale), rng.vector(n, -1, 1)];
    },
    closedForm: (x: number[], a: number[]) => {
      const s = sigmoid(dot(a, x));
      return { x: a.map((ai) => s * ai) };
    },
  },
  {
    // z̄ = (y - t) σ'(z), w̄ = z̄ x + λ w, b̄ = z̄
    module: "neuron",
    fn: "neuron",
    inputs: (rng) => [rng.uniform(-2, 2), rng.uniform(-1, 1), rng.uniform(-2, 2), rng.uniform(0, 1), rng.uniform(0, 0.1)],
    closedForm: (w: number, b: number, x: number, t: number, lambda: number) => {
      const y = sigmoid(w * x + b);
      const zBar = (y - t) * y * (1 - y);
      return { w: zBar * x + lambda * w, b: zBar };
    },
  },
  {
    // ∂f/∂x_k = -400 x_k (x_{k+1} - x_k^2) - 2 (1 - x_k) + 200 (x_k - x_{k-1}^2)
    module: "rosenbrock",
    fn: "rosenbrock",
    inputs: (rng) => [Float64Array.from(rng.vector(2 + rng.int(8), -1.5, 1.5))],
    closedForm: (x: Float64Array) => {
      const g = new Float64Array(x.length);
      for (let k = 0; k < x.length; k++) {
        if (k + 1 < x.length) g[k]! += -400 * x[k]! * (x[k + 1]! - x[k]! ** 2) - 2 * (1 - x[k]!);
        if (k > 0) g[k]! += 200 * (x[k]! - x[k - 1]! ** 2);
      }
      return { x: g };
    },
  },
  {
    // ∇_z f = softmax(z) - e_label
    module: "softmaxCrossEntropy",
    fn: "softmaxCrossEntropy",
    inputs: (rng) => {
      const n = 2 + rng.int(7);
      const offset = rng.next() < 0.5 ? 0 : rng.uniform(-1000, 1000);
      return [rng.vector(n, -3, 3).map((z) => z + offset), rng.int(n)];
    },
    closedForm: (z: number[], label: number) => {
      const m = Math.max(...z);
      const e = z.map((zj) => Math.exp(zj - m));
      const sum = e.reduce((a, b) => a + b, 0);
      return { z: e.map((ej, j) => ej / sum - (j === label ? 1 : 0)) };
    },
  },
  {
    // ∂p/∂c_k = x^k, ∂p/∂x = Σ k c_k x^{k-1}
    module: "horner",
    fn: "horner",
    inputs: (rng) => [rng.vector(1 + rng.int(8), -2, 2), rng.uniform(-1.5, 1.5)],
    closedForm: (c: number[], x: number) => ({
      coeffs: c.map((_, k) => x ** k),
      x: c.reduce((acc, ck, k) => (k === 0 ? acc : acc + k * ck * x ** (k - 1)), 0),
    }),
  },
  {
    // -δ, r, δ in r and -r - δ, 0, r - δ in δ, by branch
    module: "piecewise",
    fn: "huber",
    inputs: (rng) => {
      const delta = rng.uniform(0.2, 1.5);
      return [awayFrom(rng, -3, 3, [-delta, delta]), delta];
    },
    closedForm: (r: number, delta: number) =>
      r < -delta ? { r: -delta, delta: -r - delta } : r > delta ? { r: delta, delta: r - delta } : { r, delta: 0 },
  },
  {
    // 0 outside (lo, hi); inside, s'(t) = 6 t (1 - t) times ∂t/∂(x, lo, hi)
    module: "piecewise",
    fn: "smoothstep",
    inputs: (rng) => {
      const lo = rng.uniform(-1, 0);
      const hi = lo + rng.uniform(0.5, 2);
      return [awayFrom(rng, lo - 1, hi + 1, [lo, hi]), lo, hi];
    },
    closedForm: (x: number, lo: number, hi: number) => {
      if (x <= lo || x >= hi) return { x: 0, lo: 0, hi: 0 };
      const w = hi - lo;
      const t = (x - lo) / w;
      const ds = 6 * t * (1 - t);
      return { x: ds / w, lo: (ds * (x - hi)) / (w * w), hi: (-ds * (x - lo)) / (w * w) };
    },
  },
  {
    // ∂f/∂M_ij = w_j M_ij / ||M_{:,j}||, ∂f/∂w_j = ||M_{:,j}||
    module: "columnNorms",
    fn: "columnNorms",
    inputs: (rng) => {
      const m = 1 + rng.int(6);
      const n = 1 + rng.int(6);
      return [rng.matrix(m, n, -2, 2), Float64Array.from(rng.vector(n, -1, 2))];
    },
    closedForm: (M: number[][], w: Float64Array) => {
      const norms = Array.from(w, (_, j) => Math.hypot(...M.map((row) => row[j]!)));
      return { M: M.map((row) => row.map((mij, j) => (w[j]! * mij) / norms[j]!)), w: Float64Array.from(norms) };
    },
  },
  {
    // 2 w_i x_i on the visited non-negative entries (up to the one passing the limit), else 0
    module: "earlyStop",
    fn: "earlyStop",
    inputs: (rng) => {
      const x = rng.vector(3 + rng.int(8), -1, 2);
      // A limit away from every partial sum, so the break index is well defined.
      const sums: number[] = [];
      let s = 0;
      x.forEach((xi, i) => {
        if (xi >= 0) sums.push((s += (i % 2 === 0 ? 1 : 2) * xi * xi));
      });
      return [x, awayFrom(rng, 0, s + 1, sums, 1e-2)];
    },
    closedForm: (x: number[], limit: number) => {
      const g = x.map(() => 0);
      let s = 0;
      for (let i = 0; i < x.length && s <= limit; i++) {
        if (x[i]! < 0) continue;
        const w = i % 2 === 0 ? 1 : 2;
        s += w * x[i]! ** 2;
        g[i] = 2 * w * x[i]!;
      }
      return { x: g };
    },
  },
  {
    // d/dx exp(x) = exp(x): the series and squaring approximate exp and its derivative
    // to ~1e-15 relative (see the sample's header)
    module: "scalingSquaring",
    fn: "scalingSquaring",
    inputs: (rng) => [rng.uniform(-8, 8)],
    closedForm: (x: number) => ({ x: Math.exp(x) }),
  },
  {
    // d√a/da = 1/(2√a), reached by the derivative of the converged iteration up to
    // O(ε²) of the last step's error ε (see the sample's header)
    module: "convergence",
    fn: "babylonianSqrt",
    inputs: (rng) => [Math.exp(rng.uniform(Math.log(1e-3), Math.log(1e3)))],
    closedForm: (a: number) => ({ a: 0.5 / Math.sqrt(a) }),
  },
];

for (const c of cases) {
  describe(`${c.module}: ${c.fn} against its closed form`, () => {
    it.each(SEEDS)(`seed %i (rel ${TOL.rel})`, async (seed) => {
      const file = path.join(SAMPLES_DIR, `${c.module}.ts`);
      const f = getFn(await loadSource(file), c.fn, `samples/${c.module}.ts`);
      const grad = getFn(await loadGenerated(file), `${c.fn}Grad`, `samples/${c.module}.grad.ts`);
      const args = c.inputs(makeRng(seed * 7919 + c.fn.length));
      const result = grad(...deepClone(args)) as GradResult;
      expect(Object.is(result.value, f(...deepClone(args)))).toBe(true);
      const expected = (c.closedForm as (...a: unknown[]) => Grad)(...deepClone(args));
      const cmp = compareRecords(result.grad, expected, TOL);
      expect(cmp.ok, `${cmp.message} at ${JSON.stringify(args, (_, v) => (v instanceof Float64Array ? [...v] : v))}`).toBe(true);
    });
  });
}
