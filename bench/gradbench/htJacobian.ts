/**
 * The Jacobian of `handObjective` (ht.ts), chained from its three tsgrad-generated stages:
 *
 *   G   = ∂pose/∂theta           handPoseJvp (276 × 26: 4 compressed forward sweeps, once per call)
 *   D_v = ∂V_v/∂theta = ∂V_v/∂pose · G   skinnedSumVjpInto (once) and globalCoordinateVjpInto
 *                                  (per coordinate) for every vertex v a residual reads
 *   row 3i + k = [∂err_ik/∂u_i (complicated only), ∂err_ik/∂V · D]
 *                                  vertexResidualVjpInto / triangleResidualVjpInto
 *
 * Sparsity keeps the products cheap, as in ADBench's manual Jacobian: ∂V_v/∂pose is
 * nonzero only on the bones that weigh on v (plus one row of R_g and one entry of t) and
 * the skinning's coordinates read disjoint rows of the bone transforms (one gradient serves
 * all three), each
 * row of G only on the parameters of one finger (or the three rotation / three translation
 * parameters), and a residual reads one or three vertices. G's nonzeros are read off the
 * structure (poseJacobian); the other two are skipped as the exact zeros of the gradients. A residual
 * depends only on its own point's `us`, so that block is diagonal and stage 3's `u` is
 * its row (GradBench's compressed columns 0 and 1). The stages are pullbacks (`fVjpInto` with
 * cotangent 1), which add into their buffers: `chain` resets the few entries it reads, where
 * `fGradInto`, which overwrites, would clear every entry on every call.
 *
 * The result is row-major: `values[row * cols + col]`, columns [u0, u1 (complicated
 * only), theta[0..25]], GradBench's `ht` layout. It is written into `buffer` when that is
 * large enough (an optimizer loop, or the GradBench tool, reuses one), else into a new array.
 */
import { poseSlot, skinnedInto, usedVertices } from "./ht.ts";
import { globalCoordinateVjpInto, handPoseJvp, skinnedSumVjpInto, triangleResidualVjpInto, vertexResidualVjpInto } from "./ht.grad.ts";

export interface HandJacobian {
  rows: number;
  cols: number;
  values: Float64Array;
}

export function handJacobian(
  theta: readonly number[],
  us: readonly (readonly number[])[],
  parents: readonly number[],
  baseRelatives: readonly (readonly (readonly number[])[])[],
  inverseBaseAbsolutes: readonly (readonly (readonly number[])[])[],
  basePositions: readonly (readonly number[])[],
  weights: readonly (readonly number[])[],
  triangles: readonly (readonly number[])[],
  isMirrored: boolean,
  correspondences: readonly number[],
  points: readonly (readonly number[])[],
  buffer?: Float64Array,
): HandJacobian {
  const { pose, start, index, entry } = poseJacobian(theta, parents, baseRelatives, inverseBaseAbsolutes, isMirrored);
  const B = parents.length;
  const m = theta.length;
  const complicated = us.length > 0;
  const n = correspondences.length;

  // Stage 2: the posed vertices the residuals read, and D (3 × m per vertex, row-major).
  const slot = new Int32Array(basePositions.length).fill(-1);
  const used = new Int32Array(Math.min(basePositions.length, n * (complicated ? 3 : 1)));
  const count = usedVertices(us, triangles, correspondences, slot, used);
  const posed = new Array<number>(3 * count).fill(0);
  const D = new Float64Array(3 * count * m);
  const poseBar = new Array<number>(pose.length).fill(0);
  const poseGrad = { pose: poseBar };
  const skinned = [0, 0, 0];
  const skinnedBar = [0, 0, 0];
  const globalGrad = { pose: poseBar, skinned: skinnedBar };
  const DS = new Float64Array(3 * m);
  const g = 12 * B;
  for (let s = 0; s < count; s++) {
    const w = weights[used[s]!]!;
    const x = basePositions[used[s]!]!;
    // ∂S/∂theta: one gradient of S_0 + S_1 + S_2, whose entries in row r of a T_b belong to S_r.
    skinnedInto(pose, w, x, skinned);
    skinnedSumVjpInto(pose, w, x, 1, poseGrad);
    DS.fill(0);
    for (let b = 0; b < B; b++) {
      if (w[b] !== 0) for (let r = 0; r < 3; r++) chain(poseBar, 12 * b + 4 * r, 12 * b + 4 * r + 4, start, index, entry, DS, r * m);
    }
    // ∂V_k/∂theta = ∂V_k/∂S · ∂S/∂theta + ∂V_k/∂(R_g, t) · G.
    for (let k = 0; k < 3; k++) {
      posed[3 * s + k] = globalCoordinateVjpInto(pose, skinned, k, 1, globalGrad);
      const at = (3 * s + k) * m;
      chain(poseBar, g + 3 * k, g + 3 * k + 3, start, index, entry, D, at);
      chain(poseBar, g + 9 + k, g + 10 + k, start, index, entry, D, at);
      for (let r = 0; r < 3; r++) {
        const bar = skinnedBar[r]!;
        for (let j = 0; j < m; j++) D[at + j] += bar * DS[r * m + j]!;
        skinnedBar[r] = 0;
      }
    }
  }

  // Stage 3: each residual row from the rows of D of the vertices it reads.
  const offset = complicated ? 2 : 0;
  const cols = offset + m;
  const values = buffer && buffer.length >= 3 * n * cols ? buffer.subarray(0, 3 * n * cols).fill(0) : new Float64Array(3 * n * cols);
  const posedBar = new Array<number>(3 * count).fill(0);
  const uBar = [0, 0];
  const residualGrad = { u: uBar, posed: posedBar };
  const vertexGrad = { posed: posedBar };
  for (let i = 0; i < n; i++) {
    const c = correspondences[i]!;
    for (let k = 0; k < 3; k++) {
      const out = (3 * i + k) * cols;
      if (complicated) {
        const t = triangles[c]!;
        const a = 3 * slot[t[0]!]!;
        const b = 3 * slot[t[1]!]!;
        const d = 3 * slot[t[2]!]!;
        triangleResidualVjpInto(us[i]!, posed, a, b, d, points[i]!, k, 1, residualGrad);
        values[out] = uBar[0]!;
        values[out + 1] = uBar[1]!;
        uBar[0] = 0;
        uBar[1] = 0;
        chainDense(posedBar, a, D, m, values, out + offset);
        chainDense(posedBar, b, D, m, values, out + offset);
        chainDense(posedBar, d, D, m, values, out + offset);
      } else {
        const a = 3 * slot[c]!;
        vertexResidualVjpInto(posed, a, points[i]!, k, 1, vertexGrad);
        chainDense(posedBar, a, D, m, values, out);
      }
    }
  }
  return { rows: 3 * n, cols, values };
}

