/**
 * `@hessian x sparse` and `@jacobian x sparse`: the sparsity pattern detected from the
 * program, and the matrix from one sweep per color of a coloring of that pattern,
 * returned in compressed sparse rows (runtime/coloring.ts, runtime/sparse.ts).
 *
 *   fHessianSparsity(p1, …, pn): SparsityPattern               fJacobianSparsity(p1, …, pn): SparsityPattern
 *   fHessianSparse(p1, …, pn, width?): { value, grad, hessian } fJacobianSparse(p1, …, pn, width?): { value, jacobian }
 *   fHessianSparseInto(p1, …, pn, grad, hessian): value         fJacobianSparseInto(p1, …, pn, jacobian): value
 *
 * The sweeps are the vector ones (modes/lanes.ts: fHvpLanesInto, fJacobianJvpLanes): one
 * sweep carries `lanes` colors, at most `width` (default 8), so the primal and the reverse
 * sweep's saved values are computed once per `lanes` colors. Where the widening does not
 * handle the function (`output.scalarOnly`), one color per one-direction sweep.
 *
 * Detection runs the mode's own forward-mode code (the HVP for a Hessian, the JVP for a
 * Jacobian) with index sets for tangents (transform/indexSets.ts): a private sweep,
 * `fHessianSparsitySweep` / `fJacobianSparsitySweep`. The drivers are IR like any
 * generated code and call the runtime's helpers, which the build copies into the file.
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, LValue, Param, Stmt } from "../ir/nodes.ts";
import { IndexSetRewriter } from "../transform/indexSets.ts";
import { Namer, namesIn } from "../transform/naming.ts";
import { entryParams, names } from "./common.ts";
import { callStmt, fieldNames, stepLoop, typedRecord } from "./hessian.ts";
import { jvpForward } from "./jvp.ts";
import { DEFAULT_WIDTH, hvpLanesNames, jacobianLanesNames, zeroLanes, zeroLanesHelpers } from "./lanes.ts";
import { pascalCase, runPasses, startUnit, typeParam, where, wrtRecordType, zeroRecord, type ModeContext, type Pass, type Unit } from "./unit.ts";

/** The private sweep: `of` re-typed with index-set tangents, the tangent parameters `setParams` typed as sets of `alias`. */
function sparsitySweep(of: FunctionIR, tangents: ReadonlySet<string>, name: string, setParams: string[], alias: string, returnTypeText: string, doc: string): { fn: FunctionIR; runtime: string[] } {
  const setStack = new Namer(namesIn(of)).fresh("setStack");
  // The seed and result records are tangents too: `const x_dot = v.x` aliases one of their arrays.
  const rewriter = new IndexSetRewriter(new Set([...tangents, ...setParams]), setStack);
  const body = rewriter.stmts(of.body);
  const stackUsed = rewriter.used.has("popSet");
  const params: Param[] = of.params.map((p) => (setParams.includes(p.name) ? typeParam(p.name, `SetsOf<${alias}>`) : p));
  const stack: Stmt[] = stackUsed ? [{ ...(b.declare(setStack, { kind: "arrayLiteral", elements: [] }) as Extract<Stmt, { kind: "declare" }>), annotation: "IndexSet[]" }] : [];
  return {
    fn: { ...of, name, params, returnTypeText, body: [...stack, ...body], exported: false, doc },
    runtime: [...rewriter.used, "SetsOf", "IndexSet"],
  };
}

/** After the HVP passes: `fHessianSparsitySweep`, the HVP with index-set tangents (its `hvp` rows are the pattern's rows). */
export const hessianSparsity: Pass = {
  name: "sparsity",
  run(unit) {
    const { fn } = unit.ctx;
    const into = unit.output.functions.find((f) => f.name === `${fn.name}HvpInto`)!;
    const alias = unit.output.typeAliases[0]!.name;
    const { v, grad, hvp } = unit.params as Record<"v" | "grad" | "hvp", string>;
    const sweep = sparsitySweep(
      into,
      unit.tangents!,
      `${fn.name}HessianSparsitySweep`,
      [v, hvp],
      alias,
      "number",
      `Sparsity detection: ${fn.name}HvpInto with index sets for tangents. Seeded with {k} at the k-th wrt\nnumber, \`${hvp}\` gets the columns each gradient entry may depend on: the Hessian's rows.\n(\`${grad}\` gets the gradient.)`,
    );
    return { ...unit, output: { ...unit.output, functions: [...unit.output.functions, sweep.fn], runtime: new Set([...unit.output.runtime, ...sweep.runtime]) } };
  },
};

