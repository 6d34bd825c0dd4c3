/**
 * The primitives table: one entry per primitive (an operator or a `Math` function), holding
 * every fact the compiler knows about it. The front end accepts `Math.<name>` when it is
 * here; forward mode, reverse mode and the analyses ask it, and nothing else lists
 * primitives. Adding a primitive is one entry here plus its rule in the independent tape
 * (runtime/tape/rules.ts; see CONTRIBUTING).
 *
 * `partials` gives the local partial derivatives d(ans)/d(arg_i) as IR expressions built
 * from the argument expressions and the result `ans()` (a thunk: the transform decides
 * whether to recompute the result or reuse a saved one). Forward mode forms
 * sum_i partial_i * dot(arg_i); reverse mode adds bar(ans) * partial_i to bar(arg_i).
 * `null` marks a partial that is identically zero.
 *
 * Conventions at singular points (README, "Conventions at singular points"; the tape's table
 * follows the same ones): abs'(0) = 0 (sign); min/max send the derivative to the argument
 * the primal returned, split evenly between tied arguments (JAX's rule); hypot has zero
 * derivative at the origin; ∂(a^b)/∂a = 0 at a = b = 0 and ∂(a^b)/∂b = 0 where a = 0; floor, ceil, round, trunc, sign have zero derivative everywhere.
 */
import { add, call, div, mul, neg, num, sub, bin, v } from "./build.ts";
import type { Expr } from "./nodes.ts";

export type Partials = (args: Expr[], ans: () => Expr) => (Expr | null)[];

export interface Primitive {
  /** Number of arguments, or "variadic". */
  arity: number | "variadic";
  partials: Partials;
  /**
   * `cheap`: recomputing it costs less than a push and a pop (abs, min, floor…), so reverse
   * mode recomputes what reads only cheap calls. `costly`: exp, sin, sqrt…: reverse mode
   * reads a local that already holds its value instead of calling it again.
   */
  cost: "cheap" | "costly";
  /** Its partials read the result `ans()` (exp, tanh, sqrt…; n-ary max): reverse mode may take the result from the forward sweep. */
  reusesResult?: true;
  /** Always an integer (or NaN): a loop bound made of it ends exactly at bound − 1. */
  integerValued?: true;
  /** Zero derivative everywhere: its result carries no derivative (activity cuts it). */
  piecewiseConstant?: true;
}

const sqr = (e: Expr) => mul(e, e);
const M = (name: string, ...args: Expr[]) => call(`Math.${name}`, args);
const zero: Partials = (args) => args.map(() => null);
/** Piecewise constant: zero derivative everywhere, cheap, an integer (floor…). */
const step: Primitive = { arity: 1, partials: zero, cost: "cheap", integerValued: true, piecewiseConstant: true };

