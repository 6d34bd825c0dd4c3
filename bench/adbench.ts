/**
 * ADBench workloads for `npm run bench`, read from ../shared/adbench when it is there
 * (the benchmark says so and skips them when it is not). GMM: objective and the generated
 * gradient of samples/gmm.ts on the 1k and 10k data sets, gradient / objective ratio. LSTM:
 * the same for samples/lstm.ts. BA: the residuals and their sparse Jacobian
 * (samples/baJacobian.ts), and the tape runtime's Jacobian beside tsgrad's.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gmmObjective } from "../samples/gmm.ts";
import { gmmObjectiveGradInto } from "../samples/gmm.grad.ts";
import { measure } from "./timing.ts";
import { loadTapeModule, type TapeModule } from "../runtime/tape/index.ts";
import { baJacobian, baJacobianBuffers, baObjective, baScratch, parseBa, type BaProblem, type BaSparseJacobian } from "../samples/baJacobian.ts";

/** ../shared/adbench beside the repository, or wherever ADBENCH_DIR says (e.g. from a git worktree). */
const root = process.env["ADBENCH_DIR"] ? path.resolve(process.env["ADBENCH_DIR"]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shared/adbench");

export function adbenchAvailable(): boolean {
  return existsSync(path.join(root, "gmm"));
}

export function baAvailable(): boolean {
  return existsSync(path.join(root, "ba"));
}

interface GmmInput {
  alphas: number[];
  means: number[][];
  icf: number[][];
  x: number[][];
  gamma: number;
  m: number;
}

export function readGmm(file: string): GmmInput {
  const numbers = readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
  let k = 0;
  const take = (count: number) => numbers.slice(k, (k += count));
  const [d, K, n] = take(3) as [number, number, number];
  const alphas = take(K);
  const means = Array.from({ length: K }, () => take(d));
  const icf = Array.from({ length: K }, () => take((d * (d + 1)) / 2));
  const x = Array.from({ length: n }, () => take(d));
  const [gamma, m] = take(2) as [number, number];
  return { alphas, means, icf, x, gamma, m };
}

/** Rows of [file, d, K, n, gradient/objective] for the GMM files selected. */
export function gmmRows(quick: boolean): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const sets = quick ? ["1k"] : ["1k", "10k"];
  for (const set of sets) {
    const dir = path.join(root, "gmm", set);
    const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const chosen = quick ? files.filter((f) => /_K(5|25)\.txt$/.test(f) && /_d(2|10)_/.test(f)) : files;
    for (const file of chosen) {
      const g = readGmm(path.join(dir, file));
      const grad = { alphas: g.alphas.map(() => 0), means: g.means.map((r) => r.map(() => 0)), icf: g.icf.map((r) => r.map(() => 0)) };
      let sink = 0;
      const [objective, gradient] = measure(
        [
          { name: "objective", run: () => (sink += gmmObjective(g.alphas, g.means, g.icf, g.x, g.gamma, g.m)) },
          { name: "gradient", run: () => (sink += gmmObjectiveGradInto(g.alphas, g.means, g.icf, g.x, g.gamma, g.m, grad)) },
        ],
        { rounds: quick ? 3 : 5, minBatchMs: 10 },
      ).map((t) => t.median);
      rows.push([`${set}/${file}`, String(g.means[0]!.length), String(g.alphas.length), String(g.x.length), gradient! / objective!]);
      if (sink === 42) console.log("");
    }
  }
  return rows;
}

interface LstmInput {
  main: number[][];
  extra: number[][];
  state: number[][];
  sequence: number[][];
}

export function readLstm(file: string): LstmInput {
  const numbers = readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
  let k = 0;
  const rows = (count: number, width: number) => Array.from({ length: count }, () => numbers.slice(k, (k += width)));
  const [l, c, b] = [numbers[k++]!, numbers[k++]!, numbers[k++]!];
  return { main: rows(2 * l, 4 * b), extra: rows(3, b), state: rows(2 * l, b), sequence: rows(c, b) };
}

/**
 * Rows of [file, l, c, gradient/objective] for the ADBench LSTM files, and, for
 * lstm_l2_c1024, the largest difference from ADBench's golden objective and gradient.
 */
export async function lstmRows(quick: boolean): Promise<{ rows: (string | number)[][]; golden: string }> {
  const { lstmObjective } = await import("../samples/lstm.ts");
  const { lstmObjectiveGrad, lstmObjectiveGradInto } = await import("../samples/lstm.grad.ts");
  const dir = path.join(root, "lstm");
  const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
  const rows: (string | number)[][] = [];
  for (const file of quick ? files.slice(0, 1) : files) {
    const d = readLstm(path.join(dir, file));
    const grad = { main: d.main.map((r) => r.map(() => 0)), extra: d.extra.map((r) => r.map(() => 0)) };
    let sink = 0;
    const [objective, gradient] = measure(
      [
        { name: "objective", run: () => (sink += lstmObjective(d.main, d.extra, d.state, d.sequence)) },
        { name: "gradient", run: () => (sink += lstmObjectiveGradInto(d.main, d.extra, d.state, d.sequence, grad)) },
      ],
      { rounds: quick ? 3 : 5, minBatchMs: 10 },
    ).map((t) => t.median);
    rows.push([file, String(d.main.length / 2), String(d.sequence.length), gradient! / objective!]);
    if (sink === 42) console.log("");
  }
  // ADBench's golden values (its unit tests) for lstm_l2_c1024.
  const expected = JSON.parse(readFileSync(path.join(root, "expected", "adbench_tests.json"), "utf8")).lstm as { objective: number; gradient: number[] };
  const d = readLstm(path.join(dir, "lstm_l2_c1024.txt"));
  const g = lstmObjectiveGrad(d.main, d.extra, d.state, d.sequence);
  const flat = [...g.grad.main.flat(), ...g.grad.extra.flat()];
  const gradErr = Math.max(...flat.map((x, i) => Math.abs(x - expected.gradient[i]!)));
  const golden = `LSTM l2_c1024 against ADBench's golden values: |objective - golden| = ${Math.abs(g.value - expected.objective).toExponential(1)} (golden has 8 decimals), max |gradient - golden| = ${gradErr.toExponential(1)} over ${flat.length} entries`;
  return { rows, golden };
}

