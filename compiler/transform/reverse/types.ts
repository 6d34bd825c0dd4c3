/**
 * What reverse mode takes and gives (see strategy.ts for the rooms of this folder).
 */
import type { SourceSpan } from "../../diagnostics.ts";
import type { Expr, FunctionIR, StackName, Stmt } from "../../ir/nodes.ts";
import type { Activity } from "../../analysis/activity.ts";
import type { VariableInfo } from "../../analysis/variables.ts";
import type { Namer } from "../naming.ts";

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
  /** False: every round of the to-be-recorded fixpoint generates a straight-line body afresh, as any other (a test compares the two). */
  generateOnce?: boolean;
  /** Rounds of the to-be-recorded fixpoint before it counts as not converging (default 10; a test lowers it). */
  maxRounds?: number;
  /** The automatic checkpointing policy: outermost counted loops that save values are checkpointed within this many bytes. */
  checkpointBudget?: number;
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
  /** Shared callee pullbacks this body calls (generated once per file, see modes/requests.ts). */
  pullbacks: PullbackRequest[];
  body: Stmt[];
  /** Name of the variable holding the primal result at the end of `body`. */
  valueName: string;
  stacks: Set<StackName>;
  /**
   * `body` in its four parts, present when the reverse sweep can run again after itself
   * from the same forward state (one forward sweep, a reverse sweep per cotangent; see
   * fVjpRowsInto in modes/vjp.ts): the forward sweep reads no adjoint and the reverse sweep
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

/** Where in the forward program each variable is read by adjoint code (to-be-recorded analysis). */
export type ReadLog = Map<string, { order: number; loops: number[] }[]>;

/** What one generation decides before it starts (strategy.ts chooses it). */
export interface Plan {
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

/** A statement or block's forward code and the reverse code that undoes it. */
export interface Swept {
  fwd: Stmt[];
  rev: Stmt[];
}

/**
 * An assignment's save of the value it overwrites, left to each round of the fixpoint
 * (body.ts, generateOnce): the statement's sweeps hold `fwdMark` and `revMark` where the
 * push and the pop go (saving.ts, fillSaves).
 */
export interface DeferredSave {
  name: string;
  /** The statement's program-order position (in a straight-line body, no loop encloses it or a declaration). */
  order: number;
  push: Stmt;
  pop: Stmt;
  /** The statement's source comment, above the pop, when the pop is all its reverse has. */
  comment: Stmt[];
  fwdMark: Stmt;
  revMark: Stmt;
}
