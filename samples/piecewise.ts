/**
 * Piecewise functions written with early returns, one per branch.
 *
 * Huber loss of a residual r with threshold δ > 0 (quadratic near zero, linear outside,
 * continuously differentiable at |r| = δ):
 *
 *   h(r, δ) = -δ (r + δ/2)   if r < -δ      ∂h/∂r = -δ    ∂h/∂δ = -r - δ
 *           =  r^2 / 2       if |r| ≤ δ     ∂h/∂r = r     ∂h/∂δ = 0
 *           =  δ (r - δ/2)   if r > δ       ∂h/∂r = δ     ∂h/∂δ = r - δ
 *
 * Smoothstep between lo < hi, with t = (x - lo) / (hi - lo):
 *
 *   s(x, lo, hi) = 0              if x ≤ lo      (all partials 0)
 *                = 1              if x ≥ hi      (all partials 0)
 *                = 3 t^2 - 2 t^3  otherwise, with s'(t) = 6 t (1 - t) and
 *     ∂s/∂x = s'(t) / (hi - lo),  ∂s/∂lo = s'(t) (x - hi) / (hi - lo)^2,
 *     ∂s/∂hi = -s'(t) (x - lo) / (hi - lo)^2
 */

/** @grad r, delta */
export function huber(r: number, delta: number): number {
  if (r < -delta) {
    return -delta * (r + 0.5 * delta);
  }
  if (r > delta) {
    return delta * (r - 0.5 * delta);
  }
  return 0.5 * r * r;
}

export function huberInputs(): Parameters<typeof huber> {
  return [-2.3, 0.8];
}

/** @grad */
export function smoothstep(x: number, lo: number, hi: number): number {
  if (x <= lo) return 0;
  if (x >= hi) return 1;
  const t = (x - lo) / (hi - lo);
  return t * t * (3 - 2 * t);
}

export function smoothstepInputs(): Parameters<typeof smoothstep> {
  return [0.35, -0.5, 1.25];
}
