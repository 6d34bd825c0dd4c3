/**
 * GradBench `ht` (ADBench's hand tracking): the residuals between measured points and a
 * skinned hand model posed by theta (26 numbers: global angle-axis rotation, global
 * translation, then 4 joint angles for each of 5 fingers).
 *
 *   pose parameters P (3 × (B + 3)): column 0 = theta[0:3], column 1 = (1, 1, 1) (scale),
 *     column 2 = theta[3:6]; bone b uses column 3 + b; finger f's joints 1, 2, 3 (bones
 *     2 + 4f, 3 + 4f, 4 + 4f) take theta[6 + 4f .. 6 + 4f + 1] (rows 0, 1), theta[8 + 4f],
 *     theta[9 + 4f] (row 0): see poseSlot
 *   R_b = Rz(P[1]) Ry(P[2]) Rx(P[0]),  relative_b = base_relative_b [[R_b, 0], [0, 1]],
 *   absolute_b = absolute_parent(b) relative_b,  T_b = absolute_b inverse_base_absolute_b
 *   V_v = R_g (Σ_b w_vb (T_b x_v)[0:3]) + t   (x_v homogeneous; row 0 negated if mirrored;
 *     R_g the angle-axis rotation of theta[0:3], identity below norm 1e-4)
 *   simple:       err_i = point_i - V_{c_i}
 *   complicated:  err_i = point_i - (u_i0 V_a + u_i1 V_b + (1 - u_i0 - u_i1) V_c),
 *                 (a, b, c) = triangle c_i
 *
 * The Jacobian is chained from three tsgrad-generated stages, because every residual
 * depends on theta only through the posed bones:
 *
 *   1. `handPose` maps theta to the 12·B + 12 numbers every residual reads (the top three
 *      rows of each T_b, then R_g, then t); its 276 × 26 Jacobian comes from 4 compressed
 *      `@jvp` sweeps (htJacobian.ts; `@jacobian theta`, 26 sweeps, is the tests' reference).
 *   2. `skinnedSum` and `globalCoordinate` pose one vertex (skinning, then the global
 *      transform) as functions of that pose; `@vjp` (its pullback adds into sparse
 *      buffers the caller resets entry by entry), for every vertex a residual reads.
 *   3. `vertexResidual` / `triangleResidual` are one coordinate of one residual as a
 *      function of the posed vertices (and of the point's own two `us`); `@vjp`, likewise.
 *   htJacobian.ts chains the three (the chain rule, as sparse products); a row's `us`
 *   entries are stage 3's gradient `u` directly.
 *
 * `handObjective` is the whole map theta, us → err (each used vertex posed once); the tests
 * differentiate it with the tape runtime to check the chained Jacobian. Parameters take
 * the eval's JSON shapes as they are (no conversion before the timed call).
 */

/** A matrix as GradBench sends it: rows of numbers. (Parameters spell it out: the generated
 * file would not import this alias.) */
export type Matrix = readonly (readonly number[])[];

/**
 * The posed hand: [T_0 rows 0..2 (12, row-major), …, T_{B-1}, R_g (9, row-major), t (3)].
 *
 * @jacobian theta
 * @jvp theta
 */
