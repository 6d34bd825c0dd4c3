/**
 * One binding per value in a block's reverse: two statements' adjoints that each bound the
 * same argument (`const _t3 = y + i` for one quotient, `const _t0 = y + i` for the other,
 * in one fused iteration) share the first binding, when nothing between the two writes
 * what it reads. Each statement's adjoint binds its own temporaries (expressions.ts,
 * bindTemp) without seeing the others'; this merges them once the block is assembled.
 *
 * Only temporaries bound for an adjoint (`bound`) are merged, at the block's top level,
 * and only pure values: arithmetic, the primitives' Math calls, variables and element
 * reads (forgotten at any element write). The same operations on the same doubles: the
 * same bits.
 */
import type { Expr, Stmt } from "../../ir/nodes.ts";
import { PRIMITIVES } from "../../ir/primitives.ts";
import { renameVariable } from "../../ir/rewrite.ts";
import { definedIn, exprReads, mapExpr, someExpr, stmtExprs, walkStmts } from "../../ir/visit.ts";

interface Binding {
  name: string;
  reads: Set<string>;
  memory: boolean;
}

/** `list` with each later binding of a value an earlier temporary of `bound` still holds dropped, and its reads renamed. */
export function shareBoundTemps(list: Stmt[], bound: ReadonlySet<string>): Stmt[] {
  // Nothing to share without two bindings: the list as it is, without the scan below (a
  // definedIn and a writesMemory walk per statement of a whole reverse sweep).
  let bindings = 0;
  for (let k = 0; k < list.length; k++) {
    const s = list[k]!;
    if (s.kind === "declare" && bound.has(s.name)) bindings++;
  }
  if (bindings < 2) return list;
  const held = new Map<string, Binding>();
  const alias = new Map<string, string>();
  const renames: { from: string; to: string }[] = [];
  const out: Stmt[] = [];
  for (const s of list) {
    if (s.kind === "declare" && !s.mutable && bound.has(s.name) && pure(s.init)) {
      const init = alias.size === 0 ? s.init : mapExpr(s.init, (x) => (x.kind === "var" && alias.has(x.name) ? { kind: "var", name: alias.get(x.name)! } : undefined));
      const key = JSON.stringify(init);
      const hit = held.get(key);
      if (hit) {
        alias.set(s.name, hit.name);
        renames.push({ from: s.name, to: hit.name });
        continue;
      }
      held.set(key, { name: s.name, reads: exprReads(init), memory: someExpr(init, (x) => x.kind === "index" || x.kind === "length" || x.kind === "field") });
      out.push(s);
      continue;
    }
    out.push(s);
    const written = definedIn([s]);
    const memory = writesMemory(s);
    if (written.size === 0 && !memory) continue;
    for (const [key, binding] of held) {
      if ((memory && binding.memory) || written.has(binding.name) || [...binding.reads].some((n) => written.has(n))) held.delete(key);
    }
  }
  if (renames.length === 0) return list;
  let renamed = out;
  for (const { from, to } of renames) renamed = renameVariable(renamed, from, to);
  return renamed;
}

/** Arithmetic of variables, numbers, element reads and the primitives' Math calls: nothing popped, nothing called that could write. */
function pure(e: Expr): boolean {
  return !someExpr(e, (x) => {
    switch (x.kind) {
      case "number": case "var": case "index": case "length": case "field": case "unary": return false;
      case "binary": return x.op === "&&" || x.op === "||";
      case "call": return !x.callee.startsWith("Math.") || PRIMITIVES[x.callee] === undefined;
      default: return true;
    }
  });
}

/** Whether `s` (nested statements included) may write an element or field of anything. */
function writesMemory(s: Stmt): boolean {
  let writes = false;
  walkStmts([s], (x) => {
    if (writes) return;
    if ((x.kind === "assign" && x.target.kind !== "var") || x.kind === "append" || x.kind === "shrink" || x.kind === "fillZero" || x.kind === "call" || x.kind === "push") writes = true;
    else if (stmtExprs(x).some((e) => someExpr(e, (y) => y.kind === "userCall" || y.kind === "cursorMove"))) writes = true;
  });
  return writes;
}
