/**
 * The tape's rule table: one entry per primitive, keyed by name. Each entry has the primal
 * on plain numbers and one VJP per argument, written with the traced operations (defined
 * at the end of this file, each applying its entry through `record`) so that the VJP is
 * itself recorded (and differentiable) when an outer trace is active.
 * A VJP gets the cotangent `g` of the result, the result `ans` and the arguments `xs`
 * (each unwrapped one trace down, so possibly boxes of an enclosing trace) and the
 * argument index `i` (used by the variadic entries).
 *
 * `vjps: null` marks a piecewise-constant primitive: its result carries no derivative.
 *
 * Conventions at kinks: abs'(0) = 0; max/min send the cotangent to the argument whose
 * value the primal returned, in equal shares to tied arguments; hypot'(0, …, 0) = 0;
 * ∂(a^b)/∂b = 0 where a = 0; ∂(a^b)/∂a = 0 at a = b = 0.
 *
 * This table is independent of the compiler's (compiler/transform/rules.ts): a slip in one
 * shows up as a disagreement in the tests that compare them.
 */
import { type Value, primal } from "./box.ts";
import { record, type Rule, type Vjp } from "./trace.ts";

export type { Rule, Vjp };

const x0 = (xs: readonly Value[]): Value => xs[0]!;
const x1 = (xs: readonly Value[]): Value => xs[1]!;
const sq = (v: Value): Value => mul(v, v);

/** d max/min: the cotangent goes to the arguments equal to the result, in equal shares. */
const selected: Vjp = (g, ans, xs, i) => {
  const result = primal(ans);
  if (primal(xs[i]!) !== result) return 0;
  const ties = xs.filter((x) => primal(x) === result).length;
  return ties === 1 ? g : div(g, ties);
};