export function handPose(
  theta: readonly number[],
  parents: readonly number[],
  baseRelatives: readonly (readonly (readonly number[])[])[],
  inverseBaseAbsolutes: readonly (readonly (readonly number[])[])[],
  isMirrored: boolean,
): number[] {
  const B = parents.length;
  // Pose parameters, column-major: P[3 * column + row].
  const P = new Array(3 * (B + 3)).fill(0);
  for (let r = 0; r < 3; r++) {
    P[r] = theta[r];
    P[3 + r] = 1;
    P[6 + r] = theta[3 + r];
  }
  for (let j = 6; j < theta.length; j++) P[poseSlot(j)] = theta[j];

  const out = new Array(12 * B + 12).fill(0);
  // Rows 0..2 of every absolute transform (row 3 is never read).
  const absolutes = new Array(12 * B).fill(0);
  const relative = new Array(16).fill(0);
  for (let b = 0; b < B; b++) {
    const c = 3 * (b + 3);
    const cx = Math.cos(P[c]);
    const sx = Math.sin(P[c]);
    const cz = Math.cos(P[c + 1]);
    const sz = Math.sin(P[c + 1]);
    const cy = Math.cos(P[c + 2]);
    const sy = Math.sin(P[c + 2]);
    // R = Rz Ry Rx, row by row.
    const r00 = cz * cy;
    const r01 = -sz * cx + cz * sy * sx;
    const r02 = sz * sx + cz * sy * cx;
    const r10 = sz * cy;
    const r11 = cz * cx + sz * sy * sx;
    const r12 = -cz * sx + sz * sy * cx;
    const r20 = -sy;
    const r21 = cy * sx;
    const r22 = cy * cx;
    for (let i = 0; i < 4; i++) {
      const m0 = baseRelatives[b][i][0];
      const m1 = baseRelatives[b][i][1];
      const m2 = baseRelatives[b][i][2];
      relative[4 * i] = m0 * r00 + m1 * r10 + m2 * r20;
      relative[4 * i + 1] = m0 * r01 + m1 * r11 + m2 * r21;
      relative[4 * i + 2] = m0 * r02 + m1 * r12 + m2 * r22;
      relative[4 * i + 3] = baseRelatives[b][i][3];
    }
    const parent = parents[b];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) {
        if (parent === -1) {
          absolutes[12 * b + 4 * i + j] = relative[4 * i + j];
        } else {
          const p = 12 * parent + 4 * i;
          absolutes[12 * b + 4 * i + j] =
            absolutes[p] * relative[j] + absolutes[p + 1] * relative[4 + j] + absolutes[p + 2] * relative[8 + j] + absolutes[p + 3] * relative[12 + j];
        }
      }
    }
    const sign = isMirrored ? -1 : 1;
    for (let i = 0; i < 3; i++) {
      const a = 12 * b + 4 * i;
      for (let j = 0; j < 4; j++) {
        const t = 
          absolutes[a] * inverseBaseAbsolutes[b][0][j] +
          absolutes[a + 1] * inverseBaseAbsolutes[b][1][j] +
          absolutes[a + 2] * inverseBaseAbsolutes[b][2][j] +
          absolutes[a + 3] * inverseBaseAbsolutes[b][3][j];
        out[a + j] = i === 0 ? sign * t : t;
      }
    }
  }

  // The global rotation (its columns scaled by P's column 1, which is all ones) and translation.
  const g = 12 * B;
  const norm = Math.sqrt(theta[0] * theta[0] + theta[1] * theta[1] + theta[2] * theta[2]);
  if (norm < 0.0001) {
    out[g] = 1;
    out[g + 4] = 1;
    out[g + 8] = 1;
  } else {
    const x = theta[0] / norm;
    const y = theta[1] / norm;
    const z = theta[2] / norm;
    const s = Math.sin(norm);
    const c = Math.cos(norm);
    out[g] = x * x + (1 - x * x) * c;
    out[g + 1] = x * y * (1 - c) - z * s;
    out[g + 2] = x * z * (1 - c) + y * s;
    out[g + 3] = x * y * (1 - c) + z * s;
    out[g + 4] = y * y + (1 - y * y) * c;
    out[g + 5] = y * z * (1 - c) - x * s;
    out[g + 6] = x * z * (1 - c) - y * s;
    out[g + 7] = z * y * (1 - c) + x * s;
    out[g + 8] = z * z + (1 - z * z) * c;
  }
  for (let r = 0; r < 3; r++) out[g + 9 + r] = P[6 + r];
  return out;
}

/**
 * Where theta[j] (j ≥ 6) goes in the pose parameters: P[poseSlot(j)], P column-major
 * (3 * column + row). Finger f = ⌊(j - 6) / 4⌋ starts at column 5 + 4f; its first joint
 * takes two angles (rows 0 and 1), the next two joints one each (row 0). Bone b is column
 * 3 + b.
 */
export function poseSlot(j: number): number {
  const f = Math.floor((j - 6) / 4);
  const s = (j - 6) % 4;
  const column = 5 + 4 * f + (s < 2 ? 0 : s - 1);
  return 3 * column + (s === 1 ? 1 : 0);
}

/**
 * A vertex skinned (before the global transform), its three coordinates summed:
 * S_0 + S_1 + S_2 with S = Σ_b w_b (T_b x)[0:3], `pose` from handPose, x the vertex's
 * homogeneous base position. Coordinate r reads only row r of each T_b, so this one
 * gradient holds the gradients of all three coordinates, on disjoint entries.
 *
 * @vjp pose
 */
export function skinnedSum(pose: readonly number[], weights: readonly number[], position: readonly number[]): number {
  let sum = 0;
  for (let b = 0; b < weights.length; b++) {
    const w = weights[b];
    if (w !== 0) {
      for (let r = 0; r < 3; r++) {
        const e = 12 * b + 4 * r;
        sum += w * (pose[e] * position[0] + pose[e + 1] * position[1] + pose[e + 2] * position[2] + pose[e + 3] * position[3]);
      }
    }
  }
  return sum;
}

/** S = Σ_b w_b (T_b x)[0:3] into out[0..3). */
export function skinnedInto(pose: readonly number[], weights: readonly number[], position: readonly number[], out: number[]): void {
  out[0] = 0;
  out[1] = 0;
  out[2] = 0;
  for (let b = 0; b < weights.length; b++) {
    const w = weights[b];
    if (w !== 0) {
      for (let r = 0; r < 3; r++) {
        const e = 12 * b + 4 * r;
        out[r] += w * (pose[e] * position[0] + pose[e + 1] * position[1] + pose[e + 2] * position[2] + pose[e + 3] * position[3]);
      }
    }
  }
}

