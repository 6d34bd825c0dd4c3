/**
 * One sigmoid neuron with a squared-error loss and weight decay: the backpropagation
 * example of the lecture notes.
 *
 *   z = w x + b,   y = σ(z),   L = 1/2 (y - t)^2,   R = 1/2 w^2,   loss = L + λ R
 *
 * Backward pass (from the notes), with σ'(z) = σ(z)(1 - σ(z)):
 *
 *   ȳ = y - t,   z̄ = ȳ σ'(z),   w̄ = z̄ x + λ w,   b̄ = z̄
 *
 * so ∂loss/∂w = (y - t) σ(z)(1 - σ(z)) x + λ w and ∂loss/∂b = (y - t) σ(z)(1 - σ(z)).
 * The input x, target t and λ are held fixed.
 */

/**
 * Hessian over (w, b): see test/hessians.test.ts for the closed form.
 *
 * @grad w, b
 * @hvp w, b
 * @hessian w, b
 */
export function neuron(w: number, b: number, x: number, t: number, lambda: number): number {
  const z = w * x + b;
  const y = 1 / (1 + Math.exp(-z));
  const L = 0.5 * (y - t) * (y - t);
  const R = 0.5 * w * w;
  return L + lambda * R;
}

export function neuronInputs(): Parameters<typeof neuron> {
  return [0.8, -0.3, 1.5, 0.2, 0.01];
}
