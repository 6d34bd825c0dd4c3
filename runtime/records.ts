/**
 * Helpers for generated Hessian and Jacobian assembly: treat a record of parameters
 * (fields of type number, number[], Float64Array, number[][]) as one flat vector in
 * field order, arrays row-major — the index order DESIGN.md fixes for dense matrices.
 * Not used in gradient or HVP hot paths.
 */

export type FlatValue = number | ArrayLike<number> | readonly ArrayLike<number>[];
export type FlatRecord = Record<string, FlatValue>;

/** Number of scalars in `value`. */
export function flatSize(value: FlatValue): number {
  if (typeof value === "number") return 1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as FlatValue;
    n += typeof item === "number" ? 1 : flatSize(item);
  }
  return n;
}

/** Sum of flatSize over the record's fields, in the given order. */
export function recordSize(record: FlatRecord, fields: readonly string[]): number {
  let n = 0;
  for (const f of fields) n += flatSize(record[f]!);
  return n;
}

/** Sets the k-th scalar of the record (flat order) to `x`. */
export function setFlat(record: FlatRecord, fields: readonly string[], k: number, x: number): void {
  for (const f of fields) {
    const value = record[f]!;
    const size = flatSize(value);
    if (k < size) {
      if (typeof value === "number") record[f] = x;
      else setIn(value, k, x);
      return;
    }
    k -= size;
  }
  throw new RangeError(`flat index out of range`);
}

function setIn(value: ArrayLike<number> | readonly ArrayLike<number>[], k: number, x: number): boolean {
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as number | ArrayLike<number>;
    if (typeof item === "number") {
      if (k === 0) {
        (value as number[])[i] = x;
        return true;
      }
      k--;
    } else {
      const size = flatSize(item);
      if (k < size) return setIn(item, k, x);
      k -= size;
    }
  }
  return false;
}

/** Copies the record's scalars (flat order) into `out` starting at `offset`; returns the next offset. */
export function readFlat(record: FlatRecord, fields: readonly string[], out: number[], offset = 0): number {
  for (const f of fields) offset = readValue(record[f]!, out, offset);
  return offset;
}

function readValue(value: FlatValue, out: number[], offset: number): number {
  if (typeof value === "number") {
    out[offset] = value;
    return offset + 1;
  }
  for (let i = 0; i < value.length; i++) offset = readValue(value[i] as FlatValue, out, offset);
  return offset;
}

/** Sets every scalar of the record to zero, keeping its arrays. */
export function zeroRecord(record: FlatRecord): void {
  for (const f of Object.keys(record)) {
    const value = record[f]!;
    if (typeof value === "number") record[f] = 0;
    else zeroIn(value);
  }
}

function zeroIn(value: ArrayLike<number> | readonly ArrayLike<number>[]): void {
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as number | ArrayLike<number>;
    if (typeof item === "number") (value as number[])[i] = 0;
    else zeroIn(item);
  }
}
