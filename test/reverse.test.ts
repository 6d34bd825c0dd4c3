/**
 * Reverse mode on functions written the way a new user would write them: every
 * gradient against central finite differences, the value against the primal exactly,
 * and the stacks balanced after each call. Activity analysis on and off must agree.
 */
import { describe, expect, it } from "vitest";
import { pendingStackEntries } from "../runtime/stack.ts";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { centralDifferences, clone, flatten, maxRelError, randomMatrix, randomVector, rng } from "./harness/numeric.ts";

interface Case {
  name: string;
  source: string;
  fn: string;
  args: () => unknown[];
  /** Parameter positions differentiated (the @grad list, in order). */
  wrt: number[];
}

const next = rng(20261128);

const cases: Case[] = [
  {
    name: "overwritten accumulator in a loop",
    fn: "f",
    source: `/** @grad x */
export function f(x: number[]): number {
  let s = 0;
  let p = 1;
  for (let i = 0; i < x.length; i++) {
    s = s * 0.9 + x[i] * p;
    p = p * Math.cos(x[i]);
  }
  return s * p;
}`,
    args: () => [randomVector(6, next)],
    wrt: [0],
  },
  {
    name: "early returns in nested branches",
    fn: "f",
    source: `/** @grad */
export function f(x: number, y: number): number {
  if (x > 0) {
    if (y > 0) return x * y;
    const t = Math.exp(y);
    if (t > 0.5) return t * x;
  }
  return x - y * y;
}`,
    args: () => [0.7, -0.4],
    wrt: [0, 1],
  },
  {
    name: "break and continue in a for loop",
    fn: "f",
    source: `/** @grad x */
export function f(x: Float64Array, limit: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < 0) continue;
    s += Math.sqrt(x[i]) * (i + 1);
    if (s > limit) break;
  }
  return s;
}`,
    args: () => [Float64Array.from([0.5, -0.2, 1.5, 2.5, 0.1, 3]), 4],
    wrt: [0],
  },
  {
    name: "while loop to convergence (fixed point)",
    fn: "f",
    source: `/** @grad c */
export function f(c: number): number {
  let y = 0;
  let delta = 1;
  while (delta > 1e-13) {
    const next = Math.cos(y) * c;
    delta = Math.abs(next - y);
    y = next;
  }
  return y;
}`,
    args: () => [0.6],
    wrt: [0],
  },
  {
    name: "nested arrays and a row alias",
    fn: "f",
    source: `/** @grad A, b */
export function f(A: readonly (readonly number[])[], b: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < A.length; i++) {
    const row = A[i];
    let dot = 0;
    for (let j = 0; j < row.length; j++) dot += row[j] * b[j];
    total += Math.tanh(dot) ** 2;
  }
  return total;
}`,
    args: () => [randomMatrix(4, 3, next), randomVector(3, next)],
    wrt: [0, 1],
  },
  {
    name: "do-while, conditional operator, compound assignment to a local array",
    fn: "f",
    source: `/** @grad */
export function f(x: number[]): number {
  const buf = new Array(x.length).fill(0);
  let k = 0;
  do {
    buf[k] += x[k] > 0 ? x[k] * x[k] : -x[k];
    buf[k] *= 1 + k;
    k++;
  } while (k < x.length);
  let m = buf[0];
  for (const v of buf) m = Math.max(m, v);
  return m + buf[1] / (1 + buf[2] * buf[2]);
}`,
    args: () => [[0.3, -0.8, 1.1, 0.25]],
    wrt: [0],
  },
  {
    name: "array idioms: slice, Array.from, Float64Array.from, for…of",
    fn: "f",
    source: `/** @grad */
export function f(x: readonly number[], y: Float64Array): number {
  const head = x.slice(1, 3);
  const copy = Float64Array.from(y);
  const squares = Array.from({ length: x.length }, (_, i) => x[i] * x[i] + i);
  let s = 0;
  for (const v of head) s += v * copy[0];
  for (const q of squares) s += Math.sqrt(q + 1);
  return s * copy[copy.length - 1];
}`,
    args: () => [[0.4, -0.7, 1.3, 0.2], Float64Array.from([0.5, -1.5, 2])],
    wrt: [0, 1],
  },
  {
    name: "push onto a local array, then read it back by index and length",
    fn: "f",
    source: `/** @grad */
export function f(x: readonly number[]): number {
  const kept: number[] = [];
  for (const v of x) {
    if (v > 0) kept.push(v * v);
    else kept.push(Math.exp(v));
  }
  let s = 0;
  for (let i = 0; i < kept.length; i++) s += kept[i] * (i + 1) / kept.length;
  return s * kept[kept.length - 1];
}`,
    args: () => [[0.4, -0.7, 1.3, -0.2, 0.9]],
    wrt: [0],
  },
  {
    // Found by the differential fuzzer: the restore \`buf[i1] = pop()\` reads i1, so the
    // counter of a loop with a break must be saved even though no adjoint reads it.
    name: "regression: an array restored by index inside a loop with a break",
    fn: "f",
    source: `/** @grad x */
export function f(x: number[], y: number): number {
  let s0 = x[0] * y;
  let s1 = Math.sin(x[1]);
  let s2 = 0.1;
  const buf = new Array(x.length).fill(0);
  for (let i0 = 0; i0 < x.length; i0++) {
    s0 += 0.3 * Math.tanh((Math.tanh(Math.atan(buf[i0])) + Math.max(Math.hypot(-0.76, x[i0], 0.5), Math.max(buf[i0], s1))));
    for (let i1 = 0; i1 < x.length; i1++) {
      buf[i1] = Math.tanh(0.98);
      if ((y / (1.5 + (0.49 > buf[i1] ? s2 : y) * Math.tanh(x[i0]))) >= 0.03) break;
    }
  }
  return s0 + s1 * s2 + buf[0] + buf[x.length - 1];
}`,
    args: () => [[-0.9068637099117041, -0.5194475059397519, 0.9543521110899746, -0.4843998560681939], 0.9932053019292653],
    wrt: [0],
  },
  {
    name: "shadowed names (a local named like a parameter, nested blocks reusing names)",
    fn: "f",
    source: `/** @grad */
export function f(x: number, y: number): number {
  let s = x * y;
  for (let i = 0; i < 3; i++) {
    const x = s * 0.5 + i;
    let y2 = x;
    {
      const s = y2 * y2;
      y2 += s;
    }
    s += Math.sin(x) * y2;
  }
  for (let i = 0; i < 2; i++) s *= 1 + 0.1 * i;
  return s;
}`,
    args: () => [0.3, -0.6],
    wrt: [0, 1],
  },
  {
    // Found by the differential fuzzer: the pushed value reads the array's last element,
    // which the reverse sweep must read before popping (and forward mode before pushing).
    name: "regression: a push whose value reads the array's last element",
    fn: "f",
    source: `/** @grad */
export function f(x: number[], y: number): number {
  const acc: number[] = [y];
  for (let i = 0; i < x.length; i++) acc.push(Math.cos(acc[acc.length - 1]) * x[i]);
  return acc[acc.length - 1] * 0.3 + acc[1];
}`,
    args: () => [[0.3, -0.4, 0.5, 0.2], 0.6],
    wrt: [0, 1],
  },
  {
    name: "every Math function with a derivative",
    fn: "f",
    source: `/** @grad */
export function f(x: number, y: number): number {
  const a = Math.sin(x) + Math.cos(y) + Math.tan(x * 0.5) + Math.asin(x * 0.5) + Math.acos(y * 0.5);
  const b = Math.atan(x) + Math.atan2(y, x) + Math.sinh(x) + Math.cosh(y) + Math.tanh(x * y);
  const c = Math.asinh(x) + Math.acosh(2 + y * y) + Math.atanh(x * 0.5) + Math.exp(y) + Math.expm1(x);
  const d = Math.log(2 + x) + Math.log1p(y * y) + Math.log2(3 + x) + Math.log10(3 + y) + Math.sqrt(4 + x);
  const e = Math.cbrt(2 + y) + Math.abs(x - y) + Math.hypot(x, y, 1) + Math.pow(2 + x, y) + (1 + y) ** x;
  const g = Math.max(x, y, 0.1) + Math.min(x, y) + Math.fround(x) * 0 + Math.floor(x) + Math.round(y) + Math.sign(x) + (x % 0.3);
  return a + b + c + d + e + g;
}`,
    args: () => [0.37, 0.21],
    wrt: [0, 1],
  },
];

