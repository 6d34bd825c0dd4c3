/**
 * Helpers over the parameter shapes tsgrad differentiates: number, number[] (also
 * readonly), Float64Array and number[][] (arrays of any of these, recursively), and
 * plain objects whose fields are such shapes (fields in their own key order).
 * Flatten in row-major order, clone, build zeros of the same shape, describe a shape,
 * and compare two values by their largest relative error with an absolute floor.
 */

export type Shaped = number | Float64Array | readonly Shaped[] | { readonly [field: string]: Shaped };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isShaped(v: unknown): v is Shaped {
  if (typeof v === "number" || v instanceof Float64Array) return true;
  if (Array.isArray(v)) return v.every(isShaped);
  return isPlainObject(v) && Object.values(v).every(isShaped);
}

/** All numbers of `v`, row-major. */
export function flatten(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (v instanceof Float64Array) for (const x of v) out.push(x);
  else if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else if (isPlainObject(v)) for (const x of Object.values(v)) flatten(x, out);
  else throw new TypeError(`not a numeric shape: ${describeShape(v)}`);
  return out;
}

/** Deep copy of numbers, arrays, typed arrays and plain objects; anything else is shared. */
export function deepClone<T>(v: T): T {
  // Every typed array (Float64Array, and Int32Array index arguments) is copied as itself.
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return (v as unknown as Float64Array).slice() as T;
  if (Array.isArray(v)) return v.map((x) => deepClone(x)) as T;
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepClone(x);
    return out as T;
  }
  return v;
}

/** A value of the same shape (and container types) with every number replaced by f(number). */
export function mapShape<T>(v: T, f: (x: number) => number): T {
  if (typeof v === "number") return f(v) as T;
  if (v instanceof Float64Array) return v.map(f) as T;
  if (Array.isArray(v)) return v.map((x) => mapShape(x, f)) as T;
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapShape(x, f)])) as T;
  throw new TypeError(`not a numeric shape: ${describeShape(v)}`);
}

export function zerosLike<T>(v: T): T {
  return mapShape(v, () => 0);
}

/** "number", "number[5]", "Float64Array[8]", "number[6][5]", … (ragged arrays show each row). */
export function describeShape(v: unknown): string {
  if (typeof v === "number") return "number";
  if (v instanceof Float64Array) return `Float64Array[${v.length}]`;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[0]";
    const inner = v.map(describeShape);
    const same = inner.every((s) => s === inner[0]);
    if (!same) return `[${inner.join(", ")}]`;
    const first = inner[0]!;
    if (first === "number") return `number[${v.length}]`;
    const bracket = first.indexOf("[");
    return bracket < 0 ? `${first}[${v.length}]` : `${first.slice(0, bracket)}[${v.length}]${first.slice(bracket)}`;
  }
  if (isPlainObject(v)) return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${describeShape(x)}`).join("; ")} }`;
  if (v === null) return "null";
  return typeof v;
}

/** Same container types and sizes all the way down (numbers may differ). */
export function sameShape(a: unknown, b: unknown): boolean {
  return describeShape(a) === describeShape(b);
}

/** Bitwise-exact equality of every number (NaN equals NaN, -0 equals 0) and equal shapes. */
export function exactlyEqual(a: unknown, b: unknown): boolean {
  if (!sameShape(a, b)) return false;
  const fa = flatten(a);
  const fb = flatten(b);
  return fa.every((x, k) => Object.is(x, fb[k]) || (x === 0 && fb[k] === 0));
}

export function maxAbs(values: readonly number[]): number {
  let m = 0;
  for (const x of values) m = Math.max(m, Math.abs(x));
  return m;
}

export interface Tolerance {
  /** Allowed relative error. */
  rel: number;
  /**
   * The denominator is max(|expected_k|, floorScale · max_j |expected_j|, absFloor): near-zero
   * entries are compared relative to the size of the whole gradient, not to themselves.
   */
  floorScale?: number;
  absFloor?: number;
}

export interface Comparison {
  ok: boolean;
  /** Largest error, in units of the denominator above. */
  error: number;
  /** Row-major index of the worst entry (-1 if shapes differ). */
  worst: number;
  message: string;
}

/** Largest relative error of `actual` against `expected` (same shapes required). */
export function compare(actual: unknown, expected: unknown, tol: Tolerance): Comparison {
  if (!sameShape(actual, expected)) {
    return {
      ok: false,
      error: Infinity,
      worst: -1,
      message: `shape ${describeShape(actual)} differs from expected ${describeShape(expected)}`,
    };
  }
  const a = flatten(actual);
  const e = flatten(expected);
  const floor = Math.max((tol.floorScale ?? 0) * maxAbs(e), tol.absFloor ?? 0, Number.MIN_VALUE);
  let error = 0;
  let worst = a.length > 0 ? 0 : -1;
  for (let k = 0; k < a.length; k++) {
    const err = Object.is(a[k], e[k]) ? 0 : Math.abs(a[k]! - e[k]!) / Math.max(Math.abs(e[k]!), floor);
    // NaN compares false: treat as infinitely wrong.
    if (!(err <= error)) {
      error = Number.isNaN(err) ? Infinity : err;
      worst = k;
    }
  }
  const ok = error <= tol.rel;
  const message = ok
    ? `max relative error ${error.toExponential(2)} ≤ ${tol.rel}`
    : `max relative error ${error.toExponential(2)} > ${tol.rel} at flat index ${worst}: ` +
      `got ${a[worst]}, expected ${e[worst]}`;
  return { ok, error, worst, message };
}

/** Compares each named field of two gradient records; keys must match exactly. */
export function compareRecords(
  actual: Record<string, unknown>,
  expected: Record<string, unknown>,
  tol: Tolerance,
): Comparison {
  const ka = Object.keys(actual).sort();
  const ke = Object.keys(expected).sort();
  if (ka.join(",") !== ke.join(",")) {
    return { ok: false, error: Infinity, worst: -1, message: `fields [${ka}] differ from expected [${ke}]` };
  }
  let result: Comparison = { ok: true, error: 0, worst: -1, message: "no fields" };
  for (const key of ke) {
    const c = compare(actual[key], expected[key], tol);
    if (!c.ok || c.error >= result.error) result = { ...c, message: `${key}: ${c.message}` };
    if (!c.ok) return result;
  }
  return result;
}

/** Every number of `v` with its index path, row-major: "" for a number, "[2]", "[1][3]". */
export function labelledEntries(v: unknown, prefix = ""): { label: string; value: number }[] {
  if (typeof v === "number") return [{ label: prefix, value: v }];
  if (v instanceof Float64Array || Array.isArray(v)) {
    const out: { label: string; value: number }[] = [];
    for (let i = 0; i < v.length; i++) out.push(...labelledEntries(v[i], `${prefix}[${i}]`));
    return out;
  }
  if (isPlainObject(v)) return Object.entries(v).flatMap(([k, x]) => labelledEntries(x, `${prefix}.${k}`));
  throw new TypeError(`not a numeric shape: ${describeShape(v)}`);
}
