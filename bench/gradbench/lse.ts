/**
 * GradBench `lse`: log Σ exp(x_i), computed from its primitives with the max shift.
 *
 * The shift a = max x_i only keeps exp in range: the value does not depend on it, so the
 * search keeps the index of the largest element (comparisons carry no derivative) instead
 * of folding Math.max, whose reverse would save and replay every intermediate maximum.
 *
 * @grad x
 */
export function logsumexp(x: readonly number[]): number {
  let k = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[k]) k = i;
  const a = x[k];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - a);
  return a + Math.log(sum);
}
