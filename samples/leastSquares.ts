/**
 * Linear least squares (third example of the lecture notes).
 *
 *   f(x) = 1/2 ||A x - b||_2^2,   A ∈ R^{m×n}, b ∈ R^m, x ∈ R^n
 *
 * With r = A x - b: df = <r, dr> = <r, A dx> = <A^T r, dx>, so
 *
 *   ∇_x f = A^T (A x - b)          (and ∇²f = A^T A).
 */

/**
 * Hessian: AᵀA, constant.
 *
 * @grad x
 * @hvp x
 * @hessian x
 */
export function leastSquares(x: readonly number[], A: readonly (readonly number[])[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < A.length; i++) {
    let r = -b[i];
    for (let j = 0; j < x.length; j++) {
      r += A[i][j] * x[j];
    }
    sum += r * r;
  }
  return 0.5 * sum;
}

export function leastSquaresInputs(): Parameters<typeof leastSquares> {
  const m = 7;
  const n = 5;
  const A: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < m; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) row.push(Math.sin(1.7 * i + 0.9 * j + 0.3));
    A.push(row);
    b.push(0.5 * i - 1.2);
  }
  const x = [0.4, -0.8, 1.1, 0.2, -0.5];
  return [x, A, b];
}
