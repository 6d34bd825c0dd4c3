/**
 * The sweeps: each statement's forward code and the reverse code that undoes it, block by
 * block. A declaration or assignment gets its expression adjoint (expressions.ts) and what
 * it takes from the forward sweep (saving.ts); a block mirrors its statements in reverse
 * order; control flow is reversed as a careful human would:
 *
 * - branch decisions: the test is re-evaluated when it only reads values that never
 *   change; otherwise a branch in the enclosing scope sets a lifted boolean (`taken =
 *   true`), and one inside any other loop pushes the branch taken;
 * - loops: a counted `for (let i = a; i < b; i++)` runs backwards over the same indices;
 *   any other loop pushes its trip count.
 */
import { baseName, Codes, fail, type SourceSpan } from "../../diagnostics.ts";
import * as b from "../../ir/build.ts";
import type { CheckpointRequest, Expr, LValue, Stmt } from "../../ir/nodes.ts";
import { exprReads, readsVariable, rootName, walkStmts } from "../../ir/visit.ts";
import { isStable } from "../../analysis/variables.ts";
import { countedHeader, integerValued, lastIndex } from "../../analysis/loops.ts";
import { cleanupBlock } from "../cleanup.ts";
import {
  adjointDeclaration,
  adjointName,
  adjointOf,
  exprContext,
  lift,
  liftsHere,
  type Attempt,
  type Generation,
  type Scope,
} from "./context.ts";
import { accumulate, contrib, worthReusing } from "./expressions.ts";
import { bringBackLocals, deferSave, logReads, mustSave, recomputable, recordReads, takeFromForward } from "./saving.ts";
import { shareBoundTemps } from "./temps.ts";
import type { Swept } from "./types.ts";

/**
 * How a block's locals relate to its reverse: `top`, the function body, and `fused`, a
 * loop body fused with its reverse (see fusion.ts), keep their locals in scope when their
 * reverse runs, so only adjoints are declared; a `nested` block (loop body, branch) brings
 * its needed locals back at the top of its mirrored reverse block (saving.ts).
 */
export type BlockKind = "top" | "fused" | "nested";

/**
 * The stable locals of `stmts` that hold a call's or a quotient's value every adjoint of the
 * block may read instead (`v0` for r0 / θ), keyed by the value. A local's arguments must
 * read the same in every adjoint of the block: stable variables, or loop counters and
 * locals the reverse block has back (`available`).
 */
export function heldValues(gen: Generation, stmts: Stmt[], available: ReadonlySet<string>): Map<string, string> {
  const { info } = gen.input;
  const calls = new Map<string, string>();
  for (const s of stmts) {
    if (s.kind !== "declare" || !isStable(info, s.name) || !worthReusing(s.init)) continue;
    const fixed = [...exprReads(s.init)].every((n) => n.startsWith("Math.") || isStable(info, n) || available.has(n));
    if (fixed) calls.set(JSON.stringify(s.init), s.name);
  }
  return calls;
}