export const RULES = {
  // --- arithmetic operators -------------------------------------------------------------
  // d(a + b) = da + db
  add: { primal: (a: number, b: number) => a + b, vjps: [(g) => g, (g) => g] },
  // d(a - b) = da - db
  sub: { primal: (a: number, b: number) => a - b, vjps: [(g) => g, (g) => neg(g)] },
  // d(a b) = b da + a db
  mul: { primal: (a: number, b: number) => a * b, vjps: [(g, _, xs) => mul(g, x1(xs)), (g, _, xs) => mul(g, x0(xs))] },
  // d(a / b) = da / b - (a / b) db / b
  div: { primal: (a: number, b: number) => a / b, vjps: [(g, _, xs) => div(g, x1(xs)), (g, ans, xs) => neg(div(mul(g, ans), x1(xs)))] },
  // a % b = a - trunc(a / b) b, so d(a % b) = da - trunc(a / b) db (away from the jumps)
  mod: { primal: (a: number, b: number) => a % b, vjps: [(g) => g, (g, _, xs) => neg(mul(g, trunc(div(x0(xs), x1(xs)))))] },
  // d(-a) = -da
  neg: { primal: (a: number) => -a, vjps: [(g) => neg(g)] },
  // d(a^b) = b a^(b-1) da + a^b ln(a) db   (0 for da at a = b = 0, 0 for db where a = 0)
  pow: {
    primal: (a: number, b: number) => a ** b,
    vjps: [
      (g, _, xs) => (primal(x1(xs)) === 0 && primal(x0(xs)) === 0 ? 0 : mul(g, mul(x1(xs), pow(x0(xs), sub(x1(xs), 1))))),
      (g, ans, xs) => (primal(x0(xs)) === 0 ? 0 : mul(g, mul(ans, log(x0(xs))))),
    ],
  },

  // --- Math functions with a derivative ---------------------------------------------------
  // d sin x = cos x dx
  sin: { primal: Math.sin, vjps: [(g, _, xs) => mul(g, cos(x0(xs)))] },
  // d cos x = -sin x dx
  cos: { primal: Math.cos, vjps: [(g, _, xs) => neg(mul(g, sin(x0(xs))))] },
  // d tan x = dx / cos² x
  tan: { primal: Math.tan, vjps: [(g, _, xs) => div(g, sq(cos(x0(xs))))] },
  // d asin x = dx / √(1 - x²)
  asin: { primal: Math.asin, vjps: [(g, _, xs) => div(g, sqrt(sub(1, sq(x0(xs)))))] },
  // d acos x = -dx / √(1 - x²)
  acos: { primal: Math.acos, vjps: [(g, _, xs) => neg(div(g, sqrt(sub(1, sq(x0(xs))))))] },
  // d atan x = dx / (1 + x²)
  atan: { primal: Math.atan, vjps: [(g, _, xs) => div(g, add(1, sq(x0(xs))))] },
  // atan2(y, x) = angle of (x, y): d = (x dy - y dx) / (x² + y²)
  atan2: {
    primal: Math.atan2,
    vjps: [
      (g, _, xs) => div(mul(g, x1(xs)), add(sq(x0(xs)), sq(x1(xs)))),
      (g, _, xs) => neg(div(mul(g, x0(xs)), add(sq(x0(xs)), sq(x1(xs))))),
    ],
  },
  // d sinh x = cosh x dx
  sinh: { primal: Math.sinh, vjps: [(g, _, xs) => mul(g, cosh(x0(xs)))] },
  // d cosh x = sinh x dx
  cosh: { primal: Math.cosh, vjps: [(g, _, xs) => mul(g, sinh(x0(xs)))] },
  // d tanh x = (1 - tanh² x) dx
  tanh: { primal: Math.tanh, vjps: [(g, ans) => mul(g, sub(1, sq(ans)))] },
  // d asinh x = dx / √(x² + 1)
  asinh: { primal: Math.asinh, vjps: [(g, _, xs) => div(g, sqrt(add(sq(x0(xs)), 1)))] },
  // d acosh x = dx / √(x² - 1) = dx / √((x - 1)(x + 1))
  acosh: { primal: Math.acosh, vjps: [(g, _, xs) => div(g, sqrt(mul(sub(x0(xs), 1), add(x0(xs), 1))))] },
  // d atanh x = dx / (1 - x²)
  atanh: { primal: Math.atanh, vjps: [(g, _, xs) => div(g, sub(1, sq(x0(xs))))] },
  // d eˣ = eˣ dx
  exp: { primal: Math.exp, vjps: [(g, ans) => mul(g, ans)] },
  // d (eˣ - 1) = eˣ dx
  expm1: { primal: Math.expm1, vjps: [(g, _, xs) => mul(g, exp(x0(xs)))] },
  // d ln x = dx / x
  log: { primal: Math.log, vjps: [(g, _, xs) => div(g, x0(xs))] },
  // d ln(1 + x) = dx / (1 + x)
  log1p: { primal: Math.log1p, vjps: [(g, _, xs) => div(g, add(1, x0(xs)))] },
  // d log₂ x = dx / (x ln 2)
  log2: { primal: Math.log2, vjps: [(g, _, xs) => div(g, mul(x0(xs), Math.LN2))] },
  // d log₁₀ x = dx / (x ln 10)
  log10: { primal: Math.log10, vjps: [(g, _, xs) => div(g, mul(x0(xs), Math.LN10))] },
  // d √x = dx / (2 √x)
  sqrt: { primal: Math.sqrt, vjps: [(g, ans) => div(g, mul(2, ans))] },
  // d ∛x = dx / (3 ∛x²)
  cbrt: { primal: Math.cbrt, vjps: [(g, ans) => div(g, mul(3, sq(ans)))] },
  // d |x| = sign(x) dx, with abs'(0) = 0
  abs: { primal: Math.abs, vjps: [(g, _, xs) => mul(g, sign(x0(xs)))] },
  // d √(Σ xₖ²) = Σ xₖ dxₖ / hypot, taken as 0 where hypot = 0
  hypot: { primal: Math.hypot, variadic: true, vjps: [(g, ans, xs, i) => (primal(ans) === 0 ? 0 : div(mul(g, xs[i]!), ans))] },
  // d min = d of the argument returned (shared evenly on ties)
  min: { primal: Math.min, variadic: true, vjps: [selected] },
  // d max = d of the argument returned (shared evenly on ties)
  max: { primal: Math.max, variadic: true, vjps: [selected] },
  // fround rounds to float32: treated as the identity, d fround x = dx
  fround: { primal: Math.fround, vjps: [(g) => g] },

  // --- piecewise constant: zero derivative -----------------------------------------------
  // d floor x = 0
  floor: { primal: Math.floor, vjps: null },
  // d ceil x = 0
  ceil: { primal: Math.ceil, vjps: null },
  // d round x = 0
  round: { primal: Math.round, vjps: null },
  // d trunc x = 0
  trunc: { primal: Math.trunc, vjps: null },
  // d sign x = 0
  sign: { primal: Math.sign, vjps: null },
} satisfies Record<string, Rule>;

