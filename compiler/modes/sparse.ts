/**
 * `@hessian x sparse` and `@jacobian x sparse`: the sparsity pattern detected from the
 * program, and the matrix from one sweep per color of a coloring of that pattern,
 * returned in compressed sparse rows (runtime/coloring.ts, runtime/sparse.ts).
 *
 *   fHessianSparsity(p1, …, pn): SparsityPattern        fJacobianSparsity(p1, …, pn): SparsityPattern
 *   fHessianSparse(p1, …, pn): { value, grad, hessian }  fJacobianSparse(p1, …, pn): { value, jacobian }
 *   fHessianSparseInto(p1, …, pn, grad, hessian): value  fJacobianSparseInto(p1, …, pn, jacobian): value
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
import { callStmt, fieldNames, typedRecord } from "./hessian.ts";
import { jvpForward } from "./jvp.ts";
import { pascalCase, runPasses, startUnit, typeParam, where, wrtRecordType, zeroRecord, type Pass, type Unit } from "./unit.ts";

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

/** `for (let c = 1; c < matrix.coloring.count; c++) { … }` */
function colorsAfterFirst(c: string, matrix: string, body: Stmt[]): Stmt {
  return b.countUp(c, b.num(1), field(matrix, "coloring", "count"), body);
}

/** fHessianSparsity, fHessianSparse and fHessianSparseInto. */
export const sparseHessianDriver: Pass = {
  name: "driver",
  run(unit) {
    const { ctx } = unit;
    const { fn, request } = ctx;
    const alias = unit.output.typeAliases[0]!.name;
    const wrt = wrtRecordType(fn, request.wrt);
    const outer = new Namer(fn.params.map((p) => p.name));
    const [fields, grad, rows, hessian, value, c] = ["fields", "grad", "rows", "hessian", "value", "c"].map((x) => outer.fresh(x)) as [string, string, string, string, string, string];
    const args = fn.params.map((p) => b.v(p.name));
    const fieldsArg = b.v(fields);
    const names = {
      sparsity: `${fn.name}HessianSparsity`,
      sparse: `${fn.name}HessianSparse`,
      into: `${fn.name}HessianSparseInto`,
      sweep: `${fn.name}HessianSparsitySweep`,
      hvp: `${fn.name}HvpInto`,
    };
    const over = `${request.wrt.join(", ")} flattened in declaration order (arrays row-major)`;
    const sparsity: FunctionIR = {
      name: names.sparsity,
      params: fn.params,
      returnType: { kind: "opaque", text: "" },
      returnTypeText: "SparsityPattern",
      body: [
        fieldNames(fields, request.wrt),
        typedRecord(grad, alias, wrt.fields),
        declareConst(rows, call("emptySetRecord", [b.v(grad), fieldsArg])),
        callStmt(names.sweep, [...args, call("seedSetRecord", [b.v(grad), fieldsArg]), b.v(grad), b.v(rows)]),
        { kind: "return", value: call("hessianPatternOfSets", [call("flattenSetRecord", [b.v(grad), b.v(rows), fieldsArg])]) },
      ],
      exported: true,
      span: fn.span,
      doc:
        `Where the Hessian of \`${fn.name}\` over ${over} may be nonzero, in compressed sparse rows\n` +
        `(symmetric). Found by running its HVP with index sets for tangents at these arguments: exact for\n` +
        `the branches they take (a superset of the nonzeros there; another input may take other branches).\n` +
        `Generated from ${where(ctx)}.`,
    };
    const matrixType = `CompressedMatrix<${alias}>`;
    const sweepOf = (color: Expr): Stmt[] => [
      callStmt("seedColorRecord", [b.v(hessian), color, fieldsArg]),
      b.assign(b.v(value) as LValue, call(names.hvp, [...args, field(hessian, "seed"), b.v(grad), field(hessian, "product")])),
      callStmt("recoverColorRecord", [b.v(hessian), color, fieldsArg]),
    ];
    const into: FunctionIR = {
      name: names.into,
      params: [...fn.params, typeParam(grad, alias), typeParam(hessian, matrixType)],
      returnType: b.NUMBER,
      returnTypeText: "number",
      body: [
        fieldNames(fields, request.wrt),
        callStmt("checkCompressedSize", [b.v(hessian), call("recordSize", [wrtArgs(request.wrt), fieldsArg]), { kind: "string", value: names.into }]),
        callStmt("seedColorRecord", [b.v(hessian), b.num(0), fieldsArg]),
        b.declare(value, call(names.hvp, [...args, field(hessian, "seed"), b.v(grad), field(hessian, "product")]), true),
        callStmt("recoverColorRecord", [b.v(hessian), b.num(0), fieldsArg]),
        colorsAfterFirst(c, hessian, sweepOf(b.v(c))),
        { kind: "return", value: b.v(value) },
      ],
      exported: true,
      span: fn.span,
      doc:
        `Sets \`${grad}\` to the gradient of \`${fn.name}\` and \`${hessian}.values\` to its Hessian, on the pattern and\n` +
        `with the coloring \`${hessian}\` was made with (by ${names.sparse}): one Hessian-vector product per color.\n` +
        `Returns the value. Generated from ${where(ctx)}.`,
    };
    const sparse: FunctionIR = {
      name: names.sparse,
      params: fn.params,
      returnType: { kind: "opaque", text: "" },
      returnTypeText: `{ value: number; grad: ${alias}; hessian: ${matrixType} }`,
      body: [
        typedRecord(grad, alias, wrt.fields),
        declareConst(hessian, call("compressedHessian", [call(names.sparsity, args), zeroRecord(wrt.fields), zeroRecord(wrt.fields)])),
        declareConst(value, call(names.into, [...args, b.v(grad), b.v(hessian)])),
        { kind: "return", value: record([["value", b.v(value)], ["grad", b.v(grad)], ["hessian", b.v(hessian)]]) },
      ],
      exported: true,
      span: fn.span,
      doc:
        `Value, gradient and sparse Hessian of \`${fn.name}\` over ${over}: the pattern of\n` +
        `${names.sparsity}, colored (distance-2 or star coloring, whichever needs fewer colors) so that\n` +
        `one Hessian-vector product per color gives every entry. \`hessian\` is in compressed sparse rows\n` +
        `(rowPointers, columnIndices, values) and keeps its coloring and buffers: pass it to\n` +
        `${names.into} to recompute the values at other arguments of the same shape.\n` +
        `Generated from ${where(ctx)}.`,
    };
    const runtime = ["emptySetRecord", "seedSetRecord", "flattenSetRecord", "hessianPatternOfSets", "SparsityPattern", "CompressedMatrix", "compressedHessian", "checkCompressedSize", "recordSize", "seedColorRecord", "recoverColorRecord"];
    return withDrivers(unit, [sparsity, sparse, into], runtime);
  },
};