export function block(gen: Generation, attempt: Attempt, scope: Scope, stmts: Stmt[], kind: BlockKind): Swept {
  const { info, activity } = gen.input;
  const available = new Set(scope.available);
  // A stable local with a recomputable initializer comes back at the top of the mirrored
  // reverse block whenever the reverse sweep reads it, so later statements may rely on it,
  // and every adjoint in the block reads it instead of calling its function again (`sin`
  // for Math.sin(θ)) or dividing again (`v0` for r0 / θ).
  const recomputableLocal = (s: Stmt) => s.kind === "declare" && isStable(info, s.name) && recomputable(gen, s.init, available);
  const calls = heldValues(gen, stmts, available);
  // The function body and a fused loop body are scopes: what their statements lift is
  // declared just before the statement; a nested block's lifts go to its enclosing scope's.
  const isScope = kind !== "nested";
  // (Never changed: one list for every statement of the block.)
  const callLocals = [...scope.callLocals, calls];
  const inner = (lifted: Stmt[]): Scope => ({
    available,
    loops: scope.loops,
    scopeLoops: isScope ? scope.loops.length : scope.scopeLoops,
    nesting: kind === "nested" ? scope.nesting + 1 : scope.nesting,
    callLocals,
    commentedLines: scope.commentedLines,
    lifted,
  });
  const parts = stmts.map((s) => {
    const lifted: Stmt[] = isScope ? [] : scope.lifted;
    const part = stmt(gen, attempt, inner(lifted), s);
    if (isScope && lifted.length > 0) part.fwd.unshift(...lifted);
    if (kind !== "top" && recomputableLocal(s)) available.add((s as { name: string }).name);
    // In a fused body the reverse runs in the same scope, after it: a stable local keeps its value.
    else if (kind === "fused" && s.kind === "declare" && isStable(info, s.name)) available.add(s.name);
    return part;
  });
  const fwd: Stmt[] = [];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!.fwd;
    for (let x = 0; x < part.length; x++) fwd.push(part[x]!);
  }
  const rev: Stmt[] = [];
  for (let k = parts.length - 1; k >= 0; k--) {
    const part = parts[k]!.rev;
    for (let x = 0; x < part.length; x++) rev.push(part[x]!);
  }
  if (kind === "top") return { fwd, rev };
  if (kind === "fused") {
    const adjoints = stmts.flatMap((s) => (s.kind === "declare" && activity.active.has(s.name) ? adjointDeclaration(gen, attempt, s, b.num(0)) : []));
    // The reverse ends the fused body, so what it declares is dead after it.
    return { fwd, rev: cleanupBlock(shareBoundTemps([...adjoints, ...rev], attempt.boundTemps)) };
  }
  return bringBackLocals(gen, attempt, scope, stmts, fwd, rev);
}

function stmt(gen: Generation, attempt: Attempt, scope: Scope, s: Stmt): Swept {
  attempt.order++;
  if (s.kind === "declare") attempt.declLoopDepth.set(s.name, scope.loops.length);
  switch (s.kind) {
    case "declare": return declaration(gen, attempt, scope, s);
    case "assign": return assignment(gen, attempt, scope, s);
    case "if": return conditional(gen, attempt, scope, s);
    case "loop": return loop(gen, attempt, scope, s);
    case "block": {
      const inner = block(gen, attempt, scope, s.body, "nested");
      return { fwd: [{ kind: "block", body: inner.fwd }], rev: inner.rev.length ? [{ kind: "block", body: inner.rev }] : [] };
    }
    case "comment": return { fwd: [s], rev: [] };
    case "append": return append(gen, attempt, scope, s);
    default:
      return fail(Codes.InternalError, `reverse mode got an unexpected '${s.kind}' statement`, gen.input.fn.span);
  }
}

/** `// line 12: <source text>` above a statement's reverse, unless an enclosing loop's comment names that line. */
function sourceComment(gen: Generation, scope: Scope, span: SourceSpan | undefined): Stmt[] {
  const { input } = gen;
  if (!span || scope.commentedLines.includes(span.line)) return [];
  if (span.file !== input.fn.span.file) return [b.comment(`${baseName(span.file)}:${span.line}`)];
  const text = (input.sourceLines[span.line - 1] ?? "").trim();
  return [b.comment(`line ${span.line}: ${text}`)];
}