export const PRIMITIVES: Readonly<Record<string, Primitive>> = {
  // d(a+b) = da + db
  "+": { arity: 2, partials: () => [num(1), num(1)], cost: "cheap" },
  // d(a-b) = da - db
  "-": { arity: 2, partials: () => [num(1), num(-1)], cost: "cheap" },
  // d(a % b) = da - trunc(a/b) db  (away from the jumps)
  "%": { arity: 2, partials: ([a, b]) => [num(1), neg(M("trunc", div(a!, b!)))], cost: "cheap" },
  // d(-a) = -da
  "neg": { arity: 1, partials: () => [num(-1)], cost: "cheap" },
  // d(ab) = b da + a db
  "*": { arity: 2, partials: ([a, b]) => [b!, a!], cost: "cheap" },
  // d(a/b) = da/b - a db/b^2
  "/": { arity: 2, partials: ([a, b]) => [div(num(1), b!), neg(div(a!, sqr(b!)))], cost: "cheap" },
  // d(a^b) = b a^(b-1) da + a^b ln(a) db, with 0 for da at a = b = 0 and 0 for db where a = 0
  "**": { arity: 2, partials: ([a, b], ans) => [powPartial(a!, b!), exponentPartial(a!, ans)], cost: "costly", reusesResult: true },
  "Math.pow": { arity: 2, partials: ([a, b], ans) => [powPartial(a!, b!), exponentPartial(a!, ans)], cost: "costly", reusesResult: true },
  // d sin a = cos a da
  "Math.sin": { arity: 1, partials: ([a]) => [M("cos", a!)], cost: "costly" },
  // d cos a = -sin a da
  "Math.cos": { arity: 1, partials: ([a]) => [neg(M("sin", a!))], cost: "costly" },
  // d tan a = (1 + tan^2 a) da
  "Math.tan": { arity: 1, partials: (_, ans) => [add(num(1), sqr(ans()))], cost: "costly", reusesResult: true },
  // d asin a = da / sqrt(1 - a^2)
  "Math.asin": { arity: 1, partials: ([a]) => [div(num(1), M("sqrt", sub(num(1), sqr(a!))))], cost: "costly" },
  // d acos a = -da / sqrt(1 - a^2)
  "Math.acos": { arity: 1, partials: ([a]) => [neg(div(num(1), M("sqrt", sub(num(1), sqr(a!)))))], cost: "costly" },
  // d atan a = da / (1 + a^2)
  "Math.atan": { arity: 1, partials: ([a]) => [div(num(1), add(num(1), sqr(a!)))], cost: "costly" },
  // d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)
  "Math.atan2": {
    arity: 2,
    partials: ([y, x]) => [div(x!, add(sqr(x!), sqr(y!))), neg(div(y!, add(sqr(x!), sqr(y!))))],
    cost: "costly",
  },
  // d sinh a = cosh a da
  "Math.sinh": { arity: 1, partials: ([a]) => [M("cosh", a!)], cost: "costly" },
  // d cosh a = sinh a da
  "Math.cosh": { arity: 1, partials: ([a]) => [M("sinh", a!)], cost: "costly" },
  // d tanh a = (1 - tanh^2 a) da
  "Math.tanh": { arity: 1, partials: (_, ans) => [sub(num(1), sqr(ans()))], cost: "costly", reusesResult: true },
  // d asinh a = da / sqrt(a^2 + 1)
  "Math.asinh": { arity: 1, partials: ([a]) => [div(num(1), M("sqrt", add(sqr(a!), num(1))))], cost: "costly" },
  // d acosh a = da / sqrt(a^2 - 1)
  "Math.acosh": { arity: 1, partials: ([a]) => [div(num(1), M("sqrt", sub(sqr(a!), num(1))))], cost: "costly" },
  // d atanh a = da / (1 - a^2)
  "Math.atanh": { arity: 1, partials: ([a]) => [div(num(1), sub(num(1), sqr(a!)))], cost: "costly" },
  // d exp a = exp a da
  "Math.exp": { arity: 1, partials: (_, ans) => [ans()], cost: "costly", reusesResult: true },
  // d expm1 a = exp a da = (expm1 a + 1) da
  "Math.expm1": { arity: 1, partials: (_, ans) => [add(ans(), num(1))], cost: "costly", reusesResult: true },
  // d ln a = da / a
  "Math.log": { arity: 1, partials: ([a]) => [div(num(1), a!)], cost: "costly" },
  // d ln(1 + a) = da / (1 + a)
  "Math.log1p": { arity: 1, partials: ([a]) => [div(num(1), add(num(1), a!))], cost: "costly" },
  // d log2 a = da / (a ln 2)
  "Math.log2": { arity: 1, partials: ([a]) => [div(num(1), mul(a!, v("Math.LN2")))], cost: "costly" },
  // d log10 a = da / (a ln 10)
  "Math.log10": { arity: 1, partials: ([a]) => [div(num(1), mul(a!, v("Math.LN10")))], cost: "costly" },
  // d sqrt a = da / (2 sqrt a)
  "Math.sqrt": { arity: 1, partials: (_, ans) => [div(num(0.5), ans())], cost: "costly", reusesResult: true },
  // d cbrt a = da / (3 cbrt(a)^2)
  "Math.cbrt": { arity: 1, partials: (_, ans) => [div(num(1), mul(num(3), sqr(ans())))], cost: "costly", reusesResult: true },
  // d |a| = sign(a) da, with abs'(0) = 0
  "Math.abs": { arity: 1, partials: ([a]) => [M("sign", a!)], cost: "cheap" },
  // d hypot(a, b, ...) = sum a_i da_i / hypot(...), taken as 0 at the origin
  "Math.hypot": {
    arity: "variadic",
    partials: (args, ans) => args.map((a) => when(bin("===", ans(), num(0)), num(0), div(a, ans()))),
    cost: "costly",
    reusesResult: true,
  },
  // max/min follow the argument the primal returned, split evenly between ties (n-ary: reads the result)
  "Math.max": { arity: "variadic", partials: (args, ans) => chooserPartials(">", args, ans), cost: "cheap", reusesResult: true },
  "Math.min": { arity: "variadic", partials: (args, ans) => chooserPartials("<", args, ans), cost: "cheap", reusesResult: true },
  // fround rounds to float32; its derivative is taken as 1 (it is the identity up to rounding)
  "Math.fround": { arity: 1, partials: () => [num(1)], cost: "cheap" },
  // piecewise constant: zero derivative everywhere
  "Math.floor": step,
  "Math.ceil": step,
  "Math.round": step,
  "Math.trunc": step,
  "Math.sign": step,
};

/** A negative literal (x ** -1) is a unary minus of a number: a constant all the same. */
const literal = (e: Expr): Expr => (e.kind === "unary" && e.op === "-" && e.operand.kind === "number" ? num(-e.operand.value) : e);

