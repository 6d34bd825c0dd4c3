/**
 * The idiomatic suite: small functions written the way people write numeric TypeScript,
 * each a file of its own, tagged as a user would tag it. None was rewritten to suit tsgrad.
 * `test/idioms.test.ts` builds each one alone and checks it (check.ts).
 */
import type { Idiom } from "./check.ts";

const xs = () => [0.3, -1.2, 0.8, 1.5, -0.4];
const ys = () => [1.1, 0.2, -0.7, 0.5, 0.9];

export const IDIOMS: Idiom[] = [
  // ---- functions in every form ----
  {
    name: "arrow const with an expression body",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export const sumOfSquares = (x: number[]): number => x[0] * x[0] + x[1] * x[1] + 3 * x[0] * x[1];
`,
    fn: "sumOfSquares",
    args: () => [[0.7, -1.3]],
  },
  {
    name: "arrow const without a return type",
    source: `
/** @grad */
export const energy = (q: number, p: number) => 0.5 * p * p + 1 - Math.cos(q);
`,
    fn: "energy",
    args: () => [0.4, 1.2],
  },
  {
    name: "function expression in a const",
    source: `
/**
 * @grad
 * @hvp
 */
export const softplusSum = function (x: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.log1p(Math.exp(x[i]));
  return s;
};
`,
    fn: "softplusSum",
    args: () => [xs()],
  },
  {
    name: "anonymous default export (named after its file)",
    file: "pseudo-huber.ts",
    source: `
const DELTA = 1.5;
/** @grad */
export default function (r: number[]): number {
  let s = 0;
  for (const ri of r) s += DELTA * DELTA * (Math.sqrt(1 + (ri / DELTA) ** 2) - 1);
  return s;
}
`,
    fn: "pseudoHuber",
    call: (m, a) => (m.default as (r: number[]) => number)(...(a as [number[]])),
    tape: { fn: "default" },
    args: () => [xs()],
  },

  // ---- constants ----
  {
    name: "Number.EPSILON and other Number constants",
    source: `
/** @grad */
export function safeNorm(x: number[]): number {
  let s = Number.EPSILON;
  for (const v of x) s += v * v;
  return Math.sqrt(s) + Math.min(Number.MAX_VALUE, s) * 0;
}
`,
    fn: "safeNorm",
    args: () => [xs()],
  },
  {
    name: "const enum members",
    source: `
const enum Loss { Squared, Absolute, LogCosh }
/** @grad pred */
export function loss(pred: number[], target: number[], kind: Loss): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    const r = pred[i] - target[i];
    if (kind === Loss.Squared) s += r * r;
    else if (kind === Loss.LogCosh) s += Math.log(Math.cosh(r));
    else s += Math.abs(r);
  }
  return s;
}
`,
    fn: "loss",
    args: () => [xs(), ys(), 2],
    wrt: [0],
  },
  {
    name: "module-level coefficient table",
    source: `
const COEFFS = [1, -0.5, 0.25, -0.125, 0.0625];
const TWO_PI = 2 * Math.PI;
/**
 * @grad
 * @hvp
 */
export function series(t: number): number {
  let s = 0;
  for (let k = 0; k < COEFFS.length; k++) s += COEFFS[k] * Math.sin((k + 1) * TWO_PI * t);
  return s;
}
`,
    fn: "series",
    args: () => [0.17],
  },
  {
    name: "module-level matrix table",
    source: `
const A: readonly (readonly number[])[] = [
  [2, -1, 0],
  [-1, 2, -1],
  [0, -1, 2],
];
/**
 * @grad
 * @hvp
 * @jvp
 */
export function quadraticForm(x: number[]): number {
  let s = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += x[i] * A[i][j] * x[j];
  return 0.5 * s;
}
`,
    fn: "quadraticForm",
    args: () => [[0.4, -0.3, 1.1]],
  },

  // ---- parameters ----
  {
    name: "default parameter value",
    source: `
/** @grad x */
export function scaledNorm(x: number[], scale = 2): number {
  let s = 0;
  for (const v of x) s += v * v;
  return scale * Math.sqrt(s);
}
`,
    fn: "scaledNorm",
    args: () => [xs(), 2],
    wrt: [0],
  },
  {
    name: "optional parameter read with ??",
    source: `
/** @grad */
export function logLoss(p: number[], eps?: number): number {
  const e = eps ?? 1e-12;
  let s = 0;
  for (const v of p) s -= Math.log(v + e);
  return s;
}
`,
    fn: "logLoss",
    args: () => [[0.2, 0.5, 0.9], 1e-6],
    wrt: [0],
  },
  {
    name: "generic over number arrays",
    source: `
