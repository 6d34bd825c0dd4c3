/**
 * Reverse mode (adjoint code generation).
 *
 * Takes: a control-flow-normalized function (no jumps; see normalize.ts), its result
 * expression, the wrt parameters, activity and variable facts.
 * Gives: the body of the zero-allocation gradient function: a forward sweep that replays
 * the primal and saves what the reverse sweep needs, then a reverse sweep that
 * accumulates adjoints (`x_bar`) into the caller's gradient record.
 *
 * What is saved, and how it comes back in the reverse sweep:
 * - a variable the reverse sweep reads ("needed") that is overwritten: its old value is
 *   pushed before the assignment and popped right before the assignment's adjoint;
 * - except a local number array whose elements are overwritten more often than adjoint
 *   code reads them (a scratch buffer reused per iteration): there the elements an
 *   adjoint reads are pushed just before its statement instead, and popped into
 *   temporaries ("recorded reads"); the choice is made per array by counting pushes;
 * - a needed local of a branch outside every loop (or inside only the fused last loop),
 *   never reassigned: declared (`let t = 0`) before the statement of the function body (of
 *   the fused loop's body) that holds the branch and assigned where it was declared, so
 *   the reverse sweep reads it as the forward sweep left it, as by hand;
 * - a needed local of any other nested block (loop body, branch in a loop): recomputed at
 *   the top of the mirrored reverse block when its initializer only reads values that
 *   never change and calls nothing costlier than a push (rematerialization), otherwise
 *   pushed at the end of the forward block;
 * - branch decisions: the test is re-evaluated when it only reads values that never
 *   change; otherwise a branch in that same scope sets a lifted boolean (`taken = true`),
 *   and one inside any other loop pushes the branch taken;
 * - loops: a counted `for (let i = a; i < b; i++)` runs backwards over the same indices;
 *   any other loop pushes its trip count;
 * - the result of a costly call whose derivative reuses it (exp, tanh, sqrt…): pushed
 *   where the forward sweep computes it (kept in a local where that stays in scope), and
 *   a stable local that already holds a call's value is read instead of calling again.
 * "Needed" is found by a fixpoint: generate, collect what the reverse sweep reads, repeat.
 */
import { baseName, Codes, fail, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, LValue, StackName, Stmt, ValueType } from "../ir/nodes.ts";
import { exprReads, lvalueReads, mapExpr, mapStmtExprs, rootName, stmtExprs, walkExpr, walkStmts } from "../ir/visit.ts";
import type { Activity } from "../analysis/activity.ts";
import { isStable, type VariableInfo } from "../analysis/variables.ts";
import type { Namer } from "./naming.ts";
import { isCheapCall, isCostlyOtherwise, PRIMITIVES, reusesCostlyResult } from "../ir/primitives.ts";
import { productFactors, productPartials } from "./products.ts";
import { isDifferentiable, leafPaths } from "../ir/types.ts";
import { replaceExpr, substituteVar } from "../ir/rewrite.ts";
import { cleanupBlock, cleanupStraightLine } from "./cleanup.ts";
import { fuseInnerLoops } from "./loopFusion.ts";
import { countedHeader, integerVariables, lastIndex, type IntegerTest } from "../analysis/loops.ts";
import { scratchArrays } from "../analysis/scratch.ts";

export interface ReverseInput {
  fn: FunctionIR;
  result: Expr;
  wrt: string[];
  activity: Activity;
  info: VariableInfo;
  namer: Namer;
  /** Name of the record parameter that receives the gradient (`grad.x += …`). */
  gradName: string;
  /** The adjoint of the result: `1` for a gradient, a cotangent variable for a VJP. */
  seed: Expr;
  sourceLines: string[];
  /** The function with its heaviest loop moved last (lastLoop.ts), when that is possible: generated too, and kept if it saves less. */
  reordered?: Pick<ReverseInput, "fn" | "result" | "activity" | "info">;
  /**
   * To-be-recorded analysis (default on): save only what adjoint code reads later, and
   * record reads instead of writes where that saves less. Off saves every overwritten
   * value the reverse sweep reads; derivatives must not change.
   */
  toBeRecorded?: boolean;
}

/** A shared callee derivative the generated code calls: `name` is g's pullback for `wrt`. */
export interface PullbackRequest {
  callee: string;
  /** File in which the call was made (where `callee` is resolved). */
  span: SourceSpan;
  wrt: string[];
  name: string;
}

export interface ReverseOutput {
  /** Shared callee pullbacks this body calls (generated once per file, see modes.ts). */
  pullbacks: PullbackRequest[];
  body: Stmt[];
  /** Name of the variable holding the primal result at the end of `body`. */
  valueName: string;
  stacks: Set<StackName>;
  /**
   * `body` in its four parts, present when the reverse sweep can run again after itself
   * from the same forward state (one forward sweep, a reverse sweep per cotangent; see
   * fVjpRowsInto in modes.ts): the forward sweep reads no adjoint and the reverse sweep
   * writes only its own locals, adjoints and the gradient record, so that rewinding the
   * stacks to where the forward sweep left them is all a replay needs. Absent when the
   * last loop is fused with its reverse.
   */
  split?: ReverseSplit;
}

export interface ReverseSplit {
  /** Adjoints of the wrt parameters: `const x_bar = grad.x;`, `let w_bar = 0;`. */
  prologue: Stmt[];
  /** The forward sweep, ending with the declaration of the value (if it is a copy). */
  forward: Stmt[];
  /** Adjoint declarations, the seeding, and the reversed statements. */
  reverse: Stmt[];
  /** `grad.w += w_bar;` for each scalar wrt leaf. */
  epilogue: Stmt[];
}

export function reverseMode(input: ReverseInput): ReverseOutput {
  const plain = bestRecording(input);
  if (!input.reordered) return plain.commit();
  // The same function with its heaviest loop last (lastLoop.ts): kept when that saves less,
  // unless it loses split mode, which an array result's rows (fVjpRowsInto) rely on.
  const moved = bestRecording({ ...input, ...input.reordered });
  const losesSplit = input.fn.returnType.kind === "array" && plain.output.split && !moved.output.split;
  return (!losesSplit && sweepCost(moved.output.body) < sweepCost(plain.output.body) ? moved : plain).commit();
}

/** The generated body for the cheaper way of saving each scratch array (at writes or at reads). */
function bestRecording(input: ReverseInput): ReturnType<typeof solve> {
  const tbr = input.toBeRecorded ?? true;
  const candidates = tbr ? recordingCandidates(input) : new Set<string>();
  if (candidates.size === 0) return solve(input, new Set(), tbr);
  // Price both strategies for every candidate array, then keep the cheaper one per array.
  const atWrites = solve(input, new Set(), tbr);
  const atReads = solve(input, candidates, tbr);
  const costAtWrites = pushCost(atWrites.output.body, candidates);
  const costAtReads = pushCost(atReads.output.body, candidates);
  let chosen = new Set([...candidates].filter((a) => (costAtReads.get(a) ?? 0) < (costAtWrites.get(a) ?? 0)));
  for (;;) {
    if (chosen.size === 0) return atWrites;
    const result = chosen.size === candidates.size ? atReads : solve(input, chosen, tbr);
    // Anything else in the reverse sweep that reads such an array's elements (a restore's
    // index, say) would see later values: that array goes back to saving at writes.
    const misread = elementReads(result.reverseSweep, chosen);
    if (misread.size === 0) return result;
    chosen = new Set([...chosen].filter((a) => !misread.has(a)));
  }
}

/** Local number arrays at the top level of the function, written element by element. */
function recordingCandidates(input: ReverseInput): Set<string> {
  const { info } = input;
  return new Set([...info.elementAccessOnly].filter((a) => info.topLevel.has(a) && info.elementsWritten.has(a)));
}

/** Generates the reverse body, growing the set of variables the reverse sweep needs to a fixpoint. */
function solve(input: ReverseInput, recorded: Set<string>, tbr: boolean) {
  const primal = new Set<string>([...input.info.types.keys()]);
  const barNames = new Map<string, string>();
  let needed = new Set<string>();
  let priorReads: ReadLog | null = null;
  for (let round = 0; ; round++) {
    const gen = new ReverseGenerator(input, { needed, priorReads, recorded, tbr }, barNames, input.namer.clone());
    const output = gen.generate();
    const reads = new Set<string>();
    walkStmts(gen.reverseSweep, (s) => {
      for (const e of stmtExprs(s)) exprReads(e, reads);
    });
    const grown = [...reads].filter((n) => primal.has(n) && !needed.has(n));
    const stable = grown.length === 0 && priorReads !== null && sameReads(priorReads, gen.readLog);
    if (stable || round === 10) {
      return { output, reverseSweep: gen.reverseSweep, commit: () => (gen.commitNames(input.namer), output) };
    }
    needed = new Set([...needed, ...grown]);
    priorReads = gen.readLog;
  }
}

