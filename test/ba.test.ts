/**
 * ADBench bundle adjustment (samples/ba.ts, samples/baJacobian.ts): the sparse Jacobian
 * assembled from tsgrad's generated VJPs, checked three ways:
 *
 *   - against ADBench's golden values for ba/test.txt (n = 2, m = 10, p = 10). Input and
 *     numbers are inlined from ADBench's data/ba/test.txt and its unit test
 *     test/cpp/modules/common/BaTests.cpp (github.com/microsoft/ADBench, commit 38cb793,
 *     MIT licence), as copied into shared/adbench/expected/adbench_tests.json; ADBench's own
 *     criterion is |expected - actual| ≤ 1e-8;
 *   - entry by entry against the tape runtime's dense Jacobian of the same per-observation
 *     function (1e-12 relative), on a problem whose cameras and points all differ, with one
 *     camera at r = 0 (the first-order Rodrigues branch);
 *   - against central differences of the whole residual vector (1e-7 relative to the
 *     column's scale), including every structural zero.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadTapeModule } from "../runtime/tape/index.ts";
import { baReprojectionError, baWeightError } from "../samples/ba.ts";
import { baJacobian, baObjective, expandBa, parseBa, BA_ROW_NNZ, type BaProblem, type BaSparseJacobian } from "../samples/baJacobian.ts";
import { rng } from "./harness/numeric.ts";

/** ADBench data/ba/test.txt, verbatim. */
const TEST_TXT = `2 10 10
1.797201 0.590697 -0.635786 90.859550 29.361415 28.777534 211.628116 -0.284531 -14.762924 0.058931 0.069976
4.173048 5.586898 1.403869
0.417022
-525.672849 161.811929`;

/** ADBench BaTests.cpp golden values for ba/test.txt. */
const golden = {
  reprojErr: [-0.2690488492351894, 0.2599447926779019],
  wErr: 0.826092651516,
  nrows: 30,
  ncols: 62,
  // BaTests.cpp lists 310 values: this block (rows 0 and 1: 11 camera, 3 point, 1 weight
  // entries each) once per observation (all ten observations of test.txt are the same),
  // then the ten weight rows, -0.834044 each.
  block: [
    228.87720220824676, 634.5748114955454, -782.2228662593405, 2.4289261560715967, -11.782807962801131, 2.5416931248774346,
    -1.0365708495851809, 0.417022, 0.0, -350.7395210960052, -912.1077736680086, -2.4289261560715967, 11.782807962801131,
    -2.5416931248774346, -0.6451670397129874, -120.54243599499688, -385.6732407664604, 97.54762914033265, -1.7837210852957657,
    4.154667994331261, 2.040257180298989, 0.3491763974331459, 0.0, 0.417022, 118.1491477044145, 307.25010896034325,
    1.7837210852957657, -4.154667994331261, -2.040257180298989, 0.623335921553064,
  ],
  weightRow: -0.834044,
};

/** The BASparseMat layout, written out from ADBench's insert_reproj_err_block / insert_w_err_block. */
function expectedLayout(b: BaProblem): { rows: number[]; cols: number[] } {
  const rows = [0];
  const cols: number[] = [];
  for (let i = 0; i < b.p; i++) {
    for (let r = 0; r < 2; r++) {
      for (let q = 0; q < 11; q++) cols.push(11 * b.obs[2 * i]! + q);
      for (let q = 0; q < 3; q++) cols.push(11 * b.n + 3 * b.obs[2 * i + 1]! + q);
      cols.push(11 * b.n + 3 * b.m + i);
      rows.push(cols.length);
    }
  }
  for (let i = 0; i < b.p; i++) {
    cols.push(11 * b.n + 3 * b.m + i);
    rows.push(cols.length);
  }
  return { rows, cols };
}

/** The sparse Jacobian as a dense nrows × ncols array. */
function dense(J: BaSparseJacobian): number[][] {
  const out = Array.from({ length: J.nrows }, () => new Array<number>(J.ncols).fill(0));
  for (let r = 0; r < J.nrows; r++) for (let k = J.rows[r]!; k < J.rows[r + 1]!; k++) out[r]![J.cols[k]!]! += J.vals[k]!;
  return out;
}

