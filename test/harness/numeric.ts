/**
 * Numeric helpers for derivative tests: a seeded PRNG, flattening of the parameter
 * shapes tsgrad supports (number, number[], Float64Array, number[][]), central finite
 * differences over chosen parameters, and a relative-error comparison.
 */
import { makeRng } from "../support/rng.ts";
import { deepClone, flatten } from "../support/shapes.ts";

export { flatten };
/** Deep copy of a parameter value (numbers, arrays, Float64Array, plain objects). */
export const clone = deepClone;

export type Value = number | number[] | Float64Array | Value[];

/** A seeded uniform [0, 1) stream (the suite's one PRNG, support/rng.ts). */
export function rng(seed: number): () => number {
  const r = makeRng(seed);
  return () => r.next();
}

/** Writes `flat[k]` back into a clone of `shape`, returning [newValue, next k]. */
function rebuild(shape: unknown, flat: number[], k: number): [unknown, number] {
  if (typeof shape === "number") return [flat[k]!, k + 1];
  if (shape instanceof Float64Array) return [Float64Array.from(flat.slice(k, k + shape.length)), k + shape.length];
  if (Array.isArray(shape)) {
    const out: unknown[] = [];
    for (const x of shape) {
      const [v, next] = rebuild(x, flat, k);
      out.push(v);
      k = next;
    }
    return [out, k];
  }
  return [shape, k];
}

/**
 * Central differences of scalar `f` over the parameters at `wrt` positions, with step
 * h = 1e-6 * max(1, |x|). Truncation error O(h^2 f'''), rounding O(eps |f| / h): about 1e-8
 * relative for smooth functions of moderate size.
 */
export function centralDifferences(f: (...args: unknown[]) => number, args: unknown[], wrt: number[]): number[][] {
  return wrt.map((p) => {
    const base = flatten(args[p]);
    return base.map((x, k) => {
      const h = 1e-6 * Math.max(1, Math.abs(x));
      const at = (value: number) => {
        const flat = base.slice();
        flat[k] = value;
        const next = args.slice();
        next[p] = rebuild(args[p], flat, 0)[0];
        return f(...next);
      };
      return (at(x + h) - at(x - h)) / (2 * h);
    });
  });
}

/** max_k |a_k - b_k| / max(floor, |b_k|). */
export function maxRelError(a: number[], b: number[], floor = 1): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let k = 0; k < a.length; k++) {
    const err = Math.abs(a[k]! - b[k]!) / Math.max(floor, Math.abs(b[k]!));
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}

export function randomVector(n: number, next: () => number, scale = 1): number[] {
  return Array.from({ length: n }, () => (2 * next() - 1) * scale);
}

export function randomMatrix(m: number, n: number, next: () => number, scale = 1): number[][] {
  return Array.from({ length: m }, () => randomVector(n, next, scale));
}
