/**
 * The public API of every mode, built from the two transforms:
 *
 *   @grad      fGrad / fGradInto            reverse mode seeded with 1
 *   @vjp       fVjp / fVjpInto              reverse mode seeded with a cotangent
 *              fVjpRowsInto                 one forward sweep, a reverse sweep per cotangent
 *                                           (array results)
 *   @jvp       fJvp                         forward mode on the primal
 *   @hvp       fHvp / fHvpInto              forward mode on the reverse-mode body
 *   @hessian   fHessian                     one fHvpInto per wrt scalar (or per band colour)
 *   @jacobian  fJacobian                    one fJvp per input, or one forward sweep and one
 *                                           reverse sweep per output, whichever is fewer
 *
 * Gradient-shaped records (`grad`, `tangent`, `v`, `hvp`) have one field per wrt
 * parameter, of the parameter's own shape.
 */
import * as b from "../ir/build.ts";
import type { DerivativeRequest, Expr, FunctionIR, Param, StackName, Stmt, ValueType } from "../ir/nodes.ts";
import { analyzeActivity, dependencies, dependencyEdges, dependents, integerArrays } from "../analysis/activity.ts";
import { analyzeVariables } from "../analysis/variables.ts";
import { gradientTypeText, leafPaths, pathIn } from "../ir/types.ts";
import { Codes, fail } from "../diagnostics.ts";
import { walkStmts, rootName, stmtExprs, walkExpr } from "../ir/visit.ts";
import { ForwardGenerator } from "./forward.ts";
import { Namer } from "./naming.ts";
import { normalizeControlFlow } from "./normalize.ts";
import { heaviestLoopLast } from "./reverse/lastLoop.ts";
import { reverseMode } from "./reverse/strategy.ts";
import type { PullbackRequest, ReverseOutput } from "./reverse/types.ts";
import { inlineCalls, type CalleeResolver, type CustomRuleFinder } from "./inline.ts";
import { buildGradient, gradientSlots, gradRecordType, pascalCase, withDebugChecks } from "./gradient.ts";
import { overwriteOutputs } from "./overwrite.ts";
import { aliasChecks, stackBalance } from "./debug.ts";

export interface ModeContext {
  fn: FunctionIR;
  request: DerivativeRequest;
  /** Names the generated code must not capture (module names, stack names). */
  reserved: string[];
  sourceLines: string[];
  sourceName: string;
  activity: boolean;
  /** To-be-recorded analysis in reverse mode (see reverse/strategy.ts). */
  toBeRecorded: boolean;
  /** Lowered IR of a called user function. */
  resolve: CalleeResolver;
  /** A user-supplied VJP for a called function, if any. */
  customVjp?: CustomRuleFinder;
  /** Debug build: check argument aliasing and stack balance in every derivative. */
  debug?: { stackNames: { values: string; control: string } };
  /** For a shared callee pullback: the name of the generated function (fVjpInto shape). */
  pullbackName?: string;
}

export interface ModeOutput {
  /** Names the generated code calls from user modules (primals and their @vjpOf rules), by file. */
  imports?: { name: string; file: string }[];
  /** Shared callee pullbacks the functions call; the pipeline generates each once per file. */
  pullbacks?: PullbackRequest[];
  /** Callees whose primal the generated code calls (a private copy goes into the file); `purpose` says why, when not for a forward sweep. */
  primals?: { name: string; span: import("../diagnostics.ts").SourceSpan; purpose?: string }[];
  functions: FunctionIR[];
  typeAliases: { name: string; text: string; doc?: string }[];
  stacks: Set<StackName>;
  runtime: Set<string>;
}

function wrtRecordType(fn: FunctionIR, wrt: string[]): { text: string; fields: { name: string; type: ValueType }[] } {
  const fields = wrt.map((name) => ({ name, type: fn.params.find((p) => p.name === name)!.type }));
  return { text: `{ ${fields.map((f) => `${f.name}: ${gradientTypeText(f.type)}`).join("; ")} }`, fields };
}

function zeroRecord(fields: { name: string; type: ValueType }[]): Expr {
  return { kind: "record", fields: fields.map((f) => ({ name: f.name, value: { kind: "zerosLike", type: f.type, like: b.v(f.name) } })) };
}

