/**
 * Rewriting helpers over expressions, built on visit.ts's mapExpr: passes use these rather
 * than each writing its own substitution.
 */
import { sameExpr } from "./build.ts";
import type { Expr, Stmt } from "./nodes.ts";
import { mapExpr, mapStmtExprs } from "./visit.ts";

/** `e` with every read of variable `name` replaced by `by`. */
export function substituteVar(e: Expr, name: string, by: Expr): Expr {
  return mapExpr(e, (x) => (x.kind === "var" && x.name === name ? by : undefined));
}

/** `e` with every occurrence of the subexpression `from` replaced by `to`. */
export function replaceExpr(e: Expr, from: Expr, to: Expr): Expr {
  return mapExpr(e, (x) => (sameExpr(x, from) ? to : undefined));
}

/**
 * `stmts` with the variable `from` called `to` everywhere: its declarations, reads, writes
 * and record leaves (`from.x` → `to.x`). `to` must be a name `stmts` do not use.
 */
export function renameVariable(stmts: Stmt[], from: string, to: string): Stmt[] {
  const renamed = renaming(from, to);
  return mapStmtExprs(stmts, renamedIn(renamed), (s) => {
    if (s.kind === "declare") return { ...s, name: renamed(s.name) };
    if (s.kind === "append" || s.kind === "shrink") return { ...s, array: renamed(s.array) };
    return s;
  });
}

/** `e` with the variable `from` called `to` (as renameVariable). */
export function renameVariableIn(e: Expr, from: string, to: string): Expr {
  return mapExpr(e, renamedIn(renaming(from, to)));
}

function renaming(from: string, to: string): (name: string) => string {
  return (name) => (name === from ? to : name.startsWith(`${from}.`) ? to + name.slice(from.length) : name);
}

function renamedIn(renamed: (name: string) => string): (e: Expr) => Expr | undefined {
  return (x) => {
    if ((x.kind === "var" || x.kind === "cursorMove") && renamed(x.name) !== x.name) return { ...x, name: renamed(x.name) };
    if (x.kind === "pop" && (x.of !== undefined || x.rebuild !== undefined)) {
      const of = x.of === undefined ? undefined : renamed(x.of);
      const rebuild = x.rebuild && mapExpr(x.rebuild, renamedIn(renamed));
      if (of === x.of && rebuild === x.rebuild) return undefined;
      return { ...x, ...(of !== undefined && { of }), ...(rebuild && { rebuild }) };
    }
    return undefined;
  };
}
