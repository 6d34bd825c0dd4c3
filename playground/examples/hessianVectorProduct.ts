/**
 * A Hessian-vector product, v ↦ ∇²f(x) v, without ever forming the Hessian (the lecture
 * notes' last section: hvp(f, x, v) = ∇ₓ⟨∇f(x), v⟩). tsgrad generates it as forward mode
 * over the generated reverse-mode gradient: one HVP costs a small constant times one
 * gradient, whatever n. Conjugate-gradient and Newton–Krylov methods need only this.
 *
 * Here f is the Rosenbrock function; pick "hvp" in the run panel to compare
 * rosenbrockHvp(x, v) with differences of the gradient along v.
 *
 * @grad x
 * @hvp x
 */
export function rosenbrock(x: readonly number[]): number {
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const u = x[i + 1] - x[i] * x[i];
    const v = 1 - x[i];
    f += 100 * u * u + v * v;
  }
  return f;
}

export function rosenbrockInputs(): Parameters<typeof rosenbrock> {
  return [[-1.2, 1, 0.5, 0.8, 1.1]];
}
