/**
 * Argument values of any shape tsgrad differentiates (number, number[], Float64Array,
 * nested arrays, plain objects of these) seen as flat vectors in the order generated code
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

/** A deep copy keeping Float64Array and Int32Array as they are. */
export function cloneValue<T>(value: T): T {
  if (value instanceof Float64Array) return new Float64Array(value) as T;
  if (value instanceof Int32Array) return new Int32Array(value) as T;
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneValue(v)])) as T;
  }
  return value;
}

/** The numbers of a value, flat (an Int32Array or a non-number leaf contributes nothing). */
export function flatten(value: unknown, out: number[] = []): number[] {
  if (typeof value === "number") out.push(value);
  else if (value instanceof Float64Array) for (const x of value) out.push(x);
  else if (Array.isArray(value)) for (const x of value) flatten(x, out);
  else if (value !== null && typeof value === "object" && !(value instanceof Int32Array)) for (const x of Object.values(value)) flatten(x, out);
  return out;
}

/** A value of `template`'s shape holding `flat`'s numbers in order. */
export function unflattenLike<T>(template: T, flat: readonly number[]): T {
  let k = 0;
  const build = (t: unknown): unknown => {
    if (typeof t === "number") return flat[k++]!;
    if (t instanceof Float64Array) return Float64Array.from(t, () => flat[k++]!);
    if (Array.isArray(t)) return t.map(build);
    if (t !== null && typeof t === "object" && !(t instanceof Int32Array)) return Object.fromEntries(Object.entries(t).map(([key, v]) => [key, build(v)]));
    return t;
  };
  return build(template) as T;
}

/** Labels of a value's flat entries: `x[2]`, `A[1][0]`, `p.W[3]`. */
export function entryLabels(name: string, value: unknown, out: string[] = []): string[] {
  if (typeof value === "number") out.push(name);
  else if (value instanceof Float64Array || Array.isArray(value)) Array.from(value as ArrayLike<unknown>, (x, i) => entryLabels(`${name}[${i}]`, x, out));
  else if (value !== null && typeof value === "object" && !(value instanceof Int32Array)) for (const [k, v] of Object.entries(value)) entryLabels(`${name}.${k}`, v, out);
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
