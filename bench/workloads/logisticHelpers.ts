/**
 * The logistic-regression NLL of logisticRegression.ts written with helper functions, to
 * measure what calls cost: tsgrad inlines callees before differentiating, so this should
 * run like the hand-inlined version.
 *
 * @grad w
 */
export function logisticNllWithHelpers(w: Float64Array, X: readonly Float64Array[], y: Float64Array): number {
  let total = 0;
  for (let i = 0; i < X.length; i++) total += softplus(-y[i] * dot(X[i], w));
  return total;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < b.length; j++) s += a[j] * b[j];
  return s;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
