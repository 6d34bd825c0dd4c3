/**
 * Negative log-likelihood of logistic regression, sum_i log(1 + exp(-y_i <w, x_i>)), with
 * labels y_i in {-1, 1} and a dense design matrix X (m rows of n features).
 *
 * @grad w
 * @hvp w
 * @hessian w
 */
export function logisticNll(w: Float64Array, X: readonly Float64Array[], y: Float64Array): number {
  let total = 0;
  for (let i = 0; i < X.length; i++) {
    const row = X[i];
    let margin = 0;
    for (let j = 0; j < w.length; j++) margin += row[j] * w[j];
    const z = -y[i] * margin;
    // log(1 + e^z) without overflow
    total += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  }
  return total;
}

/** The hand-written gradient: X^T (-y * sigma(-y <w, x>)). */
export function logisticNllGradByHand(w: Float64Array, X: readonly Float64Array[], y: Float64Array, grad: Float64Array): number {
  let total = 0;
  grad.fill(0);
  for (let i = 0; i < X.length; i++) {
    const row = X[i];
    let margin = 0;
    for (let j = 0; j < w.length; j++) margin += row[j] * w[j];
    const z = -y[i] * margin;
    total += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    const s = z > 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    const g = -y[i] * s;
    for (let j = 0; j < w.length; j++) grad[j] += g * row[j];
  }
  return total;
}
