/**
 * Bundle adjustment beyond one observation (no annotations here; samples/ba.ts holds the
 * differentiated functions): expanding ADBench's compact input, and assembling the sparse
 * Jacobian from tsgrad's generated vector-Jacobian products in ADBench's BASparseMat layout.
 *
 * The Jacobian has 2p + p rows (two reprojection residuals per observation, then one weight
 * residual per observation) and 11n + 3m + p columns (cameras, points, weights), stored in
 * compressed rows: rows[r]..rows[r+1]-1 index cols and vals of row r. Reprojection rows 2i
 * and 2i+1 hold 15 entries each, in this order: the 11 parameters of observation i's camera,
 * the 3 coordinates of its point, its weight; weight row 2p + i holds ∂(1 - w_i²)/∂w_i.
 */
import { baReprojectionError, baWeightError } from "./ba.ts";
import { baReprojectionErrorVjpRowsInto, baWeightErrorGradInto, type BaReprojectionErrorVjpGradient } from "./ba.grad.ts";

/** A bundle adjustment problem with every camera, point, weight and feature spelled out. */
export interface BaProblem {
  n: number;
  m: number;
  p: number;
  /** 11 per camera. */
  cams: Float64Array;
  /** 3 per point. */
  X: Float64Array;
  /** One per observation. */
  w: Float64Array;
  /** Observation i sees point obs[2i + 1] in camera obs[2i]. */
  obs: Int32Array;
  /** 2 per observation. */
  feats: Float64Array;
}

/**
 * ADBench's data files store one camera, point, weight and feature and the counts n, m, p;
 * the reader (ADBench's BAData, GradBench's ba.hpp) replicates them and lets observation i
 * see camera i mod n and point i mod m. So does this.
 */
export function expandBa(n: number, m: number, p: number, cam: readonly number[], x: readonly number[], w: number, feat: readonly number[]): BaProblem {
  const cams = new Float64Array(11 * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < 11; k++) cams[11 * i + k] = cam[k]!;
  const X = new Float64Array(3 * m);
  for (let j = 0; j < m; j++) for (let k = 0; k < 3; k++) X[3 * j + k] = x[k]!;
  const weights = new Float64Array(p).fill(w);
  const obs = new Int32Array(2 * p);
  const feats = new Float64Array(2 * p);
  for (let i = 0; i < p; i++) {
    obs[2 * i] = i % n;
    obs[2 * i + 1] = i % m;
    feats[2 * i] = feat[0]!;
    feats[2 * i + 1] = feat[1]!;
  }
  return { n, m, p, cams, X, w: weights, obs, feats };
}

/** Parses an ADBench / GradBench BA data file ("n m p", then cam, X, w, feat) and expands it. */
export function parseBa(text: string): BaProblem {
  const v = text.trim().split(/\s+/).map(Number);
  return expandBa(v[0]!, v[1]!, v[2]!, v.slice(3, 14), v.slice(14, 17), v[17]!, v.slice(18, 20));
}

/** The 2p reprojection residuals and p weight residuals of `b`, into fresh or given arrays. */
export function baObjective(
  b: BaProblem,
  reprojErr: Float64Array = new Float64Array(2 * b.p),
  wErr: Float64Array = new Float64Array(b.p),
): { reprojErr: Float64Array; wErr: Float64Array } {
  const { p, cams, X, w, obs, feats } = b;
  for (let i = 0; i < p; i++) {
    const e = baReprojectionError(cams, obs[2 * i]!, X, obs[2 * i + 1]!, w[i]!, feats, i);
    reprojErr[2 * i] = e[0]!;
    reprojErr[2 * i + 1] = e[1]!;
  }
  for (let i = 0; i < p; i++) wErr[i] = baWeightError(w[i]!);
  return { reprojErr, wErr };
}

/** ADBench's BASparseMat: compressed sparse rows. */
export interface BaSparseJacobian {
  nrows: number;
  ncols: number;
  /** nrows + 1 offsets into cols and vals. */
  rows: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
}

/** Nonzeros per reprojection row: 11 camera parameters, 3 point coordinates, 1 weight. */
export const BA_ROW_NNZ = 15;

/**
 * The Jacobian of `b` (nnz = 31p) with its sparsity pattern (rows and cols) written and its
 * values zero, to reuse across calls. The pattern depends only on which camera and point
 * each observation sees, so it is computed once here, as a sparse solver's symbolic phase
 * is; `baJacobian` fills in the values.
 */
