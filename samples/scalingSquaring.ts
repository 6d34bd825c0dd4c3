/**
 * exp(x) by scaling and squaring, with a `do…while` loop:
 *
 *   halve r = x until |r| ≤ 1/2 (k halvings, at least one, so the loop body runs first),
 *   e ≈ e^r by a 16-term Taylor series, then square k times: e^x = (e^{x / 2^k})^{2^k}.
 *
 * The result approximates exp(x) to about 1e-15 relative, and so does its derivative:
 *
 *   d/dx exp(x) = exp(x)
 *
 * (the derivative of the truncated series is the series with one term fewer, whose
 * error is r^15/15! ≤ 3e-17 for |r| ≤ 1/2; squaring k times multiplies relative errors
 * by 2^k, still far below 1e-12 for |x| ≤ 8). The number of halvings k is
 * piecewise constant in x.
 */

/** @grad x */
export function scalingSquaring(x: number): number {
  let r = x;
  let k = 0;
  do {
    r /= 2;
    k++;
  } while (Math.abs(r) > 0.5);
  let term = 1;
  let e = 1;
  for (let j = 1; j < 16; j++) {
    term *= r / j;
    e += term;
  }
  for (let i = 0; i < k; i++) {
    e *= e;
  }
  return e;
}

export function scalingSquaringInputs(): Parameters<typeof scalingSquaring> {
  return [2.7];
}
