/**
 * The Jacobian of `handObjective` (ht.ts), chained from its two tsgrad-generated stages:
 *
 *   G = ∂pose/∂theta         handPoseJacobian (276 × 26, 26 forward sweeps, once per call)
 *   g = ∂err_ik/∂(pose, u_i)  vertexResidualGradInto / triangleResidualGradInto, per row
 *   row 3i + k of the Jacobian = [g_u (complicated only), g_pose · G]
 *
 * Two kinds of sparsity keep the product cheap, as in ADBench's manual Jacobian:
 * g_pose is nonzero only on the bones that weigh on the row's vertices (plus one row of
 * R_g and one entry of t), and each row of G only on the parameters of one finger (or
 * the three rotation / three translation parameters). G's nonzeros are read off the
 * computed matrix (a forward sweep gives exact zeros where an output does not depend on a
 * parameter). A residual depends only on its own point's `us`, so that block is diagonal
 * and g_u is its row.
 *
 * The result is row-major: `values[row * cols + col]`, columns [u0, u1 (complicated
 * only), theta[0..25]] as GradBench's `ht` eval lays out its dense Jacobian.
 */
import type { Matrix } from "./ht.ts";
import { handPoseJacobian, triangleResidualGradInto, vertexResidualGradInto } from "./ht.grad.ts";

export interface HandJacobian {
  rows: number;
  cols: number;
  values: Float64Array;
}

export function handJacobian(
  theta: readonly number[],
  us: Matrix,
  parents: readonly number[],
  baseRelatives: readonly Matrix[],
  inverseBaseAbsolutes: readonly Matrix[],
  basePositions: Matrix,
  weights: Matrix,
  triangles: Matrix,
  isMirrored: boolean,
  correspondences: readonly number[],
  points: Matrix,
): HandJacobian {
  const { value: pose, jacobian: G } = handPoseJacobian(theta, parents, baseRelatives, inverseBaseAbsolutes, isMirrored);
  const B = parents.length;
  const nTheta = theta.length;
  const complicated = us.length > 0;
  const offset = complicated ? 2 : 0;
  const n = correspondences.length;
  const cols = offset + nTheta;
  const values = new Float64Array(3 * n * cols);

  // G's nonzeros, row by row (compressed sparse rows).
  const start = new Int32Array(pose.length + 1);
  const index: number[] = [];
  const entry: number[] = [];
  for (let e = 0; e < pose.length; e++) {
    const row = G[e]!;
    for (let j = 0; j < nTheta; j++) {
      if (row[j] !== 0) {
        index.push(j);
        entry.push(row[j]!);
      }
    }
    start[e + 1] = index.length;
  }
  const Gs: SparseRows = { start, index, entry };

  const poseBar = new Array<number>(pose.length).fill(0);
  const uBar = [0, 0];
  const grad = { pose: poseBar, u: uBar };
  const active = new Uint8Array(B);
  const g = 12 * B;
  for (let i = 0; i < n; i++) {
    const c = correspondences[i]!;
    const t = complicated ? triangles[c]! : undefined;
    for (let b = 0; b < B; b++) {
      active[b] = t
        ? Number(weights[t[0]!]![b] !== 0 || weights[t[1]!]![b] !== 0 || weights[t[2]!]![b] !== 0)
        : Number(weights[c]![b] !== 0);
    }
    for (let k = 0; k < 3; k++) {
      const out = (3 * i + k) * cols;
      if (t) {
        triangleResidualGradInto(
          pose, us[i]!, weights[t[0]!]!, weights[t[1]!]!, weights[t[2]!]!,
          basePositions[t[0]!]!, basePositions[t[1]!]!, basePositions[t[2]!]!, points[i]!, k, grad,
        );
        values[out] = uBar[0]!;
        values[out + 1] = uBar[1]!;
        uBar[0] = 0;
        uBar[1] = 0;
      } else {
        vertexResidualGradInto(pose, weights[c]!, basePositions[c]!, points[i]!, k, grad);
      }
      // row · G over the entries this row touched: the active bones, R_g's row k, t_k.
      for (let b = 0; b < B; b++) if (active[b]) chain(poseBar, Gs, 12 * b, 12 * b + 12, values, out + offset);
      chain(poseBar, Gs, g + 3 * k, g + 3 * k + 3, values, out + offset);
      chain(poseBar, Gs, g + 9 + k, g + 10 + k, values, out + offset);
    }
  }
  return { rows: 3 * n, cols, values };
}

interface SparseRows {
  start: Int32Array;
  index: number[];
  entry: number[];
}

/** values[at + j] += Σ_{from ≤ e < to} bar[e] G[e][j], then bar[from..to) = 0. */
function chain(bar: number[], G: SparseRows, from: number, to: number, values: Float64Array, at: number): void {
  for (let e = from; e < to; e++) {
    const b = bar[e]!;
    if (b === 0) continue;
    for (let p = G.start[e]!; p < G.start[e + 1]!; p++) values[at + G.index[p]!] += b * G.entry[p]!;
    bar[e] = 0;
  }
}

/** The rows of a row-major Jacobian, as GradBench's JSON wants them. */
export function jacobianRows(J: HandJacobian): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < J.rows; r++) out.push(Array.from(J.values.subarray(r * J.cols, (r + 1) * J.cols)));
  return out;
}
