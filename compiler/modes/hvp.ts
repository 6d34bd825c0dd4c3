/**
 * The `@hvp` entry points: forward mode over the reverse-mode body (forward-over-reverse),
 * so the HVP is the tangent of the gradient.
 *
 *   fHvpInto(p1, …, pn, v, grad, hvp): number     sets `grad` and `hvp` (H·v), returns f
 *   fHvp(p1, …, pn, v): { value, grad, hvp }       allocates both and calls fHvpInto
 */
import * as b from "../ir/build.ts";
import type { FunctionIR, Stmt } from "../ir/nodes.ts";
import { leafPaths } from "../ir/types.ts";
import { dependencies, dependencyEdges, dependents, integerArrays } from "../analysis/activity.ts";
import { ForwardGenerator, rebuiltTangents } from "../transform/forward.ts";
import { Namer } from "../transform/naming.ts";
import { overwriteOutputs } from "../transform/overwrite.ts";
import { gradientSlots, withDebugChecks } from "./grad.ts";
import { tangentPrologue } from "./jvp.ts";
import { gradRecordType, paramType, pascalCase, typeParam, where, wrtRecordType, zeroRecord, type Pass, type Unit } from "./unit.ts";

/**
 * The body of fHvpInto before the debug checks: the tangent prologue (`const x_dot = v.x;`),
 * forward mode over the reverse-mode body, outputs overwritten. `namer` takes the tangent
 * names (the vector sweep, modes/lanes.ts, passes a clone so both bodies read alike).
 */
export function forwardOverReverse(unit: Unit, namer: Namer): { body: Stmt[]; tangents: ReadonlyMap<string, string> } {
  const { fn, request } = unit.ctx;
  const reverse = unit.reverse!;
  const { grad: gradName, v: vName, hvp: hvpName } = unit.params as Record<"grad" | "v" | "hvp", string>;
  const body = [...reverse.body, { kind: "return", value: b.v(reverse.valueName) } as Stmt];
  // A tangent is carried by what depends on the wrt parameters and reaches the gradient
  // (flow-insensitive, by name): not by the value, whose tangent is not returned, nor by
  // what only feeds comparisons.
  const wrtLeaves = request.wrt.flatMap((name) => leafPaths(name, paramType(fn, name)).map((l) => l.path));
  const edges = dependencyEdges(body, integerArrays(fn));
  const varied = dependents([...wrtLeaves, gradName], edges);
  const useful = dependencies([gradName], body, edges);
  const active = new Set([...varied].filter((n) => useful.has(n)));
  for (const n of [...wrtLeaves, gradName]) active.add(n);
  const gen = new ForwardGenerator({
    active,
    namer,
    span: fn.span,
    fixedNames: new Map([[gradName, hvpName]]),
    onReturn: (value) => [{ kind: "return", value }],
    rebuilds: rebuiltTangents(body, fn.params.map((p) => p.name)),
  });
  const prologue = tangentPrologue(fn, request.wrt, gen, vName);
  const stmts = overwriteOutputs([...prologue, ...gen.stmts(body)], [...gradientSlots(fn, request.wrt, gradName), ...gradientSlots(fn, request.wrt, hvpName)], namer);
  return { body: stmts, tangents: gen.tangents() };
}

export const hvpForwardOverReverse: Pass = {
  name: "forward",
  run(unit) {
    const { ctx } = unit;
    const { fn, request } = ctx;
    const namer = unit.namer!;
    const reverse = unit.reverse!;
    const { grad: gradName, v: vName, hvp: hvpName } = unit.params as Record<"grad" | "v" | "hvp", string>;
    const alias = `${pascalCase(fn.name)}${request.mode === "grad" ? "" : pascalCase("hvp")}Gradient`;
    const record = wrtRecordType(fn, request.wrt);
    const scalar = forwardOverReverse(unit, namer);
    const into: FunctionIR = {
      name: `${fn.name}HvpInto`,
      params: [...fn.params, typeParam(vName, alias), typeParam(gradName, alias), typeParam(hvpName, alias)],
      returnType: b.NUMBER,
      returnTypeText: "number",
      body: withDebugChecks(
        ctx.debug,
        fn,
        request.wrt,
        [vName, gradName, hvpName].map((name) => ({ name, type: gradRecordType(fn, request.wrt) })),
        reverse.stacks,
        scalar.body,
      ),
      exported: true,
      span: fn.span,
      doc: `Sets \`${gradName}\` to the gradient of \`${fn.name}\` and \`${hvpName}\` to the Hessian-vector product H·${vName}\n(forward-over-reverse, with respect to ${request.wrt.join(", ")}; both overwritten); returns the value.\nGenerated from ${where(ctx)}.`,
    };
    const outer = new Namer(fn.params.map((p) => p.name));
    const v = outer.fresh("v");
    const g = outer.fresh("grad");
    const h = outer.fresh("hvp");
    const value = outer.fresh("value");
    const simple: FunctionIR = {
      name: `${fn.name}Hvp`,
      params: [...fn.params, typeParam(v, alias)],
      returnType: { kind: "opaque", text: "" },
      returnTypeText: `{ value: number; grad: ${alias}; hvp: ${alias} }`,
      body: [
        { kind: "declare", name: g, type: { kind: "opaque", text: alias }, init: zeroRecord(record.fields), mutable: false },
        { kind: "declare", name: h, type: { kind: "opaque", text: alias }, init: zeroRecord(record.fields), mutable: false },
        b.declare(value, b.call(into.name, [...fn.params.map((p) => b.v(p.name)), b.v(v), b.v(g), b.v(h)])),
        {
          kind: "return",
          value: { kind: "record", fields: [{ name: "value", value: b.v(value) }, { name: "grad", value: b.v(g) }, { name: "hvp", value: b.v(h) }] },
        },
      ],
      exported: true,
      span: fn.span,
      doc: `Value, gradient and Hessian-vector product H·v of \`${fn.name}\` with respect to ${request.wrt.join(", ")}\n(forward-over-reverse: one call costs a small constant times one gradient). Generated from ${where(ctx)}.`,
    };
    return {
      ...unit,
      // After anything an earlier pass generated from the same body (the vector sweep, modes/lanes.ts).
      output: {
        ...unit.output,
        functions: [simple, into, ...unit.output.functions],
        typeAliases: [{ name: alias, text: record.text }, ...unit.output.typeAliases],
        stacks: new Set(reverse.stacks),
      },
      tangents: new Set(scalar.tangents.values()),
    };
  },
};
