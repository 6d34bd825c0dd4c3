import { logSumExp } from "../../samples/gmm.ts";

/**
 * GradBench `lse`: log Σ exp(x_i), computed from its primitives with the max shift, by the
 * same helper as the GMM objective (samples/gmm.ts). The shift a = max x_i only keeps exp
 * in range: the value does not depend on it, so the helper keeps the index of the largest
 * element (comparisons carry no derivative) instead of folding Math.max, whose reverse
 * would save and replay every intermediate maximum.
 *
 * @grad x
 */
export function logsumexp(x: readonly number[]): number {
  return logSumExp(x);
}
