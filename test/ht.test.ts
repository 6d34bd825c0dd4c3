/**
 * GradBench `ht` (ADBench hand tracking): bench/gradbench/ht.ts and the Jacobian that
 * htJacobian.ts chains from its tsgrad-generated stages.
 *
 *   - objective and Jacobian against ADBench's golden values for hand/test.txt (simple) and
 *     hand/hand_complicated.txt (complicated), |Δ| ≤ 1e-10 (ADBench checks 1e-8);
 *   - the Jacobian against the tape runtime's Jacobian of the whole objective (1e-12
 *     relative, on a synthetic 22-bone model: mirrored and not, simple and complicated,
 *     and with the global rotation below the angle-axis cutoff);
 *   - the Jacobian against fourth-order central differences of the objective (1e-6);
 *   - the compressed pose Jacobian (4 forward sweeps) against the generated dense
 *     `handPoseJacobian` (26 sweeps).
 *
 * The golden inputs and figures are inlined in test/harness/hand.ts (ADBench, MIT licence;
 * the source is named there).
 */
import { describe, expect, it } from "vitest";
import path from "node:path";
import { handObjective } from "../bench/gradbench/ht.ts";
import { handPoseJacobian } from "../bench/gradbench/ht.grad.ts";
import { handJacobian, poseJacobian } from "../bench/gradbench/htJacobian.ts";
import { wholeMapResidualsJacobian } from "../bench/gradbench/htWholeMap.grad.ts";
import { loadTapeModule } from "../runtime/tape/index.ts";
import { centralDifferences } from "./harness/numeric.ts";
import { makeRng } from "./harness/rng.ts";
import { COMPLICATED, GOLDEN_COMPLICATED, GOLDEN_SIMPLE, SIMPLE, goldenArgs, type HandArgs as Args } from "./harness/hand.ts";

/** A 22-bone hand of random shape: wrist, 5 fingers of 4 bones, forearm. */
function syntheticArgs(seed: number, options: { complicated: boolean; mirrored?: boolean; points?: number; theta?: number[] }): Args {
  const r = makeRng(seed);
  const B = 22;
  const parents = Array.from({ length: B }, (_, b) => (b === 0 ? -1 : b === 21 ? 0 : (b - 1) % 4 === 0 ? 0 : b - 1));
  const rigid = () => {
    const [a, c] = [r.uniform(-1, 1), r.uniform(-1, 1)];
    const R = [[Math.cos(a), -Math.sin(a) * Math.cos(c), Math.sin(a) * Math.sin(c)], [Math.sin(a), Math.cos(a) * Math.cos(c), -Math.cos(a) * Math.sin(c)], [0, Math.sin(c), Math.cos(c)]];
    return [...R.map((row) => [...row, r.uniform(-0.5, 0.5)]), [0, 0, 0, 1]];
  };
  const nVertices = 30;
  const weights = Array.from({ length: nVertices }, () => {
    const w = new Array<number>(B).fill(0);
    for (let k = 0; k < 1 + r.int(3); k++) w[r.int(B)] = r.uniform(0.1, 1);
    return w;
  });
  const n = options.points ?? 7;
  const triangles = Array.from({ length: 12 }, () => [r.int(nVertices), r.int(nVertices), r.int(nVertices)]);
  return [
    options.theta ?? r.vector(26, -1, 1),
    options.complicated ? Array.from({ length: n }, () => [r.uniform(0, 0.5), r.uniform(0, 0.5)]) : [],
    parents,
    Array.from({ length: B }, rigid),
    Array.from({ length: B }, rigid),
    Array.from({ length: nVertices }, () => [...r.vector(3, -1, 1), 1]),
    weights,
    triangles,
    options.mirrored ?? false,
    Array.from({ length: n }, () => r.int(options.complicated ? triangles.length : nVertices)),
    r.matrix(n, 3, -1, 1),
  ];
}

/** Dense rows of handJacobian's result. */
function rowsOf(args: Args): number[][] {
  const J = handJacobian(...args);
  return Array.from({ length: J.rows }, (_, i) => Array.from(J.values.subarray(i * J.cols, (i + 1) * J.cols)));
}

/** max |a - b| / max(|b|, 1e-3 · max |b|) over all entries. */
function relError(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  const scale = Math.max(...b.flat().map(Math.abs));
  let worst = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i]!.length);
    row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i]![j]!) / Math.max(Math.abs(b[i]![j]!), 1e-3 * scale))));
  });
  return worst;
}

const tape = loadTapeModule(path.resolve(import.meta.dirname, "../bench/gradbench/ht.ts"));

/** The tape's Jacobian of the whole objective, in GradBench's layout: [du0, du1 of the row's own point, dtheta]. */
function tapeRows(args: Args): number[][] {
  const complicated = args[1].length > 0;
  const J = tape.jacobian("handObjective", [...args], complicated ? ["theta", "us"] : ["theta"]);
  return J.map((row, i) => (complicated ? [row[26 + 2 * Math.floor(i / 3)]!, row[27 + 2 * Math.floor(i / 3)]!, ...row.slice(0, 26)] : row));
}

