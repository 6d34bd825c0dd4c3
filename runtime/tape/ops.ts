/**
 * The traced operations: `add(a, b)`, `sin(x)`, … work on plain numbers (giving plain
 * numbers) and on boxes of any trace (giving boxes). Each is one entry of the rule table
 * applied through `record`, defined in rules.ts beside the table (whose VJPs are written
 * with them); this module is their public face (`t.add`, …). Comparisons look at primal
 * values only and are not traced.
 */
import { type Value, primal } from "./box.ts";

export {
  add,
  sub,
  mul,
  div,
  mod,
  neg,
  pow,
  sin,
  cos,
  tan,
  asin,
  acos,
  atan,
  atan2,
  sinh,
  cosh,
  tanh,
  asinh,
  acosh,
  atanh,
  exp,
  expm1,
  log,
  log1p,
  log2,
  log10,
  sqrt,
  cbrt,
  abs,
  hypot,
  min,
  max,
  fround,
  floor,
  ceil,
  round,
  trunc,
  sign,
} from "./rules.ts";

/** Primal comparisons (not traced: their derivative is zero). */
export const lt = (a: Value, b: Value): boolean => primal(a) < primal(b);
export const le = (a: Value, b: Value): boolean => primal(a) <= primal(b);
export const gt = (a: Value, b: Value): boolean => primal(a) > primal(b);
export const ge = (a: Value, b: Value): boolean => primal(a) >= primal(b);
