/**
 * Moving values in and out of the traced world: deep copies of the caller's arguments
 * (Float64Arrays become plain arrays, which can hold boxes), boxing the numbers of the
 * parameters being differentiated, flattening in declaration order (arrays row-major,
 * object fields in key order), rebuilding results in a parameter's own shape, and turning
 * traced results back into plain numbers.
 */
import { Box, type Value, isValue, primal } from "./box.ts";

/** Plain arrays that stand in for a Float64Array (a parameter, or `new Float64Array(n)`). */
const floatArrays = new WeakSet<unknown[]>();

export function markFloat64<T extends unknown[]>(a: T): T {
  floatArrays.add(a);
  // A typed array's `set(source, offset)`, which the plain array standing in for it lacks.
  Object.defineProperty(a, "set", {
    value: (source: ArrayLike<unknown>, offset = 0) => {
      for (let i = 0; i < source.length; i++) a[offset + i] = source[i];
    },
  });
  return a;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * An instance of a class written in the program (`new Linear(w, b)`): differentiated by its
 * own fields like a plain object; copies keep its prototype, so its methods still run
 * (traced when the class comes from the tape's rewritten module).
 */
export function isClassInstance(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v) as { constructor?: unknown } | null;
  if (!proto || proto === Object.prototype) return false;
  const ctor = proto.constructor;
  return typeof ctor === "function" && /^class[\s{]/.test(Function.prototype.toString.call(ctor));
}

/** A plain object or a class instance: a record of fields. */
function isRecord(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) || isClassInstance(v);
}

/**
 * Whether a value counts as differentiable by default: a number, a Float64Array, an
 * array of differentiable values, or a non-empty plain object whose fields all are.
 */
export function isDifferentiable(v: unknown): boolean {
  if (typeof v === "number" || v instanceof Float64Array) return true;
  if (Array.isArray(v)) return v.every(isDifferentiable);
  if (isRecord(v)) {
    const keys = Object.keys(v);
    return keys.length > 0 && keys.every((k) => isDifferentiable(v[k]));
  }
  return false;
}

/**
 * A deep copy of `v` for the traced code: numbers (and boxes) go through `leafFn`,
 * Float64Arrays become marked plain arrays, arrays and plain objects are copied, other
 * typed arrays are copied as they are, anything else is shared.
 */
export function toTraced(v: unknown, leafFn: (x: Value) => unknown = (x) => x): unknown {
  if (isValue(v)) return leafFn(v);
  if (v instanceof Float64Array) return markFloat64(Array.from(v, (x) => leafFn(x)));
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return (v as unknown as { slice(): unknown }).slice();
  if (Array.isArray(v)) {
    const out = v.map((x: unknown) => toTraced(x, leafFn));
    return floatArrays.has(v) ? markFloat64(out) : out;
  }
  if (isRecord(v)) {
    const out = (isPlainObject(v) ? {} : Object.create(Object.getPrototypeOf(v))) as Record<string, unknown>;
    for (const k of Object.keys(v)) out[k] = toTraced(v[k], leafFn);
    return out;
  }
  return v;
}

/** The numbers (and boxes) of `v` in flattening order. */
export function leaves(v: unknown, out: Value[] = []): Value[] {
  if (isValue(v)) out.push(v);
  else if (v instanceof Float64Array) for (const x of v) out.push(x);
  else if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if (isRecord(v)) for (const k of Object.keys(v)) leaves(v[k], out);
  return out;
}

/**
 * `template`'s shape with its numbers replaced, in flattening order, by `next()`:
 * number → number, Float64Array → Float64Array, arrays and objects recursively. Object
 * fields without numbers (strings, booleans, …) are left out.
 */
export function shapeLike(template: unknown, next: () => number): unknown {
  if (isValue(template)) return next();
  if (template instanceof Float64Array) return Float64Array.from(template, () => next());
  if (Array.isArray(template)) {
    const out = template.map((x: unknown) => shapeLike(x, next));
    return floatArrays.has(template) ? Float64Array.from(out as number[]) : out;
  }
  if (isRecord(template)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(template)) if (!hasNoNumbers(template[k])) out[k] = shapeLike(template[k], next);
    return out;
  }
  return template;
}

/** True for values that hold no differentiable numbers (strings, booleans, Int32Array, null …). */
function hasNoNumbers(v: unknown): boolean {
  return !(isValue(v) || Array.isArray(v) || v instanceof Float64Array || isRecord(v));
}

/** `shapeLike` with the numbers taken from an array. */
export function shapeFrom(template: unknown, flat: readonly number[]): unknown {
  let k = 0;
  const out = shapeLike(template, () => flat[k++]!);
  if (k !== flat.length) throw new Error(`internal: ${flat.length} numbers for a shape of ${k}`);
  return out;
}

/**
 * The numbers of `value`, read along the structure of `template` (so object fields are
 * matched by name, not by key order). Missing parts read as 0 when `value` is undefined.
 */
export function leavesLike(template: unknown, value: unknown, what: string): number[] {
  const out: number[] = [];
  const walk = (t: unknown, v: unknown, path: string): void => {
    if (isValue(t)) {
      if (v === undefined) out.push(0);
      else if (typeof v === "number") out.push(v);
      else throw new Error(`${what}${path}: expected a number, got ${describe(v)}`);
      return;
    }
    const items = t instanceof Float64Array ? Array.from(t) : Array.isArray(t) ? (t as unknown[]) : null;
    if (items) {
      if (v !== undefined && !(Array.isArray(v) || v instanceof Float64Array)) throw new Error(`${what}${path}: expected an array, got ${describe(v)}`);
      const vs = v as ArrayLike<unknown> | undefined;
      if (vs !== undefined && vs.length !== items.length) throw new Error(`${what}${path}: expected length ${items.length}, got ${vs.length}`);
      items.forEach((x, i) => walk(x, vs?.[i], `${path}[${i}]`));
      return;
    }
    if (isRecord(t)) {
      if (v !== undefined && !isRecord(v)) throw new Error(`${what}${path}: expected an object, got ${describe(v)}`);
      for (const k of Object.keys(t)) walk(t[k], (v as Record<string, unknown> | undefined)?.[k], `${path}.${k}`);
    }
  };
  walk(template, value, "");
  return out;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return v === null ? "null" : typeof v;
}

/** A traced result as plain numbers, in its own shape (marked arrays back to Float64Array). */
export function toPlain(v: unknown): unknown {
  if (v instanceof Box) return primal(v);
  if (Array.isArray(v)) {
    const out = v.map(toPlain);
    return floatArrays.has(v) && out.every((x) => typeof x === "number") ? Float64Array.from(out as number[]) : out;
  }
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = toPlain(v[k]);
    return out;
  }
  return v;
}