const declareConst = (name: string, init: Expr): Stmt => b.declare(name, init);
const call = (callee: string, args: Expr[]): Expr => ({ kind: "call", callee, args });
const field = (object: string, ...path: string[]): Expr => path.reduce<Expr>((e, name) => b.field(e, name), b.v(object));
/** `{ x, p }`: the wrt arguments as a record (their shape, for the runtime's record helpers). */
const wrtArgs = (wrt: string[]): Expr => ({ kind: "record", fields: wrt.map((name) => ({ name, value: b.v(name) })) });
const record = (fields: [string, Expr][]): Expr => ({ kind: "record", fields: fields.map(([name, value]) => ({ name, value })) });

/** What differs between the sparse Hessian's drivers and the sparse Jacobian's; sparseDrivers writes the rest. */
interface SparseKind {
  /** "Hessian" or "Jacobian": fXSparsity, fXSparse, fXSparseInto. */
  what: "Hessian" | "Jacobian";
  /** Whether the sweeps are vector sweeps (else one color per one-direction sweep). */
  lanes: boolean;
  /** fXSparsity's body (after `const fields = …`), given the fields' variable. */
  sparsity: (fields: Expr) => Stmt[];
  sparsityDoc: string;
  /** `compressedX(pattern, coloring, lanes, seed, product)`: `record()` makes a fresh seed (or product) record. */
  compress: (pattern: Expr, coloring: Expr, lanes: Expr, record: () => Expr) => Expr;
  /** The coloring of the pattern: `xColoring(pattern, …args)`, and a comment above it. */
  coloring: { helper: string; args: Expr[]; comment?: string };
  /** The matrix's type: `CompressedMatrix<…>`. */
  matrixType: string;
  /** fXSparseInto's statements before the forward sweeps (the reverse ones, when they were chosen). */
  intoPrefix: Stmt[];
  /** fXSparseInto's parameters after the function's, the matrix last. */
  intoParams: (matrixType: string) => Param[];
  /** One sweep: the statement (declaring `first`, assigning otherwise) and the recovery of colors `c`…. */
  sweepStmt: (first: boolean, seedArgs: Expr[]) => Stmt;
  recover: (c: Expr) => Stmt;
  /** What fXSparseInto returns. */
  result: Expr;
  /** fXSparse: statements before the matrix, the Into call's extra arguments, the record it returns. */
  sparsePrefix: Stmt[];
  returned: (value: Expr) => [string, Expr][];
  returnTypeText: (matrixType: string) => string;
  doc: { into: string; sparse: string };
  runtime: string[];
}

/**
 * fXSparsity, fXSparse and fXSparseInto of one kind. fXSparse detects the pattern, colors it,
 * chooses lanes = colors per sweep (at most `width`, spread evenly) and makes the compressed
 * matrix with its lanes records; fXSparseInto runs ceil(colors / lanes) sweeps:
 *
 *   seedSweep(matrix, 0, fields); let value = sweep(…); recover(0)
 *   for (let c = matrix.lanes; c < matrix.coloring.count; c += matrix.lanes) { seedSweep(matrix, c, fields); value = sweep(…); recover(c) }
 *
 * (the first sweep also when there are no colors: it gives the value).
 */
