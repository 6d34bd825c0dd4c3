/**
 * ADBench workloads for `npm run bench`, read from ../shared/adbench when it is there
 * (the benchmark says so and skips them when it is not). GMM: objective and the generated
 * gradient of samples/gmm.ts on the 1k and 10k data sets, gradient / objective ratio.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gmmObjective } from "../samples/gmm.ts";
import { gmmObjectiveGradInto } from "../samples/gmm.grad.ts";
import { measure } from "./timing.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shared/adbench");

export function adbenchAvailable(): boolean {
  return existsSync(path.join(root, "gmm"));
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
