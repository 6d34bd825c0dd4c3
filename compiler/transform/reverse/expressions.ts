/**
 * Expression adjoints: the statements that add `g · d(e)` to the adjoints of an
 * expression's active inputs, from the primitives table (partials), the product rule, the
 * quotient written as a careful human would, and user-supplied or shared pullbacks.
 *
 * Takes: an expression, the adjoint `g` flowing into it, and the statement's ExprContext.
 * Gives: adjoint statements appended to `out`; temporaries for values used twice; costly
 * call results the adjoint reads collected in `cx.storing` (saving.ts decides where they
 * come from).
 */
import { Codes, fail } from "../../diagnostics.ts";
import * as b from "../../ir/build.ts";
import type { Expr, LValue, Stmt, ValueType } from "../../ir/nodes.ts";
import { mapExpr, readsVariable, rootName, walkExpr } from "../../ir/visit.ts";
import { isCheapCall, isCostlyOtherwise, PRIMITIVES, reusesCostlyResult } from "../../ir/primitives.ts";
import { replaceExpr, substituteVar } from "../../ir/rewrite.ts";
import { isDifferentiable, leafPaths } from "../../ir/types.ts";
import { productFactors, productPartials } from "../products.ts";
import { adjointOf, inScopeForReverse, type ExprContext, type Guard } from "./context.ts";

const ANS = "\u0000ans"; // placeholder for a rule's result, substituted by a temporary

/** Appends to `out` the statements that add `g` times d(e) to the adjoints of e's active inputs. */
export function contrib(cx: ExprContext, e: Expr, g: Expr, out: Stmt[]): void {
  const { activity } = cx.gen.input;
  if (!activity.isActive(e)) return;
  switch (e.kind) {
    case "var":
    case "index":
      out.push(...b.increment(adjointOf(cx.gen, cx.attempt, e), g));
      return;
    case "unary":
      if (e.op === "-") contrib(cx, e.operand, b.neg(g), out);
      else if (e.op === "+") contrib(cx, e.operand, g, out);
      return;
    case "binary": {
      // More than two factors, or one squared: the product rule over all of them at once
      // (asked without listing the factors of every other product).
      if (e.op === "*" && (isProduct(e.left) || isProduct(e.right) || b.sameExpr(e.left, e.right))) {
        const parts = productPartials(productFactors(e)!).filter((p) => activity.isActive(p.factor));
        if (parts.length > 1 && !b.isTrivial(g)) g = bindTemp(cx, g, out);
        for (const p of parts) contrib(cx, p.factor, b.mul(g, p.partial), out);
        return;
      }
      applyRule(cx, e.op, [e.left, e.right], e, g, out);
      return;
    }
    case "call":
      applyRule(cx, e.callee, e.args, e, g, out);
      return;
    case "userCall":
      customRule(cx, e, g, out);
      return;
    case "conditional": {
      // Each branch's adjoint runs under its condition, with temporaries of its own.
      const branch = (taken: boolean, x: Expr): Stmt[] => {
        const stmts: Stmt[] = [];
        contrib({ ...cx, temps: [...cx.temps, new Map()], guard: [...cx.guard, { test: e.test, taken }] }, x, g, stmts);
        return stmts;
      };
      const whenTrue = branch(true, e.whenTrue);
      const whenFalse = branch(false, e.whenFalse);
      out.push({ kind: "if", test: e.test, then: whenTrue, else: whenFalse });
      return;
    }
    default:
      fail(Codes.InternalError, `reverse mode cannot differentiate a '${e.kind}' expression`, cx.gen.input.fn.span);
  }
}

/**
 * A call with a user-supplied VJP: `rule(args…, g, record)` adds the adjoints of array
 * arguments straight into their adjoint arrays (the record's fields alias them) and
 * leaves scalar adjoints in the record, from where they flow on to the arguments.
 */