function sparseDrivers(unit: Unit, kind: SparseKind, n: { matrix: string; fields: string; width: string; c: string; pattern: string; coloring: string; lanes: string }): Unit {
  const { ctx } = unit;
  const { fn, request } = ctx;
  const args = fn.params.map((p) => b.v(p.name));
  const fieldsArg = b.v(n.fields);
  const wrt = wrtRecordType(fn, request.wrt);
  const names = { sparsity: `${fn.name}${kind.what}Sparsity`, sparse: `${fn.name}${kind.what}Sparse`, into: `${fn.name}${kind.what}SparseInto` };
  const { matrixType } = kind;
  const generatedFrom = `Generated from ${where(ctx)}.`;
  const sparsity: FunctionIR = {
    name: names.sparsity,
    params: fn.params,
    returnType: { kind: "opaque", text: "" },
    returnTypeText: "SparsityPattern",
    body: [fieldNames(n.fields, request.wrt), ...kind.sparsity(fieldsArg)],
    exported: true,
    span: fn.span,
    doc: `${kind.sparsityDoc}\n${generatedFrom}`,
  };
  const seedArgs = [...args, field(n.matrix, "seed")];
  const into: FunctionIR = {
    name: names.into,
    params: [...fn.params, ...kind.intoParams(matrixType)],
    returnType: kind.what === "Hessian" ? b.NUMBER : fn.returnType,
    returnTypeText: kind.what === "Hessian" ? "number" : fn.returnTypeText,
    body: [
      fieldNames(n.fields, request.wrt),
      callStmt("checkCompressedSize", [b.v(n.matrix), call("recordSize", [wrtArgs(request.wrt), fieldsArg]), { kind: "string", value: names.into }]),
      ...kind.intoPrefix,
      b.comment(kind.lanes ? `Colors c … c + lanes − 1 in the lanes of one sweep.` : `One color per sweep (lanes is 1: no vector sweep here).`),
      callStmt("seedSweep", [b.v(n.matrix), b.num(0), fieldsArg]),
      kind.sweepStmt(true, seedArgs),
      kind.recover(b.num(0)),
      stepLoop(n.c, field(n.matrix, "lanes"), field(n.matrix, "coloring", "count"), field(n.matrix, "lanes"), [
        callStmt("seedSweep", [b.v(n.matrix), b.v(n.c), fieldsArg]),
        kind.sweepStmt(false, seedArgs),
        kind.recover(b.v(n.c)),
      ]),
      { kind: "return", value: kind.result },
    ],
    exported: true,
    span: fn.span,
    doc: `${kind.doc.into}\nReturns the value. ${generatedFrom}`,
  };
  const lanesRecord = kind.lanes ? zeroLanes(wrt.fields, b.v(n.lanes)) : zeroRecord(wrt.fields);
  const sparse: FunctionIR = {
    name: names.sparse,
    params: [...fn.params, { ...typeParam(n.width, "number"), defaultText: String(request.width ?? DEFAULT_WIDTH) }],
    returnType: { kind: "opaque", text: "" },
    returnTypeText: kind.returnTypeText(matrixType),
    body: [
      ...kind.sparsePrefix,
      declareConst(n.pattern, call(names.sparsity, args)),
      ...(kind.coloring.comment ? [b.comment(kind.coloring.comment)] : []),
      declareConst(n.coloring, call(kind.coloring.helper, [b.v(n.pattern), ...kind.coloring.args])),
      ...(kind.lanes
        ? [b.comment(`At most \`${n.width}\` colors per vector sweep, spread evenly over the fewest sweeps.`), declareConst(n.lanes, call("lanesFor", [b.v(n.coloring), b.v(n.width)]))]
        : [
            b.comment(`No vector sweep here: ${unit.output.scalarOnly ?? "not generated"}.`),
            b.comment(`One color per sweep; \`${n.width}\` is unused.`),
            declareConst(n.lanes, b.num(1)),
          ]),
      declareConst(n.matrix, kind.compress(b.v(n.pattern), b.v(n.coloring), b.v(n.lanes), () => lanesRecord)),
      { kind: "return", value: record(kind.returned(call(names.into, [...args, ...kind.intoParams(matrixType).slice(0, -1).map((p) => b.v(p.name)), b.v(n.matrix)]))) },
    ],
    exported: true,
    span: fn.span,
    doc: `${kind.doc.sparse}\n${generatedFrom}`,
  };
  const runtime = ["recordSize", "SparsityPattern", "CompressedMatrix", "checkCompressedSize", "seedSweep", "lanesFor", kind.coloring.helper, ...kind.runtime, ...(kind.lanes ? zeroLanesHelpers(wrt.fields) : [])];
  return { ...unit, output: { ...unit.output, functions: [...unit.output.functions, sparsity, sparse, into], runtime: new Set([...unit.output.runtime, ...runtime]) } };
}