describe("reverse mode on unseen functions", () => {
  for (const c of cases) {
    for (const activity of [true, false]) {
      it(`${c.name} (activity ${activity ? "on" : "off"})`, async () => {
        const { source, generated } = await build(c.source, { activity });
        const f = source[c.fn] as (...a: unknown[]) => number;
        const grad = generated[`${c.fn}Grad`] as (...a: unknown[]) => { value: number; grad: Record<string, unknown> };
        const args = c.args();
        const before = clone(args);
        const result = grad(...args);
        expect(args).toEqual(before); // inputs are not mutated
        expect(result.value).toBe(f(...clone(args)));
        expect(pendingStackEntries()).toBe(0);
        const fd = centralDifferences(f as (...a: unknown[]) => number, args, c.wrt);
        const got = Object.values(result.grad).map((g) => flatten(g));
        expect(got.length).toBe(c.wrt.length);
        for (let k = 0; k < c.wrt.length; k++) {
          // FD with h = 1e-6 relative: truncation + rounding ~1e-8; 1e-6 leaves margin, not slack.
          expect(maxRelError(got[k]!, fd[k]!)).toBeLessThan(1e-6);
        }
      });
    }
  }

  it("gives the same gradient with activity analysis on and off, to the last bit", async () => {
    for (const c of cases) {
      const on = await build(c.source, { activity: true });
      const off = await build(c.source, { activity: false });
      const args = c.args();
      const a = (on.generated[`${c.fn}Grad`] as (...x: unknown[]) => { grad: unknown })(...clone(args));
      const b = (off.generated[`${c.fn}Grad`] as (...x: unknown[]) => { grad: unknown })(...clone(args));
      expect(flatten(a.grad)).toEqual(flatten(b.grad));
    }
  });

  it("overwrites the caller's buffers in the Into form", async () => {
    const { generated } = await build(cases[0]!.source);
    const into = generated["fGradInto"] as (x: number[], g: { x: number[] }) => number;
    const x = [0.1, 0.2, -0.3];
    const g = { x: [NaN, 5, -7] };
    into(x, g);
    const once = g.x.slice();
    expect(once.every(Number.isFinite)).toBe(true);
    into(x, g);
    expect(g.x).toEqual(once);
  });
});

