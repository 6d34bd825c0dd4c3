/**
 * Passes every mode's list draws on: inlining, names, the checks of the return type,
 * normalizing control flow, the heaviest loop moved last, reverse mode, and the late passes
 * over each generated function (row hoisting, stack cursors).
 */
import { baseName, Codes, fail } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, ValueType } from "../ir/nodes.ts";
import { renameVariable, renameVariableIn } from "../ir/rewrite.ts";
import { someStmt, stmtExprs, walkExpr, walkStmts } from "../ir/visit.ts";
import { hasCallsToInline, inlineCalls } from "../transform/inline.ts";
import { Namer } from "../transform/naming.ts";
import { normalizeControlFlow } from "../transform/normalize.ts";
import { heaviestLoopLast } from "../transform/reverse/lastLoop.ts";
import { reverseMode } from "../transform/reverse/strategy.ts";
import { hoistRowsIn } from "../transform/hoist.ts";
import { stackCursorsIn } from "../transform/cursors.ts";
import { tidy as tidyFunction } from "../transform/tidy.ts";
import { checkpointLoops } from "../transform/checkpoint.ts";
import { recordsAtTheBoundary } from "../transform/rows.ts";
import { eliminateCommonSubexpressions } from "../transform/cse.ts";
import { jamLoopsIn } from "../transform/jam.ts";
import { trimLoopsIn } from "../transform/trim.ts";
import { unrollLoopsIn } from "../transform/unroll.ts";
import { activityOf, variablesOf, type Pass, type Unit } from "./unit.ts";

/**
 * Calls to the user's functions inlined (transform/inline.ts); `reverse`: a call with a
 * user-supplied or shared pullback stays a call (forward modes see through the callee).
 * Notes what the generated code will call: user modules' primals and rules (imports),
 * shared pullbacks' primals (private copies).
 */
export function inline(kind: "reverse" | "forward"): Pass {
  return {
    name: "inline",
    run(unit) {
      const { ctx } = unit;
      // Nothing to inline (most large functions call only Math): the function as it is.
      if (!hasCallsToInline(ctx.fn.body)) return { ...unit, output: { ...unit.output, imports: [], primals: [] } };
      const fn = inlineCalls(ctx.fn, ctx.resolve, Namer.forFunction(ctx.fn, ctx.reserved), kind === "reverse" ? ctx.customVjp : undefined);
      const imports: { name: string; file: string }[] = [];
      const primals: { name: string; span: import("../diagnostics.ts").SourceSpan }[] = [];
      walkStmts(fn.body, (s) => {
        for (const e of stmtExprs(s)) {
          walkExpr(e, (x) => {
            if (x.kind !== "userCall" || !x.rule) return;
            if (x.rule.generated) primals.push({ name: x.callee, span: x.span ?? ctx.fn.span });
            else imports.push({ name: x.callee, file: x.rule.primalFile }, { name: x.rule.name, file: x.rule.ruleFile });
          });
        }
      });
      return { ...unit, ctx: { ...ctx, fn }, fn, output: { ...unit.output, imports, primals } };
    },
  };
}

/**
 * A pure `const` computed again from the same values (two inlined calls of one function)
 * is read from its first copy (transform/cse.ts), so the derivative passes see it once.
 * Off with CompileOptions.cse = false.
 */
export const cse: Pass = {
  name: "cse",
  run(unit) {
    if (!unit.ctx.cse) return unit;
    const fn = eliminateCommonSubexpressions(unit.fn);
    return fn === unit.fn ? unit : { ...unit, ctx: { ...unit.ctx, fn }, fn };
  },
};

/**
 * The same over the functions a mode generated (forward mode, the HVP): a tangent's partial
 * that a `const` of the code already holds (`Math.exp(-u)` the reverse body bound, read again
 * by a tangent) is read from it. Off with CompileOptions.cse = false.
 */
export const cseGenerated: Pass = {
  name: "cseGenerated",
  run(unit) {
    if (!unit.ctx.cse) return unit;
    // A checkpointed loop's mark holds its primal step apart from its body (expanded later,
    // transform/checkpoint.ts): a function with one is left as it is.
    const functions = unit.output.functions.map((f) => (someStmt(f.body, (s) => s.kind === "loop" && s.checkpointed !== undefined) ? f : eliminateCommonSubexpressions(f)));
    return functions.every((f, k) => f === unit.output.functions[k]) ? unit : { ...unit, output: { ...unit.output, functions } };
  },
};

/** The derivative's names start from the function's own (and the names it must not capture). */
export const names: Pass = {
  name: "names",
  run: (unit) => ({ ...unit, namer: Namer.forFunction(unit.fn, unit.ctx.reserved) }),
};

/**
 * Takes the entry points' parameter names (`grad`, `cotangent`, …), in this order. They are
 * public (a caller may pass them by position, read them in the docs): where one is only the
 * name of a local of the function, the local is renamed (`v` → `v_1`) and the parameter
 * keeps its name; a parameter or module name of the user's keeps it instead.
 */
