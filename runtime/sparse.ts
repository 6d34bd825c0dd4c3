/**
 * The sparse drivers' state and steps (fHessianSparsity, fHessianSparse, fHessianSparseInto,
 * fJacobianSparsity, fJacobianSparse, fJacobianSparseInto).
 *
 * Sparsity detection runs the generated derivative code with index sets for tangents
 * (indexSets.ts): the seeds are the sets {k} of the flattened wrt parameters, and the
 * tangents of the outputs (a Jacobian) or of the gradient (a Hessian, forward over reverse)
 * are the rows of the pattern. A compressed matrix then holds the pattern, its coloring,
 * the recovery of each entry from the colors' sweeps, and the buffers the sweeps use, so
 * an fXSparseInto call only runs the sweeps and reads the values out.
 */
import { EMPTY_SET, type IndexSet, patternOfSets } from "./indexSets.ts";
import {
  columnColoring,
  hessianRecovery,
  jacobianRecovery,
  rowColoring,
  starColoring,
  symmetricPattern,
  type Coloring,
  type Recovery,
  type SparseMatrix,
  type SparsityPattern,
} from "./coloring.ts";
import { zeroRecord, type FlatRecord, type FlatValue } from "./records.ts";

/** The index-set tangents of a record of numbers: a set for each number, in the same shape. */
export type SetsOf<T> = T extends number ? IndexSet : T extends ArrayLike<number> ? IndexSet[] : T extends readonly (infer E)[] ? SetsOf<E>[] : { [K in keyof T]: SetsOf<T[K]> };

/** Whether a record value is a flat array of numbers (a leaf of the flattening). */
function isFlatArray(value: FlatValue): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) || (Array.isArray(value) && (value.length === 0 || typeof value[0] === "number"));
}

/** A value of sets shaped like `value`, each set made by `next` in flattening order. */
function setsShapedLike(value: FlatValue, next: () => IndexSet): unknown {
  if (typeof value === "number") return next();
  if (isFlatArray(value)) {
    const sets = new Array<IndexSet>(value.length);
    for (let i = 0; i < value.length; i++) sets[i] = next();
    return sets;
  }
  if (Array.isArray(value)) return (value as readonly FlatValue[]).map((child) => setsShapedLike(child, next));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = setsShapedLike((value as Record<string, FlatValue>)[key]!, next);
  return out;
}

/** The seed sets of a wrt record: {k} at the k-th number of its flattening (fields in order). */
export function seedSetRecord<T extends FlatRecord>(record: T, fields: readonly (keyof T & string)[]): SetsOf<T> {
  let k = 0;
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = setsShapedLike(record[f]!, () => [k++]);
  return out as SetsOf<T>;
}

/** Empty sets shaped like a wrt record (where the sweep writes the gradient's tangents). */
export function emptySetRecord<T extends FlatRecord>(record: T, fields: readonly (keyof T & string)[]): SetsOf<T> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = setsShapedLike(record[f]!, () => EMPTY_SET);
  return out as SetsOf<T>;
}

function collectSets(value: FlatValue, sets: unknown, out: IndexSet[]): void {
  if (typeof value === "number") {
    out.push(sets as IndexSet);
    return;
  }
  if (isFlatArray(value)) {
    const list = sets as readonly IndexSet[];
    for (let i = 0; i < value.length; i++) out.push(list[i] ?? EMPTY_SET);
    return;
  }
  if (Array.isArray(value)) {
    const list = sets as readonly unknown[];
    (value as readonly FlatValue[]).forEach((child, i) => collectSets(child, list[i], out));
    return;
  }
  for (const key of Object.keys(value)) collectSets((value as Record<string, FlatValue>)[key]!, (sets as Record<string, unknown>)[key], out);
}

/** The sets of a record of sets, flattened like `record` (whose shape it has). */
export function flattenSetRecord<T extends FlatRecord>(record: T, sets: SetsOf<T>, fields: readonly (keyof T & string)[]): IndexSet[] {
  const out: IndexSet[] = [];
  for (const f of fields) collectSets(record[f]!, (sets as Record<string, unknown>)[f], out);
  return out;
}

/** A Hessian's pattern from the rows the detection found, made symmetric (H_ij with H_ji). */
export function hessianPatternOfSets(rows: readonly IndexSet[]): SparsityPattern {
  return symmetricPattern(patternOfSets(rows, rows.length), false);
}

