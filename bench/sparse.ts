/**
 * `npm run bench:sparse` (issue 23): the sparse drivers, measured side by side in one
 * process (medians of interleaved batches, bench/timing.ts). Reports, never asserts.
 *
 *   p-Laplacian on N×N (samples/pLaplacian.ts, n = N² up to 10^6): gradient, one HVP, the
 *     sparse Hessian (fHessianSparseInto: c HVP directions in vector sweeps of 1, 8 (the default)
 *     or c lanes, + recovery) against the gradient and against c + 2 gradients; detection and
 *     coloring (once per shape); bytes of the CSR matrix
 *   banded (bench/workloads/banded.ts): declared bandwidth=2 (dense n×n result) against
 *     detected `sparse`
 *   BA (bench/workloads/baSparse.ts): the whole Jacobian from `@jacobian … sparse` against
 *     samples/baJacobian.ts's hand-wired rows (per-observation VJPs), values compared
 *
 *   npm run bench:sparse [-- --quick]    (--quick: N ≤ 316, smaller BA)
 *   npx tsx bench/sparse.ts --grids=1000 --only=plaplacian   (one section, chosen grids: 10^6 unknowns)
 */
import { pLaplacianGradInto, pLaplacianHessianSparse, pLaplacianHessianSparseInto, pLaplacianHessianSparsity, pLaplacianHvpInto } from "../samples/pLaplacian.grad.ts";
import { banded } from "./workloads/banded.ts";
import { bandedHessian, bandedSparseHessianSparse, bandedSparseHessianSparseInto } from "./workloads/banded.grad.ts";
import { baResidualsJacobianSparse, baResidualsJacobianSparseInto } from "./workloads/baSparse.grad.ts";
import { baJacobian, baJacobianBuffers, baScratch, expandBa } from "../samples/baJacobian.ts";
import { baReprojectionErrorInputs } from "../samples/ba.ts";
import { compressedHessian, hessianColoring, lanesFor } from "../runtime/sparse.ts";
import { measure, table } from "./timing.ts";
import os from "node:os";

const quick = process.argv.includes("--quick");
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = option("only")?.split(",");
const section = (name: string) => only === undefined || only.includes(name);
const grids = option("grids")?.split(",").map(Number) ?? (quick ? [32, 100, 316] : [32, 100, 316, 1000]);
let sink = 0;
const seconds = (f: () => unknown): number => {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
};
const ms = (s: number) => (s * 1000).toFixed(s < 0.01 ? 3 : 1);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

