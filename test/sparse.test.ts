/**
 * `@hessian x sparse` and `@jacobian x sparse`: the detected patterns against the true ones
 * (a 2-D five-point stencil, a chain, block-diagonal least squares, two wrt parameters, a
 * branch), the compressed values against the dense fHessian / fJacobian (bit for bit where
 * the coloring reads every entry from both sides) and the tape, and the Into forms.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { build, diagnose, type Built } from "./harness/build.ts";
import { flatten, maxRelError, rng } from "./harness/numeric.ts";
import { loadTapeModule } from "../runtime/tape/index.ts";

const SOURCE = `
/** Ginzburg–Landau energy on an n×n grid (five-point differences). @hessian u sparse */
export function ginzburg(u: Float64Array, n: number, h: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const c = u[i * n + j];
      const r = j + 1 < n ? u[i * n + j + 1] : 0;
      const d = i + 1 < n ? u[(i + 1) * n + j] : 0;
      const gx = (r - c) / h;
      const gy = (d - c) / h;
      const w = 1 - c * c;
      e += 0.5 * (gx * gx + gy * gy) + 0.25 * w * w;
    }
  }
  return e * h * h;
}

/** @hessian u */
export function ginzburgDense(u: Float64Array, n: number, h: number): number {
  return ginzburg(u, n, h);
}

/** Residuals of a chain: r_0 = sin x_0, r_i = x_i x_{i-1}. @jacobian x sparse */
export function chain(x: number[]): number[] {
  const r: number[] = [];
  for (let i = 0; i < x.length; i++) r.push(i > 0 ? x[i] * x[i - 1] : Math.sin(x[i]));
  return r;
}

/** @jacobian x */
export function chainDense(x: number[]): number[] {
  const r = chain(x);
  return r;
}

/** Block-diagonal least squares: blocks of 3 unknowns, each with its own 4 residuals. @jacobian x sparse */
export function blockResiduals(x: number[], a: number[][]): number[] {
  const r: number[] = [];
  for (let b = 0; b * 3 < x.length; b++) {
    for (let k = 0; k < 4; k++) {
      let s = 0;
      for (let l = 0; l < 3; l++) s += a[4 * b + k][l] * x[3 * b + l];
      r.push(Math.tanh(s) - 0.5);
    }
  }
  return r;
}

/** @jacobian x */
export function blockResidualsDense(x: number[], a: number[][]): number[] {
  const r = blockResiduals(x, a);
  return r;
}

/** @hessian x sparse */
export function blockLeastSquares(x: number[], a: number[][]): number {
  const r = blockResiduals(x, a);
  let f = 0;
  for (let i = 0; i < r.length; i++) f += 0.5 * r[i] * r[i];
  return f;
}

/** @hessian x */
export function blockLeastSquaresDense(x: number[], a: number[][]): number {
  return blockLeastSquares(x, a);
}

/** Two wrt parameters: x couples to p, not to itself across entries. @hessian x, p sparse */
export function scaled(x: number[], p: number): number {
  let f = 0;
  for (let i = 0; i < x.length; i++) f += p * x[i] * x[i];
  return f + Math.exp(p);
}

/** @hessian x, p */
export function scaledDense(x: number[], p: number): number {
  return scaled(x, p);
}

/** The coupling depends on the signs: the pattern is the one of the branches taken. @hessian x sparse */
export function branchy(x: Float64Array): number {
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    if (x[i] > 0) f += x[i] * x[i + 1];
    else f += x[i] * x[i];
  }
  return f;
}

/** Rows of Float32Array have no lanes layout: the drivers fall back to one direction per sweep. @hessian A sparse */
export function rowsF32(A: Float32Array[]): number {
  let f = 0;
  for (let i = 0; i < A.length; i++) for (let j = 0; j + 1 < A[i].length; j++) f += A[i][j] * A[i][j + 1] * A[i][j + 1];
  return f;
}

/** @hessian A */
export function rowsF32Dense(A: Float32Array[]): number {
  return rowsF32(A);
}

