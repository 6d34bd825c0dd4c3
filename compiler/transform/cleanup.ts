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

/**
 * The names a statement mentions (declares, reads, writes, appends to) and the names it
 * defines (declares or assigns), per statement object, computed once: the scans below ask
 * about every later statement for every candidate, which was quadratic in tree walks (a
 * 3000-statement function spent most of its compile time here).
 */
const mentioned = new WeakMap<Stmt, Set<string>>();
const defined = new WeakMap<Stmt, Set<string>>();

function mentions(s: Stmt, name: string): boolean {
  let names = mentioned.get(s);
  if (!names) {
    const found = new Set<string>();
    walkStmts([s], (x) => {
      if (x.kind === "declare") found.add(x.name);
      if (x.kind === "append") found.add(x.array);
      for (const e of stmtExprs(x)) exprReads(e, found);
    });
    mentioned.set(s, (names = found));
  }
  return names.has(name);
}

function defines(s: Stmt, name: string): boolean {
  let names = defined.get(s);
  if (!names) {
    const found = new Set<string>();
    walkStmts([s], (x) => {
      if (x.kind === "declare") found.add(x.name);
      if (x.kind === "assign") found.add(rootName(x.target)!);
    });
    defined.set(s, (names = found));
  }
  return names.has(name);
}

function definedBetween(list: Stmt[], from: number, to: number, name: string): boolean {
  for (let k = from; k < to; k++) if (defines(list[k]!, name)) return true;
  return false;
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
      const movable = added && ![...exprReads(added)].some((n) => n === d.name || definedBetween(out, i + 1, j, n));
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
  // v = 0 that nothing later reads (looking into if/else branches, not into loops); the
  // names the statements after i mention are gathered as i walks back.
  const later = new Set<string>();
  const readLater = (name: string) => later.has(name) || liveAfter(name);
  const gather = (s: Stmt) => {
    walkStmts([s], (x) => {
      if (x.kind === "declare") later.add(x.name);
      if (x.kind === "append") later.add(x.array);
      for (const e of stmtExprs(x)) exprReads(e, later);
    });
  };
  for (let i = out.length - 1; i >= 0; i--) {
    const s = out[i]!;
    if (s.kind === "if") {
      out[i] = { ...s, then: cleanupStraightLine(s.then, readLater), else: cleanupStraightLine(s.else, readLater) };
    } else if (s.kind === "assign" && s.target.kind === "var" && b.isNumber(s.value, 0) && !readLater(s.target.name)) {
      out.splice(i, 1);
      continue;
    }
    gather(out[i]!);
  }
  return out;
}
