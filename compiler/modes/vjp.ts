/**
 * The `@vjp` entry points, around the reverse-mode body seeded with a cotangent:
 *
 *   fVjpInto(p1, …, pn, cotangent, grad): R       adds cotangentᵀ·J into `grad`, returns f
 *   fVjp(p1, …, pn, cotangent): { value, grad }    allocates `grad` and calls fVjpInto
 *   fVjpRowsInto(p1, …, pn, cotangents, grads): R  (array results) one forward sweep, a
 *                                                  reverse sweep per cotangent
 *
 * A shared callee's pullback (pipeline.ts) is the fVjpInto of its callee, renamed.
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, StackName, Stmt } from "../ir/nodes.ts";
import { gradientTypeText } from "../ir/types.ts";
import { Namer } from "../transform/naming.ts";
import type { ReverseOutput } from "../transform/reverse/types.ts";
import { aliasChecks, stackBalance } from "./debug.ts";
import { withDebugChecks } from "./grad.ts";
import { aliasName, gradRecordType, pascalCase, typeParam, where, wrtRecordType, zeroRecord, type ModeContext, type Pass } from "./unit.ts";

/** The names of a VJP's functions and of its record type: `base` (`fVjp`, `fVjpInto`) and the alias. */
export type VjpNames = (ctx: ModeContext) => { base: string; alias: string };

/** `fVjp`/`FVjpGradient`, or a shared pullback's own name. */
const defaultNames: VjpNames = (ctx) =>
  ctx.pullback ? { base: ctx.pullback.name, alias: `${pascalCase(ctx.pullback.name)}Gradient` } : { base: `${ctx.fn.name}Vjp`, alias: aliasName(ctx) };

export function vjpEntryPoints(names: VjpNames = defaultNames): Pass {
  return {
    name: "entry-points",
    run(unit) {
      const { ctx } = unit;
      const { fn, request } = ctx;
      const { base, alias } = names(ctx);
      const namer = unit.namer!;
      const reverse = unit.reverse!;
      const gradName = unit.params.grad!;
      const cotangent = unit.params.cotangent!;
      const record = wrtRecordType(fn, request.wrt);
      const resultType = fn.returnTypeText;
      const cotangentType = fn.returnType.kind === "array" ? `readonly number[] | Float64Array` : fn.returnType.kind === "record" ? gradientTypeText(fn.returnType) : "number";
      const into: FunctionIR = {
        name: `${base}Into`,
        params: [...fn.params, typeParam(cotangent, cotangentType), typeParam(gradName, alias)],
        returnType: fn.returnType,
        returnTypeText: resultType,
        body: withDebugChecks(ctx.debug, fn, request.wrt, [{ name: gradName, type: gradRecordType(fn, request.wrt) }], reverse.stacks, [
          ...reverse.body,
          { kind: "return", value: b.v(reverse.valueName) },
        ]),
        exported: true,
        span: fn.span,
        doc: `Adds cotangentᵀ·J (the vector-Jacobian product of \`${fn.name}\` with respect to ${request.wrt.join(", ")})\ninto \`${gradName}\` and returns \`${fn.name}\`'s value. Generated from ${where(ctx)}.`,
      };
      const outer = new Namer(fn.params.map((p) => p.name));
      const c = outer.fresh("cotangent");
      const g = outer.fresh("grad");
      const value = outer.fresh("value");
      const simple: FunctionIR = {
        name: base,
        params: [...fn.params, typeParam(c, cotangentType)],
        returnType: { kind: "opaque", text: "" },
        returnTypeText: `{ value: ${resultType}; grad: ${alias} }`,
        body: [
          { kind: "declare", name: g, type: { kind: "opaque", text: alias }, init: zeroRecord(record.fields), mutable: false },
          b.declare(value, b.call(into.name, [...fn.params.map((p) => b.v(p.name)), b.v(c), b.v(g)]), false, fn.returnType),
          { kind: "return", value: { kind: "record", fields: [{ name: "value", value: b.v(value) }, { name: "grad", value: b.v(g) }] } },
        ],
        exported: true,
        span: fn.span,
        doc: `Value of \`${fn.name}\` and the vector-Jacobian product cotangentᵀ·J with respect to ${request.wrt.join(", ")}.\nGenerated from ${where(ctx)}.`,
      };
      // A pullback is only ever called with one cotangent; an array result may have many.
      const rows = fn.returnType.kind === "array" && !ctx.pullback ? vjpRows(ctx, base, alias, reverse, namer, { grad: gradName, cotangent, cotangentType, cotangents: unit.params.cotangents!, grads: unit.params.grads! }) : null;
      const primals = [
        ...(unit.output.primals ?? []),
        ...(rows?.primal ? [{ name: fn.name, span: fn.span, purpose: `for \`${base}RowsInto\`'s value when there are no cotangents` }] : []),
      ];
      return {
        ...unit,
        output: {
          ...unit.output,
          functions: [simple, into, ...(rows ? [rows.fn] : [])],
          typeAliases: [{ name: alias, text: record.text }],
          stacks: reverse.stacks,
          pullbacks: reverse.pullbacks,
          primals,
        },
      };
    },
  };
}

/** A shared callee's pullback: its fVjpInto alone, under the pullback's name, documented as shared. */
export const pullbackEntryPoint: Pass = {
  name: "pullback",
  run(unit) {
    const { ctx } = unit;
    const { name, callee, wrt } = ctx.pullback!;
    const into = unit.output.functions.find((f) => f.name === `${name}Into`)!;
    const doc = `Pullback of \`${callee}\` with respect to ${wrt.join(", ")}: the shape of a generated fVjpInto,\nshared by every call in this file. Generated from ${where(ctx)}.`;
    return { ...unit, output: { ...unit.output, functions: [{ ...into, name, exported: false, doc }] } };
  },
};

