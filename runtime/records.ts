/**
 * Helpers for generated Hessian and Jacobian assembly: treat a record of parameters
 * (fields of type number, number[], Float64Array, number[][], or nested records of these)
 * as one flat vector in field order, arrays row-major — the index order DESIGN.md fixes
 * for dense matrices. Not used in gradient or HVP hot paths.
 */

/**
 * A parameter's value as Hessians and Jacobians see it: one flat vector, fields in
 * declaration order, arrays row-major (the index order of their rows and columns).
 */
export type FlatValue = number | ArrayLike<number> | readonly FlatValue[] | { readonly [field: string]: FlatValue };

/** Parameters by name, flattened one after the other in the order a list of names gives. */
export type FlatRecord = Record<string, FlatValue>;

type Container = { [key: string]: FlatValue } | FlatValue[];

function children(value: Exclude<FlatValue, number>): { keys: (string | number)[]; get: (k: string | number) => FlatValue } {
  if (isArrayLike(value)) {
    const keys = Array.from({ length: value.length }, (_, i) => i);
    return { keys, get: (k) => (value as ArrayLike<FlatValue>)[k as number]! };
  }
  return { keys: Object.keys(value), get: (k) => (value as Record<string, FlatValue>)[k as string]! };
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

/** Number of scalars in `value`. */
export function flatSize(value: FlatValue): number {
  if (typeof value === "number") return 1;
  if (ArrayBuffer.isView(value)) return (value as unknown as ArrayLike<number>).length;
  if (Array.isArray(value) && (value.length === 0 || typeof value[0] === "number")) return value.length;
  const { keys, get } = children(value);
  let n = 0;
  for (const k of keys) n += flatSize(get(k));
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
    const size = flatSize(record[f]!);
    if (k < size) {
      setIn(record as Container, f, k, x);
      return;
    }
    k -= size;
  }
  throw new RangeError("flat index out of range");
}

function setIn(parent: Container, key: string | number, k: number, x: number): void {
  const value = (parent as Record<string | number, FlatValue>)[key]!;
  if (typeof value === "number") {
    (parent as Record<string | number, FlatValue>)[key] = x;
    return;
  }
  if (ArrayBuffer.isView(value) || (Array.isArray(value) && typeof value[0] === "number")) {
    (value as unknown as number[])[k] = x;
    return;
  }
  const { keys, get } = children(value);
  for (const child of keys) {
    const size = flatSize(get(child));
    if (k < size) return setIn(value as Container, child, k, x);
    k -= size;
  }
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
  if (ArrayBuffer.isView(value) || (Array.isArray(value) && (value.length === 0 || typeof value[0] === "number"))) {
    const flat = value as ArrayLike<number>;
    for (let i = 0; i < flat.length; i++) out[offset + i] = flat[i]!;
    return offset + flat.length;
  }
  const { keys, get } = children(value);
  for (const k of keys) offset = readValue(get(k), out, offset);
  return offset;
}

/** Sets every scalar of the record to zero, keeping its arrays. */
export function zeroRecord(record: FlatRecord): void {
  for (const f of Object.keys(record)) zeroIn(record as Container, f);
}

function zeroIn(parent: Container, key: string | number): void {
  const value = (parent as Record<string | number, FlatValue>)[key]!;
  if (typeof value === "number") {
    (parent as Record<string | number, FlatValue>)[key] = 0;
    return;
  }
  if (ArrayBuffer.isView(value) || (Array.isArray(value) && typeof value[0] === "number")) {
    (value as unknown as number[]).fill(0);
    return;
  }
  for (const k of children(value).keys) zeroIn(value as Container, k);
}
