/**
 * A banded problem (bandwidth 2: each term couples x_i, x_{i+1}, x_{i+2}), twice: with the
 * band declared (`bandwidth=2`: 5 HVPs, a dense n×n result) and detected (`sparse`: the
 * pattern found from the code, CSR). bench/sparse.ts times both.
 *
 * @hessian x bandwidth=2
 */
export function banded(x: Float64Array): number {
  let f = 0;
  for (let i = 0; i + 2 < x.length; i++) {
    const t = x[i] + x[i + 1] * x[i + 1] - Math.sin(x[i + 2]);
    f += t * t;
  }
  return f;
}

/** @hessian x sparse */
export function bandedSparse(x: Float64Array): number {
  return banded(x);
}