describe("sibling blocks that declare the same name", () => {
  const source = `/** @grad c */
export function cost(p: readonly number[], c: readonly number[]): number {
  let best = Infinity;
  for (let l = 0; l < p.length; l++) {
    const diff = p[l] - c[l];
    best = Math.min(best, diff * diff);
  }
  let s = 0;
  for (let l = 0; l < p.length; l++) {
    const diff = p[l] - c[l];
    s += diff * diff;
  }
  return best > 1 ? s : 2 * s;
}
`;
  it("are two variables to activity analysis: the loop that only feeds a comparison gets no reverse", async () => {
    const { text, source: src, generated } = await build(source);
    const gradInto = generatedFunction(text, "costGradInto");
    expect(gradInto.match(/c_bar\[l\] -=/g)?.length).toBe(1);
    expect(gradInto).not.toMatch(/valueStack/);
    const p = [0.3, -0.2, 0.9];
    const c = [0.1, 0.4, 0.2];
    const got = (generated["costGrad"] as (...a: unknown[]) => { grad: { c: number[] } })(p, c).grad.c;
    const fd = centralDifferences(src["cost"] as (...a: unknown[]) => number, [p, c], [1])[0]!;
    expect(maxRelError(got, fd)).toBeLessThan(1e-6);
  });
});

/** Counted loops whose bounds are not whole numbers: the reverse sweep must visit the same indices. */
const fractionalBounds = `/**
 * @grad x
 * @hvp x
 */
export function halves(x: readonly number[], scale: number): number {
  let s = 0;
  for (let i = 0; i < x.length / 2; i++) {
    s = s * 0.5 + x[i] * x[i];
  }
  for (let i = x.length - 1; i > x.length / 3; i--) {
    s = s * 0.9 + Math.sin(x[i]) * s;
  }
  for (let t = 0.5; t <= scale; t++) {
    s = s * t + x[Math.floor(t)];
  }
  return s;
}
`;

describe("counted loops with fractional bounds", () => {
  it("run backwards over exactly the indices they visited (x.length / 2 with an odd length, a fractional start)", async () => {
    const built = await build(fractionalBounds);
    // The snapshot shows: the first loop's reverse starts at Math.ceil(x.length / 2) - 1 (the last
    // index visited when x.length is odd), the second's at the first index above x.length / 3
    // (it steps down), the third's from a fractional start.
    expect(generatedFunction(built.text, "halvesGradInto")).toMatchInlineSnapshot(`
      "export function halvesGradInto(x: readonly number[], scale: number, grad: HalvesGradient): number {
        const x_bar = grad.x;
        // forward sweep
        let s = 0;
        for (let i = 0; i < x.length / 2; i++) {
          s = s * 0.5 + x[i] * x[i];
        }
        {
          let savedTop = valueStack.size;
          const saved = valueStack.reserve(savedTop, x.length - Math.floor(x.length / 3) - 1);
          for (let i = x.length - 1; i > x.length / 3; i--) {
            saved[savedTop++] = s;
            s = s * 0.9 + Math.sin(x[i]) * s;
          }
          valueStack.size = savedTop;
        }
        {
          let savedTop = valueStack.size;
          const saved = valueStack.reserve(savedTop, 0.5 + Math.floor(scale - 0.5) + 0.5);
          for (let t = 0.5; t <= scale; t++) {
            saved[savedTop++] = s;
            s = s * t + x[Math.floor(t)];
          }
          valueStack.size = savedTop;
        }
        const value = s;
        // reverse sweep
        let s_bar = 1;
        x_bar.fill(0);
        // line 13: for (let t = 0.5; t <= scale; t++) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let t = 0.5 + Math.floor(scale - 0.5); t >= 0.5; t--) {
            // line 14: s = s * t + x[Math.floor(t)];
            s = saved[--savedTop];
            x_bar[Math.floor(t)] += s_bar;
            s_bar *= t;
          }
          valueStack.size = savedTop;
        }
        // line 10: for (let i = x.length - 1; i > x.length / 3; i--) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let i = Math.floor(x.length / 3) + 1; i <= x.length - 1; i++) {
            // line 11: s = s * 0.9 + Math.sin(x[i]) * s;
            s = saved[--savedTop];
            const _t1 = s_bar;
            s_bar = _t1 * 0.9;
            const _t2 = Math.sin(x[i]);
            x_bar[i] += _t1 * s * Math.cos(x[i]);
            s_bar += _t1 * _t2;
          }
          valueStack.size = savedTop;
        }
        // line 7: for (let i = 0; i < x.length / 2; i++) {
        for (let i = Math.ceil(x.length / 2) - 1; i >= 0; i--) {
          // line 8: s = s * 0.5 + x[i] * x[i];
          x_bar[i] += s_bar * (2 * x[i]);
          s_bar *= 0.5;
        }
        return value;
      }
      "
    `);
    for (const n of [5, 6, 7]) {
      const next = rng(n);
      await checkGradientAndHvp(built, "halves", [randomVector(n, next), 2.7], ["x"], { x: randomVector(n, next) });
    }
  });
});

/** Loops with a literal step other than one: counted (run backwards, nothing saved), and fusable. */
const strided = `/**
 * @grad x
 * @hvp x
 */
export function strided(x: readonly number[], A: readonly (readonly number[])[]): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i += 2) {
    s = s * 0.5 + x[i] * x[i + 1];
  }
  for (let i = x.length - 1; i >= 1.5; i -= 3) {
    s = s * 0.9 + Math.sin(x[i]) * s;
  }
  for (let i = 1; i <= x.length / 2; i += 2) {
    s = s * 0.7 + x[i];
  }
  let q = 0;
  for (let i = 0; i < A.length; i += 2) {
    let row = 0;
    for (let j = 1; j < x.length; j += 3) row += A[i][j] * x[j];
    q += x[i] * row;
  }
  return s + q;
}
`;

