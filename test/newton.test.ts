/**
 * samples/pLaplacianNewton.ts: Newton's method with the generated sparse Hessian converges
 * to the p-Laplacian's minimizer quadratically (the order measured from the gradient norms
 * of the last full steps), and its conjugate-gradient solve solves.
 */
import { describe, expect, it } from "vitest";
import { conjugateGradients, multiply, newton } from "../samples/pLaplacianNewton.ts";
import { pLaplacianGrad, pLaplacianHessianSparse } from "../samples/pLaplacian.grad.ts";

describe("Newton's method on the p-Laplacian with fHessianSparse", () => {
  it("converges quadratically to a point where the gradient vanishes", () => {
    const n = 24;
    const { u, steps, colors } = newton(n);
    expect(colors).toBeLessThanOrEqual(9);
    const norms = steps.map((s) => s.gradientNorm);
    const last = norms.length - 1;
    expect(norms[last]).toBeLessThanOrEqual(1e-8);
    expect(steps.length).toBeLessThan(12);
    // Full steps at the end, and the order log(e_{k+1}/e_k) / log(e_k/e_{k-1}) near 2.
    expect(steps.slice(last - 3, last).map((s) => s.stepLength)).toEqual([1, 1, 1]);
    const order = (k: number) => Math.log(norms[k + 1]! / norms[k]!) / Math.log(norms[k]! / norms[k - 1]!);
    expect(order(last - 1)).toBeGreaterThan(1.8);
    expect(order(last - 2)).toBeGreaterThan(1.6);
    expect(Math.hypot(...pLaplacianGrad(u, n, 10).grad.u)).toBeLessThanOrEqual(1e-8);
  });

  it("conjugate gradients solve the Hessian's system", () => {
    const n = 6;
    const u = Float64Array.from({ length: n * n }, (_, k) => Math.cos(k));
    const { hessian } = pLaplacianHessianSparse(u, n, 10);
    const b = Float64Array.from({ length: n * n }, (_, k) => Math.sin(3 * k));
    const x = new Float64Array(n * n);
    conjugateGradients(hessian, b, x, 1e-13);
    const Ax = new Float64Array(n * n);
    multiply(hessian, x, Ax);
    expect(Math.max(...Ax.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-11 * Math.max(...b.map(Math.abs)));
  });
});