export function entryParams(...bases: string[]): Pass {
  return {
    name: "entry-params",
    run(unit) {
      const params = { ...unit.params };
      let renamed = unit;
      for (const base of bases) {
        if (isOnlyLocal(renamed, base)) {
          renamed = withLocalRenamed(renamed, base, unit.namer!.fresh(base));
          params[base] = base;
        } else {
          params[base] = unit.namer!.fresh(base);
        }
      }
      return { ...renamed, params };
    },
  };
}

/** `name` is declared in the function's body, and is none of its parameters, its own name, a module name or a name taken by an earlier entry parameter. */
function isOnlyLocal(unit: Unit, name: string): boolean {
  const { fn, ctx } = unit;
  if (fn.name === name || fn.params.some((p) => p.name === name) || ctx.reserved.includes(name) || Object.values(unit.params).includes(name)) return false;
  let declared = false;
  walkStmts(fn.body, (s) => {
    if (s.kind === "declare" && s.name === name) declared = true;
  });
  return declared;
}

/** The unit with the local `from` called `to` in every copy of the function it holds. */
function withLocalRenamed(unit: Unit, from: string, to: string): Unit {
  const fn = (f: FunctionIR): FunctionIR => ({ ...f, body: renameVariable(f.body, from, to) });
  const expr = (e: Expr): Expr => renameVariableIn(e, from, to);
  return {
    ...unit,
    ctx: { ...unit.ctx, fn: fn(unit.ctx.fn) },
    fn: fn(unit.fn),
    ...(unit.result && { result: expr(unit.result) }),
    ...(unit.reordered && { reordered: { fn: fn(unit.reordered.fn), result: expr(unit.reordered.result) } }),
  };
}

/**
 * The mode needs `f` to return a number (`@grad`, `@hvp`), an array (`@jacobian`), or any
 * value with a derivative (`@jvp`, `@vjp`: a number, a flat numeric array or an object of
 * numbers); `tag` names it in the message (the HVP passes of @hessian say @hvp).
 */
export function requireReturn(kind: "number" | "array" | "numbers" | "outputs", tag?: string): Pass {
  return {
    name: "check-return",
    run(unit) {
      const { fn, request } = unit.ctx;
      const type = fn.returnType;
      const accepted =
        kind === "numbers" ? hasNumericDerivative(type) : kind === "outputs" ? hasNumericDerivative(type) && type.kind !== "number" : type.kind === kind;
      if (accepted) return unit;
      const mode = tag ?? request.mode;
      return fail(
        Codes.BadReturnType,
        kind === "number"
          ? `@${mode} needs '${fn.name}' to return a number; for an array result use @vjp, @jvp or @jacobian, or reduce it to a number (a sum, a norm)`
          : kind === "array" || kind === "outputs"
            ? `@${mode} needs '${fn.name}' to return a numeric array${kind === "outputs" ? " or an object of numbers" : ""}; for a number result use @grad (its gradient is the one row)`
            : `@${mode} needs '${fn.name}' to return a number, a flat numeric array or an object of numbers (not '${fn.returnTypeText}'); return the numbers the derivative is of`,
        fn.span,
      );
    },
  };
}

/** A number, a flat numeric array, or an object whose fields are numbers: what @jvp and @vjp carry a (co)tangent for. */
function hasNumericDerivative(type: ValueType): boolean {
  if (type.kind === "number") return true;
  if (type.kind === "array") return type.element.kind === "number";
  return type.kind === "record" && !type.arrayOfRecords && type.fields.every((f) => f.type.kind === "number");
}

/** Early returns, `break` and `continue` become flags (transform/normalize.ts): one result expression. */
export const normalize: Pass = {
  name: "normalize",
  run(unit) {
    const normalized = normalizeControlFlow(unit.ctx.fn, unit.namer!);
    return { ...unit, fn: normalized.fn, result: normalized.result };
  },
};

/** The same function with its heaviest loop moved last, when that is possible (reverse mode keeps whichever order saves less). */
export const reorder: Pass = {
  name: "reorder",
  run(unit) {
    const moved = heaviestLoopLast(unit.fn.body, unit.result!);
    return moved ? { ...unit, reordered: { fn: { ...unit.fn, body: moved.body }, result: moved.result } } : unit;
  },
};