describe("GradBench ht: ADBench's golden values", () => {
  for (const [name, instance, golden] of [["simple (hand/test.txt)", SIMPLE, GOLDEN_SIMPLE], ["complicated (hand/hand_complicated.txt)", COMPLICATED, GOLDEN_COMPLICATED]] as const) {
    it(`${name}: objective and Jacobian`, () => {
      const args = goldenArgs(instance);
      const err = handObjective(...args);
      expect(err).toHaveLength(golden.objective.length);
      err.forEach((x, k) => expect(Math.abs(x - golden.objective[k]!)).toBeLessThan(1e-10));
      const J = handJacobian(...args);
      expect([J.rows, J.cols]).toEqual([golden.rows, golden.cols]);
      for (let r = 0; r < J.rows; r++) {
        for (let c = 0; c < J.cols; c++) expect(Math.abs(J.values[r * J.cols + c]! - golden.jacobianColumnMajor[c * golden.rows + r]!)).toBeLessThan(1e-10);
      }
    });
  }
});

describe("GradBench ht: the chained Jacobian", () => {
  const cases: [string, Args][] = [
    ["simple", syntheticArgs(1, { complicated: false })],
    ["simple, mirrored", syntheticArgs(2, { complicated: false, mirrored: true })],
    ["complicated", syntheticArgs(3, { complicated: true })],
    ["complicated, mirrored", syntheticArgs(4, { complicated: true, mirrored: true })],
    ["complicated, global rotation below the cutoff", syntheticArgs(5, { complicated: true, theta: [0, 3e-5, 0, ...makeRng(6).vector(23, -1, 1)] })],
  ];
  for (const [name, args] of cases) {
    it(`${name}: matches the tape's Jacobian of the whole objective (1e-12)`, () => {
      expect(handObjective(...args)).toEqual(tape.call("handObjective", [...args]));
      expect(relError(rowsOf(args), tapeRows(args))).toBeLessThan(1e-12);
    });
  }

  for (const [name, args] of cases.slice(0, 4)) {
    it(`${name}: matches central differences of the objective (1e-6)`, () => {
      const complicated = args[1].length > 0;
      const J = rowsOf(args);
      const rows: number[][] = J.map(() => []);
      for (let r = 0; r < J.length; r++) {
        const f = (...a: unknown[]) => handObjective(...(a as Args))[r]!;
        const [dTheta, dUs] = centralDifferences(f, [...args], complicated ? [0, 1] : [0]);
        const i = Math.floor(r / 3);
        rows[r] = complicated ? [dUs![2 * i]!, dUs![2 * i + 1]!, ...dTheta!] : dTheta!;
        // A residual does not move with another point's us (the stencil leaves ~1e-11 of rounding).
        if (complicated) expect(Math.max(...dUs!.filter((_, k) => Math.floor(k / 2) !== i).map(Math.abs))).toBeLessThan(1e-9);
      }
      expect(relError(J, rows)).toBeLessThan(1e-6);
    });
  }

  it("equals the whole-map @jacobian the benchmark compares it with (simple)", () => {
    const [theta, , parents, baseRelatives, inverseBaseAbsolutes, basePositions, weights, , isMirrored, correspondences, points] = cases[1]![1];
    const whole = wholeMapResidualsJacobian(theta, parents, baseRelatives, inverseBaseAbsolutes, basePositions, weights, isMirrored, correspondences, points);
    expect(relError(rowsOf(cases[1]![1]), whole.jacobian)).toBeLessThan(1e-12);
  });

  it("writes into a caller's buffer when it is large enough, whatever it held", () => {
    const args = cases[2]![1];
    const fresh = handJacobian(...args);
    const buffer = new Float64Array(fresh.values.length + 5).fill(7);
    const reused = handJacobian(...args, buffer);
    expect(reused.values.buffer).toBe(buffer.buffer);
    expect(Array.from(reused.values)).toEqual(Array.from(fresh.values));
    expect(handJacobian(...args, new Float64Array(3)).values).toHaveLength(fresh.values.length);
  });

  it("the compressed pose Jacobian (4 forward sweeps) equals the generated dense one (26)", () => {
    for (const mirrored of [false, true]) {
      const [theta, , parents, baseRelatives, inverseBaseAbsolutes, , , , isMirrored] = syntheticArgs(7, { complicated: false, mirrored });
      const dense = handPoseJacobian(theta, parents, baseRelatives, inverseBaseAbsolutes, isMirrored);
      const { pose, start, index, entry } = poseJacobian(theta, parents, baseRelatives, inverseBaseAbsolutes, isMirrored);
      expect(pose).toEqual(dense.value);
      const sparse = dense.jacobian.map((row, e) => {
        const out = new Array<number>(row.length).fill(0);
        for (let p = start[e]!; p < start[e + 1]!; p++) out[index[p]!] = entry[p]!;
        return out;
      });
      expect(relError(sparse, dense.jacobian)).toBeLessThan(1e-15);
      // Not a trivially sparse matrix: every parameter moves some entry.
      for (let j = 0; j < 26; j++) expect(dense.jacobian.some((row) => row[j] !== 0)).toBe(true);
    }
  });
});