type DriverNames = Parameters<typeof sparseDrivers>[2];

/** The drivers' local names, fresh against the function's parameters: the shared ones (the matrix named `matrix`), then `more`. */
function driverNames<K extends string>(ctx: ModeContext, matrix: string, more: K[]): DriverNames & Record<K, string> {
  const outer = new Namer(ctx.fn.params.map((p) => p.name));
  const shared = Object.fromEntries(["fields", "width", "c", "pattern", "coloring", "lanes"].map((x) => [x, outer.fresh(x)]));
  return { ...shared, matrix: outer.fresh(matrix), ...Object.fromEntries(more.map((x) => [x, outer.fresh(x)])) } as DriverNames & Record<K, string>;
}

const OVER = (wrt: string[]) => `${wrt.join(", ")} flattened in declaration order (arrays row-major)`;

/** fHessianSparsity, fHessianSparse and fHessianSparseInto: Hessian-vector products seeded by colors. */
export const sparseHessianDriver: Pass = {
  name: "driver",
  run(unit) {
    const { ctx } = unit;
    const { fn, request } = ctx;
    const alias = unit.output.typeAliases[0]!.name;
    const wrt = wrtRecordType(fn, request.wrt);
    const local = driverNames(ctx, "hessian", ["grad", "rows", "value"]);
    const { matrix: hessian, grad, rows, value } = local;
    const args = fn.params.map((p) => b.v(p.name));
    const lanesFn = unit.output.functions.find((f) => f.name === hvpLanesNames(fn).name);
    const seedType = lanesFn ? hvpLanesNames(fn).alias : alias;
    const sweepCall = (seedArgs: Expr[]): Expr =>
      lanesFn ? call(lanesFn.name, [...seedArgs, b.v(grad), field(hessian, "product"), field(hessian, "lanes")]) : call(`${fn.name}HvpInto`, [...seedArgs, b.v(grad), field(hessian, "product")]);
    const sparse = `${fn.name}HessianSparse`;
    const kind: SparseKind = {
      what: "Hessian",
      lanes: lanesFn !== undefined,
      sparsity: (fields) => [
        typedRecord(grad, alias, wrt.fields),
        declareConst(rows, call("emptySetRecord", [b.v(grad), fields])),
        callStmt(`${fn.name}HessianSparsitySweep`, [...args, call("seedSetRecord", [b.v(grad), fields]), b.v(grad), b.v(rows)]),
        { kind: "return", value: call("hessianPatternOfSets", [call("flattenSetRecord", [b.v(grad), b.v(rows), fields])]) },
      ],
      sparsityDoc:
        `Where the Hessian of \`${fn.name}\` over ${OVER(request.wrt)} may be nonzero, in compressed sparse rows\n` +
        `(symmetric). Found by running its HVP with index sets for tangents at these arguments: exact for\n` +
        `the branches they take (a superset of the nonzeros there; another input may take other branches).`,
      coloring: { helper: "hessianColoring", args: [] },
      matrixType: `CompressedMatrix<${seedType}>`,
      intoPrefix: [],
      compress: (pattern, coloring, lanes, record) => call("compressedHessian", [pattern, coloring, lanes, record(), record()]),
      intoParams: (matrixType) => [typeParam(grad, alias), typeParam(hessian, matrixType)],
      sweepStmt: (first, seedArgs) => (first ? b.declare(value, sweepCall(seedArgs), true) : b.assign(b.v(value) as LValue, sweepCall(seedArgs))),
      recover: (c) => callStmt("recoverSweepRecord", [b.v(hessian), c, b.v(local.fields)]),
      result: b.v(value),
      sparsePrefix: [typedRecord(grad, alias, wrt.fields)],
      returned: (into) => [["value", into], ["grad", b.v(grad)], ["hessian", b.v(hessian)]],
      returnTypeText: (matrixType) => `{ value: number; grad: ${alias}; hessian: ${matrixType} }`,
      doc: {
        into:
          `Sets \`${grad}\` to the gradient of \`${fn.name}\` and \`${hessian}.values\` to its Hessian, on the pattern and\n` +
          `with the coloring \`${hessian}\` was made with (by ${sparse}): one Hessian-vector product per color,\n` +
          `\`${hessian}.lanes\` of them per forward-over-reverse sweep.`,
        sparse:
          `Value, gradient and sparse Hessian of \`${fn.name}\` over ${OVER(request.wrt)}: the pattern of\n` +
          `${fn.name}HessianSparsity, colored (distance-2 or star coloring, whichever needs fewer colors) so that\n` +
          `one Hessian-vector product per color gives every entry, at most \`${local.width}\` colors per sweep.\n` +
          `\`hessian\` is in compressed sparse rows (rowPointers, columnIndices, values) and keeps its coloring and\n` +
          `buffers: pass it to ${fn.name}HessianSparseInto to recompute the values at other arguments of the same shape.`,
      },
      runtime: ["emptySetRecord", "seedSetRecord", "flattenSetRecord", "hessianPatternOfSets", "compressedHessian", "recoverSweepRecord"],
    };
    return sparseDrivers(unit, kind, local);
  },
};