function declaration(gen: Generation, attempt: Attempt, scope: Scope, s: Extract<Stmt, { kind: "declare" }>): Swept {
  const { input } = gen;
  if (!input.activity.active.has(s.name)) return { fwd: [s], rev: [] };
  const adjoint: Stmt[] = [];
  const cx = exprContext(gen, attempt, scope, gen.plan.tbr ? [] : null);
  if (s.type.kind === "number") {
    // While its own adjoint is generated, a stable local holds its initializer's value
    // whatever that reads (`f` for `M[i * ell + k] / pivot`, which is not fixed).
    const own = isStable(input.info, s.name) && worthReusing(s.init);
    const withOwn = own ? { ...cx, callLocals: [...cx.callLocals, new Map([[JSON.stringify(s.init), s.name]])] } : cx;
    contrib(withOwn, s.init, b.v(adjointName(gen, attempt, s.name)), adjoint);
  } else if (s.type.kind === "array" && s.init.kind === "arrayLiteral") {
    s.init.elements.forEach((el, k) => contrib(cx, el, b.index(b.v(adjointName(gen, attempt, s.name)), b.num(k)), adjoint));
  } else if (s.type.kind === "array" && s.init.kind === "index") {
    if (input.info.elementsWritten.has(s.name)) {
      fail(Codes.UnsupportedAssignment, `'${s.name}' is a row of another array; writing through it is not supported, copy the row instead`, s.span ?? input.fn.span);
    }
  }
  const out = takeFromForward(cx, s, adjoint, null);
  if (!out.adjoint.length) return { fwd: [s], rev: [] };
  return { fwd: out.fwd, rev: sourceComment(gen, scope, s.span).concat(out.pops, accumulate(out.adjoint)) };
}

function assignment(gen: Generation, attempt: Attempt, scope: Scope, s: Extract<Stmt, { kind: "assign" }>): Swept {
  const { input } = gen;
  const root = rootName(s.target)!;
  if (input.info.types.get(root)?.kind === "array" && s.target.kind === "var") {
    fail(Codes.UnsupportedAssignment, `reassigning the array '${root}' is not supported; write its elements instead`, s.span ?? input.fn.span);
  }
  let restore: { push: Stmt; pop: Stmt } | null = null;
  // Generated once for every round (body.ts, generateOnce): the round decides the save.
  const deferred = gen.deferredSaves ? deferSave(gen.deferredSaves, attempt, s.target) : null;
  if (deferred) {
    restore = { push: deferred.fwdMark, pop: deferred.revMark };
  } else if (mustSave(gen, attempt, scope, root)) {
    attempt.stacks.add("values");
    restore = { push: b.push("values", s.target as Expr), pop: b.assign(s.target, b.pop("values")) };
    // The restore reads its index (`buf[i] = pop()`) here in the reverse sweep, too.
    logReads(attempt, scope, [restore.pop]);
  }
  if (!input.activity.active.has(root)) {
    if (deferred) deferred.comment = sourceComment(gen, scope, s.span);
    return restore ? { fwd: [restore.push, s], rev: [...(deferred ? [] : sourceComment(gen, scope, s.span)), restore.pop] } : { fwd: [s], rev: [] };
  }
  const adjoint: Stmt[] = [];
  const cx = exprContext(gen, attempt, scope, gen.plan.tbr ? [] : null);
  const targetBar = adjointOf(gen, attempt, s.target);
  const increment = incrementPart(s.target, s.value);
  if (increment && !readsVariable(increment.rest, root)) {
    // x = x + e: bar(x) flows through unchanged; e receives ±bar(x).
    contrib(cx, increment.rest, increment.sign > 0 ? (targetBar as Expr) : b.neg(targetBar as Expr), adjoint);
  } else if (increment) {
    // x[i] = x[i] + e(x): the same, with bar(x[i]) read once before e's adjoints add to
    // x_bar (possibly to x_bar[i] itself).
    const g = attempt.namer.temp();
    adjoint.push(b.declare(g, increment.sign > 0 ? (targetBar as Expr) : b.neg(targetBar as Expr)));
    contrib(cx, increment.rest, b.v(g), adjoint);
  } else if (!readsVariable(s.value, root)) {
    contrib(cx, s.value, targetBar as Expr, adjoint);
    adjoint.push(b.assign(targetBar, b.num(0)));
  } else {
    const g = attempt.namer.temp();
    adjoint.push(b.declare(g, targetBar as Expr), b.assign(targetBar, b.num(0)));
    contrib(cx, s.value, b.v(g), adjoint);
  }
  const out = takeFromForward(cx, s, adjoint, restore);
  const rev = out.pops.concat(accumulate(out.adjoint));
  if (deferred && rev.length === 1) {
    // Only the restore: its comment comes with it.
    deferred.comment = sourceComment(gen, scope, s.span);
    return { fwd: out.fwd, rev };
  }
  return { fwd: out.fwd, rev: rev.length ? sourceComment(gen, scope, s.span).concat(rev) : [] };
}

