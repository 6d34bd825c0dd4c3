/**
 * The `@grad` API: wraps the reverse-mode body into the two exported functions.
 *
 *   fGradInto(p1, …, pn, grad): number      sets `grad` to the gradient, returns f
 *   fGrad(p1, …, pn): { value, grad }        allocates the gradient and calls fGradInto
 *
 * `grad` is a record with one field per wrt parameter, of the parameter's own shape.
 */
import * as b from "../ir/build.ts";
import type { FunctionIR, Stmt } from "../ir/nodes.ts";
import type { Activity } from "../analysis/activity.ts";
import type { VariableInfo } from "../analysis/variables.ts";
import { gradientTypeText, leafPaths } from "../ir/types.ts";
import type { Namer } from "./naming.ts";
import { reverseMode } from "./reverse/strategy.ts";
import type { PullbackRequest, ReverseInput } from "./reverse/types.ts";
import type { StackName, ValueType } from "../ir/nodes.ts";
import { aliasChecks, stackBalance } from "./debug.ts";
import { outputSlots, overwriteOutputs } from "./overwrite.ts";

export interface GradientFunctions {
  pullbacks: PullbackRequest[];
  functions: FunctionIR[];
  typeAlias: { name: string; text: string; doc: string };
  stacks: Set<StackName>;
}

export function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function buildGradient(args: {
  fn: FunctionIR;
  result: import("../ir/nodes.ts").Expr;
  wrt: string[];
  activity: Activity;
  info: VariableInfo;
  /** The function with its heaviest loop moved last, for reverse mode to weigh (reverse/strategy.ts). */
  reordered?: ReverseInput["reordered"];
  namer: Namer;
  sourceLines: string[];
  sourceName: string;
  /** Emit the debug-build checks (aliasing on entry, stack balance on exit). */
  debug?: { stackNames: { values: string; control: string } };
  toBeRecorded?: boolean;
}): GradientFunctions {
  const { fn, wrt, namer } = args;
  const gradName = namer.fresh("grad");
  const typeName = `${pascalCase(fn.name)}Gradient`;
  const fields = wrt.map((name) => {
    const p = fn.params.find((q) => q.name === name)!;
    return { name, type: p.type, text: gradientTypeText(p.type) };
  });
  const typeText = `{ ${fields.map((f) => `${f.name}: ${f.text}`).join("; ")} }`;
  const reverse = reverseMode({ ...args, gradName, seed: b.num(1) });
  const where = `${args.sourceName}:${fn.span.line}`;
  const wrtList = wrt.join(", ");

  const into: FunctionIR = {
    name: `${fn.name}GradInto`,
    params: [...fn.params, { name: gradName, type: { kind: "opaque", text: typeName }, typeText: typeName }],
    returnType: b.NUMBER,
    returnTypeText: "number",
    body: withDebugChecks(args.debug, fn, wrt, [{ name: gradName, type: gradRecordType(fn, wrt) }], reverse.stacks, [
      ...overwriteOutputs([...reverse.body, { kind: "return", value: b.v(reverse.valueName) }], gradientSlots(fn, wrt, gradName), namer),
    ]),
    exported: true,
    span: fn.span,
    doc: `Sets \`${gradName}\` to the gradient of \`${fn.name}\` with respect to ${wrtList} (overwriting it) and\nreturns \`${fn.name}\`'s value. Allocates nothing: the zero-allocation form for optimizer loops.\nGenerated from ${where}.`,
  };

  const outer = new (namer.constructor as typeof Namer)(fn.params.map((p) => p.name));
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
    functions: [simple, into],
    typeAlias: { name: typeName, text: typeText, doc: `Gradient of \`${fn.name}\`: one field per differentiated parameter, same shape.` },
    stacks: reverse.stacks,
    pullbacks: reverse.pullbacks,
  };
}

/** The leaves of a wrt record (`grad.x`, `grad.p.w`), which an entry point overwrites. */
export function gradientSlots(fn: FunctionIR, wrt: string[], record: string) {
  return outputSlots(record, wrt.flatMap((name) => leafPaths(name, fn.params.find((p) => p.name === name)!.type)));
}

/** The record type `{ p: shape of p }` of a wrt list. */
export function gradRecordType(fn: FunctionIR, wrt: string[]): ValueType {
  return { kind: "record", fields: wrt.map((name) => ({ name, type: fn.params.find((p) => p.name === name)!.type })) };
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
  const used = (["values", "control"] as const).filter((s) => stacks.has(s)).map((s) => debug.stackNames[s]);
  const balance = stackBalance(used);
  const last = body[body.length - 1]!;
  return [...balance.entry, ...aliasChecks(fn, wrt, buffers), ...body.slice(0, -1), ...balance.exit, last];
}
