/**
 * What a reverse sweep reads, as the to-be-recorded fixpoint counts it (strategy.ts):
 * every expression of every statement, an assignment's target included, nested ones too.
 * Read directly for the declarations and assignments a sweep is mostly made of: the
 * fixpoint reads whole sweeps, twice or more per function.
 */
import type { Expr, Stmt } from "../../ir/nodes.ts";
import { exprReads, stmtExprs } from "../../ir/visit.ts";

/**
 * exprReads of every expression of every statement of `list`, nested ones included, in
 * walkStmts' order: read directly for the declarations and assignments a sweep is mostly
 * made of (no callback and no list per statement; it reads whole sweeps). With `kept`, the
 * same walk also gathers what readsKeptByCleanup (cleanup.ts) keeps, into `kept.names`
 * before the copies' names (`kept.copies`) are taken out: the first round asks both of
 * the same raw sweep.
 */
export function sweepReads(list: Stmt[], into = new Set<string>(), kept?: KeptReads): Set<string> {
  for (let k = 0; k < list.length; k++) {
    const s = list[k]!;
    switch (s.kind) {
      case "declare":
        exprReads(s.init, into);
        if (!kept) break;
        if (!s.mutable && s.init.kind === "var") kept.copies.add(s.name);
        else readsBut(s.init, null, kept.names);
        break;
      case "assign":
        exprReads(s.target as Expr, into);
        exprReads(s.value, into);
        if (!kept) break;
        if (s.target.kind === "var") {
          readsBut(s.value, s.target.name, kept.names);
        } else {
          readsBut(s.target as Expr, null, kept.names);
          readsBut(s.value, null, kept.names);
        }
        break;
      case "comment":
        break;
      default: {
        const exprs = stmtExprs(s);
        for (let e = 0; e < exprs.length; e++) {
          exprReads(exprs[e]!, into);
          if (kept) readsBut(exprs[e]!, null, kept.names);
        }
        if (s.kind === "if") {
          sweepReads(s.then, into, kept);
          sweepReads(s.else, into, kept);
        } else if (s.kind === "loop") {
          sweepReads(s.init, into, kept);
          sweepReads(s.update, into, kept);
          sweepReads(s.body, into, kept);
        } else if (s.kind === "block") {
          sweepReads(s.body, into, kept);
        }
      }
    }
  }
  return into;
}

/** What sweepReads gathers for readsKeptByCleanup: the names, and the copies to take out of them at the end. */
export interface KeptReads {
  names: Set<string>;
  copies: Set<string>;
}

/** exprReads of `e` into `into`, except `but`. */
function readsBut(e: Expr, but: string | null, into: Set<string>): void {
  switch (e.kind) {
    case "var":
      if (e.name !== but) into.add(e.name);
      return;
    case "number": case "boolean": case "string": case "pop": return;
    case "index": readsBut(e.object, but, into); readsBut(e.index, but, into); return;
    case "binary": readsBut(e.left, but, into); readsBut(e.right, but, into); return;
    case "unary": readsBut(e.operand, but, into); return;
    case "call": for (let k = 0; k < e.args.length; k++) readsBut(e.args[k]!, but, into); return;
    default:
      for (const n of exprReads(e)) if (n !== but) into.add(n);
  }
}
