/**
 * The saving policy: how each value the reverse sweep reads comes back from the forward
 * sweep. Save it on a stack, recompute it, lift it to a scope both sweeps share, or record
 * the reads instead of the writes:
 *
 * - a variable the reverse sweep reads ("needed") that is overwritten: its old value is
 *   pushed before the assignment and popped right before the assignment's adjoint, if
 *   adjoint code that runs later reads it (to-be-recorded: mustSave);
 * - except a local number array whose elements are overwritten more often than adjoint
 *   code reads them (a scratch buffer reused per iteration): there the elements an
 *   adjoint reads are pushed just before its statement instead, and popped into
 *   temporaries ("recorded reads"; the strategy search chooses per array by counting pushes);
 * - a needed local of a branch outside every loop (or inside only the fused last loop),
 *   never reassigned: declared (`let t = 0`) before the statement of the function body (of
 *   the fused loop's body) that holds the branch and assigned where it was declared, so
 *   the reverse sweep reads it as the forward sweep left it, as by hand;
 * - a needed local of any other nested block (loop body, branch in a loop): recomputed at
 *   the top of the mirrored reverse block when its initializer only reads values that
 *   never change and calls nothing costlier than a push (rematerialization), otherwise
 *   pushed at the end of the forward block;
 * - the result of a costly call whose derivative reuses it (exp, tanh, sqrt…): pushed
 *   where the forward sweep computes it (kept in a local where that stays in scope), and
 *   a stable local that already holds a call's value is read instead of calling again.
 *
 * (Branch decisions and loop trip counts are the sweeps' own: sweeps.ts.)
 */
import { Codes, fail } from "../../diagnostics.ts";
import * as b from "../../ir/build.ts";
import type { Expr, LValue, Stmt } from "../../ir/nodes.ts";
import { exprReads, mapStmtExprs, mentionedNames, rootName, stmtExprs } from "../../ir/visit.ts";
import { readsEntryValue } from "../../analysis/entryValue.ts";
import { replaceExpr } from "../../ir/rewrite.ts";
import { isStable } from "../../analysis/variables.ts";
import { cleanupBlock } from "../cleanup.ts";
import { shareBoundTemps } from "./temps.ts";
import { adjointDeclaration, inScopeForReverse, lift, liftsHere, type Attempt, type ExprContext, type Generation, type Scope } from "./context.ts";
import type { DeferredSave, Plan, ReadLog, Swept } from "./types.ts";
import { cheapToRecompute, heldBy, occursUnconditionally, replaceUnder } from "./expressions.ts";

/**
 * To-be-recorded: an overwrite of `name` at the current position must save the old value
 * only if adjoint code that runs after this statement's adjoint reads it — a read at or
 * before this position, or one in a loop shared with it inside the variable's lifetime.
 */
export function mustSave(gen: Generation, attempt: Attempt, scope: Scope, name: string): boolean {
  return savesAt(gen.plan, name, attempt.order, scope.loops, attempt.declLoopDepth.get(name) ?? 0);
}

/** mustSave for the statement at `order` inside `loops`, of a variable declared inside `depth` loops. */
function savesAt(plan: Plan, name: string, order: number, loops: number[], depth: number): boolean {
  if (plan.recorded.has(name) || !plan.needed.has(name)) return false;
  const reads = plan.priorReads?.get(name);
  if (!plan.priorReads || !plan.tbr) return true;
  if (!reads) return false;
  return reads.some((r) => r.order <= order || commonPrefix(r.loops, loops) > depth);
}

/**
 * The save of the value an assignment to `target` overwrites, left to each round
 * (generateOnce, a straight-line body: no loop encloses the statement or a declaration):
 * marks where the push and the pop go, recorded in `saves`.
 */
export function deferSave(saves: DeferredSave[], attempt: Attempt, target: LValue): DeferredSave {
  const save: DeferredSave = {
    name: rootName(target)!,
    order: attempt.order,
    push: b.push("values", target as Expr),
    pop: b.assign(target, b.pop("values")),
    comment: [],
    fwdMark: b.comment("save"),
    revMark: b.comment("restore"),
  };
  saves.push(save);
  return save;
}

/**
 * The sweeps generated once with each save decided for `plan` as mustSave decides it: the
 * marks become the push and the pop or go, and `attempt` records what a save records
 * (the values stack, the pop's reads at the statement's position).
 */
