/**
 * `@jacobian`: a dense Jacobian from n JVPs (n = wrt scalars) or m VJPs (m = outputs),
 * whichever is fewer. Its own forward and reverse sweeps (the passes pipeline.ts gives it)
 * become private helpers; @jvp and @vjp export the public ones. The driver is IR like
 * everything else, and calls the runtime's record helpers (recordSize, setFlat, readFlat,
 * zeroRecord), which the build copies into the generated file.
 *
 *   fJacobian(p1, …, pn): { value, jacobian }
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, LValue, Stmt } from "../ir/nodes.ts";
import { Namer } from "../transform/naming.ts";
import { callStmt, compact, emptyRows, fieldNames, flatArrayField, stepLoop, typedRecord, zeroRow } from "./hessian.ts";
import { DEFAULT_WIDTH, jacobianLanesNames, laneCount, zeroLanes, zeroLanesHelpers } from "./lanes.ts";
import { pascalCase, runPasses, startUnit, typeParam, where, wrtRecordType, zeroRecord, type ModeContext, type Pass } from "./unit.ts";

/**
 * The Jacobian's own forward and reverse sweeps (the passes pipeline.ts gives it: fJacobianJvp,
 * and fJacobianVjpRowsInto or, where the reverse sweep cannot be replayed, fJacobianVjpInto),
 * as private helpers.
 */
export function jacobianSweeps(sweeps: { jvp: readonly Pass[]; vjp: readonly Pass[] }): Pass {
  return {
    name: "sweeps",
    run(unit) {
      const { ctx } = unit;
      const { fn, request } = ctx;
      const vjpName = `${fn.name}JacobianVjp`;
      const sweep = (mode: "jvp" | "vjp") => runPasses(sweeps[mode], startUnit({ ...ctx, request: { ...request, mode } }));
      const jvp = sweep("jvp");
      const vjp = sweep("vjp");
      // The reverse branch computes all m rows from one forward sweep with fVjpRowsInto, unless
      // that only calls fVjpInto once per row (its fallback, which also wants a copy of the
      // primal for zero rows: never the case here, m > n ≥ 0); then it calls fVjpInto itself.
      // (An object result has no fVjpRowsInto: its cotangent is an object, not a row.)
      const rowsHelper = vjp.reverse!.split && fn.returnType.kind !== "record" ? `${vjpName}RowsInto` : `${vjpName}Into`;
      // The Jacobian's own sweeps are implementation details; @jvp/@vjp export the public ones.
      const helpers = [...jvp.output.functions, ...vjp.output.functions.filter((f) => f.name === rowsHelper)].map((f) => ({ ...f, exported: false }));
      const alias = `${pascalCase(fn.name)}JacobianGradient`;
      const typeAliases = [{ name: alias, text: wrtRecordType(fn, request.wrt).text }, ...jvp.output.typeAliases.filter((a) => a.name !== alias)];
      const scalarOnly = jvp.output.scalarOnly;
      return { ...unit, output: { ...unit.output, functions: helpers, typeAliases, stacks: vjp.output.stacks, ...(scalarOnly !== undefined && { scalarOnly }) } };
    },
  };
}