/**
 * `a.push(e)`: the pushed element's adjoint flows to e, then the reverse sweep pops the
 * element again, so `a.length` (and every index computed from it) reads as it did then.
 */
function append(gen: Generation, attempt: Attempt, scope: Scope, s: Extract<Stmt, { kind: "append" }>): Swept {
  const active = gen.input.activity.active.has(s.array);
  if (!active && !gen.plan.needed.has(s.array)) return { fwd: [s], rev: [] };
  // The pushed element's adjoint is read first; then the element goes, so that the pushed
  // value's own reads (say `a[a.length - 1]`) see the array as it was before the push.
  const adjoint: Stmt[] = [];
  const after: Stmt[] = [];
  if (active) {
    const last = b.sub({ kind: "length", object: b.v(s.array) }, b.num(1));
    const g = attempt.namer.temp();
    adjoint.push(b.declare(g, b.index(b.v(adjointName(gen, attempt, s.array)), last)));
    contrib(exprContext(gen, attempt, scope, null), s.value, b.v(g), after);
  }
  const recorded = recordReads(gen, attempt, after);
  logReads(attempt, scope, [...adjoint, ...recorded.adjoint]);
  return {
    fwd: [...recorded.before, s],
    rev: [...sourceComment(gen, scope, s.span), ...adjoint, { kind: "shrink", array: s.array }, ...recorded.pops, ...accumulate(recorded.adjoint)],
  };
}

/** Recognizes `t = t + rest` / `t = t - rest`. */
function incrementPart(target: LValue, value: Expr): { rest: Expr; sign: number } | null {
  if (value.kind !== "binary" || (value.op !== "+" && value.op !== "-")) return null;
  if (b.sameExpr(value.left, target as Expr)) return { rest: value.right, sign: value.op === "+" ? 1 : -1 };
  // `e = e + x * x + y * y` (a reduce callback's sum): e's adjoint flows through unchanged as
  // well; the other terms, `x * x + y * y` for the adjoint only, each receive ±bar(e).
  const inner = incrementPart(target, value.left);
  if (!inner) return null;
  return { rest: b.bin(value.op, inner.sign > 0 ? inner.rest : b.neg(inner.rest), value.right), sign: 1 };
}

function conditional(gen: Generation, attempt: Attempt, scope: Scope, s: Extract<Stmt, { kind: "if" }>): Swept {
  const then = block(gen, attempt, scope, s.then, "nested");
  const otherwise = block(gen, attempt, scope, s.else, "nested");
  const fwdIf = (t: Stmt[], e: Stmt[]): Stmt => ({ kind: "if", test: s.test, then: t, else: e, span: s.span });
  if (then.rev.length === 0 && otherwise.rev.length === 0) return { fwd: [fwdIf(then.fwd, otherwise.fwd)], rev: [] };
  if (recomputable(gen, s.test, scope.available)) {
    return { fwd: [fwdIf(then.fwd, otherwise.fwd)], rev: [{ kind: "if", test: s.test, then: then.rev, else: otherwise.rev }] };
  }
  if (liftsHere(scope)) {
    // The branch runs at most once per run of the scope its reverse runs in: a lifted
    // boolean (set in the branch taken) remembers it, as a hand-written gradient would.
    const taken = attempt.namer.fresh("taken");
    lift(scope, taken, b.BOOLEAN);
    const thenHasWork = then.rev.length > 0;
    const mark: Stmt = b.assign(b.v(taken) as LValue, b.bool(true));
    return {
      fwd: [fwdIf(thenHasWork ? [...then.fwd, mark] : then.fwd, thenHasWork ? otherwise.fwd : [...otherwise.fwd, mark])],
      rev: [thenHasWork ? { kind: "if", test: b.v(taken), then: then.rev, else: otherwise.rev } : { kind: "if", test: b.v(taken), then: otherwise.rev, else: [] }],
    };
  }
  attempt.stacks.add("control");
  // Push 1 for the branch whose reverse has work, so the reverse `if` needs no empty branch.
  const thenMark = then.rev.length > 0 ? 1 : 0;
  return {
    fwd: [fwdIf([...then.fwd, b.push("control", b.num(thenMark))], [...otherwise.fwd, b.push("control", b.num(1 - thenMark))])],
    rev: [
      thenMark === 1
        ? { kind: "if", test: b.bin("===", b.pop("control"), b.num(1)), then: then.rev, else: otherwise.rev }
        : { kind: "if", test: b.bin("===", b.pop("control"), b.num(1)), then: otherwise.rev, else: [] },
    ],
  };
}

