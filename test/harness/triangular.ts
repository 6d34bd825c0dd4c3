/**
 * GMM's triangular product (samples/gmm.ts) as a test program: forward, column by column, a
 * row loop below each column; its reverse sums `centered_bar` per column and subtracts it
 * from c's adjoint. Shared by test/jam.test.ts (unroll-and-jam of the reverse's column
 * loop), test/trim.test.ts (the triangle's empty last column) and test/unroll.test.ts (its
 * short inner loops), each comparing a build with its pass on against one with it off.
 */
import { expect } from "vitest";
import type { Built } from "./build.ts";
import { checkGradientAndHvp } from "./check.ts";
import { flatten, randomMatrix, randomVector } from "./numeric.ts";

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

type Grad = (...args: unknown[]) => { value: number; grad: Record<string, unknown> };

/**
 * `triangular` at dimension D (three centres): the build with a pass on gives the same value
 * and gradient as the one with it off, bit for bit; with `check`, also the tape's, central
 * differences' and the HVP's.
 */
export async function expectSameTriangular(on: Built, off: Built, D: number, next: () => number, check: boolean): Promise<void> {
  const args = [randomVector((D * (D + 1)) / 2, next, 0.5), randomMatrix(3, D, next), randomVector(D, next)];
  const a = (on.generated.triangularGrad as Grad)(...args);
  const b = (off.generated.triangularGrad as Grad)(...args);
  expect(a.value).toBe(b.value);
  expect(flatten(a.grad.w)).toEqual(flatten(b.grad.w));
  expect(flatten(a.grad.c)).toEqual(flatten(b.grad.c));
  if (check) await checkGradientAndHvp(on, "triangular", args, ["w", "c"], { w: randomVector((D * (D + 1)) / 2, next), c: randomMatrix(3, D, next) });
}
