/**
 * Newton's method on the p-Laplacian energy of samples/pLaplacian.ts, with the sparse
 * Hessian tsgrad generates (`@hessian u sparse`): each step computes the gradient and the
 * Hessian in compressed sparse rows (pLaplacianHessianSparseInto: one HVP per color, on the
 * pattern and coloring detected once), solves H d = −g by conjugate gradients on that
 * matrix (H is symmetric positive definite: E is strictly convex), and moves along d with
 * a backtracking line search. Near the minimizer the full step is taken and the gradient's
 * norm falls quadratically: ‖g_{k+1}‖ ≈ C ‖g_k‖².
 *
 *   npx tsx samples/pLaplacianNewton.ts [n]     (after `node bin/tsgrad.js build samples`)
 */
import { pathToFileURL } from "node:url";
import { pLaplacian } from "./pLaplacian.ts";
import { pLaplacianHessianSparse, pLaplacianHessianSparseInto } from "./pLaplacian.grad.ts";

/** A symmetric matrix in compressed sparse rows (what fHessianSparse returns). */
export interface CsrMatrix {
  rows: number;
  rowPointers: Int32Array;
  columnIndices: Int32Array;
  values: Float64Array;
}

/** y = A x. */
export function multiply(a: CsrMatrix, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let k = a.rowPointers[i]!; k < a.rowPointers[i + 1]!; k++) s += a.values[k]! * x[a.columnIndices[k]!]!;
    y[i] = s;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Solves A x = b for a symmetric positive definite A by conjugate gradients, preconditioned
 * by A's diagonal (Jacobi), until ‖b − A x‖ ≤ tolerance · ‖b‖. Returns the iterations used.
 */
export function conjugateGradients(a: CsrMatrix, b: Float64Array, x: Float64Array, tolerance: number, maxIterations = 10 * a.rows): number {
  const n = a.rows;
  const diagonal = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    for (let k = a.rowPointers[i]!; k < a.rowPointers[i + 1]!; k++) if (a.columnIndices[k] === i && a.values[k]! > 0) diagonal[i] = a.values[k]!;
  }
  x.fill(0);
  const r = Float64Array.from(b);
  const z = r.map((ri, i) => ri / diagonal[i]!);
  const p = Float64Array.from(z);
  const q = new Float64Array(n);
  let rz = dot(r, z);
  const stop = tolerance * Math.sqrt(dot(b, b));
  for (let it = 0; it < maxIterations; it++) {
    if (Math.sqrt(dot(r, r)) <= stop) return it;
    multiply(a, p, q);
    const alpha = rz / dot(p, q);
    for (let i = 0; i < n; i++) {
      x[i]! += alpha * p[i]!;
      r[i]! -= alpha * q[i]!;
      z[i] = r[i]! / diagonal[i]!;
    }
    const next = dot(r, z);
    const beta = next / rz;
    rz = next;
    for (let i = 0; i < n; i++) p[i] = z[i]! + beta * p[i]!;
  }
  return maxIterations;
}

export interface NewtonStep {
  /** E(u) before the step. */
  energy: number;
  /** ‖∇E(u)‖ before the step. */
  gradientNorm: number;
  /** The line search's step length (1: the full Newton step). */
  stepLength: number;
  /** Conjugate-gradient iterations of the step's linear solve. */
  cgIterations: number;
}

/**
 * Minimizes the energy on an n×n grid from u = 0; stops when ‖∇E‖ ≤ tolerance (the default
 * is above the gradient's rounding floor, about 5e-10 at n = 32) or the line search stalls.
 */
export function newton(n: number, f = 10, tolerance = 1e-8, maxSteps = 50): { u: Float64Array; steps: NewtonStep[]; colors: number } {
  const u = new Float64Array(n * n);
  const { grad, hessian } = pLaplacianHessianSparse(u, n, f); // detects the pattern and colors it, once
  const d = new Float64Array(n * n);
  const minusG = new Float64Array(n * n);
  const trial = new Float64Array(n * n);
  const steps: NewtonStep[] = [];
  for (let k = 0; k < maxSteps; k++) {
    const energy = pLaplacianHessianSparseInto(u, n, f, grad, hessian);
    const gradientNorm = Math.sqrt(dot(grad.u, grad.u));
    if (gradientNorm <= tolerance) {
      steps.push({ energy, gradientNorm, stepLength: 0, cgIterations: 0 });
      break;
    }
    for (let i = 0; i < minusG.length; i++) minusG[i] = -grad.u[i]!;
    const cgIterations = conjugateGradients(hessian, minusG, d, 1e-12);
    // Backtracking (Armijo) along the Newton direction, which is a descent direction.
    const slope = -dot(minusG, d);
    let t = 1;
    for (;;) {
      for (let i = 0; i < u.length; i++) trial[i] = u[i]! + t * d[i]!;
      if (pLaplacian(trial, n, f) <= energy + 1e-4 * t * slope || t < 1e-8) break;
      t *= 0.5;
    }
    steps.push({ energy, gradientNorm, stepLength: t, cgIterations });
    if (t < 1e-8) break; // no decrease along d: rounding has the last word
    u.set(trial);
  }
  return { u, steps, colors: hessian.coloring.count };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const n = Number(process.argv[2] ?? 64);
  const started = performance.now();
  const { steps, colors } = newton(n);
  console.log(`p-Laplacian on a ${n}×${n} grid (${n * n} unknowns), Hessian from ${colors} HVPs a step:`);
  console.log("  step   energy                ‖gradient‖   step length   CG iterations");
  steps.forEach((s, k) =>
    console.log(`  ${String(k).padStart(4)}   ${s.energy.toExponential(12)}   ${s.gradientNorm.toExponential(2)}     ${s.stepLength.toString().padEnd(9)}     ${s.cgIterations}`),
  );
  console.log(`  ${((performance.now() - started) / 1000).toFixed(2)} s`);
}
