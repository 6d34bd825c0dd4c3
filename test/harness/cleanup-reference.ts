/**
 * The reverse sweep's cleanup (compiler/transform/cleanup.ts) as it was before its passes
 * were fused (session 7): six passes, each a walk of its own. Kept only as the oracle of
 * test/cleanup-fused.test.ts, which checks the fused cleanup gives the same statements on
 * random lists. Not used by the compiler.
 */
import * as b from "../../compiler/ir/build.ts";
import type { Expr, Stmt } from "../../compiler/ir/nodes.ts";
import { definedIn, exprReads, mapStmtExprs, mentionedNames as namesIn, rootName, someExpr, stmtExprs } from "../../compiler/ir/visit.ts";

/**
 * A statement with the names it mentions (declares, reads, writes, appends to) and the
 * names it defines (declares or assigns), computed once per statement object: the scans
 * below ask about every later statement for every candidate (quadratic in tree walks when
 * recomputed; a 3000-statement function spent most of its compile time here). Kept in
 * arrays beside the list rather than a WeakMap keyed by statement: the lookups of a
 * 16,000-statement reverse sweep cost more than the walks. The names are arrays, each
 * name once: a statement has a few, and a reverse sweep tens of thousands of statements
 * (two sets per statement cost more than searching the arrays).
 */
interface Entry {
  stmt: Stmt;
  mentions: readonly string[];
  /** A call between counts as defining the arrays it may add into, even through a record literal declared for it (a pullback and `{ v: buf_bar }`). */
  defines: readonly string[];
}

const NO_NAMES: readonly string[] = [];

function entry(stmt: Stmt): Entry {
  const { mentions, defines } = statementNames(stmt);
  return { stmt, mentions, defines };
}

/**
 * mentionedNames and definedIn of one statement, read directly for the statements a reverse
 * sweep is mostly made of (test/cleanup-reads.test.ts compares them), into arrays without
 * a set in between.
 */
export function statementNames(stmt: Stmt): { mentions: readonly string[]; defines: readonly string[] } {
  switch (stmt.kind) {
    case "comment":
      return { mentions: NO_NAMES, defines: NO_NAMES };
    case "assign": {
      const mentions: string[] = [];
      readsInto(stmt.target as Expr, mentions);
      readsInto(stmt.value, mentions);
      return { mentions, defines: [rootName(stmt.target)!] };
    }
    case "declare":
      // A record literal's fields count as defined (definedIn).
      if (stmt.init.kind !== "record") {
        const mentions = [stmt.name];
        readsInto(stmt.init, mentions);
        return { mentions, defines: [stmt.name] };
      }
      break;
    default:
      break;
  }
  return { mentions: [...namesIn(stmt)], defines: [...definedIn([stmt])] };
}

/** exprReads into an array of distinct names (a statement reads a few: searching them beats a set per statement). */
function readsInto(e: Expr, names: string[]): void {
  switch (e.kind) {
    case "var":
      if (!names.includes(e.name)) names.push(e.name);
      return;
    case "number": case "boolean": case "string": case "pop": case "stackSize": case "stackBuffer": case "cursorMove": return;
    case "index": readsInto(e.object, names); readsInto(e.index, names); return;
    case "length": case "field": readsInto(e.object, names); return;
    case "unary": readsInto(e.operand, names); return;
    case "binary": case "sameObject": readsInto(e.left, names); readsInto(e.right, names); return;
    case "call": case "userCall": for (const a of e.args) readsInto(a, names); return;
    case "conditional": readsInto(e.test, names); readsInto(e.whenTrue, names); readsInto(e.whenFalse, names); return;
    default:
      for (const n of exprReads(e)) if (!names.includes(n)) names.push(n);
  }
}