/** A problem whose cameras, points, weights and features all differ; camera 1 has r = 0. */
function randomProblem(n: number, m: number, p: number, seed: number): BaProblem {
  const next = rng(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * next();
  const cams = new Float64Array(11 * n);
  for (let c = 0; c < n; c++) {
    const cam = [u(-1, 1), u(-1, 1), u(-1, 1), u(-1, 1), u(-1, 1), u(-10, -8), u(200, 400), u(-5, 5), u(-5, 5), u(-0.1, 0.1), u(-0.1, 0.1)];
    if (c === 1) cam[0] = cam[1] = cam[2] = 0;
    cams.set(cam, 11 * c);
  }
  const X = Float64Array.from({ length: 3 * m }, () => u(-2, 2));
  const w = Float64Array.from({ length: p }, () => u(0.2, 1.5));
  const feats = Float64Array.from({ length: 2 * p }, () => u(-300, 300));
  const obs = new Int32Array(2 * p);
  for (let i = 0; i < p; i++) {
    obs[2 * i] = (2 * i + 1) % n;
    obs[2 * i + 1] = (2 * i + 3) % m;
  }
  return { n, m, p, cams, X, w, obs, feats };
}

/** All 3p residuals of `b` as one vector. */
function residuals(b: BaProblem): number[] {
  const { reprojErr, wErr } = baObjective(b);
  return [...reprojErr, ...wErr];
}

describe("ADBench BA", () => {
  it("expands the compact input as ADBench's reader does", () => {
    const b = parseBa(TEST_TXT);
    expect([b.n, b.m, b.p]).toEqual([2, 10, 10]);
    expect(Array.from(b.obs.slice(0, 8))).toEqual([0, 0, 1, 1, 0, 2, 1, 3]);
    expect(Array.from(b.obs.slice(-2))).toEqual([1, 9]);
    expect(b.cams[11 + 6]).toBe(211.628116);
    expect(b.X[3 * 9 + 2]).toBe(1.403869);
    expect(Array.from(b.feats.slice(-2))).toEqual([-525.672849, 161.811929]);
    expect(b).toEqual(expandBa(2, 10, 10, Array.from(b.cams.slice(0, 11)), Array.from(b.X.slice(0, 3)), 0.417022, [-525.672849, 161.811929]));
  });

  it("objective matches ADBench's golden residuals (ba/test.txt)", () => {
    const { reprojErr, wErr } = baObjective(parseBa(TEST_TXT));
    for (let i = 0; i < 10; i++) {
      expect(Math.abs(reprojErr[2 * i]! - golden.reprojErr[0]!)).toBeLessThan(1e-12);
      expect(Math.abs(reprojErr[2 * i + 1]! - golden.reprojErr[1]!)).toBeLessThan(1e-12);
      expect(Math.abs(wErr[i]! - golden.wErr)).toBeLessThan(1e-12);
    }
  });

  it("sparse Jacobian matches ADBench's golden values and BASparseMat layout (ba/test.txt)", () => {
    const b = parseBa(TEST_TXT);
    const J = baJacobian(b);
    expect([J.nrows, J.ncols]).toEqual([golden.nrows, golden.ncols]);
    const expected = [...Array.from({ length: 10 }, () => golden.block).flat(), ...new Array<number>(10).fill(golden.weightRow)];
    expect(J.vals).toHaveLength(expected.length);
    // ADBench's criterion is 1e-8 absolute; the entries reach 912, so ask for 1e-12 relative.
    for (let k = 0; k < expected.length; k++) expect(Math.abs(J.vals[k]! - expected[k]!)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected[k]!)));
    const layout = expectedLayout(b);
    expect(Array.from(J.rows)).toEqual(layout.rows);
    expect(Array.from(J.cols)).toEqual(layout.cols);
  });

  it("writes the residuals it differentiates, bit for bit equal to the objective's", () => {
    const b = randomProblem(3, 5, 8, 11);
    const reprojErr = new Float64Array(2 * b.p);
    const wErr = new Float64Array(b.p);
    baJacobian(b, undefined, undefined, reprojErr, wErr);
    const o = baObjective(b);
    expect(reprojErr).toEqual(o.reprojErr);
    expect(wErr).toEqual(o.wErr);
  });

  it("reuses its buffers: a second call into the same arrays gives the same Jacobian", () => {
    const b = randomProblem(3, 5, 8, 12);
    const first = baJacobian(b);
    const again = baJacobian(b, { ...first, vals: first.vals.slice(), rows: first.rows.slice(), cols: first.cols.slice() });
    expect(again.vals).toEqual(first.vals);
  });

  it("every Jacobian entry matches the tape runtime to 1e-12 (distinct cameras and points, one with r = 0)", () => {
    const b = randomProblem(3, 5, 8, 7);
    const J = baJacobian(b);
    const tape = loadTapeModule(path.resolve(import.meta.dirname, "../samples/ba.ts"));
    const weightCol = 11 * b.n + 3 * b.m;
    let sawZeroRotation = false;
    for (let i = 0; i < b.p; i++) {
      const args = [b.cams, b.obs[2 * i]!, b.X, b.obs[2 * i + 1]!, b.w[i]!, b.feats, i];
      if (b.obs[2 * i] === 1) sawZeroRotation = true;
      // Columns of the tape's Jacobian: cams (11n), X (3m), w (1).
      const T = tape.jacobian("baReprojectionError", args, ["cams", "X", "w"]);
      expect(T).toHaveLength(2);
      for (let r = 0; r < 2; r++) {
        const row = 2 * i + r;
        const mine = new Array<number>(weightCol + b.p).fill(0);
        for (let k = J.rows[row]!; k < J.rows[row + 1]!; k++) mine[J.cols[k]!]! += J.vals[k]!;
        const scale = Math.max(...T[r]!.map(Math.abs));
        for (let col = 0; col < weightCol; col++) expect(Math.abs(mine[col]! - T[r]![col]!), `row ${row}, column ${col}`).toBeLessThanOrEqual(1e-12 * Math.max(Math.abs(T[r]![col]!), 1e-3 * scale));
        // The tape's one weight column is this observation's weight; the other weights are untouched.
        expect(Math.abs(mine[weightCol + i]! - T[r]![weightCol]!)).toBeLessThanOrEqual(1e-12 * Math.abs(T[r]![weightCol]!));
        for (let q = 0; q < b.p; q++) if (q !== i) expect(mine[weightCol + q]).toBe(0);
      }
      const g = tape.grad("baWeightError", [b.w[i]!], ["w"]);
      const k = J.rows[2 * b.p + i]!;
      expect(J.cols[k]).toBe(weightCol + i);
      expect(Math.abs(J.vals[k]! - (g.grad["w"] as number))).toBeLessThanOrEqual(1e-12 * Math.abs(g.grad["w"] as number));
      expect(J.vals[k]).toBe(-2 * b.w[i]!);
    }
    expect(sawZeroRotation).toBe(true);
    expect(J.rows[2 * b.p]! - J.rows[0]!).toBe(2 * BA_ROW_NNZ * b.p);
  });

  it("the dense Jacobian matches central differences of all residuals, structural zeros included", () => {
    const b = randomProblem(3, 5, 8, 3);
    const D = dense(baJacobian(b));
    const params: Float64Array[] = [b.cams, b.X, b.w];
    let col = 0;
    for (const arr of params) {
      for (let k = 0; k < arr.length; k++, col++) {
        const x = arr[k]!;
        const h = 1e-5 * Math.max(1, Math.abs(x));
        const at = (t: number) => {
          arr[k] = x + t * h;
          const r = residuals(b);
          arr[k] = x;
          return r;
        };
        const [m2, m1, p1, p2] = [at(-2), at(-1), at(1), at(2)];
        // Fourth-order stencil, grouped so that an unchanged residual gives exactly 0.
        const fd = m2.map((_, r) => (m2[r]! - p2[r]! + 8 * (p1[r]! - m1[r]!)) / (12 * h));
        const scale = Math.max(1e-300, ...fd.map(Math.abs), ...D.map((row) => Math.abs(row[col]!)));
        for (let r = 0; r < fd.length; r++) {
          expect(Math.abs(D[r]![col]! - fd[r]!), `row ${r}, column ${col}`).toBeLessThanOrEqual(1e-7 * scale);
          if (fd[r] === 0) expect(D[r]![col], `row ${r}, column ${col}`).toBe(0);
        }
      }
    }
    expect(col).toBe(11 * b.n + 3 * b.m + b.p);
  });

  it("per-observation functions agree with the objective", () => {
    const b = parseBa(TEST_TXT);
    const o = baObjective(b);
    for (let i = 0; i < b.p; i++) expect(baReprojectionError(b.cams, b.obs[2 * i]!, b.X, b.obs[2 * i + 1]!, b.w[i]!, b.feats, i)).toEqual([o.reprojErr[2 * i], o.reprojErr[2 * i + 1]]);
    expect(baWeightError(0.417022)).toBe(1 - 0.417022 * 0.417022);
  });
});