function vjpRows(
  ctx: ModeContext,
  base: string,
  alias: string,
  reverse: ReverseOutput,
  namer: Namer,
  row: { grad: string; cotangent: string; cotangentType: string; cotangents: string; grads: string },
): { fn: FunctionIR; primal: boolean } {
  const { fn, request } = ctx;
  const rowsName = `${base}RowsInto`;
  const split = reverse.split;
  // The replay's locals live beside the reverse body's names; the fallback only calls functions.
  const names = split ? namer : new Namer([...fn.params.map((p) => p.name), fn.name, `${base}Into`]);
  // With the replay, the entry parameters took the public names before the body's locals could (modes/common.ts entryParams).
  const [cotangents, grads] = split ? [row.cotangents, row.grads] : [names.fresh("cotangents"), names.fresh("grads")];
  const r = names.fresh("r");
  const params = [...fn.params, typeParam(cotangents, `readonly (${row.cotangentType})[]`), typeParam(grads, `readonly ${alias}[]`)];
  const args = fn.params.map((p) => b.v(p.name));
  const rowCount: Expr = { kind: "length", object: b.v(cotangents) };
  const rowLoop = (body: Stmt[], from = 0): Stmt => b.countUp(r, b.num(from), rowCount, body);
  const doc = (how: string) =>
    `Adds cotangents[r]ᵀ·J (the vector-Jacobian products of \`${fn.name}\` with respect to ${request.wrt.join(", ")})\n` +
    `into \`${grads}[r]\` for every r and returns \`${fn.name}\`'s value: ${how}.\nGenerated from ${where(ctx)}.`;
  const rowsFunction = (body: Stmt[], how: string): FunctionIR => ({
    name: rowsName,
    params,
    returnType: fn.returnType,
    returnTypeText: fn.returnTypeText,
    body,
    exported: true,
    span: fn.span,
    doc: doc(how),
  });
  if (!split) {
    // The reverse sweep restores what the forward sweep overwrote, or is fused with it: it
    // cannot run twice from one forward sweep.
    const value = names.fresh("value");
    const call = (k: Expr) => b.call(`${base}Into`, [...args, b.index(b.v(cotangents), k), b.index(b.v(grads), k)]);
    const body: Stmt[] = [
      { kind: "if", test: b.bin("===", rowCount, b.num(0)), then: [{ kind: "return", value: b.call(fn.name, args) }], else: [] },
      b.declare(value, call(b.num(0)), true, fn.returnType),
      rowLoop([b.assign({ kind: "var", name: value }, call(b.v(r)))], 1),
      { kind: "return", value: b.v(value) },
    ];
    return { fn: rowsFunction(body, `one forward and one reverse sweep\nper cotangent (this reverse sweep cannot be replayed)`), primal: true };
  }
  const stacks = (["values", "control"] as const).filter((x) => reverse.stacks.has(x));
  const onEntry = stacks.map((x) => ({ stack: x, name: namer.fresh(`${x}OnEntry`) }));
  const afterForward = stacks.map((x) => ({ stack: x, name: namer.fresh(`${x}AfterForward`) }));
  const size = (stack: StackName): Expr => ({ kind: "stackSize", stack });
  const rewind = (marks: { stack: StackName; name: string }[]): Stmt[] => marks.map((m) => ({ kind: "rewind", stack: m.stack, size: b.v(m.name) }));
  const debug = ctx.debug;
  const balance = debug ? stackBalance(stacks) : null;
  const bindGrad: Stmt = { kind: "declare", name: row.grad, type: { kind: "opaque", text: alias }, init: b.index(b.v(grads), b.v(r)), mutable: false };
  const rowBody: Stmt[] = [
    ...rewind(afterForward),
    { kind: "declare", name: row.cotangent, type: { kind: "opaque", text: row.cotangentType }, init: b.index(b.v(cotangents), b.v(r)), mutable: false },
    bindGrad,
    ...split.prologue,
    b.comment("reverse sweep"),
    ...split.reverse,
    ...split.epilogue,
    // Debug build: each reverse sweep pops exactly what the forward sweep pushed.
    ...(balance ? balance.exit : []),
  ];
  // Debug build: the arguments are checked before anything is pushed.
  const gradChecks = debug ? aliasChecks(fn, request.wrt, [{ name: row.grad, type: gradRecordType(fn, request.wrt) }], false) : [];
  const body: Stmt[] = [
    ...(balance ? balance.entry : []),
    ...(debug ? aliasChecks(fn, request.wrt, []) : []),
    ...(gradChecks.length ? [rowLoop([bindGrad, ...gradChecks])] : []),
    ...onEntry.map((m) => b.declare(m.name, size(m.stack))),
    b.comment("forward sweep"),
    ...split.forward,
    ...(stacks.length ? [b.comment("each row's reverse sweep pops again what the forward sweep pushed")] : []),
    ...afterForward.map((m) => b.declare(m.name, size(m.stack))),
    rowLoop(rowBody),
    ...rewind(onEntry),
    { kind: "return", value: b.v(reverse.valueName) },
  ];
  return { fn: rowsFunction(body, "one forward sweep, then\none reverse sweep per cotangent"), primal: false };
}
