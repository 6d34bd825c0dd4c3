/**
 * GradBench `kmeans`: cost(C) = Σ_i min_j ‖p_i - c_j‖². The eval's `dir` is H⁻¹∇cost with
 * H the Hessian with respect to the centroids, which is diagonal; the tool gets its
 * diagonal from one Hessian-vector product with v = 1 (H·1 = diag H) — tsgrad's own
 * forward-over-reverse, not finite differences.
 *
 * The derivatives of a min are those of the term it picked, so `dir` differentiates
 * `kmeansAssignedCost`, the cost with the assignment of points to centroids given, at the
 * assignment `closestCentroids` finds (the same choice as Math.min: the first on ties).
 * Differentiating kmeansCost through Math.min instead saves and replays every distance
 * (n·k·d values) and, in the HVP, carries a tangent through each; the assigned cost's HVP
 * saves nothing and runs over n·d terms.
 */
export function kmeansCost(points: readonly (readonly number[])[], centroids: readonly (readonly number[])[]): number {
  let cost = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    let closest = Infinity;
    for (let j = 0; j < centroids.length; j++) closest = Math.min(closest, squaredDistance(p, centroids[j]));
    cost += closest;
  }
  return cost;
}

/** The index of the centroid closest to each point (the first on ties); no derivative. */
export function closestCentroids(points: readonly (readonly number[])[], centroids: readonly (readonly number[])[]): number[] {
  const best = new Array<number>(points.length).fill(0);
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    let closest = Infinity;
    for (let j = 0; j < centroids.length; j++) {
      const dist = squaredDistance(p, centroids[j]);
      if (dist < closest) {
        closest = dist;
        best[i] = j;
      }
    }
  }
  return best;
}

/** ‖p - c‖². */
function squaredDistance(p: readonly number[], c: readonly number[]): number {
  let dist = 0;
  for (let l = 0; l < p.length; l++) {
    const diff = p[l] - c[l];
    dist += diff * diff;
  }
  return dist;
}

/**
 * kmeansCost with point i assigned to centroid `assignment[i]`: equal to kmeansCost, with
 * the same derivatives, when `assignment` is `closestCentroids(points, centroids)`.
 *
 * @hvp centroids
 */
export function kmeansAssignedCost(
  points: readonly (readonly number[])[],
  centroids: readonly (readonly number[])[],
  assignment: readonly number[],
): number {
  let cost = 0;
  for (let i = 0; i < points.length; i++) {
    for (let l = 0; l < points[i].length; l++) {
      const diff = points[i][l] - centroids[assignment[i]][l];
      cost += diff * diff;
    }
  }
  return cost;
}
