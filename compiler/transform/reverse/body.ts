/**
 * One generation of the reverse-mode body, for a plan the strategy search chose: the
 * adjoints of the wrt parameters (prologue), the forward sweep, the seeding of the result's
 * adjoint, the reverse sweep, and the scalar adjoints written back (epilogue).
 *
 * Two attempts, each a fresh call: first the last loop fused with its reverse (fusion.ts);
 * if that is not legal, the whole body as sweeps (sweeps.ts) from the same starting names.
 */
import { Codes, fail } from "../../diagnostics.ts";
import * as b from "../../ir/build.ts";
import type { Expr, LValue, Stmt, ValueType } from "../../ir/nodes.ts";
import { exprReads, mapExpr, mapStmtExprs, rootName, someStmt } from "../../ir/visit.ts";
import { leafPaths, pathIn, typeText } from "../../ir/types.ts";
import type { Namer } from "../naming.ts";
import { activeWrittenMessage, activeWrittenParameter } from "../../analysis/activity.ts";
import { cleanupStraightLine } from "../cleanup.ts";
import { shareBoundTemps } from "./temps.ts";
import { adjointDeclaration, adjointName, copyAttempt, exprContext, newAttempt, topScope, type Attempt, type Generation } from "./context.ts";
import { contrib } from "./expressions.ts";
import { fusableTail, fusionLegal, type FusedTail } from "./fusion.ts";
import { fuseInnerLoops } from "./innerLoops.ts";
import { fillSaves, takeFromForward } from "./saving.ts";
import { sweepReads } from "./reads.ts";
import { block, heldValues } from "./sweeps.ts";
import type { DeferredSave, Plan, ReverseOutput, Swept } from "./types.ts";

export interface Generated {
  output: ReverseOutput;
  /** The reverse sweep alone (what the fixpoint reads). */
  reverseSweep: Stmt[];
  /** The attempt that was kept: its names are the ones the output uses. */
  attempt: Attempt;
}

/**
 * How much of a generation a round of the fixpoint uses (strategy.ts): `cleanup` false
 * leaves the top level of the reverse sweep as generated (no cleanupStraightLine);
 * `readsOnly` (the first round, which only asks what the reverse sweep reads and where,
 * and is never the body kept) leaves out what only the kept body needs: the body and its
 * split parts (`output.body` is empty) and the constant seed's folding, which only drops
 * reads of the seed's adjoint, never of a variable of the function. Everything else, the
 * read log included, is the same either way.
 */
export interface Completion {
  cleanup: boolean;
  readsOnly: boolean;
}

const WHOLE: Completion = { cleanup: true, readsOnly: false };

export function generateBody(gen: Generation, namer: Namer, completion = WHOLE): Generated {
  const generated = sweeps(gen, namer, completion);
  return completion.readsOnly ? generated : withConstantSeed(gen, generated);
}

function sweeps(gen: Generation, namer: Namer, completion: Completion): Generated {
  checkWrt(gen);
  const fusedAttempt = newAttempt(namer.clone());
  const tail = fusableTail(gen, fusedAttempt, gen.input.fn.body);
  // A loop with no reverse (it computes constants) gains nothing from fusion.
  const fused = tail && tail.rev.length > 0 && fusionLegal(gen, fusedAttempt, tail, gen.input.result) ? tail : null;
  const attempt = fused ? fusedAttempt : newAttempt(namer.clone());
  const top = fused ? fused.head : block(gen, attempt, topScope(), gen.input.fn.body, "top");
  return aroundTop(gen, attempt, top, fused, completion);
}

function checkWrt(gen: Generation): void {
  const { fn, wrt, info, activity } = gen.input;
  for (const name of wrt) {
    if (info.elementsWritten.has(name)) {
      fail(Codes.UnsupportedAssignment, `'${name}' is differentiated and written to; copy it into a local array first (the gradient is with respect to its value on entry)`, fn.span);
    }
  }
  // A buffer the caller passed in, written with values carrying a derivative, would need an adjoint of its own.
  const written = activeWrittenParameter(fn, wrt, activity.active);
  if (written) fail(Codes.UnsupportedAssignment, activeWrittenMessage(written, wrt), fn.span);
}