describe("counted loops with a step other than one", () => {
  it("run backwards over the same indices without saving a trip count, and fuse as unit-step loops do", async () => {
    const built = await build(strided);
    // The snapshot shows: no controlStack (no trip count saved); the last loop's sweeps fused; the
    // inner j loop's reverse runs inside the fused body, so j counts only upwards (no j -= 3).
    expect(generatedFunction(built.text, "stridedGradInto")).toMatchInlineSnapshot(`
      "export function stridedGradInto(
        x: readonly number[],
        A: readonly (readonly number[])[],
        grad: StridedGradient,
      ): number {
        const x_bar = grad.x;
        // forward sweep
        let s = 0;
        for (let i = 0; i + 1 < x.length; i += 2) {
          s = s * 0.5 + x[i] * x[i + 1];
        }
        {
          let savedTop = valueStack.size;
          const saved = valueStack.reserve(savedTop, Math.floor((x.length - 2.5) / 3) + 1);
          for (let i = x.length - 1; i >= 1.5; i -= 3) {
            saved[savedTop++] = s;
            s = s * 0.9 + Math.sin(x[i]) * s;
          }
          valueStack.size = savedTop;
        }
        {
          let savedTop = valueStack.size;
          const saved = valueStack.reserve(savedTop, Math.floor((x.length / 2 - 1) / 2) + 1);
          for (let i = 1; i <= x.length / 2; i += 2) {
            saved[savedTop++] = s;
            s = s * 0.7 + x[i];
          }
          valueStack.size = savedTop;
        }
        let q = 0;
        let s_bar = 1;
        const q_bar = 1;
        x_bar.fill(0);
        // the last loop's forward and reverse sweeps, fused: its iterations only add into adjoints
        for (let i = 0; i < A.length; i += 2) {
          let row = 0;
          // adjoints the inner loop's reverse reads, known before it
          const row_bar = q_bar * x[i];
          const A_i = A[i];
          for (let j = 1; j < x.length; j += 3) {
            row += A_i[j] * x[j];
            // its reverse, in the same iteration
            x_bar[j] += row_bar * A_i[j];
          }
          q += x[i] * row;
          // its reverse, in the same iteration
          // line 20: q += x[i] * row;
          x_bar[i] += q_bar * row;
        }
        const value = s + q;
        // reverse sweep
        // line 13: for (let i = 1; i <= x.length / 2; i += 2) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let i = 1 + 2 * Math.floor((x.length / 2 - 1) / 2); i >= 1; i -= 2) {
            // line 14: s = s * 0.7 + x[i];
            s = saved[--savedTop];
            x_bar[i] += s_bar;
            s_bar *= 0.7;
          }
          valueStack.size = savedTop;
        }
        // line 10: for (let i = x.length - 1; i >= 1.5; i -= 3) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let i = x.length - 1 - 3 * Math.floor((x.length - 2.5) / 3); i <= x.length - 1; i += 3) {
            // line 11: s = s * 0.9 + Math.sin(x[i]) * s;
            s = saved[--savedTop];
            const _t1 = s_bar;
            s_bar = _t1 * 0.9;
            const _t2 = Math.sin(x[i]);
            x_bar[i] += _t1 * s * Math.cos(x[i]);
            s_bar += _t1 * _t2;
          }
          valueStack.size = savedTop;
        }
        // line 7: for (let i = 0; i + 1 < x.length; i += 2) {
        for (let i = 2 * (Math.ceil((x.length - 1) / 2) - 1); i >= 0; i -= 2) {
          // line 8: s = s * 0.5 + x[i] * x[i + 1];
          x_bar[i] += s_bar * x[i + 1];
          x_bar[i + 1] += s_bar * x[i];
          s_bar *= 0.5;
        }
        return value;
      }
      "
    `);
    for (const n of [5, 6, 7, 8]) {
      const next = rng(100 + n);
      await checkGradientAndHvp(built, "strided", [randomVector(n, next), randomMatrix(5, n, next)], ["x"], { x: randomVector(n, next) });
    }
  });
});

/** Int32Array parameters and locals: index arrays, never differentiated. */
const integerArrays = `/**
 * @grad x, w
 * @hvp x, w
 */
export function gather(x: readonly number[], w: Float64Array, idx: Int32Array): number {
  const n = idx.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = idx[n - 1 - i];
  const bucket = new Int32Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    bucket[i] = x[order[i]] * 3;
    s += w[i] * Math.sin(x[order[i]]) + bucket[i] * w[i];
  }
  return s;
}
`;

describe("Int32Array parameters and locals", () => {
  it("index and store integers that carry no derivative (a value stored in one is truncated)", async () => {
    const built = await build(integerArrays);
    expect(built.text).not.toMatch(/bucket_bar|order_bar|idx_bar/);
    const next = rng(32);
    const x = randomVector(6, next);
    const w = Float64Array.from(randomVector(4, next));
    const idx = Int32Array.of(5, 0, 3, 2);
    await checkGradientAndHvp(built, "gather", [x, w, idx], ["x", "w"], { x: randomVector(6, next), w: Float64Array.from(randomVector(4, next)) });
    // Not vacuous: the indexed entries of x get gradients, the others none.
    const { grad } = (built.generated["gatherGrad"] as (...a: unknown[]) => { grad: { x: number[] } })(x, w, idx);
    expect(grad.x.map((g) => g !== 0)).toEqual([true, false, true, true, false, true]);
  });
});

describe("resets of a block's own adjoints", () => {
  it("are dropped where the block ends (a loop body's local is fresh in the next iteration)", async () => {
    const source = `/**
 * @grad x
 * @hvp x
 */
export function tail(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    let even = 0;
    if (i % 2 === 1) even = x[i] * x[i];
    s += Math.sin(even + x[0]);
  }
  return s;
}
`;
    const built = await build(source);
    for (const name of ["tailGradInto", "tailHvpInto"]) {
      // even_bar is declared in the loop body: its reset after `x[i]`'s adjoint inside the branch was dead.
      expect(generatedFunction(built.text, name, false)).not.toMatch(/even_bar(_dot)? = 0;/);
    }
    await checkGradientAndHvp(built, "tail", [randomVector(5, next)], ["x"], { x: randomVector(5, next) });
  });
});