export function fillSaves(saves: DeferredSave[], plan: Plan, attempt: Attempt, swept: Swept, marksMayStay = false): Swept {
  if (saves.length === 0) return swept;
  // Where the marks may stay (comments, which read nothing: a round that is never printed),
  // sweeps that save nothing are taken as they are.
  if (marksMayStay && !saves.some((save) => savesAt(plan, save.name, save.order, [], 0))) return swept;
  const marks = new Map<Stmt, Stmt[]>();
  for (const save of saves) {
    const saved = savesAt(plan, save.name, save.order, [], 0);
    marks.set(save.fwdMark, saved ? [save.push] : []);
    marks.set(save.revMark, saved ? [...save.comment, save.pop] : []);
    if (saved) {
      attempt.stacks.add("values");
      logReadsAt(attempt.readLog, save.order, [], [save.pop]);
    }
  }
  const filled = (list: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    for (let k = 0; k < list.length; k++) {
      const s = list[k]!;
      // (The marks are comments: only those are looked up.)
      const replaced = s.kind === "comment" ? marks.get(s) : undefined;
      if (replaced) for (let r = 0; r < replaced.length; r++) out.push(replaced[r]!);
      else out.push(s);
    }
    return out;
  };
  return { fwd: filled(swept.fwd), rev: filled(swept.rev) };
}

/** Notes where (program position, enclosing loops) adjoint code reads each variable: the next round's `priorReads`. */
export function logReads(attempt: Attempt, scope: Scope, stmts: Stmt[]): void {
  logReadsAt(attempt.readLog, attempt.order, scope.loops, stmts);
}

/**
 * logReads at `order` (a deferred save's reads are logged after the whole sweep's: the
 * order of a variable's reads is no one's concern, mustSave asks whether some read is
 * placed so, the fixpoint compares two rounds' logs built the same way).
 */
function logReadsAt(readLog: ReadLog, order: number, loops: number[], stmts: Stmt[]): void {
  const names = adjointReads(stmts, new Set<string>());
  if (names.size === 0) return;
  // One entry for every name read here (the log's entries are never changed, only added).
  const at = { order, loops: [...loops] };
  for (const name of names) {
    const list = readLog.get(name);
    if (list) list.push(at);
    else readLog.set(name, [at]);
  }
}

/** What adjoint statements read, nested ones included, in walkStmts' order: an assignment's target only for its index (`x_bar[i] = …` writes x_bar). */
function adjointReads(stmts: Stmt[], names: Set<string>): Set<string> {
  for (let k = 0; k < stmts.length; k++) {
    const s = stmts[k]!;
    switch (s.kind) {
      case "declare":
        exprReads(s.init, names);
        break;
      case "assign":
        if (s.target.kind !== "var") {
          const index = (s.target as { index?: Expr }).index;
          if (index) exprReads(index, names);
        }
        exprReads(s.value, names);
        break;
      case "comment":
        break;
      default: {
        const exprs = stmtExprs(s);
        for (let e = 0; e < exprs.length; e++) exprReads(exprs[e]!, names);
        if (s.kind === "if") {
          adjointReads(s.then, names);
          adjointReads(s.else, names);
        } else if (s.kind === "loop") {
          adjointReads(s.init, names);
          adjointReads(s.update, names);
          adjointReads(s.body, names);
        } else if (s.kind === "block") {
          adjointReads(s.body, names);
        }
      }
    }
  }
  return names;
}

function commonPrefix(a: number[], b: number[]): number {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
}

/** `push(name)` at the end of a forward block (a boolean goes on the control stack as 0 or 1). */
function save(attempt: Attempt, name: string, isBoolean: boolean): Stmt {
  if (isBoolean) {
    attempt.stacks.add("control");
    return b.push("control", { kind: "conditional", test: b.v(name), whenTrue: b.num(1), whenFalse: b.num(0) });
  }
  attempt.stacks.add("values");
  return b.push("values", b.v(name));
}

/** `const name = pop()` at the top of the mirrored reverse block (`rebuild`: see rebuildable). */
function restoreDeclaration(attempt: Attempt, s: Extract<Stmt, { kind: "declare" }>, rebuild: { rebuild?: Expr }): Stmt {
  if (s.type.kind === "boolean") {
    attempt.stacks.add("control");
    return b.declare(s.name, b.bin("===", b.pop("control"), b.num(1)), s.mutable, s.type);
  }
  attempt.stacks.add("values");
  return b.declare(s.name, { kind: "pop", stack: "values", ...rebuild }, s.mutable, s.type);
}

/**
 * `{ rebuild: e }` for a saved value `e` (a costly call's result) whose reads hold their
 * forward values in the reverse sweep where it is popped, once declared there (`available`):
 * the pop says so, and forward-over-reverse may rebuild the tangent from the popped value
 * instead of saving the tangent too (transform/forward.ts, rebuiltTangents). Otherwise nothing.
 */