console.log(`bench/sparse.ts, ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} cores shared with other engineers, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);

// ---- the p-Laplacian ----
if (section("plaplacian")) {
  const rows: (string | number)[][] = [];
  const once: (string | number)[][] = [];
  for (const N of grids) {
    const n = N * N;
    const u = Float64Array.from({ length: n }, (_, k) => 0.05 * Math.sin(k + 1));
    const f = 10;
    const heapBefore = process.memoryUsage().heapUsed;
    let pattern!: ReturnType<typeof pLaplacianHessianSparsity>;
    const detect = seconds(() => (pattern = pLaplacianHessianSparsity(u, N, f)));
    let made!: ReturnType<typeof pLaplacianHessianSparse>;
    const first = seconds(() => (made = pLaplacianHessianSparse(u, N, f)));
    const { grad, hessian } = made;
    const heapAfter = process.memoryUsage().heapUsed;
    const rss = process.memoryUsage().rss;
    const nnz = hessian.columnIndices.length;
    const csrBytes = 8 * nnz + 4 * nnz + 4 * (n + 1);
    const v = { u: Float64Array.from({ length: n }, (_, k) => Math.cos(k)) };
    const hv = { u: new Float64Array(n) };
    const g = { u: new Float64Array(n) };
    const c = hessian.coloring.count;
    // The same pattern and coloring at widths 1 (one color per vector sweep), 8 (the default)
    // and c (every color in one sweep).
    const at = (width: number) => {
      if (width === 8) return hessian;
      const lanes = lanesFor(hessian.coloring, width);
      const other = compressedHessian(pattern, hessianColoring(pattern), lanes, { u: new Float64Array(n * lanes) }, { u: new Float64Array(n * lanes) });
      pLaplacianHessianSparseInto(u, N, f, grad, other);
      return other;
    };
    const [h1, h8, hc] = [1, 8, c].map(at) as [typeof hessian, typeof hessian, typeof hessian];
    for (const other of [h1, hc]) if (other.values.some((x, k) => x !== h8.values[k])) console.log(`  ${N}×${N}: the Hessian at ${other.lanes} lanes differs from 8's`);
    const rounds = n >= 1e6 ? 3 : n >= 1e5 ? 5 : 9;
    const [tg, th, t1, t8, tc] = measure(
      [
        { name: "gradient", run: () => (sink += pLaplacianGradInto(u, N, f, g)) },
        { name: "hvp", run: () => (sink += pLaplacianHvpInto(u, N, f, v, g, hv)) },
        { name: "sparse Hessian, 1 lane", run: () => (sink += pLaplacianHessianSparseInto(u, N, f, grad, h1)) },
        { name: "sparse Hessian, width 8", run: () => (sink += pLaplacianHessianSparseInto(u, N, f, grad, h8)) },
        { name: "sparse Hessian, width c", run: () => (sink += pLaplacianHessianSparseInto(u, N, f, grad, hc)) },
      ],
      { rounds, minBatchMs: 20 },
    ).map((m) => m.median) as [number, number, number, number, number];
    rows.push([`${N}×${N}`, n, nnz / n, c, ms(tg), th / tg, t1 / tg, `${(t8 / tg).toFixed(1)} (${h8.lanes})`, tc / tg, t8 / ((c + 2) * tg), tc / ((c + 2) * tg), mb(csrBytes)]);
    once.push([`${N}×${N}`, ms(detect), detect / tg, ms(first - 0), first / tg, mb(heapAfter - heapBefore), mb(rss), pattern.columnIndices.length === nnz ? "yes" : "NO"]);
  }
  table(
    "p-Laplacian (samples/pLaplacian.ts): sparse Hessian (fHessianSparseInto, pattern and coloring reused), times / gradient; lanes = colors per forward-over-reverse sweep",
    ["grid", "n", "nnz/row", "colors c", "gradient ms", "HVP", "Hessian, 1 lane", "Hessian, width 8 (lanes)", "Hessian, c lanes", "width 8 /(c+2)", "c lanes /(c+2)", "CSR MB"],
    rows,
  );
  table(
    "  once per shape: detection (fHessianSparsity: the HVP with index sets) and fHessianSparse (detection + coloring + first values)",
    ["grid", "detect ms", "detect/grad", "fHessianSparse ms", "/grad", "heap growth MB", "RSS MB", "same pattern"],
    once,
  );
}

// ---- banded: declared band against detected pattern ----
if (section("banded")) {
  const rows: (string | number)[][] = [];
  for (const n of [100, 1000, ...(quick ? [] : [100000])]) {
    const x = Float64Array.from({ length: n }, (_, k) => 0.3 + 0.1 * Math.sin(k));
    const made = bandedSparseHessianSparse(x);
    const dense = n <= 1000;
    if (dense) {
      const declared = bandedHessian(x).hessian;
      const csr = made.hessian;
      let maxDiff = 0;
      for (let i = 0; i < n; i++) for (let k = csr.rowPointers[i]!; k < csr.rowPointers[i + 1]!; k++) maxDiff = Math.max(maxDiff, Math.abs(csr.values[k]! - declared[i]![csr.columnIndices[k]!]!));
      if (maxDiff !== 0) console.log(`  banded n=${n}: sparse and declared band differ by ${maxDiff}`);
    }
    const variants = [
      { name: "primal", run: () => (sink += banded(x)) },
      { name: "sparse Into", run: () => (sink += bandedSparseHessianSparseInto(x, made.grad, made.hessian)) },
      { name: "sparse (detect + color + values)", run: () => (sink += bandedSparseHessianSparse(x).value) },
      ...(dense ? [{ name: "bandwidth=2 (dense result)", run: () => (sink += bandedHessian(x).value) }] : []),
    ];
    const t = measure(variants, { rounds: n >= 1e5 ? 5 : 9 }).map((m) => m.median);
    rows.push([n, made.hessian.coloring.count, ms(t[0]!), t[1]! / t[0]!, t[2]! / t[0]!, dense ? t[3]! / t[0]! : "n/a", dense ? t[3]! / t[1]! : "n/a"]);
  }
  table(
    "banded (bench/workloads/banded.ts, bandwidth 2): times / primal",
    ["n", "colors", "primal ms", "sparse Into", "sparse from scratch", "bandwidth=2", "bandwidth=2 / sparse Into"],
    rows,
  );
}

