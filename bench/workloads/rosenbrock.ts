/**
 * Rosenbrock function, the benchmark of DESIGN.md section 8.
 *
 * @grad x
 * @hvp x
 * @hessian x bandwidth=1
 */
export function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    s += 100 * a * a + b * b;
  }
  return s;
}

/** A careful human's gradient: forward and adjoint fused in one loop. */
export function rosenbrockGradByHand(x: Float64Array, grad: Float64Array): number {
  let s = 0;
  grad.fill(0);
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    s += 100 * a * a + b * b;
    grad[i + 1] += 200 * a;
    grad[i] += -400 * a * x[i] - 2 * b;
  }
  return s;
}

/**
 * The same function with a dense Hessian, to measure Hessian time / (n × gradient time).
 *
 * @hessian x
 */
export function rosenbrockDense(x: Float64Array): number {
  return rosenbrock(x);
}
