/**
 * GradBench `saddle`, inner function: f(p, q) = (p₀² + p₁²) − (q₀² + q₁²), whose saddle
 * point the eval finds as min over p of max over q. Its gradient with respect to the inner
 * variable q drives the inner gradient ascent in `saddle.ts`: reverse mode
 * (`saddleCostGradInto`) or forward mode (`saddleCostJvp` along each axis), both generated
 * here; tsgrad then differentiates that ascent loop, generated code included, with respect
 * to p.
 *
 * @grad q0 q1
 * @jvp q0 q1
 */
export function saddleCost(p0: number, p1: number, q0: number, q1: number): number {
  return p0 * p0 + p1 * p1 - (q0 * q0 + q1 * q1);
}
