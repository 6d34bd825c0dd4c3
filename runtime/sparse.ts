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
import type { FlatRecord, FlatValue } from "./records.ts";

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
 * A sparse matrix computed from compressed sweeps, one per color, with what the sweeps
 * reuse: the coloring, the recovery, the flat seed and result vectors, and the records
 * the generated sweep reads its seed from (`seed`) and writes its result to (`product`).
 */
export interface CompressedMatrix<R> extends SparseMatrix {
  readonly coloring: Coloring;
  readonly recovery: Recovery;
  /** "columns": forward sweeps (HVPs or JVPs) seeded by column colors; "rows": reverse sweeps seeded by row colors. */
  readonly direction: "columns" | "rows";
  readonly seed: R;
  readonly product: R;
  /** The seed of the current color (length: colored lines). */
  readonly seeds: Float64Array;
  /** The current color's compressed result (length: the other dimension). */
  readonly products: Float64Array;
  /** The entries whose value (or one of two values) color c holds: entries[entryStarts[c] … entryStarts[c + 1] − 1]. */
  readonly entryStarts: Int32Array;
  readonly entries: Int32Array;
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

/** The entries each color's sweep holds, grouped by color. */
function entriesByColor(recovery: Recovery): { entryStarts: Int32Array; entries: Int32Array } {
  const { firstColor, secondColor } = recovery;
  const count = recovery.coloring.count;
  const entryStarts = new Int32Array(count + 1);
  for (let k = 0; k < firstColor.length; k++) {
    entryStarts[firstColor[k]! + 1]!++;
    if (secondColor[k]! >= 0) entryStarts[secondColor[k]! + 1]!++;
  }
  for (let c = 0; c < count; c++) entryStarts[c + 1]! += entryStarts[c]!;
  const next = entryStarts.slice(0, count);
  const entries = new Int32Array(entryStarts[count]!);
  for (let k = 0; k < firstColor.length; k++) {
    entries[next[firstColor[k]!]!++] = k;
    if (secondColor[k]! >= 0) entries[next[secondColor[k]!]!++] = k;
  }
  return { entryStarts, entries };
}

function compressed<R>(pattern: SparsityPattern, coloring: Coloring, recovery: Recovery, direction: "columns" | "rows", seed: R, product: R): CompressedMatrix<R> {
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
    seed,
    product,
    seeds: new Float64Array(colored),
    products: new Float64Array(other),
    ...entriesByColor(recovery),
    ...linesByColor(coloring),
  };
}

/**
 * A compressed Hessian for a symmetric pattern. Of the colorings tried (distance-2, whose
 * entries are all read from both sides and so equal the dense fHessian's bit for bit, and
 * star colorings, in natural and largest-first order) it keeps the one with fewest colors,
 * preferring distance-2 on a tie.
 */
export function compressedHessian<R>(pattern: SparsityPattern, seed: R, product: R): CompressedMatrix<R> {
  let best = columnColoring(pattern, "natural");
  for (const candidate of [columnColoring(pattern, "largestFirst"), starColoring(pattern, "natural"), starColoring(pattern, "largestFirst")]) {
    if (candidate.count < best.count) best = candidate;
  }
  return compressed(pattern, best, hessianRecovery(pattern, best), "columns", seed, product);
}

/**
 * A compressed Jacobian: forward sweeps over column colors, unless reverse sweeps over row
 * colors need fewer than half as many (a reverse sweep costs about twice a forward one).
 * `direction` forces one.
 */
export function compressedJacobian<R>(pattern: SparsityPattern, seed: R, product: R, direction?: "columns" | "rows"): CompressedMatrix<R> {
  const byColumns = smaller(columnColoring(pattern, "natural"), columnColoring(pattern, "largestFirst"));
  const byRows = direction === "columns" ? null : smaller(rowColoring(pattern, "natural"), rowColoring(pattern, "largestFirst"));
  const rows = direction === "rows" || (byRows !== null && 2 * byRows.count < byColumns.count);
  const coloring = rows ? byRows! : byColumns;
  const way = rows ? "rows" : "columns";
  return compressed(pattern, coloring, jacobianRecovery(pattern, coloring, way), way, seed, product);
}

function smaller(a: Coloring, b: Coloring): Coloring {
  return b.count < a.count ? b : a;
}

/** Throws unless `size` is the number of lines the compressed matrix was made for (its input shape). */
export function checkCompressedSize(matrix: CompressedMatrix<unknown>, size: number, what: string): void {
  const expected = matrix.direction === "columns" ? matrix.columns : matrix.rows;
  if (size !== expected) throw new RangeError(`${what}: this sparse matrix was made for ${expected} ${matrix.direction}, the arguments give ${size}; make a new one for this shape`);
}

/** The record's only number array, when the wrt record is one flat array (the sweeps' fast path), else null. */
function onlyArray(record: FlatRecord, fields: readonly string[]): { [i: number]: number; length: number } | null {
  if (fields.length !== 1) return null;
  const value = record[fields[0]!]!;
  return typeof value !== "number" && isFlatArray(value) ? (value as unknown as { [i: number]: number; length: number }) : null;
}

/** Writes the seed of color c (1 at its lines, 0 elsewhere) into the record the sweep reads (`matrix.seed`). */
export function seedColorRecord<R extends FlatRecord>(matrix: CompressedMatrix<R>, c: number, fields: readonly string[]): void {
  const { lines, lineStarts } = matrix;
  const array = onlyArray(matrix.seed, fields);
  if (array) {
    // Colors come in order from 0: clear the whole seed at 0, then only the previous color's lines.
    if (c === 0) for (let k = 0; k < array.length; k++) array[k] = 0;
    else for (let e = lineStarts[c - 1]!; e < lineStarts[c]!; e++) array[lines[e]!] = 0;
    for (let e = lineStarts[c]!; e < (lineStarts[c + 1] ?? 0); e++) array[lines[e]!] = 1;
    return;
  }
  const seeds = matrix.seeds;
  seeds.fill(0);
  for (let e = lineStarts[c]!; e < (lineStarts[c + 1] ?? 0); e++) seeds[lines[e]!] = 1;
  writeFlatValues(matrix.seed, fields, seeds);
}

/**
 * Reads the entries color c's sweep holds from its compressed result `products` into
 * `matrix.values`. Colors must come in increasing order: an entry read from two colors
 * holds the first until the second arrives, then their mean `0.5 * (a + b)`, as the dense
 * fHessian computes it.
 */
export function recoverColor(matrix: CompressedMatrix<unknown>, c: number, products: ArrayLike<number>): void {
  if (c >= matrix.coloring.count) return; // no columns at all: the one sweep only gave the value
  const { firstIndex, firstColor, secondIndex, secondColor } = matrix.recovery;
  const { values, entries } = matrix;
  for (let e = matrix.entryStarts[c]!; e < matrix.entryStarts[c + 1]!; e++) {
    const k = entries[e]!;
    if (firstColor[k] === c) values[k] = products[firstIndex[k]!]!;
    else if (secondColor[k] === c) values[k] = 0.5 * (values[k]! + products[secondIndex[k]!]!);
  }
}

/** The same, reading the compressed result from the record the sweep wrote (`matrix.product`). */
export function recoverColorRecord<R extends FlatRecord>(matrix: CompressedMatrix<R>, c: number, fields: readonly string[]): void {
  const array = onlyArray(matrix.product, fields);
  if (array) return recoverColor(matrix, c, array as ArrayLike<number>);
  readFlatValues(matrix.product, fields, matrix.products);
  recoverColor(matrix, c, matrix.products);
}