describe("locals of a branch outside every loop", () => {
  const source = `/**
 * @grad x
 * @hvp x
 */
export function branchy(x: readonly number[], k: number): number {
  const r = x[0] * x[0] + x[1] * x[1];
  let y = 0;
  if (r > k) {
    const t = Math.sqrt(r);
    const e = Math.exp(-t);
    const big = x[2] > 0;
    if (big) y = t * e * x[2];
    else y = e / t;
  } else {
    const w = Math.sin(r) * x[2];
    y = w * w;
  }
  if (y > 0.1) {
    const u = Math.cos(y);
    y = u * x[0];
  } else {
    const u = Math.tanh(y);
    y = u * x[1] + u;
  }
  return y;
}
`;
  it("live in the function's scope, so the reverse sweep reads them as the forward sweep left them, with no stack", async () => {
    const built = await build(source);
    // The snapshot shows: t, e, w, u and u_1 (the two u's are two variables, normalize renamed one)
    // and big declared before the branch (let t = 0; …, let big = false) and assigned inside it,
    // never const inside; sin(r), a factor of x[2]'s adjoint in the else branch, held in a lifted
    // temporary (one Math.sin(r)); the stacks carry only y before each overwrite (two pushes) and
    // the branch of the second if.
    expect(generatedFunction(built.text, "branchyGradInto")).toMatchInlineSnapshot(`
      "export function branchyGradInto(x: readonly number[], k: number, grad: BranchyGradient): number {
        const x_bar = grad.x;
        // forward sweep
        const r = x[0] * x[0] + x[1] * x[1];
        let y = 0;
        let t = 0;
        let e = 0;
        let big = false;
        let _t3 = 0;
        let w = 0;
        if (r > k) {
          t = Math.sqrt(r);
          e = Math.exp(-t);
          big = x[2] > 0;
          if (big) {
            y = t * e * x[2];
          } else {
            y = e / t;
          }
        } else {
          _t3 = Math.sin(r);
          w = _t3 * x[2];
          y = w * w;
        }
        let u = 0;
        let u_1 = 0;
        let taken = false;
        if (y > 0.1) {
          u = Math.cos(y);
          valueStack.push(y);
          y = u * x[0];
          taken = true;
        } else {
          u_1 = Math.tanh(y);
          valueStack.push(y);
          y = u_1 * x[1] + u_1;
        }
        const value = y;
        // reverse sweep
        let r_bar = 0;
        let y_bar = 1;
        x_bar.fill(0);
        if (taken) {
          const u_bar = y_bar * x[0];
          // line 20: y = u * x[0];
          y = valueStack.pop();
          x_bar[0] += y_bar * u;
          y_bar = 0;
          // line 19: const u = Math.cos(y);
          y_bar -= u_bar * Math.sin(y);
        } else {
          let u_1_bar = y_bar * x[1];
          // line 23: y = u * x[1] + u;
          y = valueStack.pop();
          x_bar[1] += y_bar * u_1;
          u_1_bar += y_bar;
          y_bar = 0;
          // line 22: const u = Math.tanh(y);
          y_bar += u_1_bar * (1 - u_1 * u_1);
        }
        if (r > k) {
          let t_bar = 0;
          let e_bar = 0;
          if (big) {
            // line 12: if (big) y = t * e * x[2];
            t_bar += y_bar * (e * x[2]);
            e_bar += y_bar * (t * x[2]);
            x_bar[2] += y_bar * (t * e);
          } else {
            // line 13: else y = e / t;
            const _t2 = y_bar / t;
            e_bar += _t2;
            t_bar -= _t2 * (e / t);
          }
          // line 10: const e = Math.exp(-t);
          t_bar -= e_bar * e;
          // line 9: const t = Math.sqrt(r);
          r_bar += t_bar * (0.5 / t);
        } else {
          const w_bar = y_bar * (2 * w);
          // line 16: y = w * w;
          // line 15: const w = Math.sin(r) * x[2];
          r_bar += w_bar * x[2] * Math.cos(r);
          x_bar[2] += w_bar * _t3;
        }
        // line 6: const r = x[0] * x[0] + x[1] * x[1];
        x_bar[0] += r_bar * (2 * x[0]);
        x_bar[1] += r_bar * (2 * x[1]);
        return value;
      }
      "
    `);
    const next = rng(41);
    for (const [x, k] of [[[0.9, -0.7, 0.4], 0.5], [[0.9, -0.7, -0.4], 0.5], [[0.3, 0.2, 0.8], 0.5], [[1.1, 0.2, -0.3], 5]] as [number[], number][]) {
      await checkGradientAndHvp(built, "branchy", [x, k], ["x"], { x: randomVector(3, next) });
    }
  });
});

