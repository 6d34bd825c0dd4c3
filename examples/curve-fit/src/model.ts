/**
 * The model the page fits: a Gaussian bump on a flat baseline,
 *
 *   y(x) = amp · exp(−(x − center)² / (2 · width²)) + base,   width = exp(logWidth),
 *
 * with its four parameters in one array p = [amp, center, logWidth, base] (the width is
 * fitted through its logarithm so it stays positive). `tsgrad build` (here: the Vite
 * plugin, on start and on every save) writes `model.grad.ts` beside this file with
 * `bumpLossGradInto`, the gradient the optimizer calls.
 */

/** The model's value at x. */
export function bump(p: Float64Array, x: number): number {
  const z = (x - p[1]) / Math.exp(p[2]);
  return p[0] * Math.exp(-0.5 * z * z) + p[3];
}

/**
 * Mean squared error of the model against the data (xs[i], ys[i]).
 *
 * @grad p
 */
export function bumpLoss(p: Float64Array, xs: Float64Array, ys: Float64Array): number {
  const width = Math.exp(p[2]);
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    const z = (xs[i] - p[1]) / width;
    const r = p[0] * Math.exp(-0.5 * z * z) + p[3] - ys[i];
    sum += r * r;
  }
  return sum / xs.length;
}
