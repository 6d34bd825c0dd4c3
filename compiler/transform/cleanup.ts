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
import { definedIn, exprReads, mapStmtExprs, mentionedNames as namesIn, rootName, someExpr, stmtExprs } from "../ir/visit.ts";

/**
 * The names a statement mentions (declares, reads, writes, appends to) and the names it
 * defines (declares or assigns), per statement object, computed once: the scans below ask
 * about every later statement for every candidate, which was quadratic in tree walks (a
 * 3000-statement function spent most of its compile time here).
 */
const mentioned = new WeakMap<Stmt, Set<string>>();
const defined = new WeakMap<Stmt, Set<string>>();

function mentionedNames(s: Stmt): Set<string> {
  let names = mentioned.get(s);
  if (!names) mentioned.set(s, (names = namesIn(s)));
  return names;
}

function definedNames(s: Stmt): Set<string> {
  let names = defined.get(s);
  if (!names) {
    // A call between counts as defining the arrays it may add into, even through a record
    // literal declared for it (a pullback and `{ v: buf_bar }`).
    defined.set(s, (names = definedIn([s])));
  }
  return names;
}

const mentions = (s: Stmt, name: string): boolean => mentionedNames(s).has(name);
const defines = (s: Stmt, name: string): boolean => definedNames(s).has(name);

/** Sorted positions of `list` at which each name is mentioned (or defined). */
function positionsBy(list: Stmt[], names: (s: Stmt) => Set<string>): Map<string, number[]> {
  const index = new Map<string, number[]>();
  list.forEach((s, k) => {
    for (const name of names(s)) {
      const at = index.get(name);
      if (at) at.push(k);
      else index.set(name, [k]);
    }
  });
  return index;
}