describe("stack cursors (cursors.ts)", () => {
  const source = `/**
 * @grad x
 * @hvp x
 */
export function saves(x: readonly number[], y: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s = Math.sin(s + x[i]) * y;
    if (x[i] > 0) s = s * Math.exp(x[i]);
    if (s > 0.3) s = s * 0.5 + x[i];
  }
  let k = 0;
  while (k < 3) {
    s = Math.cos(s) * x[k];
    k++;
  }
  return s * s;
}
`;
  it("keep an innermost counted loop's pushes and pops in a local top, with room reserved before it for every iteration, beyond the stack's first buffer", async () => {
    const built = await build(source);
    const code = generatedFunction(built.text, "savesGradInto");
    // The snapshot shows: room for every push either branch makes, for every iteration, reserved
    // before the for loop (s before each of its three overwrites and exp(x[i]): 4 * x.length; the
    // decision of the branch on s, counted once per branch: 2 * x.length); pushes and pops through
    // local tops (saved[savedTop++] = s; s = saved[--savedTop]). The while loop has no trip count to
    // reserve for: it checks for one iteration's room (s before its overwrite, and k) at the top of
    // each iteration and pushes through its own cursor. No valueStack.push( anywhere.
    expect(code).toMatchInlineSnapshot(`
      "export function savesGradInto(x: readonly number[], y: number, grad: SavesGradient): number {
        const x_bar = grad.x;
        // forward sweep
        let s = 0;
        {
          let savedTop = valueStack.size;
          const saved = valueStack.reserve(savedTop, 4 * x.length);
          let decisionsTop = controlStack.size;
          const decisions = controlStack.reserve(decisionsTop, 2 * x.length);
          for (let i = 0; i < x.length; i++) {
            saved[savedTop++] = s;
            s = Math.sin(s + x[i]) * y;
            if (x[i] > 0) {
              const _t3 = Math.exp(x[i]);
              saved[savedTop++] = _t3;
              saved[savedTop++] = s;
              s *= _t3;
            }
            if (s > 0.3) {
              saved[savedTop++] = s;
              s = s * 0.5 + x[i];
              decisions[decisionsTop++] = 1;
            } else {
              decisions[decisionsTop++] = 0;
            }
          }
          valueStack.size = savedTop;
          controlStack.size = decisionsTop;
        }
        let k = 0;
        let trips = 0;
        {
          let savedTop = valueStack.size;
          let saved = valueStack.reserve(savedTop, 2);
          while (k < 3) {
            if (savedTop + 2 > saved.length) {
              saved = valueStack.reserve(savedTop, 2);
            }
            saved[savedTop++] = s;
            s = Math.cos(s) * x[k];
            saved[savedTop++] = k;
            k++;
            trips++;
          }
          valueStack.size = savedTop;
        }
        controlStack.push(trips);
        const value = s * s;
        // reverse sweep
        let s_bar = 2 * s;
        x_bar.fill(0);
        // line 13: while (k < 3) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let trips = controlStack.pop(); trips > 0; trips--) {
            // line 15: k++;
            k = saved[--savedTop];
            // line 14: s = Math.cos(s) * x[k];
            s = saved[--savedTop];
            const _t5 = s_bar;
            s_bar = 0;
            const _t6 = Math.cos(s);
            s_bar -= _t5 * x[k] * Math.sin(s);
            x_bar[k] += _t5 * _t6;
          }
          valueStack.size = savedTop;
        }
        // line 7: for (let i = 0; i < x.length; i++) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          let decisionsTop = controlStack.size;
          const decisions = controlStack.buffer;
          for (let i = x.length - 1; i >= 0; i--) {
            if (decisions[--decisionsTop] === 1) {
              // line 10: if (s > 0.3) s = s * 0.5 + x[i];
              s = saved[--savedTop];
              x_bar[i] += s_bar;
              s_bar *= 0.5;
            }
            if (x[i] > 0) {
              // line 9: if (x[i] > 0) s = s * Math.exp(x[i]);
              s = saved[--savedTop];
              const _t3 = saved[--savedTop];
              x_bar[i] += s_bar * s * _t3;
              s_bar *= _t3;
            }
            // line 8: s = Math.sin(s + x[i]) * y;
            s = saved[--savedTop];
            const _t1 = s_bar * y * Math.cos(s + x[i]);
            s_bar = _t1;
            x_bar[i] += _t1;
          }
          valueStack.size = savedTop;
          controlStack.size = decisionsTop;
        }
        return value;
      }
      "
    `);
    const next = rng(7);
    // 3000 elements: thousands of values and decisions, past the stacks' first 1024-entry buffers.
    for (const x of [randomVector(3000, next).map((v) => v * 0.5), [0.4, -0.3, 0.2, 0.9]]) {
      await checkGradientAndHvp(built, "saves", [x, 0.9], ["x"], { x: randomVector(x.length, next) });
    }
  });
  it("check for one iteration's room at the top of a while loop's iterations, growing the stacks past their first buffers", async () => {
    const walk = `/**
 * @grad x
 * @hvp x
 */
export function walk(x: readonly number[], y: number): number {
  let s = 0;
  let k = 0;
  while (k < x.length) {
    if (s > 0) s = Math.sin(s) * x[k];
    else s = Math.cos(s) + y * x[k];
    k++;
  }
  return s * s;
}
`;
    const built = await build(walk);
    const code = generatedFunction(built.text, "walkGradInto");
    // The snapshot shows: one branch's push per iteration (s before its overwrite) plus k: room
    // for 2, not 3, checked at the top of each iteration; one decision per iteration; the trip count pushed on
    // the control stack after the loop, the only push( call.
    expect(code).toMatchInlineSnapshot(`
      "export function walkGradInto(x: readonly number[], y: number, grad: WalkGradient): number {
        const x_bar = grad.x;
        // forward sweep
        let s = 0;
        let k = 0;
        let trips = 0;
        {
          let savedTop = valueStack.size;
          let saved = valueStack.reserve(savedTop, 2);
          let decisionsTop = controlStack.size;
          let decisions = controlStack.reserve(decisionsTop, 1);
          while (k < x.length) {
            if (savedTop + 2 > saved.length) {
              saved = valueStack.reserve(savedTop, 2);
            }
            if (decisionsTop + 1 > decisions.length) {
              decisions = controlStack.reserve(decisionsTop, 1);
            }
            if (s > 0) {
              saved[savedTop++] = s;
              s = Math.sin(s) * x[k];
              decisions[decisionsTop++] = 1;
            } else {
              saved[savedTop++] = s;
              s = Math.cos(s) + y * x[k];
              decisions[decisionsTop++] = 0;
            }
            saved[savedTop++] = k;
            k++;
            trips++;
          }
          valueStack.size = savedTop;
          controlStack.size = decisionsTop;
        }
        controlStack.push(trips);
        const value = s * s;
        // reverse sweep
        let s_bar = 2 * s;
        x_bar.fill(0);
        // line 8: while (k < x.length) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          let decisionsTop = controlStack.size;
          const decisions = controlStack.buffer;
          for (let trips = decisions[--decisionsTop]; trips > 0; trips--) {
            // line 11: k++;
            k = saved[--savedTop];
            if (decisions[--decisionsTop] === 1) {
              // line 9: if (s > 0) s = Math.sin(s) * x[k];
              s = saved[--savedTop];
              const _t0 = s_bar;
              s_bar = 0;
              const _t1 = Math.sin(s);
              s_bar += _t0 * x[k] * Math.cos(s);
              x_bar[k] += _t0 * _t1;
            } else {
              // line 10: else s = Math.cos(s) + y * x[k];
              s = saved[--savedTop];
              x_bar[k] += s_bar * y;
              s_bar = -(s_bar * Math.sin(s));
            }
          }
          valueStack.size = savedTop;
          controlStack.size = decisionsTop;
        }
        return value;
      }
      "
    `);
    const next = rng(9);
    // 2500 iterations: 5000 values and 2500 decisions, past the stacks' first 1024-entry buffers.
    await checkGradientAndHvp(built, "walk", [randomVector(2500, next), 0.7], ["x"], { x: randomVector(2500, next) });
  });
  it("read a loop nest through one cursor for the whole nest, and reserve a pushing nest's room before it", async () => {
    const nest = `/**
 * @grad x
 * @hvp x
 */
export function nest(x: readonly number[], y: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    let t = x[i];
    for (let j = 0; j < 3; j++) t = Math.sin(t) * y;
    s += t * t;
  }
  return Math.sqrt(1 + s * s);
}
`;
    const built = await build(nest);
    const code = generatedFunction(built.text, "nestGradInto");
    // The snapshot shows: the forward's outer loop reserves for the whole nest (its own push and
    // the inner loop's three, per trip: x.length * 4); the reverse's outer loop reads the whole
    // nest's values through one cursor (const saved = valueStack.buffer); no push( or pop( calls.
    expect(code).toMatchInlineSnapshot(`
      "export function nestGradInto(x: readonly number[], y: number, grad: NestGradient): number {
        const x_bar = grad.x;
        // forward sweep
        let s = 0;
        {
          let savedTop = valueStack.size;
          const saved = valueStack.reserve(savedTop, x.length * 4);
          for (let i = 0; i < x.length; i++) {
            let t = x[i];
            {
              let j = 0;
              for (; j + 1 < 3; j += 2) {
                saved[savedTop++] = t;
                t = Math.sin(t) * y;
                saved[savedTop++] = t;
                t = Math.sin(t) * y;
              }
              if (j < 3) {
                saved[savedTop++] = t;
                t = Math.sin(t) * y;
              }
            }
            s += t * t;
            saved[savedTop++] = t;
          }
          valueStack.size = savedTop;
        }
        const value = Math.sqrt(1 + s * s);
        // reverse sweep
        const s_bar = (0.5 / value) * (2 * s);
        // line 7: for (let i = 0; i < x.length; i++) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let i = x.length - 1; i >= 0; i--) {
            // line 10: s += t * t;
            let t = saved[--savedTop];
            let t_bar = s_bar * (2 * t);
            // line 9: for (let j = 0; j < 3; j++) t = Math.sin(t) * y;
            {
              let j = 2;
              for (; j - 1 >= 0; j -= 2) {
                t = saved[--savedTop];
                t_bar = t_bar * y * Math.cos(t);
                t = saved[--savedTop];
                t_bar = t_bar * y * Math.cos(t);
              }
              if (j >= 0) {
                t = saved[--savedTop];
                t_bar = t_bar * y * Math.cos(t);
              }
            }
            // line 8: let t = x[i];
            x_bar[i] = t_bar;
          }
          valueStack.size = savedTop;
        }
        return value;
      }
      "
    `);
    const next = rng(8);
    await checkGradientAndHvp(built, "nest", [randomVector(1500, next), 0.8], ["x"], { x: randomVector(1500, next) });
  });
});