/**
 * A straight-line body's statement sweeps (declarations, assignments and comments only),
 * generated once for every round of the to-be-recorded fixpoint: with no loop, branch,
 * block or append, the plan decides nothing in them but whether each assignment saves the
 * value it overwrites (saving.ts, deferSave), and such a save only adds a push, a pop (with
 * the statement's source comment when nothing else is there) and the pop's reads, taking
 * no name. `completeBody` fills those in for a round's plan and generates the rest, which
 * gives what generateBody gives for that plan (test/reverse-once.test.ts).
 */
export interface SweptOnce {
  gen: Generation;
  attempt: Attempt;
  top: Swept;
  saves: DeferredSave[];
}

/** True for a body generateOnce takes. */
export function straightLine(body: Stmt[]): boolean {
  return body.every((s) => s.kind === "declare" || s.kind === "assign" || s.kind === "comment");
}

/** `gen`'s plan is only asked for `recorded` and `tbr` (the same in every round). */
export function generateOnce(gen: Generation, namer: Namer): SweptOnce {
  checkWrt(gen);
  const saves: DeferredSave[] = [];
  const deferring: Generation = { ...gen, deferredSaves: saves };
  const attempt = newAttempt(namer.clone());
  const top = block(deferring, attempt, topScope(), gen.input.fn.body, "top");
  return { gen, attempt, top, saves };
}

/** The body for `plan`, from the sweeps generated once: the same as generateBody with that plan. */
export function completeBody(once: SweptOnce, plan: Plan, adjointNames: Map<string, string>, completion = WHOLE): Generated {
  const gen: Generation = { ...once.gen, plan, adjointNames };
  const attempt = copyAttempt(once.attempt);
  // The first round's raw sweep is only read (its reads and read log): a mark left there reads nothing.
  const top = fillSaves(once.saves, plan, attempt, once.top, completion.readsOnly && !completion.cleanup);
  const generated = aroundTop(gen, attempt, top, null, completion);
  return completion.readsOnly ? generated : withConstantSeed(gen, generated);
}