const when = (test: Expr, whenTrue: Expr, whenFalse: Expr): Expr => ({ kind: "conditional", test, whenTrue, whenFalse });

/**
 * b a^(b-1), written as the cheap special cases a careful human would use; 0 at a = b = 0
 * (a^0 = 1 for every a, where the formula gives 0 · 0^(-1) = NaN). Only there: at b = 0,
 * a ≠ 0 the formula is 0 already, and its derivative in b (1/a) must survive for HVPs.
 */
function powPartial(a: Expr, written: Expr): Expr | null {
  const b = literal(written);
  if (b.kind === "number") {
    if (b.value === 0) return null;
    if (b.value === 2) return mul(num(2), a);
    if (b.value === 1) return num(1);
    if (b.value === 0.5) return div(num(0.5), M("sqrt", a));
    return mul(b, bin("**", a, num(b.value - 1)));
  }
  return when(bin("&&", bin("===", b, num(0)), bin("===", a, num(0))), num(0), mul(b, bin("**", a, sub(b, num(1)))));
}

/** a^b ln a, 0 where a = 0 (where ln a = -Infinity: 0 ** b does not change with b ≥ 0). */
function exponentPartial(written: Expr, ans: () => Expr): Expr | null {
  // A literal base decides the case while compiling (no '2 === 0' for the type checker to
  // flag); a literal 0 has no partial at all (no `0 * y_dot` term).
  const a = literal(written);
  if (a.kind === "number") return a.value === 0 ? null : mul(ans(), M("log", a));
  return when(bin("===", a, num(0)), num(0), mul(ans(), M("log", a)));
}

/**
 * ∂ max(a_0, …)/∂a_i (op ">") or min (op "<"): 1 for the argument returned, shared evenly
 * between tied arguments (JAX's `_balanced_eq`): max(a, b) gives a `a > b ? 1 : a === b ?
 * 0.5 : 0`, so max(x, c) at x = c has the derivative central differences measure.
 */
function chooserPartials(op: ">" | "<", args: Expr[], ans: () => Expr): Expr[] {
  if (args.length === 1) return [num(1)];
  if (args.length === 2) {
    const [a, b] = args as [Expr, Expr];
    const other = op === ">" ? "<" : ">";
    return [
      when(bin(op, a, b), num(1), when(bin("===", a, b), num(0.5), num(0))),
      when(bin(other, a, b), num(1), when(bin("===", a, b), num(0.5), num(0))),
    ];
  }
  const hits = args.map((a) => when(bin("===", a, ans()), num(1), num(0)));
  const ties = hits.reduce((sum, h) => add(sum, h));
  return hits.map((h) => div(h, ties));
}

// ---- what the rest of the compiler asks (each a reading of the table) ----

/** A binary operator that carries a derivative (`+ - * / % **`; not comparisons or `&&`). */
export function isDifferentiableOperator(op: string): boolean {
  return PRIMITIVES[op]?.arity === 2 && !op.startsWith("Math.");
}

/** A call whose result never carries a derivative (floor, sign…). */
export function isPiecewiseConstant(callee: string): boolean {
  return PRIMITIVES[callee]?.piecewiseConstant === true;
}

/** A call that is cheaper to recompute than to push and pop (abs, min, floor…); false for any other call. */
export function isCheapCall(callee: string): boolean {
  return PRIMITIVES[callee]?.cost === "cheap";
}

/** A costly call whose partials read its result (exp, tanh, sqrt…): reverse mode keeps the forward sweep's value. */
export function reusesCostlyResult(callee: string): boolean {
  const p = PRIMITIVES[callee];
  return p?.cost === "costly" && p.reusesResult === true;
}

/** A costly call whose partials do not read its result (sin, log…): its value may still be another factor's partial. */
export function isCostlyOtherwise(callee: string): boolean {
  const p = PRIMITIVES[callee];
  return p?.cost === "costly" && p.reusesResult !== true;
}

/** A call that always returns an integer (or NaN). */
export function isIntegerValuedCall(callee: string): boolean {
  return PRIMITIVES[callee]?.integerValued === true;
}

/** Math constants the front end accepts as literals. */
export const MATH_CONSTANTS = ["PI", "E", "LN2", "LN10", "LOG2E", "LOG10E", "SQRT2", "SQRT1_2"];

/**
 * `Number.isFinite(x)` and its kin: boolean tests of a number, no derivative (guards such as
 * `if (!Number.isFinite(v)) continue;`). Calls of them appear only where a boolean does.
 */
export const NUMBER_PREDICATES: ReadonlySet<string> = new Set(["Number.isFinite", "Number.isNaN", "Number.isInteger", "Number.isSafeInteger"]);