/** `fJacobian`: n forward sweeps (one per input scalar) when n ≤ m outputs, else m reverse sweeps. */
export const jacobianDriver: Pass = {
  name: "driver",
  run(unit) {
    const { ctx } = unit;
    const { fn, request } = ctx;
    const alias = `${pascalCase(fn.name)}JacobianGradient`;
    const jvpName = `${fn.name}JacobianJvp`;
    const vjpName = `${fn.name}JacobianVjp`;
    const replayed = unit.output.functions.some((f) => f.name === `${vjpName}RowsInto`);
    const record = wrtRecordType(fn, request.wrt);
    const outer = new Namer(fn.params.map((p) => p.name));
    const [fields, dir, n, first, value, m, J, k, t, r, ct, g] = [
      "fields", "direction", "n", "first", "value", "m", "jacobian", "k", "t", "r", replayed ? "cotangents" : "cotangent", replayed ? "grads" : "grad",
    ].map((x) => outer.fresh(x)) as [string, string, string, string, string, string, string, string, string, string, string, string];
    const args = (...more: Expr[]) => [...fn.params.map((p) => b.v(p.name)), ...more];
    const cell = (object: Expr, row: Expr, col: Expr) => b.index(b.index(object, row), col);
    const rows = (body: Stmt[]) => b.countUp(r, b.num(0), b.v(m), body);
    const lanesFn = unit.output.functions.find((f) => f.name === jacobianLanesNames(fn).name);
    const [width, sweeps, lanes, k0, count, d, directions] = ["width", "sweeps", "lanes", "k0", "count", "d", "directions"].map((x) => outer.fresh(x)) as [
      string, string, string, string, string, string, string,
    ];
    /** Flat entry `(k0 + d) * lanes + d` of the directions: column k0 + d's 1, in lane d. */
    const seed = b.add(b.mul(b.add(b.v(k0), b.v(d)), b.v(lanes)), b.v(d));
    const laneColumns = (body: Stmt[]) => b.countUp(d, b.num(0), b.v(count), body);
    // One flat array of numbers: the directions are seeded in place (`directions.x[…] = 1`).
    const flat = flatArrayField(record.fields);
    const seedEntry = (one: number): Stmt =>
      flat ? b.assign(b.index(b.field(b.v(directions), flat), seed) as LValue, b.num(one)) : callStmt("setFlat", [b.v(directions), b.v(fields), seed, b.num(one)]);
    const row = outer.fresh("row");
    // An object result (`{ r: number; theta: number }`): one row per field, in declaration order.
    const outputs = fn.returnType.kind === "record" ? fn.returnType.fields.map((f) => f.name) : undefined;
    const forward: Stmt[] = outputs
      ? [
          b.comment(`Forward mode: column k is J·e_k, one per sweep; the rows are the result's fields (${outputs.join(", ")}).`),
          b.countUp(k, b.num(0), b.v(n), [
            callStmt("setFlat", [b.v(dir), b.v(fields), b.v(k), b.num(1)]),
            b.declare(t, b.field(b.call(jvpName, args(b.v(dir))), "tangent")),
            ...outputs.map((name, row) => b.assign(cell(b.v(J), b.num(row), b.v(k)) as LValue, b.field(b.v(t), name))),
            callStmt("setFlat", [b.v(dir), b.v(fields), b.v(k), b.num(0)]),
          ]),
        ]
      : lanesFn
      ? [
          b.comment("Forward mode: column k is J·e_k, `lanes` columns per sweep (one in each lane)."),
          ...laneCount(sweeps, lanes, b.v(n), b.v(width)),
          { ...(b.declare(directions, zeroLanes(record.fields, b.v(lanes))) as Extract<Stmt, { kind: "declare" }>), annotation: jacobianLanesNames(fn).alias },
          stepLoop(k0, b.num(0), b.v(n), b.v(lanes), [
            b.declare(count, b.call("Math.min", [b.v(lanes), b.sub(b.v(n), b.v(k0))])),
            compact(laneColumns([seedEntry(1)])),
            b.declare(t, b.field(b.call(lanesFn.name, args(b.v(directions), b.v(lanes))), "tangent")),
            compact(laneColumns([seedEntry(0)])),
            // Row by row: a row's columns k0 … k0 + count - 1 sit side by side in the row and in t.
            rows([
              b.declare(row, b.index(b.v(J), b.v(r)), false, { kind: "array", element: b.NUMBER, container: "array", readonly: false }),
              compact(laneColumns([b.assign(b.index(b.v(row), b.add(b.v(k0), b.v(d))) as LValue, b.index(b.v(t), b.add(b.mul(b.v(r), b.v(lanes)), b.v(d))))])),
            ]),
          ]),
        ]
      : [
          b.comment(`Forward mode: column k is J·e_k, one per sweep (no vector sweep here: ${unit.output.scalarOnly ?? "not generated"}; \`${width}\` is unused).`),
          b.countUp(k, b.num(0), b.v(n), [
            callStmt("setFlat", [b.v(dir), b.v(fields), b.v(k), b.num(1)]),
            b.declare(t, b.field(b.call(jvpName, args(b.v(dir))), "tangent")),
            compact(rows([b.assign(cell(b.v(J), b.v(r), b.v(k)) as LValue, b.index(b.v(t), b.v(r)))])),
            callStmt("setFlat", [b.v(dir), b.v(fields), b.v(k), b.num(0)]),
          ]),
        ];
    const reverse: Stmt[] = outputs
      ? [
          b.comment("Reverse mode: row r is the cotangent with the result's field r set to 1, times J (a"),
          b.comment("forward and a reverse sweep each)."),
          b.declare(ct, { kind: "record", fields: outputs.map((name) => ({ name, value: b.num(0) })) }, false, fn.returnType),
          typedRecord(g, alias, record.fields),
          ...outputs.flatMap((name, row) => [
            b.assign(b.field(b.v(ct), name) as LValue, b.num(1)),
            callStmt("zeroRecord", [b.v(g)]),
            callStmt(`${vjpName}Into`, args(b.v(ct), b.v(g))),
            callStmt("readFlat", [b.v(g), b.v(fields), b.index(b.v(J), b.num(row))]),
            b.assign(b.field(b.v(ct), name) as LValue, b.num(0)),
          ]),
        ]
      : replayed
      ? [
          b.comment("Reverse mode: row r is e_rᵀ·J, all m rows from one forward sweep."),
          emptyRows(ct),
          b.declare(g, { kind: "arrayLiteral", elements: [] }, false, { kind: "array", element: { kind: "opaque", text: alias }, container: "array", readonly: false }),
          rows([
            { kind: "append", array: ct, value: zeroRow(b.v(m)) },
            b.assign(cell(b.v(ct), b.v(r), b.v(r)) as LValue, b.num(1)),
            { kind: "append", array: g, value: zeroRecord(record.fields) },
          ]),
          callStmt(`${vjpName}RowsInto`, args(b.v(ct), b.v(g))),
          compact(rows([callStmt("readFlat", [b.index(b.v(g), b.v(r)), b.v(fields), b.index(b.v(J), b.v(r))])])),
        ]
      : [
          b.comment("Reverse mode: row r is e_rᵀ·J (a forward and a reverse sweep each: the reverse"),
          b.comment("sweep restores overwritten values, so it cannot be replayed)."),
          b.declare(ct, zeroRow(b.v(m))),
          typedRecord(g, alias, record.fields),
          rows([
            b.assign(b.index(b.v(ct), b.v(r)) as LValue, b.num(1)),
            callStmt("zeroRecord", [b.v(g)]),
            callStmt(`${vjpName}Into`, args(b.v(ct), b.v(g))),
            callStmt("readFlat", [b.v(g), b.v(fields), b.index(b.v(J), b.v(r))]),
            b.assign(b.index(b.v(ct), b.v(r)) as LValue, b.num(0)),
          ]),
        ];
    const body: Stmt[] = [
      fieldNames(fields, request.wrt),
      typedRecord(dir, alias, record.fields),
      b.declare(n, b.call("recordSize", [b.v(dir), b.v(fields)])),
      b.declare(first, b.call(jvpName, args(b.v(dir)))),
      b.declare(value, b.field(b.v(first), "value")),
      b.declare(m, outputs ? b.num(outputs.length) : { kind: "length", object: b.v(value) }),
      emptyRows(J),
      compact(rows([{ kind: "append", array: J, value: zeroRow(b.v(n)) }])),
      { kind: "if", test: b.bin("<=", b.v(n), b.v(m)), then: forward, else: reverse },
      { kind: "return", value: { kind: "record", fields: [{ name: "value", value: b.v(value) }, { name: "jacobian", value: b.v(J) }] } },
    ];
    const jacobian: FunctionIR = {
      name: `${fn.name}Jacobian`,
      params: [...fn.params, { ...typeParam(width, "number"), defaultText: String(request.width ?? DEFAULT_WIDTH) }],
      returnType: { kind: "opaque", text: "" },
      returnTypeText: `{ value: ${fn.returnTypeText}; jacobian: number[][] }`,
      body,
      exported: true,
      span: fn.span,
      doc: replayed
        ? `Value and dense Jacobian of \`${fn.name}\` (rows: outputs; columns: ${request.wrt.join(", ")} flattened\nin declaration order). Uses n forward-mode sweeps, or one forward and m reverse sweeps,\nwhichever is fewer. Generated from ${where(ctx)}.`
        : `Value and dense Jacobian of \`${fn.name}\` (rows: outputs; columns: ${request.wrt.join(", ")} flattened\nin declaration order). Uses n forward sweeps or m reverse sweeps, whichever is fewer.\nGenerated from ${where(ctx)}.`,
    };
    return {
      ...unit,
      output: {
        ...unit.output,
        functions: [...unit.output.functions, jacobian],
        // And what the sweeps use (a checkpointed loop's schedule).
        runtime: new Set([...unit.output.runtime, "recordSize", ...(lanesFn && !outputs && flatArrayField(record.fields) ? [] : ["setFlat"]), "readFlat", ...(replayed ? [] : ["zeroRecord"]), ...(lanesFn && !outputs ? zeroLanesHelpers(record.fields) : [])]),
      },
    };
  },
};

/** The names @jacobian gives its own sweeps (`fJacobianJvp`, `fJacobianVjp…`), so wrt lists never clash with @jvp's and @vjp's. */
export const jacobianNames = {
  jvp: (ctx: ModeContext) => ({
    name: `${ctx.fn.name}JacobianJvp`,
    alias: `${pascalCase(ctx.fn.name)}JacobianGradient`,
  }),
  lanes: (ctx: ModeContext) => jacobianLanesNames(ctx.fn),
  vjp: (ctx: ModeContext) => ({
    base: `${ctx.fn.name}JacobianVjp`,
    alias: `${pascalCase(ctx.fn.name)}JacobianGradient`,
  }),
};