describe("loop locals recomputed through locals the reverse sweep does not read", () => {
  it("recomputes a needed local from an unneeded constant (an inlined JVP's tangent seed) instead of saving it", async () => {
    const built = await build(`/**
 * @grad x
 * @hvp x
 */
export function seeded(x: readonly number[], w: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const seed = 1;
    const scale = 0.5 * seed + w;
    s = Math.sin(s * scale + x[i]);
  }
  return s * s;
}
`);
    const code = generatedFunction(built.text, "seededGradInto");
    // The snapshot shows: only s is saved (before its overwrite); scale comes back from seed and w
    // at the top of the reverse body.
    expect(code).toMatchInlineSnapshot(`
      "export function seededGradInto(x: readonly number[], w: number, grad: SeededGradient): number {
        const x_bar = grad.x;
        // forward sweep
        let s = 0;
        {
          let savedTop = valueStack.size;
          const saved = valueStack.reserve(savedTop, x.length);
          for (let i = 0; i < x.length; i++) {
            const seed = 1;
            const scale = 0.5 * seed + w;
            saved[savedTop++] = s;
            s = Math.sin(s * scale + x[i]);
          }
          valueStack.size = savedTop;
        }
        const value = s * s;
        // reverse sweep
        let s_bar = 2 * s;
        // line 7: for (let i = 0; i < x.length; i++) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let i = x.length - 1; i >= 0; i--) {
            const seed = 1;
            const scale = 0.5 * seed + w;
            // line 10: s = Math.sin(s * scale + x[i]);
            s = saved[--savedTop];
            const _t1 = s_bar * Math.cos(s * scale + x[i]);
            s_bar = _t1 * scale;
            x_bar[i] = _t1;
          }
          valueStack.size = savedTop;
        }
        return value;
      }
      "
    `);
    const next = rng(12);
    await checkGradientAndHvp(built, "seeded", [randomVector(40, next), 0.3], ["x"], { x: randomVector(40, next) });
  });
});