/** The tangent of a result has the result's container: number, number[] or Float64Array. */
function tangentTypeText(t: ValueType): string {
  return t.kind === "array" ? gradientTypeText(t) : "number";
}

function paramType(fn: FunctionIR, name: string): ValueType {
  return fn.params.find((p) => p.name === name)!.type;
}

/** `const x_dot = tangent.x;` for every leaf of every wrt parameter. */
function tangentPrologue(fn: FunctionIR, wrt: string[], gen: ForwardGenerator, record: string): Stmt[] {
  return wrt.flatMap((name) =>
    leafPaths(name, paramType(fn, name)).map((leaf) => b.declare(gen.dot(leaf.path), pathIn(b.v(record), leaf.path), false, leaf.type)),
  );
}

function typeParam(name: string, text: string): Param {
  return { name, type: { kind: "opaque", text }, typeText: text };
}

function freshNamer(ctx: ModeContext, fn: FunctionIR): Namer {
  return Namer.forFunction(fn, ctx.reserved);
}

function where(ctx: ModeContext): string {
  return `${ctx.sourceName}:${ctx.fn.span.line}`;
}

/** The type alias for the wrt record of a mode: `FGradient` for @grad, `F<Mode>Gradient` otherwise. */
function aliasName(ctx: ModeContext): string {
  const base = pascalCase(ctx.fn.name);
  return ctx.request.mode === "grad" ? `${base}Gradient` : `${base}${pascalCase(ctx.request.mode)}Gradient`;
}

/**
 * The function reverse mode differentiates: control flow normalized, with its variable
 * facts and activity, and the same for its heaviest loop moved last when that is possible
 * (reverse mode keeps whichever order saves less).
 */
function reverseSubject(ctx: ModeContext, namer: Namer) {
  const normalized = normalizeControlFlow(ctx.fn, namer);
  const analyzed = (fn: FunctionIR, result: Expr) => ({ fn, result, info: analyzeVariables(fn), activity: analyzeActivity(fn, result, ctx.request.wrt, ctx.activity) });
  const moved = heaviestLoopLast(normalized.fn.body, normalized.result);
  const reordered = moved ? analyzed({ ...normalized.fn, body: moved.body }, moved.result) : undefined;
  return { ...analyzed(normalized.fn, normalized.result), ...(reordered && { reordered }) };
}

/** Reverse-mode body for the request's wrt set, seeded with `seed`. */
function reverseBody(ctx: ModeContext, namer: Namer, gradName: string, seed: (resultType: ValueType) => Expr) {
  return reverseMode({
    ...reverseSubject(ctx, namer),
    wrt: ctx.request.wrt,
    namer,
    gradName,
    seed: seed(ctx.fn.returnType),
    sourceLines: ctx.sourceLines,
    toBeRecorded: ctx.toBeRecorded,
  });
}

/** `base` names the functions (`fVjp`, `fVjpInto`); @jacobian passes its own so wrt lists never clash. */
export function buildVjp(ctx: ModeContext, base = `${ctx.fn.name}Vjp`, alias = aliasName(ctx)): ModeOutput {
  const { fn, request } = ctx;
  const namer = freshNamer(ctx, fn);
  const gradName = namer.fresh("grad");
  const cotangent = namer.fresh("cotangent");
  const record = wrtRecordType(fn, request.wrt);
  const reverse = reverseBody(ctx, namer, gradName, (t) => (t.kind === "array" ? b.v(cotangent) : b.v(cotangent)));
  const resultType = fn.returnTypeText;
  const cotangentType = fn.returnType.kind === "array" ? `readonly number[] | Float64Array` : "number";
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
  const rows = fn.returnType.kind === "array" && !ctx.pullbackName ? buildVjpRows(ctx, base, alias, reverse, namer, { grad: gradName, cotangent, cotangentType }) : null;
  return {
    functions: [simple, into, ...(rows ? [rows.fn] : [])],
    typeAliases: [{ name: alias, text: record.text }],
    stacks: reverse.stacks,
    runtime: new Set(),
    pullbacks: reverse.pullbacks,
    ...(rows?.primal && { primals: [{ name: fn.name, span: fn.span, purpose: `for \`${base}RowsInto\`'s value when there are no cotangents` }] }),
  };
}

