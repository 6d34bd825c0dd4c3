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
import { definedIn, exprReads, mapStmtExprs, mentionedNames as namesIn, readsVariable, rootName, someExpr, stmtExprs, walkStmts } from "../ir/visit.ts";

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

/** A statement's entry, its names read directly for the statements a reverse sweep is mostly made of. */
function entry(stmt: Stmt): Entry {
  switch (stmt.kind) {
    case "comment":
      return { stmt, mentions: NO_NAMES, defines: NO_NAMES };
    case "assign": {
      const mentions: string[] = [];
      readsInto(stmt.target as Expr, mentions);
      readsInto(stmt.value, mentions);
      return { stmt, mentions, defines: [rootName(stmt.target)!] };
    }
    case "declare":
      // A record literal's fields count as defined (definedIn).
      if (stmt.init.kind !== "record") {
        const mentions = [stmt.name];
        readsInto(stmt.init, mentions);
        return { stmt, mentions, defines: [stmt.name] };
      }
      break;
    default:
      break;
  }
  return { stmt, mentions: [...namesIn(stmt)], defines: [...definedIn([stmt])] };
}

/**
 * mentionedNames and definedIn of one statement, as the cleanup reads them (into arrays,
 * without a set in between; test/cleanup-reads.test.ts compares them).
 */
export function statementNames(stmt: Stmt): { mentions: readonly string[]; defines: readonly string[] } {
  const { mentions, defines } = entry(stmt);
  return { mentions, defines };
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
    case "call": case "userCall": for (let k = 0; k < e.args.length; k++) readsInto(e.args[k]!, names); return;
    case "conditional": readsInto(e.test, names); readsInto(e.whenTrue, names); readsInto(e.whenFalse, names); return;
    default:
      for (const n of exprReads(e)) if (!names.includes(n)) names.push(n);
  }
}

