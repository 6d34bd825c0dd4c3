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
