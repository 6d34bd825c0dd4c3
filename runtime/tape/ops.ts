/**
 * The traced operations: `add(a, b)`, `sin(x)`, … work on plain numbers (giving plain
 * numbers) and on boxes of any trace (giving boxes). Each is one entry of the rule table
 * applied through `record`. Comparisons look at primal values only and are not traced.
 */
import { type Value, primal } from "./box.ts";
import { RULES } from "./rules.ts";
import { record } from "./trace.ts";

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

/** Primal comparisons (not traced: their derivative is zero). */
export const lt = (a: Value, b: Value): boolean => primal(a) < primal(b);
export const le = (a: Value, b: Value): boolean => primal(a) <= primal(b);
export const gt = (a: Value, b: Value): boolean => primal(a) > primal(b);
export const ge = (a: Value, b: Value): boolean => primal(a) >= primal(b);