function customRule(cx: ExprContext, e: Extract<Expr, { kind: "userCall" }>, g: Expr, out: Stmt[]): void {
  const { input } = cx.gen;
  const rule = e.rule;
  if (!rule) fail(Codes.InternalError, `call to '${e.callee}' was not inlined`, e.span ?? input.fn.span);
  // A generated pullback is specialized to the arguments that are active at this call.
  // An object passed whole (`decay(p)`, `decay(layers)`) is active when one of its fields is.
  const active = (arg: Expr, type: ValueType): boolean =>
    type.kind === "record" && arg.kind === "var" ? leafPaths(arg.name, type).some((l) => input.activity.isActive(b.v(l.path))) : input.activity.isActive(arg);
  const wanted = rule.params.filter((p, k) => isDifferentiable(p.type) && (!rule.generated || active(e.args[k]!, p.type)));
  if (wanted.length === 0) return;
  let name = rule.name;
  if (rule.generated) {
    const all = rule.params.filter((p) => isDifferentiable(p.type)).length === wanted.length;
    name = all ? rule.name : `${rule.name}_${wanted.map((p) => p.name).join("_")}`;
    if (!cx.attempt.pullbacks.some((p) => p.name === name)) {
      cx.attempt.pullbacks.push({ callee: e.callee, span: e.span ?? input.fn.span, wrt: wanted.map((p) => p.name), name });
    }
  }
  const record = cx.attempt.namer.temp();
  const fields = wanted.map((p) => ({ name: p.name, value: adjointSlot(cx, e.args[rule.params.indexOf(p)]!, p.type) }));
  out.push({ kind: "declare", name: record, type: { kind: "opaque", text: "" }, init: { kind: "record", fields }, mutable: false });
  out.push({ kind: "call", callee: name, args: [...e.args, g, b.v(record)] });
  rule.params.forEach((p, k) => {
    if (p.type.kind === "number" && wanted.includes(p)) contrib(cx, e.args[k]!, b.field(b.v(record), p.name), out);
  });
}

/** Where a rule adds an argument's adjoint: the argument's own adjoint array, or a scratch zero value. */
function adjointSlot(cx: ExprContext, arg: Expr, type: ValueType): Expr {
  if (type.kind === "number") return b.num(0);
  if (type.kind === "record" && arg.kind === "var") {
    return { kind: "record", fields: type.fields.map((f) => ({ name: f.name, value: adjointSlot(cx, b.v(`${arg.name}.${f.name}`), f.type) })) };
  }
  if (cx.gen.input.activity.isActive(arg) && (arg.kind === "var" || arg.kind === "index")) return adjointOf(cx.gen, cx.attempt, arg) as Expr;
  return { kind: "zerosLike", type, like: arg };
}

function applyRule(cx: ExprContext, primitive: string, args: Expr[], whole: Expr, g: Expr, out: Stmt[]): void {
  const original = args;
  const rule = PRIMITIVES[primitive];
  if (!rule) fail(Codes.UnsupportedExpression, `no derivative rule for '${primitive}'`, cx.gen.input.fn.span);
  const { activity } = cx.gen.input;
  if (primitive === "/" && activity.isActive(args[0]!)) {
    quotient(cx, args[0]!, args[1]!, activity.isActive(args[1]!), g, out);
    return;
  }
  const partials = rule.partials(args, () => b.v(ANS));
  const used: (Expr | null)[] = [];
  let count = 0;
  for (let k = 0; k < args.length; k++) {
    const partial = activity.isActive(args[k]!) && partials[k] ? partials[k]! : null;
    used.push(partial);
    if (partial) count++;
  }
  if (count === 0) return;
  if (count > 1 && !b.isTrivial(g)) g = bindTemp(cx, g, out);
  // An argument the partials mention more than once (b in -a/(b·b)) is evaluated once. The
  // partials are written out (as JSON, to count an argument's occurrences) only once an
  // argument could need it, and again after each binding.
  let usedTexts: string[] | null = null;
  let longest = 0;
  for (let k = 0; k < args.length; k++) {
    const arg = args[k]!;
    if (isCheap(arg)) continue;
    if (!usedTexts) {
      usedTexts = used.map((p) => (p ? JSON.stringify(p) : ""));
      longest = Math.max(...usedTexts.map((t) => t.length));
    }
    // A partial shorter than the argument cannot hold it (1 and 1 of a long sum's +): not written out.
    if (!textAtMost(arg, longest)) continue;
    const text = JSON.stringify(arg);
    let uses = 0;
    for (const t of usedTexts) uses += occurrences(t, text);
    // A call argument is bound too: its own rule will want its value again (exp, tanh, sqrt…).
    if (uses > 1 || (uses === 1 && arg.kind === "call" && used[k] !== null)) {
      const bound = bindTemp(cx, arg, out);
      for (let j = 0; j < used.length; j++) if (used[j]) used[j] = replaceExpr(used[j]!, arg, bound);
      usedTexts = null;
      args = args.map((a, j) => (j === k ? bound : a));
    }
  }
  let ans: Expr | null = null;
  for (let k = 0; k < args.length; k++) {
    let partial = used[k];
    if (!partial) continue;
    if (readsVariable(partial, ANS)) {
      ans ??= bindTemp(cx, whole, out);
      partial = substituteVar(partial, ANS, ans);
    }
    contrib(cx, original[k]!, b.mul(g, partial), out);
  }
}