/**
 * Pushes of each array's elements in a forward sweep, weighted by how often each runs: a
 * loop with literal bounds by its trip count, any other loop by LOOP_WEIGHT (its trip count
 * is unknown at compile time; deeper is assumed more often).
 */
function pushCost(body: Stmt[], arrays: Set<string>): Map<string, number> {
  const cost = new Map<string, number>();
  weighted(body, (s, weight) => {
    if (s.kind !== "push" || s.value.kind !== "index") return;
    const root = rootName(s.value);
    if (root && arrays.has(root)) cost.set(root, (cost.get(root) ?? 0) + weight);
  });
  return cost;
}

/**
 * What a generated body costs beyond the primal, roughly: its pushes and its loop passes,
 * each weighted as in pushCost. Fusing a loop with its reverse removes a pass over the
 * loop's nest and whatever the iterations saved for it.
 */
function sweepCost(body: Stmt[]): number {
  let cost = 0;
  weighted(body, (s, weight) => {
    if (s.kind === "push" || s.kind === "loop") cost += weight;
  });
  return cost;
}

/**
 * Visits the statements with how often each runs, relative to the body: a loop with
 * literal bounds multiplies by its trip count, any other loop by LOOP_WEIGHT (its trip
 * count is unknown at compile time; deeper is assumed more often).
 */
function weighted(body: Stmt[], visit: (s: Stmt, weight: number) => void): void {
  const LOOP_WEIGHT = 16;
  const walk = (stmts: Stmt[], weight: number): void => {
    for (const s of stmts) {
      visit(s, weight);
      if (s.kind === "loop") walk(s.body, weight * (literalTrips(s) ?? LOOP_WEIGHT));
      if (s.kind === "if") {
        walk(s.then, weight);
        walk(s.else, weight);
      }
      if (s.kind === "block") walk(s.body, weight);
    }
  };
  walk(body, 1);
}

/** The trip count of `for (let i = a; i < b; i++)` with literal a and b (also <=, >, >=, i--). */
function literalTrips(s: Extract<Stmt, { kind: "loop" }>): number | null {
  const header = countedHeader(s);
  if (!header || header.stride !== 1 || header.init.init.kind !== "number" || header.bound.kind !== "number") return null;
  const span = header.bound.value - header.init.init.value;
  const trips = { "<": span, "<=": span + 1, ">": -span, ">=": 1 - span }[header.op];
  return Math.max(0, trips);
}

/** Which of `arrays` have elements read (not just their length) by these statements. */
function elementReads(stmts: Stmt[], arrays: Set<string>): Set<string> {
  const found = new Set<string>();
  walkStmts(stmts, (s) => {
    for (const e of stmtExprs(s)) {
      walkExpr(e, (x) => {
        if (x.kind === "index" && x.object.kind === "var" && arrays.has(x.object.name)) {
          // `a_bar`-style targets are other names; an assignment to `a[i]` itself is a restore.
          found.add(x.object.name);
        }
      });
    }
  });
  return found;
}

/** Where in the forward program each variable is read by adjoint code (to-be-recorded analysis). */
type ReadLog = Map<string, { order: number; loops: number[] }[]>;

