/**
 * Whether statements read the value a number variable holds when they start, or overwrite
 * it first on every path (a dead value). Reverse mode asks it of a loop counter it would
 * save: a reverse loop that restores the counter at the top of each iteration never reads
 * the value the forward loop ended with, so that value needs no push and no pop.
 *
 * Conservative: anything it cannot follow (a declaration of the same name, a write into
 * part of it) counts as a read; a loop may run zero times; `break`, `continue` and `return`
 * end the path without a write.
 */
import type { Expr, Stmt } from "../ir/nodes.ts";
import { exprReads, stmtExprs } from "../ir/visit.ts";

type Use = "read" | "written" | "untouched";

/** True unless every path through `stmts` overwrites `name` before reading it, or never reads it. */
export function readsEntryValue(stmts: Stmt[], name: string): boolean {
  return firstUse(stmts, name) === "read";
}

function firstUse(stmts: Stmt[], name: string): Use {
  for (const s of stmts) {
    const use = stmtUse(s, name);
    if (use !== "untouched") return use;
    if (s.kind === "break" || s.kind === "continue" || s.kind === "return") return "untouched";
  }
  return "untouched";
}

function stmtUse(s: Stmt, name: string): Use {
  const reads = (e: Expr) => exprReads(e).has(name);
  switch (s.kind) {
    case "declare":
      return s.name === name || reads(s.init) ? "read" : "untouched";
    case "assign":
      if (s.target.kind === "var" && s.target.name === name) return reads(s.value) ? "read" : "written";
      return stmtExprs(s).some(reads) ? "read" : "untouched";
    case "if": {
      if (reads(s.test)) return "read";
      const [a, b] = [firstUse(s.then, name), firstUse(s.else, name)];
      if (a === "read" || b === "read") return "read";
      return a === "written" && b === "written" ? "written" : "untouched";
    }
    case "loop": {
      const init = firstUse(s.init, name);
      if (init !== "untouched") return init;
      if (s.form !== "doWhile" && s.test && reads(s.test)) return "read";
      const body = firstUse([...s.body, ...s.update], name);
      if (body === "read") return "read";
      if (s.form === "doWhile") return body === "written" ? "written" : s.test && reads(s.test) ? "read" : "untouched";
      // The body may not run: the value flows past the loop unless the loop wrote it.
      return "untouched";
    }
    case "block":
      return firstUse(s.body, name);
    default:
      return stmtExprs(s).some(reads) ? "read" : "untouched";
  }
}
