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

/** An empty Jacobian of the right size for `b` (nnz = 31p), to reuse across calls. */
export function baJacobianBuffers(b: BaProblem): BaSparseJacobian {
  const nnz = (2 * BA_ROW_NNZ + 1) * b.p;
  return {
    nrows: 3 * b.p,
    ncols: 11 * b.n + 3 * b.m + b.p,
    rows: new Int32Array(3 * b.p + 1),
    cols: new Int32Array(nnz),
    vals: new Float64Array(nnz),
  };
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
 * The sparse Jacobian of the residuals with respect to (cams, X, w): per observation, one
 * generated forward sweep and two reverse sweeps (cotangents e0 and e1, one per residual),
 * and one gradient per weight residual. Each reverse sweep adds into the 11 camera and 3
 * point entries of its gradient buffers that observation's residual reads; they are copied
 * out and zeroed again. Also writes the residuals into reprojErr and wErr when given.
 */
export function baJacobian(
  b: BaProblem,
  J: BaSparseJacobian = baJacobianBuffers(b),
  scratch: BaScratch = baScratch(b),
  reprojErr?: Float64Array,
  wErr?: Float64Array,
): BaSparseJacobian {
  const { n, m, p, cams, X, w, obs, feats } = b;
  const { rows, cols, vals } = J;
  const grads = scratch.grads;
  const pointCol = 11 * n;
  const weightCol = 11 * n + 3 * m;
  let k = 0;
  rows[0] = 0;
  for (let i = 0; i < p; i++) {
    const cam = obs[2 * i]!;
    const pt = obs[2 * i + 1]!;
    const c = 11 * cam;
    const x = 3 * pt;
    grads[0].w = 0;
    grads[1].w = 0;
    const e = baReprojectionErrorVjpRowsInto(cams, cam, X, pt, w[i]!, feats, i, ROWS, grads);
    for (let r = 0; r < 2; r++) {
      const grad = grads[r]!;
      const gc = grad.cams;
      const gx = grad.X;
      if (reprojErr) reprojErr[2 * i + r] = e[r]!;
      for (let q = 0; q < 11; q++) {
        cols[k] = c + q;
        vals[k++] = gc[c + q]!;
        gc[c + q] = 0;
      }
      for (let q = 0; q < 3; q++) {
        cols[k] = pointCol + x + q;
        vals[k++] = gx[x + q]!;
        gx[x + q] = 0;
      }
      cols[k] = weightCol + i;
      vals[k++] = grad.w;
      rows[2 * i + r + 1] = k;
    }
  }
  const wg = scratch.weightGrad;
  for (let i = 0; i < p; i++) {
    wg.w = 0;
    const e = baWeightErrorGradInto(w[i]!, wg);
    if (wErr) wErr[i] = e;
    cols[k] = weightCol + i;
    vals[k++] = wg.w;
    rows[2 * p + i + 1] = k;
  }
  return J;
}
