/**
 * Reverse mode (adjoint code generation): the strategy search, and the entry of the
 * `reverse/` rooms.
 *
 * Takes: a control-flow-normalized function (no jumps; see normalize.ts), its result
 * expression, the wrt parameters, activity and variable facts (and the same with its
 * heaviest loop moved last, lastLoop.ts).
 * Gives: the body of the zero-allocation gradient function: a forward sweep that replays
 * the primal and saves what the reverse sweep needs, then a reverse sweep that
 * accumulates adjoints (`x_bar`) into the caller's gradient record.
 *
 * The rooms, each a file of this folder:
 *
 *   strategy.ts     which body to keep: the two statement orders, saving each scratch array
 *                   at writes or at reads, and the to-be-recorded fixpoint
 *   cost.ts         the cost model the search weighs bodies with
 *   reads.ts        what a sweep reads, as the fixpoint counts it
 *   body.ts         one generation: prologue, forward sweep, seeding, reverse sweep
 *   fusion.ts       the last loop fused with its reverse · innerLoops.ts: inner loops too
 *   sweeps.ts       statement and block adjoints, branches and loops reversed
 *   saving.ts       the saving policy: save, recompute, lift, record reads
 *   expressions.ts  expression adjoints from the primitives table
 *   context.ts      the explicit state: Generation, Attempt, Scope, ExprContext
 *   lastLoop.ts     the heaviest loop moved last (the second order the search weighs)
 *
 * "Needed" (what the reverse sweep reads, so what must come back from the forward sweep)
 * is found by a fixpoint: generate, collect what the reverse sweep reads, repeat. Each round
 * is a fresh generation (a straight-line body's statements are swept once for all rounds,
 * which only differ in the saves: body.ts, generateOnce); one that does not converge is an
 * internal error.
 */
import { Codes, fail } from "../../diagnostics.ts";
import type { Stmt } from "../../ir/nodes.ts";
import { stmtExprs, walkExpr, walkStmts } from "../../ir/visit.ts";
import { completeBody, generateBody, generateOnce, straightLine, type Completion, type Generated } from "./body.ts";
import { sweepReads, type KeptReads } from "./reads.ts";
import { newGeneration } from "./context.ts";
import { pushCost, sweepCost } from "./cost.ts";
import type { Plan, ReadLog, ReverseInput, ReverseOutput } from "./types.ts";

/** Rounds of the to-be-recorded fixpoint before it counts as not converging (three suffice for every program seen). */
const MAX_ROUNDS = 10;

export function reverseMode(input: ReverseInput): ReverseOutput {
  const plain = bestRecording(input);
  const chosen = input.reordered ? cheaper(input, plain, bestRecording({ ...input, ...input.reordered })) : plain;
  // Keep the names this generation took, so later functions in the file do not reuse them.
  input.namer.adopt(chosen.attempt.namer);
  return chosen.output;
}

/**
 * The same function with its heaviest loop last (lastLoop.ts): kept when that saves less,
 * unless it loses split mode, which an array result's rows (fVjpRowsInto) rely on.
 */
function cheaper(input: ReverseInput, plain: Generated, moved: Generated): Generated {
  const losesSplit = input.fn.returnType.kind === "array" && plain.output.split && !moved.output.split;
  return !losesSplit && sweepCost(moved.output.body) < sweepCost(plain.output.body) ? moved : plain;
}