/**
 * a / b: the table's partials 1/b and -a/b², evaluated as t = g/b, a gets t, b gets
 * -t·(a/b): one division by b instead of two plus a square, and a/b itself is read from
 * a local that holds it where there is one (`v0` for r0 / θ).
 */
function quotient(cx: ExprContext, a: Expr, divisor: Expr, divisorActive: boolean, g: Expr, out: Stmt[]): void {
  const bound = (e: Expr) => (isCheap(e) ? e : bindTemp(cx, e, out));
  const held = heldBy(cx.callLocals, b.bin("/", a, divisor));
  const denominator = divisorActive ? bound(divisor) : divisor;
  const ratio = held ?? (divisorActive ? b.div(bound(a), denominator) : null);
  const t = divisorActive ? bindTemp(cx, b.div(g, denominator), out) : b.div(g, denominator);
  contrib(cx, a, t, out);
  if (divisorActive) contrib(cx, divisor, b.neg(b.mul(t, ratio!)), out);
}

/** The stable local that already holds `x`'s value (a call's or a quotient's) here, if any (`callLocals`). */
export function heldBy(callLocals: Map<string, string>[], x: Expr): Expr | undefined {
  if (!worthReusing(x)) return undefined;
  const key = JSON.stringify(x);
  for (let k = callLocals.length - 1; k >= 0; k--) {
    const name = callLocals[k]!.get(key);
    if (name) return b.v(name);
  }
  return undefined;
}

/** Adjoint statements with consecutive `t += e1; t += e2` merged into `t += e1 + e2`. */
export function accumulate(stmts: Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmts) {
    const prev = out[out.length - 1];
    const inc = incrementOf(s);
    const prevInc = prev && incrementOf(prev);
    if (inc && prevInc && b.sameExpr(inc.target as Expr, prevInc.target as Expr) && !readsVariable(inc.term, rootName(inc.target)!)) {
      const term = b.sameExpr(inc.term, prevInc.term) ? b.mul(b.num(2), inc.term) : b.add(prevInc.term, inc.term);
      out[out.length - 1] = b.assign(inc.target, b.add(inc.target as Expr, term));
    } else {
      out.push(s);
    }
  }
  return out;
}

/** A temporary holding `e` (or `e` itself if trivial), shared by the statement's adjoint within one ?: branch. */
export function bindTemp(cx: ExprContext, e: Expr, out: Stmt[]): Expr {
  if (b.isTrivial(e)) return e;
  const key = JSON.stringify(e);
  for (const scope of cx.temps) {
    const found = scope.get(key);
    if (found) return found;
  }
  const name = cx.attempt.namer.temp();
  // A costly call whose rule reads its result is taken from the forward sweep everywhere;
  // any other costly call an adjoint needs (sin(v) as the other factor of sin(v)·t) only
  // where that needs no push (the top level, a fused loop's body): pushing those inside
  // loops would save little and would stop inner-loop fusion.
  const inScope = inScopeForReverse(cx.scope);
  const stored = e.kind === "call" && (reusesCostlyResult(e.callee) || (inScope && isCostlyOtherwise(e.callee)));
  // A costly call's value: taken from the forward sweep (see takeFromForward). Inside a
  // branch of `?:` (the logistic loss's exp(-s) when s > 0) only at the top level and under
  // the same condition; `temps` has a scope per enclosing branch, so it is shared within
  // that branch only.
  const guarded = cx.guard.length > 0;
  if (cx.storing !== null && stored && (!guarded || (inScope && cx.guard.every((c) => cheapToRecompute(c.test))))) {
    cx.storing.push({ whole: e, name, guard: [...cx.guard] });
    cx.temps[cx.temps.length - 1]!.set(key, b.v(name));
    return b.v(name);
  }
  out.push(b.declare(name, e));
  cx.attempt.boundTemps.add(name);
  cx.temps[cx.temps.length - 1]!.set(key, b.v(name));
  return b.v(name);
}

