/**
 * The `@grad` entry points, around the reverse-mode body:
 *
 *   fGradInto(p1, …, pn, grad): number      sets `grad` to the gradient, returns f
 *   fGrad(p1, …, pn): { value, grad }        allocates the gradient and calls fGradInto
 *
 * `grad` is a record with one field per wrt parameter, of the parameter's own shape.
 */
import * as b from "../ir/build.ts";
import type { FunctionIR, StackName, Stmt, ValueType } from "../ir/nodes.ts";
import { gradientTypeText, leafPaths } from "../ir/types.ts";
import { Namer } from "../transform/naming.ts";
import { outputSlots, overwriteOutputs } from "../transform/overwrite.ts";
import { aliasChecks, stackBalance } from "./debug.ts";
import { gradRecordType, pascalCase, type Pass } from "./unit.ts";

export const gradEntryPoints: Pass = {
  name: "entry-points",
  run(unit) {
    const { ctx } = unit;
    const fn = ctx.fn;
    const { wrt } = ctx.request;
    const namer = unit.namer!;
    const reverse = unit.reverse!;
    const gradName = unit.params.grad!;
    const typeName = `${pascalCase(fn.name)}Gradient`;
    const fields = wrt.map((name) => {
      const p = fn.params.find((q) => q.name === name)!;
      return { name, type: p.type, text: gradientTypeText(p.type) };
    });
    const typeText = `{ ${fields.map((f) => `${f.name}: ${f.text}`).join("; ")} }`;
    const where = `${ctx.sourceName}:${fn.span.line}`;
    const wrtList = wrt.join(", ");

    const into: FunctionIR = {
      name: `${fn.name}GradInto`,
      params: [...fn.params, { name: gradName, type: { kind: "opaque", text: typeName }, typeText: typeName }],
      returnType: b.NUMBER,
      returnTypeText: "number",
      body: withDebugChecks(
        ctx.debug,
        fn,
        wrt,
        [{ name: gradName, type: gradRecordType(fn, wrt) }],
        reverse.stacks,
        // (concat rather than a spread: the body is a whole sweep, and spreading iterates.)
        overwriteOutputs(reverse.body.concat({ kind: "return", value: b.v(reverse.valueName) }), gradientSlots(fn, wrt, gradName), namer),
      ),
      exported: true,
      span: fn.span,
      doc: `Sets \`${gradName}\` to the gradient of \`${fn.name}\` with respect to ${wrtList} (overwriting it) and\nreturns \`${fn.name}\`'s value. Allocates nothing: the zero-allocation form for optimizer loops.\nGenerated from ${where}.`,
    };

    const outer = new Namer(fn.params.map((p) => p.name));
    const gradLocal = outer.fresh("grad");
    const valueLocal = outer.fresh("value");
    const init: Stmt = {
      kind: "declare",
      name: gradLocal,
      type: { kind: "opaque", text: typeName },
      init: { kind: "record", fields: fields.map((f) => ({ name: f.name, value: { kind: "zerosLike", type: f.type, like: b.v(f.name) } })) },
      mutable: false,
    };
    const simple: FunctionIR = {
      name: `${fn.name}Grad`,
      params: fn.params,
      returnType: { kind: "opaque", text: "" },
      returnTypeText: `{ value: number; grad: ${typeName} }`,
      body: [
        init,
        b.declare(valueLocal, b.call(into.name, [...fn.params.map((p) => b.v(p.name)), b.v(gradLocal)])),
        {
          kind: "return",
          value: { kind: "record", fields: [{ name: "value", value: b.v(valueLocal) }, { name: "grad", value: b.v(gradLocal) }] },
        },
      ],
      exported: true,
      span: fn.span,
      doc: `Value and gradient of \`${fn.name}\` with respect to ${wrtList}.\nGenerated from ${where}.`,
    };
    return {
      ...unit,
      output: {
        ...unit.output,
        functions: [simple, into],
        typeAliases: [{ name: typeName, text: typeText, doc: `Gradient of \`${fn.name}\`: one field per differentiated parameter, same shape.` }],
        stacks: reverse.stacks,
        pullbacks: reverse.pullbacks,
      },
    };
  },
};

/** The leaves of a wrt record (`grad.x`, `grad.p.w`), which an entry point overwrites. */
export function gradientSlots(fn: FunctionIR, wrt: string[], record: string) {
  return outputSlots(record, wrt.flatMap((name) => leafPaths(name, fn.params.find((p) => p.name === name)!.type)));
}

/** Wraps a derivative body (ending in its `return`) with the debug-build checks when asked. */
export function withDebugChecks(
  debug: { stackNames: { values: string; control: string } } | undefined,
  fn: FunctionIR,
  wrt: string[],
  buffers: { name: string; type: ValueType }[],
  stacks: Set<StackName>,
  body: Stmt[],
): Stmt[] {
  if (!debug) return body;
  const balance = stackBalance((["values", "control"] as const).filter((s) => stacks.has(s)));
  const last = body[body.length - 1]!;
  return [...balance.entry, ...aliasChecks(fn, wrt, buffers), ...body.slice(0, -1), ...balance.exit, last];
}
