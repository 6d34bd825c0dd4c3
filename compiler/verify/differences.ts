/**
 * Central finite differences with step selection: the derivative at t = 0 of a (vector-)
 * valued function of one variable, g(t) = f(x + t·d).
 *
 * The fourth-order stencil (g(−2h) − 8g(−h) + 8g(h) − g(2h)) / 12h has truncation error
 * O(h⁴) and rounding error O(ε/h), so no single h suits every function. Estimates are
 * taken on a ladder of steps (scale · 10⁻¹ … 10⁻⁴, two per decade); for each component
 * the two neighbouring estimates that agree best are kept. The error estimate is their
 * difference, or the stencil's rounding error at that step if larger (a change of g
 * below its own resolution, ε·|g|, cannot be seen), or, at a kink (the one-sided slopes
 * differ by an amount that does not shrink with the step, as it would for a smooth g),
 * that jump: a central difference there averages two slopes and resolves neither.
 */

export interface Derivative {
  /** d g_i / dt at 0. */
  value: number[];
  /** What the value may be off by, per component. */
  error: number[];
}

export const STEP_LADDER = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4];

export function centralDerivative(g: (t: number) => number[], scale = 1): Derivative {
  const g0 = g(0);
  const estimates: number[][] = [];
  const noise: number[][] = [];
  const jumps: number[][] = [];
  const jumpNoise: number[][] = [];
  for (const relative of STEP_LADDER) {
    const h = relative * scale;
    const [m2, m1, p1, p2] = [g(-2 * h), g(-h), g(h), g(2 * h)];
    estimates.push(g0.map((_, i) => (m2![i]! - 8 * m1![i]! + 8 * p1![i]! - p2![i]!) / (12 * h)));
    // Rounding: each value is off by up to ε·|g|, and the stencil divides by 12h.
    noise.push(g0.map((_, i) => (Number.EPSILON * (Math.abs(m2![i]!) + 8 * Math.abs(m1![i]!) + 8 * Math.abs(p1![i]!) + Math.abs(p2![i]!))) / (12 * h)));
    // Forward minus backward slope: h·g'' for a smooth g, the slope's jump at a kink.
    jumps.push(g0.map((x, i) => Math.abs(p1![i]! - 2 * x + m1![i]!) / h));
    jumpNoise.push(g0.map((x, i) => (4 * Number.EPSILON * (Math.abs(p1![i]!) + 2 * Math.abs(x) + Math.abs(m1![i]!))) / h));
  }
  const value: number[] = [];
  const error: number[] = [];
  for (let i = 0; i < g0.length; i++) {
    let best = Infinity;
    let at = 1;
    for (let k = 0; k + 1 < estimates.length; k++) {
      const gap = Math.abs(estimates[k]![i]! - estimates[k + 1]![i]!);
      if (gap < best) {
        best = gap;
        at = k + 1;
      }
    }
    const jump = jumps[at]![i]!;
    const kink = jump > 10 * jumpNoise[at]![i]! && jump >= 0.5 * jumps[at - 1]![i]!;
    value.push(estimates[at]![i]!);
    error.push(Math.max(best, noise[at]![i]!, kink ? jump : 0));
  }
  return { value, error };
}