function rebuildable(gen: Generation, e: Expr, available: Set<string>): { rebuild?: Expr } {
  return e.kind === "call" && recomputable(gen, e, available) ? { rebuild: e } : {};
}

/** True if `e` can be re-evaluated in the reverse sweep and give the forward value. */
export function recomputable(gen: Generation, e: Expr, available: Set<string>): boolean {
  const { info } = gen.input;
  if (e.kind === "length" && e.object.kind === "var") {
    // An array's length never changes; only the variable must still name the same array.
    const name = e.object.name;
    return (info.topLevel.has(name) || available.has(name)) && !info.reassigned.has(name);
  }
  switch (e.kind) {
    case "pop": return false;
    case "var": {
      if (e.name.startsWith("Math.")) return true;
      const stableTop = info.topLevel.has(e.name) && isStable(info, e.name);
      return stableTop || available.has(e.name);
    }
    case "index": return recomputable(gen, e.object, available) && recomputable(gen, e.index, available);
    case "length": case "field": return recomputable(gen, e.object, available);
    case "unary": return recomputable(gen, e.operand, available);
    case "binary": return recomputable(gen, e.left, available) && recomputable(gen, e.right, available);
    case "call": return e.args.every((a) => recomputable(gen, a, available));
    case "conditional":
      return recomputable(gen, e.test, available) && recomputable(gen, e.whenTrue, available) && recomputable(gen, e.whenFalse, available);
    case "number": case "boolean": return true;
    default: return false;
  }
}

/**
 * A nested block's (loop body's, branch's) needed locals, brought back at the top of its
 * mirrored reverse block: lifted to the enclosing scope, recomputed, or saved at the end of
 * the forward block and popped. Gives the forward block (lifted declarations become
 * assignments, saves appended) and the mirrored reverse block.
 */
export function bringBackLocals(gen: Generation, attempt: Attempt, scope: Scope, stmts: Stmt[], fwd: Stmt[], rev: Stmt[]): { fwd: Stmt[]; rev: Stmt[] } {
  const { input, plan, declaredOnce } = gen;
  const restored: Stmt[] = [];
  const stored: Extract<Stmt, { kind: "declare" }>[] = [];
  const rebuilds = new Map<string, { rebuild?: Expr }>();
  const lifted = new Set<string>();
  const available = new Set(scope.available);
  const adjoints: Stmt[] = [];
  // Locals the reverse sweep does not read but could recompute (`const x_dot = 1` of an
  // inlined JVP): a needed local whose initializer reads them is recomputed with them,
  // where it would otherwise be saved (particle's reverse over forward saved each tangent seed).
  const helpers = new Map<string, Extract<Stmt, { kind: "declare" }>>();
  const restoredNames = new Set<string>();
  const restore = (s: Extract<Stmt, { kind: "declare" }>): void => {
    for (const name of exprReads(s.init)) {
      const helper = helpers.get(name);
      if (helper && !restoredNames.has(name)) restore(helper);
    }
    restoredNames.add(s.name);
    restored.push({ ...s, mutable: false, span: undefined });
  };
  for (const s of stmts) {
    if (s.kind !== "declare") continue;
    const active = input.activity.active.has(s.name);
    const needed = plan.needed.has(s.name) || (active && s.type.kind === "array");
    if (!needed && s.type.kind === "number" && isStable(input.info, s.name) && recomputable(gen, s.init, available) && cheapToRecompute(s.init)) {
      helpers.set(s.name, s);
      available.add(s.name);
    }
    if (needed) {
      const stable = isStable(input.info, s.name);
      if (stable && liftsHere(scope) && s.type.kind !== "array" && declaredOnce.has(s.name)) {
        // The block runs at most once per run of the enclosing scope: its local can live
        // there, where the reverse sweep reads it as the forward left it.
        lifted.add(s.name);
        lift(scope, s.name, s.type);
        available.add(s.name);
      } else if (stable && recomputable(gen, s.init, available) && (s.type.kind === "array" || cheapToRecompute(s.init))) {
        restore(s);
        available.add(s.name);
      } else if (s.type.kind === "array") {
        fail(Codes.UnsupportedStatement, `local array '${s.name}' is needed by the reverse sweep; declare it at the top level of the function`, s.span ?? input.fn.span);
      } else {
        stored.push(s);
        // What the mirrored block has back once its locals are declared there (they are stable).
        if (stable) rebuilds.set(s.name, rebuildable(gen, s.init, available));
        if (stable) available.add(s.name);
      }
    }
    if (active) adjoints.push(...adjointDeclaration(gen, attempt, s, b.num(0)));
  }
  // A saved local whose value the mirrored block never reads (a while loop's counter, which
  // the reverse loop restores at the top of each iteration) is neither pushed nor popped;
  // if the block still assigns it, it is only declared there.
  const after = [...restored, ...adjoints, ...rev];
  const pushed = stored.filter((s) => readsEntryValue(after, s.name));
  const mentioned = new Set<string>();
  for (const s of after) mentionedNames(s, mentioned);
  const declaredOnly = stored.filter((s) => !pushed.includes(s) && mentioned.has(s.name)).map((s) => b.declare(s.name, s.type.kind === "boolean" ? { kind: "boolean", value: false } : b.num(0), true, s.type));
  for (const s of pushed) fwd.push(save(attempt, s.name, s.type.kind === "boolean"));
  const liftedFwd = lifted.size === 0 ? fwd : fwd.map((s): Stmt => (s.kind === "declare" && lifted.has(s.name) ? { kind: "assign", target: b.v(s.name) as LValue, value: s.init, span: s.span } : s));
  const pops = [...[...pushed].reverse().map((s) => ({ ...restoreDeclaration(attempt, s, rebuilds.get(s.name) ?? {}), span: undefined }) as Stmt), ...declaredOnly];
  // The mirrored block's own locals are dead after it; anything else may be read after it
  // (a loop's next iteration).
  return { fwd: liftedFwd, rev: cleanupBlock(shareBoundTemps([...pops, ...restored, ...adjoints, ...rev], attempt.boundTemps)) };
}