/** Appends `at` to the positions of `name`. */
function noteAt(index: Map<string, number[]>, name: string, at: number): void {
  const positions = index.get(name);
  if (positions) positions.push(at);
  else index.set(name, [at]);
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

/** `t += e` (`t -= e`): e, or null for any other statement (b.addedBy without negating: only its reads are asked for). */
function incrementTerm(s: Stmt): Expr | null {
  if (s.kind !== "assign" || s.value.kind !== "binary" || (s.value.op !== "+" && s.value.op !== "-") || !b.sameExpr(s.value.left, s.target as Expr)) return null;
  return s.value.right;
}

/**
 * `let v = 0; …; v += e` → `let v = e` (at the declaration, or at the increment when e reads
 * something computed in between). Positions stay fixed while it works (removed statements
 * become holes, moved comments wait in `before`), so an index of where each name is
 * mentioned finds every declaration's first use directly: linear in practice, where
 * scanning forward from every declaration was quadratic.
 */
function mergeIncrements(list: Entry[]): Entry[] {
  // Only the uses of these are asked for; the first declaration that already has a value
  // other than 0 is where comments left alone by a merge go.
  const zeros = new Set<string>();
  let firstMerged = -1;
  for (let k = 0; k < list.length; k++) {
    const s = list[k]!.stmt;
    if (s.kind !== "declare" || !s.mutable) continue;
    if (b.isNumber(s.init, 0)) zeros.add(s.name);
    else if (firstMerged < 0) firstMerged = k;
  }
  if (zeros.size === 0) return list;
  // Only what an increment of such a name adds is asked about (definedBetween): an edit
  // below only ever looks at an increment still there, as the list gave it.
  const addedReads = new Set<string>();
  for (let k = 0; k < list.length; k++) {
    const stmt = list[k]!.stmt;
    if (stmt.kind !== "assign" || stmt.target.kind !== "var" || !zeros.has(stmt.target.name)) continue;
    const added = incrementTerm(stmt);
    if (added) exprReads(added, addedReads);
  }
  // Where each of those is mentioned (defined), in one walk.
  const mentionsAt = new Map<string, number[]>();
  const definesAt = new Map<string, number[]>();
  for (let k = 0; k < list.length; k++) {
    const { mentions, defines } = list[k]!;
    for (let m = 0; m < mentions.length; m++) if (zeros.has(mentions[m]!)) noteAt(mentionsAt, mentions[m]!, k);
    if (addedReads.size > 0) for (let m = 0; m < defines.length; m++) if (addedReads.has(defines[m]!)) noteAt(definesAt, defines[m]!, k);
  }
  const out: (Entry | null)[] = list.slice();
  let before: Map<number, Entry[]> | null = null;
  for (let i = 0; i < out.length; i++) {
    const d = out[i]?.stmt;
    if (!d || !isZeroDeclaration(d)) continue;
    const uses = mentionsAt.get(d.name);
    if (!uses) continue;
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
    let blocked = false;
    for (const n of reads) {
      if (n === d.name || definedBetween(out, definesAt, n, i, j)) {
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
      const aboveAt = liveAt(out, j - 1, -1);
      const above = aboveAt >= 0 ? out[aboveAt]! : undefined;
      const belowAt = liveAt(out, j + 1, 1);
      const below = belowAt >= 0 ? out[belowAt]! : undefined;
      if (above?.stmt.kind === "comment" && (!below || below.stmt.kind === "comment")) {
        out[aboveAt] = null;
        before ??= new Map();
        const moved = before.get(firstMerged);
        if (moved) moved.push(above);
        else before.set(firstMerged, [above]);
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
    const moved = before?.get(k);
    if (moved) for (const x of moved) merged.push(x);
    const x = out[k];
    if (x) merged.push(x);
  }
  return merged;
}

/** Whether a statement strictly between positions `i` and `j` of `out` still defines `name` (`definesAt`: where the list defined it). */
function definedBetween(out: (Entry | null)[], definesAt: Map<string, number[]>, name: string, i: number, j: number): boolean {
  const defs = definesAt.get(name);
  if (!defs) return false;
  for (let u = firstAfter(defs, i); u < defs.length && defs[u]! < j; u++) if (out[defs[u]!]?.defines.includes(name)) return true;
  return false;
}

/** The position of the nearest statement still there, from `from` on in direction `step`; -1 if none. */
function liveAt(out: (Entry | null)[], from: number, step: 1 | -1): number {
  for (let k = from; k >= 0 && k < out.length; k += step) if (out[k]) return k;
  return -1;
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
  const own = new Set<string>();
  for (const s of list) if (s.kind === "declare") own.add(s.name);
  return cleanupStraightLine(list, (name) => !own.has(name));
}

/**
 * `v = 0; v += e` → `v = e` (an adjoint reset, then its new value), then, in the same walk
 * over what that gives, `let v = e1; v += e2` → `let v = e1 + e2` (`v -= e2`: `e1 - e2`):
 * the same two operations in the same order, the same bits; v then reads as the sum it is
 * (and is `const` when nothing writes it again: tidy.ts). `declare` false: the first only.
 */
function resetThenAdd(list: Entry[], declare: boolean): Entry[] {
  const out: Entry[] = [];
  let summed = false;
  for (let i = 0; i < list.length; i++) {
    let x = list[i]!;
    const reset = x.stmt;
    const next = list[i + 1]?.stmt;
    if (next && reset.kind === "assign" && b.isNumber(reset.value, 0) && next.kind === "assign" && b.sameExpr(next.target as Expr, reset.target as Expr)) {
      const added = b.addedBy(next);
      if (added && !readsVariable(added, rootName(reset.target)!)) {
        x = entry({ ...next, value: added });
        i++;
      }
    }
    // x follows the last statement given out: merged into it if that declares what x adds
    // to (and is not itself a merge: each declaration takes one increment, as in two walks).
    const sum: Stmt | null = declare && !summed && out.length > 0 ? declarationPlus(out[out.length - 1]!.stmt, x.stmt) : null;
    summed = sum !== null;
    if (sum) out[out.length - 1] = entry(sum);
    else out.push(x);
  }
  return out;
}

/** `let v = e1` followed by `v += e2` as one declaration, or null. */
function declarationPlus(decl: Stmt, next: Stmt): Stmt | null {
  if (
    decl.kind === "declare" &&
    decl.type.kind === "number" &&
    next.kind === "assign" &&
    next.target.kind === "var" &&
    next.target.name === decl.name &&
    next.value.kind === "binary" &&
    (next.value.op === "+" || next.value.op === "-") &&
    b.sameExpr(next.value.left, next.target as Expr) &&
    !readsVariable(next.value.right, decl.name) &&
    !hasPop(next.value.right)
  ) {
    return { ...decl, init: b.bin(next.value.op, decl.init, next.value.right) };
  }
  return null;
}
/**
 * `const g = v; v = e(g); x_bar += g * p;` → `x_bar += v * p; v = e(v);`: a copy of a
 * variable taken because the variable is reassigned while the copy is still read (an
 * adjoint updated from its old value, `p = p * x + c`'s `p_bar`). The reassignment moves
 * after the copy's last read when nothing it passes reads the variable or changes what
 * the reassignment reads; then every read of the copy reads the variable. A variable never
 * reassigned is read directly too. Repeated until a round changes nothing; a round that
 * edits every copy is the last (a rename never makes a copy: the next would find none).
 */
function readCopiesDirectly(list: Entry[]): Entry[] {
  for (;;) {
    const round = readCopiesOnce(list);
    if (round.list === list || round.everyCopy) return round.list;
    list = round.list;
  }
}

/** One round of readCopiesDirectly: `list` itself when nothing changed; `everyCopy` when each copy of the list was edited. */
function readCopiesOnce(list: Entry[]): { list: Entry[]; everyCopy: boolean } {
  // Positions where each copy is mentioned and each copied variable defined, so each copy
  // looks only at the statements between it and its last read; edits whose spans overlap
  // an earlier accepted one wait for the next round (spans are a few statements: one
  // statement's adjoint).
  const copies = new Set<string>();
  const copied = new Set<string>();
  let copyCount = 0;
  for (let k = 0; k < list.length; k++) {
    const stmt = list[k]!.stmt;
    if (stmt.kind === "declare" && !stmt.mutable && stmt.init.kind === "var") {
      copies.add(stmt.name);
      copied.add(stmt.init.name);
      copyCount++;
    }
  }
  if (copyCount === 0) return { list, everyCopy: false };
  const mentionsAt = new Map<string, number[]>();
  const definesAt = new Map<string, number[]>();
  for (let k = 0; k < list.length; k++) {
    const { mentions, defines } = list[k]!;
    for (let m = 0; m < mentions.length; m++) if (copies.has(mentions[m]!)) noteAt(mentionsAt, mentions[m]!, k);
    for (let m = 0; m < defines.length; m++) if (copied.has(defines[m]!)) noteAt(definesAt, defines[m]!, k);
  }
  const edits = new Map<number, { v: string; g: string; j: number; last: number }>();
  let free = 0;
  for (let i = 0; i < list.length; i++) {
    const copy = list[i]!.stmt;
    if (i < free || copy.kind !== "declare" || copy.mutable || copy.init.kind !== "var") continue;
    const g = copy.name;
    const v = copy.init.name;
    // A record leaf (`grad.w`) is written through its root: only plain names are tracked here.
    if (v.includes(".")) continue;
    const uses = mentionsAt.get(g)!;
    const last = uses[uses.length - 1]!;
    const defs = definesAt.get(v);
    const next = defs ? firstAfter(defs, i) : 0;
    const j = defs && next < defs.length ? defs[next]! : list.length;
    if (j < last) {
      const reassign = list[j]!.stmt;
      if (reassign.kind !== "assign" || reassign.target.kind !== "var" || reassign.target.name !== v || hasPop(reassign.target as Expr) || hasPop(reassign.value)) continue;
      const reads = exprReads(reassign.value);
      let blocked = false;
      for (let k = j + 1; k <= last && !blocked; k++) {
        const x = list[k]!;
        if (x.mentions.includes(v)) blocked = true;
        else for (let m = 0; m < x.defines.length; m++) if (reads.has(x.defines[m]!) || x.defines[m] === g) blocked = true;
      }
      if (blocked) continue;
    }
    edits.set(i, { v, g, j: j < last ? j : -1, last });
    free = last + 1;
  }
  if (edits.size === 0) return { list, everyCopy: false };
  // The edits come in order, none inside another's span.
  const out: Entry[] = [];
  let from = 0;
  edits.forEach((edit, i) => {
    for (let k = from; k < i; k++) out.push(list[k]!);
    // v keeps its value from here to the copy's last read (the reassignment moves past it).
    // Only statements that mention the copy change (the others are kept, names and all).
    const { g, j } = edit;
    for (let k = i + 1; k <= edit.last; k++) {
      if (k !== j) out.push(list[k]!.mentions.includes(g) ? renamed(list[k]!, g, edit.v) : list[k]!);
    }
    if (j >= 0) out.push(list[j]!.mentions.includes(g) ? renamed(list[j]!, g, edit.v) : list[j]!);
    from = edit.last + 1;
  });
  for (let k = from; k < list.length; k++) out.push(list[k]!);
  return { list: out, everyCopy: edits.size === copyCount };
}

/**
 * `x` with every read of `g` reading `v`. An assignment's or a declaration's names are
 * its old ones with g read as v (each name once, where it first occurs: what reading the
 * renamed statement gives); any other statement, or a declaration of g itself, is read
 * again.
 */
function renamed(x: Entry, g: string, v: string): Entry {
  const direct = (e: Expr) => (e.kind === "var" && e.name === g ? b.v(v) : undefined);
  const stmt = mapStmtExprs([x.stmt], direct)[0]!;
  if (!(stmt.kind === "assign" || (stmt.kind === "declare" && stmt.name !== g && stmt.init.kind !== "record"))) return entry(stmt);
  return { stmt, mentions: withName(x.mentions, g, v), defines: withName(x.defines, g, v) };
}

/** `names` with `g` read as `v`, each name once, where it first occurs. */
function withName(names: readonly string[], g: string, v: string): readonly string[] {
  if (!names.includes(g)) return names;
  const out: string[] = [];
  for (let k = 0; k < names.length; k++) {
    const n = names[k] === g ? v : names[k]!;
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

function hasPop(e: Expr): boolean {
  return someExpr(e, (x) => x.kind === "pop" || x.kind === "popBlock");
}

export function cleanupStraightLine(list: Stmt[], liveAfter: (name: string) => boolean = () => false): Stmt[] {
  const entries: Entry[] = [];
  for (let k = 0; k < list.length; k++) entries.push(entry(list[k]!));
  // (Reading a copy directly can bring a reset next to its addition: merged in the last walk.)
  const cleaned = resetThenAdd(readCopiesDirectly(resetThenAdd(mergeIncrements(entries), false)), true);
  // v = 0 that nothing later reads (looking into if/else branches, not into loops); the
  // names the statements after i mention are gathered as i walks back: only the resets'
  // targets, the only names asked about, unless a branch is cleaned (it asks about its own).
  let asked: Set<string> | null = new Set();
  for (let k = 0; k < cleaned.length && asked; k++) {
    const s = cleaned[k]!.stmt;
    if (s.kind === "if") asked = null;
    else if (s.kind === "assign" && s.target.kind === "var" && b.isNumber(s.value, 0)) asked.add(s.target.name);
  }
  // No reset left and no branch: nothing to drop.
  if (asked?.size === 0) return cleaned.map((x) => x.stmt);
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
    for (let m = 0; m < mentions.length; m++) if (!asked || asked.has(mentions[m]!)) later.add(mentions[m]!);
  }
  return kept.reverse();
}

/**
 * Names that every statement list reads (by exprReads of its statements' expressions, at
 * any depth, an assignment's target included) still after cleanupStraightLine: a lower
 * bound that needs no cleanup, for reverse mode's first fixpoint round, which only asks
 * what its reverse sweep reads. The cleanup only drops a `v = 0` (a var target, no reads),
 * a `let v = 0` (none) and a copy `const g = v` (whose uses then read v), moves or merges
 * `v += e` into a declaration of v (e's reads kept, v no longer read) and moves statements
 * otherwise unchanged; so a name read anywhere else than by a var assignment's target or
 * its own value, a copy, or as a copy's name, is read after it too. test/cleanup-reads.test.ts
 * checks kept ⊆ reads after cleanup ⊆ reads before on random lists.
 */
export function readsKeptByCleanup(list: Stmt[]): Set<string> {
  const kept = new Set<string>();
  const copies = new Set<string>();
  walkStmts(list, (s) => {
    if (s.kind === "declare" && !s.mutable && s.init.kind === "var") {
      copies.add(s.name);
    } else if (s.kind === "assign" && s.target.kind === "var") {
      const target = s.target.name;
      for (const n of exprReads(s.value)) if (n !== target) kept.add(n);
    } else {
      for (const e of stmtExprs(s)) exprReads(e, kept);
    }
  });
  for (const g of copies) kept.delete(g);
  return kept;
}
