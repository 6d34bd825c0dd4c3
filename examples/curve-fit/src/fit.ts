/**
 * The fit, without the page: noisy data from a known bump, and Adam steps on the
 * generated gradient. Kept apart from the DOM so the test suite can run it in Node.
 */
import { bumpLossGradInto } from "./model.grad.ts";

/** The bump the data are drawn from: [amp, center, logWidth, base]. */
export const TRUTH = Float64Array.of(2.5, 1.2, Math.log(0.7), 0.3);

/** n points on [-4, 4], the true bump plus noise of spread `noise` (a fixed seed: the same data every time). */
export function makeData(n = 80, noise = 0.15, seed = 7): { xs: Float64Array; ys: Float64Array } {
  let state = seed >>> 0;
  const uniform = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = -4 + (8 * i) / (n - 1);
    const z = (xs[i] - TRUTH[1]) / Math.exp(TRUTH[2]);
    const gauss = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    ys[i] = TRUTH[0] * Math.exp(-0.5 * z * z) + TRUTH[3] + noise * gauss;
  }
  return { xs, ys };
}

/** Adam on the model's four parameters, with every buffer allocated once. */
export class Fit {
  readonly params = Float64Array.of(1, 0, 0, 0);
  readonly losses: number[] = [];
  private readonly grad = { p: new Float64Array(4) };
  private readonly m = new Float64Array(4);
  private readonly v = new Float64Array(4);
  private t = 0;

  constructor(
    readonly xs: Float64Array,
    readonly ys: Float64Array,
    private readonly rate = 0.05,
  ) {}

  /** Takes `steps` Adam steps; records the loss before each. */
  step(steps: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    for (let s = 0; s < steps; s++) {
      this.losses.push(bumpLossGradInto(this.params, this.xs, this.ys, this.grad));
      this.t++;
      for (let k = 0; k < 4; k++) {
        const g = this.grad.p[k];
        this.m[k] = b1 * this.m[k] + (1 - b1) * g;
        this.v[k] = b2 * this.v[k] + (1 - b2) * g * g;
        const mHat = this.m[k] / (1 - b1 ** this.t);
        const vHat = this.v[k] / (1 - b2 ** this.t);
        this.params[k] -= (this.rate * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    }
  }
}
