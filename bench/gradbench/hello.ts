/**
 * GradBench `hello`: f(x) = x², whose gradient the eval calls `double`.
 *
 * @grad x
 */
export function square(x: number): number {
  return x * x;
}