function incrementOf(s: Stmt): { target: LValue; term: Expr } | null {
  if (s.kind !== "assign" || s.value.kind !== "binary" || s.value.op !== "+") return null;
  if (!b.sameExpr(s.value.left, s.target as Expr)) return null;
  return { target: s.target, term: s.value.right };
}

/**
 * `e` with the first unconditional occurrence of `part` inside the branch that `guard`
 * leads to replaced by `by`; null when `part` is not there. The conditionals on the path
 * must themselves occur unconditionally, each inside the previous one's branch.
 */
export function replaceUnder(e: Expr, guard: Guard, part: Expr, by: Expr): Expr | null {
  if (guard.length === 0) return occursUnconditionally(e, part) ? replaceExpr(e, part, by) : null;
  const [first, ...rest] = guard;
  let done: Expr | null = null;
  const out = mapExpr(e, (x) => {
    if (done || x.kind !== "conditional" || !b.sameExpr(x.test, first!.test) || !occursUnconditionally(e, x)) return undefined;
    const branch = replaceUnder(first!.taken ? x.whenTrue : x.whenFalse, rest, part, by);
    if (!branch) return undefined;
    done = first!.taken ? { ...x, whenTrue: branch } : { ...x, whenFalse: branch };
    return done;
  });
  return done ? out : null;
}

/** True if `part` occurs in `e` where it is always evaluated (not under ?:, && or ||). */
export function occursUnconditionally(e: Expr, part: Expr): boolean {
  if (b.sameExpr(e, part)) return true;
  switch (e.kind) {
    case "index": return occursUnconditionally(e.object, part) || occursUnconditionally(e.index, part);
    case "length": case "field": return occursUnconditionally(e.object, part);
    case "unary": return occursUnconditionally(e.operand, part);
    case "binary": return e.op !== "&&" && e.op !== "||" && (occursUnconditionally(e.left, part) || occursUnconditionally(e.right, part));
    case "call": return e.args.some((a) => occursUnconditionally(a, part));
    default: return false;
  }
}

/** No calls but the cheap ones: recomputing beats a push and a pop (tanh, exp… do not). */
export function cheapToRecompute(e: Expr): boolean {
  let cheap = true;
  walkExpr(e, (x) => {
    if (x.kind === "call" && !isCheapCall(x.callee)) cheap = false;
  });
  return cheap;
}

/** A costly call or a division: a local holding its value is read instead of computing it again. */
export function worthReusing(e: Expr): boolean {
  return (e.kind === "call" && !isCheapCall(e.callee)) || (e.kind === "binary" && e.op === "/");
}

function isProduct(e: Expr): boolean {
  return e.kind === "binary" && e.op === "*";
}

/** Variables, literals and `a[i]` with a simple index: re-reading them costs nothing. */
function isCheap(e: Expr): boolean {
  if (b.isTrivial(e)) return true;
  return e.kind === "index" && isCheap(e.object) && b.isTrivial(e.index);
}

/**
 * True if `e` written as JSON could be at most `length` characters: counts what its
 * objects write at least (`{}`, and `"kind":"…"` where there is a kind) only until that no
 * longer fits. Longer, it occurs in no text of `length` characters.
 */
export function textAtMost(e: Expr, length: number): boolean {
  let budget = length;
  const stack: unknown[] = [e];
  while (stack.length > 0) {
    const x = stack.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(x)) {
      for (const v of x) if (v !== null && typeof v === "object") stack.push(v);
      continue;
    }
    budget -= typeof x.kind === "string" ? 11 + x.kind.length : 2;
    if (budget < 0) return false;
    for (const key in x) {
      const v = x[key];
      if (v !== null && typeof v === "object") stack.push(v);
    }
  }
  return true;
}

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}
