/**
 * GradBench `llsq` (from cmpad's llsq_obj): with t_i = -1 + 2i/(n-1) and s_i = sign(t_i),
 *
 *   y(x) = ½ Σ_i (s_i - x_0 - x_1 t_i - x_2 t_i² - …)²
 *
 * The polynomial is evaluated by Horner's rule: p ← p·t + x_j is linear in p, so its
 * reverse (x̄_j += p̄, p̄ ← p̄·t) needs no saved value, and the gradient saves one residual
 * per i instead of one power of t per (i, j).
 *
 * @grad x
 */
export function llsq(x: readonly number[], n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = -1 + (i * 2) / (n - 1);
    let p = 0;
    for (let j = x.length - 1; j >= 0; j--) p = p * t + x[j];
    const r = Math.sign(t) - p;
    sum += r * r;
  }
  return 0.5 * sum;
}