/** The scope of a loop's body: one more enclosing loop (with the next id), whose source line is named by the loop's comment. */
export function inLoop(attempt: Attempt, scope: Scope, available: Set<string>, line?: number): Scope {
  return {
    ...scope,
    available,
    loops: [...scope.loops, attempt.loopCount++],
    commentedLines: line !== undefined ? [...scope.commentedLines, line] : scope.commentedLines,
  };
}

function loop(gen: Generation, attempt: Attempt, scope: Scope, s: Extract<Stmt, { kind: "loop" }>): Swept {
  const counted = countedLoop(gen, attempt, scope, s);
  if (counted) return counted;
  if (s.init.length > 0) {
    // The init's variables belong to a block around the loop, so they can be saved at its end.
    return stmt(gen, attempt, scope, { kind: "block", body: [...s.init, { ...s, init: [] }] });
  }
  const id = attempt.loopCount;
  const body = block(gen, attempt, inLoop(attempt, scope, scope.available, s.span?.line), [...s.body, ...s.update], "nested");
  if (s.checkpoint && body.rev.length > 0) {
    // Checkpointed, trip count known when the loop ends (transform/checkpoint.ts expands the pair).
    const mark = { id, request: s.checkpoint, ...(s.span && { line: s.span.line }) };
    return {
      fwd: [{ kind: "loop", form: s.form === "doWhile" ? "doWhile" : "while", init: [], test: s.test, update: [], body: body.fwd, span: s.span, checkpointed: { ...mark, role: "forward", primal: [...s.body, ...s.update] } }],
      rev: [...sourceComment(gen, scope, s.span), { kind: "loop", form: "while", init: [], test: null, update: [], body: body.rev, checkpointed: { ...mark, role: "reverse" } }],
    };
  }
  const fwdLoop = (bodyStmts: Stmt[]): Stmt => ({
    kind: "loop",
    form: s.form === "doWhile" ? "doWhile" : "while",
    init: [],
    test: s.test,
    update: [],
    body: bodyStmts,
    span: s.span,
  });
  // Nothing to undo means nothing was saved either: the loop runs as written.
  if (body.rev.length === 0) return { fwd: [s], rev: [] };
  const trips = attempt.namer.fresh("trips");
  attempt.stacks.add("control");
  return {
    fwd: [
      b.declare(trips, b.num(0), true),
      fwdLoop([...body.fwd, b.assign({ kind: "var", name: trips }, b.add(b.v(trips), b.num(1)))]),
      b.push("control", b.v(trips)),
    ],
    rev: [
      ...sourceComment(gen, scope, s.span),
      {
        kind: "loop",
        form: "for",
        init: [b.declare(trips, b.pop("control"), true)],
        test: b.bin(">", b.v(trips), b.num(0)),
        update: [b.assign({ kind: "var", name: trips }, b.sub(b.v(trips), b.num(1)))],
        body: body.rev,
      },
    ],
  };
}