function withDrivers(unit: Unit, drivers: FunctionIR[], runtime: string[]): Unit {
  return { ...unit, output: { ...unit.output, functions: [...unit.output.functions, ...drivers], runtime: new Set([...unit.output.runtime, ...runtime]) } };
}

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
    // The column-colored driver needs only the forward sweep: the reverse one and its stacks go.
    const jvpSweep = unit.output.functions.filter((f) => f.name === `${fn.name}JacobianJvp`);
    return { ...unit, output: { ...unit.output, functions: [...jvpSweep, sweep.fn], stacks: new Set(), runtime: new Set([...unit.output.runtime, ...sweep.runtime]) } };
  },
};

/** fJacobianSparsity, fJacobianSparse and fJacobianSparseInto (forward sweeps over column colors). */
export const sparseJacobianDriver: Pass = {
  name: "driver",
  run(unit) {
    const { ctx } = unit;
    const { fn, request } = ctx;
    const alias = `${pascalCase(fn.name)}JacobianGradient`;
    const wrt = wrtRecordType(fn, request.wrt);
    const outer = new Namer(fn.params.map((p) => p.name));
    const [fields, direction, jacobian, sweep, c] = ["fields", "direction", "jacobian", "sweep", "c"].map((x) => outer.fresh(x)) as [string, string, string, string, string];
    const args = fn.params.map((p) => b.v(p.name));
    const fieldsArg = b.v(fields);
    const names = {
      sparsity: `${fn.name}JacobianSparsity`,
      sparse: `${fn.name}JacobianSparse`,
      into: `${fn.name}JacobianSparseInto`,
      sweep: `${fn.name}JacobianSparsitySweep`,
      jvp: `${fn.name}JacobianJvp`,
    };
    const over = `${request.wrt.join(", ")} flattened in declaration order (arrays row-major)`;
    const sparsity: FunctionIR = {
      name: names.sparsity,
      params: fn.params,
      returnType: { kind: "opaque", text: "" },
      returnTypeText: "SparsityPattern",
      body: [
        fieldNames(fields, request.wrt),
        typedRecord(direction, alias, wrt.fields),
        {
          kind: "return",
          value: call("patternOfSets", [b.field(call(names.sweep, [...args, call("seedSetRecord", [b.v(direction), fieldsArg])]), "tangent"), call("recordSize", [b.v(direction), fieldsArg])]),
        },
      ],
      exported: true,
      span: fn.span,
      doc:
        `Where the Jacobian of \`${fn.name}\` (rows: outputs; columns: ${over}) may be nonzero,\n` +
        `in compressed sparse rows. Found by running its JVP with index sets for tangents at these arguments:\n` +
        `exact for the branches they take (a superset of the nonzeros there; another input may take other\n` +
        `branches). Generated from ${where(ctx)}.`,
    };
    const matrixType = `CompressedMatrix<${alias}>`;
    const jvpCall = call(names.jvp, [...args, field(jacobian, "seed")]);
    const into: FunctionIR = {
      name: names.into,
      params: [...fn.params, typeParam(jacobian, matrixType)],
      returnType: fn.returnType,
      returnTypeText: fn.returnTypeText,
      body: [
        fieldNames(fields, request.wrt),
        callStmt("checkCompressedSize", [b.v(jacobian), call("recordSize", [wrtArgs(request.wrt), fieldsArg]), { kind: "string", value: names.into }]),
        callStmt("seedColorRecord", [b.v(jacobian), b.num(0), fieldsArg]),
        { ...(b.declare(sweep, jvpCall, true) as Extract<Stmt, { kind: "declare" }>) },
        callStmt("recoverColor", [b.v(jacobian), b.num(0), b.field(b.v(sweep), "tangent")]),
        colorsAfterFirst(c, jacobian, [
          callStmt("seedColorRecord", [b.v(jacobian), b.v(c), fieldsArg]),
          b.assign(b.v(sweep) as LValue, jvpCall),
          callStmt("recoverColor", [b.v(jacobian), b.v(c), b.field(b.v(sweep), "tangent")]),
        ]),
        { kind: "return", value: b.field(b.v(sweep), "value") },
      ],
      exported: true,
      span: fn.span,
      doc:
        `Sets \`${jacobian}.values\` to the Jacobian of \`${fn.name}\`, on the pattern and with the coloring\n` +
        `\`${jacobian}\` was made with (by ${names.sparse}): one forward sweep per color of columns.\n` +
        `Returns the value. Generated from ${where(ctx)}.`,
    };
    const sparse: FunctionIR = {
      name: names.sparse,
      params: fn.params,
      returnType: { kind: "opaque", text: "" },
      returnTypeText: `{ value: ${fn.returnTypeText}; jacobian: ${matrixType} }`,
      body: [
        declareConst(jacobian, call("compressedJacobian", [call(names.sparsity, args), zeroRecord(wrt.fields), zeroRecord(wrt.fields), { kind: "string", value: "columns" }])),
        { kind: "return", value: record([["value", call(names.into, [...args, b.v(jacobian)])], ["jacobian", b.v(jacobian)]]) },
      ],
      exported: true,
      span: fn.span,
      doc:
        `Value and sparse Jacobian of \`${fn.name}\` (rows: outputs; columns: ${over}): the pattern\n` +
        `of ${names.sparsity}, its columns colored so that columns sharing a color share no row\n` +
        `(Curtis–Powell–Reid), one forward sweep per color. \`jacobian\` is in compressed sparse rows\n` +
        `(rowPointers, columnIndices, values) and keeps its coloring and buffers: pass it to\n` +
        `${names.into} to recompute the values at other arguments of the same shape.\n` +
        `Generated from ${where(ctx)}.`,
    };
    const runtime = ["seedSetRecord", "patternOfSets", "recordSize", "SparsityPattern", "CompressedMatrix", "compressedJacobian", "checkCompressedSize", "seedColorRecord", "recoverColor"];
    return withDrivers(unit, [sparsity, sparse, into], runtime);
  },
};