/**
 * `fVjpRowsInto(params…, cotangents, grads)`: adds cotangents[r]ᵀ·J into grads[r] for every
 * r and returns the value. When the reverse sweep can be replayed (ReverseOutput.split), the
 * forward sweep runs once and each row's reverse sweep pops its values again from a mark
 * (the stacks rewound to where the forward sweep left them); otherwise one fVjpInto per row,
 * and `f` itself (a private copy: `primal`) gives the value when there are no rows.
 */
function buildVjpRows(
  ctx: ModeContext,
  base: string,
  alias: string,
  reverse: ReverseOutput,
  namer: Namer,
  row: { grad: string; cotangent: string; cotangentType: string },
): { fn: FunctionIR; primal: boolean } {
  const { fn, request } = ctx;
  const rowsName = `${base}RowsInto`;
  const split = reverse.split;
  // The replay's locals live beside the reverse body's names; the fallback only calls functions.
  const names = split ? namer : new Namer([...fn.params.map((p) => p.name), fn.name, `${base}Into`]);
  const [cotangents, grads, r] = ["cotangents", "grads", "r"].map((x) => names.fresh(x)) as [string, string, string];
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
  const balance = debug ? stackBalance(stacks.map((x) => debug.stackNames[x])) : null;
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

export function buildJvp(ctx: ModeContext, name = `${ctx.fn.name}Jvp`, alias = aliasName(ctx)): ModeOutput {
  const { fn, request } = ctx;
  const namer = freshNamer(ctx, fn);
  const tangentName = namer.fresh("tangent");
  const record = wrtRecordType(fn, request.wrt);
  // Activity: varied from the wrt parameters and useful for any returned value.
  const returns: Expr[] = [];
  walkStmts(fn.body, (s) => {
    if (s.kind === "return" && s.value) returns.push(s.value);
  });
  const activity = analyzeActivity(fn, { kind: "arrayLiteral", elements: returns }, request.wrt, ctx.activity);
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
  return { functions: [jvp], typeAliases: [{ name: alias, text: record.text }], stacks: new Set(), runtime: new Set() };
}

/** Forward mode over the reverse-mode body: the HVP is the tangent of the gradient. */
export function buildHvp(ctx: ModeContext): ModeOutput {
  const { fn, request } = ctx;
  if (fn.returnType.kind !== "number") fail(Codes.BadReturnType, `@${request.mode} needs '${fn.name}' to return a number`, fn.span);
  const namer = freshNamer(ctx, fn);
  const gradName = namer.fresh("grad");
  const vName = namer.fresh("v");
  const hvpName = namer.fresh("hvp");
  const alias = `${pascalCase(fn.name)}${request.mode === "grad" ? "" : pascalCase("hvp")}Gradient`;
  const record = wrtRecordType(fn, request.wrt);
  const reverse = reverseBody(ctx, namer, gradName, () => b.num(1));
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
  });
  const prologue = tangentPrologue(fn, request.wrt, gen, vName);
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
      overwriteOutputs([...prologue, ...gen.stmts(body)], [...gradientSlots(fn, request.wrt, gradName), ...gradientSlots(fn, request.wrt, hvpName)], namer),
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
  const stacks = new Set(reverse.stacks);
  return { functions: [simple, into], typeAliases: [{ name: alias, text: record.text }], stacks, runtime: new Set() };
}