/**
 * @grad
 * @jvp
 */
export function dotSelf<T extends number[]>(v: T): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i] * (i + 1);
  return s;
}
`,
    fn: "dotSelf",
    args: () => [xs()],
  },
  {
    name: "Float32Array parameter, Float32Array gradient",
    single: true,
    source: `
/** @grad */
export function meanSquare(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s / x.length;
}
`,
    fn: "meanSquare",
    args: () => [Float32Array.from([0.5, -1.25, 2, 0.75])],
  },

  // ---- control flow ----
  {
    name: "switch with shared cases and default",
    source: `
/**
 * @grad x
 * @hvp x
 */
export function activate(x: number[], kind: number): number {
  let s = 0;
  for (const v of x) {
    switch (kind) {
      case 0:
        s += Math.tanh(v);
        break;
      case 1:
      case 2:
        s += v > 0 ? v : 0.01 * v;
        break;
      default:
        s += 1 / (1 + Math.exp(-v));
    }
  }
  return s;
}
`,
    fn: "activate",
    args: () => [xs(), 0],
    wrt: [0],
  },
  {
    name: "switch with a break inside an if and a fallthrough",
    source: `
/** @grad x */
export function piecewise(x: number, mode: number): number {
  let y = x;
  switch (mode) {
    case 1:
      if (x > 3) {
        y = 3;
        break;
      }
      y = y * y;
    case 2:
      y = y + Math.sin(y);
      break;
    default:
      y = -y;
  }
  return y;
}
`,
    fn: "piecewise",
    args: () => [0.7, 1],
    wrt: [0],
  },
  {
    name: "labelled continue of an outer loop",
    source: `
/** @grad */
export function rowSumsUntilNegative(a: number[][]): number {
  let s = 0;
  rows: for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i].length; j++) {
      if (a[i][j] < 0) continue rows;
      s += a[i][j] * a[i][j];
    }
    s += 1;
  }
  return s;
}
`,
    fn: "rowSumsUntilNegative",
    args: () => [[[0.5, 1.2, -0.3, 0.4], [0.7, 0.1, 0.9, 1.1], [1.5, -2, 3, 4]]],
  },
  {
    name: "labelled break out of a nested search",
    source: `
/** @grad */
export function firstLarge(a: number[][]): number {
  let found = 0;
  search: for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i].length; j++) {
      if (a[i][j] > 1) {
        found = a[i][j] * a[i][0];
        break search;
      }
    }
  }
  return found;
}
`,
    fn: "firstLarge",
    args: () => [[[0.5, 0.2], [0.7, 1.4], [1.5, 2]]],
  },
  {
    name: "for…in over an array's indices",
    source: `
/** @grad w */
export function weightedSum(w: number[], x: number[]): number {
  let s = 0;
  for (const i in w) s += w[i] * x[i];
  return s;
}
`,
    fn: "weightedSum",
    args: () => [xs(), ys()],
    wrt: [0],
  },

  // ---- destructuring, tuples ----
  {
    name: "destructured object parameter",
    source: `
export interface Params { w: number[]; b: number }
/**
 * @grad
 * @hvp
 */
export function linear({ w, b }: Params, x: number[]): number {
  let s = b;
  for (let i = 0; i < w.length; i++) s += w[i] * x[i];
  return s * s;
}
`,
    fn: "linear",
    args: () => [{ w: [0.5, -0.2, 0.1], b: 0.3 }, [1, 2, 3]],
  },
  {
    name: "array destructuring of a parameter's elements",
    source: `
/**
 * @grad
 * @jvp
 */
export function rosenbrock2(p: number[]): number {
  const [x, y] = p;
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
}
`,
    fn: "rosenbrock2",
    args: () => [[0.3, 0.7]],
  },
  {
    name: "tuple parameter destructured in the signature",
    source: `
/** @grad */
export function polarArea([r, theta]: [number, number]): number {
  return 0.5 * r * r * theta + Math.sin(theta) * r;
}
`,
    fn: "polarArea",
    args: () => [[1.3, 0.6]],
  },
  {
    name: "rest element in array destructuring",
    source: `
/** @grad */
export function headAndTail(x: number[]): number {
  const [first, ...rest] = x;
  let s = 0;
  for (const v of rest) s += v * first;
  return s;
}
`,
    fn: "headAndTail",
    args: () => [xs()],
  },
  {
    name: "for…of over entries with destructuring",
    source: `
/** @grad */
export function positional(x: number[]): number {
  let s = 0;
  for (const [i, v] of x.entries()) s += (i + 1) * v * v;
  return s;
}
`,
    fn: "positional",
    args: () => [xs()],
  },
];
