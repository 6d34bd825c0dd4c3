/**
 * GradBench `kmeans`: cost(C) = Σ_i min_j ‖p_i - c_j‖². The eval's `dir` is H⁻¹∇cost with
 * H the Hessian with respect to the centroids, which is diagonal; the tool gets its
 * diagonal from one Hessian-vector product with v = 1 (H·1 = diag H) — tsgrad's own
 * forward-over-reverse, not finite differences.
 *
 * The derivatives of a min are those of the term it picked, so `dir` differentiates
 * `kmeansClosestCost`: the same cost, written as "find the closest centroid's index, then
 * add that centroid's distance". The index search carries no derivative (comparisons and
 * a counter), so its HVP is one pass over the points that searches as the primal does and
 * differentiates only the n·d terms it picked. Differentiating kmeansCost through Math.min
 * instead saves and replays every distance (n·k·d values) and, in the HVP, carries a
 * tangent through each.
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

/** ‖p - c‖². */
function squaredDistance(p: readonly number[], c: readonly number[]): number {
  let dist = 0;
  for (let l = 0; l < p.length; l++) {
    const diff = p[l] - c[l];
    dist += diff * diff;
  }
  return dist;
}

/** The index of the centroid closest to p (the first on ties, as Math.min picks). */
function closestIndex(p: readonly number[], centroids: readonly (readonly number[])[]): number {
  let best = 0;
  let closest = Infinity;
  for (let j = 0; j < centroids.length; j++) {
    const dist = squaredDistance(p, centroids[j]);
    if (dist < closest) {
      closest = dist;
      best = j;
    }
  }
  return best;
}

/**
 * kmeansCost, with each point's term taken from its closest centroid by index: equal to
 * kmeansCost, with the same derivatives.
 *
 * @hvp centroids
 */
export function kmeansClosestCost(points: readonly (readonly number[])[], centroids: readonly (readonly number[])[]): number {
  let cost = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    const c = centroids[closestIndex(p, centroids)];
    for (let l = 0; l < p.length; l++) {
      const diff = p[l] - c[l];
      cost += diff * diff;
    }
  }
  return cost;
}