export function baJacobianBuffers(b: BaProblem): BaSparseJacobian {
  const { n, m, p, obs } = b;
  const nnz = (2 * BA_ROW_NNZ + 1) * p;
  const rows = new Int32Array(3 * p + 1);
  const cols = new Int32Array(nnz);
  const pointCol = 11 * n;
  const weightCol = 11 * n + 3 * m;
  let k = 0;
  for (let i = 0; i < p; i++) {
    for (let r = 0; r < 2; r++) {
      for (let q = 0; q < 11; q++) cols[k++] = 11 * obs[2 * i]! + q;
      for (let q = 0; q < 3; q++) cols[k++] = pointCol + 3 * obs[2 * i + 1]! + q;
      cols[k++] = weightCol + i;
      rows[2 * i + r + 1] = k;
    }
  }
  for (let i = 0; i < p; i++) {
    cols[k++] = weightCol + i;
    rows[2 * p + i + 1] = k;
  }
  return { nrows: 3 * p, ncols: 11 * n + 3 * m + p, rows, cols, vals: new Float64Array(nnz) };
}

/**
 * Scratch for the generated VJPs: one gradient over all cameras and points per reprojection
 * residual, kept zero between observations.
 */
export interface BaScratch {
  grads: [BaReprojectionErrorVjpGradient, BaReprojectionErrorVjpGradient];
  weightGrad: { w: number };
}

export function baScratch(b: BaProblem): BaScratch {
  const grad = (): BaReprojectionErrorVjpGradient => ({ cams: new Float64Array(11 * b.n), X: new Float64Array(3 * b.m), w: 0 });
  return { grads: [grad(), grad()], weightGrad: { w: 0 } };
}

/** The cotangents e0 and e1: one row of the Jacobian each. */
const ROWS = [Float64Array.of(1, 0), Float64Array.of(0, 1)];

/**
 * The values of the sparse Jacobian of the residuals with respect to (cams, X, w), into `J`
 * (from `baJacobianBuffers(b)`, which holds the pattern): per observation, one generated
 * forward sweep and two reverse sweeps (`baReprojectionErrorVjpRowsInto`, cotangents e0 and
 * e1, one per residual), and one gradient per weight residual. Each reverse sweep adds into
 * the 11 camera and 3 point entries of its gradient buffers that the observation reads;
 * they are copied out and zeroed again. Also writes the residuals into reprojErr and wErr
 * when given.
 */
export function baJacobian(
  b: BaProblem,
  J: BaSparseJacobian = baJacobianBuffers(b),
  scratch: BaScratch = baScratch(b),
  reprojErr?: Float64Array,
  wErr?: Float64Array,
): BaSparseJacobian {
  const { p, cams, X, w, obs, feats } = b;
  const vals = J.vals;
  const grads = scratch.grads;
  const [g0, g1] = grads;
  const [cams0, X0, cams1, X1] = [g0.cams, g0.X, g1.cams, g1.X];
  for (let i = 0; i < p; i++) {
    const cam = obs[2 * i]!;
    const pt = obs[2 * i + 1]!;
    g0.w = 0;
    g1.w = 0;
    const e = baReprojectionErrorVjpRowsInto(cams, cam, X, pt, w[i]!, feats, i, ROWS, grads);
    if (reprojErr) {
      reprojErr[2 * i] = e[0]!;
      reprojErr[2 * i + 1] = e[1]!;
    }
    // Row 2i at k, row 2i + 1 at k + 15, each camera, point, weight (the pattern's order).
    const k = 2 * BA_ROW_NNZ * i;
    const c = 11 * cam;
    for (let q = 0; q < 11; q++) {
      vals[k + q] = cams0[c + q]!;
      vals[k + BA_ROW_NNZ + q] = cams1[c + q]!;
      cams0[c + q] = 0;
      cams1[c + q] = 0;
    }
    const x = 3 * pt;
    for (let q = 0; q < 3; q++) {
      vals[k + 11 + q] = X0[x + q]!;
      vals[k + BA_ROW_NNZ + 11 + q] = X1[x + q]!;
      X0[x + q] = 0;
      X1[x + q] = 0;
    }
    vals[k + 14] = g0.w;
    vals[k + BA_ROW_NNZ + 14] = g1.w;
  }
  const wg = scratch.weightGrad;
  const weightRows = 2 * BA_ROW_NNZ * p;
  for (let i = 0; i < p; i++) {
    const e = baWeightErrorGradInto(w[i]!, wg); // sets wg.w (GradInto overwrites)
    if (wErr) wErr[i] = e;
    vals[weightRows + i] = wg.w;
  }
  return J;
}
