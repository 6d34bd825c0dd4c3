/**
 * ADBench's Gaussian mixture model objective (Šrajer, Kukelova, Fitzgibbon 2018), written
 * as its reference C++ computes it. For component k, Q_k = diag(exp q_k) + L_k with q_k the
 * first D entries of icf[k] and L_k strictly lower triangular, filled column by column from
 * the rest. With lse(v) = max v + log Σ exp(v - max v):
 *
 *   f = -(nD/2) log(2π) + Σ_i lse_k(α_k + Σ_j q_kj - ½‖Q_k (x_i - μ_k)‖²) - n lse(α)
 *       + Σ_k [ ½γ² (‖exp q_k‖² + ‖l_k‖²) - m Σ_j q_kj ] - K C(γ, m, D)
 *
 * (ADBench adds the Wishart term with this sign and uses π = 3.14159265359; GradBench's
 * log posterior, bench/gradbench/gmm.ts, flips the prior and uses Math.PI.) The buffers
 * are allocated once, as a careful hand-written version would, so loops allocate nothing.
 *
 * @grad alphas, means, icf
 */
export function gmmObjective(
  alphas: readonly number[],
  means: readonly (readonly number[])[],
  icf: readonly (readonly number[])[],
  x: readonly (readonly number[])[],
  gamma: number,
  m: number,
): number {
  const PI = 3.14159265359; // ADBench's constant
  const likelihood = gmmLogLikelihood(alphas, means, icf, x, PI);
  const prior = wishartPenalty(icf, gamma, m) - alphas.length * wishartConstant(means[0].length, gamma, m, PI);
  return likelihood + prior;
}

/** -(nD/2) log(2π) + Σ_i lse_k(α_k + Σ_j q_kj - ½‖Q_k (x_i - μ_k)‖²) - n lse(α). @inline */
export function gmmLogLikelihood(
  alphas: readonly number[],
  means: readonly (readonly number[])[],
  icf: readonly (readonly number[])[],
  x: readonly (readonly number[])[],
  pi: number,
): number {
  const K = alphas.length;
  const D = means[0].length;
  const n = x.length;
  // exp(q_k) and Σ_j q_kj do not depend on the data point: computed once per component,
  // as the reference does (Qdiags, sum_qs).
  const qDiagonal = new Array(K * D).fill(0);
  const sumQ = new Array(K).fill(0);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < D; j++) {
      qDiagonal[k * D + j] = Math.exp(icf[k][j]);
      sumQ[k] += icf[k][j];
    }
  }
  const normalizer = -0.5 * n * D * Math.log(2 * pi) - n * logSumExp(alphas);
  const main = new Array(K).fill(0);
  const transformed = new Array(D).fill(0);
  let slse = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const q = icf[k];
      for (let j = 0; j < D; j++) transformed[j] = qDiagonal[k * D + j] * (x[i][j] - means[k][j]);
      for (let col = 0; col < D; col++) {
        const first = D + (col * (2 * D - col - 1)) / 2 - col - 1;
        const centered = x[i][col] - means[k][col];
        for (let row = col + 1; row < D; row++) transformed[row] += q[first + row] * centered;
      }
      let sq = 0;
      for (let j = 0; j < D; j++) sq += transformed[j] * transformed[j];
      main[k] = alphas[k] + sumQ[k] - 0.5 * sq;
    }
    slse += logSumExp(main);
  }
  return normalizer + slse;
}

/** Σ_k [ ½γ² (‖exp q_k‖² + ‖l_k‖²) - m Σ_j q_kj ]. @inline */
export function wishartPenalty(icf: readonly (readonly number[])[], gamma: number, m: number): number {
  const D = (Math.sqrt(8 * icf[0].length + 1) - 1) / 2;
  let prior = 0;
  for (let k = 0; k < icf.length; k++) {
    const q = icf[k];
    let squares = 0;
    let sumQ = 0;
    for (let j = 0; j < D; j++) {
      squares += Math.exp(2 * q[j]);
      sumQ += q[j];
    }
    for (let j = D; j < q.length; j++) squares += q[j] * q[j];
    prior += 0.5 * gamma * gamma * squares - m * sumQ;
  }
  return prior;
}

/** C = n'D(log γ - ½ log 2) - log Γ_D(n'/2), n' = D + m + 1 (a constant). */
export function wishartConstant(D: number, gamma: number, m: number, pi: number): number {
  const dof = D + m + 1;
  return dof * D * (Math.log(gamma) - 0.5 * Math.LN2) - logMultiGamma(0.5 * dof, D, pi);
}

/**
 * log Σ exp(v_k), shifted by the maximum so it never overflows. The maximum is found by
 * its index: the shift's own derivative is zero (it cancels), so nothing needs to carry
 * one through a chain of Math.max. @inline
 */
export function logSumExp(v: readonly number[]): number {
  let top = 0;
  for (let k = 1; k < v.length; k++) if (v[k] > v[top]) top = k;
  const max = v[top];
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += Math.exp(v[k] - max);
  return Math.log(sum) + max;
}

/** log Γ_p(a), the multivariate gamma function (a constant here: it has no derivative). */
function logMultiGamma(a: number, p: number, pi: number): number {
  let out = 0.25 * p * (p - 1) * Math.log(pi);
  for (let j = 1; j <= p; j++) out += logGamma(a + 0.5 * (1 - j));
  return out;
}

/** log Γ(z) for z > 0 by the Lanczos approximation (g = 7, 9 terms), accurate to ~1e-15. */
function logGamma(z: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const t = z + 6.5;
  let sum = c[0];
  for (let k = 1; k < 9; k++) sum += c[k] / (z - 1 + k);
  return 0.5 * Math.log(2 * Math.PI) + (z - 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ADBench's gmm/test.txt (d = 2, K = 3, n = 1). */
export function gmmObjectiveInputs(): Parameters<typeof gmmObjective> {
  return [
    [-0.649014, 1.181166, -0.758453],
    [
      [0.092339, 0.18626],
      [0.345561, 0.396767],
      [0.538817, 0.419195],
    ],
    [
      [0.586443, -0.851887, 0.800321],
      [-1.509405, 0.875874, -0.24279],
      [0.166813, -1.965419, -1.270071],
    ],
    [[1.175171, 2.02916]],
    1,
    0,
  ];
}