/**
 * G = ∂pose/∂theta in sparse rows, from a few forward sweeps (handPoseJvp) instead of one per
 * parameter: columns that no pose entry shares are seeded together (Curtis–Powell–Reid
 * compression) and told apart by the sparsity pattern. The pattern follows from handPose's
 * structure: bone b's twelve entries depend on the angles that pose b or one of its
 * ancestors (theta[j] poses bone ⌊poseSlot(j) / 3⌋ - 3), R_g on theta[0..2], t_r on
 * theta[3 + r]. The fingers are disjoint subtrees, so 4 sweeps do for 26 parameters.
 */
export function poseJacobian(
  theta: readonly number[],
  parents: readonly number[],
  baseRelatives: readonly (readonly (readonly number[])[])[],
  inverseBaseAbsolutes: readonly (readonly (readonly number[])[])[],
  isMirrored: boolean,
): { pose: number[]; start: Int32Array; index: number[]; entry: number[] } {
  const B = parents.length;
  const m = theta.length;
  // The pattern, per block: blocks 0..B-1 are the bones, B is R_g, B + 1 + r is t_r.
  const posedBy: number[][] = Array.from({ length: B }, () => []);
  for (let j = 6; j < m; j++) posedBy[Math.floor(poseSlot(j) / 3) - 3]!.push(j);
  const depends: number[][] = [];
  for (let b = 0; b < B; b++) {
    const cols: number[] = [];
    for (let a = b; a !== -1; a = parents[a]!) cols.push(...posedBy[a]!);
    depends.push(cols.sort((x, y) => x - y));
  }
  depends.push([0, 1, 2], [3], [4], [5]);
  const blockOf = (e: number) => (e < 12 * B ? Math.floor(e / 12) : e < 12 * B + 9 ? B : B + 1 + (e - 12 * B - 9));
  // Greedy colouring: a column takes the first colour none of its blocks has used.
  const colour = new Int32Array(m).fill(-1);
  let colours = 0;
  for (let j = 0; j < m; j++) {
    let c = 0;
    while (depends.some((cols) => cols.includes(j) && cols.some((i) => i !== j && colour[i] === c))) c++;
    colour[j] = c;
    colours = Math.max(colours, c + 1);
  }
  const seeds = Array.from({ length: colours }, (_, c) => handPoseJvp(theta, parents, baseRelatives, inverseBaseAbsolutes, isMirrored, {
    theta: Array.from(colour, (k) => (k === c ? 1 : 0)),
  }));
  const pose = seeds[0]!.value;
  const start = new Int32Array(pose.length + 1);
  const index: number[] = [];
  const entry: number[] = [];
  for (let e = 0; e < pose.length; e++) {
    for (const j of depends[blockOf(e)]!) {
      const d = seeds[colour[j]!]!.tangent[e]!;
      if (d !== 0) {
        index.push(j);
        entry.push(d);
      }
    }
    start[e + 1] = index.length;
  }
  return { pose, start, index, entry };
}

/** out[at + j] += Σ_{from ≤ e < to} bar[e] G[e][j] (G in sparse rows), then bar[from..to) = 0. */
function chain(bar: number[], from: number, to: number, start: Int32Array, index: number[], entry: number[], out: Float64Array, at: number): void {
  for (let e = from; e < to; e++) {
    const b = bar[e]!;
    if (b === 0) continue;
    for (let p = start[e]!; p < start[e + 1]!; p++) out[at + index[p]!] += b * entry[p]!;
    bar[e] = 0;
  }
}

/** out[at + j] += Σ_{r < 3} bar[a + r] D[a + r][j] (D dense, m columns), then bar[a..a+3) = 0. */
function chainDense(bar: number[], a: number, D: Float64Array, m: number, out: Float64Array, at: number): void {
  for (let e = a; e < a + 3; e++) {
    const b = bar[e]!;
    if (b === 0) continue;
    for (let j = 0; j < m; j++) out[at + j] += b * D[e * m + j]!;
    bar[e] = 0;
  }
}

/** The rows of a row-major Jacobian, as GradBench's JSON wants them. */
export function jacobianRows(J: HandJacobian): number[][] {
  const out: number[][] = new Array(J.rows);
  for (let r = 0; r < J.rows; r++) {
    const row = new Array<number>(J.cols);
    for (let c = 0; c < J.cols; c++) row[c] = J.values[r * J.cols + c]!;
    out[r] = row;
  }
  return out;
}