/** Sorted positions of `list` at which each name of `only` is mentioned (or defined). */
function positionsBy(list: Entry[], names: "mentions" | "defines", only: ReadonlySet<string>): Map<string, number[]> {
  const index = new Map<string, number[]>();
  if (only.size === 0) return index;
  const mentions = names === "mentions";
  for (let k = 0; k < list.length; k++) {
    const entry = list[k]!;
    for (const name of mentions ? entry.mentions : entry.defines) {
      if (!only.has(name)) continue;
      const at = index.get(name);
      if (at) at.push(k);
      else index.set(name, [k]);
    }
  }
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
function mergeIncrements(list: Entry[]): Entry[] {
  // Only the uses of these are asked for.
  const zeros = new Set<string>();
  for (const { stmt } of list) if (isZeroDeclaration(stmt)) zeros.add(stmt.name);
  if (zeros.size === 0) return list;
  // Only what an increment of such a name adds is asked about (definedBetween): an edit
  // below only ever looks at an increment still there, as the list gave it.
  const addedReads = new Set<string>();
  for (const { stmt } of list) {
    if (stmt.kind !== "assign" || stmt.target.kind !== "var" || !zeros.has(stmt.target.name)) continue;
    const added = b.addedBy(stmt);
    if (added) exprReads(added, addedReads);
  }
  const out: (Entry | null)[] = [...list];
  const mentionsAt = positionsBy(list, "mentions", zeros);
  const definesAt = positionsBy(list, "defines", addedReads);
  const before = new Map<number, Entry[]>();
  const isMerged = (x: Entry | null) => x !== null && x.stmt.kind === "declare" && x.stmt.mutable && !b.isNumber(x.stmt.init, 0);
  let firstMerged = out.findIndex(isMerged);
  /** The position of the nearest statement still there, from `from` on in direction `step`; -1 if none. */
  const liveAt = (from: number, step: 1 | -1): number => {
    for (let k = from; k >= 0 && k < out.length; k += step) if (out[k]) return k;
    return -1;
  };
  for (let i = 0; i < out.length; i++) {
    const d = out[i]?.stmt;
    if (!d || !isZeroDeclaration(d)) continue;
    const uses = mentionsAt.get(d.name) ?? [];
    let j = -1;
    for (let u = firstAfter(uses, i); u < uses.length; u++) {
      if (out[uses[u]!]?.mentions.includes(d.name)) {
        j = uses[u]!;
        break;
      }
    }
    if (j < 0) continue;
    const s = out[j]!.stmt;
    if (s.kind !== "assign" || s.target.kind !== "var" || s.target.name !== d.name) continue;
    const added = b.addedBy(s);
    if (!added) continue;
    const reads = exprReads(added);
    // The added value moves up to the declaration: nothing in between may define what it reads.
    const definedBetween = (n: string) => {
      const defs = definesAt.get(n) ?? [];
      for (let u = firstAfter(defs, i); u < defs.length && defs[u]! < j; u++) if (out[defs[u]!]?.defines.includes(n)) return true;
      return false;
    };
    let blocked = false;
    for (const n of reads) {
      if (n === d.name || definedBetween(n)) {
        blocked = true;
        break;
      }
    }
    if (!blocked) {
      // (The index needs no update: it is only asked about positions after the declaration being looked at.)
      out[i] = entry({ ...d, init: added });
      out[j] = null;
      if (firstMerged < 0 || i < firstMerged) firstMerged = i;
      // A source comment left with nothing under it moves up with the code it named,
      // above the first declaration that already took its value from a merge (or this one).
      const aboveAt = liveAt(j - 1, -1);
      const above = aboveAt >= 0 ? out[aboveAt]! : undefined;
      const below = out[liveAt(j + 1, 1)] ?? undefined;
      if (above?.stmt.kind === "comment" && (!below || below.stmt.kind === "comment")) {
        out[aboveAt] = null;
        const moved = before.get(firstMerged) ?? [];
        moved.push(above);
        before.set(firstMerged, moved);
      }
    } else if (!reads.has(d.name)) {
      // What it adds is computed in between (`const _t0 = …`): the declaration moves down
      // instead (nothing in between mentions v).
      out[j] = entry({ ...d, init: added, span: s.span });
      out[i] = null;
      if (firstMerged < 0 || j < firstMerged) firstMerged = j;
    }
  }
  const merged: Entry[] = [];
  for (let k = 0; k < out.length; k++) {
    for (const moved of before.get(k) ?? []) merged.push(moved);
    if (out[k]) merged.push(out[k]!);
  }
  return merged;
}

/** `let v = 0`. */
function isZeroDeclaration(s: Stmt): s is Extract<Stmt, { kind: "declare" }> {
  return s.kind === "declare" && s.mutable && b.isNumber(s.init, 0);
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

/**
 * `let v = e1; v += e2` → `let v = e1 + e2` (`v -= e2`: `e1 - e2`): the same two operations
 * in the same order, the same bits; v then reads as the sum it is (and is `const` when
 * nothing writes it again: tidy.ts).
 */
function declareThenAdd(list: Entry[]): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < list.length; i++) {
    const decl = list[i]!.stmt;
    const next = list[i + 1]?.stmt;
    if (
      next &&
      decl.kind === "declare" &&
      decl.type.kind === "number" &&
      next.kind === "assign" &&
      next.target.kind === "var" &&
      next.target.name === decl.name &&
      next.value.kind === "binary" &&
      (next.value.op === "+" || next.value.op === "-") &&
      b.sameExpr(next.value.left, next.target as Expr) &&
      !exprReads(next.value.right).has(decl.name) &&
      !hasPop(next.value.right)
    ) {
      out.push(entry({ ...decl, init: b.bin(next.value.op, decl.init, next.value.right) }));
      i++;
      continue;
    }
    out.push(list[i]!);
  }
  return out;
}

