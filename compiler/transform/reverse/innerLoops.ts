/**
 * Inner-loop fusion inside a loop body that already runs its forward and reverse sweeps in
 * the same iteration (fusion.ts fuses the last loop that way):
 *
 *   let row = 0;                                   let row = 0;
 *   for (j = 0; j < n; j++) row += A[i][j] * x[j];  let row_bar = quad_bar * x[i];
 *   quad += x[i] * row;                     →      for (j = 0; j < n; j++) {
 *   let row_bar = quad_bar * x[i];                   row += A[i][j] * x[j];
 *   x_bar[i] += quad_bar * row;                      x_bar[j] += row_bar * A[i][j];
 *   for (j = n - 1; j >= 0; j--)                   }
 *     x_bar[j] += row_bar * A[i][j];               quad += x[i] * row;
 *                                                  x_bar[i] += quad_bar * row;
 *
 * An inner loop's reverse can run inside the inner loop itself when the adjoints it reads
 * (row_bar) are known before the loop, its iterations only add into adjoints nothing in
 * the forward loop reads, and the forward loop writes nothing it reads: one pass over A
 * instead of two, as a hand-written gradient does. Everything here is a dependence test on
 * variable names, so it is conservative: stack traffic, calls and array shrinks are
 * barriers, and anything unclear leaves the code as it was.
 */
import * as b from "../../ir/build.ts";
import type { Expr, Stmt } from "../../ir/nodes.ts";
import { conflict, effectsOf } from "../../analysis/effects.ts";
import { exprReads, rootName, stmtExprs } from "../../ir/visit.ts";
import { countedHeader, lastIndex, type IntegerTest } from "../../analysis/loops.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;

/** Comments sweeps.ts writes before a statement's adjoint: `line 28: …` or `file.ts:28`. */
const SOURCE_POINTER = /^(line \d+:|[\w.-]+:\d+$)/;

/** Applies the fusion to `stmts` and, recursively, to every nested statement list. */
export function fuseInnerLoops(stmts: Stmt[], isInteger: IntegerTest = () => false): Stmt[] {
  let list = stmts.map((s) => nested(s, isInteger));
  let fusedAny = false;
  for (let changed = true; changed; ) {
    changed = false;
    for (let q = 0; q < list.length && !changed; q++) {
      const reverse = list[q]!;
      if (reverse.kind !== "loop") continue;
      for (let p = q - 1; p >= 0 && !changed; p--) {
        const forward = list[p]!;
        if (forward.kind !== "loop" || !reverses(forward, reverse, isInteger)) continue;
        const fused = tryFuse(list, p, q, isInteger);
        if (fused) {
          list = fused;
          changed = fusedAny = true;
        }
      }
    }
  }
  // A comment left with nothing after it ("its reverse…" when all of it moved) goes too.
  while (fusedAny && list[list.length - 1]?.kind === "comment") list = list.slice(0, -1);
  return list;
}

function nested(s: Stmt, isInteger: IntegerTest): Stmt {
  switch (s.kind) {
    case "loop": return { ...s, body: fuseInnerLoops(s.body, isInteger) };
    case "if": return { ...s, then: fuseInnerLoops(s.then, isInteger), else: fuseInnerLoops(s.else, isInteger) };
    case "block": return { ...s, body: fuseInnerLoops(s.body, isInteger) };
    default: return s;
  }
}

/** `for (let j = a; j < e; j++)` and `for (let j = e - 1; j >= a; j--)` (and the other directions). */
function reverses(forward: Loop, reverse: Loop, isInteger: IntegerTest): boolean {
  const header = counted(forward, isInteger);
  const back = counted(reverse, isInteger);
  if (!header || !back || header.i !== back.i || header.up === back.up || header.stride !== back.stride) return false;
  // The reverse starts where the forward loop ended and runs down to (or up to) its start.
  return b.sameExpr(back.first, header.last) && (back.op === ">=" || back.op === "<=") && b.sameExpr(back.bound, header.first);
}

/** The counter, first and last index, direction and step of a counted loop. */
function counted(s: Loop, isInteger: IntegerTest): { i: string; first: Expr; last: Expr; op: string; bound: Expr; up: boolean; stride: number } | null {
  const header = countedHeader(s);
  if (!header) return null;
  const { i, init, op, bound, up, stride } = header;
  return { i, first: init.init, last: lastIndex(init.init, op, bound, isInteger, stride), op, bound, up, stride };
}

/**
 * Fuses list[p] (a forward loop) with list[q] (its reverse): the statements between them
 * that the reverse depends on move before the forward loop, the rest stay after it.
 */
