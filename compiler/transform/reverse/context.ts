/**
 * The state of reverse-mode generation, made explicit in four contexts, so that every
 * attempt is a fresh call and nothing is ever rolled back:
 *
 *   Generation    fixed for one generation: the input, the plan, facts of the function,
 *                 and the adjoint names (shared by every attempt and round of it)
 *   Attempt       what one attempt records as it goes: names taken, stacks used,
 *                 pullbacks called, where adjoint code reads what; a failed attempt's
 *                 record is dropped whole
 *   Scope         where a statement is: its enclosing loops and blocks, what the reverse
 *                 sweep has back there, the stable locals holding call values, and the
 *                 enclosing scope statement that receives lifted declarations
 *   ExprContext   one statement's adjoint being written: its temporaries, the ?: branches
 *                 it is in, the costly call results it takes from the forward sweep
 */
import { Codes, fail } from "../../diagnostics.ts";
import * as b from "../../ir/build.ts";
import type { Expr, LValue, StackName, Stmt, ValueType } from "../../ir/nodes.ts";
import { walkStmts } from "../../ir/visit.ts";
import { integerVariables, type IntegerTest } from "../../analysis/loops.ts";
import type { Namer } from "../naming.ts";
import type { DeferredSave, Plan, PullbackRequest, ReadLog, ReverseInput } from "./types.ts";

export interface Generation {
  input: ReverseInput;
  plan: Plan;
  /** Adjoint name of each variable, shared by every attempt and round so that a variable keeps its adjoint's name. */
  adjointNames: Map<string, string>;
  /** Variables that always hold integers (loop bounds end exactly at bound − 1 then). */
  isInteger: IntegerTest;
  /** Names declared exactly once in the function and never a parameter: safe to lift to its top level. */
  declaredOnce: Set<string>;
  /** Set while a straight-line body is generated once for every round (body.ts, generateOnce): each assignment's save is left to the round (saving.ts, deferSave). */
  deferredSaves?: DeferredSave[];
}

export interface Attempt {
  namer: Namer;
  stacks: Set<StackName>;
  pullbacks: PullbackRequest[];
  readLog: ReadLog;
  /** Temporaries declared from a pop (recorded reads, call results): a fused loop's reverse may pop them. */
  poppedTemps: Set<string>;
  /** Temporaries an adjoint bound to a value it reads more than once (temps.ts merges repeated ones). */
  boundTemps: Set<string>;
  /** Program-order position of the statement being transformed. */
  order: number;
  /** Loops entered so far (each gets the next number as its id). */
  loopCount: number;
  /** Number of loops enclosing each variable's declaration. */
  declLoopDepth: Map<string, number>;
}

export interface Scope {
  /** Nested-block locals and loop counters whose reverse-sweep value equals their forward value. */
  available: Set<string>;
  /** Ids of the enclosing loops, outermost first. */
  loops: number[];
  /**
   * Loops around the innermost block whose locals stay in scope for its own reverse: 0 for
   * the function body, 1 for the last loop's body when it is fused with its reverse. A
   * branch with no other loop between it and that block runs at most once per run of it.
   */
  scopeLoops: number;
  /** Blocks (loop bodies, branches) around the statement being transformed; 0 where its locals stay in scope for its reverse. */
  nesting: number;
  /** Per enclosing block: a stable local's initializer (a costly call, a quotient) → the local's name. */
  callLocals: Map<string, string>[];
  /** Source lines already named by an enclosing loop's comment (one-line loops). */
  commentedLines: number[];
  /**
   * `let` declarations lifted out of branches (see lift()), waiting to be placed before the
   * statement of the enclosing scope (function body, fused loop body) that holds the branch.
   */
  lifted: Stmt[];
}

/** A costly call's result an adjoint reads, taken from the forward sweep (see saving.ts, takeFromForward). */
export interface StoredCall {
  whole: Expr;
  name: string;
  guard: Guard;
}

/** The branches of conditional expressions an expression sits in: `test` and which way it went. */
export type Guard = { test: Expr; taken: boolean }[];

export interface ExprContext {
  gen: Generation;
  attempt: Attempt;
  scope: Scope;
  /** Stable locals holding call values here (the scope's, and a declaration's own while its adjoint is written). */
  callLocals: Map<string, string>[];
  /** Temporaries of the statement being differentiated, innermost branch last (common subexpressions). */
  temps: Map<string, Expr>[];
  /** The branches of conditional expressions the expression being differentiated is in (outermost first). */
  guard: Guard;
  /** Results of costly calls the adjoint needs, collected by bindTemp; null when not collecting (the adjoint recomputes). */
  storing: StoredCall[] | null;
}