/** `v = 0; v += e` → `v = e` (an adjoint reset, then its new value). */
function resetThenAdd(list: Entry[]): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < list.length; i++) {
    const reset = list[i]!.stmt;
    const next = list[i + 1]?.stmt;
    if (next && reset.kind === "assign" && b.isNumber(reset.value, 0) && next.kind === "assign" && b.sameExpr(next.target as Expr, reset.target as Expr)) {
      const added = b.addedBy(next);
      if (added && !exprReads(added).has(rootName(reset.target)!)) {
        out.push(entry({ ...next, value: added }));
        i++;
        continue;
      }
    }
    out.push(list[i]!);
  }
  return out;
}

/**
 * `const g = v; v = e(g); x_bar += g * p;` → `x_bar += v * p; v = e(v);`: a copy of a
 * variable taken because the variable is reassigned while the copy is still read (an
 * adjoint updated from its old value, `p = p * x + c`'s `p_bar`). The reassignment moves
 * after the copy's last read when nothing it passes reads the variable or changes what
 * the reassignment reads; then every read of the copy reads the variable. A variable never
 * reassigned is read directly too. Repeated until a round changes nothing.
 */
function readCopiesDirectly(list: Entry[]): Entry[] {
  for (;;) {
    const edited = readCopiesOnce(list);
    if (edited === list) return list;
    list = edited;
  }
}

/** One round of readCopiesDirectly; `list` itself when nothing changed. */
function readCopiesOnce(list: Entry[]): Entry[] {
  // Positions where each copy is mentioned and each copied variable defined, so each copy
  // looks only at the statements between it and its last read; edits whose spans overlap
  // an earlier accepted one wait for the next round (spans are a few statements: one
  // statement's adjoint).
  const copies = new Set<string>();
  const copied = new Set<string>();
  for (const { stmt } of list) {
    if (stmt.kind === "declare" && !stmt.mutable && stmt.init.kind === "var") {
      copies.add(stmt.name);
      copied.add(stmt.init.name);
    }
  }
  if (copies.size === 0) return list;
  const mentionsAt = positionsBy(list, "mentions", copies);
  const definesAt = positionsBy(list, "defines", copied);
  const edits = new Map<number, { v: string; g: string; j: number; last: number }>();
  let free = 0;
  for (let i = 0; i < list.length; i++) {
    const copy = list[i]!.stmt;
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
      const reassign = list[j]!.stmt;
      if (reassign.kind !== "assign" || reassign.target.kind !== "var" || reassign.target.name !== v || stmtExprs(reassign).some(hasPop)) continue;
      const reads = exprReads(reassign.value);
      let blocked = false;
      for (let k = j + 1; k <= last && !blocked; k++) {
        const x = list[k]!;
        if (x.mentions.includes(v)) blocked = true;
        else for (const n of x.defines) if (reads.has(n) || n === g) blocked = true;
      }
      if (blocked) continue;
    }
    edits.set(i, { v, g, j: j < last ? j : -1, last });
    free = last + 1;
  }
  if (edits.size === 0) return list;
  const out: Entry[] = [];
  for (let i = 0; i < list.length; i++) {
    const edit = edits.get(i);
    if (!edit) {
      out.push(list[i]!);
      continue;
    }
    // v keeps its value from here to the copy's last read (the reassignment moves past it).
    const span = list.slice(i + 1, edit.last + 1).filter((_, k) => i + 1 + k !== edit.j);
    if (edit.j >= 0) span.push(list[edit.j]!);
    // Only statements that mention the copy change (the others are kept, names and all).
    for (const x of span) {
      out.push(x.mentions.includes(edit.g) ? entry(mapStmtExprs([x.stmt], (e) => (e.kind === "var" && e.name === edit.g ? b.v(edit.v) : undefined))[0]!) : x);
    }
    i = edit.last;
  }
  return out;
}

function hasPop(e: Expr): boolean {
  return someExpr(e, (x) => x.kind === "pop" || x.kind === "popBlock");
}

export function cleanupStraightLine(list: Stmt[], liveAfter: (name: string) => boolean = () => false): Stmt[] {
  // (Reading a copy directly can bring a reset next to its addition: merge those again.)
  const cleaned = declareThenAdd(resetThenAdd(readCopiesDirectly(resetThenAdd(mergeIncrements(list.map(entry))))));
  // v = 0 that nothing later reads (looking into if/else branches, not into loops); the
  // names the statements after i mention are gathered as i walks back.
  const later = new Set<string>();
  const readLater = (name: string) => later.has(name) || liveAfter(name);
  const kept: Stmt[] = [];
  for (let i = cleaned.length - 1; i >= 0; i--) {
    let { stmt: s, mentions } = cleaned[i]!;
    if (s.kind === "if") {
      s = { ...s, then: cleanupStraightLine(s.then, readLater), else: cleanupStraightLine(s.else, readLater) };
      mentions = [...namesIn(s)];
    } else if (s.kind === "assign" && s.target.kind === "var" && b.isNumber(s.value, 0) && !readLater(s.target.name)) {
      continue;
    }
    kept.push(s);
    for (const name of mentions) later.add(name);
  }
  return kept.reverse();
}