/** The prologue, seeding, adjoint declarations, cleanup and epilogue around the function body's sweeps. */
function aroundTop(gen: Generation, attempt: Attempt, top: Swept, fused: FusedTail | null, completion: Completion): Generated {
  const { fn, wrt, result, gradName, seed, info, activity } = gen.input;
  const bar = (name: string) => adjointName(gen, attempt, name);
  const clean = (list: Stmt[], liveAfter?: (name: string) => boolean) => (completion.cleanup ? cleanupStraightLine(shareBoundTemps(list, attempt.boundTemps), liveAfter) : list);
  const prologue: Stmt[] = [];
  const epilogue: Stmt[] = [];
  for (const name of wrt) {
    const param = fn.params.find((p) => p.name === name)!;
    for (const leaf of leafPaths(name, param.type)) {
      const slot = pathIn(b.v(gradName), leaf.path) as LValue;
      if (leaf.type.kind === "array") {
        prologue.push(b.declare(bar(leaf.path), slot as Expr, false, leaf.type));
      } else {
        prologue.push(b.declare(bar(leaf.path), b.num(0), true));
        epilogue.push(...b.increment(slot, b.v(bar(leaf.path))));
      }
    }
  }
  const forward = top.fwd.slice();
  let valueName: string;
  const resultIsTopVar = result.kind === "var" && info.topLevel.has(result.name) && !info.params.has(result.name);
  if (fn.returnType.kind === "array" && !resultIsTopVar && result.kind !== "arrayLiteral") {
    fail(Codes.UnsupportedExpression, `return a local array (or an array literal) from '${fn.name}' so its adjoint can be seeded`, fn.span);
  }
  if (resultIsTopVar && !gen.plan.needed.has(result.name)) {
    valueName = result.name;
  } else {
    // A copy, because the reverse sweep restores overwritten variables to older values.
    valueName = attempt.namer.fresh("value");
    const init = fn.returnType.kind === "array" && result.kind === "var" ? copyOf(result, fn.returnType) : result;
    // An array literal's own type is number[]: a tuple or an alias the function returns is written out.
    const annotation = init.kind === "arrayLiteral" && fn.returnTypeText !== typeText(fn.returnType) ? fn.returnTypeText : undefined;
    forward.push({ kind: "declare", name: valueName, type: fn.returnType, init, mutable: false, ...(annotation && { annotation }) });
  }
  // Adjoints of top-level locals live for the whole reverse sweep.
  const adjoints: Stmt[] = [];
  for (const s of fn.body) {
    if (s.kind !== "declare" || !activity.active.has(s.name)) continue;
    const isResult = resultIsTopVar && s.name === (result as { name: string }).name;
    if (isResult && s.type.kind === "array") {
      // The seed is the caller's cotangent; copy it, since the reverse sweep zeroes entries.
      adjoints.push(b.declare(bar(s.name), copyOf(seed, s.type), false, s.type));
      continue;
    }
    adjoints.push(...adjointDeclaration(gen, attempt, s, isResult ? seed : b.num(0)));
  }
  let seeding: Stmt[] = [];
  // The result's adjoint reads what the function body's stable locals hold, as the body's own adjoints do.
  const resultScope = { ...topScope(), callLocals: [heldValues(gen, fn.body, new Set())] };
  /** `const _t = Math.exp(c)` of the result, which its seeding reads too. */
  let resultCalls: Stmt[] = [];
  if (!resultIsTopVar && result.kind === "arrayLiteral") {
    const cx = exprContext(gen, attempt, resultScope, null);
    result.elements.forEach((el, k) => contrib(cx, el, b.index(seed, b.num(k)), seeding));
  } else if (!resultIsTopVar && result.kind === "record") {
    // An object of numbers (@vjp): each field's adjoint is the cotangent's field.
    const cx = exprContext(gen, attempt, resultScope, null);
    for (const f of result.fields) contrib(cx, f.value, b.field(seed, f.name), seeding);
  } else if (!resultIsTopVar) {
    // Like any declaration: a costly call of the result its adjoint needs again (the exp
    // of -exp(-s)) is computed once, into a local the seeding reads.
    const cx = exprContext(gen, attempt, resultScope, gen.plan.tbr ? [] : null);
    contrib(cx, result, seed, seeding);
    const declaration = forward.pop() as Extract<Stmt, { kind: "declare" }>;
    const taken = takeFromForward(cx, declaration, seeding, null, true);
    resultCalls = taken.fwd.slice(0, -1);
    forward.push(...taken.fwd.slice(-1));
    seeding = [...taken.pops, ...taken.adjoint];
  }
  if (fused) {
    // The last loop's iterations only add into adjoints: run each one's reverse right after it.
    // The seeding (and the result's calls it reads) reads nothing the loop writes (fusionLegal).
    const before = clean([...resultCalls, ...adjoints, ...seeding], () => true);
    const loop: Stmt = { ...fused.loop, body: fuseInnerLoops([...fused.loop.body, b.comment("its reverse, in the same iteration"), ...fused.rev], gen.isInteger) };
    const value = forward.splice(fused.head.fwd.length);
    const reverse = clean(top.rev);
    const output: ReverseOutput = {
      body: [
        ...prologue,
        b.comment("forward sweep"),
        ...forward,
        ...before,
        b.comment("the last loop's forward and reverse sweeps, fused: its iterations only add into adjoints"),
        loop,
        ...value,
        ...(reverse.length ? [b.comment("reverse sweep"), ...reverse] : []),
        ...epilogue,
      ],
      valueName,
      stacks: attempt.stacks,
      pullbacks: attempt.pullbacks,
    };
    return { output, reverseSweep: [...before, ...fused.rev, ...reverse], attempt };
  }
  forward.splice(forward.length - 1, 0, ...resultCalls);
  const reverse = clean(adjoints.concat(seeding, top.rev));
  if (completion.readsOnly) return { output: { body: [], valueName, stacks: attempt.stacks, pullbacks: attempt.pullbacks }, reverseSweep: reverse, attempt };
  const body = prologue.concat(b.comment("forward sweep"), forward, b.comment("reverse sweep"), reverse, epilogue);
  const split = replayable(gen, forward, reverse) ? { prologue, forward, reverse, epilogue } : undefined;
  return { output: { body, valueName, stacks: attempt.stacks, pullbacks: attempt.pullbacks, ...(split && { split }) }, reverseSweep: reverse, attempt };
}

/**
 * True if the reverse sweep can be run again from the state the forward sweep left
 * (given the stacks rewound): the forward sweep reads no adjoint, gradient record or
 * seed, and the reverse sweep assigns nothing but its own locals, adjoints and the
 * gradient record (no restored primal variable, no shrunk array, no checkpointed loop).
 */
