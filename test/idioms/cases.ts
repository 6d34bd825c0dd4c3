/**
 * The idiomatic suite: small functions written the way people write numeric TypeScript,
 * each a file of its own, tagged as a user would tag it. None was rewritten to suit tsgrad.
 * `test/idioms.test.ts` builds each one alone and checks it (check.ts).
 */
import type { Idiom } from "./check.ts";

const xs = () => [0.3, -1.2, 0.8, 1.5, -0.4];
const ys = () => [1.1, 0.2, -0.7, 0.5, 0.9];

/** An options object that may be left out, read with ?. and ??: called with it and without it. */
const powerLoss = `
/**
 * @grad x
 * @hvp x
 * @jvp x
 */
export function powerLoss(x: number[], opts?: { scale?: number; power: number }): number {
  const k = opts?.scale ?? 1;
  let s = 0;
  for (const v of x) s += k * Math.abs(v) ** (opts?.power ?? 2);
  return s;
}
`;

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
  {
    name: "a table of constants written in the function (const K = [[…], […]] as const)",
    source: `
const SCALE = 0.5;
/**
 * @grad
 * @hvp
 * @jvp
 */
export function stencilEnergy(x: number[]): number {
  const K = [
    [1, -2, 1],
    [-0.5, 0, 0.5],
    [SCALE, 2 * SCALE, -Math.PI],
  ] as const;
  let s = 0;
  for (let i = 1; i + 1 < x.length; i++) {
    for (let r = 0; r < K.length; r++) {
      const d = K[r][0] * x[i - 1] + K[r][1] * x[i] + K[r][2] * x[i + 1];
      s += d * d * (r + 1);
    }
  }
  return s;
}
`,
    fn: "stencilEnergy",
    args: () => [xs()],
  },
  {
    name: "local matrices: Array.from rows of zeros, entries computed (i, j) => …, rows per element of an array, flat(), its rows by name",
    source: `
/**
 * @grad x
 * @hvp x
 * @jvp x
 */
export function gramEnergy(x: number[], k: number): number {
  const n = x.length;
  const features = Array.from({ length: n }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) features[i][j] = Math.sin(x[i] * (j + 1));
  let s = 0;
  for (let i = 0; i < features.length; i++) {
    for (let j = 0; j < features[i].length; j++) s += features[i][j] * features[(i + 1) % n][j];
  }
  const w = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => x[i] * x[j] + (i === j ? 1 : 0)));
  for (let i = 0; i < n; i++) w[i][i] += 2 * x[i];
  const powers = x.map((v, i) => Array.from({ length: 3 }, (_, j) => v ** (j + 1) + i));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += w[i][j] * powers[j][i % 3] * 0.1;
  const all = features.flat();
  all[0] = 0;
  for (const row of features) s += row[0] * row[row.length - 1];
  let r = 1;
  const second = features[r];
  r = 0;
  second[1] += 0.5 * x[0];
  return s + all.reduce((t, v, i) => t + v * v * (i % 4), 0) + features[0][0] + second[0] * features[1][1] + features[r][2];
}
`,
    fn: "gramEnergy",
    args: () => [xs(), 3],
    wrt: [0],
  },
  {
    name: "local matrices whose rows are pushed one by one: built in place, literals, a parameter; rows of different lengths",
    source: `
/**
 * @grad x
 * @hvp x
 * @jvp x
 */
export function pushedRows(x: number[], k: number): number {
  const m: number[][] = [];
  for (let i = 0; i < x.length; i++) {
    const row = new Array<number>(k).fill(0);
    for (let j = 0; j < k; j++) row[j] = Math.sin(x[i] * (j + 1));
    row[0] += x[(i + 1) % x.length] * row[row.length - 1];
    m.push(row);
  }
  const tri: number[][] = [];
  for (let i = 0; i < 3; i++) {
    const powers = Array.from({ length: i + 1 }, (_, j) => x[i] ** (j + 1));
    tri.push(powers);
  }
  tri.push([x[0] * x[1], 2]);
  tri.push(x);
  let s = 0;
  for (let i = 0; i < m.length; i++) for (let j = 0; j < m[i].length; j++) s += m[i][j] * m[(i + 1) % m.length][j];
  for (const r of tri) s += r[r.length - 1] * r.length + r[0];
  m[1][0] = x[2] * 3;
  const last = tri[tri.length - 2];
  return s + last[0] * m[1][0] + tri.flat().reduce((t, v) => t + v * v, 0) * 0.1;
}
`,
    fn: "pushedRows",
    args: () => [xs(), 3],
    wrt: [0],
  },
  {
    name: "rows grown by push (const row: number[] = []; row.push(v); m.push(row)): a triangle, read while growing, and for…of over its rows' entries",
    source: `
/**
 * @grad x
 * @hvp x
 * @jvp x
 */
export function grownRows(x: number[]): number {
  const m: number[][] = [];
  for (let i = 0; i < x.length; i++) {
    const row: number[] = [];
    for (let j = 0; j <= i; j++) row.push(x[i] * x[j]);
    if (i % 2 === 1) row.push(row[0] + row.length * x[0]);
    row[row.length - 1] *= 1.5;
    m.push(row);
  }
  m.push([x[1], 2]);
  let s = 0;
  for (const row of m) for (let j = 0; j < row.length; j++) s += Math.sin(row[j]) * (j + 1);
  for (const row of m) for (const v of row) s += v * v * 0.1;
  for (const [j, v] of m[2].entries()) s += Math.cos(v) * j;
  return s + m[m.length - 2][1] * m[1].length;
}
`,
    fn: "grownRows",
    args: () => [xs()],
  },
  {
    name: "a row of a local matrix, or the matrix, passed to helpers: dot(m[i], …), energy(m), a helper writing the row, a local arrow",
    source: `
function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function energy(m: number[][]): number {
  let e = 0;
  for (const row of m) e += dot(row, row);
  return e;
}
function scaleRow(r: number[], k: number): void {
  for (let j = 0; j < r.length; j++) r[j] *= k;
}
/**
 * @grad x
 * @hvp x
 * @jvp x
 */
export function rowsToHelpers(x: number[], k: number): number {
  const m = Array.from({ length: x.length }, (_, i) => Array.from({ length: k }, (_, j) => Math.cos(x[i] * (j + 1))));
  let s = 0;
  for (let i = 0; i < m.length; i++) s += dot(m[i], m[(i + 1) % m.length]) * x[i];
  scaleRow(m[1], x[0]);
  const norm = (r: number[]) => Math.sqrt(dot(r, r));
  const p: number[][] = [];
  for (let i = 0; i < 2; i++) p.push([x[i], x[i + 1] * 2, 1]);
  for (const row of p) s += norm(row);
  return s + energy(m) + energy(p) * m[1][1];
}
`,
    fn: "rowsToHelpers",
    args: () => [xs(), 3],
    wrt: [0],
  },
  {
    name: "Horner's rule with reduceRight",
    source: `
/**
 * @grad coeffs
 * @hvp coeffs
 * @jvp coeffs
 */
export function horner(coeffs: number[], x: number): number {
  return coeffs.reduceRight((acc, c) => acc * x + c, 0);
}
`,
    fn: "horner",
    args: () => [xs(), 0.7],
    wrt: [0],
  },
  {
    name: "a mask of indices read with includes",
    source: `
/** @grad */
export function maskedSum(x: number[], skip: number[]): number {
  let s = 0;
  x.forEach((v, i) => {
    if (!skip.includes(i)) s += v * v;
  });
  return s;
}
`,
    fn: "maskedSum",
    args: () => [xs(), [1, 3]],
  },
  {
    name: "n-body potential over an array of a private tuple alias (Vec3[]) with destructuring",
    source: `
type Vec3 = [number, number, number];
/**
 * @grad pos
 * @hvp pos
 */
export function potential(pos: Vec3[], mass: number[]): number {
  let u = 0;
  for (let i = 0; i < pos.length; i++) {
    for (let j = i + 1; j < pos.length; j++) {
      const [dx, dy, dz] = [pos[i][0] - pos[j][0], pos[i][1] - pos[j][1], pos[i][2] - pos[j][2]];
      u -= (mass[i] * mass[j]) / Math.sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return u;
}
`,
    fn: "potential",
    args: () => [[[0, 0, 0], [1, 0.2, -0.3], [0.4, 1.1, 0.5]], [1, 2, 3]],
    wrt: [0],
  },
  {
    name: "Gini coefficient of a sorted copy",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function gini(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  const n = s.length;
  const total = s.reduce((a, b) => a + b, 0);
  return s.reduce((acc, v, i) => acc + (2 * (i + 1) - n - 1) * v, 0) / (n * total);
}
`,
    fn: "gini",
    args: () => [[0.3, 1.2, 0.8, 1.5, 0.4]],
  },
  {
    name: "attention over the rows of a matrix parameter: map with a module-level arrow, max of a spread, softmax weights",
    source: `
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
/**
 * @grad q
 * @hvp q
 * @jvp q
 */
export function attend(q: number[], keys: number[][], values: number[]): number {
  const scores = keys.map((k) => dot(q, k) / Math.sqrt(q.length));
  const m = Math.max(...scores);
  const w = scores.map((s) => Math.exp(s - m));
  const z = w.reduce((a, b) => a + b, 0);
  return w.reduce((acc, wi, i) => acc + (wi / z) * values[i], 0);
}
`,
    fn: "attend",
    args: () => [xs(), [[1.2, 0.1, 0.3, 0.2, 0.0], [0.1, 0.9, 0.2, 0.1, 0.3], [0.3, 0.2, 1.1, 0.0, 0.1]], ys().slice(0, 3)],
    wrt: [0],
  },
  {
    name: "Black-Scholes call price with a normal CDF helper",
    source: `
function normCdf(x: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const d = 0.3989423 * Math.exp((-x * x) / 2);
  const p = d * t * (0.3193815 + t * (-0.3565638 + t * (1.781478 + t * (-1.821256 + t * 1.330274))));
  return x > 0 ? 1 - p : p;
}
/** @grad */
export function blackScholesCall(S: number, K: number, r: number, sigma: number, T: number): number {
  const sqrtT = Math.sqrt(T);
  const d1 = (Math.log(S / K) + (r + (sigma * sigma) / 2) * T) / (sigma * sqrtT);
  const d2 = d1 - sigma * sqrtT;
  return S * normCdf(d1) - K * Math.exp(-r * T) * normCdf(d2);
}
`,
    fn: "blackScholesCall",
    args: () => [100, 95, 0.03, 0.25, 1.5],
  },
  {
    name: "a matrix product built by nested map (A.map((row) => B[0].map((_, j) => row.reduce(…)))), summed by reduce over its rows",
    source: `
/**
 * @grad A
 * @hvp A
 * @jvp A
 */
export function frobeniusOfProduct(A: number[][], B: number[][]): number {
  const C = A.map((row) => B[0].map((_, j) => row.reduce((s, a, k) => s + a * B[k][j], 0)));
  return C.reduce((s, row) => s + row.reduce((t, v) => t + v * v, 0), 0);
}
`,
    fn: "frobeniusOfProduct",
    args: () => [[[1.2, 0.1, 0.3], [0.1, 0.9, 0.2]], [[0.3, 0.2, 1.1, 0.4], [0.2, 0.1, 0.0, 0.8], [0.0, 0.3, 0.1, 0.2]]],
    wrt: [0],
  },
  {
    name: "a distance matrix of points by nested map, read as d[i][j]",
    source: `
/**
 * @grad points
 * @hvp points
 */
export function stress(points: number[][], target: number[][]): number {
  const d = points.map((p) => points.map((q) => Math.hypot(p[0] - q[0], p[1] - q[1])));
  let s = 0;
  for (let i = 0; i < d.length; i++) for (let j = i + 1; j < d.length; j++) s += (d[i][j] - target[i][j]) ** 2;
  return s;
}
`,
    fn: "stress",
    args: () => [[[0, 0], [1, 0.2], [0.4, 1.1], [-0.5, 0.3]], [[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]]],
    wrt: [0],
  },
  {
    name: "Array.from(xs, mapper), Float64Array.from(xs, mapper), for…of xs.values(), forEach reading its array argument",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function scaledNorm(x: number[], k: number): number {
  const y = Array.from(x, (v) => v * k);
  const z = Float64Array.from(x, (v, i) => v + i);
  let s = 0;
  for (const v of y.values()) s += v * v;
  z.forEach((v, i, arr) => {
    s += v * arr[(i + 1) % arr.length];
  });
  return s;
}
`,
    fn: "scaledNorm",
    args: () => [xs(), 1.3],
  },
  {
    name: "a typed array filled with set(xs, offset)",
    source: `
/**
 * @grad
 * @jvp
 */
export function shifted(x: number[]): number {
  const buf = new Float64Array(x.length + 2);
  buf.set(x, 1);
  let s = 0;
  for (let i = 1; i <= x.length; i++) s += buf[i - 1] * buf[i + 1] + buf[i] ** 2;
  return s;
}
`,
    fn: "shifted",
    args: () => [xs()],
  },
  {
    name: "a generic helper over ArrayLike<number>",
    source: `
function total<T extends ArrayLike<number>>(a: T): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}
/** @grad */
export function normalizedEntropy(p: number[]): number {
  const z = total(p);
  return -p.reduce((h, v) => h + (v / z) * Math.log(v / z), 0);
}
`,
    fn: "normalizedEntropy",
    args: () => [[0.3, 1.2, 0.8, 1.5, 0.4]],
  },
  {
    name: "elementwise maps over a matrix parameter's rows (A.map((row) => row.map(…))): rows appended with their own lengths",
    source: `
/**
 * @grad A
 * @hvp A
 * @jvp A
 */
export function elementwise(A: number[][], k: number): number {
  const B = A.map((row) => row.map((v) => Math.tanh(k * v)));
  const C = A.map((row, i) => row.map((v, j) => v * B[i][j] + j));
  let s = 0;
  for (let i = 0; i < B.length; i++) for (let j = 0; j < B[i].length; j++) s += B[i][j] * C[i][j];
  return s + C.reduce((t, r) => t + r.reduce((u, v) => u + v, 0), 0);
}
`,
    fn: "elementwise",
    args: () => [[[0.3, -1.2, 0.8], [1.5, -0.4, 0.2], [0.1, 0.7]], 1.3],
    wrt: [0],
  },
  {
    name: "a mixture's log-likelihood: reduce over an array of records with a destructured callback parameter",
    source: `
interface Component {
  weight: number;
  mean: number;
  std: number;
}
/** @grad comps */
export function logLikelihood(comps: Component[], data: number[]): number {
  let ll = 0;
  for (const x of data) {
    const p = comps.reduce((s, { weight, mean, std }) => s + (weight / (std * Math.sqrt(2 * Math.PI))) * Math.exp(-0.5 * ((x - mean) / std) ** 2), 0);
    ll += Math.log(p);
  }
  return ll;
}
`,
    fn: "logLikelihood",
    args: () => [[{ weight: 0.4, mean: -0.5, std: 0.8 }, { weight: 0.6, mean: 1.0, std: 1.2 }], xs()],
    wrt: [0],
  },
  {
    name: "maximum drawdown: a local array pushed in a loop, then running maxima",
    source: `
/** @grad */
export function drawdown(returns: number[]): number {
  const wealth: number[] = [];
  let w = 1;
  for (const r of returns) {
    w *= 1 + r;
    wealth.push(w);
  }
  let peak = -Infinity;
  let maxDd = 0;
  for (const v of wealth) {
    peak = Math.max(peak, v);
    maxDd = Math.max(maxDd, (peak - v) / peak);
  }
  return maxDd;
}
`,
    fn: "drawdown",
    args: () => [[0.05, -0.1, 0.03, -0.08, 0.12]],
  },
  {
    name: "an interquartile range read from a sorted copy by a helper",
    source: `
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
/** @grad */
export function iqr(x: number[]): number {
  const s = x.toSorted((a, b) => a - b);
  return quantile(s, 0.75) - quantile(s, 0.25);
}
`,
    fn: "iqr",
    args: () => [[0.3, -1.2, 0.8, 1.5, -0.4, 0.9]],
  },
  {
    name: "object spread: { ...p, b: p.b + d } keeps p's field order and takes the later value",
    source: `
interface P { a: number; b: number; c: number }
/**
 * @grad p
 * @hvp p
 * @jvp p
 */
export function shifted(p: P, d: number): number {
  const q = { ...p, b: p.b + d };
  return q.a * q.b + q.c * q.c;
}
`,
    fn: "shifted",
    args: () => [{ a: 0.7, b: -1.2, c: 0.4 }, 0.3],
    wrt: [0],
  },
  {
    name: "a slice read in place by a callback inside a callback (x.slice(i + 1).reduce(…) in a reduce)",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function pairwise(x: number[]): number {
  return x.reduce((s, a, i) => s + x.slice(i + 1).reduce((t, b) => t + Math.exp(-((a - b) ** 2)), 0), 0);
}
`,
    fn: "pairwise",
    args: () => [xs()],
  },
  {
    name: "a let object of a class reassigned from its own method (let z = new Complex(…); z = z.mul(c)), getters, one with two returns",
    source: `
export class Complex {
  constructor(public re: number, public im: number) {}
  get abs(): number {
    return Math.hypot(this.re, this.im);
  }
  get damped(): number {
    if (this.re < 0) return 0.5 * this.re;
    return this.re;
  }
  mul(o: Complex): Complex {
    return new Complex(this.re * o.re - this.im * o.im, this.re * o.im + this.im * o.re);
  }
}
/**
 * @grad
 * @hvp
 * @jvp
 */
export function powAbs(re: number, im: number): number {
  let z = new Complex(re, im);
  const c = new Complex(re, im);
  for (let k = 0; k < 3; k++) z = z.mul(c);
  return z.abs + z.damped * c.damped;
}
`,
    fn: "powAbs",
    args: () => [0.7, -0.4],
  },
  {
    name: "a slice of a sorted copy (top k) and Math.max of a spread slice in a loop (window maxima), read in place",
    source: `
/**
 * @grad x
 * @hvp x
 * @jvp x
 */
export function topAndWindows(x: number[], k = 2, w = 3): number {
  const top = x.toSorted((a, b) => b - a).slice(0, k).reduce((s, v) => s + v, 0);
  let windows = 0;
  for (let i = 0; i + w <= x.length; i++) windows += Math.max(...x.slice(i, i + w)) * (i + 1);
  return top * top + windows;
}
`,
    fn: "topAndWindows",
    args: () => [xs(), 2, 3],
    wrt: [0],
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
    name: "optional options object read with ?. and ?? (opts?: { scale?: number; power: number })",
    source: powerLoss,
    fn: "powerLoss",
    args: () => [xs(), { power: 3 }],
    wrt: [0],
  },
  {
    name: "optional options object left out",
    source: powerLoss,
    fn: "powerLoss",
    // Left out in the call (the generated functions' parameters after it take undefined in its place).
    args: () => [xs(), undefined],
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
    name: "a loop counting down with i-- in its condition",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function tailWeighted(x: number[]): number {
  let s = 0;
  let i = x.length;
  while (i-- > 0) s = s * 0.5 + x[i] * Math.sin(x[i]);
  return s;
}
`,
    fn: "tailWeighted",
    args: () => [xs()],
  },
  {
    name: "an array filled through a cursor, out[k++] = …",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function interleavedMoments(x: number[]): number {
  const out = new Array<number>(3 * x.length).fill(0);
  let k = 0;
  for (const v of x) {
    out[k++] = v;
    out[k++] = v * v;
    out[++k - 1] = Math.exp(-v);
  }
  let s = 0;
  for (let j = 0; j < out.length; j++) s += out[j] * (j + 1);
  return s;
}
`,
    fn: "interleavedMoments",
    args: () => [xs()],
  },
  {
    name: "copies in expressions: slice with a bound from the end, concat, a reversed copy, { length: n }",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function edgeWeighted(x: number[], y: number[]): number {
  const { length: n } = x;
  const inner = x.slice(1, -1).reduce((s, v) => s + v * v, 0);
  const joined = x.concat(y, 2).map((v, i) => v * (i + 1));
  const back = x.toReversed();
  const fromEnd = x.map((v) => Math.sin(v)).reverse();
  let s = inner / n;
  for (let i = 0; i < joined.length; i++) s += joined[i] * joined[i] * 0.1;
  for (let i = 0; i < n; i++) s += back[i] * x[i] + fromEnd[i] * (i + 1);
  return s;
}
`,
    fn: "edgeWeighted",
    args: () => [xs(), ys()],
  },
  {
    name: "searches that give an index: indexOf, findIndex",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function aroundPeak(x: number[]): number {
  const peak = x.indexOf(Math.max(...x));
  const firstNegative = x.findIndex((v) => v < 0);
  const left = peak > 0 ? x[peak - 1] : 0;
  return x[peak] * x[peak] + left * x[peak] + (firstNegative < 0 ? 0 : Math.exp(x[firstNegative]) * firstNegative);
}
`,
    fn: "aroundPeak",
    args: () => [xs()],
  },
  {
    name: "searches that give an element: find … ?? d, findLast(…)!, findLastIndex, lastIndexOf",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function thresholds(x: number[], t: number): number {
  const first = x.find((v) => v > t) ?? t;
  const lastNegative = x.findLast((v) => v < 0)!;
  const lastLarge = x.findLastIndex((v) => Math.abs(v) > 1);
  const again = x.lastIndexOf(x[4] * 1);
  const missing = x.find((v) => v > 10 * t) ?? -t;
  return first * first + lastNegative * t + (lastLarge < 0 ? 0 : x[lastLarge] * lastLarge) + x[again] * missing;
}
`,
    fn: "thresholds",
    args: () => [xs(), 0.5],
  },
  {
    name: "sorting numbers: a median and a trimmed mean of toSorted, [...x].sort, sort in place, ties kept in order",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function robustCenter(x: number[]): number {
  const s = x.toSorted((a, b) => a - b);
  const n = s.length;
  const median = n % 2 === 1 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  let trimmed = 0;
  for (let i = 1; i < n - 1; i++) trimmed += s[i];
  const largest = [...x].sort((a, b) => b - a);
  const squares = x.map((v) => v * v);
  squares.sort((a, b) => a - b);
  const byBucket = x.slice().sort((a, b) => Math.round(a) - Math.round(b));
  let ranked = 0;
  byBucket.forEach((v, i) => {
    ranked += v * (i + 1);
  });
  return median * median + trimmed / (n - 2) + largest[0] * squares[1] + ranked;
}
`,
    fn: "robustCenter",
    args: () => [xs()],
  },
  {
    name: "destructuring assignment: [a, b] = [b, a + b], [x, y] = rotate(…), [q[1], q[0]] = …",
    source: `
function rotate(x: number, y: number, t: number): [number, number] {
  return [Math.cos(t) * x - Math.sin(t) * y, Math.sin(t) * x + Math.cos(t) * y];
}
/**
 * @grad
 * @hvp
 * @jvp
 */
export function spinFib(p: number[], t: number): number {
  let [a, b] = [p[0], p[1]];
  for (let i = 0; i < 3; i++) [a, b] = [b, a + b * t];
  let x = a;
  let y = b;
  for (let k = 0; k < 4; k++) [x, y] = rotate(x, y, t * x);
  const q = [0, 0];
  [q[1], q[0]] = [x, y * y];
  [q[0], q[1]] = [q[1], q[0]];
  return x * y + q[0] * Math.exp(q[1] * 0.1);
}
`,
    fn: "spinFib",
    args: () => [[0.3, -0.7], 0.4],
  },
  {
    name: "an array of objects built with map ((v, i) => ({ x: v, y: … })), read as objects",
    source: `
/**
 * @grad x
 * @hvp x
 * @jvp x
 */
export function pointCloud(x: number[], y: number[]): number {
  const points = x.map((v, i) => ({ x: v, y: y[i] * Math.exp(v) }));
  let s = points.reduce((acc, p) => acc + p.x * p.y, 0);
  for (const { x: px, y: py } of points) s += Math.sin(px) * py;
  for (let i = 0; i < points.length; i++) s += points[i].x * points[0].y;
  return s + x.map((v) => ({ a: v, b: 2 * v })).reduce((t, q) => t + q.a * q.b, 0);
}
`,
    fn: "pointCloud",
    args: () => [xs(), ys()],
    wrt: [0],
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

  // ---- callbacks, local functions, closures ----
  {
    name: "reduce with an arrow callback",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export const sumSquares = (xs: number[]) => xs.reduce((s, v) => s + v * v, 0);
`,
    fn: "sumSquares",
    args: () => [xs()],
  },
  {
    name: "reduce into a declared constant, with the index",
    source: `
/** @grad */
export function weighted(x: number[], w: number[]): number {
  const total = x.reduce((acc, v, i) => acc + w[i] * Math.exp(v), 0);
  return Math.log(total);
}
`,
    fn: "weighted",
    args: () => [xs(), ys().map(Math.abs)],
  },
  {
    name: "reduce without an initial value",
    source: `
/** @grad */
export function product(x: number[]): number {
  return x.reduce((p, v) => p * v);
}
`,
    fn: "product",
    args: () => [xs()],
  },
  {
    name: "map then reduce",
    source: `
/**
 * @grad
 * @hvp
 */
export function logSumExp(x: number[]): number {
  const m = Math.max(...x);
  const shifted = x.map((v) => Math.exp(v - m));
  return m + Math.log(shifted.reduce((a, b) => a + b, 0));
}
`,
    fn: "logSumExp",
    args: () => [xs()],
  },
  {
    name: "a Math function passed by name: map(Math.abs), map(Math.exp), a helper's callback",
    source: `
function sumOf(xs: number[], f: (v: number) => number): number {
  let s = 0;
  for (const v of xs) s += f(v);
  return s;
}

/**
 * @grad
 * @hvp
 */
export function softL1(x: number[]): number {
  const peak = Math.max(...x.map(Math.abs));
  const e = x.map(Math.exp);
  return peak + Math.log(e.reduce((a, b) => a + b, 0)) + sumOf(x, Math.sin);
}
`,
    fn: "softL1",
    args: () => [xs()],
  },
  {
    name: "xs.at(k) from either end, with a constant and a computed index",
    source: `
/**
 * @grad x
 * @hvp x
 */
export function ends(x: number[], k: number): number {
  const last = x.at(-1)!;
  const first = x.at(0)!;
  return first * last + x.at(k)! ** 2 + x.at(-k - 1)! * x.at(k - 2)!;
}
`,
    fn: "ends",
    args: () => [xs(), 1],
    wrt: [0],
  },
  {
    name: "an options object with an optional field, read through ??",
    source: `
export interface Options { p: number; eps?: number }

/** @grad */
export function smoothNorm(x: number[], opts: Options): number {
  const eps = opts.eps ?? 1e-3;
  let s = 0;
  for (const v of x) s += (v * v + eps) ** (opts.p / 2);
  return s ** (1 / opts.p);
}

/** @grad x */
export function inlineOptions(x: number[], opts: { scale: number; shift?: number }): number {
  return x.reduce((s, v) => s + Math.exp(opts.scale * v + (opts.shift ?? 0)), 0);
}
`,
    fn: "smoothNorm",
    args: () => [xs(), { p: 3 }],
    wrt: [0],
  },
  {
    name: "an options object with the optional field given",
    source: `
/** @grad x */
export function inlineOptions(x: number[], opts: { scale: number; shift?: number }): number {
  return x.reduce((s, v) => s + Math.exp(opts.scale * v + (opts.shift ?? 0)), 0);
}
`,
    fn: "inlineOptions",
    args: () => [xs(), { scale: 0.5, shift: -0.25 }],
    wrt: [0],
  },
  {
    name: "Number.isFinite, Number.isNaN and Number.isInteger as guards",
    source: `
/**
 * @grad x
 * @hvp x
 * @jvp x
 */
export function guarded(x: number[]): number {
  let s = 0;
  for (const v of x) {
    if (!Number.isFinite(v)) continue;
    s += Number.isInteger(v) ? v : Math.sin(v) * v;
  }
  const first = x[0];
  return Number.isNaN(first) ? s : s + first * first;
}
`,
    fn: "guarded",
    // Away from the integers, where the guard's branch changes (test/idioms.test.ts checks those against the tape).
    args: () => [[0.3, -1.2, 2.5, 0.8]],
  },
  {
    name: "objects of a vector class built with new: parameter properties, methods returning new objects, a getter",
    source: `
export class V2 {
  constructor(public x: number, public y: number) {}
  add(o: V2): V2 {
    return new V2(this.x + o.x, this.y + o.y);
  }
  scale(k: number): V2 {
    return new V2(k * this.x, k * this.y);
  }
  dot(o: V2): number {
    return this.x * o.x + this.y * o.y;
  }
  get length(): number {
    return Math.sqrt(this.dot(this));
  }
}

/**
 * @grad p
 * @hvp p
 * @jvp p
 */
export function springEnergy(p: number[], rest: number): number {
  let e = 0;
  for (let i = 0; i + 3 < p.length; i += 2) {
    const a = new V2(p[i], p[i + 1]);
    const b = new V2(p[i + 2], p[i + 3]);
    const d = b.add(a.scale(-1));
    e += 0.5 * (d.length - rest) ** 2;
  }
  return e;
}
`,
    fn: "springEnergy",
    args: () => [[0.3, -1.2, 0.8, 1.5, -0.4, 0.2], 0.7],
    wrt: [0],
  },
  {
    name: "method calls chained on objects that calls and new return (a.add(b).dot(c), new V(…).scale(k).norm)",
    source: `
export class V3 {
  constructor(public x: number, public y: number, public z: number) {}
  add(o: V3): V3 {
    return new V3(this.x + o.x, this.y + o.y, this.z + o.z);
  }
  scale(k: number): V3 {
    return new V3(k * this.x, k * this.y, k * this.z);
  }
  cross(o: V3): V3 {
    return new V3(this.y * o.z - this.z * o.y, this.z * o.x - this.x * o.z, this.x * o.y - this.y * o.x);
  }
  dot(o: V3): number {
    return this.x * o.x + this.y * o.y + this.z * o.z;
  }
  get norm(): number {
    return Math.hypot(this.x, this.y, this.z);
  }
}

/**
 * @grad
 * @hvp
 * @jvp
 */
export function torqueWork(r: V3, f: V3, k: number): number {
  const drift = new V3(r.x, 1, r.z).scale(k).add(f).norm;
  return r.cross(f).dot(f.add(r).scale(0.5)) + r.add(f).cross(r.scale(k)).norm * drift;
}
export const v3 = (x: number, y: number, z: number) => new V3(x, y, z);
`,
    fn: "torqueWork",
    args: (m) => [(m.v3 as (...c: number[]) => unknown)(0.3, -1.2, 0.8), (m.v3 as (...c: number[]) => unknown)(1.5, -0.4, 0.2), 0.7],
    tape: { fn: "torqueWork", args: (t) => [t.call("v3", [0.3, -1.2, 0.8]), t.call("v3", [1.5, -0.4, 0.2]), 0.7] },
  },
  {
    name: "an object built by a constructor body (this.x = r * Math.cos(theta))",
    source: `
export class Polar {
  x: number;
  y: number;
  scale = 1;
  constructor(r: number, theta: number) {
    this.x = r * Math.cos(theta);
    this.y = r * Math.sin(theta) * this.scale;
  }
}

/**
 * @grad
 * @hvp
 */
export function polarDistance(r: number, theta: number): number {
  const q = new Polar(r, theta);
  const o = new Polar(1, 0.5);
  return Math.hypot(q.x - o.x, q.y - o.y);
}
`,
    fn: "polarDistance",
    args: () => [1.3, 0.2],
  },
  {
    name: "a block-bodied map callback returning an object: one local array per field",
    source: `
/**
 * @grad
 * @hvp
 * @jvp
 */
export function springEnergy(x: number[], k: number): number {
  const springs = x.map((v, i) => {
    const next = i + 1 < x.length ? x[i + 1] : 0;
    const stretch = next - v;
    return { stretch, force: k * stretch * stretch };
  });
  let e = 0;
  for (const s of springs) e += 0.5 * s.force * s.stretch;
  return e + springs[1].force;
}
`,
    fn: "springEnergy",
    args: () => [xs(), 1.3],
  },
  {
    name: "chained map and reduce in one expression",
    source: `
/**
 * @grad
 * @jvp
 */
export function meanTanh(x: number[]): number {
  return x.map((v) => Math.tanh(v)).reduce((s, t) => s + t, 0) / x.length;
}
`,
    fn: "meanTanh",
    args: () => [xs()],
  },
  {
    name: "forEach accumulating into an outer variable",
    source: `
/** @grad */
export function huberSum(r: number[], delta: number): number {
  let total = 0;
  r.forEach((v) => {
    const a = Math.abs(v);
    total += a <= delta ? 0.5 * v * v : delta * (a - 0.5 * delta);
  });
  return total;
}
`,
    fn: "huberSum",
    args: () => [[0.3, -1.2, 2.5, -0.1], 1],
  },
  {
    name: "callback with a block body and early returns",
    source: `
/** @grad */
export function clippedSum(x: number[]): number {
  return x.map((v) => {
    if (v > 1) return 1 + Math.log(v);
    if (v < -1) return -1 - Math.log(-v);
    return v;
  }).reduce((s, v) => s + v * v, 0);
}
`,
    fn: "clippedSum",
    args: () => [[0.3, -1.8, 2.5, -0.1, 0.9]],
  },
  {
    name: "local arrow function and a closure over a parameter",
    source: `
/**
 * @grad
 * @hvp
 */
export function gaussianLogLik(x: number[], mu: number, logSigma: number): number {
  const sigma = Math.exp(logSigma);
  const z = (v: number) => (v - mu) / sigma;
  let s = 0;
  for (const v of x) s += -0.5 * z(v) * z(v) - logSigma;
  return s;
}
`,
    fn: "gaussianLogLik",
    args: () => [xs(), 0.2, -0.3],
  },
  {
    name: "nested helper function declared after its use",
    source: `
/** @grad */
export function smoothL1(pred: number[], target: number[]): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += smooth(pred[i] - target[i]);
  return s;

  function smooth(d: number): number {
    const a = Math.abs(d);
    if (a < 1) return 0.5 * d * d;
    return a - 0.5;
  }
}
`,
    fn: "smoothL1",
    args: () => [xs(), [1.1, 0.2, -0.7, 0.1, 0.9]],
  },
  {
    name: "helper taking a callback",
    source: `
function sumOf(xs: number[], f: (v: number, i: number) => number): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += f(xs[i], i);
  return s;
}
/**
 * @grad
 * @hvp
 */
export function regularized(w: number[], lambda: number): number {
  return sumOf(w, (v) => Math.log(1 + v * v)) + lambda * sumOf(w, (v, i) => (i + 1) * v * v);
}
`,
    fn: "regularized",
    args: () => [xs(), 0.1],
  },
  {
    name: "program function passed by name to map",
    source: `
function softplus(v: number): number {
  return Math.log1p(Math.exp(v));
}
/** @grad */
export function total(x: number[]): number {
  const y = x.map(softplus);
  let s = 0;
  for (const v of y) s += v;
  return s;
}
`,
    fn: "total",
    args: () => [xs()],
  },
  {
    name: "filter and some",
    source: `
/** @grad */
export function positivePart(x: number[]): number {
  const pos = x.filter((v) => v > 0);
  const big = x.some((v) => v > 1.4);
  let s = 0;
  for (const v of pos) s += v * v;
  return big ? 2 * s : s;
}
`,
    fn: "positivePart",
    args: () => [xs()],
  },

  // ---- classes, objects and tuples ----
  {
    name: "class holding parameters passed as the differentiated argument",
    source: `
export class Linear {
  w: number[];
  b: number;
  constructor(w: number[], b: number) {
    this.w = w;
    this.b = b;
  }
}
/** @grad layer */
export function squaredError(layer: Linear, x: number[], y: number): number {
  let s = layer.b;
  for (let i = 0; i < x.length; i++) s += layer.w[i] * x[i];
  return (s - y) ** 2;
}
export const makeLinear = (w: number[], b: number) => new Linear(w, b);
`,
    fn: "squaredError",
    args: (m) => [(m.makeLinear as (w: number[], b: number) => unknown)([0.5, -0.3, 0.8], 0.1), [1, 2, -1], 0.4],
    wrt: [0],
    tape: { fn: "squaredError", args: (t) => [t.call("makeLinear", [[0.5, -0.3, 0.8], 0.1]), [1, 2, -1], 0.4] },
  },
  {
    name: "method of a parameter-holding class called in the loss",
    source: `
export class Dense {
  constructor(public readonly w: number[][], public readonly b: number[]) {}
  forward(x: number[], i: number): number {
    let s = this.b[i];
    for (let j = 0; j < x.length; j++) s += this.w[i][j] * x[j];
    return Math.tanh(s);
  }
}
/**
 * @grad layer
 * @hvp layer
 */
export function loss(layer: Dense, x: number[], target: number[]): number {
  let s = 0;
  for (let i = 0; i < target.length; i++) {
    const d = layer.forward(x, i) - target[i];
    s += d * d;
  }
  return s;
}
export function makeDense(w: number[][], b: number[]): Dense {
  return new Dense(w, b);
}
`,
    fn: "loss",
    args: (m) => [(m.makeDense as (w: number[][], b: number[]) => unknown)([[0.5, -0.3], [0.2, 0.7]], [0.1, -0.2]), [1, -0.5], [0.3, 0.1]],
    wrt: [0],
    tape: { fn: "loss", args: (t) => [t.call("makeDense", [[[0.5, -0.3], [0.2, 0.7]], [0.1, -0.2]]), [1, -0.5], [0.3, 0.1]] },
  },
  {
    name: "@grad on a method of an exported class",
    source: `
export class Quadratic {
  constructor(public a: number[], public c: number) {}
  /** @grad */
  value(x: number[]): number {
    let s = this.c;
    for (let i = 0; i < x.length; i++) s += this.a[i] * x[i] * x[i];
    return s;
  }
}
export const makeQuadratic = (a: number[], c: number) => new Quadratic(a, c);
export const valueOf = (q: Quadratic, x: number[]) => q.value(x);
`,
    fn: "quadraticValue",
    args: (m) => [(m.makeQuadratic as (a: number[], c: number) => unknown)([1, 2, 0.5], 0.3), [0.4, -0.7, 1.1]],
    call: (_, a) => (a[0] as { value(x: unknown): number }).value(a[1]),
    tape: { fn: "valueOf", args: (t) => [t.call("makeQuadratic", [[1, 2, 0.5], 0.3]), [0.4, -0.7, 1.1]] },
  },
  {
    name: "helpers returning small objects (complex arithmetic)",
    source: `
interface Complex {
  re: number;
  im: number;
}
const mul = (a: Complex, b: Complex): Complex => ({ re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re });
function add(a: Complex, b: Complex): Complex {
  return { re: a.re + b.re, im: a.im + b.im };
}
/**
 * @grad
 * @jvp
 */
export function polyAbs2(c: number[], zr: number, zi: number): number {
  let acc: Complex = { re: 0, im: 0 };
  const z = { re: zr, im: zi };
  for (let k = c.length - 1; k >= 0; k--) acc = add(mul(acc, z), { re: c[k], im: 0 });
  return acc.re * acc.re + acc.im * acc.im;
}
`,
    fn: "polyAbs2",
    args: () => [[1, -0.5, 0.25, 2], 0.3, -0.8],
  },
  {
    name: "tuple results and tuple locals",
    source: `
function polar(r: number, theta: number): [number, number] {
  return [r * Math.cos(theta), r * Math.sin(theta)];
}
/**
 * @grad
 * @hvp
 */
export function spiral(p: number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const [x, y] = polar(1 + 0.1 * i, p[i]);
    const pair: [number, number] = [x * y, x - y];
    s += pair[0] + pair[1] * pair[1];
  }
  return s;
}
`,
    fn: "spiral",
    args: () => [xs()],
  },
  // ---- arrays of parameter objects ----
  {
    name: "an MLP over an array of layer records (for…of with destructuring)",
    source: `
export interface Dense {
  w: number[][];
  b: number[];
}
/** @grad layers */
export function mlp(layers: Dense[], x: number[]): number {
  const h = x.slice();
  const next = new Array(x.length).fill(0);
  for (const { w, b } of layers) {
    for (let j = 0; j < b.length; j++) {
      let z = b[j];
      for (let k = 0; k < h.length; k++) z += w[j][k] * h[k];
      next[j] = Math.tanh(z);
    }
    for (let j = 0; j < h.length; j++) h[j] = next[j];
  }
  let s = 0;
  for (let j = 0; j < h.length; j++) s += h[j] * h[j];
  return s;
}
`,
    fn: "mlp",
    args: () => [
      [
        { w: [[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [-0.2, 0.3, 0.7]], b: [0.1, -0.2, 0.05] },
        { w: [[0.3, 0.2, -0.4], [-0.5, 0.1, 0.2], [0.6, -0.1, 0.3]], b: [0, 0.15, -0.1] },
      ],
      [0.9, -0.4, 0.6],
    ],
    wrt: [0],
  },
  {
    name: "layers[i].w[j][k], layers.length and a number field in an array of records",
    source: `
type Neuron = { w: number[]; bias: number; gain: number };
/** @grad */
export function readout(neurons: readonly Neuron[], x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < neurons.length; i++) {
    let z = neurons[i].bias;
    for (let k = 0; k < x.length; k++) z += neurons[i].w[k] * x[k];
    s += neurons[i].gain * Math.log1p(Math.exp(z));
  }
  for (const neuron of neurons) s += 0.01 * neuron.bias * neuron.bias;
  return s;
}
`,
    fn: "readout",
    args: () => [
      [
        { w: [0.4, -0.2], bias: 0.1, gain: 1.5 },
        { w: [-0.3, 0.8], bias: -0.4, gain: 0.7 },
        { w: [0.25, 0.5], bias: 0.3, gain: -1.1 },
      ],
      [1.2, -0.7],
    ],
  },
  {
    name: "an array of records passed to helpers: Array<Dense>, const layer = layers[l], layers[layers.length - 1]",
    source: `
export interface Dense {
  w: number[][];
  b: number[];
}
function affine(layer: Dense, x: readonly number[], out: number[]): void {
  for (let i = 0; i < layer.b.length; i++) {
    let s = layer.b[i];
    for (let j = 0; j < x.length; j++) s += layer.w[i][j] * x[j];
    out[i] = s;
  }
}
function decay(layers: readonly Dense[]): number {
  let r = 0;
  for (const layer of layers) for (const row of layer.w) for (const v of row) r += v * v;
  return r;
}
/**
 * @grad layers
 * @hvp layers
 * @jvp layers
 */
export function net(layers: Array<Dense>, x: readonly number[]): number {
  const h = x.slice();
  const z = new Array(x.length).fill(0);
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l];
    affine(layer, h, z);
    for (let i = 0; i < h.length; i++) h[i] = Math.tanh(z[i]);
  }
  affine(layers[layers.length - 1], h, z);
  return z[0] * z[0] + 0.1 * decay(layers);
}
`,
    fn: "net",
    args: () => [
      [
        { w: [[0.5, -0.3], [0.1, 0.4]], b: [0.1, -0.2] },
        { w: [[0.3, 0.2], [-0.5, 0.1]], b: [0, 0.15] },
        { w: [[-0.4, 0.25], [0.2, -0.35]], b: [0.05, 0.3] },
      ],
      [0.9, -0.4],
    ],
    wrt: [0],
  },
  {
    name: "reduce, forEach and map over an array of records",
    source: `
type Bump = { center: number; width: number; height: number };
/**
 * @grad bumps
 * @hvp bumps
 */
export function bumps(bumps: Bump[], xs: number[]): number {
  let total = 0;
  for (const x of xs) total += bumps.reduce((s, { center, width, height }) => s + height * Math.exp(-(((x - center) / width) ** 2)), 0);
  bumps.forEach((bump, i) => {
    total += 0.01 * (i + 1) * bump.width * bump.width;
  });
  const heights = bumps.map((bump) => bump.height * bump.height);
  return total + heights.reduce((a, b) => a + b, 0);
}
`,
    fn: "bumps",
    args: () => [
      [
        { center: -0.5, width: 0.8, height: 1.2 },
        { center: 0.7, width: 1.1, height: -0.6 },
      ],
      [-1, -0.2, 0.4, 1.3],
    ],
    wrt: [0],
  },
  {
    name: "an array of class instances whose methods are called on the elements",
    source: `
export class Neuron {
  constructor(public w: number[], public b: number) {}
  forward(x: readonly number[]): number {
    let s = this.b;
    for (let i = 0; i < x.length; i++) s += this.w[i] * x[i];
    return Math.tanh(s);
  }
}
/**
 * @grad neurons
 * @jvp neurons
 */
export function total(neurons: Neuron[], x: readonly number[]): number {
  let s = 0;
  for (const neuron of neurons) s += neuron.forward(x);
  for (let i = 0; i < neurons.length; i++) s += neurons[i].forward(x) * neurons[i].b;
  return s;
}
export const makeNeurons = (specs: [number[], number][]) => specs.map(([w, b]) => new Neuron(w, b));
`,
    fn: "total",
    args: (m) => [(m.makeNeurons as (s: [number[], number][]) => unknown)([[[0.5, -0.3], 0.1], [[0.2, 0.8], -0.4]]), [1.2, -0.7]],
    wrt: [0],
    tape: { fn: "total", args: (t) => [t.call("makeNeurons", [[[[0.5, -0.3], 0.1], [[0.2, 0.8], -0.4]]]), [1.2, -0.7]] },
  },
];
