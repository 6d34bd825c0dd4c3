/**
 * GradBench `det`: the determinant of an ℓ×ℓ matrix given row-major. The eval's reference
 * expands by minors; this computes it by Gaussian elimination with partial pivoting (the
 * row swaps flip the sign), which is O(ℓ³), and differentiates that.
 *
 * @grad A
 */
export function det(A: readonly number[], ell: number): number {
  const M = A.slice();
  let d = 1;
  for (let k = 0; k < ell; k++) {
    let p = k;
    let best = Math.abs(M[k * ell + k]);
    for (let i = k + 1; i < ell; i++) {
      const size = Math.abs(M[i * ell + k]);
      if (size > best) {
        best = size;
        p = i;
      }
    }
    if (p !== k) {
      for (let j = 0; j < ell; j++) {
        const t = M[k * ell + j];
        M[k * ell + j] = M[p * ell + j];
        M[p * ell + j] = t;
      }
      d = -d;
    }
    const pivot = M[k * ell + k];
    d *= pivot;
    for (let i = k + 1; i < ell; i++) {
      const f = M[i * ell + k] / pivot;
      for (let j = k + 1; j < ell; j++) M[i * ell + j] -= f * M[k * ell + j];
    }
  }
  return d;
}
