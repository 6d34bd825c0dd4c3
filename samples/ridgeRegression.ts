/**
 * Ridge regression written the way it is usually written in TypeScript: an arrow function,
 * the parameters destructured, the data loop a `reduce` with an inner `reduce` for the dot
 * product, and the penalty from `map` and a spread `Math.max` (a max-norm term).
 *
 *   f(w, b) = ½ Σ_i (⟨w, x_i⟩ + b − y_i)² + λ/2 ‖w‖² + μ max_j |w_j|
 *
 * The front end inlines the callbacks into loops, so the generated gradient is the loop a
 * careful hand-written one would be.
 */
export interface Linear {
  w: number[];
  b: number;
}

const LAMBDA = 0.1;
const MU = 0.05;

/**
 * @grad linear
 * @hvp linear
 */
export const ridge = ({ w, b }: Linear, xs: number[][], ys: number[]): number => {
  const residuals = xs.map((x, i) => x.reduce((s, v, j) => s + v * w[j], b) - ys[i]);
  const fit = 0.5 * residuals.reduce((s, r) => s + r * r, 0);
  const magnitudes = w.map((v) => Math.abs(v));
  return fit + 0.5 * LAMBDA * w.reduce((s, v) => s + v * v, 0) + MU * Math.max(...magnitudes);
};

export function ridgeInputs(): [Linear, number[][], number[]] {
  return [
    { w: [0.4, -0.7, 0.25], b: 0.1 },
    [
      [1, 0.5, -0.2],
      [0.3, -1.1, 0.8],
      [-0.6, 0.2, 1.4],
      [0.9, 0.9, -0.5],
    ],
    [0.5, -0.3, 1.2, 0.1],
  ];
}
