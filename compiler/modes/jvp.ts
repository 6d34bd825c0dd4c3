/**
 * The `@jvp` entry point: forward mode (transform/forward.ts) on the primal.
 *
 *   fJvp(p1, …, pn, tangent): { value, tangent }    value and J·tangent
 *
 * `tangent` is a record with one field per wrt parameter, of the parameter's own shape.
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, Stmt, ValueType } from "../ir/nodes.ts";
import { gradientTypeText, leafPaths, pathIn } from "../ir/types.ts";
import { walkStmts } from "../ir/visit.ts";
import { ForwardGenerator } from "../transform/forward.ts";
import { activeWrittenMessage, activeWrittenParameter } from "../analysis/activity.ts";
import { Codes, fail } from "../diagnostics.ts";
import { activityOf, aliasName, paramType, typeParam, where, wrtRecordType, type ModeContext, type Pass } from "./unit.ts";

/** The names of a JVP function and of its record type (@jacobian passes its own, so wrt lists never clash). */
export type JvpNames = (ctx: ModeContext) => { name: string; alias: string };

const defaultNames: JvpNames = (ctx) => ({ name: `${ctx.fn.name}Jvp`, alias: aliasName(ctx) });

/** Tangent code for the primal's active values, with `const x_dot = tangent.x;` for each wrt leaf. */
export function jvpForward(names: JvpNames = defaultNames): Pass {
  return {
    name: "forward",
    run(unit) {
      const { ctx } = unit;
      const { fn, request } = ctx;
      const { name, alias } = names(ctx);
      const namer = unit.namer!;
      const tangentName = unit.params.tangent!;
      const record = wrtRecordType(fn, request.wrt);
      // Activity: varied from the wrt parameters and useful for any returned value.
      const returns: Expr[] = [];
      walkStmts(fn.body, (s) => {
        if (s.kind === "return" && s.value) returns.push(s.value);
      });
      const activity = activityOf(fn, { kind: "arrayLiteral", elements: returns }, request.wrt, ctx.activity);
      const written = activeWrittenParameter(fn, request.wrt, activity.active);
      if (written) fail(Codes.UnsupportedAssignment, activeWrittenMessage(written, request.wrt), fn.span);
      const gen = new ForwardGenerator({ active: activity.active, namer, span: fn.span });
      const prologue = tangentPrologue(fn, request.wrt, gen, tangentName);
      const body = gen.stmts(fn.body);
      const jvp: FunctionIR = {
        name,
        params: [...fn.params, typeParam(tangentName, alias)],
        returnType: { kind: "opaque", text: "" },
        returnTypeText: `{ value: ${fn.returnTypeText}; tangent: ${tangentTypeText(fn.returnType)} }`,
        body: [...prologue, ...body],
        exported: true,
        span: fn.span,
        doc: `Value of \`${fn.name}\` and its directional derivative J·tangent (forward mode) with respect to\n${request.wrt.join(", ")}. Generated from ${where(ctx)}.`,
      };
      // Before anything an earlier pass generated from the same function (the vector sweep, modes/lanes.ts).
      return { ...unit, output: { ...unit.output, functions: [jvp, ...unit.output.functions], typeAliases: [{ name: alias, text: record.text }, ...unit.output.typeAliases] }, tangents: gen.tangentNames() };
    },
  };
}

/** The tangent of a result has the result's shape: number, number[], Float64Array or an object of numbers. */
function tangentTypeText(t: ValueType): string {
  return t.kind === "array" || t.kind === "record" ? gradientTypeText(t) : "number";
}

/** `const x_dot = tangent.x;` for every leaf of every wrt parameter. */
export function tangentPrologue(fn: FunctionIR, wrt: string[], gen: ForwardGenerator, record: string): Stmt[] {
  return wrt.flatMap((name) =>
    leafPaths(name, paramType(fn, name)).map((leaf) => b.declare(gen.dot(leaf.path), pathIn(b.v(record), leaf.path), false, leaf.type)),
  );
}