/** Reverse mode (transform/reverse/) for the request's wrt set, seeded with 1 or with the `cotangent` parameter. */
export function reverse(seed: "one" | "cotangent"): Pass {
  return {
    name: "reverse",
    run(unit) {
      const { ctx } = unit;
      const wrt = ctx.request.wrt;
      const analyzed = (fn: typeof unit.fn, result: Expr) => ({ fn, result, info: variablesOf(fn), activity: activityOf(fn, result, wrt, ctx.activity) });
      const output = reverseMode({
        ...analyzed(unit.fn, unit.result!),
        ...(unit.reordered && { reordered: analyzed(unit.reordered.fn, unit.reordered.result) }),
        wrt,
        namer: unit.namer!,
        gradName: unit.params.grad!,
        seed: seed === "one" ? b.num(1) : b.v(unit.params.cotangent!),
        sourceLines: ctx.sourceLines,
        toBeRecorded: ctx.toBeRecorded,
        ...(ctx.checkpointBudget !== undefined && { checkpointBudget: ctx.checkpointBudget }),
      });
      return { ...unit, reverse: output };
    },
  };
}

/**
 * Checkpointed loops (transform/checkpoint.ts): the loop pairs reverse mode marked become
 * the phases a schedule drives, in every generated function, with a module-level schedule
 * per loop.
 */
export const checkpoints: Pass = {
  name: "checkpoints",
  run(unit) {
    const schedules = [...(unit.output.schedules ?? [])];
    const runtime = new Set(unit.output.runtime);
    const stacks = new Set(unit.output.stacks);
    const functions = unit.output.functions.map((f) => {
      const done = checkpointLoops(f, unit.ctx.reserved, unit.ctx.sourceName);
      schedules.push(...done.schedules);
      for (const x of done.runtime) runtime.add(x);
      for (const x of done.stacks) stacks.add(x);
      return done.fn;
    });
    return { ...unit, output: { ...unit.output, functions, schedules, runtime, stacks } };
  },
};

/** A row `A[i]` a loop reads while neither `A` nor `i` changes is read once before it (transform/hoist.ts), in every generated function. */
/** Arrays of records read in the user's shape (`layers[i].w`, transform/rows.ts), in every generated function. */
export const records: Pass = {
  name: "records",
  run: (unit) => ({ ...unit, output: { ...unit.output, functions: unit.output.functions.map(recordsAtTheBoundary) } }),
};

export const hoistRows: Pass = {
  name: "hoist-rows",
  run: (unit) => ({ ...unit, output: { ...unit.output, functions: unit.output.functions.map(hoistRowsIn) } }),
};

/** A nest whose inner loop sums into a scalar runs two outer iterations at once (transform/jam.ts), in every generated function; off with CompileOptions.jam = false. */
export const jamLoops: Pass = {
  name: "jam",
  run(unit) {
    if (!unit.ctx.jam) return unit;
    // The caller's gradient buffer (fGradInto's, fVjpInto's `grad`) holds arrays of its own (README, "No aliasing"); a shared pullback's comes from generated callers, which may pass one adjoint twice.
    const { mode } = unit.ctx.request;
    const output = (mode === "grad" || mode === "vjp") && !unit.ctx.pullback ? unit.params.grad : undefined;
    return { ...unit, output: { ...unit.output, functions: unit.output.functions.map((f) => jamLoopsIn(f, unit.ctx.reserved, output)) } };
  },
};

/** A triangular nest's outer iterations whose inner loop runs no step are left out when they do nothing else (transform/trim.ts), in every generated function; off with CompileOptions.trim = false. */
export const trimLoops: Pass = {
  name: "trim",
  run: (unit) => (unit.ctx.trim ? { ...unit, output: { ...unit.output, functions: unit.output.functions.map(trimLoopsIn) } } : unit),
};

/** An innermost counted loop keeps its stacks' tops in locals (transform/cursors.ts), in every generated function. */
export const stackCursors: Pass = {
  name: "stack-cursors",
  run: (unit) => ({ ...unit, output: { ...unit.output, functions: unit.output.functions.map(stackCursorsIn) } }),
};

/** Small innermost loops inside other loops run two iterations per trip (transform/unroll.ts), in every generated function; off with CompileOptions.unroll = false. */
export const unrollLoops: Pass = {
  name: "unroll",
  run: (unit) => (unit.ctx.unroll ? { ...unit, output: { ...unit.output, functions: unit.output.functions.map((f) => unrollLoopsIn(f, unit.ctx.reserved)) } } : unit),
};

/** No dead locals and unused parameters marked (transform/tidy.ts), in every generated function: the last pass. */
export const tidy: Pass = {
  name: "tidy",
  run: (unit) => ({ ...unit, output: { ...unit.output, functions: unit.output.functions.map((f) => tidyFunction(f)) } }),
};

/** A private copy of a callee's primal (inlined as the caller's forward sweep would be), for the forward sweeps or the request's purpose. */
export const primalCopy: Pass = {
  name: "primal-copy",
  run(unit) {
    const { fn, ctx } = unit;
    const request = ctx.primal!;
    const purpose = request.purpose ? `${request.purpose}\n` : "for the forward sweeps ";
    const doc = `\`${request.name}\` itself, ${purpose}(copied from ${baseName(fn.span.file)}:${fn.span.line}).`;
    return { ...unit, output: { ...unit.output, functions: [{ ...fn, exported: false, doc }] } };
  },
};