function sameReads(a: ReadLog, b: ReadLog): boolean {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

interface Plan {
  /** Variables read anywhere in the reverse sweep. */
  needed: Set<string>;
  /** Read positions from the previous round; null in the first round. */
  priorReads: ReadLog | null;
  /** Arrays whose elements are recorded where adjoint code reads them, never restored. */
  recorded: Set<string>;
  /**
   * To-be-recorded analysis on: save an overwritten value only if a later adjoint reads it,
   * and take costly call results from the forward sweep instead of recomputing them.
   */
  tbr: boolean;
}

interface Ctx {
  /** Nested-block locals and loop counters whose reverse-sweep value equals their forward value. */
  available: Set<string>;
}

interface Swept {
  fwd: Stmt[];
  rev: Stmt[];
}

const ANS = "\u0000ans"; // placeholder for a rule's result, substituted by a temporary

class ReverseGenerator {
  readonly stacks = new Set<StackName>();
  readonly pullbacks: PullbackRequest[] = [];
  reverseSweep: Stmt[] = [];
  readonly readLog: ReadLog = new Map();
  /** Program-order position of the statement being transformed, and its enclosing loops. */
  private order = 0;
  private loops: number[] = [];
  private loopCount = 0;
  /** Number of loops enclosing each variable's declaration. */
  private readonly declLoopDepth = new Map<string, number>();
  /**
   * `let` declarations lifted out of branches (see lift()), waiting to be placed before the
   * statement of the enclosing scope (function body, fused loop body) that holds the branch.
   */
  private lifted: Stmt[] = [];
  /**
   * Loops around the innermost block whose locals stay in scope for its own reverse: 0 for
   * the function body, 1 for the last loop's body when it is fused with its reverse. A
   * branch with no other loop between it and that block runs at most once per run of it.
   */
  private scopeLoops = 0;
  /** Names declared exactly once in the function and never a parameter: safe to lift to its top level. */
  private readonly declaredOnce: Set<string>;
  /** Variables that always hold integers (loop bounds end exactly at bound − 1 then). */
  private readonly isInteger: IntegerTest;

  constructor(
    private readonly input: ReverseInput,
    private readonly plan: Plan,
    private readonly barNames: Map<string, string>,
    private namer: Namer,
  ) {
    this.isInteger = integerVariables(input.fn);
    this.declaredOnce = declaredOnce(input.fn);
  }

  /** Keeps the names this generation took, so later functions in the file do not reuse them. */
  commitNames(shared: Namer): void {
    shared.adopt(this.namer);
  }

  private get needed(): Set<string> {
    return this.plan.needed;
  }

  /**
   * To-be-recorded: an overwrite of `name` at the current position must save the old value
   * only if adjoint code that runs after this statement's adjoint reads it — a read at or
   * before this position, or one in a loop shared with it inside the variable's lifetime.
   */
  private mustSave(name: string): boolean {
    if (this.plan.recorded.has(name) || !this.needed.has(name)) return false;
    const reads = this.plan.priorReads?.get(name);
    if (!this.plan.priorReads || !this.plan.tbr) return true;
    if (!reads) return false;
    const depth = this.declLoopDepth.get(name) ?? 0;
    return reads.some((r) => r.order <= this.order || commonPrefix(r.loops, this.loops) > depth);
  }

  private logReads(stmts: Stmt[]): void {
    const names = new Set<string>();
    walkStmts(stmts, (s) => {
      for (const e of stmtExprs(s)) {
        if (s.kind === "assign" && e === (s.target as Expr)) {
          // the target of `x_bar[i] = …` is a write, but its index is read
          if (s.target.kind !== "var") exprReads((s.target as { index: Expr }).index ?? b.num(0), names);
          continue;
        }
        exprReads(e, names);
      }
    });
    for (const name of names) {
      const list = this.readLog.get(name) ?? [];
      list.push({ order: this.order, loops: [...this.loops] });
      this.readLog.set(name, list);
    }
  }

  private get activity(): Activity {
    return this.input.activity;
  }

  private get info(): VariableInfo {
    return this.input.info;
  }

  bar(name: string): string {
    let found = this.barNames.get(name);
    if (!found) {
      found = this.namer.fresh(`${name.replace(/\./g, "_")}_bar`);
      this.barNames.set(name, found);
    } else {
      this.namer.reserve(found);
    }
    return found;
  }

  /** `a[i][j]` → `a_bar[i][j]`. */
  private barOf(e: LValue | Expr): LValue {
    if (e.kind === "var") return { kind: "var", name: this.bar(e.name) };
    if (e.kind === "index") return { kind: "index", object: this.barOf(e.object) as Expr, index: e.index };
    return fail(Codes.InternalError, `no adjoint for ${e.kind}`, this.input.fn.span);
  }

  generate(): ReverseOutput {
    const { fn, wrt, result, gradName, seed } = this.input;
    for (const name of wrt) {
      if (this.info.elementsWritten.has(name)) {
        fail(Codes.UnsupportedAssignment, `'${name}' is differentiated and written to; copy it into a local array first (the gradient is with respect to its value on entry)`, fn.span);
      }
    }
    const stacksBefore = new Set(this.stacks);
    const namerBefore = this.namer.clone();
    const tail = this.fusableTail(fn.body);
    // A loop with no reverse (it computes constants) gains nothing from fusion.
    const fused = tail && tail.rev.length > 0 && this.fusionLegal(tail, result) ? tail : null;
    if (tail && !fused) {
      // Forget the attempt: positions, reads and names must describe the code actually generated.
      this.namer = namerBefore;
      this.lifted = [];
      this.order = 0;
      this.loopCount = 0;
      this.readLog.clear();
      this.declLoopDepth.clear();
      this.stacks.clear();
      for (const x of stacksBefore) this.stacks.add(x);
    }
    const top = fused ? fused.head : this.block(fn.body, { available: new Set() }, true);
    const prologue: Stmt[] = [];
    const epilogue: Stmt[] = [];
    for (const name of wrt) {
      const param = fn.params.find((p) => p.name === name)!;
      for (const leaf of leafPaths(name, param.type)) {
        const slot = pathIn(b.v(gradName), leaf.path) as LValue;
        if (leaf.type.kind === "array") {
          prologue.push(b.declare(this.bar(leaf.path), slot as Expr, false, leaf.type));
        } else {
          prologue.push(b.declare(this.bar(leaf.path), b.num(0), true));
          epilogue.push(...b.increment(slot, b.v(this.bar(leaf.path))));
        }
      }
    }
    const forward = [...top.fwd];
    let valueName: string;
    const resultIsTopVar = result.kind === "var" && this.info.topLevel.has(result.name) && !this.info.params.has(result.name);
    if (fn.returnType.kind === "array" && !resultIsTopVar && result.kind !== "arrayLiteral") {
      fail(Codes.UnsupportedExpression, `return a local array (or an array literal) from '${fn.name}' so its adjoint can be seeded`, fn.span);
    }
    if (resultIsTopVar && !this.needed.has(result.name)) {
      valueName = result.name;
    } else {
      // A copy, because the reverse sweep restores overwritten variables to older values.
      valueName = this.namer.fresh("value");
      const init = fn.returnType.kind === "array" && result.kind === "var" ? copyOf(result, fn.returnType) : result;
      forward.push({ kind: "declare", name: valueName, type: fn.returnType, init, mutable: false });
    }
    // Adjoints of top-level locals live for the whole reverse sweep.
    const adjoints: Stmt[] = [];
    for (const s of fn.body) {
      if (s.kind !== "declare" || !this.activity.active.has(s.name)) continue;
      const isResult = resultIsTopVar && s.name === (result as { name: string }).name;
      if (isResult && s.type.kind === "array") {
        // The seed is the caller's cotangent; copy it, since the reverse sweep zeroes entries.
        adjoints.push(b.declare(this.bar(s.name), copyOf(seed, s.type), false, s.type));
        continue;
      }
      adjoints.push(...this.adjointDeclaration(s, isResult ? seed : b.num(0)));
    }
    let seeding: Stmt[] = [];
    /** `const _t = Math.exp(c)` of the result, which its seeding reads too. */
    let resultCalls: Stmt[] = [];
    this.temps = [new Map()];
    if (!resultIsTopVar && result.kind === "arrayLiteral") {
      result.elements.forEach((el, k) => this.contrib(el, b.index(seed, b.num(k)), seeding));
    } else if (!resultIsTopVar) {
      // Like any declaration: a costly call of the result its adjoint needs again (the exp
      // of -exp(-s)) is computed once, into a local the seeding reads.
      this.storing = this.plan.tbr ? [] : null;
      this.contrib(result, seed, seeding);
      const declaration = forward.pop() as Extract<Stmt, { kind: "declare" }>;
      const taken = this.takeFromForward(declaration, seeding, null, true);
      resultCalls = taken.fwd.slice(0, -1);
      forward.push(...taken.fwd.slice(-1));
      seeding = [...taken.pops, ...taken.adjoint];
    }
    if (fused) {
      // The last loop's iterations only add into adjoints: run each one's reverse right after it.
      // The seeding (and the result's calls it reads) reads nothing the loop writes (fusionLegal).
      const before = cleanupStraightLine([...resultCalls, ...adjoints, ...seeding], () => true);
      const loop: Stmt = { ...fused.loop, body: fuseInnerLoops([...fused.loop.body, b.comment("its reverse, in the same iteration"), ...fused.rev], this.isInteger) };
      const value = forward.splice(fused.head.fwd.length);
      const reverse = cleanupStraightLine(top.rev);
      this.reverseSweep = [...before, ...fused.rev, ...reverse];
      return {
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
        stacks: this.stacks,
        pullbacks: this.pullbacks,
      };
    }
    forward.splice(forward.length - 1, 0, ...resultCalls);
    const reverse = cleanupStraightLine([...adjoints, ...seeding, ...top.rev]);
    this.reverseSweep = reverse;
    const body: Stmt[] = [
      ...prologue,
      b.comment("forward sweep"),
      ...forward,
      b.comment("reverse sweep"),
      ...reverse,
      ...epilogue,
    ];
    const split = this.replayable(forward, reverse) ? { prologue, forward, reverse, epilogue } : undefined;
    return { body, valueName, stacks: this.stacks, pullbacks: this.pullbacks, ...(split && { split }) };
  }

  /**
   * True if the reverse sweep can be run again from the state the forward sweep left
   * (given the stacks rewound): the forward sweep reads no adjoint, gradient record or
   * seed, and the reverse sweep assigns nothing but its own locals, adjoints and the
   * gradient record (no restored primal variable, no shrunk array).
   */
  private replayable(forward: Stmt[], reverse: Stmt[]): boolean {
    const adjoints = new Set([...this.barNames.values(), this.input.gradName]);
    const seed = exprReads(this.input.seed);
    const forwardReads = new Set<string>();
    walkStmts(forward, (s) => {
      for (const e of stmtExprs(s)) exprReads(e, forwardReads);
    });
    if ([...forwardReads].some((n) => adjoints.has(n) || seed.has(n))) return false;
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

  /**
   * Splits off the function's last statement when it is a counted loop, generating its body
   * with locals kept in scope (for fusion) and the statements before it as usual.
   */
  private fusableTail(body: Stmt[]): { head: Swept; loop: Extract<Stmt, { kind: "loop" }>; rev: Stmt[]; bodyStmts: Stmt[]; original: Extract<Stmt, { kind: "loop" }> } | null {
    const last = body[body.length - 1];
    if (!last || last.kind !== "loop" || !this.reversibleHeader(last, { available: new Set() })) return null;
    let appends = false;
    walkStmts(last.body, (s) => {
      if (s.kind === "append") appends = true;
    });
    if (appends) return null;
    const head = this.block(body.slice(0, -1), { available: new Set() }, true);
    this.order++;
    const i = (last.init[0] as Extract<Stmt, { kind: "declare" }>).name;
    const inner = this.inLoop(() => this.block(last.body, { available: new Set([i]) }, false, true), last.span?.line);
    return { head, loop: { ...last, body: inner.fwd }, rev: inner.rev, bodyStmts: last.body, original: last };
  }

  /**
   * Fusing is sound when, inside the loop's reverse, (1) every adjoint of a variable from
   * outside the loop is either only read (its value is final before the loop) or only
   * incremented (increments commute), (2) nothing restores an outer variable from the
   * stack (that would undo the forward recurrence), and (3) what runs before the loop (the
   * seeding) reads nothing the loop writes.
   */
  private fusionLegal(fused: { rev: Stmt[]; bodyStmts: Stmt[]; loop: Extract<Stmt, { kind: "loop" }>; original: Extract<Stmt, { kind: "loop" }> }, result: Expr): boolean {
    // Scratch arrays of the iterations (analysis/scratch.ts) count as the iteration's own.
    const inner = new Set<string>([(fused.loop.init[0] as { name: string }).name, ...this.poppedTemps, ...scratchArrays(this.input.fn.body, fused.original)]);
    walkStmts(fused.bodyStmts, (s) => {
      if (s.kind === "declare") inner.add(s.name);
    });
    const innerAdjoints = new Set([...inner].map((n) => this.barNames.get(n)).filter((n): n is string => !!n));
    const outerAdjoints = new Set([...this.barNames.values()].filter((n) => !innerAdjoints.has(n)));
    const written = new Set<string>();
    const readOther = new Set<string>();
    let ok = true;
    walkStmts(fused.rev, (s) => {
      if (s.kind === "declare") {
        exprReads(s.init, readOther);
        if (s.init.kind === "pop" && !inner.has(s.name)) ok = false;
        return;
      }
      if (s.kind === "assign") {
        const root = rootName(s.target)!;
        if (s.value.kind === "pop" && !inner.has(root)) ok = false;
        lvalueReads(s.target, readOther);
        if (outerAdjoints.has(root)) {
          written.add(root);
          const inc = s.value.kind === "binary" && (s.value.op === "+" || s.value.op === "-") && b.sameExpr(s.value.left, s.target as Expr);
          if (!inc) ok = false;
          else exprReads((s.value as Extract<Expr, { kind: "binary" }>).right, readOther);
          return;
        }
        exprReads(s.value, readOther);
        return;
      }
      if (s.kind === "shrink") ok = false;
      for (const e of stmtExprs(s)) exprReads(e, readOther);
    });
    for (const name of written) if (readOther.has(name)) ok = false;
    // The seeding runs before the loop: it must not read what the loop writes.
    const loopWrites = new Set<string>();
    walkStmts(fused.bodyStmts, (s) => {
      if (s.kind === "assign") loopWrites.add(rootName(s.target)!);
    });
    for (const name of this.seedingReads(result)) if (loopWrites.has(name)) ok = false;
    return ok;
  }

  /**
   * What the seeding code (the adjoint of the result expression) reads, found by generating
   * it aside: `0.5 * quad - lin` reads nothing, `-Math.exp(-sq)` reads sq.
   */
  private seedingReads(result: Expr): Set<string> {
    const reads = new Set<string>();
    if (result.kind === "var") return reads;
    const [namer, temps, pullbacks] = [this.namer, this.temps, this.pullbacks.length];
    this.namer = namer.clone();
    this.temps = [new Map()];
    const out: Stmt[] = [];
    if (result.kind === "arrayLiteral") result.elements.forEach((el, k) => this.contrib(el, b.index(this.input.seed, b.num(k)), out));
    else this.contrib(result, this.input.seed, out);
    [this.namer, this.temps] = [namer, temps];
    this.pullbacks.length = pullbacks;
    walkStmts(out, (x) => {
      for (const e of stmtExprs(x)) exprReads(e, reads);
    });
    return reads;
  }

  private adjointDeclaration(s: Extract<Stmt, { kind: "declare" }>, init: Expr): Stmt[] {
    if (s.type.kind === "number") return [b.declare(this.bar(s.name), init, true)];
    if (s.type.kind === "array") {
      if (s.init.kind === "index") return [b.declare(this.bar(s.name), this.barOf(s.init) as Expr, false, s.type)];
      return [b.declare(this.bar(s.name), { kind: "zerosLike", type: s.type, like: b.v(s.name) }, false, s.type)];
    }
    return [];
  }

  // ---- blocks ----

  /**
   * `top`: the function body, whose locals stay in scope for the reverse sweep.
   * `inScope`: a loop body fused with its reverse (see fuseLastLoop): its locals are still
   * in scope when its reverse runs, so only their adjoints are declared.
   */
  private block(stmts: Stmt[], ctx: Ctx, top: boolean, inScope = false): Swept {
    const inner: Ctx = { available: new Set(ctx.available) };
    // A fused loop body's locals are still in scope when its reverse runs, like the top level's.
    const nested = !top && !inScope;
    if (nested) this.nesting++;
    // A stable local with a recomputable initializer comes back at the top of the mirrored
    // reverse block whenever the reverse sweep reads it, so later statements may rely on it,
    // and every adjoint in the block reads it instead of calling its function again (`sin`
    // for Math.sin(θ)) or dividing again (`v0` for r0 / θ).
    const recomputable = (s: Stmt, available: Set<string>) => s.kind === "declare" && isStable(this.info, s.name) && this.recomputable(s.init, available);
    const calls = new Map<string, string>();
    for (const s of stmts) {
      if (s.kind !== "declare" || !isStable(this.info, s.name) || !worthReusing(s.init)) continue;
      // Its arguments must read the same in every adjoint of the block: stable variables, or
      // loop counters and locals the reverse block has back.
      const fixed = [...exprReads(s.init)].every((n) => n.startsWith("Math.") || isStable(this.info, n) || inner.available.has(n));
      if (fixed) calls.set(JSON.stringify(s.init), s.name);
    }
    this.callLocals.push(calls);
    const scopeBefore = this.scopeLoops;
    if (top || inScope) this.scopeLoops = this.loops.length;
    const parts = stmts.map((s) => {
      const part = this.stmt(s, inner);
      if ((top || inScope) && this.lifted.length > 0) {
        part.fwd.unshift(...this.lifted);
        this.lifted = [];
      }
      if (!top && recomputable(s, inner.available)) inner.available.add((s as { name: string }).name);
      // In a fused body the reverse runs in the same scope, after it: a stable local keeps its value.
      else if (inScope && s.kind === "declare" && isStable(this.info, s.name)) inner.available.add(s.name);
      return part;
    });
    this.scopeLoops = scopeBefore;
    this.callLocals.pop();
    if (nested) this.nesting--;
    const fwd = parts.flatMap((p) => p.fwd);
    const rev = parts.reverse().flatMap((p) => p.rev);
    if (top) return { fwd, rev };
    if (inScope) {
      const adjoints = stmts.flatMap((s) => (s.kind === "declare" && this.activity.active.has(s.name) ? this.adjointDeclaration(s, b.num(0)) : []));
      // The reverse ends the fused body, so what it declares is dead after it.
      return { fwd, rev: cleanupBlock([...adjoints, ...rev]) };
    }

    // Bring back this block's needed locals at the top of its mirrored reverse block.
    const restored: Stmt[] = [];
    const stored: Extract<Stmt, { kind: "declare" }>[] = [];
    const lifted = new Set<string>();
    const available = new Set(ctx.available);
    const adjoints: Stmt[] = [];
    for (const s of stmts) {
      if (s.kind !== "declare") continue;
      const active = this.activity.active.has(s.name);
      const needed = this.needed.has(s.name) || (active && s.type.kind === "array");
      if (needed) {
        const stable = isStable(this.info, s.name);
        if (stable && this.liftsHere() && s.type.kind !== "array" && this.declaredOnce.has(s.name)) {
          // The block runs at most once per run of the enclosing scope: its local can live
          // there, where the reverse sweep reads it as the forward left it.
          lifted.add(s.name);
          this.lift(s.name, s.type);
          available.add(s.name);
        } else if (stable && this.recomputable(s.init, available) && (s.type.kind === "array" || cheapToRecompute(s.init))) {
          restored.push({ ...s, mutable: false, span: undefined });
          available.add(s.name);
        } else if (s.type.kind === "array") {
          fail(Codes.UnsupportedStatement, `local array '${s.name}' is needed by the reverse sweep; declare it at the top level of the function`, s.span ?? this.input.fn.span);
        } else {
          stored.push(s);
          if (stable) available.add(s.name);
        }
      }
      if (active) adjoints.push(...this.adjointDeclaration(s, b.num(0)));
    }
    for (const s of stored) fwd.push(this.save(s.name, s.type.kind === "boolean"));
    const liftedFwd = lifted.size === 0 ? fwd : fwd.map((s): Stmt => (s.kind === "declare" && lifted.has(s.name) ? { kind: "assign", target: b.v(s.name) as LValue, value: s.init, span: s.span } : s));
    const pops = [...stored].reverse().map((s) => ({ ...this.restoreDeclaration(s), span: undefined }) as Stmt);
    // The mirrored block's own locals are dead after it; anything else may be read after it
    // (a loop's next iteration).
    return { fwd: liftedFwd, rev: cleanupBlock([...pops, ...restored, ...adjoints, ...rev]) };
  }

  private save(name: string, isBoolean: boolean): Stmt {
    if (isBoolean) {
      this.stacks.add("control");
      return b.push("control", { kind: "conditional", test: b.v(name), whenTrue: b.num(1), whenFalse: b.num(0) });
    }
    this.stacks.add("values");
    return b.push("values", b.v(name));
  }

  private restoreDeclaration(s: Extract<Stmt, { kind: "declare" }>): Stmt {
    if (s.type.kind === "boolean") {
      this.stacks.add("control");
      return b.declare(s.name, b.bin("===", b.pop("control"), b.num(1)), s.mutable, s.type);
    }
    this.stacks.add("values");
    return b.declare(s.name, b.pop("values"), s.mutable, s.type);
  }

  /** True if `e` can be re-evaluated in the reverse sweep and give the forward value. */
  private recomputable(e: Expr, available: Set<string>): boolean {
    if (e.kind === "length" && e.object.kind === "var") {
      // An array's length never changes; only the variable must still name the same array.
      const name = e.object.name;
      return (this.info.topLevel.has(name) || available.has(name)) && !this.info.reassigned.has(name);
    }
    switch (e.kind) {
      case "pop": return false;
      case "var": {
        if (e.name.startsWith("Math.")) return true;
        const stableTop = this.info.topLevel.has(e.name) && isStable(this.info, e.name);
        return stableTop || available.has(e.name);
      }
      case "index": return this.recomputable(e.object, available) && this.recomputable(e.index, available);
      case "length": case "field": return this.recomputable(e.object, available);
      case "unary": return this.recomputable(e.operand, available);
      case "binary": return this.recomputable(e.left, available) && this.recomputable(e.right, available);
      case "call": return e.args.every((a) => this.recomputable(a, available));
      case "conditional":
        return this.recomputable(e.test, available) && this.recomputable(e.whenTrue, available) && this.recomputable(e.whenFalse, available);
      case "number": case "boolean": return true;
      default: return false;
    }
  }

  // ---- statements ----

  private stmt(s: Stmt, ctx: Ctx): Swept {
    this.order++;
    if (s.kind === "declare") this.declLoopDepth.set(s.name, this.loops.length);
    switch (s.kind) {
      case "declare": return this.declaration(s);
      case "assign": return this.assignment(s);
      case "if": return this.conditional(s, ctx);
      case "loop": return this.loop(s, ctx);
      case "block": {
        const inner = this.block(s.body, ctx, false);
        return { fwd: [{ kind: "block", body: inner.fwd }], rev: inner.rev.length ? [{ kind: "block", body: inner.rev }] : [] };
      }
      case "comment": return { fwd: [s], rev: [] };
      case "append": return this.append(s);
      default:
        return fail(Codes.InternalError, `reverse mode got an unexpected '${s.kind}' statement`, this.input.fn.span);
    }
  }

  /** Source lines already named by an enclosing loop's comment (one-line loops). */
  private readonly commentedLines: number[] = [];

  private sourceComment(span: SourceSpan | undefined): Stmt[] {
    if (!span || this.commentedLines.includes(span.line)) return [];
    if (span.file !== this.input.fn.span.file) return [b.comment(`${baseName(span.file)}:${span.line}`)];
    const text = (this.input.sourceLines[span.line - 1] ?? "").trim();
    return [b.comment(`line ${span.line}: ${text}`)];
  }

  private declaration(s: Extract<Stmt, { kind: "declare" }>): Swept {
    this.temps = [new Map()];
    if (!this.activity.active.has(s.name)) return { fwd: [s], rev: [] };
    const adjoint: Stmt[] = [];
    this.storing = this.plan.tbr ? [] : null;
    if (s.type.kind === "number") {
      // While its own adjoint is generated, a stable local holds its initializer's value
      // whatever that reads (`f` for `M[i * ell + k] / pivot`, which is not fixed).
      const own = isStable(this.info, s.name) && worthReusing(s.init);
      if (own) this.callLocals.push(new Map([[JSON.stringify(s.init), s.name]]));
      this.contrib(s.init, b.v(this.bar(s.name)), adjoint);
      if (own) this.callLocals.pop();
    } else if (s.type.kind === "array" && s.init.kind === "arrayLiteral") {
      s.init.elements.forEach((el, k) => this.contrib(el, b.index(b.v(this.bar(s.name)), b.num(k)), adjoint));
    } else if (s.type.kind === "array" && s.init.kind === "index") {
      if (this.info.elementsWritten.has(s.name)) {
        fail(Codes.UnsupportedAssignment, `'${s.name}' is a row of another array; writing through it is not supported, copy the row instead`, s.span ?? this.input.fn.span);
      }
    }
    const out = this.takeFromForward(s, adjoint, null);
    if (!out.adjoint.length) return { fwd: [s], rev: [] };
    return { fwd: out.fwd, rev: [...this.sourceComment(s.span), ...out.pops, ...this.accumulate(out.adjoint)] };
  }

  private assignment(s: Extract<Stmt, { kind: "assign" }>): Swept {
    this.temps = [new Map()];
    const root = rootName(s.target)!;
    if (this.info.types.get(root)?.kind === "array" && s.target.kind === "var") {
      fail(Codes.UnsupportedAssignment, `reassigning the array '${root}' is not supported; write its elements instead`, s.span ?? this.input.fn.span);
    }
    let restore: { push: Stmt; pop: Stmt } | null = null;
    if (this.mustSave(root)) {
      this.stacks.add("values");
      restore = { push: b.push("values", s.target as Expr), pop: b.assign(s.target, b.pop("values")) };
      // The restore reads its index (`buf[i] = pop()`) here in the reverse sweep, too.
      this.logReads([restore.pop]);
    }
    if (!this.activity.active.has(root)) {
      return restore ? { fwd: [restore.push, s], rev: [...this.sourceComment(s.span), restore.pop] } : { fwd: [s], rev: [] };
    }
    const adjoint: Stmt[] = [];
    this.storing = this.plan.tbr ? [] : null;
    const targetBar = this.barOf(s.target);
    const increment = this.incrementPart(s.target, s.value);
    if (increment && !this.reads(increment.rest, root)) {
      // x = x + e: bar(x) flows through unchanged; e receives ±bar(x).
      this.contrib(increment.rest, increment.sign > 0 ? (targetBar as Expr) : b.neg(targetBar as Expr), adjoint);
    } else if (increment) {
      // x[i] = x[i] + e(x): the same, with bar(x[i]) read once before e's adjoints add to
      // x_bar (possibly to x_bar[i] itself).
      const g = this.namer.temp();
      adjoint.push(b.declare(g, increment.sign > 0 ? (targetBar as Expr) : b.neg(targetBar as Expr)));
      this.contrib(increment.rest, b.v(g), adjoint);
    } else if (!this.reads(s.value, root)) {
      this.contrib(s.value, targetBar as Expr, adjoint);
      adjoint.push(b.assign(targetBar, b.num(0)));
    } else {
      const g = this.namer.temp();
      adjoint.push(b.declare(g, targetBar as Expr), b.assign(targetBar, b.num(0)));
      this.contrib(s.value, b.v(g), adjoint);
    }
    const out = this.takeFromForward(s, adjoint, restore);
    const rev = [...out.pops, ...this.accumulate(out.adjoint)];
    return { fwd: out.fwd, rev: rev.length ? [...this.sourceComment(s.span), ...rev] : [] };
  }

  /**
   * Results of costly calls (exp, tanh, sqrt…) the adjoint needs, collected by bindTemp
   * while a statement is differentiated; null when not collecting (the adjoint recomputes).
   */
  private storing: { whole: Expr; name: string; guard: Guard }[] | null = null;
  /** The branches of conditional expressions the expression being differentiated is in (outermost first). */
  private guard: Guard = [];
  /** Per enclosing block: a stable local's initializer (a costly call) → the local's name. */
  private readonly callLocals: Map<string, string>[] = [];
  /** Blocks (loop bodies, branches) around the statement being transformed; 0 where its locals stay in scope for its reverse. */
  private nesting = 0;

  /**
   * True in a branch with no loop between it and the enclosing scope whose reverse runs in
   * that scope (the function body, the fused loop's body): the branch runs at most once per
   * run of the scope, so what it computes can be lifted there (see lift()).
   */
  private liftsHere(): boolean {
    return this.loops.length === this.scopeLoops;
  }

  /** Declares `let name` (0, or false) in the enclosing scope, before the statement being transformed. */
  private lift(name: string, type: ValueType): void {
    this.lifted.push(b.declare(name, type.kind === "boolean" ? b.bool(false) : b.num(0), true, type));
  }

  /** True where a value the forward sweep holds can stay in scope for the reverse sweep: at nesting 0, or lifted. */
  private inScopeForReverse(): boolean {
    return this.nesting === 0 || this.liftsHere();
  }

  /** `const name = init` where the reverse sweep can see it; in a branch, a lifted `let`. */
  private holdInScope(name: string, init: Expr): Stmt {
    if (this.nesting === 0) return b.declare(name, init);
    this.lift(name, b.NUMBER);
    return b.assign(b.v(name) as LValue, init);
  }

  /**
   * Forward and reverse code of statement `s` for what its adjoint takes from the forward
   * sweep: the old value of an overwritten target (`restore`), recorded reads of arrays,
   * and the results of costly calls (pushed where the forward sweep computes them, so the
   * reverse sweep does not evaluate them again). Pushes happen in this order before `s`
   * (a call result that is the whole right-hand side of a declaration after it); the
   * reverse pops them in the opposite order before the adjoint.
   */
  private takeFromForward(
    s: Extract<Stmt, { kind: "declare" | "assign" }>,
    adjoint: Stmt[],
    restore: { push: Stmt; pop: Stmt } | null,
    atEnd = false,
  ): { fwd: Stmt[]; pops: Stmt[]; adjoint: Stmt[] } {
    const calls = this.storing ?? [];
    this.storing = null;
    let value = s.kind === "declare" ? s.init : s.value;
    const hoisted: Stmt[] = [];
    const after: Stmt[] = [];
    const callPops: Stmt[] = [];
    const afterPops: Stmt[] = [];
    const recompute: Stmt[] = [];
    // Where each stored result is read from in the adjoint: a local still in scope (at the
    // top level, no push is needed) or the temporary it is popped into.
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
          const held = this.namer.temp();
          hoisted.push(this.holdInScope(held, guarded));
          value = replaceExpr(replaced, b.v(call.name), b.v(held));
          results.set(call.name, b.v(held));
        } else {
          recompute.push(b.declare(call.name, guarded));
        }
        continue;
      }
      if (s.kind === "declare" && b.sameExpr(call.whole, value) && isStable(this.info, s.name)) {
        // `const e = Math.exp(x)`: e holds the result, and comes back for the reverse sweep
        // like any other local it reads.
        results.set(call.name, b.v(s.name));
        continue;
      }
      if (this.inScopeForReverse()) {
        if (occursUnconditionally(value, call.whole)) {
          const held = this.namer.temp();
          hoisted.push(this.holdInScope(held, call.whole));
          value = replaceExpr(value, call.whole, b.v(held));
          results.set(call.name, b.v(held));
        } else {
          recompute.push(b.declare(call.name, call.whole));
        }
        continue;
      }
      if (s.kind === "declare" && b.sameExpr(call.whole, value)) {
        // `const e = Math.exp(x)`: e itself is the result.
        after.push(b.push("values", b.v(s.name)));
        afterPops.push({ kind: "declare", name: call.name, type: b.NUMBER, init: { kind: "pop", stack: "values", of: s.name }, mutable: false });
      } else if (occursUnconditionally(value, call.whole)) {
        const held = this.namer.temp();
        hoisted.push(b.declare(held, call.whole), b.push("values", b.v(held)));
        value = replaceExpr(value, call.whole, b.v(held));
        callPops.push({ kind: "declare", name: call.name, type: b.NUMBER, init: { kind: "pop", stack: "values", of: held }, mutable: false });
      } else {
        recompute.push(b.declare(call.name, call.whole));
        continue;
      }
      this.stacks.add("values");
      this.poppedTemps.add(call.name);
      results.set(call.name, b.v(call.name));
    }
    // The adjoint reads the stored result, wherever the call appears in it, and a local that
    // already holds a call's value (or a quotient's) instead of computing it again.
    adjoint = mapStmtExprs(adjoint, (x) => {
      if (x.kind === "var") return results.get(x.name);
      const same = calls.find((c) => c.guard.length === 0 && b.sameExpr(c.whole, x));
      return same ? results.get(same.name) : this.heldBy(x);
    });
    // The result's seeding runs first in the reverse sweep, when every variable and array
    // still holds its final value: nothing to record, no read that asks for a restore.
    const recorded = atEnd ? { before: [], pops: [], adjoint: [...recompute, ...adjoint] } : this.recordReads([...recompute, ...adjoint]);
    if (!atEnd) this.logReads(recorded.adjoint);
    const stmt: Stmt = s.kind === "declare" ? { ...s, init: value } : { ...s, value };
    return {
      fwd: [...recorded.before, ...hoisted, ...(restore ? [restore.push] : []), stmt, ...after],
      pops: [...afterPops.reverse(), ...(restore ? [restore.pop] : []), ...callPops.reverse(), ...recorded.pops],
      adjoint: recorded.adjoint,
    };
  }

  /** Temporaries declared from a pop (recorded reads, call results): a fused loop's reverse may pop them. */
  readonly poppedTemps = new Set<string>();

  /**
   * Recorded reads: the elements of `plan.recorded` arrays that a statement's adjoint reads
   * are pushed just before the statement and popped into temporaries the adjoint reads
   * instead, so the array itself never has to be restored.
   */
  private recordReads(adjoint: Stmt[]): { before: Stmt[]; pops: Stmt[]; adjoint: Stmt[] } {
    if (this.plan.recorded.size === 0) return { before: [], pops: [], adjoint };
    const slots = new Map<string, { name: string; value: Expr }>();
    const rewritten = mapStmtExprs(adjoint, (x) => {
      if (x.kind !== "index" || x.object.kind !== "var" || !this.plan.recorded.has(x.object.name)) return undefined;
      const key = JSON.stringify(x);
      let slot = slots.get(key);
      if (!slot) {
        const at = x.index.kind === "var" ? x.index.name : x.index.kind === "number" && Number.isInteger(x.index.value) ? String(x.index.value) : "at";
        const base = `${x.object.name}_${at}`;
        slot = { name: this.namer.fresh(base), value: x };
        slots.set(key, slot);
        this.poppedTemps.add(slot.name);
      }
      return b.v(slot.name);
    });
    if (slots.size === 0) return { before: [], pops: [], adjoint };
    this.stacks.add("values");
    const list = [...slots.values()];
    return {
      before: list.map((slot) => b.push("values", slot.value)),
      pops: [...list].reverse().map((slot) => b.declare(slot.name, { kind: "pop", stack: "values", of: rootName(slot.value)! })),
      adjoint: rewritten,
    };
  }

  /**
   * `a.push(e)`: the pushed element's adjoint flows to e, then the reverse sweep pops the
   * element again, so `a.length` (and every index computed from it) reads as it did then.
   */
  private append(s: Extract<Stmt, { kind: "append" }>): Swept {
    this.temps = [new Map()];
    const active = this.activity.active.has(s.array);
    if (!active && !this.needed.has(s.array)) return { fwd: [s], rev: [] };
    // The pushed element's adjoint is read first; then the element goes, so that the pushed
    // value's own reads (say `a[a.length - 1]`) see the array as it was before the push.
    const adjoint: Stmt[] = [];
    const after: Stmt[] = [];
    if (active) {
      const last = b.sub({ kind: "length", object: b.v(s.array) }, b.num(1));
      const g = this.namer.temp();
      adjoint.push(b.declare(g, b.index(b.v(this.bar(s.array)), last)));
      this.contrib(s.value, b.v(g), after);
    }
    const recorded = this.recordReads(after);
    this.logReads([...adjoint, ...recorded.adjoint]);
    return {
      fwd: [...recorded.before, s],
      rev: [...this.sourceComment(s.span), ...adjoint, { kind: "shrink", array: s.array }, ...recorded.pops, ...this.accumulate(recorded.adjoint)],
    };
  }

  /** Recognizes `t = t + rest` / `t = t - rest`. */
  private incrementPart(target: LValue, value: Expr): { rest: Expr; sign: number } | null {
    if (value.kind !== "binary" || (value.op !== "+" && value.op !== "-")) return null;
    if (!b.sameExpr(value.left, target as Expr)) return null;
    return { rest: value.right, sign: value.op === "+" ? 1 : -1 };
  }

  private reads(e: Expr, name: string): boolean {
    return exprReads(e).has(name);
  }

  private conditional(s: Extract<Stmt, { kind: "if" }>, ctx: Ctx): Swept {
    const then = this.block(s.then, ctx, false);
    const otherwise = this.block(s.else, ctx, false);
    const fwdIf = (t: Stmt[], e: Stmt[]): Stmt => ({ kind: "if", test: s.test, then: t, else: e, span: s.span });
    if (then.rev.length === 0 && otherwise.rev.length === 0) return { fwd: [fwdIf(then.fwd, otherwise.fwd)], rev: [] };
    if (this.recomputable(s.test, ctx.available)) {
      return { fwd: [fwdIf(then.fwd, otherwise.fwd)], rev: [{ kind: "if", test: s.test, then: then.rev, else: otherwise.rev }] };
    }
    if (this.liftsHere()) {
      // The branch runs at most once per run of the scope its reverse runs in: a lifted
      // boolean (set in the branch taken) remembers it, as a hand-written gradient would.
      const taken = this.namer.fresh("taken");
      this.lift(taken, b.BOOLEAN);
      const thenHasWork = then.rev.length > 0;
      const mark: Stmt = b.assign(b.v(taken) as LValue, b.bool(true));
      return {
        fwd: [fwdIf(thenHasWork ? [...then.fwd, mark] : then.fwd, thenHasWork ? otherwise.fwd : [...otherwise.fwd, mark])],
        rev: [thenHasWork ? { kind: "if", test: b.v(taken), then: then.rev, else: otherwise.rev } : { kind: "if", test: b.v(taken), then: otherwise.rev, else: [] }],
      };
    }
    this.stacks.add("control");
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

  private inLoop<T>(f: () => T, line?: number): T {
    this.loops.push(this.loopCount++);
    if (line !== undefined) this.commentedLines.push(line);
    try {
      return f();
    } finally {
      this.loops.pop();
      if (line !== undefined) this.commentedLines.pop();
    }
  }

  private loop(s: Extract<Stmt, { kind: "loop" }>, ctx: Ctx): Swept {
    const counted = this.countedLoop(s, ctx);
    if (counted) return counted;
    if (s.init.length > 0) {
      // The init's variables belong to a block around the loop, so they can be saved at its end.
      return this.stmt({ kind: "block", body: [...s.init, { ...s, init: [] }] }, ctx);
    }
    const body = this.inLoop(() => this.block([...s.body, ...s.update], ctx, false), s.span?.line);
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
    const trips = this.namer.fresh("trips");
    this.stacks.add("control");
    return {
      fwd: [
        b.declare(trips, b.num(0), true),
        fwdLoop([...body.fwd, b.assign({ kind: "var", name: trips }, b.add(b.v(trips), b.num(1)))]),
        b.push("control", b.v(trips)),
      ],
      rev: [
        ...this.sourceComment(s.span),
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
  private countedLoop(s: Extract<Stmt, { kind: "loop" }>, ctx: Ctx): Swept | null {
    const header = this.reversibleHeader(s, ctx);
    if (!header) return null;
    const { i, init, op, bound, up, stride } = header;
    const inner: Ctx = { available: new Set([...ctx.available, i]) };
    const body = this.inLoop(() => this.block(s.body, inner, false), s.span?.line);
    const fwd: Stmt = { ...s, body: body.fwd };
    if (body.rev.length === 0) return { fwd: [fwd], rev: [] };
    const last = lastIndex(init.init, op, bound, this.isInteger, stride);
    // With activity analysis off even the counter is "active"; its adjoint is simply dropped.
    const counterAdjoint = this.activity.active.has(i) ? [b.declare(this.bar(i), b.num(0), true)] : [];
    const rev: Stmt = {
      kind: "loop",
      form: "for",
      init: [b.declare(i, last, true)],
      test: b.bin(up ? ">=" : "<=", b.v(i), init.init),
      update: [b.assign({ kind: "var", name: i }, up ? b.sub(b.v(i), b.num(stride)) : b.add(b.v(i), b.num(stride)))],
      body: [...counterAdjoint, ...body.rev],
    };
    return { fwd: [fwd], rev: [...this.sourceComment(s.span), rev] };
  }

  /**
   * A counted loop's header (analysis/loops.ts) whose body never writes the counter and whose bounds
   * the reverse sweep can evaluate again; null for any other loop.
   */
  private reversibleHeader(s: Extract<Stmt, { kind: "loop" }>, ctx: Ctx): ReturnType<typeof countedHeader> {
    const header = countedHeader(s);
    if (!header || header.init.type.kind !== "number") return null;
    let writesCounter = false;
    walkStmts(s.body, (x) => {
      if (x.kind === "assign" && rootName(x.target) === header.i) writesCounter = true;
    });
    if (writesCounter) return null;
    if (!this.recomputable(header.init.init, ctx.available) || !this.recomputable(header.bound, ctx.available)) return null;
    return header;
  }

  // ---- expressions ----

  /** Appends to `out` the statements that add `g` times d(e) to the adjoints of e's active inputs. */
  private contrib(e: Expr, g: Expr, out: Stmt[]): void {
    if (!this.activity.isActive(e)) return;
    switch (e.kind) {
      case "var":
      case "index":
        out.push(...b.increment(this.barOf(e), g));
        return;
      case "unary":
        if (e.op === "-") this.contrib(e.operand, b.neg(g), out);
        else if (e.op === "+") this.contrib(e.operand, g, out);
        return;
      case "binary": {
        const factors = productFactors(e);
        if (factors && factors.length > 2 || (factors && b.sameExpr(e.left, e.right))) {
          const parts = productPartials(factors!).filter((p) => this.activity.isActive(p.factor));
          if (parts.length > 1 && !b.isTrivial(g)) g = this.bindTemp(g, out);
          for (const p of parts) this.contrib(p.factor, b.mul(g, p.partial), out);
          return;
        }
        this.applyRule(e.op, [e.left, e.right], e, g, out);
        return;
      }
      case "call":
        this.applyRule(e.callee, e.args, e, g, out);
        return;
      case "userCall":
        this.customRule(e, g, out);
        return;
      case "conditional": {
        const whenTrue: Stmt[] = [];
        const whenFalse: Stmt[] = [];
        this.temps.push(new Map());
        this.guard.push({ test: e.test, taken: true });
        this.contrib(e.whenTrue, g, whenTrue);
        this.guard.pop();
        this.temps.pop();
        this.temps.push(new Map());
        this.guard.push({ test: e.test, taken: false });
        this.contrib(e.whenFalse, g, whenFalse);
        this.guard.pop();
        this.temps.pop();
        out.push({ kind: "if", test: e.test, then: whenTrue, else: whenFalse });
        return;
      }
      default:
        fail(Codes.InternalError, `reverse mode cannot differentiate a '${e.kind}' expression`, this.input.fn.span);
    }
  }

  /**
   * A call with a user-supplied VJP: `rule(args…, g, record)` adds the adjoints of array
   * arguments straight into their adjoint arrays (the record's fields alias them) and
   * leaves scalar adjoints in the record, from where they flow on to the arguments.
   */
  private customRule(e: Extract<Expr, { kind: "userCall" }>, g: Expr, out: Stmt[]): void {
    const rule = e.rule;
    if (!rule) fail(Codes.InternalError, `call to '${e.callee}' was not inlined`, e.span ?? this.input.fn.span);
    // A generated pullback is specialized to the arguments that are active at this call.
    const wanted = rule.params.filter((p, k) => isDifferentiable(p.type) && (!rule.generated || this.activity.isActive(e.args[k]!)));
    if (wanted.length === 0) return;
    let name = rule.name;
    if (rule.generated) {
      const all = rule.params.filter((p) => isDifferentiable(p.type)).length === wanted.length;
      name = all ? rule.name : `${rule.name}_${wanted.map((p) => p.name).join("_")}`;
      if (!this.pullbacks.some((p) => p.name === name)) {
        this.pullbacks.push({ callee: e.callee, span: e.span ?? this.input.fn.span, wrt: wanted.map((p) => p.name), name });
      }
    }
    const record = this.namer.temp();
    const fields = wanted.map((p) => ({ name: p.name, value: this.adjointSlot(e.args[rule.params.indexOf(p)]!, p.type) }));
    out.push({ kind: "declare", name: record, type: { kind: "opaque", text: "" }, init: { kind: "record", fields }, mutable: false });
    out.push({ kind: "call", callee: name, args: [...e.args, g, b.v(record)] });
    rule.params.forEach((p, k) => {
      if (p.type.kind === "number" && wanted.includes(p)) this.contrib(e.args[k]!, b.field(b.v(record), p.name), out);
    });
  }

  /** Where a rule adds an argument's adjoint: the argument's own adjoint array, or a scratch zero value. */
  private adjointSlot(arg: Expr, type: import("../ir/nodes.ts").ValueType): Expr {
    if (type.kind === "number") return b.num(0);
    if (type.kind === "record" && arg.kind === "var") {
      return { kind: "record", fields: type.fields.map((f) => ({ name: f.name, value: this.adjointSlot(b.v(`${arg.name}.${f.name}`), f.type) })) };
    }
    if (this.activity.isActive(arg) && (arg.kind === "var" || arg.kind === "index")) return this.barOf(arg) as Expr;
    return { kind: "zerosLike", type, like: arg };
  }

  private applyRule(primitive: string, args: Expr[], whole: Expr, g: Expr, out: Stmt[]): void {
    const original = args;
    const rule = PRIMITIVES[primitive];
    if (!rule) fail(Codes.UnsupportedExpression, `no derivative rule for '${primitive}'`, this.input.fn.span);
    const active = args.map((a) => this.activity.isActive(a));
    if (primitive === "/" && active[0]) {
      this.quotient(args[0]!, args[1]!, active[1]!, g, out);
      return;
    }
    const partials = rule.partials(args, () => b.v(ANS));
    const used = args.map((_, k) => (active[k] && partials[k] ? partials[k] : null));
    const count = used.filter((p) => p !== null).length;
    if (count === 0) return;
    if (count > 1 && !b.isTrivial(g)) g = this.bindTemp(g, out);
    // An argument the partials mention more than once (b in -a/(b·b)) is evaluated once.
    for (let k = 0; k < args.length; k++) {
      const arg = args[k]!;
      if (isCheap(arg)) continue;
      const text = JSON.stringify(arg);
      const uses = used.reduce((n, p) => n + (p ? occurrences(JSON.stringify(p), text) : 0), 0);
      // A call argument is bound too: its own rule will want its value again (exp, tanh, sqrt…).
      if (uses > 1 || (uses === 1 && arg.kind === "call" && used[k] !== null)) {
        const bound = this.bindTemp(arg, out);
        for (let j = 0; j < used.length; j++) if (used[j]) used[j] = replaceExpr(used[j]!, arg, bound);
        args = args.map((a, j) => (j === k ? bound : a));
      }
    }
    let ans: Expr | null = null;
    for (let k = 0; k < args.length; k++) {
      let partial = used[k];
      if (!partial) continue;
      if (exprReads(partial).has(ANS)) {
        ans ??= this.bindTemp(whole, out);
        partial = substituteVar(partial, ANS, ans);
      }
      this.contrib(original[k]!, b.mul(g, partial), out);
    }
  }

  /**
   * a / b: the table's partials 1/b and -a/b², evaluated as t = g/b, a gets t, b gets
   * -t·(a/b): one division by b instead of two plus a square, and a/b itself is read from
   * a local that holds it where there is one (`v0` for r0 / θ).
   */
  private quotient(a: Expr, divisor: Expr, divisorActive: boolean, g: Expr, out: Stmt[]): void {
    const bound = (e: Expr) => (isCheap(e) ? e : this.bindTemp(e, out));
    const held = this.heldBy(b.bin("/", a, divisor));
    const denominator = divisorActive ? bound(divisor) : divisor;
    const ratio = held ?? (divisorActive ? b.div(bound(a), denominator) : null);
    const t = divisorActive ? this.bindTemp(b.div(g, denominator), out) : b.div(g, denominator);
    this.contrib(a, t, out);
    if (divisorActive) this.contrib(divisor, b.neg(b.mul(t, ratio!)), out);
  }

  /** The stable local that already holds `x`'s value (a call's or a quotient's) here, if any (`callLocals`). */
  private heldBy(x: Expr): Expr | undefined {
    if (!worthReusing(x)) return undefined;
    const key = JSON.stringify(x);
    for (let k = this.callLocals.length - 1; k >= 0; k--) {
      const name = this.callLocals[k]!.get(key);
      if (name) return b.v(name);
    }
    return undefined;
  }

  /** Adjoint statements with consecutive `t += e1; t += e2` merged into `t += e1 + e2`. */
  private accumulate(stmts: Stmt[]): Stmt[] {
    const out: Stmt[] = [];
    for (const s of stmts) {
      const prev = out[out.length - 1];
      const inc = incrementOf(s);
      const prevInc = prev && incrementOf(prev);
      if (inc && prevInc && b.sameExpr(inc.target as Expr, prevInc.target as Expr) && !exprReads(inc.term).has(rootName(inc.target)!)) {
        const term = b.sameExpr(inc.term, prevInc.term) ? b.mul(b.num(2), inc.term) : b.add(prevInc.term, inc.term);
        out[out.length - 1] = b.assign(inc.target, b.add(inc.target as Expr, term));
      } else {
        out.push(s);
      }
    }
    return out;
  }

  /** Temporaries of the statement being differentiated, innermost branch last (common subexpressions). */
  private temps: Map<string, Expr>[] = [new Map()];

  private bindTemp(e: Expr, out: Stmt[]): Expr {
    if (b.isTrivial(e)) return e;
    const key = JSON.stringify(e);
    for (const scope of this.temps) {
      const found = scope.get(key);
      if (found) return found;
    }
    const name = this.namer.temp();
    // A costly call whose rule reads its result is taken from the forward sweep everywhere;
    // any other costly call an adjoint needs (sin(v) as the other factor of sin(v)·t) only
    // where that needs no push (the top level, a fused loop's body): pushing those inside
    // loops would save little and would stop inner-loop fusion.
    const stored = e.kind === "call" && (reusesCostlyResult(e.callee) || (this.inScopeForReverse() && isCostlyOtherwise(e.callee)));
    // A costly call's value: taken from the forward sweep (see takeFromForward). Inside a
    // branch of `?:` (the logistic loss's exp(-s) when s > 0) only at the top level and under
    // the same condition; `temps` has a scope per enclosing branch, so it is shared within
    // that branch only.
    const guarded = this.guard.length > 0;
    if (this.storing !== null && stored && (!guarded || (this.inScopeForReverse() && this.guard.every((c) => cheapToRecompute(c.test))))) {
      this.storing.push({ whole: e, name, guard: [...this.guard] });
      this.temps[this.temps.length - 1]!.set(key, b.v(name));
      return b.v(name);
    }
    out.push(b.declare(name, e));
    this.temps[this.temps.length - 1]!.set(key, b.v(name));
    return b.v(name);
  }
}

/** A fresh array with the elements of `e`, of the container type of `type`. */
function copyOf(e: Expr, type: import("../ir/nodes.ts").ValueType): Expr {
  const container = type.kind === "array" && type.container === "float64array" ? "Float64Array" : type.kind === "array" && type.container === "float32array" ? "Float32Array" : "Array";
  return b.call(`${container}.from`, [e]);
}

function incrementOf(s: Stmt): { target: LValue; term: Expr } | null {
  if (s.kind !== "assign" || s.value.kind !== "binary" || s.value.op !== "+") return null;
  if (!b.sameExpr(s.value.left, s.target as Expr)) return null;
  return { target: s.target, term: s.value.right };
}

function commonPrefix(a: number[], b: number[]): number {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
}

/** The branches of conditional expressions an expression sits in: `test` and which way it went. */
type Guard = { test: Expr; taken: boolean }[];

/**
 * `e` with the first unconditional occurrence of `part` inside the branch that `guard`
 * leads to replaced by `by`; null when `part` is not there. The conditionals on the path
 * must themselves occur unconditionally, each inside the previous one's branch.
 */
function replaceUnder(e: Expr, guard: Guard, part: Expr, by: Expr): Expr | null {
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
function occursUnconditionally(e: Expr, part: Expr): boolean {
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

/** Names declared exactly once in `fn`'s body (any block) that are not parameters. */
function declaredOnce(fn: FunctionIR): Set<string> {
  const count = new Map<string, number>();
  walkStmts(fn.body, (s) => {
    if (s.kind === "declare") count.set(s.name, (count.get(s.name) ?? 0) + 1);
  });
  const params = new Set(fn.params.map((p) => p.name));
  return new Set([...count].filter(([name, n]) => n === 1 && !params.has(name)).map(([name]) => name));
}

/** No calls but the cheap ones: recomputing beats a push and a pop (tanh, exp… do not). */
function cheapToRecompute(e: Expr): boolean {
  let cheap = true;
  walkExpr(e, (x) => {
    if (x.kind === "call" && !isCheapCall(x.callee)) cheap = false;
  });
  return cheap;
}

/** A costly call or a division: a local holding its value is read instead of computing it again. */
function worthReusing(e: Expr): boolean {
  return (e.kind === "call" && !isCheapCall(e.callee)) || (e.kind === "binary" && e.op === "/");
}

/** Variables, literals and `a[i]` with a simple index: re-reading them costs nothing. */
function isCheap(e: Expr): boolean {
  if (b.isTrivial(e)) return true;
  return e.kind === "index" && isCheap(e.object) && b.isTrivial(e.index);
}

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}


/** `grad` + `p.layer.W` → `grad.p.layer.W`. */
export function pathIn(record: Expr, path: string): Expr {
  return path.split(".").reduce((e, name) => b.field(e, name), record);
}
