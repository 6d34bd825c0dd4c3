/**
 * `@hessian`: the HVP entry points and a dense Hessian from one HVP per wrt scalar (or per
 * band colour, `bandwidth=K`), symmetrized so H is exactly symmetric.
 *
 *   fHessian(p1, …, pn): { value, grad, hessian }
 *
 * The driver is IR like any generated code (no second code generator): its loops call the
 * HVP and the runtime's record helpers (recordSize, setFlat, readFlat), which the build
 * copies into the generated file; a wrt record of one flat array is seeded and read in place
 * instead (`v.x[k * lanes + lane] = 1`, the product's own array), and a dense Hessian's rows
 * are written whole per sweep, not column by column (the driver cost more than its sweeps). It is added after the late passes: it saves nothing and
 * its loops call functions, so there is nothing to hoist or keep in a cursor.
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, LValue, Stmt, ValueType } from "../ir/nodes.ts";
import { Namer } from "../transform/naming.ts";
import { DEFAULT_WIDTH, hvpLanesNames, laneCount, zeroLanes, zeroLanesHelpers } from "./lanes.ts";
import { typeParam, where, wrtRecordType, zeroRecord, type Pass } from "./unit.ts";

export const hessianDriver: Pass = {
  name: "driver",
  run(unit) {
    const { ctx } = unit;
    const hvp = unit.output;
    const { fn, request } = ctx;
    const alias = hvp.typeAliases[0]!.name;
    const record = wrtRecordType(fn, request.wrt);
    const outer = new Namer(fn.params.map((p) => p.name));
    const [n, H, v, g, h, column, value, i, j, k, c, colors, band, fields, width] = [
      "n", "hessian", "v", "grad", "hvp", "column", "value", "i", "j", "k", "c", "colors", "bandwidth", "fields", "width",
    ].map((x) => outer.fresh(x)) as [string, string, string, string, string, string, string, string, string, string, string, string, string, string, string];
    const banded = request.bandwidth !== undefined;
    const lanesFn = hvp.functions.find((f) => f.name === hvpLanesNames(fn).name);
    const Hik = (row: string, col: string) => b.index(b.index(b.v(H), b.v(row)), b.v(col));
    // One flat array of numbers (`x: Float64Array`): seeds and products are read and written in
    // place (`v.x[k] = 1`); other shapes go through the runtime's record helpers.
    const flat = flatArrayField(record.fields);
    const seedEntry = (entry: Expr, one: number): Stmt =>
      flat ? b.assign(b.index(b.field(b.v(v), flat), entry) as LValue, b.num(one)) : callStmt("setFlat", [b.v(v), b.v(fields), entry, b.num(one)]);
    /** `for (let k = c; k < n; k += colors)`: the columns of colour c. */
    const columnsOf = (color: Expr, body: Stmt[]) => stepLoop(k, color, b.v(n), b.v(colors), body);
    /** `for (let i = max(0, k - bandwidth); i <= min(n - 1, k + bandwidth); i++) hessian[i][k] = from(i);` */
    const store = (from: (row: Expr) => Expr): Stmt[] => [
      b.declare("last", b.call("Math.min", [b.sub(b.v(n), b.num(1)), b.add(b.v(k), b.v(band))])),
      compact(countTo(i, b.call("Math.max", [b.num(0), b.sub(b.v(k), b.v(band))]), b.v("last"), [b.assign(Hik(i, k) as LValue, from(b.v(i)))])),
    ];
    const head: Stmt[] = [
      fieldNames(fields, request.wrt),
      typedRecord(g, alias, record.fields),
      b.declare(n, b.call("recordSize", [b.v(g), b.v(fields)])),
      b.comment(banded ? `Banded (declared bandwidth=${request.bandwidth}): columns k ≡ c (mod 2·bandwidth+1) share one HVP.` : `Dense: one HVP per column.`),
      b.declare(band, banded ? b.num(request.bandwidth!) : b.v(n)),
      b.declare(colors, b.call("Math.min", [b.v(n), b.add(b.mul(b.num(2), b.v(band)), b.num(1))])),
      emptyRows(H),
      compact(b.countUp(i, b.num(0), b.v(n), [{ kind: "append", array: H, value: zeroRow(b.v(n)) }])),
    ];
    let sweeps: Stmt[];
    if (lanesFn) {
      // Colors c0 … c0 + lanes - 1 in one vector sweep, color c in lane c - c0.
      const [count, lanes, first, end, lane] = ["sweeps", "lanes", "c0", "end", "lane"].map((x) => outer.fresh(x)) as [string, string, string, string, string];
      const call = b.call(lanesFn.name, [...fn.params.map((p) => b.v(p.name)), b.v(v), b.v(g), b.v(h), b.v(lanes)]);
      const laneEntry = (row: Expr) => b.add(b.mul(row, b.v(lanes)), b.v(lane));
      const colorsOfSweep = (body: Stmt[]) => b.countUp(c, b.v(first), b.v(end), [b.declare(lane, b.sub(b.v(c), b.v(first))), ...body]);
      const lanesType = hvpLanesNames(fn).alias;
      const row = outer.fresh("row");
      // Dense: column c of the Hessian is color c; this sweep's columns of a row sit side by
      // side in the row and in the product, so rows are written whole, not column by column.
      const stored = banded
        ? [colorsOfSweep([columnsOf(b.v(c), [seedEntry(laneEntry(b.v(k)), 0), ...store((i) => b.index(b.v(column), laneEntry(i)))])])]
        : [
            compact(colorsOfSweep([seedEntry(laneEntry(b.v(c)), 0)])),
            b.countUp(i, b.num(0), b.v(n), [
              b.declare(row, b.index(b.v(H), b.v(i)), false, { kind: "array", element: b.NUMBER, container: "array", readonly: false }),
              compact(b.countUp(c, b.v(first), b.v(end), [b.assign(b.index(b.v(row), b.v(c)) as LValue, b.index(b.v(column), b.add(b.mul(b.v(i), b.v(lanes)), b.sub(b.v(c), b.v(first)))))])),
            ]),
          ];
      sweeps = [
        ...laneCount(count, lanes, b.v(colors), b.v(width)),
        ...[v, h].map((name) => ({ ...(b.declare(name, zeroLanes(record.fields, b.v(lanes))) as Extract<Stmt, { kind: "declare" }>), annotation: lanesType })),
        flat ? b.declare(column, b.field(b.v(h), flat)) : b.declare(column, zeroRow(b.mul(b.v(n), b.v(lanes)))),
        b.declare(value, { kind: "conditional", test: b.bin("===", b.v(colors), b.num(0)), whenTrue: call, whenFalse: b.num(0) }, true),
        stepLoop(first, b.num(0), b.v(colors), b.v(lanes), [
          b.declare(end, b.call("Math.min", [b.v(colors), b.add(b.v(first), b.v(lanes))])),
          colorsOfSweep([compact(columnsOf(b.v(c), [seedEntry(laneEntry(b.v(k)), 1)]))]),
          b.assign(b.v(value) as LValue, call),
          ...(flat ? [] : [callStmt("readFlat", [b.v(h), b.v(fields), b.v(column)])]),
          ...stored,
        ]),
      ];
    } else {
      const call = b.call(`${fn.name}HvpInto`, [...fn.params.map((p) => b.v(p.name)), b.v(v), b.v(g), b.v(h)]);
      sweeps = [
        b.comment(`One direction per sweep: no vector sweep here (${hvp.scalarOnly ?? "not generated"}); \`${width}\` is unused.`),
        ...[v, h].map((name) => typedRecord(name, alias, record.fields)),
        b.declare(column, zeroRow(b.v(n))),
        b.declare(value, { kind: "conditional", test: b.bin("===", b.v(colors), b.num(0)), whenTrue: call, whenFalse: b.num(0) }, true),
        b.countUp(c, b.num(0), b.v(colors), [
          compact(columnsOf(b.v(c), [callStmt("setFlat", [b.v(v), b.v(fields), b.v(k), b.num(1)])])),
          b.assign(b.v(value) as LValue, call),
          callStmt("readFlat", [b.v(h), b.v(fields), b.v(column)]),
          columnsOf(b.v(c), [callStmt("setFlat", [b.v(v), b.v(fields), b.v(k), b.num(0)]), ...store((i) => b.index(b.v(column), i))]),
        ]),
      ];
    }
    const body: Stmt[] = [
      ...head,
      ...sweeps,
      b.comment("Forward-over-reverse gives H up to rounding; average with Hᵀ so it is exactly symmetric."),
      b.countUp(i, b.num(0), b.v(n), [
        b.countUp(j, b.num(0), b.v(i), [
          b.declare("mean", b.mul(b.num(0.5), b.add(Hik(i, j), Hik(j, i)))),
          b.assign(Hik(i, j) as LValue, b.v("mean")),
          b.assign(Hik(j, i) as LValue, b.v("mean")),
        ]),
      ]),
      { kind: "return", value: { kind: "record", fields: [{ name: "value", value: b.v(value) }, { name: "grad", value: b.v(g) }, { name: "hessian", value: b.v(H) }] } },
    ];
    const products = banded ? `2·${request.bandwidth}+1 Hessian-vector products (declared banded)` : "one Hessian-vector product per entry of the flattened parameters";
    const hessian: FunctionIR = {
      name: `${fn.name}Hessian`,
      params: [...fn.params, { ...typeParam(width, "number"), defaultText: String(request.width ?? DEFAULT_WIDTH) }],
      returnType: { kind: "opaque", text: "" },
      returnTypeText: `{ value: number; grad: ${alias}; hessian: number[][] }`,
      body,
      exported: true,
      span: fn.span,
      doc: `Value, gradient and dense Hessian of \`${fn.name}\` over ${request.wrt.join(", ")} flattened in declaration order\n(arrays row-major), from ${products},\n${lanesFn ? `\`${width}\` of them per forward-over-reverse sweep (${lanesFn.name})` : "one per sweep"}.\nGenerated from ${where(ctx)}.`,
    };
    const runtime = ["recordSize", ...(lanesFn && flat ? [] : ["setFlat", "readFlat"]), ...(lanesFn ? zeroLanesHelpers(record.fields) : [])];
    return { ...unit, output: { ...hvp, functions: [...hvp.functions, hessian], runtime: new Set([...hvp.runtime, ...runtime]) } };
  },
};

// ---- the drivers' IR (shared with jacobian.ts) ----

/** The one field of a wrt record that is a flat array of numbers (`x: Float64Array`), or null. */
export function flatArrayField(fields: { name: string; type: ValueType }[]): string | null {
  const only = fields.length === 1 ? fields[0]! : null;
  return only && only.type.kind === "array" && only.type.element.kind === "number" ? only.name : null;
}

/** `const fields = ["x", "p"] as const;`: the wrt record's fields, in order, for the runtime's record helpers. */
export function fieldNames(name: string, wrt: string[]): Stmt {
  return b.declare(name, { kind: "arrayLiteral", elements: wrt.map((w): Expr => ({ kind: "string", value: w })), asConst: true });
}

/** `const v: Alias = { x: new Array<number>(x.length).fill(0), … };` */
export function typedRecord(name: string, alias: string, fields: { name: string; type: ValueType }[]): Stmt {
  return { ...(b.declare(name, zeroRecord(fields)) as Extract<Stmt, { kind: "declare" }>), annotation: alias };
}

/** `const rows: number[][] = [];` */
export function emptyRows(name: string): Stmt {
  return b.declare(name, { kind: "arrayLiteral", elements: [] }, false, { kind: "array", element: { kind: "array", element: b.NUMBER, container: "array", readonly: false }, container: "array", readonly: false });
}

/** `new Array<number>(n).fill(0)` */
export function zeroRow(length: Expr): Expr {
  return { kind: "zeros", container: "array", length };
}

/** `f(args…);` */
export function callStmt(callee: string, args: Expr[]): Stmt {
  return { kind: "call", callee, args };
}

/** A loop whose one statement is printed on its line. */
export function compact(loop: Stmt): Stmt {
  return { ...(loop as Extract<Stmt, { kind: "loop" }>), compact: true };
}

/** `for (let i = from; i <= to; i++)` */
export function countTo(i: string, from: Expr, to: Expr, body: Stmt[]): Stmt {
  return { ...(b.countUp(i, from, to, body) as Extract<Stmt, { kind: "loop" }>), test: b.bin("<=", b.v(i), to) };
}

/** `for (let k = from; k < bound; k += step)` */
export function stepLoop(k: string, from: Expr, bound: Expr, step: Expr, body: Stmt[]): Stmt {
  return { ...(b.countUp(k, from, bound, body) as Extract<Stmt, { kind: "loop" }>), update: [b.assign(b.v(k) as LValue, b.add(b.v(k), step))] };
}
