/**
 * Argument values of any shape tsgrad differentiates (number, number[], Float64Array,
 * Float32Array, nested arrays, plain objects and class instances of these) seen as flat vectors in the order generated code
 * uses (declaration order, arrays row-major, object fields in key order), and a seeded
 * random generator. No Node module: the playground uses this too.
 */

/** Seeded uniform numbers in [0, 1) (mulberry32: small, fast, good enough for test points). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Float64Array or Float32Array: numbers, flattened and perturbed like an array. */
function isFloatArray(value: unknown): value is Float64Array | Float32Array {
  return value instanceof Float64Array || value instanceof Float32Array;
}

/** An object of fields (a plain object or a class instance), not an array of any kind. */
function isFieldObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** An object with `value`'s prototype (a class instance stays one, so its methods work) and these fields. */
function withPrototypeOf(value: object, fields: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>, fields);
}

/** A deep copy keeping typed arrays' types and class instances' prototypes. */
export function cloneValue<T>(value: T): T {
  if (ArrayBuffer.isView(value)) return (value as unknown as Float64Array).slice() as T;
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (isFieldObject(value)) return withPrototypeOf(value, Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneValue(v)]))) as T;
  return value;
}

/** The numbers of a value, flat (an Int32Array or a non-number leaf contributes nothing). */
export function flatten(value: unknown, out: number[] = []): number[] {
  if (typeof value === "number") out.push(value);
  else if (isFloatArray(value)) for (const x of value) out.push(x);
  else if (Array.isArray(value)) for (const x of value) flatten(x, out);
  else if (isFieldObject(value)) for (const x of Object.values(value)) flatten(x, out);
  return out;
}

/** A value of `template`'s shape holding `flat`'s numbers in flatten's order. */
export function unflattenLike<T>(template: T, flat: readonly number[]): T {
  let k = 0;
  const build = (t: unknown): unknown => {
    if (typeof t === "number") return flat[k++]!;
    if (isFloatArray(t)) return t.map(() => flat[k++]!);
    if (Array.isArray(t)) return t.map(build);
    if (isFieldObject(t)) return withPrototypeOf(t, Object.fromEntries(Object.entries(t).map(([key, v]) => [key, build(v)])));
    return t;
  };
  return build(template) as T;
}

/** Labels of a value's flat entries: `x[2]`, `A[1][0]`, `p.W[3]`. */
export function entryLabels(name: string, value: unknown, out: string[] = []): string[] {
  if (typeof value === "number") out.push(name);
  else if (isFloatArray(value) || Array.isArray(value)) Array.from(value as ArrayLike<unknown>, (x, i) => entryLabels(`${name}[${i}]`, x, out));
  else if (isFieldObject(value)) for (const [k, v] of Object.entries(value)) entryLabels(`${name}.${k}`, v, out);
  return out;
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Uniform numbers in [-1, 1) of `template`'s shape. */
export function randomLike<T>(template: T, random: () => number): T {
  return unflattenLike(template, flatten(template).map(() => 2 * random() - 1));
}