/** The generated body for the cheaper way of saving each scratch array (at writes or at reads). */
function bestRecording(input: ReverseInput): Generated {
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

/**
 * Generates the reverse body, growing the set of variables the reverse sweep needs to a
 * fixpoint: each round generates afresh from what the previous one read (variables and
 * their read positions), until a round reads nothing new at the same positions.
 */
function solve(input: ReverseInput, recorded: Set<string>, tbr: boolean): Generated {
  const primal = new Set<string>([...input.info.types.keys()]);
  const adjointNames = new Map<string, string>();
  let needed = new Set<string>();
  let priorReads: ReadLog | null = null;
  const rounds = input.maxRounds ?? MAX_ROUNDS;
  const generate = generator(input, recorded, tbr, adjointNames);
  for (let round = 0; round < rounds; round++) {
    const plan: Plan = { needed, priorReads, recorded, tbr };
    const { generated, reads } = round === 0 ? firstRound(generate, plan, adjointNames, primal) : generatedReads(generate(plan, adjointNames, WHOLE));
    const grown = [...reads].filter((n) => primal.has(n) && !needed.has(n));
    if (grown.length === 0 && priorReads !== null && sameReads(priorReads, generated.attempt.readLog)) return generated;
    needed = new Set([...needed, ...grown]);
    priorReads = generated.attempt.readLog;
  }
  return fail(
    Codes.InternalError,
    `internal error while compiling '${input.fn.name}': reverse mode's to-be-recorded analysis did not converge in ${rounds} rounds (what the reverse sweep reads kept changing). This is a bug in tsgrad; please report it with this function.`,
    input.fn.span,
  );
}

type Generate = (plan: Plan, adjointNames: Map<string, string>, completion: Completion) => Generated;

/** Every round after the first generates the whole body (it may be the one kept). */
const WHOLE: Completion = { cleanup: true, readsOnly: false };

/**
 * Each round's generation: afresh, or for a straight-line body from its statements'
 * sweeps generated once (body.ts, generateOnce; the same bodies, one generation of the
 * statements instead of one per round).
 */
function generator(input: ReverseInput, recorded: Set<string>, tbr: boolean, adjointNames: Map<string, string>): Generate {
  // The facts of the function (integer variables, names declared once) are the same in every round.
  const facts = newGeneration(input, { needed: new Set(), priorReads: null, recorded, tbr }, adjointNames);
  if (input.generateOnce === false || !straightLine(input.fn.body)) {
    return (plan, names, completion) => generateBody({ ...facts, plan, adjointNames: names }, input.namer.clone(), completion);
  }
  const once = generateOnce(facts, input.namer.clone());
  return (plan, names, completion) => completeBody(once, plan, names, completion);
}

/** A generation with the names its reverse sweep reads (as the fixpoint counts them: an assignment's target too). */
function generatedReads(generated: Generated): { generated: Generated; reads: Set<string> } {
  return { generated, reads: sweepReads(generated.reverseSweep) };
}

/**
 * The first round, which only tells the next one what the reverse sweep reads and where
 * (nothing is needed yet, so it is never the body kept): generated without the sweep's
 * top-level cleanup, the largest part of a straight-line function's generation. When the
 * raw reads are known to be the cleaned ones (rawReadsAreFinal), they are used; otherwise
 * the round is generated again with the cleanup, from the adjoint names as they were (the
 * first try named them in a copy).
 */
function firstRound(generate: Generate, plan: Plan, adjointNames: Map<string, string>, primal: Set<string>): { generated: Generated; reads: Set<string> } {
  const names = new Map(adjointNames);
  const raw = generate(plan, names, { cleanup: false, readsOnly: true });
  // What it reads, and what the cleanup would keep reading, in one walk.
  const kept: KeptReads = { names: new Set(), copies: new Set() };
  const reads = sweepReads(raw.reverseSweep, new Set(), kept);
  if (keepsPrimalReads(reads, kept, primal)) {
    names.forEach((bar, name) => adjointNames.set(name, bar));
    return { generated: raw, reads };
  }
  return generatedReads(generate(plan, adjointNames, { cleanup: true, readsOnly: true }));
}

/**
 * True if the cleanup of a reverse sweep (`raw`, which reads `reads`) keeps reading every
 * variable of `primal` it reads (the only names the fixpoint asks about): the cleanup
 * never adds a read, and keeps every one readsKeptByCleanup names.
 */
export function rawReadsAreFinal(raw: Stmt[], reads: Set<string>, primal: Set<string>): boolean {
  const kept: KeptReads = { names: new Set(), copies: new Set() };
  sweepReads(raw, new Set(), kept);
  return keepsPrimalReads(reads, kept, primal);
}

/** rawReadsAreFinal from what sweepReads gathered: every name of `primal` in `reads` is kept (and not a copy's). */
function keepsPrimalReads(reads: Set<string>, kept: KeptReads, primal: Set<string>): boolean {
  for (const n of reads) if (primal.has(n) && (!kept.names.has(n) || kept.copies.has(n))) return false;
  return true;
}

/** The same variables read at the same positions (compared entry by entry: sorting whole entries stringified each list at every comparison). */
function sameReads(a: ReadLog, b: ReadLog): boolean {
  if (a.size !== b.size) return false;
  // (forEach: no entry array per variable, of which a large function logs thousands.)
  let same = true;
  a.forEach((reads, name) => {
    if (same) same = sameEntries(reads, b.get(name));
  });
  return same;
}

type ReadsOf = { order: number; loops: number[] }[];

/** One variable's reads in two logs: the same positions, in the same order. */
function sameEntries(reads: ReadsOf, other: ReadsOf | undefined): boolean {
  if (!other || other.length !== reads.length) return false;
  for (let k = 0; k < reads.length; k++) {
    const r = reads[k]!;
    const o = other[k]!;
    if (r.order !== o.order || r.loops.length !== o.loops.length) return false;
    for (let l = 0; l < r.loops.length; l++) if (r.loops[l] !== o.loops[l]) return false;
  }
  return true;
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
