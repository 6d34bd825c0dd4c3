/**
 * The one pass interface of the modes: a pass takes a Unit (one annotation's work, as the
 * passes before it left it) and gives a Unit. compiler/pipeline.ts lists each mode's passes.
 *
 * Analyses are facts of the unit's function, computed on first use and kept (the IR is
 * immutable, so a function object's facts never change): variablesOf, activityOf.
 */
import type { SourceSpan } from "../diagnostics.ts";
import type { DerivativeRequest, Expr, FunctionIR, Param, StackName, ValueType } from "../ir/nodes.ts";
import { gradientTypeText } from "../ir/types.ts";
import * as b from "../ir/build.ts";
import { analyzeActivity, type Activity } from "../analysis/activity.ts";
import { analyzeVariables, type VariableInfo } from "../analysis/variables.ts";
import type { CalleeResolver, CustomRuleFinder } from "../transform/inline.ts";
import type { Namer } from "../transform/naming.ts";
import type { PullbackRequest, ReverseOutput } from "../transform/reverse/types.ts";
import { timed, type StageClock } from "../stages.ts";

/** What one annotation asks, and what the passes may ask of the build. */
export interface ModeContext {
  fn: FunctionIR;
  request: DerivativeRequest;
  /** Names the generated code must not capture (module names, stack names). */
  reserved: string[];
  sourceLines: string[];
  sourceName: string;
  activity: boolean;
  /** To-be-recorded analysis in reverse mode (see transform/reverse/strategy.ts). */
  toBeRecorded: boolean;
  /** Common subexpression elimination before the derivative passes (transform/cse.ts). */
  cse: boolean;
  /** Unroll-and-jam of nests whose inner loop sums into a scalar (transform/jam.ts). */
  jam: boolean;
  /** Outer iterations of triangular nests whose inner loop runs no step left out (transform/trim.ts). */
  trim: boolean;
  /** Small innermost loops inside other loops run two iterations per trip (transform/unroll.ts). */
  unroll: boolean;
  /** The automatic checkpointing policy's budget in bytes (CompileOptions.checkpointBudget). */
  checkpointBudget?: number;
  /** Lowered IR of a called user function. */
  resolve: CalleeResolver;
  /** A user-supplied VJP for a called function, if any. */
  customVjp?: CustomRuleFinder;
  /** Debug build: check argument aliasing and stack balance in every derivative. */
  debug?: { stackNames: { values: string; control: string } };
  /** For a shared callee's pullback: the request (the generated function's name, fVjpInto's shape). */
  pullback?: PullbackRequest;
  /** For a private copy of a callee's primal: the request (why the copy is there). */
  primal?: PrimalRequest;
  /** Sees the unit after each pass (`tsgrad build --dump-after`). */
  observe?: (stage: string, unit: Unit) => void;
  /** Times each pass (CompileOptions.clock). */
  clock?: StageClock;
}

/** A callee whose primal the generated code calls (a private copy goes into the file); `purpose` says why, when not for a forward sweep. */
export interface PrimalRequest {
  name: string;
  span: SourceSpan;
  purpose?: string;
}

/** What a mode generates, for the file. */
export interface ModeOutput {
  /** Names the generated code calls from user modules (primals and their @vjpOf rules), by file. */
  imports?: { name: string; file: string }[];
  /** Shared callee pullbacks the functions call; the pipeline generates each once per file. */
  pullbacks?: PullbackRequest[];
  /** Callees whose primal the generated code calls. */
  primals?: PrimalRequest[];
  functions: FunctionIR[];
  typeAliases: { name: string; text: string; doc?: string }[];
  stacks: Set<StackName>;
  runtime: Set<string>;
  /** Module-level checkpointing schedules the functions use (transform/checkpoint.ts). */
  schedules?: { name: string; doc: string }[];
  /** Why no vector (width-k) sweep was generated (modes/lanes.ts): the drivers then take one direction per sweep. */
  scalarOnly?: string;
}

