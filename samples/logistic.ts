/**
 * Logistic loss, softplus of a linear form (fourth example of the lecture notes).
 *
 *   f(x) = ln(1 + exp(<a, x>)),   a, x ∈ R^n
 *
 * df = exp(s) <a, dx> / (1 + exp(s)) with s = <a, x>, so
 *
 *   ∇_x f = σ(<a, x>) a,   σ(s) = 1 / (1 + exp(-s))
 *
 * (and ∇²f = σ(s)(1 - σ(s)) a a^T).
 *
 * Numerically stable form: ln(1 + e^s) = max(s, 0) + ln(1 + e^{-|s|}), which never
 * evaluates exp of a large positive number. Both branches have derivative σ(s).
 */

/**
 * Hessian: σ(⟨a,x⟩)(1 - σ(⟨a,x⟩)) a aᵀ, rank one.
 *
 * @grad x
 * @hvp x
 * @hessian x
 */
export function logistic(x: readonly number[], a: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += a[i] * x[i];
  }
  return s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
}

export function logisticInputs(): Parameters<typeof logistic> {
  const x = [0.5, -0.25, 0.75, 1.0, -0.6, 0.3, 0.2];
  const a = [1.2, 0.4, -0.3, 0.8, -0.5, 0.9, -1.1];
  return [x, a];
}