/** The row after the last is read only in the branch that exists: the vector sweep must not hoist it out. @hessian x sparse */
export function guarded(x: Float64Array, A: number[][]): number {
  let f = 0;
  for (let i = 0; i < x.length; i++) {
    const next = i + 1 < A.length ? A[i + 1][0] * x[i] : 0;
    f += next * next * x[i];
  }
  return f;
}

/** @hessian x */
export function guardedDense(x: Float64Array, A: number[][]): number {
  return guarded(x, A);
}

/** An arrowhead Jacobian: r_0 couples every x, r_i only x_i: 2 colors of rows, n of columns. @jacobian x sparse */
export function arrow(x: Float64Array): Float64Array {
  const n = x.length;
  const r = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i] * x[i];
  r[0] = s;
  for (let i = 1; i < n; i++) r[i] = Math.sin(x[i]) * x[i];
  return r;
}

/** @jacobian x */
export function arrowDense(x: Float64Array): Float64Array {
  const r = arrow(x);
  return r;
}

/** A linear function has an empty Hessian. @hessian x sparse */
export function linear(x: number[]): number {
  let f = 0;
  for (let i = 0; i < x.length; i++) f += (i + 1) * x[i];
  return f;
}
`;

interface Pattern {
  rows: number;
  columns: number;
  rowPointers: Int32Array;
  columnIndices: Int32Array;
}
interface Matrix extends Pattern {
  values: Float64Array;
  coloring: { count: number };
}
type Fn = (...args: unknown[]) => unknown;

let built: Built;
const fn = (name: string) => built.generated[name] as unknown as Fn;

beforeAll(async () => {
  built = await build(SOURCE);
}, 120_000);

/** The pattern's rows as sorted lists. */
function rowsOf(p: Pattern): number[][] {
  return Array.from({ length: p.rows }, (_, i) => Array.from(p.columnIndices.subarray(p.rowPointers[i]!, p.rowPointers[i + 1]!)));
}

/** The dense matrix of a compressed one. */
function dense(m: Matrix): number[][] {
  const out = Array.from({ length: m.rows }, () => new Array<number>(m.columns).fill(0));
  for (let i = 0; i < m.rows; i++) for (let k = m.rowPointers[i]!; k < m.rowPointers[i + 1]!; k++) out[i]![m.columnIndices[k]!] = m.values[k]!;
  return out;
}

/** The pattern of a dense matrix's nonzeros. */
function nonzeros(a: number[][]): number[][] {
  return a.map((row) => row.flatMap((x, j) => (x !== 0 ? [j] : [])));
}

/** The five-point stencil's Hessian rows on an n×n grid: each point, its left, right, upper and lower neighbours. */
function stencilRows(n: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const row = [i * n + j];
      if (i > 0) row.push((i - 1) * n + j);
      if (j > 0) row.push(i * n + j - 1);
      if (j + 1 < n) row.push(i * n + j + 1);
      if (i + 1 < n) row.push((i + 1) * n + j);
      rows.push(row.sort((a, b) => a - b));
    }
  }
  return rows;
}

const next = rng(23);
const grid = (n: number) => Float64Array.from({ length: n * n }, () => 2 * next() - 1);
const matrix = (m: number, n: number) => Array.from({ length: m }, () => Array.from({ length: n }, () => 2 * next() - 1));

describe("detected sparsity patterns", () => {
  it("the Ginzburg–Landau energy: the five-point stencil, on grids of several sizes", () => {
    for (const n of [1, 2, 3, 7]) {
      const p = fn("ginzburgHessianSparsity")(grid(n), n, 0.3) as Pattern;
      expect([p.rows, p.columns]).toEqual([n * n, n * n]);
      expect(rowsOf(p)).toEqual(stencilRows(n));
    }
  });

  it("a chain: r_0 = sin x_0 depends on x_0, r_i on x_{i-1} and x_i", () => {
    const p = fn("chainJacobianSparsity")([0.3, -1, 2, 0.5, 4]) as Pattern;
    expect([p.rows, p.columns]).toEqual([5, 5]);
    expect(rowsOf(p)).toEqual([[0], [0, 1], [1, 2], [2, 3], [3, 4]]);
  });

  it("block-diagonal least squares: the residual and Hessian blocks", () => {
    const x = Array.from({ length: 9 }, () => next());
    const a = matrix(12, 3);
    const J = fn("blockResidualsJacobianSparsity")(x, a) as Pattern;
    expect(rowsOf(J)).toEqual(Array.from({ length: 12 }, (_, r) => [0, 1, 2].map((l) => 3 * Math.floor(r / 4) + l)));
    const H = fn("blockLeastSquaresHessianSparsity")(x, a) as Pattern;
    expect(rowsOf(H)).toEqual(Array.from({ length: 9 }, (_, i) => [0, 1, 2].map((l) => 3 * Math.floor(i / 3) + l)));
  });

  it("two wrt parameters, flattened in order: x_i with itself and p, p with everything", () => {
    const p = fn("scaledHessianSparsity")([1, 2, 3], 0.5) as Pattern;
    expect(rowsOf(p)).toEqual([[0, 3], [1, 3], [2, 3], [0, 1, 2, 3]]);
  });

  it("follows the branches the arguments take (a pattern per input)", () => {
    const up = fn("branchyHessianSparsity")(Float64Array.from([1, 1, 1, 1])) as Pattern;
    expect(rowsOf(up)).toEqual([[1], [0, 2], [1, 3], [2]]);
    const down = fn("branchyHessianSparsity")(Float64Array.from([-1, -1, -1, -1])) as Pattern;
    expect(rowsOf(down)).toEqual([[0], [1], [2], []]);
  });

  it("a linear function: no entries", () => {
    const p = fn("linearHessianSparsity")([1, 2, 3]) as Pattern;
    expect([p.rows, p.columnIndices.length]).toEqual([3, 0]);
    const r = fn("linearHessianSparse")([1, 2, 3]) as { value: number; hessian: Matrix };
    expect(r.value).toBe(14);
    expect(r.hessian.values.length).toBe(0);
  });
});

describe("compressed values", () => {
  it("the Ginzburg–Landau Hessian equals the dense fHessian bit for bit, and the tape", () => {
    const tape = loadTapeModule(built.sourcePath);
    for (const n of [2, 5, 8]) {
      const u = grid(n);
      const sparse = fn("ginzburgHessianSparse")(u, n, 0.3) as { value: number; grad: { u: Float64Array }; hessian: Matrix };
      const full = fn("ginzburgDenseHessian")(u, n, 0.3) as { value: number; grad: { u: Float64Array }; hessian: number[][] };
      expect(sparse.hessian.coloring.count).toBeLessThanOrEqual(n === 2 ? 4 : 5);
      expect(dense(sparse.hessian)).toEqual(full.hessian);
      expect(sparse.value).toBe(full.value);
      expect(Array.from(sparse.grad.u)).toEqual(Array.from(full.grad.u));
      // Every nonzero of the dense Hessian is in the detected pattern.
      const inPattern = rowsOf(sparse.hessian);
      nonzeros(full.hessian).forEach((row, i) => row.forEach((j) => expect(inPattern[i]).toContain(j)));
      const oracle = tape.hessian("ginzburg", [Array.from(u), n, 0.3], ["u"]);
      expect(maxRelError(flatten(dense(sparse.hessian)), flatten(oracle))).toBeLessThan(1e-12);
    }
  });

  it("block least squares and two wrt parameters: equal to the dense fHessian", () => {
    const x = Array.from({ length: 12 }, () => next());
    const a = matrix(16, 3);
    const sparse = fn("blockLeastSquaresHessianSparse")(x, a) as { hessian: Matrix };
    expect(sparse.hessian.coloring.count).toBe(3);
    expect(dense(sparse.hessian)).toEqual((fn("blockLeastSquaresDenseHessian")(x, a) as { hessian: number[][] }).hessian);
    const s = fn("scaledHessianSparse")([1, -2, 3], 0.5) as { grad: { x: number[]; p: number }; hessian: Matrix };
    const d = fn("scaledDenseHessian")([1, -2, 3], 0.5) as { grad: { x: number[]; p: number }; hessian: number[][] };
    expect(dense(s.hessian)).toEqual(d.hessian);
    expect(s.grad).toEqual(d.grad);
  });

  it("Jacobians: equal to the dense fJacobian and the tape, with few colors", () => {
    const tape = loadTapeModule(built.sourcePath);
    const x = [0.3, -1, 2, 0.5, 4, 1.5];
    const c = fn("chainJacobianSparse")(x) as { value: number[]; jacobian: Matrix };
    expect(c.jacobian.coloring.count).toBe(2);
    expect(c.value).toEqual((built.source.chain as unknown as Fn)(x));
    expect(dense(c.jacobian)).toEqual((fn("chainDenseJacobian")(x) as { jacobian: number[][] }).jacobian);
    expect(maxRelError(flatten(dense(c.jacobian)), flatten(tape.jacobian("chain", [x], ["x"])))).toBeLessThan(1e-12);
    const y = Array.from({ length: 15 }, () => next());
    const a = matrix(20, 3);
    const b = fn("blockResidualsJacobianSparse")(y, a) as { jacobian: Matrix };
    expect(b.jacobian.coloring.count).toBe(3);
    expect(dense(b.jacobian)).toEqual((fn("blockResidualsDenseJacobian")(y, a) as { jacobian: number[][] }).jacobian);
  });

  it("the Into forms recompute the values on the same pattern and buffers, and refuse another shape", () => {
    const n = 4;
    const first = fn("ginzburgHessianSparse")(grid(n), n, 0.3) as { grad: { u: Float64Array }; hessian: Matrix };
    const { hessian, grad } = first;
    const values = hessian.values;
    const u = grid(n);
    const value = fn("ginzburgHessianSparseInto")(u, n, 0.3, grad, hessian) as number;
    expect(hessian.values).toBe(values);
    const again = fn("ginzburgDenseHessian")(u, n, 0.3) as { value: number; grad: { u: Float64Array }; hessian: number[][] };
    expect(value).toBe(again.value);
    expect(dense(hessian)).toEqual(again.hessian);
    expect(Array.from(grad.u)).toEqual(Array.from(again.grad.u));
    expect(() => fn("ginzburgHessianSparseInto")(grid(3), 3, 0.3, grad, hessian)).toThrow(/made for 16 columns.*give 9/);
    const jac = (fn("chainJacobianSparse")([1, 2, 3]) as { jacobian: Matrix }).jacobian;
    expect(fn("chainJacobianSparseInto")([2, 3, 4], jac)).toEqual([Math.sin(2), 6, 12]);
    expect(Array.from(jac.values)).toEqual([Math.cos(2), 3, 2, 4, 3]);
    expect(() => fn("chainJacobianSparseInto")([2, 3], jac)).toThrow(RangeError);
  });
});

describe("vector sweeps: `lanes` colors per sweep", () => {
  const widths = [1, 2, 3, 8, 64];
  it("the Hessian is the same bit for bit at every width (lane d of a sweep is the one-direction HVP), and the dense fHessian's", () => {
    for (const n of [3, 8]) {
      const u = grid(n);
      const full = fn("ginzburgDenseHessian")(u, n, 0.3) as { value: number; grad: { u: Float64Array }; hessian: number[][] };
      for (const width of widths) {
        const s = fn("ginzburgHessianSparse")(u, n, 0.3, width) as { value: number; grad: { u: Float64Array }; hessian: Matrix & { lanes: number } };
        const c = s.hessian.coloring.count;
        // The fewest sweeps of at most `width` colors, the colors spread evenly.
        expect(s.hessian.lanes).toBe(Math.ceil(c / Math.ceil(c / width)));
        expect(dense(s.hessian)).toEqual(full.hessian);
        expect(s.value).toBe(full.value);
        expect(Array.from(s.grad.u)).toEqual(Array.from(full.grad.u));
        // Into again at other arguments: the seeds of the last sweep are cleared, not left in.
        const v = grid(n);
        const again = fn("ginzburgDenseHessian")(v, n, 0.3) as { hessian: number[][] };
        fn("ginzburgHessianSparseInto")(v, n, 0.3, s.grad, s.hessian);
        fn("ginzburgHessianSparseInto")(v, n, 0.3, s.grad, s.hessian);
        expect(dense(s.hessian)).toEqual(again.hessian);
      }
    }
  });

  it("records of several fields (a number among them) and number[] seeds, at every width", () => {
    const x = Array.from({ length: 12 }, () => next());
    const a = matrix(16, 3);
    const block = (fn("blockLeastSquaresDenseHessian")(x, a) as { hessian: number[][] }).hessian;
    const scaled = fn("scaledDenseHessian")([1, -2, 3, 0.5], 0.5) as { grad: { x: number[]; p: number }; hessian: number[][] };
    for (const width of widths) {
      expect(dense((fn("blockLeastSquaresHessianSparse")(x, a, width) as { hessian: Matrix }).hessian)).toEqual(block);
      const s = fn("scaledHessianSparse")([1, -2, 3, 0.5], 0.5, width) as { grad: { x: number[]; p: number }; hessian: Matrix };
      expect(dense(s.hessian)).toEqual(scaled.hessian);
      expect(s.grad).toEqual(scaled.grad);
    }
  });

  it("Jacobians: the same values at every width", () => {
    const y = Array.from({ length: 15 }, () => next());
    const a = matrix(20, 3);
    const full = (fn("blockResidualsDenseJacobian")(y, a) as { jacobian: number[][] }).jacobian;
    const x = [0.3, -1, 2, 0.5, 4, 1.5];
    const chain = (fn("chainDenseJacobian")(x) as { jacobian: number[][] }).jacobian;
    for (const width of widths) {
      const b = fn("blockResidualsJacobianSparse")(y, a, width) as { value: number[]; jacobian: Matrix & { lanes: number } };
      expect(b.jacobian.lanes).toBe(Math.ceil(3 / Math.ceil(3 / width)));
      expect(dense(b.jacobian)).toEqual(full);
      expect(dense((fn("chainJacobianSparse")(x, width) as { jacobian: Matrix }).jacobian)).toEqual(chain);
    }
  });

  it("lane-invariant work leaves a branch only when it cannot throw (a row past the end stays in its branch)", () => {
    const x = Float64Array.from({ length: 6 }, () => next());
    const A = matrix(6, 2);
    const full = fn("guardedDenseHessian")(x, A) as { hessian: number[][] };
    for (const width of widths) expect(dense((fn("guardedHessianSparse")(x, A, width) as { hessian: Matrix }).hessian)).toEqual(full.hessian);
  });

  it("a function without a vector sweep (rows of Float32Array): one color per sweep, the same values", () => {
    expect(built.text).toMatch(/No vector sweep here: 'A' has no lanes layout/);
    expect(Object.keys(built.generated)).not.toContain("rowsF32HvpLanesInto");
    const A = Array.from({ length: 3 }, () => Float32Array.from({ length: 4 }, () => next()));
    const s = fn("rowsF32HessianSparse")(A, 8) as { hessian: Matrix & { lanes: number } };
    expect(s.hessian.lanes).toBe(1);
    expect(dense(s.hessian)).toEqual((fn("rowsF32DenseHessian")(A) as { hessian: number[][] }).hessian);
  });
});

describe("Jacobians colored by rows (reverse sweeps)", () => {
  it("are chosen where the rows need fewer than half the colors, and give the dense fJacobian's values and the tape's", () => {
    const tape = loadTapeModule(built.sourcePath);
    for (const n of [5, 12]) {
      const x = Float64Array.from({ length: n }, () => 2 * next() - 1);
      const s = fn("arrowJacobianSparse")(x) as { value: Float64Array; jacobian: Matrix & { coloring: { direction: string } } };
      expect([s.jacobian.coloring.direction, s.jacobian.coloring.count]).toEqual(["rows", 2]);
      expect(Array.from(s.value)).toEqual(Array.from((built.source.arrow as unknown as Fn)(x) as Float64Array));
      const full = (fn("arrowDenseJacobian")(x) as { jacobian: number[][] }).jacobian;
      expect(rowsOf(s.jacobian)).toEqual(nonzeros(full));
      expect(maxRelError(flatten(dense(s.jacobian)), flatten(full))).toBeLessThan(1e-15);
      expect(maxRelError(flatten(dense(s.jacobian)), flatten(tape.jacobian("arrow", [Array.from(x)], ["x"])))).toBeLessThan(1e-12);
      // Into at other arguments, twice: the reverse sweeps add into gradients the recovery clears.
      const y = Float64Array.from({ length: n }, () => 2 * next() - 1);
      fn("arrowJacobianSparseInto")(y, s.jacobian);
      fn("arrowJacobianSparseInto")(y, s.jacobian);
      expect(maxRelError(flatten(dense(s.jacobian)), flatten((fn("arrowDenseJacobian")(y) as { jacobian: number[][] }).jacobian))).toBeLessThan(1e-15);
    }
  });

  it("are not offered where the reverse sweep does not replay (results built by push): columns only", () => {
    expect(built.text).toMatch(/const coloring = jacobianColoring\(pattern, true\);[\s\S]*arrowJacobianVjpRowsInto/);
    const chain = built.text.slice(built.text.indexOf("export function chainJacobianSparse("));
    expect(chain).toMatch(/^[^]*?jacobianColoring\(pattern, false\)/);
    const c = fn("chainJacobianSparse")([0.3, -1, 2, 0.5, 4, 1.5]) as { jacobian: { coloring: { direction: string } } };
    expect(c.jacobian.coloring.direction).toBe("columns");
  });
});

describe("the sparse option", () => {
  it("is an error with a declared band, and a parameter named sparse stays a parameter", async () => {
    const both = await diagnose(`/** @hessian x sparse bandwidth=1 */\nexport function f(x: number[]): number { return x[0] * x[0]; }\n`);
    expect(both.map((d) => d.message).join("\n")).toMatch(/'sparse' or a declared band/);
    const named = await build(`/** @hessian sparse */\nexport function f(sparse: number[]): number { return sparse[0] * sparse[0]; }\n`);
    expect(Object.keys(named.generated)).toContain("fHessian");
    expect(Object.keys(named.generated)).not.toContain("fHessianSparse");
  });
});

describe("runtime/sparse.ts", () => {
  it("seeds and flattens records of sets in the order of the record helpers", async () => {
    const { seedSetRecord, emptySetRecord, flattenSetRecord, writeFlatValues, readFlatValues } = await import("../runtime/sparse.ts");
    const { readFlat } = await import("../runtime/records.ts");
    const record = { a: [[1, 2], [3]], p: 4, w: new Float64Array(2), o: { q: 5, r: [6] } };
    const fields = ["a", "p", "w", "o"] as const;
    const seeds = seedSetRecord(record, fields);
    expect(seeds.a).toEqual([[[0], [1]], [[2]]]);
    expect(seeds.p).toEqual([3]);
    expect(seeds.w).toEqual([[4], [5]]);
    expect(flattenSetRecord(record, seeds, fields)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => [k]));
    expect(flattenSetRecord(record, emptySetRecord(record, fields), fields)).toEqual(new Array(8).fill([]));
    writeFlatValues(record, fields, [10, 11, 12, 13, 14, 15, 16, 17]);
    const flat: number[] = [];
    readFlat(record, fields, flat);
    expect(flat).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    const back = new Float64Array(8);
    readFlatValues(record, fields, back);
    expect(Array.from(back)).toEqual(flat);
  });
});
