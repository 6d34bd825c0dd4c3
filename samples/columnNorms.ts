/**
 * Weighted sum of the column norms of a matrix (the L2,1 norm when all weights are 1):
 *
 *   f(M, w) = Σ_j w_j ||M_{:,j}||_2,   M ∈ R^{m×n} (number[][]), w ∈ R^n (Float64Array)
 *
 * The squared norms are accumulated into a local Float64Array with `+=` on its elements.
 * With c_j = ||M_{:,j}||_2 (all non-zero at the inputs used):
 *
 *   ∂f/∂M_ij = w_j M_ij / c_j,     ∂f/∂w_j = c_j
 */

/** @grad M, w */
export function columnNorms(M: readonly (readonly number[])[], w: Float64Array): number {
  const n = w.length;
  const sq = new Float64Array(n);
  for (let i = 0; i < M.length; i++) {
    for (let j = 0; j < n; j++) {
      sq[j] += M[i][j] * M[i][j];
    }
  }
  let f = 0;
  for (let j = 0; j < n; j++) {
    f += w[j] * Math.sqrt(sq[j]);
  }
  return f;
}

export function columnNormsInputs(): Parameters<typeof columnNorms> {
  const m = 6;
  const n = 5;
  const M: number[][] = [];
  for (let i = 0; i < m; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) row.push(Math.cos(2.3 * i - 1.1 * j + 0.4) + 0.1 * j);
    M.push(row);
  }
  const w = Float64Array.from([1.0, 0.5, 2.0, -0.75, 1.25]);
  return [M, w];
}
