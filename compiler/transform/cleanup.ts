/**
 * Peephole cleanup of a straight-line statement list (the top level of a reverse sweep),
 * so the generated code has no dead statements:
 *
 * - `let v = 0; … v += e;` (or `v -= e`) with nothing touching v in between becomes
 *   `let v = e;` (`let v = -e;`), at the declaration or, when e reads something computed
 *   in between, at the increment
 * - `v = 0; v += e;` becomes `v = e;`
 * - `v = 0;` (an adjoint reset) that nothing after it reads is dropped; inside a block the
 *   same applies to a variable declared in that block.
 *
 * Only variables whose every use is visible in the list are touched, so loops and branches
 * keep their meaning.
 */
import * as b from "../ir/build.ts";
import type { Expr, Stmt } from "../ir/nodes.ts";
import { exprReads, rootName, stmtExprs, walkStmts } from "../ir/visit.ts";

function mentions(s: Stmt, name: string): boolean {
  let found = false;
  walkStmts([s], (x) => {
    if (found) return;
    if (x.kind === "declare" && x.name === name) found = true;
    if (x.kind === "append" && x.array === name) found = true;
    for (const e of stmtExprs(x)) if (exprReads(e).has(name)) found = true;
  });
  return found;
}

function defines(s: Stmt, name: string): boolean {
  let found = false;
  walkStmts([s], (x) => {
    if ((x.kind === "declare" && x.name === name) || (x.kind === "assign" && rootName(x.target) === name)) found = true;
  });
  return found;
}

export function cleanupStraightLine(list: Stmt[], liveAfter: (name: string) => boolean = () => false): Stmt[] {
  const out = [...list];
  // let v = 0; …; v += e   →   let v = e
  for (let i = 0; i < out.length; i++) {
    const d = out[i]!;
    if (d.kind !== "declare" || !d.mutable || !b.isNumber(d.init, 0)) continue;
    for (let j = i + 1; j < out.length; j++) {
      const s = out[j]!;
      const inc = s.kind === "assign" && s.target.kind === "var" && s.target.name === d.name && s.value.kind === "binary" && (s.value.op === "+" || s.value.op === "-") && b.sameExpr(s.value.left, b.v(d.name));
      const step = inc ? (s.value as Extract<Expr, { kind: "binary" }>) : null;
      const added = step ? (step.op === "+" ? step.right : b.neg(step.right)) : null;
      // The added value moves up to the declaration: nothing in between may define what it reads.
      const movable = added && ![...exprReads(added)].some((n) => n === d.name || out.slice(i + 1, j).some((x) => defines(x, n)));
      if (inc && movable) {
        out[i] = { ...d, init: added! };
        out.splice(j, 1);
        // A source comment left with nothing under it moves up with the code it named.
        const above = out[j - 1];
        const below = out[j];
        if (above?.kind === "comment" && (!below || below.kind === "comment")) {
          out.splice(j - 1, 1);
          // Above the first declaration that already took its value from a merge (or this one).
          const firstMerged = out.findIndex((x, k) => k <= i && x.kind === "declare" && x.mutable && !b.isNumber(x.init, 0));
          out.splice(firstMerged === -1 ? i : firstMerged, 0, above);
          i++;
        }
        break;
      }
      if (inc && added && !exprReads(added).has(d.name)) {
        // What it adds is computed in between (`const _t0 = …`): the declaration moves down
        // instead (nothing in between mentions v).
        out[j] = { ...d, init: added, span: s.span };
        out.splice(i, 1);
        i--;
        break;
      }
      if (mentions(s, d.name)) break;
    }
  }
  // v = 0; v += e   →   v = e   (an adjoint reset, then its new value)
  for (let i = 0; i + 1 < out.length; i++) {
    const reset = out[i]!;
    const next = out[i + 1]!;
    if (reset.kind !== "assign" || !b.isNumber(reset.value, 0) || next.kind !== "assign" || !b.sameExpr(next.target as Expr, reset.target as Expr)) continue;
    const step = next.value;
    if (step.kind !== "binary" || (step.op !== "+" && step.op !== "-") || !b.sameExpr(step.left, reset.target as Expr)) continue;
    if (exprReads(step.right).has(rootName(reset.target)!)) continue;
    out.splice(i, 2, { ...next, value: step.op === "+" ? step.right : b.neg(step.right) });
  }
  // v = 0 that nothing later reads (looking into if/else branches, not into loops)
  const readLater = (i: number, name: string) => out.slice(i + 1).some((later) => mentions(later, name)) || liveAfter(name);
  for (let i = out.length - 1; i >= 0; i--) {
    const s = out[i]!;
    if (s.kind === "if") {
      const live = (name: string) => readLater(i, name);
      out[i] = { ...s, then: cleanupStraightLine(s.then, live), else: cleanupStraightLine(s.else, live) };
      continue;
    }
    if (s.kind !== "assign" || s.target.kind !== "var" || !b.isNumber(s.value, 0)) continue;
    if (!readLater(i, rootName(s.target)!)) out.splice(i, 1);
  }
  return out;
}
