/**
 * `$t`: what the rewritten source calls (see rewrite.ts). Arithmetic on numbers and boxes
 * goes through the traced operations; anything else (string concatenation, comparisons
 * of strings or objects) keeps its JavaScript meaning. Also the language pieces that
 * boxes need help with: truthiness, compound assignment to elements, `new Float64Array`.
 */
import { type Value, isValue, primal } from "./box.ts";
import * as ops from "./ops.ts";
import { MATH_FUNCTIONS, RULES } from "./rules.ts";
import { record, type Rule } from "./trace.ts";
import { markFloat64 } from "./values.ts";

type Binary = (a: unknown, b: unknown) => unknown;

/** A traced binary operator that falls back to `js` when an operand is not a number. */
function arith(traced: (a: Value, b: Value) => Value, js: Binary): Binary {
  return (a, b) => (isValue(a) && isValue(b) ? traced(a, b) : js(a, b));
}

/** A comparison of primal values that falls back to `js` when an operand is not a number. */
function compare(js: Binary): Binary {
  return (a, b) => (isValue(a) && isValue(b) ? js(primal(a), primal(b)) : js(a, b));
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const BINARY = {
  add: arith(ops.add, (a, b) => (a as any) + (b as any)),
  sub: arith(ops.sub, (a, b) => (a as any) - (b as any)),
  mul: arith(ops.mul, (a, b) => (a as any) * (b as any)),
  div: arith(ops.div, (a, b) => (a as any) / (b as any)),
  mod: arith(ops.mod, (a, b) => (a as any) % (b as any)),
  pow: arith(ops.pow, (a, b) => (a as any) ** (b as any)),
  lt: compare((a, b) => (a as any) < (b as any)),
  le: compare((a, b) => (a as any) <= (b as any)),
  gt: compare((a, b) => (a as any) > (b as any)),
  ge: compare((a, b) => (a as any) >= (b as any)),
  eq: compare((a, b) => a === b),
  ne: compare((a, b) => a !== b),
  looseEq: compare((a, b) => a == b),
  looseNe: compare((a, b) => a != b),
};
/* eslint-enable @typescript-eslint/no-explicit-any */

export type BinaryName = keyof typeof BINARY;

/**
 * `Math.name(...)` on traced values. Extra arguments are ignored, as Math's own functions
 * ignore them (`xs.map(Math.exp)` passes the index and the array too).
 */
const MATH: Record<string, (...xs: unknown[]) => unknown> = Object.fromEntries(
  MATH_FUNCTIONS.map((name) => {
    const rule: Rule = RULES[name];
    const arity = rule.variadic ? Infinity : rule.primal.length;
    return [name, (...xs: unknown[]) => record(rule, xs.length > arity ? xs.slice(0, arity) : xs)];
  }),
);

function truthy(v: unknown): boolean {
  return isValue(v) ? primal(v) !== 0 && !Number.isNaN(primal(v)) : Boolean(v);
}

function zeros(n: unknown): unknown[] {
  return markFloat64(new Array<unknown>(Number(isValue(n) ? primal(n) : n)).fill(0));
}

export const shim = {
  ...BINARY,
  ...MATH,
  neg: (a: unknown): unknown => (isValue(a) ? ops.neg(a) : -(a as number)),
  /** Unary plus: a number stays itself (a box keeps its derivative). */
  pos: (a: unknown): unknown => (isValue(a) ? a : +(a as number)),
  truthy,
  and: (a: unknown, b: () => unknown): unknown => (truthy(a) ? b() : a),
  or: (a: unknown, b: () => unknown): unknown => (truthy(a) ? a : b()),
  /** The plain number (for Number.isFinite and friends, which reject objects). */
  primal: (a: unknown): unknown => (isValue(a) ? primal(a) : a),
  /** `o[k] op= v`, evaluating `o` and `k` once; gives the new value. */
  updateAt(o: Record<PropertyKey, unknown>, k: PropertyKey, op: BinaryName, v: unknown): unknown {
    const key = isValue(k) ? primal(k) : k;
    return (o[key] = BINARY[op](o[key], v));
  },
  /** `o[k]++` / `o[k]--`: gives the old value. */
  postUpdateAt(o: Record<PropertyKey, unknown>, k: PropertyKey, delta: number): unknown {
    const key = isValue(k) ? primal(k) : k;
    const old = o[key];
    o[key] = BINARY.add(old, delta);
    return isValue(old) ? old : Number(old);
  },
  /** `name++` / `name--` in a value position: gives the old value; `set` assigns the new. */
  postUpdate(old: unknown, set: (v: unknown) => void, delta: number): unknown {
    set(BINARY.add(old, delta));
    return isValue(old) ? old : Number(old);
  },
  /** `xs.indexOf(v)` by value, as on numbers (strict equality: NaN is never found); a string's own otherwise. */
  indexOf(xs: unknown, v: unknown): number {
    if (!Array.isArray(xs)) return (xs as string).indexOf(v as string);
    const sought = isValue(v) ? primal(v) : v;
    return xs.findIndex((x) => (isValue(x) ? primal(x) : x) === sought);
  },
  /** `xs.includes(v)` by value (SameValueZero: NaN finds NaN); a string's own otherwise. */
  includes(xs: unknown, v: unknown): boolean {
    if (!Array.isArray(xs)) return (xs as string).includes(v as string);
    const sought = isValue(v) ? primal(v) : v;
    return xs.some((x) => { const y = isValue(x) ? primal(x) : x; return y === sought || (Number.isNaN(y) && Number.isNaN(sought)); });
  },
  /** `xs.lastIndexOf(v)` by value, as indexOf. */
  lastIndexOf(xs: unknown, v: unknown): number {
    if (!Array.isArray(xs)) return (xs as string).lastIndexOf(v as string);
    const sought = isValue(v) ? primal(v) : v;
    for (let i = xs.length - 1; i >= 0; i--) if ((isValue(xs[i]) ? primal(xs[i]) : xs[i]) === sought) return i;
    return -1;
  },
  /** `new Array(...)`, with a boxed length read as its number. */
  newArray: (...args: unknown[]): unknown[] =>
    args.length === 1 && isValue(args[0]) ? new Array<unknown>(primal(args[0])) : new Array<unknown>(...args),
  /** `new Float64Array(n | arrayLike)` as a plain array (a Float64Array cannot hold boxes). */
  newFloat64Array: (arg?: unknown): unknown[] =>
    arg === undefined ? markFloat64([]) : isValue(arg) ? zeros(arg) : markFloat64(Array.from(arg as ArrayLike<unknown>, (x) => (isValue(x) ? x : Number(x)))),
  /** `Float64Array.from(src, map?)` as a plain array. */
  float64ArrayFrom: (src: Iterable<unknown> | ArrayLike<unknown>, map?: (x: unknown, i: number) => unknown): unknown[] =>
    markFloat64(Array.from(src, (x, i) => {
      const y = map ? map(x, i) : x;
      return isValue(y) ? y : Number(y);
    })),
  /** `Float64Array.of(...)` as a plain array. */
  float64ArrayOf: (...xs: unknown[]): unknown[] => markFloat64(xs.map((x) => (isValue(x) ? x : Number(x)))),
};

export type Shim = typeof shim;
