/**
 * GradBench `llsq` (from cmpad's llsq_obj): with t_i = -1 + 2i/(n-1) and s_i = sign(t_i),
 *
 *   y(x) = ½ Σ_i (s_i - x_0 - x_1 t_i - x_2 t_i² - …)²
 *
 * The polynomial is evaluated by Horner's rule in t², on the even and the odd coefficients
 * side by side (p = even(t²) + t·odd(t²): two independent chains, as fast as summing powers).
 * Each step `even ← even·t² + x_j` is linear in `even`, so its reverse (x̄_j += ēven,
 * ēven ← ēven·t²) needs no saved value: the gradient saves one residual per i, where
 * accumulating `power *= t` saved every power (n·m values).
 *
 * @grad x
 */
export function llsq(x: readonly number[], n: number): number {
  const m = x.length;
  const pairs = Math.floor(m / 2);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = -1 + (i * 2) / (n - 1);
    const t2 = t * t;
    let even = 0;
    let odd = 0;
    if (m % 2 === 1) even = x[m - 1];
    for (let q = pairs - 1; q >= 0; q--) {
      even = even * t2 + x[2 * q];
      odd = odd * t2 + x[2 * q + 1];
    }
    const r = Math.sign(t) - (even + t * odd);
    sum += r * r;
  }
  return 0.5 * sum;
}
