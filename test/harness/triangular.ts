/**
 * GMM's triangular product (samples/gmm.ts) as a test program: forward, column by column, a
 * row loop below each column; its reverse sums `centered_bar` per column and subtracts it
 * from c's adjoint. Shared by test/jam.test.ts (unroll-and-jam of the reverse's column
 * loop) and test/trim.test.ts (the triangle's empty last column).
 */
export const TRIANGULAR = `/**
 * @grad w, c
 * @hvp w, c
 */
export function triangular(w: readonly number[], c: readonly (readonly number[])[], x: readonly number[]): number {
  const D = x.length;
  const buf = new Array(D).fill(0);
  let total = 0;
  for (let k = 0; k < c.length; k++) {
    for (let j = 0; j < D; j++) buf[j] = Math.exp(w[j]) * (x[j] - c[k][j]);
    for (let col = 0; col < D; col++) {
      const first = D + (col * (2 * D - col - 1)) / 2 - col - 1;
      const centered = x[col] - c[k][col];
      for (let row = col + 1; row < D; row++) buf[row] += w[first + row] * centered;
    }
    let sq = 0;
    for (let j = 0; j < D; j++) sq += buf[j] * buf[j];
    total += Math.log(1 + sq);
  }
  return total;
}
`;