/** The first `count` observations of `b` (all cameras and points kept). */
function firstObservations(b: BaProblem, count: number): BaProblem {
  const p = Math.min(count, b.p);
  return { ...b, p, w: b.w.slice(0, p), obs: b.obs.slice(0, 2 * p), feats: b.feats.slice(0, 2 * p) };
}

/**
 * The same sparse Jacobian from the tape runtime: per observation, the tape's dense 2 × 15
 * Jacobian of baReprojectionError on that observation's own camera and point (so the tape
 * boxes 15 inputs, not every camera and point), and the tape's gradient of the weight error.
 */
export function baJacobianByTape(tape: TapeModule, b: BaProblem, J: BaSparseJacobian): void {
  const { n, m, p, cams, X, w, obs, feats } = b;
  let k = 0;
  for (let i = 0; i < p; i++) {
    const c = obs[2 * i]!;
    const pt = obs[2 * i + 1]!;
    const cam = cams.slice(11 * c, 11 * c + 11);
    const point = X.slice(3 * pt, 3 * pt + 3);
    const feat = feats.slice(2 * i, 2 * i + 2);
    const T = tape.jacobian("baReprojectionError", [cam, 0, point, 0, w[i]!, feat, 0], ["cams", "X", "w"]);
    for (let r = 0; r < 2; r++) {
      for (let q = 0; q < 11; q++) {
        J.cols[k] = 11 * c + q;
        J.vals[k++] = T[r]![q]!;
      }
      for (let q = 0; q < 3; q++) {
        J.cols[k] = 11 * n + 3 * pt + q;
        J.vals[k++] = T[r]![11 + q]!;
      }
      J.cols[k] = 11 * n + 3 * m + i;
      J.vals[k++] = T[r]![14]!;
      J.rows[2 * i + r + 1] = k;
    }
  }
  for (let i = 0; i < p; i++) {
    J.cols[k] = 11 * n + 3 * m + i;
    J.vals[k++] = tape.grad("baWeightError", [w[i]!], ["w"]).grad["w"] as number;
    J.rows[2 * p + i + 1] = k;
  }
}

/**
 * Rows of [file, n, m, p, objective ms, Jacobian ms, Jacobian/objective, tape/tsgrad] for the
 * ADBench BA files ba1..ba5 (--quick: ba1). The tape is timed against tsgrad on the first
 * 500 observations of each file (both cost the same per observation at any p), after
 * checking that the two Jacobians agree there.
 */
export function baRows(quick: boolean): { rows: (string | number)[][]; agreement: string } {
  const dir = path.join(root, "ba");
  const tape = loadTapeModule(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../samples/ba.ts"));
  const files = readdirSync(dir)
    .filter((f) => /^ba\d+_/.test(f))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
    .slice(0, quick ? 1 : 5);
  const rows: (string | number)[][] = [];
  let worst = 0;
  for (const file of files) {
    const b = parseBa(readFileSync(path.join(dir, file), "utf8"));
    const reprojErr = new Float64Array(2 * b.p);
    const wErr = new Float64Array(b.p);
    const J = baJacobianBuffers(b);
    const scratch = baScratch(b);
    let sink = 0;
    const [objective, jacobian] = measure(
      [
        { name: "objective", run: () => { baObjective(b, reprojErr, wErr); sink += reprojErr[0]!; } },
        { name: "jacobian", run: () => { baJacobian(b, J, scratch); sink += J.vals[0]!; } },
      ],
      { rounds: quick ? 5 : 9, minBatchMs: 20 },
    ).map((t) => t.median);
    const small = firstObservations(b, 500);
    const Jsmall = baJacobianBuffers(small);
    const Jtape = baJacobianBuffers(small);
    const scratchSmall = baScratch(small);
    baJacobian(small, Jsmall, scratchSmall);
    baJacobianByTape(tape, small, Jtape);
    for (let k = 0; k < Jtape.vals.length; k++) worst = Math.max(worst, Math.abs(Jtape.vals[k]! - Jsmall.vals[k]!) / Math.max(1, Math.abs(Jsmall.vals[k]!)));
    if (Jtape.cols.some((c, k) => c !== Jsmall.cols[k]) || Jtape.rows.some((r, k) => r !== Jsmall.rows[k])) worst = Infinity;
    const [tsgradSmall, tapeSmall] = measure(
      [
        { name: "tsgrad", run: () => { baJacobian(small, Jsmall, scratchSmall); sink += Jsmall.vals[0]!; } },
        { name: "tape", run: () => { baJacobianByTape(tape, small, Jtape); sink += Jtape.vals[0]!; } },
      ],
      { rounds: 3, minBatchMs: 20 },
    ).map((t) => t.median);
    rows.push([file.replace(/\.txt$/, ""), String(b.n), String(b.m), String(b.p), (objective! * 1e3).toFixed(2), (jacobian! * 1e3).toFixed(2), jacobian! / objective!, tapeSmall! / tsgradSmall!]);
    if (sink === 42) console.log("");
  }
  const agreement = `BA: tape and tsgrad Jacobians on the first 500 observations of each file: max |tape - tsgrad| / max(1, |tsgrad|) = ${worst.toExponential(1)}, same rows and cols: ${Number.isFinite(worst)}`;
  return { rows, agreement };
}