/** The first entry of a sorted list greater than `after`, as an index into the list. */
function firstAfter(sorted: number[], after: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `let v = 0; …; v += e` → `let v = e` (at the declaration, or at the increment when e reads
 * something computed in between). Positions stay fixed while it works (removed statements
 * become holes, moved comments wait in `before`), so an index of where each name is
 * mentioned finds every declaration's first use directly: linear in practice, where
 * scanning forward from every declaration was quadratic.
 */
function mergeIncrements(list: Stmt[]): Stmt[] {
  const out: (Stmt | null)[] = [...list];
  const mentionsAt = positionsBy(list, mentionedNames);
  const definesAt = positionsBy(list, definedNames);
  const before = new Map<number, Stmt[]>();
  const isMerged = (x: Stmt | null) => x !== null && x.kind === "declare" && x.mutable && !b.isNumber(x.init, 0);
  let firstMerged = out.findIndex(isMerged);
  /** The position of the nearest statement still there, from `from` on in direction `step`; -1 if none. */
  const liveAt = (from: number, step: 1 | -1): number => {
    for (let k = from; k >= 0 && k < out.length; k += step) if (out[k]) return k;
    return -1;
  };
  for (let i = 0; i < out.length; i++) {
    const d = out[i];
    if (!d || d.kind !== "declare" || !d.mutable || !b.isNumber(d.init, 0)) continue;
    const uses = mentionsAt.get(d.name) ?? [];
    let j = -1;
    for (let u = firstAfter(uses, i); u < uses.length; u++) {
      if (out[uses[u]!] && mentions(out[uses[u]!]!, d.name)) {
        j = uses[u]!;
        break;
      }
    }
    if (j < 0) continue;
    const s = out[j]!;
    if (s.kind !== "assign" || s.target.kind !== "var" || s.target.name !== d.name) continue;
    const added = b.addedBy(s);
    if (!added) continue;
    const reads = exprReads(added);
    // The added value moves up to the declaration: nothing in between may define what it reads.
    const definedBetween = (n: string) => {
      const defs = definesAt.get(n) ?? [];
      for (let u = firstAfter(defs, i); u < defs.length && defs[u]! < j; u++) if (out[defs[u]!] && defines(out[defs[u]!]!, n)) return true;
      return false;
    };
    if (![...reads].some((n) => n === d.name || definedBetween(n))) {
      out[i] = { ...d, init: added };
      out[j] = null;
      for (const n of reads) {
        const at = mentionsAt.get(n) ?? [];
        at.splice(firstAfter(at, i - 1), 0, i);
        mentionsAt.set(n, at);
      }
      if (firstMerged < 0 || i < firstMerged) firstMerged = i;
      // A source comment left with nothing under it moves up with the code it named,
      // above the first declaration that already took its value from a merge (or this one).
      const aboveAt = liveAt(j - 1, -1);
      const above = aboveAt >= 0 ? out[aboveAt]! : undefined;
      const below = out[liveAt(j + 1, 1)] ?? undefined;
      if (above?.kind === "comment" && (!below || below.kind === "comment")) {
        out[aboveAt] = null;
        const moved = before.get(firstMerged) ?? [];
        moved.push(above);
        before.set(firstMerged, moved);
      }
    } else if (!reads.has(d.name)) {
      // What it adds is computed in between (`const _t0 = …`): the declaration moves down
      // instead (nothing in between mentions v).
      out[j] = { ...d, init: added, span: s.span };
      out[i] = null;
      if (firstMerged < 0 || j < firstMerged) firstMerged = j;
    }
  }
  return out.flatMap((x, k) => [...(before.get(k) ?? []), ...(x ? [x] : [])]);
}

/**
 * The cleanup of a list that is a whole block of its own (a reverse loop's body, a branch):
 * what the block declares is gone when it ends (a loop's next iteration has a fresh
 * binding), anything else may be read after it.
 */
export function cleanupBlock(list: Stmt[]): Stmt[] {
  const own = new Set(list.flatMap((s) => (s.kind === "declare" ? [s.name] : [])));
  return cleanupStraightLine(list, (name) => !own.has(name));
}

/** `v = 0; v += e` → `v = e` (an adjoint reset, then its new value). */
function resetThenAdd(list: Stmt[]): Stmt[] {
  const out = [...list];
  for (let i = 0; i + 1 < out.length; i++) {
    const reset = out[i]!;
    const next = out[i + 1]!;
    if (reset.kind !== "assign" || !b.isNumber(reset.value, 0) || next.kind !== "assign" || !b.sameExpr(next.target as Expr, reset.target as Expr)) continue;
    const added = b.addedBy(next);
    if (!added || exprReads(added).has(rootName(reset.target)!)) continue;
    out.splice(i, 2, { ...next, value: added });
  }
  return out;
}

/**
 * `const g = v; v = e(g); x_bar += g * p;` → `x_bar += v * p; v = e(v);`: a copy of a
 * variable taken because the variable is reassigned while the copy is still read (an
 * adjoint updated from its old value, `p = p * x + c`'s `p_bar`). The reassignment moves
 * after the copy's last read when nothing it passes reads the variable or changes what
 * the reassignment reads; then every read of the copy reads the variable. A variable never
 * reassigned is read directly too.
 */
function readCopiesDirectly(list: Stmt[]): Stmt[] {
  // Positions where each name is mentioned or defined, so each copy looks only at the
  // statements between it and its last read; edits whose spans overlap an earlier accepted
  // one wait for the next round (spans are a few statements: one statement's adjoint).
  const mentionsAt = positionsBy(list, mentionedNames);
  const definesAt = positionsBy(list, definedNames);
  const edits = new Map<number, { v: string; g: string; j: number; last: number }>();
  let free = 0;
  for (let i = 0; i < list.length; i++) {
    const copy = list[i]!;
    if (i < free || copy.kind !== "declare" || copy.mutable || copy.init.kind !== "var") continue;
    const [g, v] = [copy.name, copy.init.name];
    // A record leaf (`grad.w`) is written through its root: only plain names are tracked here.
    if (v.includes(".")) continue;
    const uses = mentionsAt.get(g) ?? [];
    const last = uses[uses.length - 1]!;
    const defs = definesAt.get(v) ?? [];
    const next = firstAfter(defs, i);
    const j = next < defs.length ? defs[next]! : list.length;
    if (j < last) {
      const reassign = list[j]!;
      if (reassign.kind !== "assign" || reassign.target.kind !== "var" || reassign.target.name !== v || stmtExprs(reassign).some(hasPop)) continue;
      const reads = exprReads(reassign.value);
      const passed = list.slice(j + 1, last + 1);
      if (passed.some((x) => mentions(x, v) || [...definedNames(x)].some((n) => reads.has(n) || n === g))) continue;
    }
    edits.set(i, { v, g, j: j < last ? j : -1, last });
    free = last + 1;
  }
  if (edits.size === 0) return list;
  const out: Stmt[] = [];
  for (let i = 0; i < list.length; i++) {
    const edit = edits.get(i);
    if (!edit) {
      out.push(list[i]!);
      continue;
    }
    // v keeps its value from here to the copy's last read (the reassignment moves past it).
    const span = list.slice(i + 1, edit.last + 1).filter((_, k) => i + 1 + k !== edit.j);
    const moved = edit.j >= 0 ? [list[edit.j]!] : [];
    out.push(...mapStmtExprs([...span, ...moved], (e) => (e.kind === "var" && e.name === edit.g ? b.v(edit.v) : undefined)));
    i = edit.last;
  }
  return readCopiesDirectly(out);
}

function hasPop(e: Expr): boolean {
  return someExpr(e, (x) => x.kind === "pop");
}

export function cleanupStraightLine(list: Stmt[], liveAfter: (name: string) => boolean = () => false): Stmt[] {
  // (Reading a copy directly can bring a reset next to its addition: merge those again.)
  const out = resetThenAdd(readCopiesDirectly(resetThenAdd(mergeIncrements(list))));
  // v = 0 that nothing later reads (looking into if/else branches, not into loops); the
  // names the statements after i mention are gathered as i walks back.
  const later = new Set<string>();
  const readLater = (name: string) => later.has(name) || liveAfter(name);
  for (let i = out.length - 1; i >= 0; i--) {
    const s = out[i]!;
    if (s.kind === "if") {
      out[i] = { ...s, then: cleanupStraightLine(s.then, readLater), else: cleanupStraightLine(s.else, readLater) };
    } else if (s.kind === "assign" && s.target.kind === "var" && b.isNumber(s.value, 0) && !readLater(s.target.name)) {
      out.splice(i, 1);
      continue;
    }
    for (const name of mentionedNames(out[i]!)) later.add(name);
  }
  return out;
}
