/**
 * GradBench `particle`, inner function: the electric potential at (x, y) of two unit
 * charges, at (10, 10 - w) and (10, 0):
 *
 *   p(x, y; w) = 1/‖(x, y) − (10, 10 − w)‖ + 1/‖(x, y) − (10, 0)‖
 *
 * The force on the particle is −∇p; `particle.ts` takes that gradient inside its Euler loop
 * with the code generated here (reverse: `potentialGradInto`, forward: two `potentialJvp`)
 * and tsgrad differentiates that loop, generated inner derivative included, with respect to w.
 *
 * @grad x y
 * @jvp x y
 */
export function potential(w: number, x: number, y: number): number {
  const ax = x - 10;
  const ay = y - (10 - w);
  const bx = x - 10;
  const by = y;
  return 1 / Math.sqrt(ax * ax + ay * ay) + 1 / Math.sqrt(bx * bx + by * by);
}
