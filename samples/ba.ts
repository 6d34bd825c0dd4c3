/**
 * ADBench's bundle adjustment (Šrajer, Kukelova, Fitzgibbon 2018), written as its reference
 * C++ computes it. A camera is 11 numbers [r (3, angle-axis) | C (3, centre) | f | u0 v0 |
 * k1 k2]; observation i sees point X_j in camera c through
 *
 *   Xcam = R(r) (X_j - C)                      (Rodrigues; R = I + [r]× when ‖r‖ = 0)
 *   p    = Xcam[0:2] / Xcam[2] · (1 + k1 ρ + k2 ρ²),  ρ = ‖Xcam[0:2] / Xcam[2]‖²
 *   reproj_err_i = w_i (f p + (u0, v0) - feat_i)   (2 residuals)
 *   w_err_i      = 1 - w_i²
 *
 * Cameras, points and features live in flat Float64Arrays (11 per camera, 3 per point, 2
 * per feature) and the per-observation function reads its camera and point at offsets, as
 * the C++ reads them through pointers: the objective copies nothing. Its vector-Jacobian
 * product touches only the 11 + 3 entries of `cams` and `X` it read, which is what the
 * sparse Jacobian assembly (samples/baJacobian.ts) relies on.
 *
 * @vjp cams, X, w
 */
export function baReprojectionError(
  cams: Float64Array,
  cam: number,
  X: Float64Array,
  pt: number,
  w: number,
  feats: Float64Array,
  obs: number,
): number[] {
  const c = 11 * cam;
  const x0 = X[3 * pt] - cams[c + 3];
  const x1 = X[3 * pt + 1] - cams[c + 4];
  const x2 = X[3 * pt + 2] - cams[c + 5];
  const r0 = cams[c];
  const r1 = cams[c + 1];
  const r2 = cams[c + 2];
  const sqtheta = r0 * r0 + r1 * r1 + r2 * r2;
  let y0 = 0;
  let y1 = 0;
  let y2 = 0;
  if (sqtheta !== 0) {
    // Rodrigues: Xcam = Xo cos θ + (v × Xo) sin θ + v (v · Xo)(1 - cos θ), v = r / θ.
    const theta = Math.sqrt(sqtheta);
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const v0 = r0 / theta;
    const v1 = r1 / theta;
    const v2 = r2 / theta;
    const along = (v0 * x0 + v1 * x1 + v2 * x2) * (1 - cos);
    y0 = x0 * cos + (v1 * x2 - v2 * x1) * sin + v0 * along;
    y1 = x1 * cos + (v2 * x0 - v0 * x2) * sin + v1 * along;
    y2 = x2 * cos + (v0 * x1 - v1 * x0) * sin + v2 * along;
  } else {
    // First order at r = 0: Xcam = Xo + r × Xo.
    y0 = x0 + (r1 * x2 - r2 * x1);
    y1 = x1 + (r2 * x0 - r0 * x2);
    y2 = x2 + (r0 * x1 - r1 * x0);
  }
  const p0 = y0 / y2;
  const p1 = y1 / y2;
  const rsq = p0 * p0 + p1 * p1;
  const distortion = 1 + cams[c + 9] * rsq + cams[c + 10] * rsq * rsq;
  const f = cams[c + 6];
  return [w * (p0 * distortion * f + cams[c + 7] - feats[2 * obs]), w * (p1 * distortion * f + cams[c + 8] - feats[2 * obs + 1])];
}

/**
 * The weight error 1 - w² of one observation.
 *
 * @grad w
 */
export function baWeightError(w: number): number {
  return 1 - w * w;
}

/** ADBench's ba/test.txt (n = 2 cameras, m = 10 points), here observation 3: camera 1, point 3. */
export function baReprojectionErrorInputs(): Parameters<typeof baReprojectionError> {
  const cam = [1.797201, 0.590697, -0.635786, 90.85955, 29.361415, 28.777534, 211.628116, -0.284531, -14.762924, 0.058931, 0.069976];
  const point = [4.173048, 5.586898, 1.403869];
  const n = 2;
  const m = 10;
  const p = 10;
  const cams = Float64Array.from({ length: 11 * n }, (_, k) => cam[k % 11]!);
  const X = Float64Array.from({ length: 3 * m }, (_, k) => point[k % 3]!);
  const feats = Float64Array.from({ length: 2 * p }, (_, k) => (k % 2 ? 161.811929 : -525.672849));
  return [cams, 1, X, 3, 0.417022, feats, 3];
}

export function baWeightErrorInputs(): Parameters<typeof baWeightError> {
  return [0.417022];
}