/**
 * Coordinate k of a posed vertex from its skinned position S: (R_g S + t)[k].
 *
 * @vjp pose, skinned
 */
export function globalCoordinate(pose: readonly number[], skinned: readonly number[], k: number): number {
  const g = pose.length - 12;
  return pose[g + 3 * k] * skinned[0] + pose[g + 3 * k + 1] * skinned[1] + pose[g + 3 * k + 2] * skinned[2] + pose[g + 9 + k];
}

/** A posed vertex, R_g S + t (globalCoordinate of skinnedInto for k = 0, 1, 2), into out[at..at+3). */
export function posedVertexInto(pose: readonly number[], weights: readonly number[], position: readonly number[], out: number[], at: number): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let b = 0; b < weights.length; b++) {
    const w = weights[b];
    if (w !== 0) {
      const o = 12 * b;
      s0 += w * (pose[o] * position[0] + pose[o + 1] * position[1] + pose[o + 2] * position[2] + pose[o + 3] * position[3]);
      s1 += w * (pose[o + 4] * position[0] + pose[o + 5] * position[1] + pose[o + 6] * position[2] + pose[o + 7] * position[3]);
      s2 += w * (pose[o + 8] * position[0] + pose[o + 9] * position[1] + pose[o + 10] * position[2] + pose[o + 11] * position[3]);
    }
  }
  const g = 12 * weights.length;
  for (let k = 0; k < 3; k++) out[at + k] = pose[g + 3 * k] * s0 + pose[g + 3 * k + 1] * s1 + pose[g + 3 * k + 2] * s2 + pose[g + 9 + k];
}

/**
 * Coordinate k of a simple residual, point[k] - V[k], with V = posed[a..a+3).
 *
 * @vjp posed
 */
export function vertexResidual(posed: readonly number[], a: number, point: readonly number[], k: number): number {
  return point[k] - posed[a + k];
}

/**
 * Coordinate k of a complicated residual, point[k] - (u0 V_a + u1 V_b + (1 - u0 - u1) V_c)[k],
 * with V_x = posed[x..x+3).
 *
 * @vjp u, posed
 */
export function triangleResidual(u: readonly number[], posed: readonly number[], a: number, b: number, c: number, point: readonly number[], k: number): number {
  return point[k] - (u[0] * posed[a + k] + u[1] * posed[b + k] + (1 - u[0] - u[1]) * posed[c + k]);
}

/**
 * Which vertices the residuals read, in order of first use: slot[v] is the place of vertex
 * v among them (-1 if unused; `slot` comes filled with -1), used[s] the vertex in place s.
 * Returns their number.
 */
export function usedVertices(us: readonly (readonly number[])[], triangles: readonly (readonly number[])[], correspondences: readonly number[], slot: Int32Array, used: Int32Array): number {
  let count = 0;
  for (let i = 0; i < correspondences.length; i++) {
    const c = correspondences[i];
    for (let x = 0; x < (us.length === 0 ? 1 : 3); x++) {
      const v = us.length === 0 ? c : triangles[c][x];
      if (slot[v] < 0) {
        slot[v] = count;
        used[count] = v;
        count++;
      }
    }
  }
  return count;
}

/**
 * The objective: err (3N numbers, point by point). `us` is empty for the simple variant
 * (correspondences are vertices), else one (u0, u1) per point (correspondences are
 * triangles). Each vertex a residual reads is posed once.
 */
export function handObjective(
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
): number[] {
  const pose = handPose(theta, parents, baseRelatives, inverseBaseAbsolutes, isMirrored);
  const slot = new Int32Array(basePositions.length).fill(-1);
  const used = new Int32Array(Math.min(basePositions.length, correspondences.length * (us.length === 0 ? 1 : 3)));
  const count = usedVertices(us, triangles, correspondences, slot, used);
  const posed = new Array(3 * count).fill(0);
  for (let s = 0; s < count; s++) posedVertexInto(pose, weights[used[s]], basePositions[used[s]], posed, 3 * s);
  const n = correspondences.length;
  const err = new Array(3 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const c = correspondences[i];
    for (let k = 0; k < 3; k++) {
      if (us.length === 0) {
        err[3 * i + k] = vertexResidual(posed, 3 * slot[c], points[i], k);
      } else {
        const t = triangles[c];
        err[3 * i + k] = triangleResidual(us[i], posed, 3 * slot[t[0]], 3 * slot[t[1]], 3 * slot[t[2]], points[i], k);
      }
    }
  }
  return err;
}
