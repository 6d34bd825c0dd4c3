/**
 * Bundle adjustment's residuals as one function of every camera, point and weight, for
 * `@jacobian … sparse` (bench/sparse.ts compares it with samples/baJacobian.ts, which wires
 * the Jacobian's rows by hand from per-observation VJPs). Rows: the two reprojection
 * residuals of each observation, then one weight residual each (ADBench's order); columns:
 * cams, X, w flattened in that order, so the detected pattern is ADBench's BASparseMat.
 * The projection is samples/ba.ts's baReprojectionError, written out in the loop.
 *
 * @jacobian cams, X, w sparse
 */
export function baResiduals(cams: Float64Array, X: Float64Array, w: Float64Array, obs: Int32Array, feats: Float64Array): number[] {
  const r: number[] = [];
  for (let i = 0; i < w.length; i++) {
    const c = 11 * obs[2 * i];
    const pt = obs[2 * i + 1];
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
      y0 = x0 + (r1 * x2 - r2 * x1);
      y1 = x1 + (r2 * x0 - r0 * x2);
      y2 = x2 + (r0 * x1 - r1 * x0);
    }
    const p0 = y0 / y2;
    const p1 = y1 / y2;
    const rsq = p0 * p0 + p1 * p1;
    const distortion = 1 + cams[c + 9] * rsq + cams[c + 10] * rsq * rsq;
    const f = cams[c + 6];
    r.push(w[i] * (p0 * distortion * f + cams[c + 7] - feats[2 * i]));
    r.push(w[i] * (p1 * distortion * f + cams[c + 8] - feats[2 * i + 1]));
  }
  for (let i = 0; i < w.length; i++) r.push(1 - w[i] * w[i]);
  return r;
}

/** A small problem for `tsgrad verify`: 2 cameras, 3 points in front of them, 4 observations. */
export function baResidualsInputs(random: () => number): [Float64Array, Float64Array, Float64Array, Int32Array, Float64Array] {
  const cams = new Float64Array(22);
  for (let c = 0; c < 2; c++) {
    const camera = [0.2 * random() - 0.1, 0.2 * random() - 0.1, 0.2 * random() - 0.1, 0.2 * random(), 0.2 * random(), 0.2 * random(), 1 + random(), 0.1 * random(), 0.1 * random(), 0.01 * random(), 0.001 * random()];
    cams.set(camera, 11 * c);
  }
  const X = Float64Array.from({ length: 9 }, (_, k) => (k % 3 === 2 ? 4 + 2 * random() : random() - 0.5));
  const w = Float64Array.from({ length: 4 }, () => 0.5 + random());
  const obs = Int32Array.from([0, 0, 0, 1, 1, 1, 1, 2]);
  const feats = Float64Array.from({ length: 8 }, () => random() - 0.5);
  return [cams, X, w, obs, feats];
}
