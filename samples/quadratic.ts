/**
 * Quadratic form with a non-symmetric matrix (first example of the lecture notes).
 *
 *   f(x) = 1/2 x^T A x - b^T x,        A ∈ R^{n×n} (not symmetric), b, x ∈ R^n
 *
 * Differential: df = 1/2 <dx, A x> + 1/2 <x, A dx> - <b, dx> = <1/2 (A + A^T) x - b, dx>, so
 *
 *   ∇_x f = 1/2 (A + A^T) x - b          (and ∇²f = 1/2 (A + A^T)).
 *
 * Only the symmetric part of A matters; a non-symmetric A checks that the transpose
 * appears in the gradient.
 */

/**
 * Hessian: ½(A + Aᵀ), constant.
 *
 * @grad x
 * @hvp x
 * @hessian x
 */
export function quadratic(x: readonly number[], A: readonly (readonly number[])[], b: readonly number[]): number {
  const n = x.length;
  let quad = 0;
  let lin = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) {
      row += A[i][j] * x[j];
    }
    quad += x[i] * row;
    lin += b[i] * x[i];
  }
  return 0.5 * quad - lin;
}

export function quadraticInputs(): Parameters<typeof quadratic> {
  const n = 6;
  const x: number[] = [];
  const A: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(0.3 * (i + 1) - 1);
    b.push(Math.cos(i + 0.5));
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      // Diagonally dominant, clearly non-symmetric.
      row.push(i === j ? 4 + i : Math.sin(3 * i + j + 1) + 0.5 * (j - i) / n);
    }
    A.push(row);
  }
  return [x, A, b];
}