/** Dense Hessian: one HVP per wrt scalar, symmetrized so H is exactly symmetric. */
export function buildHessian(ctx: ModeContext): ModeOutput {
  const hvp = buildHvp({ ...ctx, request: { ...ctx.request, mode: "hvp" } });
  const { fn, request } = ctx;
  const alias = hvp.typeAliases[0]!.name;
  const record = wrtRecordType(fn, request.wrt);
  const fields = JSON.stringify(request.wrt);
  const args = fn.params.map((p) => p.name).join(", ");
  const outer = new Namer(fn.params.map((p) => p.name));
  const [n, H, v, g, h, column, value, i, j, k, c, colors, band, fieldsName] = [
    "n", "hessian", "v", "grad", "hvp", "column", "value", "i", "j", "k", "c", "colors", "bandwidth", "fields",
  ].map((x) => outer.fresh(x)) as string[] as [string, string, string, string, string, string, string, string, string, string, string, string, string, string];
  const zeros = "{" + record.fields.map((f) => `${f.name}: ${zerosText(f.type, f.name)}`).join(", ") + "}";
  const call = `${fn.name}HvpInto(${args}${args ? ", " : ""}${v}, ${g}, ${h})`;
  const banded = request.bandwidth !== undefined;
  const text = [
    `const ${fieldsName} = ${fields} as const;`,
    `const ${v}: ${alias} = ${zeros};`,
    `const ${g}: ${alias} = ${zeros};`,
    `const ${h}: ${alias} = ${zeros};`,
    `const ${n} = recordSize(${v}, ${fieldsName});`,
    banded
      ? `// Banded (declared bandwidth=${request.bandwidth}): columns k ≡ c (mod 2·bandwidth+1) share one HVP.`
      : `// Dense: one HVP per column.`,
    `const ${band} = ${banded ? request.bandwidth : n};`,
    `const ${colors} = Math.min(${n}, 2 * ${band} + 1);`,
    `const ${H}: number[][] = [];`,
    `for (let ${i} = 0; ${i} < ${n}; ${i}++) ${H}.push(new Array<number>(${n}).fill(0));`,
    `const ${column} = new Array<number>(${n}).fill(0);`,
    `let ${value} = ${colors} === 0 ? ${call} : 0;`,
    `for (let ${c} = 0; ${c} < ${colors}; ${c}++) {`,
    `  for (let ${k} = ${c}; ${k} < ${n}; ${k} += ${colors}) setFlat(${v}, ${fieldsName}, ${k}, 1);`,
    `  ${value} = ${call};`,
    `  readFlat(${h}, ${fieldsName}, ${column});`,
    `  for (let ${k} = ${c}; ${k} < ${n}; ${k} += ${colors}) {`,
    `    setFlat(${v}, ${fieldsName}, ${k}, 0);`,
    `    const last = Math.min(${n} - 1, ${k} + ${band});`,
    `    for (let ${i} = Math.max(0, ${k} - ${band}); ${i} <= last; ${i}++) ${H}[${i}][${k}] = ${column}[${i}];`,
    `  }`,
    `}`,
    `// Forward-over-reverse gives H up to rounding; average with Hᵀ so it is exactly symmetric.`,
    `for (let ${i} = 0; ${i} < ${n}; ${i}++) {`,
    `  for (let ${j} = 0; ${j} < ${i}; ${j}++) {`,
    `    const mean = 0.5 * (${H}[${i}][${j}] + ${H}[${j}][${i}]);`,
    `    ${H}[${i}][${j}] = mean;`,
    `    ${H}[${j}][${i}] = mean;`,
    `  }`,
    `}`,
    `return { value: ${value}, grad: ${g}, hessian: ${H} };`,
  ];
  const hessian: FunctionIR = {
    name: `${fn.name}Hessian`,
    params: fn.params,
    returnType: { kind: "opaque", text: "" },
    returnTypeText: `{ value: number; grad: ${alias}; hessian: number[][] }`,
    body: [{ kind: "verbatim", lines: text }],
    exported: true,
    span: fn.span,
    doc: `Value, gradient and dense Hessian of \`${fn.name}\` over ${request.wrt.join(", ")} flattened in declaration order\n(arrays row-major), from ${request.bandwidth !== undefined ? `2·${request.bandwidth}+1 Hessian-vector products (declared banded)` : "one Hessian-vector product per entry of the flattened parameters"}.\nGenerated from ${where(ctx)}.`,
  };
  return { ...hvp, functions: [...hvp.functions, hessian], runtime: new Set(["recordSize", "setFlat", "readFlat"]) };
}

function zerosText(type: ValueType, like: string): string {
  if (type.kind === "number") return "0";
  if (type.kind === "record") return `{ ${type.fields.map((f) => `${f.name}: ${zerosText(f.type, `${like}.${f.name}`)}`).join(", ")} }`;
  if (type.kind !== "array") return "0";
  if (type.container === "float64array") return `new Float64Array(${like}.length)`;
  if (type.container === "float32array") return `new Float32Array(${like}.length)`;
  if (type.container === "int32array") return `new Int32Array(${like}.length)`;
  if (type.element.kind === "number") return `new Array<number>(${like}.length).fill(0)`;
  return `${like}.map((row) => new Array<number>(row.length).fill(0))`;
}

