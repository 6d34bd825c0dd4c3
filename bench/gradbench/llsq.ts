/**
 * GradBench `llsq` (from cmpad's llsq_obj): with t_i = -1 + 2i/(n-1) and s_i = sign(t_i),
 *
 *   y(x) = ½ Σ_i (s_i - x_0 - x_1 t_i - x_2 t_i² - …)²
 *
 * @grad x
 */
export function llsq(x: readonly number[], n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = -1 + (i * 2) / (n - 1);
    let r = Math.sign(t);
    let power = 1;
    for (let j = 0; j < x.length; j++) {
      r -= x[j] * power;
      power *= t;
    }
    sum += r * r;
  }
  return 0.5 * sum;
}