/**
 * `for (let i = a; i < n; i++)` (or `<=`, `>`, `>=`, `i--`, a literal step `i += 2`) whose
 * body never writes `i` and whose bounds never change: the reverse sweep runs the same
 * indices backwards and nothing needs to be saved for the loop itself.
 */
function countedLoop(gen: Generation, attempt: Attempt, scope: Scope, s: Extract<Stmt, { kind: "loop" }>): Swept | null {
  const header = reversibleHeader(gen, s, scope.available);
  if (!header) return null;
  const { i, init, op, bound, up, stride } = header;
  const request = s.checkpoint ?? automaticCheckpoint(gen, scope);
  // A checkpointed step k runs with counter first ± k·stride, which is exact for a whole first index;
  // otherwise the loop is checkpointed as one whose trip count is known at its end (the counter is state).
  if (request && !integerValued(init.init, gen.isInteger)) return null;
  const id = attempt.loopCount;
  const body = block(gen, attempt, inLoop(attempt, scope, new Set([...scope.available, i]), s.span?.line), s.body, "nested");
  const fwd: Stmt = { ...s, body: body.fwd };
  if (body.rev.length === 0) return { fwd: [fwd], rev: [] };
  const last = lastIndex(init.init, op, bound, gen.isInteger, stride);
  // With activity analysis off even the counter is "active"; its adjoint is simply dropped.
  const counterAdjoint = gen.input.activity.active.has(i) ? [b.declare(adjointName(gen, attempt, i), b.num(0), true)] : [];
  const rev: Stmt = {
    kind: "loop",
    form: "for",
    init: [b.declare(i, last, true)],
    test: b.bin(up ? ">=" : "<=", b.v(i), init.init),
    update: [b.assign({ kind: "var", name: i }, up ? b.sub(b.v(i), b.num(stride)) : b.add(b.v(i), b.num(stride)))],
    body: [...counterAdjoint, ...body.rev],
  };
  if (!request) return { fwd: [fwd], rev: [...sourceComment(gen, scope, s.span), rev] };
  // Checkpointed (transform/checkpoint.ts expands the pair): the step k runs with counter first ± k·stride.
  const extent = up ? b.sub(last, init.init) : b.sub(init.init, last);
  const trips = b.add(stride === 1 ? extent : b.div(extent, b.num(stride)), b.num(1));
  const mark = { id, request, counted: { counter: i, first: init.init, stride, up, trips }, ...(s.span && { line: s.span.line }) };
  return {
    fwd: [{ ...fwd, checkpointed: { ...mark, role: "forward", primal: s.body } }],
    rev: [...sourceComment(gen, scope, s.span), { ...rev, checkpointed: { ...mark, role: "reverse" } }],
  };
}

/** The automatic policy (`checkpointBudget`): an outermost counted loop is checkpointed within the budget. */
function automaticCheckpoint(gen: Generation, scope: Scope): CheckpointRequest | undefined {
  const budget = gen.input.checkpointBudget;
  return budget !== undefined && scope.loops.length === 0 ? { budget, automatic: true } : undefined;
}

/**
 * A counted loop's header (analysis/loops.ts) whose body never writes the counter and whose bounds
 * the reverse sweep can evaluate again; null for any other loop.
 */
export function reversibleHeader(gen: Generation, s: Extract<Stmt, { kind: "loop" }>, available: Set<string>): ReturnType<typeof countedHeader> {
  const header = countedHeader(s);
  if (!header || header.init.type.kind !== "number") return null;
  let writesCounter = false;
  walkStmts(s.body, (x) => {
    if (x.kind === "assign" && rootName(x.target) === header.i) writesCounter = true;
  });
  if (writesCounter) return null;
  if (!recomputable(gen, header.init.init, available) || !recomputable(gen, header.bound, available)) return null;
  return header;
}
