/**
 * GradBench `kmeans`: cost(C) = Σ_i min_j ‖p_i - c_j‖². The eval's `dir` is H⁻¹∇cost with
 * H the Hessian with respect to the centroids, which is diagonal; the tool gets its
 * diagonal from one Hessian-vector product with v = 1 (H·1 = diag H) — tsgrad's own
 * forward-over-reverse, not finite differences.
 *
 * @grad centroids
 * @hvp centroids
 */
export function kmeansCost(points: readonly (readonly number[])[], centroids: readonly (readonly number[])[]): number {
  let cost = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    let closest = Infinity;
    for (let j = 0; j < centroids.length; j++) {
      const c = centroids[j];
      let dist = 0;
      for (let l = 0; l < p.length; l++) {
        const diff = p[l] - c[l];
        dist += diff * diff;
      }
      closest = Math.min(closest, dist);
    }
    cost += closest;
  }
  return cost;
}
