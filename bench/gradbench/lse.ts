/**
 * GradBench `lse`: log Σ exp(x_i), computed from its primitives with the max shift.
 *
 * @grad x
 */
export function logsumexp(x: readonly number[]): number {
  let a = x[0];
  for (let i = 1; i < x.length; i++) a = Math.max(a, x[i]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - a);
  return a + Math.log(sum);
}
