/**
 * What a run of statements does to the variables around it, by name: what it reads, what
 * it overwrites, what it only adds into (`t += e`, which commutes with other additions),
 * and whether it touches anything that forbids moving it (a stack, a call, an array that
 * grows or shrinks). Transforms that reorder statements (inner-loop fusion, moving a loop
 * last) ask `conflict` whether two runs may swap places.
 */
import * as b from "../ir/build.ts";
import type { Expr, Stmt } from "../ir/nodes.ts";
import { exprReads, lvalueReads, rootName, someExpr } from "../ir/visit.ts";

/** What a statement does to variables outside it (its own locals excluded). */
export interface Effects {
  reads: Set<string>;
  /** Overwritten (or declared). */
  writes: Set<string>;
  /** Only ever changed by `t += e` / `t -= e` where e does not read t: these commute. */
  adds: Set<string>;
  /** Touches a stack, calls a function, shrinks an array: never reordered. */
  barrier: boolean;
}

export function conflict(a: Effects, m: Effects): boolean {
  if (a.barrier || m.barrier) return true;
  const hits = (xs: Set<string>, ys: Set<string>) => [...xs].some((n) => ys.has(n));
  // Additions commute with additions; anything else touching the same name does not.
  return (
    hits(a.writes, m.reads) || hits(a.writes, m.writes) || hits(a.writes, m.adds) ||
    hits(m.writes, a.reads) || hits(m.writes, a.adds) ||
    hits(a.adds, m.reads) || hits(m.adds, a.reads)
  );
}

/**
 * `scoped`: the statements are a body of their own, so what they declare is private to
 * them; otherwise (a run of statements in a list) their declarations are writes.
 */
export function effectsOf(stmts: Stmt[], scoped = false): Effects {
  const out: Effects = { reads: new Set(), writes: new Set(), adds: new Set(), barrier: false };
  const locals = new Set<string>();
  const read = (e: Expr) => {
    if (someExpr(e, (x) => x.kind === "pop" || x.kind === "popBlock" || x.kind === "userCall")) out.barrier = true;
    exprReads(e, out.reads);
  };
  const visit = (list: Stmt[], depth: number) => {
    for (const s of list) {
      switch (s.kind) {
        case "declare":
          read(s.init);
          if (depth > 0 || scoped) locals.add(s.name);
          else out.writes.add(s.name);
          break;
        case "assign": {
          const root = rootName(s.target)!;
          lvalueReads(s.target, out.reads);
          const v = s.value;
          const add = v.kind === "binary" && (v.op === "+" || v.op === "-") && b.sameExpr(v.left, s.target as Expr) && !exprReads(v.right).has(root);
          if (add) {
            read(v.right);
            out.adds.add(root);
          } else {
            read(v);
            out.writes.add(root);
          }
          break;
        }
        case "if":
          read(s.test);
          visit(s.then, depth + 1);
          visit(s.else, depth + 1);
          break;
        case "loop":
          visit(s.init, depth + 1);
          if (s.test) read(s.test);
          visit(s.update, depth + 1);
          visit(s.body, depth + 1);
          break;
        case "block":
          visit(s.body, depth + 1);
          break;
        case "comment":
          break;
        default:
          out.barrier = true;
      }
    }
  };
  visit(stmts, 0);
  // Private names (a loop counter, whose `i = i + 1` is no commuting addition) are invisible outside.
  for (const n of locals) {
    out.reads.delete(n);
    out.writes.delete(n);
    out.adds.delete(n);
  }
  return out;
}