/** Dense Jacobian from n JVPs (n = wrt scalars) or m VJPs (m = outputs), whichever is fewer. */
export function buildJacobian(ctx: ModeContext): ModeOutput {
  const { fn, request } = ctx;
  if (fn.returnType.kind !== "array") fail(Codes.BadReturnType, `@jacobian needs '${fn.name}' to return a numeric array`, fn.span);
  const alias = `${pascalCase(fn.name)}JacobianGradient`;
  const jvpName = `${fn.name}JacobianJvp`;
  const vjpName = `${fn.name}JacobianVjp`;
  const jvp = buildJvp({ ...ctx, request: { ...request, mode: "jvp" } }, jvpName, alias);
  const vjp = buildVjp({ ...ctx, request: { ...request, mode: "vjp" } }, vjpName, alias);
  // The reverse branch computes all m rows from one forward sweep with fVjpRowsInto, unless
  // that only calls fVjpInto once per row (its fallback, which also wants a copy of the
  // primal for zero rows: never the case here, m > n ≥ 0); then it calls fVjpInto itself.
  const replayed = !vjp.primals;
  const rowsHelper = replayed ? `${vjpName}RowsInto` : `${vjpName}Into`;
  // The Jacobian's own sweeps are implementation details; @jvp/@vjp export the public ones.
  const helpers = [...jvp.functions, ...vjp.functions.filter((f) => f.name === rowsHelper)].map((f) => ({ ...f, exported: false }));
  const record = wrtRecordType(fn, request.wrt);
  const outer = new Namer(fn.params.map((p) => p.name));
  const [fieldsName, dir, n, first, value, m, J, k, t, r, ct, g] = ["fields", "direction", "n", "first", "value", "m", "jacobian", "k", "t", "r", replayed ? "cotangents" : "cotangent", replayed ? "grads" : "grad"].map((x) => outer.fresh(x)) as string[] as [string, string, string, string, string, string, string, string, string, string, string, string];
  const args = fn.params.map((p) => p.name).join(", ");
  const pre = args ? `${args}, ` : "";
  const rec = "{" + record.fields.map((f) => `${f.name}: ${zerosText(f.type, f.name)}`).join(", ") + "}";
  const text = [
    `const ${fieldsName} = ${JSON.stringify(request.wrt)} as const;`,
    `const ${dir}: ${alias} = ${rec};`,
    `const ${n} = recordSize(${dir}, ${fieldsName});`,
    `const ${first} = ${jvpName}(${pre}${dir});`,
    `const ${value} = ${first}.value;`,
    `const ${m} = ${value}.length;`,
    `const ${J}: number[][] = [];`,
    `for (let ${r} = 0; ${r} < ${m}; ${r}++) ${J}.push(new Array<number>(${n}).fill(0));`,
    `if (${n} <= ${m}) {`,
    `  // Forward mode: column k is J·e_k.`,
    `  for (let ${k} = 0; ${k} < ${n}; ${k}++) {`,
    `    setFlat(${dir}, ${fieldsName}, ${k}, 1);`,
    `    const ${t} = ${jvpName}(${pre}${dir}).tangent;`,
    `    for (let ${r} = 0; ${r} < ${m}; ${r}++) ${J}[${r}][${k}] = ${t}[${r}];`,
    `    setFlat(${dir}, ${fieldsName}, ${k}, 0);`,
    `  }`,
    `} else {`,
    ...(replayed
      ? [
          `  // Reverse mode: row r is e_rᵀ·J, all m rows from one forward sweep.`,
          `  const ${ct}: number[][] = [];`,
          `  const ${g}: ${alias}[] = [];`,
          `  for (let ${r} = 0; ${r} < ${m}; ${r}++) {`,
          `    ${ct}.push(new Array<number>(${m}).fill(0));`,
          `    ${ct}[${r}][${r}] = 1;`,
          `    ${g}.push(${rec});`,
          `  }`,
          `  ${vjpName}RowsInto(${pre}${ct}, ${g});`,
          `  for (let ${r} = 0; ${r} < ${m}; ${r}++) readFlat(${g}[${r}], ${fieldsName}, ${J}[${r}]);`,
        ]
      : [
          `  // Reverse mode: row r is e_rᵀ·J (a forward and a reverse sweep each: the reverse`,
          `  // sweep restores overwritten values, so it cannot be replayed).`,
          `  const ${ct} = new Array<number>(${m}).fill(0);`,
          `  const ${g}: ${alias} = ${rec};`,
          `  for (let ${r} = 0; ${r} < ${m}; ${r}++) {`,
          `    ${ct}[${r}] = 1;`,
          `    zeroRecord(${g});`,
          `    ${vjpName}Into(${pre}${ct}, ${g});`,
          `    readFlat(${g}, ${fieldsName}, ${J}[${r}]);`,
          `    ${ct}[${r}] = 0;`,
          `  }`,
        ]),
    `}`,
    `return { value: ${value}, jacobian: ${J} };`,
  ];
  const jacobian: FunctionIR = {
    name: `${fn.name}Jacobian`,
    params: fn.params,
    returnType: { kind: "opaque", text: "" },
    returnTypeText: `{ value: ${fn.returnTypeText}; jacobian: number[][] }`,
    body: [{ kind: "verbatim", lines: text }],
    exported: true,
    span: fn.span,
    doc: replayed
      ? `Value and dense Jacobian of \`${fn.name}\` (rows: outputs; columns: ${request.wrt.join(", ")} flattened\nin declaration order). Uses n forward-mode sweeps, or one forward and m reverse sweeps,\nwhichever is fewer. Generated from ${where(ctx)}.`
      : `Value and dense Jacobian of \`${fn.name}\` (rows: outputs; columns: ${request.wrt.join(", ")} flattened\nin declaration order). Uses n forward sweeps or m reverse sweeps, whichever is fewer.\nGenerated from ${where(ctx)}.`,
  };
  return {
    functions: [...helpers, jacobian],
    typeAliases: [{ name: alias, text: record.text }],
    stacks: vjp.stacks,
    runtime: new Set(["recordSize", "setFlat", "readFlat", ...(replayed ? [] : ["zeroRecord"])]),
  };
}

