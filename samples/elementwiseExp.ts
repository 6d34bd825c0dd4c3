/**
 * Elementwise exponential y_i = exp(z_i), the lecture notes' Jacobian example.
 *
 *   J = diag(exp z),  so  J v = exp(z) ⊙ v  and  Jᵀ w = exp(z) ⊙ w.
 *
 * The notes build the n × n matrix only to point out that nobody should: the JVP and VJP
 * below are O(n), and fJacobian exists for checking.
 *
 * @jvp z
 * @vjp z
 * @jacobian z
 */
export function elementwiseExp(z: readonly number[]): number[] {
  const y = new Array(z.length).fill(0);
  for (let i = 0; i < z.length; i++) y[i] = Math.exp(z[i]);
  return y;
}

export function elementwiseExpInputs(): Parameters<typeof elementwiseExp> {
  return [[0.3, -1.2, 0.8, 2.1, -0.4]];
}