export interface Unit {
  readonly ctx: ModeContext;
  /** The function being differentiated, as the passes so far have left it. */
  readonly fn: FunctionIR;
  /** Names of this derivative: the function's own and those the passes took (set by `names`). */
  readonly namer?: Namer;
  /** Parameter names of the entry points, taken from `namer` (`grad`, `cotangent`, `v`, …). */
  readonly params: Readonly<Record<string, string>>;
  /** The returned expression, once control flow is normalized (the body then has no `return`). */
  readonly result?: Expr;
  /** The same function with its heaviest loop last, when that order exists (reverse mode weighs both). */
  readonly reordered?: { fn: FunctionIR; result: Expr };
  /** The reverse-mode body, once generated. */
  readonly reverse?: ReverseOutput;
  /** What the passes have generated so far. */
  readonly output: ModeOutput;
  /** The tangent variables of the forward-mode function the last forward pass generated (sparsity detection re-types them). */
  readonly tangents?: ReadonlySet<string>;
}

export interface Pass {
  /** The stage name (`tsgrad build --dump-after=<name>`). */
  readonly name: string;
  run(unit: Unit): Unit;
}

/** The unit an annotation starts as: its lowered function and nothing generated yet. */
export function startUnit(ctx: ModeContext): Unit {
  return { ctx, fn: ctx.fn, params: {}, output: { functions: [], typeAliases: [], stacks: new Set(), runtime: new Set() } };
}

/** Runs the passes in order; `ctx.observe` sees the unit after each one. */
export function runPasses(passes: readonly Pass[], unit: Unit): Unit {
  for (const pass of passes) {
    const before = unit;
    unit = timed(unit.ctx.clock, pass.name, () => pass.run(before));
    unit.ctx.observe?.(pass.name, unit);
  }
  return unit;
}

const variableFacts = new WeakMap<FunctionIR, VariableInfo>();
const activityFacts = new WeakMap<FunctionIR, Map<string, Activity>>();

/** Variable facts of `fn` (analysis/variables.ts), computed once per function. */
export function variablesOf(fn: FunctionIR): VariableInfo {
  let info = variableFacts.get(fn);
  if (!info) variableFacts.set(fn, (info = analyzeVariables(fn)));
  return info;
}

/** Activity of `fn`'s variables for a result and wrt list (analysis/activity.ts), computed once per question. */
export function activityOf(fn: FunctionIR, result: Expr, wrt: string[], enabled: boolean): Activity {
  let byQuestion = activityFacts.get(fn);
  if (!byQuestion) activityFacts.set(fn, (byQuestion = new Map()));
  const key = JSON.stringify([result, wrt, enabled]);
  let activity = byQuestion.get(key);
  if (!activity) byQuestion.set(key, (activity = analyzeActivity(fn, result, wrt, enabled)));
  return activity;
}

// ---- small helpers the modes share ----

export function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function paramType(fn: FunctionIR, name: string): ValueType {
  return fn.params.find((p) => p.name === name)!.type;
}

/** `{ x: number[]; w: number }` for a wrt list, with its fields. */
export function wrtRecordType(fn: FunctionIR, wrt: string[]): { text: string; fields: { name: string; type: ValueType }[] } {
  const fields = wrt.map((name) => ({ name, type: paramType(fn, name) }));
  return { text: `{ ${fields.map((f) => `${f.name}: ${gradientTypeText(f.type)}`).join("; ")} }`, fields };
}

/** A fresh record of zeros shaped like the wrt parameters (`{ x: new Array(x.length).fill(0) }`). */
export function zeroRecord(fields: { name: string; type: ValueType }[]): Expr {
  return { kind: "record", fields: fields.map((f) => ({ name: f.name, value: { kind: "zerosLike", type: f.type, like: b.v(f.name) } })) };
}

/** The record type `{ p: shape of p }` of a wrt list. */
export function gradRecordType(fn: FunctionIR, wrt: string[]): ValueType {
  return { kind: "record", fields: wrt.map((name) => ({ name, type: paramType(fn, name) })) };
}

/** A parameter whose type is printed as written (a type alias, `number`). */
export function typeParam(name: string, text: string): Param {
  return { name, type: { kind: "opaque", text }, typeText: text };
}

/** `file.ts:12`, for "Generated from" in doc comments. */
export function where(ctx: ModeContext): string {
  return `${ctx.sourceName}:${ctx.fn.span.line}`;
}

/** The type alias for the wrt record of a mode: `FGradient` for @grad, `F<Mode>Gradient` otherwise. */
export function aliasName(ctx: ModeContext): string {
  const base = pascalCase(ctx.fn.name);
  return ctx.request.mode === "grad" ? `${base}Gradient` : `${base}${pascalCase(ctx.request.mode)}Gradient`;
}