/** Copies a flat vector into the numbers of a record, in flattening order. */
export function writeFlatValues(record: FlatRecord, fields: readonly string[], flat: ArrayLike<number>): void {
  let k = 0;
  const write = (parent: Record<string | number, FlatValue>, key: string | number): void => {
    const value = parent[key]!;
    if (typeof value === "number") {
      parent[key] = flat[k++]!;
    } else if (isFlatArray(value)) {
      const array = value as unknown as { [i: number]: number; length: number };
      for (let i = 0; i < array.length; i++) array[i] = flat[k++]!;
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) write(value as unknown as Record<number, FlatValue>, i);
    } else {
      for (const child of Object.keys(value)) write(value as Record<string, FlatValue>, child);
    }
  };
  for (const f of fields) write(record, f);
}

/** Copies the numbers of a record into a flat vector, in flattening order. */
export function readFlatValues(record: FlatRecord, fields: readonly string[], flat: { [i: number]: number }): void {
  let k = 0;
  const read = (value: FlatValue): void => {
    if (typeof value === "number") {
      flat[k++] = value;
    } else if (isFlatArray(value)) {
      for (let i = 0; i < value.length; i++) flat[k++] = value[i]!;
    } else if (Array.isArray(value)) {
      for (const child of value as readonly FlatValue[]) read(child);
    } else {
      for (const child of Object.keys(value)) read((value as Record<string, FlatValue>)[child]!);
    }
  };
  for (const f of fields) read(record[f]!);
}

/**
 * A sparse matrix computed from compressed sweeps, `lanes` colors per sweep (a vector
 * sweep carries one color in each of its lanes), with what the sweeps reuse: the coloring,
 * the recovery, the flat seed and result vectors, and the records the generated sweep reads
 * its seed from (`seed`) and writes its result to (`product`; null when the sweep returns it).
 */
export interface CompressedMatrix<S, P = S> extends SparseMatrix {
  readonly coloring: Coloring;
  readonly recovery: Recovery;
  /** "columns": forward sweeps (HVPs or JVPs) seeded by column colors; "rows": reverse sweeps seeded by row colors. */
  readonly direction: "columns" | "rows";
  /** Colors per sweep: colors first … first + lanes − 1 go in lanes 0 … lanes − 1 of one sweep. */
  readonly lanes: number;
  /** The seed record: the flat entry line·lanes + lane is the seed of `line` in that lane. */
  readonly seed: S;
  readonly product: P;
  /** The seeds of the current sweep, flat (length: colored lines × lanes). */
  readonly seeds: Float64Array;
  /** The current sweep's compressed result, flat (length: the other dimension × lanes). */
  readonly products: Float64Array;
  /** The lines of color c: lines[lineStarts[c] … lineStarts[c + 1] − 1]. */
  readonly lineStarts: Int32Array;
  readonly lines: Int32Array;
}

/** The lines (columns or rows) of each color, grouped by color. */
function linesByColor(coloring: Coloring): { lineStarts: Int32Array; lines: Int32Array } {
  const { colors, count } = coloring;
  const lineStarts = new Int32Array(count + 1);
  for (let k = 0; k < colors.length; k++) lineStarts[colors[k]! + 1]!++;
  for (let c = 0; c < count; c++) lineStarts[c + 1]! += lineStarts[c]!;
  const next = lineStarts.slice(0, count);
  const lines = new Int32Array(colors.length);
  for (let k = 0; k < colors.length; k++) lines[next[colors[k]!]!++] = k;
  return { lineStarts, lines };
}

/**
 * Colors per forward sweep for a coloring and at most `width` lanes: the fewest sweeps,
 * the colors spread evenly over them (9 colors at width 8: two sweeps of 5, not 8 and 1).
 * 1 for a coloring of rows (their reverse sweeps take one color each).
 */
export function lanesFor(coloring: Coloring & { readonly direction?: "columns" | "rows" }, width: number): number {
  if (coloring.direction === "rows") return 1;
  const sweeps = Math.ceil(coloring.count / Math.max(1, Math.floor(width)));
  return sweeps > 0 ? Math.ceil(coloring.count / sweeps) : 1;
}

function compressed<S, P>(pattern: SparsityPattern, coloring: Coloring, recovery: Recovery, lanes: number, seed: S, product: P): CompressedMatrix<S, P> {
  const { direction } = recovery;
  const colored = direction === "columns" ? pattern.columns : pattern.rows;
  const other = direction === "columns" ? pattern.rows : pattern.columns;
  return {
    rows: pattern.rows,
    columns: pattern.columns,
    rowPointers: pattern.rowPointers,
    columnIndices: pattern.columnIndices,
    values: new Float64Array(pattern.columnIndices.length),
    coloring,
    recovery,
    direction,
    lanes,
    seed,
    product,
    seeds: new Float64Array(colored * lanes),
    products: new Float64Array(other * lanes),
    ...linesByColor(coloring),
  };
}

/**
 * The coloring of a symmetric pattern that a compressed Hessian uses. Of the colorings
 * tried (distance-2, whose entries are all read from both sides and so equal the dense
 * fHessian's bit for bit, and star colorings, in natural and largest-first order) the one
 * with fewest colors, distance-2 on a tie.
 */