/** `const name = init` where the reverse sweep can see it; in a branch, a lifted `let`. */
function holdInScope(scope: Scope, name: string, init: Expr): Stmt {
  if (scope.nesting === 0) return b.declare(name, init);
  lift(scope, name, b.NUMBER);
  return b.assign(b.v(name) as LValue, init);
}

/**
 * Forward and reverse code of statement `s` for what its adjoint takes from the forward
 * sweep: the old value of an overwritten target (`restore`), recorded reads of arrays,
 * and the results of costly calls (`cx.storing`: pushed where the forward sweep computes
 * them, so the reverse sweep does not evaluate them again). Pushes happen in this order
 * before `s` (a call result that is the whole right-hand side of a declaration after it);
 * the reverse pops them in the opposite order before the adjoint. `atEnd`: the result's
 * seeding, which runs first in the reverse sweep.
 */
export function takeFromForward(
  cx: ExprContext,
  s: Extract<Stmt, { kind: "declare" | "assign" }>,
  adjoint: Stmt[],
  restore: { push: Stmt; pop: Stmt } | null,
  atEnd = false,
): { fwd: Stmt[]; pops: Stmt[]; adjoint: Stmt[] } {
  const { gen, attempt, scope } = cx;
  const calls = cx.storing ?? [];
  let value = s.kind === "declare" ? s.init : s.value;
  const hoisted: Stmt[] = [];
  const after: Stmt[] = [];
  const callPops: Stmt[] = [];
  const afterPops: Stmt[] = [];
  const recompute: Stmt[] = [];
  // Where each stored result is read from in the adjoint: the name the adjoint gave it,
  // which the forward sweep's temporary takes too (held in scope, or pushed and popped
  // under that one name), or a local that already holds it.
  const results = new Map<string, Expr>();
  for (const call of calls) {
    if (call.guard.length > 0) {
      // Under a condition: `const _t = s > 0 ? Math.exp(-s) : 0`, the branch of the value
      // reads _t; where the call is not in that branch of the value, the adjoint computes
      // it under the same condition instead.
      const condition = call.guard.map((c) => (c.taken ? c.test : b.not(c.test))).reduce((x, y) => b.and(x, y));
      const guarded: Expr = { kind: "conditional", test: condition, whenTrue: call.whole, whenFalse: b.num(0) };
      const replaced = replaceUnder(value, call.guard, call.whole, b.v(call.name));
      if (replaced) {
        hoisted.push(holdInScope(scope, call.name, guarded));
        value = replaced;
        results.set(call.name, b.v(call.name));
      } else {
        recompute.push(b.declare(call.name, guarded));
      }
      continue;
    }
    if (s.kind === "declare" && b.sameExpr(call.whole, value) && isStable(gen.input.info, s.name)) {
      // `const e = Math.exp(x)`: e holds the result, and comes back for the reverse sweep
      // like any other local it reads.
      results.set(call.name, b.v(s.name));
      continue;
    }
    if (inScopeForReverse(scope)) {
      if (occursUnconditionally(value, call.whole)) {
        hoisted.push(holdInScope(scope, call.name, call.whole));
        value = replaceExpr(value, call.whole, b.v(call.name));
        results.set(call.name, b.v(call.name));
      } else {
        recompute.push(b.declare(call.name, call.whole));
      }
      continue;
    }
    // The pops go where the adjoint is, which sees what the statement sees.
    const rebuild = rebuildable(gen, call.whole, scope.available);
    if (s.kind === "declare" && b.sameExpr(call.whole, value)) {
      // `const e = Math.exp(x)`: e itself is the result.
      after.push(b.push("values", b.v(s.name)));
      afterPops.push({ kind: "declare", name: call.name, type: b.NUMBER, init: { kind: "pop", stack: "values", of: s.name, ...rebuild }, mutable: false });
    } else if (occursUnconditionally(value, call.whole)) {
      // One name from the push to the pop: the forward sweep's temporary is the adjoint's.
      hoisted.push(b.declare(call.name, call.whole), b.push("values", b.v(call.name)));
      value = replaceExpr(value, call.whole, b.v(call.name));
      callPops.push({ kind: "declare", name: call.name, type: b.NUMBER, init: { kind: "pop", stack: "values", of: call.name, ...rebuild }, mutable: false });
    } else {
      recompute.push(b.declare(call.name, call.whole));
      continue;
    }
    attempt.stacks.add("values");
    attempt.poppedTemps.add(call.name);
    results.set(call.name, b.v(call.name));
  }
  // The adjoint reads the stored result, wherever the call appears in it, and a local that
  // already holds a call's value (or a quotient's) instead of computing it again.
  // (Nothing to look for when nothing was stored and no local holds a value here.)
  if (results.size > 0 || calls.length > 0 || scope.callLocals.some((held) => held.size > 0)) {
    adjoint = mapStmtExprs(adjoint, (x) => {
      if (x.kind === "var") return results.get(x.name);
      for (const c of calls) if (c.guard.length === 0 && b.sameExpr(c.whole, x)) return results.get(c.name);
      return heldBy(scope.callLocals, x);
    });
  }
  // The result's seeding runs first in the reverse sweep, when every variable and array
  // still holds its final value: nothing to record, no read that asks for a restore.
  const withRecomputed = recompute.length > 0 ? recompute.concat(adjoint) : adjoint;
  const recorded = atEnd ? { before: [], pops: [], adjoint: withRecomputed } : recordReads(gen, attempt, withRecomputed);
  if (!atEnd) logReads(attempt, scope, recorded.adjoint);
  const stmt: Stmt = s.kind === "declare" ? { ...s, init: value } : { ...s, value };
  return {
    // (concat, not spreads: this runs for every statement, mostly with empty lists.)
    fwd: restore ? recorded.before.concat(hoisted, restore.push, stmt, after) : recorded.before.concat(hoisted, stmt, after),
    pops: restore ? afterPops.reverse().concat(restore.pop, callPops.reverse(), recorded.pops) : afterPops.reverse().concat(callPops.reverse(), recorded.pops),
    adjoint: recorded.adjoint,
  };
}