// ---- bundle adjustment: detected sparse Jacobian against hand-wired rows ----
if (section("ba")) {
  const rows: (string | number)[][] = [];
  const [cams0, , X0, , w0, feats0] = baReprojectionErrorInputs();
  const cam = Array.from(cams0.subarray(0, 11));
  const point = Array.from(X0.subarray(0, 3));
  const feat = [feats0[0]!, feats0[1]!];
  for (const [n, m, p] of quick ? [[20, 500, 2000]] : [[20, 500, 2000], [50, 5000, 20000]]) {
    const b = expandBa(n!, m!, p!, cam, point, w0, feat);
    // Vary the cameras and points a little so no entry is an accident of identical copies.
    b.cams.forEach((x, k) => (b.cams[k] = x * (1 + 1e-3 * Math.sin(k))));
    b.X.forEach((x, k) => (b.X[k] = x * (1 + 1e-3 * Math.cos(k))));
    const J = baJacobianBuffers(b);
    const scratch = baScratch(b);
    baJacobian(b, J, scratch);
    let made!: ReturnType<typeof baResidualsJacobianSparse>;
    const first = seconds(() => (made = baResidualsJacobianSparse(b.cams, b.X, b.w, b.obs, b.feats)));
    const S = made.jacobian;
    // The detected pattern leaves out ADBench's two structural zeros a row (∂r_x/∂c_y, ∂r_y/∂c_x):
    // every detected entry must be one of the hand-wired ones, with the same value, and every
    // hand-wired entry it leaves out must be zero.
    let maxRel = 0;
    let missing = 0;
    let extraNonzero = 0;
    for (let i = 0; i < J.nrows; i++) {
      let k = S.rowPointers[i]!;
      for (let h = J.rows[i]!; h < J.rows[i + 1]!; h++) {
        if (k < S.rowPointers[i + 1]! && S.columnIndices[k] === J.cols[h]) {
          maxRel = Math.max(maxRel, Math.abs(S.values[k]! - J.vals[h]!) / Math.max(1, Math.abs(J.vals[h]!)));
          k++;
        } else if (J.vals[h] !== 0) extraNonzero++;
      }
      missing += S.rowPointers[i + 1]! - k;
    }
    const samePattern = missing === 0 && extraNonzero === 0 ? `⊂ hand's (${J.vals.length - S.columnIndices.length} zeros fewer)` : `NO (${missing} missing, ${extraNonzero} nonzeros left out)`;
    const [hand, sparse] = measure(
      [
        { name: "hand-wired rows", run: () => baJacobian(b, J, scratch) },
        { name: "sparse Into", run: () => baResidualsJacobianSparseInto(b.cams, b.X, b.w, b.obs, b.feats, S) },
      ],
      { rounds: 5 },
    ).map((x) => x.median) as [number, number];
    rows.push([`n=${n} m=${m} p=${p}`, S.columnIndices.length, S.coloring.count, samePattern, maxRel.toExponential(1), ms(hand), ms(sparse), sparse / hand, ms(first)]);
  }
  table(
    "BA Jacobian: @jacobian cams, X, w sparse (one JVP over all observations per column color) against samples/baJacobian.ts (one VjpRowsInto per observation)",
    ["problem", "nnz", "colors", "detected pattern", "max rel diff", "hand ms", "sparse ms", "sparse/hand", "first call (detect+color) ms"],
    rows,
  );
}
if (sink === 42) console.log("");