export function hessianColoring(pattern: SparsityPattern): Coloring {
  let best = columnColoring(pattern, "natural");
  for (const candidate of [columnColoring(pattern, "largestFirst"), starColoring(pattern, "natural"), starColoring(pattern, "largestFirst")]) {
    if (candidate.count < best.count) best = candidate;
  }
  return best;
}

/**
 * A compressed Hessian for a symmetric pattern and a coloring of it (hessianColoring's),
 * `lanes` colors per Hessian-vector product; `seed` and `product` are the lanes records
 * the vector sweep reads and writes (plain records when lanes is 1 and the sweep has one direction).
 */
export function compressedHessian<S, P>(pattern: SparsityPattern, coloring: Coloring, lanes: number, seed: S, product: P): CompressedMatrix<S, P> {
  return compressed(pattern, coloring, hessianRecovery(pattern, coloring), lanes, seed, product);
}

/** A coloring of a Jacobian's columns (forward sweeps) or rows (reverse sweeps). */
export interface JacobianColoring extends Coloring {
  readonly direction: "columns" | "rows";
}

/**
 * The coloring a compressed Jacobian uses: of its columns (Curtis–Powell–Reid, natural or
 * largest-first order, the fewer colors), or, when `rowsToo` (the function has a reverse
 * sweep that replays: fVjpRowsInto) and the rows need fewer than half as many colors, of its
 * rows. Half: a forward vector sweep carries up to `width` column colors for about one
 * primal plus a tangent per lane, while each row color costs a reverse sweep (about two
 * primals, after one forward sweep for all of them).
 */
export function jacobianColoring(pattern: SparsityPattern, rowsToo: boolean): JacobianColoring {
  const byColumns = smaller(columnColoring(pattern, "natural"), columnColoring(pattern, "largestFirst"));
  if (rowsToo) {
    const byRows = smaller(rowColoring(pattern, "natural"), rowColoring(pattern, "largestFirst"));
    if (2 * byRows.count < byColumns.count) return { ...byRows, direction: "rows" };
  }
  return { ...byColumns, direction: "columns" };
}

/**
 * The reverse sweeps of a Jacobian colored by rows: the cotangent of each color (1 at its
 * rows) and the gradient record its reverse sweep adds into (cleared after each reading).
 */
export interface RowSweeps<G> {
  readonly cotangents: Float64Array[];
  readonly grads: G[];
}

/** A compressed Jacobian: forward sweeps over column colors, or (rowSweeps) reverse sweeps over row colors. */
export interface CompressedJacobian<S, G> extends CompressedMatrix<S, null> {
  readonly rowSweeps: RowSweeps<G> | null;
}

/**
 * A compressed Jacobian for a pattern and a coloring of it (jacobianColoring's). Colored by
 * columns, forward sweeps read `seed` (a lanes record of `lanes` directions) and return
 * their result; colored by rows, the reverse sweeps add into copies of `grad`, one per color.
 */
export function compressedJacobian<S, G extends FlatRecord>(pattern: SparsityPattern, coloring: JacobianColoring, lanes: number, seed: S, grad: G): CompressedJacobian<S, G> {
  const matrix = compressed(pattern, coloring, jacobianRecovery(pattern, coloring, coloring.direction), lanes, seed, null);
  if (coloring.direction === "columns") return { ...matrix, rowSweeps: null };
  const cotangents = Array.from({ length: coloring.count }, () => new Float64Array(pattern.rows));
  for (let i = 0; i < pattern.rows; i++) cotangents[coloring.colors[i]!]![i] = 1;
  const grads = Array.from({ length: coloring.count }, () => zeroCopy(grad) as G);
  return { ...matrix, rowSweeps: { cotangents, grads } };
}

/** A copy of a record of numbers with every number 0 (arrays keep their kind). */
function zeroCopy(value: FlatValue): FlatValue {
  if (typeof value === "number") return 0;
  if (ArrayBuffer.isView(value)) return new (value.constructor as new (n: number) => ArrayLike<number>)((value as unknown as ArrayLike<number>).length);
  if (isFlatArray(value)) return new Array<number>(value.length).fill(0);
  if (Array.isArray(value)) return (value as readonly FlatValue[]).map(zeroCopy);
  const out: Record<string, FlatValue> = {};
  for (const key of Object.keys(value)) out[key] = zeroCopy((value as Record<string, FlatValue>)[key]!);
  return out;
}

/**
 * Reads the entries of a Jacobian colored by rows from its reverse sweeps' gradients
 * (J_ij is entry j of the gradient of color(i)) into `matrix.values`, and clears the
 * gradients for the next sweeps (they add into them).
 */