describe("branches whose reverse runs in the same scope", () => {
  const source = `/**
 * @grad w
 * @hvp w
 */
export function fusedBranch(w: readonly number[], X: readonly (readonly number[])[], c: number): number {
  let t = w[0] * c;
  t = t * t;
  let head = 0;
  if (t > 0.2) {
    const g = Math.exp(-t);
    head = g * w[1];
  } else {
    head = t * w[1];
  }
  let loss = 0;
  for (let i = 0; i < X.length; i++) {
    let s = 0;
    for (let j = 0; j < w.length; j++) s += w[j] * X[i][j];
    let p = 0;
    if (s >= 0) {
      const e = Math.exp(-s);
      p = 1 / (1 + e);
    } else {
      const e = Math.exp(s);
      p = e / (1 + e);
    }
    loss += p * p;
  }
  return loss + head;
}
`;
  it("remember the branch taken in a lifted boolean and keep its locals in scope, at the top level and in a fused loop's body", async () => {
    const built = await build(source);
    // The snapshot shows: the last loop's sweeps fused; no controlStack (no decision pushed); the
    // only saved value t before `t = t * t` (one valueStack.push); one lifted decision at the top
    // level (t changes before the test) and one per iteration of the fused loop (let taken…);
    // the branch's local g lifted (let g = 0).
    expect(generatedFunction(built.text, "fusedBranchGradInto")).toMatchInlineSnapshot(`
      "export function fusedBranchGradInto(
        w: readonly number[],
        X: readonly (readonly number[])[],
        c: number,
        grad: FusedBranchGradient,
      ): number {
        const w_bar = grad.w;
        // forward sweep
        let t = w[0] * c;
        valueStack.push(t);
        t *= t;
        let head = 0;
        let g = 0;
        let taken = false;
        if (t > 0.2) {
          g = Math.exp(-t);
          head = g * w[1];
          taken = true;
        } else {
          head = t * w[1];
        }
        let loss = 0;
        let t_bar = 0;
        const head_bar = 1;
        const loss_bar = 1;
        w_bar.fill(0);
        // the last loop's forward and reverse sweeps, fused: its iterations only add into adjoints
        for (let i = 0; i < X.length; i++) {
          let s = 0;
          const X_i = X[i];
          {
            let j = 0;
            for (; j + 1 < w.length; j += 2) {
              s += w[j] * X_i[j];
              const j_1 = j + 1;
              s += w[j_1] * X_i[j_1];
            }
            if (j < w.length) {
              s += w[j] * X_i[j];
            }
          }
          let p = 0;
          let e = 0;
          let e_1 = 0;
          let taken_1 = false;
          if (s >= 0) {
            e = Math.exp(-s);
            p = 1 / (1 + e);
            taken_1 = true;
          } else {
            e_1 = Math.exp(s);
            p = e_1 / (1 + e_1);
          }
          loss += p * p;
          // its reverse, in the same iteration
          let s_bar = 0;
          const p_bar = loss_bar * (2 * p);
          // line 27: loss += p * p;
          if (taken_1) {
            // line 22: p = 1 / (1 + e);
            const _t3 = 1 + e;
            const e_bar = -(p_bar * (1 / (_t3 * _t3)));
            // line 21: const e = Math.exp(-s);
            s_bar -= e_bar * e;
          } else {
            // line 25: p = e / (1 + e);
            const _t5 = 1 + e_1;
            const _t6 = p_bar / _t5;
            const e_1_bar = _t6 - _t6 * (e_1 / _t5);
            // line 24: const e = Math.exp(s);
            s_bar += e_1_bar * e_1;
          }
          // line 18: for (let j = 0; j < w.length; j++) s += w[j] * X[i][j];
          {
            let j = w.length - 1;
            for (; j - 1 >= 0; j -= 2) {
              w_bar[j] += s_bar * X_i[j];
              const j_2 = j - 1;
              w_bar[j_2] += s_bar * X_i[j_2];
            }
            if (j >= 0) {
              w_bar[j] += s_bar * X_i[j];
            }
          }
        }
        const value = loss + head;
        // reverse sweep
        if (taken) {
          const g_bar = head_bar * w[1];
          // line 11: head = g * w[1];
          w_bar[1] += head_bar * g;
          // line 10: const g = Math.exp(-t);
          t_bar -= g_bar * g;
        } else {
          // line 13: head = t * w[1];
          t_bar += head_bar * w[1];
          w_bar[1] += head_bar * t;
        }
        // line 7: t = t * t;
        t = valueStack.pop();
        t_bar *= 2 * t;
        // line 6: let t = w[0] * c;
        w_bar[0] += t_bar * c;
        return value;
      }
      "
    `);
    const next = rng(12);
    const X = Array.from({ length: 6 }, () => randomVector(3, next));
    for (const c of [0.3, 2]) {
      await checkGradientAndHvp(built, "fusedBranch", [randomVector(3, next), X, c], ["w"], { w: randomVector(3, next) });
    }
  });
});