export function newGeneration(input: ReverseInput, plan: Plan, adjointNames: Map<string, string>): Generation {
  return { input, plan, adjointNames, isInteger: integerVariables(input.fn), declaredOnce: declaredOnce(input) };
}

export function newAttempt(namer: Namer): Attempt {
  return { namer, stacks: new Set(), pullbacks: [], readLog: new Map(), poppedTemps: new Set(), boundTemps: new Set(), order: 0, loopCount: 0, declLoopDepth: new Map() };
}

/** An attempt that records on its own from here on, with everything `attempt` recorded so far. */
export function copyAttempt(attempt: Attempt): Attempt {
  const readLog: ReadLog = new Map();
  attempt.readLog.forEach((reads, name) => readLog.set(name, reads.slice()));
  return {
    namer: attempt.namer.clone(),
    stacks: new Set(attempt.stacks),
    pullbacks: [...attempt.pullbacks],
    readLog,
    poppedTemps: new Set(attempt.poppedTemps),
    boundTemps: new Set(attempt.boundTemps),
    order: attempt.order,
    loopCount: attempt.loopCount,
    declLoopDepth: new Map(attempt.declLoopDepth),
  };
}

/** The function body's scope. */
export function topScope(): Scope {
  return { available: new Set(), loops: [], scopeLoops: 0, nesting: 0, callLocals: [], commentedLines: [], lifted: [] };
}

/** A statement's adjoint context: fresh temporaries, no guard. */
export function exprContext(gen: Generation, attempt: Attempt, scope: Scope, storing: StoredCall[] | null): ExprContext {
  return { gen, attempt, scope, callLocals: scope.callLocals, temps: [new Map()], guard: [], storing };
}

/** `name`'s adjoint variable (`x_bar`), named once per generation. */
export function adjointName(gen: Generation, attempt: Attempt, name: string): string {
  let found = gen.adjointNames.get(name);
  if (!found) {
    found = attempt.namer.fresh(`${name.replace(/\./g, "_")}_bar`);
    gen.adjointNames.set(name, found);
  } else {
    attempt.namer.reserve(found);
  }
  return found;
}

/** `a[i][j]` → `a_bar[i][j]`. */
export function adjointOf(gen: Generation, attempt: Attempt, e: LValue | Expr): LValue {
  if (e.kind === "var") return { kind: "var", name: adjointName(gen, attempt, e.name) };
  if (e.kind === "index") return { kind: "index", object: adjointOf(gen, attempt, e.object) as Expr, index: e.index };
  return fail(Codes.InternalError, `no adjoint for ${e.kind}`, gen.input.fn.span);
}

/** The declaration of a local's adjoint: `let x_bar = init`, or for an array a zero array (a row's adjoint: the row of the adjoint). */
export function adjointDeclaration(gen: Generation, attempt: Attempt, s: Extract<Stmt, { kind: "declare" }>, init: Expr): Stmt[] {
  const bar = (name: string) => adjointName(gen, attempt, name);
  if (s.type.kind === "number") return [b.declare(bar(s.name), init, true)];
  if (s.type.kind === "array") {
    if (s.init.kind === "index") return [b.declare(bar(s.name), adjointOf(gen, attempt, s.init) as Expr, false, s.type)];
    return [b.declare(bar(s.name), { kind: "zerosLike", type: s.type, like: b.v(s.name) }, false, s.type)];
  }
  return [];
}

/**
 * True in a branch with no loop between it and the enclosing scope whose reverse runs in
 * that scope (the function body, the fused loop's body): the branch runs at most once per
 * run of the scope, so what it computes can be lifted there (see lift()).
 */
export function liftsHere(scope: Scope): boolean {
  return scope.loops.length === scope.scopeLoops;
}

/** Declares `let name` (0, or false) in the enclosing scope, before the statement being transformed. */
export function lift(scope: Scope, name: string, type: ValueType): void {
  scope.lifted.push(b.declare(name, type.kind === "boolean" ? b.bool(false) : b.num(0), true, type));
}

/** True where a value the forward sweep holds can stay in scope for the reverse sweep: at nesting 0, or lifted. */
export function inScopeForReverse(scope: Scope): boolean {
  return scope.nesting === 0 || liftsHere(scope);
}

/** Names declared exactly once in the function's body (any block) that are not parameters. */
function declaredOnce(input: ReverseInput): Set<string> {
  const count = new Map<string, number>();
  walkStmts(input.fn.body, (s) => {
    if (s.kind === "declare") count.set(s.name, (count.get(s.name) ?? 0) + 1);
  });
  const params = new Set(input.fn.params.map((p) => p.name));
  return new Set([...count].filter(([name, n]) => n === 1 && !params.has(name)).map(([name]) => name));
}
