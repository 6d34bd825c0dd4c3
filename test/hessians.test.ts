/**
 * The lecture notes ask how to extract the Hessian; their four worked examples, plus
 * Rosenbrock, softmax cross-entropy and the backprop neuron, come out of the generated
 * fHessian and fHvp exactly (1e-12 relative), with the notes' slips corrected.
 */
import { describe, expect, it } from "vitest";
import * as quadratic from "../samples/quadratic.grad.ts";
import * as gaussian from "../samples/gaussian.grad.ts";
import * as leastSquares from "../samples/leastSquares.grad.ts";
import * as logistic from "../samples/logistic.grad.ts";
import * as rosenbrock from "../samples/rosenbrock.grad.ts";
import * as softmax from "../samples/softmaxCrossEntropy.grad.ts";
import * as neuron from "../samples/neuron.grad.ts";
import { quadraticInputs } from "../samples/quadratic.ts";
import { leastSquaresInputs } from "../samples/leastSquares.ts";
import { logisticInputs } from "../samples/logistic.ts";
import { flatten, maxRelError, randomVector, rng } from "./harness/numeric.ts";

const next = rng(11);
const close = (got: number[][], want: number[][]) => expect(maxRelError(flatten(got), flatten(want), 1e-3)).toBeLessThan(1e-12);
const matvec = (H: number[][], v: number[]) => H.map((row) => row.reduce((s, h, j) => s + h * v[j]!, 0));

describe("Hessians of the seed examples", () => {
  it("½xᵀAx - bᵀx with non-symmetric A: ½(A + Aᵀ)", () => {
    const [x, A, b] = quadraticInputs();
    const { hessian } = quadratic.quadraticHessian(x, A, b);
    close(hessian, A.map((row, i) => row.map((a, j) => 0.5 * (a + A[j]![i]!))));
  });

  it("-exp(-xᵀx): 2 exp(-xᵀx)(I - 2 x xᵀ)", () => {
    for (let trial = 0; trial < 3; trial++) {
      const x = randomVector(5, next, 0.7);
      const e = Math.exp(-x.reduce((s, v) => s + v * v, 0));
      const { hessian } = gaussian.gaussianHessian(x);
      close(hessian, x.map((xi, i) => x.map((xj, j) => 2 * e * ((i === j ? 1 : 0) - 2 * xi * xj))));
    }
  });

  it("½‖Ax - b‖²: AᵀA", () => {
    const [x, A, b] = leastSquaresInputs();
    const n = x.length;
    const AtA = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => A.reduce((s, row) => s + row[i]! * row[j]!, 0)));
    close(leastSquares.leastSquaresHessian(x, A, b).hessian, AtA);
  });

  it("ln(1 + exp⟨a, x⟩): σ(1 - σ) a aᵀ", () => {
    const [x, a] = logisticInputs();
    const s = 1 / (1 + Math.exp(-a.reduce((acc, ai, i) => acc + ai * x[i]!, 0)));
    close(logistic.logisticHessian(x, a).hessian, a.map((ai) => a.map((aj) => s * (1 - s) * ai * aj)));
  });

  it("softmax cross-entropy: diag(p) - p pᵀ, whatever the label", () => {
    const z = randomVector(6, next, 3);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const sum = e.reduce((s, v) => s + v, 0);
    const p = e.map((v) => v / sum);
    for (const label of [0, 4]) {
      close(softmax.softmaxCrossEntropyHessian(z, label).hessian, p.map((pi, i) => p.map((pj, j) => (i === j ? pi : 0) - pi * pj)));
    }
  });

  it("Rosenbrock: the tridiagonal closed form, from 3 HVPs (declared bandwidth=1)", () => {
    const x = Float64Array.from(randomVector(7, next, 1.5));
    const n = x.length;
    const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n - 1; i++) {
      H[i]![i]! += 1200 * x[i]! ** 2 - 400 * x[i + 1]! + 2;
      H[i + 1]![i + 1]! += 200;
      H[i]![i + 1]! -= 400 * x[i]!;
      H[i + 1]![i]! -= 400 * x[i]!;
    }
    close(rosenbrock.rosenbrockHessian(x).hessian, H);
    const v = Float64Array.from(randomVector(n, next));
    const hvp = rosenbrock.rosenbrockHvp(x, { x: v });
    expect(maxRelError(Array.from(hvp.hvp.x), matvec(H, Array.from(v)), 1e-3)).toBeLessThan(1e-12);
  });

  it("the backprop neuron: d²L/dz² [x², x; x, 1] + diag(λ, 0)", () => {
    const [w, b, x, t, lambda] = [0.8, -0.3, 1.5, 0.2, 0.01];
    const s = 1 / (1 + Math.exp(-(w * x + b)));
    const ds = s * (1 - s);
    const d2 = ds * ds + (s - t) * ds * (1 - 2 * s);
    close(neuron.neuronHessian(w, b, x, t, lambda).hessian, [
      [d2 * x * x + lambda, d2 * x],
      [d2 * x, d2],
    ]);
  });

  it("every HVP equals the dense Hessian times v", () => {
    const [x, A, b] = quadraticInputs();
    const v = randomVector(x.length, next);
    const H = quadratic.quadraticHessian(x, A, b).hessian;
    expect(maxRelError(quadratic.quadraticHvp(x, A, b, { x: v }).hvp.x, matvec(H, v), 1e-3)).toBeLessThan(1e-12);
  });
});
