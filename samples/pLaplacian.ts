/**
 * A p-Laplacian energy on the unit square (p = 3), discretized on an n×n grid of interior
 * points with mesh width h = 1/(n + 1) and u = 0 on the boundary:
 *
 *   E(u) = h² Σ_cells (ε² + |∇u|²)^{3/2} / 3  −  h² Σ_k f u_k
 *
 * where each cell's gradient is the forward difference from its corner (i, j) to (i, j+1)
 * and (i+1, j). ε = 0.1 keeps E smooth and strictly convex, so Newton's method converges
 * quadratically near the minimizer (samples/pLaplacianNewton.ts).
 *
 * The Hessian couples each point with its four neighbours and with the two diagonal ones
 * a cell shares (up-right and down-left): 7 entries a row, whatever n is. A dense Hessian
 * has n⁴ entries; `@hessian u sparse` detects the pattern and computes it from a handful of
 * Hessian-vector products (one per color).
 *
 * @grad u
 * @hvp u
 * @hessian u sparse
 */
export function pLaplacian(u: Float64Array, n: number, f: number): number {
  const h = 1 / (n + 1);
  let cells = 0;
  for (let i = -1; i < n; i++) {
    for (let j = -1; j < n; j++) {
      const c = i >= 0 && j >= 0 ? u[i * n + j] : 0;
      const r = i >= 0 && j + 1 < n ? u[i * n + j + 1] : 0;
      const d = i + 1 < n && j >= 0 ? u[(i + 1) * n + j] : 0;
      const gx = (r - c) / h;
      const gy = (d - c) / h;
      const s = 0.01 + gx * gx + gy * gy;
      cells += (s * Math.sqrt(s)) / 3;
    }
  }
  let load = 0;
  for (let k = 0; k < n * n; k++) load += f * u[k];
  return h * h * (cells - load);
}

export function pLaplacianInputs(): Parameters<typeof pLaplacian> {
  const n = 4;
  return [Float64Array.from({ length: n * n }, (_, k) => 0.05 * Math.sin(k + 1)), n, 10];
}