/** Dispatches one annotation to its builder, after inlining the function's calls. */
export function buildMode(input: ModeContext): ModeOutput {
  // User-supplied rules are reverse-mode rules; other modes see through the callee instead.
  const reverse = input.request.mode === "grad" || input.request.mode === "vjp";
  const fn = inlineCalls(input.fn, input.resolve, Namer.forFunction(input.fn, input.reserved), reverse ? input.customVjp : undefined);
  const imports: { name: string; file: string }[] = [];
  const primals: { name: string; span: import("../diagnostics.ts").SourceSpan }[] = [];
  walkStmts(fn.body, (s) => {
    for (const e of stmtExprs(s)) {
      walkExpr(e, (x) => {
        if (x.kind !== "userCall" || !x.rule) return;
        if (x.rule.generated) primals.push({ name: x.callee, span: x.span ?? input.fn.span });
        else imports.push({ name: x.callee, file: x.rule.primalFile }, { name: x.rule.name, file: x.rule.ruleFile });
      });
    }
  });
  const output = dispatch({ ...input, fn });
  return { ...output, imports, primals: [...primals, ...(output.primals ?? [])] };
}

function dispatch(ctx: ModeContext): ModeOutput {
  switch (ctx.request.mode) {
    case "grad": return buildGrad(ctx);
    case "jvp": return buildJvp(ctx);
    case "vjp": return ctx.pullbackName ? buildVjp(ctx, ctx.pullbackName, `${pascalCase(ctx.pullbackName)}Gradient`) : buildVjp(ctx);
    case "hvp": return buildHvp(ctx);
    case "hessian": return buildHessian(ctx);
    case "jacobian": return buildJacobian(ctx);
  }
}

function buildGrad(ctx: ModeContext): ModeOutput {
  const { fn, request } = ctx;
  if (fn.returnType.kind !== "number") fail(Codes.BadReturnType, `@grad needs '${fn.name}' to return a number`, fn.span);
  const namer = freshNamer(ctx, fn);
  const out = buildGradient({
    ...reverseSubject(ctx, namer),
    wrt: request.wrt,
    namer,
    sourceLines: ctx.sourceLines,
    sourceName: ctx.sourceName,
    debug: ctx.debug,
    toBeRecorded: ctx.toBeRecorded,
  });
  return { functions: out.functions, typeAliases: [out.typeAlias], stacks: out.stacks, runtime: new Set(), pullbacks: out.pullbacks };
}
