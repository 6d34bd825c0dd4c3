import { gmmLogLikelihood, wishartConstant, wishartPenalty } from "../../samples/gmm.ts";

/**
 * GradBench's `gmm`: the log posterior. It is ADBench's objective (samples/gmm.ts) with the
 * Wishart prior entering with the opposite sign and π = Math.PI, as in GradBench's
 * cpp/gradbench/evals/gmm.hpp. `icf[k]` is `[...q[k], ...l[k]]`.
 *
 * @grad alpha, mu, icf
 */
export function gmmLogPosterior(
  alpha: readonly number[],
  mu: readonly (readonly number[])[],
  icf: readonly (readonly number[])[],
  x: readonly (readonly number[])[],
  gamma: number,
  m: number,
): number {
  const likelihood = gmmLogLikelihood(alpha, mu, icf, x, Math.PI);
  const prior = alpha.length * wishartConstant(mu[0].length, gamma, m, Math.PI) - wishartPenalty(icf, gamma, m);
  return likelihood + prior;
}
