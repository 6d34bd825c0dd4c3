/**
 * Rewriting helpers over expressions, built on visit.ts's mapExpr: passes use these rather
 * than each writing its own substitution.
 */
import { sameExpr } from "./build.ts";
import type { Expr } from "./nodes.ts";
import { mapExpr } from "./visit.ts";

/** `e` with every read of variable `name` replaced by `by`. */
export function substituteVar(e: Expr, name: string, by: Expr): Expr {
  return mapExpr(e, (x) => (x.kind === "var" && x.name === name ? by : undefined));
}

/** `e` with every occurrence of the subexpression `from` replaced by `to`. */
export function replaceExpr(e: Expr, from: Expr, to: Expr): Expr {
  return mapExpr(e, (x) => (sameExpr(x, from) ? to : undefined));
}
