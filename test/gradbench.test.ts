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
import { COMPLICATED, GOLDEN_COMPLICATED, GOLDEN_SIMPLE, SIMPLE, goldenArgs } from "./harness/hand.ts";

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
    const n = 9;
    for (const x of [[0.3, -0.2, 0.5, 0.1], [0.3, -0.2, 0.5, 0.1, -0.7]]) {
      // an even and an odd number of coefficients (llsq.ts pairs them up)
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
    }
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
    // As sent: a response's output may serialize itself (toJSON), outside the timing.
    const j = JSON.parse(JSON.stringify(respond({ id: 2, kind: "evaluate", module: "gmm", function: "jacobian", input }))).output as { alpha: number[]; q: number[][]; l: number[][] };
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
    const j = JSON.parse(JSON.stringify(respond({ id: 3, kind: "evaluate", module: "lstm", function: "jacobian", input: lstm }))).output as number[];
    expect(j).toHaveLength(2 * 4 * b + 3 * b);
  });

  it("kmeans' dir is each centroid minus the mean of the points closest to it", () => {
    const points = [[0, 0], [1, 0.5], [4, 4], [5, 3.5], [0.5, 1], [4.2, 5]];
    const centroids = [[0.2, 0.1], [4.5, 4.1], [9, -9]]; // the third is nobody's closest
    const input = { points, centroids, min_runs: 1, min_seconds: 0 };
    const dir = respond({ id: 1, kind: "evaluate", module: "kmeans", function: "dir", input }).output as number[][];
    const cost = respond({ id: 2, kind: "evaluate", module: "kmeans", function: "cost", input }).output as number;
    const closest = points.map((p) => {
      const dist = centroids.map((c) => (p[0]! - c[0]!) ** 2 + (p[1]! - c[1]!) ** 2);
      return dist.indexOf(Math.min(...dist));
    });
    const mean = (j: number, l: number) => {
      const mine = points.filter((_, i) => closest[i] === j);
      return mine.reduce((s, p) => s + p[l]!, 0) / mine.length;
    };
    expect(maxRelError(dir.slice(0, 2).flat(), [0, 1].flatMap((j) => [0, 1].map((l) => centroids[j]![l]! - mean(j, l))))).toBeLessThan(1e-14);
    expect(dir[2]!.every((v) => Number.isNaN(v))).toBe(true); // 0/0, as the C++ tool's -(0/0 - c)
    expect(cost).toBeCloseTo(points.reduce((s, p, i) => s + (p[0]! - centroids[closest[i]!]![0]!) ** 2 + (p[1]! - centroids[closest[i]!]![1]!) ** 2, 0), 12);
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

  it("ba replicates the compact input, answers in the golden tool's format, and times prepare apart", () => {
    // ADBench data/ba/test.txt (n = 2, m = 10, p = 10); golden numbers from ADBench's
    // test/cpp/modules/common/BaTests.cpp (github.com/microsoft/ADBench, commit 38cb793, MIT).
    const input = {
      n: 2, m: 10, p: 10, w: 0.417022, min_runs: 3, min_seconds: 0,
      cam: [1.797201, 0.590697, -0.635786, 90.85955, 29.361415, 28.777534, 211.628116, -0.284531, -14.762924, 0.058931, 0.069976],
      x: [4.173048, 5.586898, 1.403869],
      feat: [-525.672849, 161.811929],
    };
    const objective = respond({ id: 1, kind: "evaluate", module: "ba", function: "objective", input }) as {
      output: { reproj_error: { elements: number[]; repeated: number }; w_err: { element: number; repeated: number } };
      timings: { name: string }[];
    };
    expect(objective.timings.map((t) => t.name)).toEqual(["prepare", "evaluate", "evaluate", "evaluate"]);
    expect(objective.output.reproj_error.repeated).toBe(10);
    expect(objective.output.w_err.repeated).toBe(10);
    expect(maxRelError(objective.output.reproj_error.elements, [-0.2690488492351894, 0.2599447926779019])).toBeLessThan(1e-12);
    expect(Math.abs(objective.output.w_err.element - 0.826092651516)).toBeLessThan(1e-12);
    const jacobian = respond({ id: 2, kind: "evaluate", module: "ba", function: "jacobian", input: { ...input, min_runs: 1 } }).output as {
      rows: number[]; cols: number[]; vals: number[];
    };
    // CSR offsets of rows 0..29 and the total (31p = 310); columns of observation 0's two
    // rows (camera 0: 0..10, point 0: 22..24, weight 0: 52) and the last weight's (61).
    expect(jacobian.rows).toEqual([...Array.from({ length: 21 }, (_, r) => 15 * r), 301, 302, 303, 304, 305, 306, 307, 308, 309, 310]);
    const obs0 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 22, 23, 24, 52];
    expect(jacobian.cols).toEqual([...obs0, ...obs0, 61]);
    const golden = [
      228.87720220824676, 634.5748114955454, -782.2228662593405, 2.4289261560715967, -11.782807962801131, 2.5416931248774346,
      -1.0365708495851809, 0.417022, 0.0, -350.7395210960052, -912.1077736680086, -2.4289261560715967, 11.782807962801131,
      -2.5416931248774346, -0.6451670397129874, -120.54243599499688, -385.6732407664604, 97.54762914033265, -1.7837210852957657,
      4.154667994331261, 2.040257180298989, 0.3491763974331459, 0.0, 0.417022, 118.1491477044145, 307.25010896034325,
      1.7837210852957657, -4.154667994331261, -2.040257180298989, 0.623335921553064, -0.834044,
    ];
    expect(jacobian.vals).toHaveLength(31);
    for (let k = 0; k < 31; k++) expect(Math.abs(jacobian.vals[k]! - golden[k]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(golden[k]!)));
    expect(JSON.parse(JSON.stringify(jacobian))).toEqual(jacobian);
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
