/**
 * Index sets, the values the generated sparsity detection (fHessianSparsity,
 * fJacobianSparsity) computes with: the derivative code runs as it is, except that each
 * tangent holds the set of input indices it depends on instead of a number. A sum or a
 * product of tangents depends on the union of their sets; a tangent scaled by a value
 * keeps its set. The sets of the outputs' tangents are the rows of the pattern.
 *
 * A set is an increasing array of indices that is never changed once built, so values
 * share sets freely (a union that adds nothing returns one of its arguments).
 */
import { type SparsityPattern } from "./coloring.ts";

/** Increasing, duplicate-free indices; shared, never modified. */
export type IndexSet = readonly number[];

/** The set of a value that depends on no input. */
export const EMPTY_SET: IndexSet = Object.freeze([]) as IndexSet;

/**
 * a ∪ b; one of the two itself when it contains the other. One pass counts the union (its
 * size is a's exactly when a holds all of b), a second fills an array of exactly that size:
 * detection makes millions of small sets, and the garbage collector's share of its time
 * follows the bytes they take.
 */
export function unionSets(a: IndexSet, b: IndexSet): IndexSet {
  if (a === b || b.length === 0) return a;
  if (a.length === 0) return b;
  let size = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x <= y) i++;
    if (y <= x) j++;
    size++;
  }
  size += a.length - i + (b.length - j);
  if (size === a.length) return a;
  if (size === b.length) return b;
  const out = new Array<number>(size);
  let k = 0;
  i = 0;
  j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    out[k++] = x <= y ? x : y;
    if (x <= y) i++;
    if (y <= x) j++;
  }
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** The seeds of an input array whose first entry is input index `offset`: {offset}, {offset + 1}, … */
export function seedSets(offset: number, length: number): IndexSet[] {
  const sets: IndexSet[] = new Array<IndexSet>(length);
  for (let i = 0; i < length; i++) sets[i] = [offset + i];
  return sets;
}

/** The seeds of a two-dimensional input (rows of `like`'s lengths), row-major from `offset`. */
export function seedSetRows(offset: number, like: readonly ArrayLike<number>[]): IndexSet[][] {
  const rows: IndexSet[][] = [];
  for (const row of like) {
    rows.push(seedSets(offset, row.length));
    offset += row.length;
  }
  return rows;
}

/** `length` empty sets (the tangent of a fresh array of zeros). */
export function emptySets(length: number): IndexSet[] {
  return new Array<IndexSet>(length).fill(EMPTY_SET);
}

/** Empty sets in the shape of `like` (one or two dimensions). */
export function emptySetsLike(like: ArrayLike<unknown>): IndexSet[] | IndexSet[][] {
  const rows = Array.from(like as ArrayLike<unknown>);
  if (rows.length > 0 && typeof rows[0] === "object") return rows.map((row) => emptySets((row as ArrayLike<unknown>).length));
  return emptySets(like.length);
}

/** Empties every set of an array (the tangent of an array cleared with `fill(0)`). */
export function clearSets(sets: IndexSet[]): void {
  sets.fill(EMPTY_SET);
}

/** Pops the last set a detection pushed (the tangent of a value a reverse sweep restores). */
export function popSet(stack: IndexSet[]): IndexSet {
  return stack.pop() ?? EMPTY_SET;
}

/** Appends the sets of a one-dimensional array of sets to `rows`. */
export function appendSets(rows: IndexSet[], sets: readonly IndexSet[]): void {
  for (let i = 0; i < sets.length; i++) rows.push(sets[i]!);
}

/** The pattern whose row i is `rows[i]` (sets of column indices below `columns`). */
export function patternOfSets(rows: readonly IndexSet[], columns: number): SparsityPattern {
  const rowPointers = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) rowPointers[i + 1] = rowPointers[i]! + rows[i]!.length;
  const columnIndices = new Int32Array(rowPointers[rows.length]!);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const at = rowPointers[i]!;
    for (let k = 0; k < row.length; k++) {
      const j = row[k]!;
      if (!(j >= 0 && j < columns)) throw new RangeError(`column ${j} of row ${i} is outside 0…${columns - 1}`);
      columnIndices[at + k] = j;
    }
  }
  return { rows: rows.length, columns, rowPointers, columnIndices };
}

/** Empty sets in the shape of a two-dimensional array (the tangent of its zeros). */
export function emptySetRows(like: readonly ArrayLike<unknown>[]): IndexSet[][] {
  return like.map((row) => emptySets(row.length));
}
