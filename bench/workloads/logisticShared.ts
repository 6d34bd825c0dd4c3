/**
 * logisticHelpers.ts with its dot product tagged @noinline: reverse mode calls one shared
 * generated pullback (which recomputes the dot product's forward sweep) instead of inlining
 * it. Compared with the inlined version in `npm run bench`.
 *
 * @grad w
 */
export function logisticNllShared(w: Float64Array, X: readonly Float64Array[], y: Float64Array): number {
  let total = 0;
  for (let i = 0; i < X.length; i++) total += softplus(-y[i] * dotShared(X[i], w));
  return total;
}

/** @noinline */
function dotShared(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < b.length; j++) s += a[j] * b[j];
  return s;
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
