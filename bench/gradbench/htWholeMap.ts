import { handPose } from "./ht.ts";

/**
 * The simple ht residuals as one map theta → err, for comparison only (bench/README.md):
 * `@jacobian theta` differentiates it whole, with 26 forward sweeps each re-running the
 * pose and every residual. htJacobian.ts's chained stages compute the same Jacobian.
 *
 * @jacobian theta
 */
export function wholeMapResiduals(
  theta: readonly number[],
  parents: readonly number[],
  baseRelatives: readonly (readonly (readonly number[])[])[],
  inverseBaseAbsolutes: readonly (readonly (readonly number[])[])[],
  basePositions: readonly (readonly number[])[],
  weights: readonly (readonly number[])[],
  isMirrored: boolean,
  correspondences: readonly number[],
  points: readonly (readonly number[])[],
): number[] {
  const pose = handPose(theta, parents, baseRelatives, inverseBaseAbsolutes, isMirrored);
  const B = parents.length;
  const n = correspondences.length;
  const err = new Array(3 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const c = correspondences[i];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let b = 0; b < B; b++) {
      const w = weights[c][b];
      if (w !== 0) {
        const o = 12 * b;
        s0 += w * (pose[o] * basePositions[c][0] + pose[o + 1] * basePositions[c][1] + pose[o + 2] * basePositions[c][2] + pose[o + 3] * basePositions[c][3]);
        s1 += w * (pose[o + 4] * basePositions[c][0] + pose[o + 5] * basePositions[c][1] + pose[o + 6] * basePositions[c][2] + pose[o + 7] * basePositions[c][3]);
        s2 += w * (pose[o + 8] * basePositions[c][0] + pose[o + 9] * basePositions[c][1] + pose[o + 10] * basePositions[c][2] + pose[o + 11] * basePositions[c][3]);
      }
    }
    const g = 12 * B;
    for (let k = 0; k < 3; k++) err[3 * i + k] = points[i][k] - (pose[g + 3 * k] * s0 + pose[g + 3 * k + 1] * s1 + pose[g + 3 * k + 2] * s2 + pose[g + 9 + k]);
  }
  return err;
}
