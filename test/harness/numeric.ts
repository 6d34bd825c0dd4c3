/**
 * Numeric helpers for derivative tests, by position: a seeded PRNG stream, flattening of
 * the parameter shapes tsgrad supports, central finite differences over chosen parameters,
 * and a relative-error comparison. The one harness (test/harness/) has one of each: the
 * PRNG is rng.ts, the differences fd.ts, the shapes shapes.ts; this file only adapts them.
 */
import { centralDifferences as fourthOrderDifferences } from "./fd.ts";
import { makeRng } from "./rng.ts";
import { deepClone, flatten } from "./shapes.ts";

export { flatten };
/** Deep copy of a parameter value (numbers, arrays, Float64Array, plain objects). */
export const clone = deepClone;

export type Value = number | number[] | Float64Array | Value[];

/** A seeded uniform [0, 1) stream (the suite's one PRNG, rng.ts). */
export function rng(seed: number): () => number {
  const r = makeRng(seed);
  return () => r.next();
}

/**
 * Central differences of scalar `f` over the parameters at `wrt` positions, flattened
 * row-major: fd.ts's fourth-order stencil, with its outer points at
 * x ± 1e-6 · max(1, |x|) so that it samples no farther from x than a plain central
 * difference with that step would.
 */
export function centralDifferences(f: (...args: unknown[]) => number, args: unknown[], wrt: number[]): number[][] {
  const names = args.map((_, i) => `#${i}`);
  const grad = fourthOrderDifferences(f, args, names, wrt.map((p) => names[p]!), { relStep: 5e-7 });
  return wrt.map((p) => flatten(grad[names[p]!]));
}

/** (g(h) - g(-h)) / 2h, entry by entry: the derivative of a vector path g at t = 0. */
export function differenceAlong(g: (t: number) => number[], h: number): number[] {
  const plus = g(h);
  const minus = g(-h);
  return plus.map((p, i) => (p - minus[i]!) / (2 * h));
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