function tryFuse(list: Stmt[], p: number, q: number, isInteger: IntegerTest): Stmt[] | null {
  const forward = list[p] as Loop;
  const reverse = list[q] as Loop;
  const between = list.slice(p + 1, q);
  // A source comment (`line 28: …`) belongs to the statement after it; other comments stay put.
  const units: Stmt[][] = [];
  let pending: Stmt[] = [];
  for (const s of between) {
    pending.push(s);
    if (s.kind !== "comment" || !SOURCE_POINTER.test(s.text)) {
      units.push(pending);
      pending = [];
    }
  }
  const effects = units.map((u) => effectsOf(u));
  const reverseEffects = effectsOf([reverse]);
  // The reverse loop's backward slice among the statements between: what writes or adds to
  // a name it reads, and what declares (writes) a name it adds into (`const c_bar = …`
  // before `c_bar[l] -= e`); additions into the same name commute and may stay.
  const moved = new Set<number>();
  const wanted = new Set(reverseEffects.reads);
  const bound = new Set(reverseEffects.adds);
  for (let k = units.length - 1; k >= 0; k--) {
    const e = effects[k]!;
    if (![...e.writes, ...e.adds].some((n) => wanted.has(n)) && ![...e.writes].some((n) => bound.has(n))) continue;
    moved.add(k);
    for (const n of e.reads) wanted.add(n);
    for (const n of e.adds) bound.add(n);
  }
  const movers = [...moved].map((k) => effects[k]!);
  for (const m of [...movers, reverseEffects]) if (m.barrier) return null;
  // A mover overtakes every statement that stays and came before it.
  for (let k = 0; k < units.length; k++) {
    if (moved.has(k)) continue;
    const later = [...[...moved].filter((j) => j > k).map((j) => effects[j]!), reverseEffects];
    if (later.some((m) => conflict(effects[k]!, m))) return null;
  }
  // The movers run before the forward loop now.
  const forwardEffects = effectsOf([forward]);
  if (movers.some((m) => conflict(forwardEffects, m))) return null;
  // One iteration of each, interleaved: the reverse body only adds into adjoints that the
  // forward body does not read, and reads nothing the forward body writes.
  const body = effectsOf(forward.body, true);
  const back = effectsOf(reverse.body, true);
  if (body.barrier || back.barrier || back.writes.size > 0) return null;
  const forwardWrites = new Set([...body.writes, ...body.adds]);
  if ([...back.reads, ...back.adds].some((n) => forwardWrites.has(n))) return null;
  if ([...back.adds].some((n) => body.reads.has(n) || back.reads.has(n))) return null;
  // The bounds are read once, at the forward loop: nothing up to the reverse loop changes them.
  const bounds = new Set<string>();
  for (const e of [...stmtExprs(forward.init[0]!), forward.test!]) exprReads(e, bounds);
  bounds.delete((forward.init[0] as { name: string }).name);
  const span = effectsOf(list.slice(p, q + 1));
  if ([...span.writes, ...span.adds].some((n) => bounds.has(n))) return null;

  // The reverse body recomputes forward locals it reads (`const diff = …`); in the same
  // iteration the forward body's own constant already holds that value.
  const assigned = new Set<string>();
  for (const s of [...forward.body, ...reverse.body]) if (s.kind === "assign") assigned.add(rootName(s.target)!);
  const held = new Map(forward.body.flatMap((s) => (s.kind === "declare" && !s.mutable && !assigned.has(s.name) ? [[s.name, s.init] as const] : [])));
  const dropped = new Set<string>();
  const reverseBody = reverse.body.filter((s) => {
    const same = s.kind === "declare" && held.has(s.name) && b.sameExpr(held.get(s.name)!, s.init);
    if (same) dropped.add(s.name);
    return !same;
  });
  const localNames = (stmts: Stmt[]) => new Set(stmts.flatMap((s) => (s.kind === "declare" ? [s.name] : [])));
  const forwardLocals = localNames(forward.body);
  const clash = [...localNames(reverseBody)].some((n) => forwardLocals.has(n));
  // A name the reverse body reads from outside that the forward body declares would be
  // captured by the forward body's local once the bodies are one.
  const outerReads = effectsOf(reverseBody, true).reads;
  if ([...outerReads].some((n) => forwardLocals.has(n) && !dropped.has(n))) return null;
  const tail: Stmt[] = clash ? [{ kind: "block", body: reverseBody }] : reverseBody;
  // The merged body may pair loops again (an innermost loop with its reverse).
  const fusedLoop: Loop = { ...forward, body: fuseInnerLoops([...forward.body, b.comment("its reverse, in the same iteration"), ...tail], isInteger) };
  const before = [...moved].sort((x, y) => x - y).flatMap((k) => units[k]!);
  const after = units.filter((_, k) => !moved.has(k)).flat();
  return [
    ...list.slice(0, p),
    ...(before.length ? [b.comment("adjoints the inner loop's reverse reads, known before it"), ...before] : []),
    fusedLoop,
    ...after,
    ...list.slice(q + 1),
  ];
}