export function recoverRows<G extends FlatRecord>(matrix: CompressedJacobian<unknown, G>, fields: readonly string[]): void {
  const { grads } = matrix.rowSweeps!;
  const { firstIndex, firstColor } = matrix.recovery;
  const { values, products } = matrix;
  for (let c = 0; c < grads.length; c++) {
    readFlatValues(grads[c]!, fields, products);
    zeroRecord(grads[c]!);
    for (let k = 0; k < values.length; k++) if (firstColor[k] === c) values[k] = products[firstIndex[k]!]!;
  }
}

function smaller(a: Coloring, b: Coloring): Coloring {
  return b.count < a.count ? b : a;
}

/** Throws unless `size` is the number of columns (wrt numbers) the compressed matrix was made for (its input shape). */
export function checkCompressedSize(matrix: CompressedMatrix<unknown, unknown>, size: number, what: string): void {
  if (size !== matrix.columns) throw new RangeError(`${what}: this sparse matrix was made for ${matrix.columns} columns, the arguments give ${size}; make a new one for this shape`);
}

/** The record's only number array, when the record is one flat array (the sweeps' fast path), else null. */
function onlyArray(record: FlatRecord, fields: readonly string[]): { [i: number]: number; length: number } | null {
  if (fields.length !== 1) return null;
  const value = record[fields[0]!]!;
  return typeof value !== "number" && isFlatArray(value) ? (value as unknown as { [i: number]: number; length: number }) : null;
}

/**
 * Writes the seeds of the sweep of colors `first` … `first + lanes − 1` into the record the
 * sweep reads (`matrix.seed`): 1 at flat entry line·lanes + (c − first) for each line of
 * color c, 0 elsewhere. Sweeps come in order from color 0, `lanes` colors apart.
 */
export function seedSweep<S extends FlatRecord>(matrix: CompressedMatrix<S, unknown>, first: number, fields: readonly string[]): void {
  const { lines, lineStarts, lanes } = matrix;
  const count = matrix.coloring.count;
  const end = Math.min(first + lanes, count);
  const array = onlyArray(matrix.seed, fields);
  if (array) {
    // Clear the whole seed before the first sweep, then only the previous sweep's ones.
    if (first === 0) for (let k = 0; k < array.length; k++) array[k] = 0;
    else for (let c = first - lanes; c < first; c++) for (let e = lineStarts[c]!; e < lineStarts[c + 1]!; e++) array[lines[e]! * lanes + c - first + lanes] = 0;
    for (let c = first; c < end; c++) for (let e = lineStarts[c]!; e < lineStarts[c + 1]!; e++) array[lines[e]! * lanes + c - first] = 1;
    return;
  }
  const seeds = matrix.seeds;
  seeds.fill(0);
  for (let c = first; c < end; c++) for (let e = lineStarts[c]!; e < lineStarts[c + 1]!; e++) seeds[lines[e]! * lanes + c - first] = 1;
  writeFlatValues(matrix.seed, fields, seeds);
}

/**
 * Reads the entries the sweep of colors `first` … `first + lanes − 1` holds from its
 * compressed result (`products[index·lanes + c − first]`) into `matrix.values`. Sweeps
 * must come in increasing order: an entry read from two colors holds the first until the
 * second arrives, then their mean `0.5 * (a + b)`, as the dense fHessian computes it.
 */
export function recoverSweep(matrix: CompressedMatrix<unknown, unknown>, first: number, products: ArrayLike<number>): void {
  const { firstIndex, firstColor, secondIndex, secondColor } = matrix.recovery;
  const { values, lanes } = matrix;
  const end = Math.min(first + lanes, matrix.coloring.count); // no colors at all: the one sweep only gave the value
  // In the entries' order, not color by color: an entry's first side is mostly its own row,
  // so a row's entries read one row of the products, and nothing jumps about a matrix of
  // millions of entries (at n = 10^6 that took as long as the sweep itself).
  for (let k = 0; k < values.length; k++) {
    const a = firstColor[k]!;
    if (a >= first && a < end) values[k] = products[firstIndex[k]! * lanes + a - first]!;
    const b = secondColor[k]!;
    if (b >= first && b < end) values[k] = 0.5 * (values[k]! + products[secondIndex[k]! * lanes + b - first]!);
  }
}

/** The same, reading the compressed result from the record the sweep wrote (`matrix.product`). */
export function recoverSweepRecord<P extends FlatRecord>(matrix: CompressedMatrix<unknown, P>, first: number, fields: readonly string[]): void {
  const array = onlyArray(matrix.product, fields);
  if (array) return recoverSweep(matrix, first, array as ArrayLike<number>);
  readFlatValues(matrix.product, fields, matrix.products);
  recoverSweep(matrix, first, matrix.products);
}
