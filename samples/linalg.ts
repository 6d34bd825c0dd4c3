/**
 * Small helpers that other samples import. They carry no annotation of their own: a
 * function that calls them is differentiated through them (they are inlined).
 */

/** <a, b> */
export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** σ(z) = 1 / (1 + e^-z), evaluated so that neither branch overflows. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
