import { dot, sigmoid } from "./linalg.ts";

/**
 * Negative log-likelihood of logistic regression over a data set, with helper calls:
 *
 *   L(w) = -Σ_i [ y_i log σ(<w, x_i>) + (1 - y_i) log(1 - σ(<w, x_i>)) ] + (λ/2) ‖w‖²
 *
 *   ∇L = Σ_i (σ(<w, x_i>) - y_i) x_i + λ w
 *   ∇²L = Σ_i σ_i (1 - σ_i) x_i x_iᵀ + λ I
 *
 * @grad w
 * @hvp w
 * @hessian w
 */
export function logisticRegression(w: readonly number[], X: readonly (readonly number[])[], y: readonly number[], lambda: number): number {
  let loss = 0;
  for (let i = 0; i < X.length; i++) {
    const p = sigmoid(dot(w, X[i]));
    loss -= y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p);
  }
  return loss + 0.5 * lambda * dot(w, w);
}

export function logisticRegressionInputs(): Parameters<typeof logisticRegression> {
  return [
    [0.3, -0.2, 0.5],
    [
      [1, 0.5, -1.2],
      [1, -0.3, 0.8],
      [1, 1.7, 0.1],
      [1, -1.1, -0.6],
      [1, 0.2, 1.4],
    ],
    [1, 0, 1, 0, 1],
    0.1,
  ];
}