/** After the Jacobian's sweeps: `fJacobianSparsitySweep`, its JVP with index-set tangents (the output's tangent sets are the pattern's rows). */
export const jacobianSparsity: Pass = {
  name: "sparsity",
  run(unit) {
    const { ctx } = unit;
    const { fn, request } = ctx;
    const alias = `${pascalCase(fn.name)}JacobianGradient`;
    const name = `${fn.name}JacobianSparsitySweep`;
    const jvp = runPasses([names, entryParams("tangent"), jvpForward(() => ({ name, alias }))], startUnit({ ...ctx, request: { ...request, mode: "jvp" } }));
    const tangent = jvp.params.tangent!;
    const sweep = sparsitySweep(
      jvp.output.functions[0]!,
      jvp.tangents!,
      name,
      [tangent],
      alias,
      `{ value: ${fn.returnTypeText}; tangent: IndexSet[] }`,
      `Sparsity detection: the JVP of \`${fn.name}\` with index sets for tangents. Seeded with {k} at the\nk-th wrt number, the output's tangent holds the columns each output may depend on: the Jacobian's rows.`,
    );
    // The forward sweeps, and the reverse one where it replays (fJacobianVjpRowsInto, for a coloring of rows);
    // a reverse sweep that does not replay (fJacobianVjpInto) is never used, nor are its stacks.
    const rows = `${fn.name}JacobianVjpRowsInto`;
    const kept = new Set([`${fn.name}JacobianJvp`, jacobianLanesNames(fn).name, rows]);
    const sweeps = unit.output.functions.filter((f) => kept.has(f.name));
    const stacks = sweeps.some((f) => f.name === rows) ? unit.output.stacks : new Set<never>();
    return { ...unit, output: { ...unit.output, functions: [...sweeps, sweep.fn], stacks, runtime: new Set([...unit.output.runtime, ...sweep.runtime]) } };
  },
};

/**
 * fJacobianSparsity, fJacobianSparse and fJacobianSparseInto: forward sweeps seeded by column
 * colors, or, where the reverse sweep replays (fJacobianVjpRowsInto) and the rows need fewer
 * than half as many colors, one forward sweep and a reverse sweep per color of rows.
 */
