/**
 * The GradBench tool (bench/gradbench/tool.ts) answers protocol messages correctly: it
 * acknowledges start and analysis, accepts only modules it implements, honours min_runs
 * with one "evaluate" timing per run, and its outputs match closed forms. One test drives
 * the real process over stdin/stdout.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { respond } from "../bench/gradbench/tool.ts";
import { maxRelError } from "./harness/numeric.ts";
import { COMPLICATED, GOLDEN_COMPLICATED, GOLDEN_SIMPLE, SIMPLE, goldenArgs } from "./support/hand.ts";

describe("GradBench tool", () => {
  it("follows the protocol", () => {
    expect(respond({ id: 0, kind: "start" })).toMatchObject({ id: 0 });
    expect(respond({ id: 1, kind: "define", module: "hello" })).toEqual({ id: 1, success: true });
    expect(respond({ id: 2, kind: "define", module: "nope" })).toMatchObject({ id: 2, success: false });
    expect(respond({ id: 3, kind: "analysis" })).toEqual({ id: 3 });
    const square = respond({ id: 4, kind: "evaluate", module: "hello", function: "double", input: 3 });
    expect(square).toMatchObject({ id: 4, success: true, output: 6 });
    expect(respond({ id: 5, kind: "evaluate", module: "hello", function: "cube", input: 3 })).toMatchObject({ success: false });
  });

  it("honours min_runs with one evaluate timing per run", () => {
    const r = respond({ id: 1, kind: "evaluate", module: "lse", function: "primal", input: { x: [1, 2, 3], min_runs: 7, min_seconds: 0 } }) as {
      timings: { name: string; nanoseconds: number }[];
    };
    expect(r.timings).toHaveLength(7);
    expect(r.timings.every((t) => t.name === "evaluate" && t.nanoseconds >= 0)).toBe(true);
  });

  it("llsq and lse gradients match their closed forms", () => {
    const x = [0.3, -0.2, 0.5, 0.1];
    const n = 9;
    const g = respond({ id: 1, kind: "evaluate", module: "llsq", function: "gradient", input: { x, n, min_runs: 1, min_seconds: 0 } }).output as number[];
    const closed = x.map((_, j) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const t = -1 + (2 * i) / (n - 1);
        const r = Math.sign(t) - x.reduce((acc, xk, k) => acc + xk * t ** k, 0);
        s -= r * t ** j;
      }
      return s;
    });
    expect(maxRelError(g, closed)).toBeLessThan(1e-12);
    const v = [0.5, -1, 2, 0.25];
    const soft = respond({ id: 2, kind: "evaluate", module: "lse", function: "gradient", input: { x: v, min_runs: 1, min_seconds: 0 } }).output as number[];
    const e = v.map(Math.exp);
    const sum = e.reduce((a, b) => a + b, 0);
    expect(maxRelError(soft, e.map((z) => z / sum))).toBeLessThan(1e-14);
  });

  it("gmm is the log posterior the eval defines (checked against explicit densities, d = 2)", () => {
    const input = {
      d: 2, k: 3, n: 2, m: 1, gamma: 1.3, min_runs: 1, min_seconds: 0,
      alpha: [-0.649014, 1.181166, -0.758453],
      mu: [[0.092339, 0.18626], [0.345561, 0.396767], [0.538817, 0.419195]],
      q: [[0.586443, -0.851887], [-1.509405, 0.875874], [0.166813, -1.965419]],
      l: [[0.800321], [-0.24279], [-1.270071]],
      x: [[1.175171, 2.02916], [-0.4, 0.3]],
    };
    // log( Π_i Σ_k φ_k N(x_i; μ_k, (Q_kᵀQ_k)⁻¹) · Π_k Wishart(Q_kᵀQ_k; p = 2, n = d + m + 1, V = I/γ²) )
    const phi = input.alpha.map(Math.exp);
    const total = phi.reduce((a, b) => a + b, 0);
    const precision = input.q.map((q, k) => {
      const [a, c, b] = [Math.exp(q[0]!), input.l[k]![0]!, Math.exp(q[1]!)]; // Q = [[a, 0], [c, b]]
      return [[a * a + c * c, c * b], [c * b, b * b]]; // QᵀQ
    });
    let likelihood = 1;
    for (const xi of input.x) {
      let mix = 0;
      precision.forEach((P, k) => {
        const d0 = xi[0]! - input.mu[k]![0]!;
        const d1 = xi[1]! - input.mu[k]![1]!;
        const quad = P[0]![0]! * d0 * d0 + 2 * P[0]![1]! * d0 * d1 + P[1]![1]! * d1 * d1;
        const det = P[0]![0]! * P[1]![1]! - P[0]![1]! * P[1]![0]!;
        mix += (phi[k]! / total) * Math.exp(-0.5 * quad) / Math.sqrt((2 * Math.PI) ** 2 / det);
      });
      likelihood *= mix;
    }
    const n = 2 + input.m + 1;
    const logGamma = (z: number) => (z === 2 ? 0 : z === 1.5 ? Math.log(Math.sqrt(Math.PI) / 2) : NaN); // Γ(2) = 1, Γ(1.5) = √π/2
    const logMultiGamma2 = 0.5 * Math.log(Math.PI) + logGamma(n / 2) + logGamma(n / 2 - 0.5);
    let logPrior = 0;
    for (const P of precision) {
      const det = P[0]![0]! * P[1]![1]! - P[0]![1]! * P[1]![0]!;
      const trace = input.gamma ** 2 * (P[0]![0]! + P[1]![1]!); // tr(V⁻¹ X) with V = I/γ²
      logPrior += ((n - 2 - 1) / 2) * Math.log(det) - trace / 2 - n * Math.log(2) - (n / 2) * Math.log(input.gamma ** -4) - logMultiGamma2;
    }
    const f = respond({ id: 1, kind: "evaluate", module: "gmm", function: "objective", input }).output as number;
    expect(Math.abs(f - (Math.log(likelihood) + logPrior))).toBeLessThan(1e-12);
    const j = respond({ id: 2, kind: "evaluate", module: "gmm", function: "jacobian", input }).output as { alpha: number[]; q: number[][]; l: number[][] };
    expect(j.q.map((r) => r.length)).toEqual([2, 2, 2]);
    expect(j.l.map((r) => r.length)).toEqual([1, 1, 1]);
  });

  it("ode's gradient is that of y(2)'s last element, and lstm's jacobian is flat", () => {
    const x = [0.4, -0.3, 0.8, 0.5];
    const s = 10;
    const g = respond({ id: 1, kind: "evaluate", module: "ode", function: "gradient", input: { x, s, min_runs: 1, min_seconds: 0 } }).output as number[];
    const last = (v: number[]) => (respond({ id: 2, kind: "evaluate", module: "ode", function: "primal", input: { x: v, s, min_runs: 1, min_seconds: 0 } }).output as number[])[3]!;
    const h = 1e-6;
    const fd = x.map((_, i) => (last(x.map((v, j) => (j === i ? v + h : v))) - last(x.map((v, j) => (j === i ? v - h : v)))) / (2 * h));
    expect(maxRelError(g, fd)).toBeLessThan(1e-7);
    const b = 2;
    const lstm = {
      main_params: [Array(4 * b).fill(0.1), Array(4 * b).fill(0.2)],
      extra_params: [Array(b).fill(0.3), Array(b).fill(0.4), Array(b).fill(0.5)],
      state: [Array(b).fill(0.1), Array(b).fill(0.2)],
      sequence: [[1, 0], [0, 1], [1, 1]],
      min_runs: 1,
      min_seconds: 0,
    };
    const j = respond({ id: 3, kind: "evaluate", module: "lstm", function: "jacobian", input: lstm }).output as number[];
    expect(j).toHaveLength(2 * 4 * b + 3 * b);
  });

  it("det's gradient is det(A) A⁻ᵀ (here for a 3×3 matrix, against cofactors)", () => {
    const A = [2, -1, 0.5, 1, 3, -2, 0.4, 1, 4];
    const g = respond({ id: 1, kind: "evaluate", module: "det", function: "gradient", input: { A, ell: 3, min_runs: 1, min_seconds: 0 } }).output as number[];
    const a = (i: number, j: number) => A[3 * i + j]!;
    // ∂det/∂a_ij is the cofactor C_ij.
    const cof = (i: number, j: number) => {
      const r = [0, 1, 2].filter((x) => x !== i);
      const c = [0, 1, 2].filter((x) => x !== j);
      return (-1) ** (i + j) * (a(r[0]!, c[0]!) * a(r[1]!, c[1]!) - a(r[0]!, c[1]!) * a(r[1]!, c[0]!));
    };
    expect(maxRelError(g, [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => cof(i, j))))).toBeLessThan(1e-13);
  });

  it("ht answers in GradBench's layout: err point by point, the dense Jacobian as rows [du0, du1 (complicated only), dtheta]", () => {
    for (const [instance, golden] of [[SIMPLE, GOLDEN_SIMPLE], [COMPLICATED, GOLDEN_COMPLICATED]] as const) {
      const [theta, us, parents, base_relatives, inverse_base_absolutes, base_positions, weights, triangles, is_mirrored, correspondences, points] = goldenArgs(instance);
      const model = { bone_count: parents.length, bone_names: parents.map((_, b) => `bone${b}`), parents, base_relatives, inverse_base_absolutes, base_positions, weights, triangles, is_mirrored };
      const input = { theta, us, data: { model, correspondences, points }, min_runs: 2, min_seconds: 0 };
      // Through JSON both ways, as the protocol does (the Jacobian's rows are built when serialized).
      const ask = (fn: string) => JSON.parse(JSON.stringify(respond(JSON.parse(JSON.stringify({ id: 1, kind: "evaluate", module: "ht", function: fn, input })))));
      const objective = ask("objective");
      expect(objective.timings).toHaveLength(2);
      expect(maxRelError(objective.output, golden.objective)).toBeLessThan(1e-10);
      const jacobian = ask("jacobian");
      expect(jacobian.output).toHaveLength(golden.rows);
      const rows = jacobian.output as number[][];
      expect(rows.every((row) => row.length === golden.cols)).toBe(true);
      // ADBench stores it column-major: entry (r, c) at c * rows + r.
      expect(maxRelError(rows.flat(), rows.flatMap((row, r) => row.map((_, c) => golden.jacobianColumnMajor[c * golden.rows + r]!)))).toBeLessThan(1e-10);
    }
  });

  it("speaks JSON lines over stdin and stdout", () => {
    const root = path.resolve(import.meta.dirname, "..");
    const input = [
      { id: 0, kind: "start", eval: "hello" },
      { id: 1, kind: "define", module: "hello" },
      { id: 2, kind: "evaluate", module: "hello", function: "square", input: 1.5 },
      { id: 3, kind: "analysis", of: 2, valid: true },
    ].map((m) => JSON.stringify(m)).join("\n");
    const run = spawnSync(process.execPath, ["--import", "tsx", "bench/gradbench/tool.ts"], { cwd: root, input, encoding: "utf8" });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual([0, 1, 2, 3]);
    expect(lines[2]).toMatchObject({ success: true, output: 2.25 });
  }, 30_000);
});