/**
 * Recorded reads: the elements of `plan.recorded` arrays that a statement's adjoint reads
 * are pushed just before the statement and popped into temporaries the adjoint reads
 * instead, so the array itself never has to be restored.
 */
export function recordReads(gen: Generation, attempt: Attempt, adjoint: Stmt[]): { before: Stmt[]; pops: Stmt[]; adjoint: Stmt[] } {
  const { recorded } = gen.plan;
  if (recorded.size === 0) return { before: [], pops: [], adjoint };
  const slots = new Map<string, { name: string; value: Expr }>();
  const rewritten = mapStmtExprs(adjoint, (x) => {
    if (x.kind !== "index" || x.object.kind !== "var" || !recorded.has(x.object.name)) return undefined;
    const key = JSON.stringify(x);
    let slot = slots.get(key);
    if (!slot) {
      const at = x.index.kind === "var" ? x.index.name : x.index.kind === "number" && Number.isInteger(x.index.value) ? String(x.index.value) : "at";
      const base = `${x.object.name}_${at}`;
      slot = { name: attempt.namer.fresh(base), value: x };
      slots.set(key, slot);
      attempt.poppedTemps.add(slot.name);
    }
    return b.v(slot.name);
  });
  if (slots.size === 0) return { before: [], pops: [], adjoint };
  attempt.stacks.add("values");
  const list = [...slots.values()];
  return {
    before: list.map((slot) => b.push("values", slot.value)),
    pops: [...list].reverse().map((slot) => b.declare(slot.name, { kind: "pop", stack: "values", of: rootName(slot.value)! })),
    adjoint: rewritten,
  };
}