export const sparseJacobianDriver: Pass = {
  name: "driver",
  run(unit) {
    const { ctx } = unit;
    const { fn, request } = ctx;
    const alias = `${pascalCase(fn.name)}JacobianGradient`;
    const wrt = wrtRecordType(fn, request.wrt);
    const local = driverNames(ctx, "jacobian", ["direction", "sweep", "value"]);
    const { matrix: jacobian, direction, sweep, value } = local;
    const args = fn.params.map((p) => b.v(p.name));
    const lanesFn = unit.output.functions.find((f) => f.name === jacobianLanesNames(fn).name);
    const rowsFn = unit.output.functions.find((f) => f.name === `${fn.name}JacobianVjpRowsInto`);
    const seedType = lanesFn ? jacobianLanesNames(fn).alias : alias;
    const sweepCall = (seedArgs: Expr[]): Expr => (lanesFn ? call(lanesFn.name, [...seedArgs, field(jacobian, "lanes")]) : call(`${fn.name}JacobianJvp`, seedArgs));
    const rowSweeps = field(jacobian, "rowSweeps");
    const intoPrefix: Stmt[] = rowsFn
      ? [
          {
            kind: "if",
            test: rowSweeps,
            then: [
              b.comment("Colored by rows: one forward sweep, then a reverse sweep per color."),
              declareConst(value, call(rowsFn.name, [...args, b.field(rowSweeps, "cotangents"), b.field(rowSweeps, "grads")])),
              callStmt("recoverRows", [b.v(jacobian), b.v(local.fields)]),
              { kind: "return", value: b.v(value) },
            ],
            else: [],
          },
        ]
      : [];
    const kind: SparseKind = {
      what: "Jacobian",
      lanes: lanesFn !== undefined,
      sparsity: (fields) => [
        typedRecord(direction, alias, wrt.fields),
        {
          kind: "return",
          value: call("patternOfSets", [b.field(call(`${fn.name}JacobianSparsitySweep`, [...args, call("seedSetRecord", [b.v(direction), fields])]), "tangent"), call("recordSize", [b.v(direction), fields])]),
        },
      ],
      sparsityDoc:
        `Where the Jacobian of \`${fn.name}\` (rows: outputs; columns: ${OVER(request.wrt)}) may be nonzero,\n` +
        `in compressed sparse rows. Found by running its JVP with index sets for tangents at these arguments:\n` +
        `exact for the branches they take (a superset of the nonzeros there; another input may take other\n` +
        `branches).`,
      coloring: rowsFn
        ? { helper: "jacobianColoring", args: [{ kind: "boolean", value: true }], comment: "Columns, or rows where they need fewer than half as many colors (a reverse sweep each)." }
        : { helper: "jacobianColoring", args: [{ kind: "boolean", value: false }], comment: "Columns only: the reverse sweep does not replay here (no fJacobianVjpRowsInto)." },
      matrixType: `CompressedJacobian<${seedType}, ${alias}>`,
      intoPrefix,
      compress: (pattern, coloring, lanes, record) => call("compressedJacobian", [pattern, coloring, lanes, record(), zeroRecord(wrt.fields)]),
      intoParams: (matrixType) => [typeParam(jacobian, matrixType)],
      sweepStmt: (first, seedArgs) => (first ? b.declare(sweep, sweepCall(seedArgs), true) : b.assign(b.v(sweep) as LValue, sweepCall(seedArgs))),
      recover: (c) => callStmt("recoverSweep", [b.v(jacobian), c, b.field(b.v(sweep), "tangent")]),
      result: b.field(b.v(sweep), "value"),
      sparsePrefix: [],
      returned: (into) => [["value", into], ["jacobian", b.v(jacobian)]],
      returnTypeText: (matrixType) => `{ value: ${fn.returnTypeText}; jacobian: ${matrixType} }`,
      doc: {
        into:
          `Sets \`${jacobian}.values\` to the Jacobian of \`${fn.name}\`, on the pattern and with the coloring\n` +
          `\`${jacobian}\` was made with (by ${fn.name}JacobianSparse): one forward sweep per \`${jacobian}.lanes\` colors of columns` +
          (rowsFn ? `,\nor, colored by rows, one forward sweep and a reverse sweep per color.` : `.`),
        sparse:
          `Value and sparse Jacobian of \`${fn.name}\` (rows: outputs; columns: ${OVER(request.wrt)}): the pattern\n` +
          `of ${fn.name}JacobianSparsity, its columns colored so that columns sharing a color share no row\n` +
          `(Curtis–Powell–Reid), one forward-mode direction per color, at most \`${local.width}\` per sweep` +
          (rowsFn ? `; or its rows\ncolored likewise, one reverse sweep per color, where that needs fewer than half as many colors.\n` : `.\n`) +
          `\`jacobian\` is in compressed sparse rows (rowPointers, columnIndices, values) and keeps its coloring and\n` +
          `buffers: pass it to ${fn.name}JacobianSparseInto to recompute the values at other arguments of the same shape.`,
      },
      runtime: ["seedSetRecord", "patternOfSets", "compressedJacobian", "CompressedJacobian", "recoverSweep", ...(rowsFn ? ["recoverRows"] : [])],
    };
    return sparseDrivers(unit, kind, local);
  },
};