export type PrimitiveName = keyof typeof RULES;

/** Primitives that are operators, not Math functions. */
export const OPERATORS: readonly PrimitiveName[] = ["add", "sub", "mul", "div", "mod", "neg"];

/** Math functions the rewrite turns into traced calls (`Math.sin(x)` → `$t.sin(x)`). */
export const MATH_FUNCTIONS: readonly PrimitiveName[] = (Object.keys(RULES) as PrimitiveName[]).filter((n) => !OPERATORS.includes(n));

export function ruleOf(name: PrimitiveName): Rule {
  return RULES[name];
}

// The traced operations, each one entry of the table applied through `record`: the VJPs
// above are written with them, so the table and its operations are one recursive
// definition and live in one file (ops.ts is their public face).
export const add = (a: Value, b: Value): Value => record(RULES.add, [a, b]);
export const sub = (a: Value, b: Value): Value => record(RULES.sub, [a, b]);
export const mul = (a: Value, b: Value): Value => record(RULES.mul, [a, b]);
export const div = (a: Value, b: Value): Value => record(RULES.div, [a, b]);
export const mod = (a: Value, b: Value): Value => record(RULES.mod, [a, b]);
export const neg = (a: Value): Value => record(RULES.neg, [a]);
export const pow = (a: Value, b: Value): Value => record(RULES.pow, [a, b]);
export const sin = (x: Value): Value => record(RULES.sin, [x]);
export const cos = (x: Value): Value => record(RULES.cos, [x]);
export const tan = (x: Value): Value => record(RULES.tan, [x]);
export const asin = (x: Value): Value => record(RULES.asin, [x]);
export const acos = (x: Value): Value => record(RULES.acos, [x]);
export const atan = (x: Value): Value => record(RULES.atan, [x]);
export const atan2 = (y: Value, x: Value): Value => record(RULES.atan2, [y, x]);
export const sinh = (x: Value): Value => record(RULES.sinh, [x]);
export const cosh = (x: Value): Value => record(RULES.cosh, [x]);
export const tanh = (x: Value): Value => record(RULES.tanh, [x]);
export const asinh = (x: Value): Value => record(RULES.asinh, [x]);
export const acosh = (x: Value): Value => record(RULES.acosh, [x]);
export const atanh = (x: Value): Value => record(RULES.atanh, [x]);
export const exp = (x: Value): Value => record(RULES.exp, [x]);
export const expm1 = (x: Value): Value => record(RULES.expm1, [x]);
export const log = (x: Value): Value => record(RULES.log, [x]);
export const log1p = (x: Value): Value => record(RULES.log1p, [x]);
export const log2 = (x: Value): Value => record(RULES.log2, [x]);
export const log10 = (x: Value): Value => record(RULES.log10, [x]);
export const sqrt = (x: Value): Value => record(RULES.sqrt, [x]);
export const cbrt = (x: Value): Value => record(RULES.cbrt, [x]);
export const abs = (x: Value): Value => record(RULES.abs, [x]);
export const hypot = (...xs: Value[]): Value => record(RULES.hypot, xs);
export const min = (...xs: Value[]): Value => record(RULES.min, xs);
export const max = (...xs: Value[]): Value => record(RULES.max, xs);
export const fround = (x: Value): Value => record(RULES.fround, [x]);
export const floor = (x: Value): Value => record(RULES.floor, [x]);
export const ceil = (x: Value): Value => record(RULES.ceil, [x]);
export const round = (x: Value): Value => record(RULES.round, [x]);
export const trunc = (x: Value): Value => record(RULES.trunc, [x]);
export const sign = (x: Value): Value => record(RULES.sign, [x]);
