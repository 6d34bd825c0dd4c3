/**
 * A tiny deterministic PRNG for tests: xoshiro128** seeded through splitmix32, so every
 * seed (even 0) gives a well-mixed stream. Same seed, same numbers, on every platform.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer uniform in [0, n). */
  int(n: number): number;
  vector(n: number, lo: number, hi: number): number[];
  matrix(m: number, n: number, lo: number, hi: number): number[][];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function makeRng(seed: number): Rng {
  const init = splitmix32(seed);
  const s = [init(), init(), init(), init()];
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2] = (s[2]! ^ s[0]!) >>> 0;
    s[3] = (s[3]! ^ s[1]!) >>> 0;
    s[1] = (s[1]! ^ s[2]!) >>> 0;
    s[0] = (s[0]! ^ s[3]!) >>> 0;
    s[2] = (s[2]! ^ t) >>> 0;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  // 53 random bits per double.
  const next = () => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6)) / 9007199254740992;
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * next();
  const vector = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => uniform(lo, hi));
  return {
    next,
    uniform,
    int: (n) => Math.floor(next() * n),
    vector,
    matrix: (m, n, lo, hi) => Array.from({ length: m }, () => vector(n, lo, hi)),
  };
}