function replayable(gen: Generation, forward: Stmt[], reverse: Stmt[]): boolean {
  // A checkpointed loop's reverse phase restores, recomputes and overwrites its snapshots.
  if (someStmt(forward, (s) => s.kind === "loop" && s.checkpointed !== undefined)) return false;
  const adjoints = new Set([...gen.adjointNames.values(), gen.input.gradName]);
  const seed = exprReads(gen.input.seed);
  for (const n of sweepReads(forward)) if (adjoints.has(n) || seed.has(n)) return false;
  const writable = (name: string, scope: Set<string>) => scope.has(name) || adjoints.has(name);
  // `scope`: the names the reverse sweep has declared around (and before) a statement.
  const ownWrites = (list: Stmt[], scope: Set<string>): boolean =>
    list.every((s) => {
      switch (s.kind) {
        case "declare": scope.add(s.name); return true;
        case "assign": return writable(rootName(s.target)!, scope);
        case "append": case "shrink": return writable(s.array, scope);
        case "if": return ownWrites(s.then, new Set(scope)) && ownWrites(s.else, new Set(scope));
        case "block": return ownWrites(s.body, new Set(scope));
        case "loop": {
          const head = new Set(scope);
          return ownWrites(s.init, head) && ownWrites(s.body, new Set(head)) && ownWrites(s.update, head);
        }
        default: return true;
      }
    });
  return ownWrites(reverse, new Set());
}

/** A fresh array with the elements of `e`, of the container type of `type`. */
function copyOf(e: Expr, type: ValueType): Expr {
  const container = type.kind === "array" && type.container === "float64array" ? "Float64Array" : type.kind === "array" && type.container === "float32array" ? "Float32Array" : "Array";
  return b.call(`${container}.from`, [e]);
}

/**
 * A gradient's seed (`let f_bar = 1` for the returned variable `f`) that nothing in the
 * sweeps writes again is a constant: its reads become the literal, folded where it
 * multiplies (`f_bar * (200 * u)` → `200 * u`, exactly the same double), and its
 * declaration goes, as a person writing the gradient would leave it out.
 */
function withConstantSeed(gen: Generation, generated: Generated): Generated {
  const { result, seed } = gen.input;
  if (seed.kind !== "number" || result.kind !== "var") return generated;
  const name = gen.adjointNames.get(result.name);
  if (!name) return generated;
  // Declared once, with the seed, and never written (the walk stops at the first sign otherwise).
  let declarations = 0;
  const written = someStmt(generated.output.body, (s) => {
    if (s.kind === "declare" && s.name === name) {
      declarations++;
      return declarations > 1 || !(s.init.kind === "number" && s.init.value === seed.value);
    }
    return s.kind === "assign" && rootName(s.target) === name;
  });
  if (written || declarations !== 1) return generated;
  const literal = b.num(seed.value);
  const isSeed = (e: Expr) => e.kind === "var" && e.name === name;
  // A temporary holding the seed times a variable would become a copy of the variable
  // (`const _t1 = value_bar * delta`): the sweeps never make those, so the seed stays.
  const copyOnceFolded = (e: Expr) => e.kind === "binary" && e.op === "*" && ((isSeed(e.left) && b.isTrivial(e.right)) || (isSeed(e.right) && b.isTrivial(e.left)));
  if (someStmt(generated.output.body, (s) => s.kind === "declare" && (isSeed(s.init) || copyOnceFolded(s.init)))) return generated;
  const fold = (e: Expr): Expr | undefined => {
    if (isSeed(e)) return literal;
    if (e.kind === "binary" && e.op === "*" && (isSeed(e.left) || isSeed(e.right))) return b.mul(mapExpr(e.left, fold), mapExpr(e.right, fold));
    if (e.kind === "unary" && e.op === "-" && isSeed(e.operand)) return b.neg(literal);
    return undefined;
  };
  const folded = (list: Stmt[]) => mapStmtExprs(list.filter((s) => !(s.kind === "declare" && s.name === name)), fold);
  const { output } = generated;
  const split = output.split && { prologue: folded(output.split.prologue), forward: folded(output.split.forward), reverse: folded(output.split.reverse), epilogue: folded(output.split.epilogue) };
  return { ...generated, output: { ...output, body: folded(output.body), ...(split && { split }) }, reverseSweep: folded(generated.reverseSweep) };
}
