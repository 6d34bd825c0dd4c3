/**
 * The vector (width-k) sweeps: forward mode and forward-over-reverse carrying `width`
 * directions at once (transform/lanes.ts widens the one-direction tangent code). The
 * Hessian and Jacobian drivers call them; so can the sparse drivers, with the columns of a
 * seed matrix as the directions.
 *
 *   fHvpLanesInto(p1, …, pn, v, grad, hvp, width): number       grad = ∇f, hvp = H·v for width directions
 *   fJacobianJvpLanes(p1, …, pn, tangent, width): { value, tangent }   (private) J·tangent, width directions
 *                                    (tangent: the result's container, m·width long)
 *
 * A lanes record is the wrt record with every scalar widened to `width` directions,
 * innermost: `v.x[i * width + lane]`, a number parameter's `v.w[lane]`, a row's
 * `v.A[r][j * width + lane]`. Flattened by the runtime's readFlat/setFlat, its entry
 * f·width + d is scalar f of direction d: one row-major n × width matrix.
 *
 * Each pass generates from a clone of the unit's namer, before the one-direction pass does,
 * so both functions name their tangents alike; a function the widening does not handle
 * gets no vector sweep (`output.scalarOnly` says why) and its drivers keep one direction
 * per sweep.
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, Stmt, ValueType } from "../ir/nodes.ts";
import { gradientTypeText, leafPaths } from "../ir/types.ts";
import { walkStmts } from "../ir/visit.ts";
import { ForwardGenerator } from "../transform/forward.ts";
import { declaredTypes, widenTangents } from "../transform/lanes.ts";
import { forwardOverReverse } from "./hvp.ts";
import { tangentPrologue } from "./jvp.ts";
import { activityOf, gradRecordType, paramType, pascalCase, typeParam, where, type ModeContext, type Pass, type Unit } from "./unit.ts";

/**
 * The drivers' default number of directions per sweep. A sweep costs about P + k·T (P:
 * the primal, control flow and the reverse sweep's saved values, paid once; T: one lane of
 * tangent arithmetic), so n columns cost (n/k)·P + n·T: k = 8 leaves an eighth of the
 * P-part while the tangent buffers (n·k numbers each) still fit in cache for the sizes a
 * dense matrix allows; bench/vector.ts measures 1, 2, 4, 8, 16. `@hessian x width=K` and
 * `@jacobian x width=K` change it; the drivers' last parameter overrides it per call.
 */
export const DEFAULT_WIDTH = 8;

/** The names of the vector sweep of an HVP and of its lanes record type. */
export function hvpLanesNames(fn: FunctionIR): { name: string; alias: string } {
  return { name: `${fn.name}HvpLanesInto`, alias: `${pascalCase(fn.name)}HvpLanes` };
}

/** The names of @jacobian's vector forward sweep and of its lanes record type. */
export function jacobianLanesNames(fn: FunctionIR): { name: string; alias: string } {
  return { name: `${fn.name}JacobianJvpLanes`, alias: `${pascalCase(fn.name)}JacobianLanes` };
}

/** `fHvpLanesInto`: forward-over-reverse with `width` directions (run before hvpForwardOverReverse). */
export const hvpLanes: Pass = {
  name: "lanes",
  run(unit) {
    const { ctx } = unit;
    const { fn, request } = ctx;
    const unsupportedType = unsupportedWrt(fn, request.wrt);
    if (unsupportedType) return scalarOnly(unit, unsupportedType);
    const namer = unit.namer!.clone();
    const { grad, v, hvp } = unit.params as Record<"grad" | "v" | "hvp", string>;
    const scalar = forwardOverReverse(unit, namer);
    const width = namer.fresh("width");
    const record = gradRecordType(fn, request.wrt);
    const tangents = declaredTypes(scalar.body, scalar.tangents.values());
    tangents.set(v, record);
    tangents.set(hvp, record);
    const widened = widenTangents(scalar.body, { tangents, namer, width });
    if ("unsupported" in widened) return scalarOnly(unit, widened.unsupported);
    const { name, alias } = hvpLanesNames(fn);
    const gradient = `${pascalCase(fn.name)}HvpGradient`;
    const lanes: FunctionIR = {
      name,
      params: [...fn.params, typeParam(v, alias), typeParam(grad, gradient), typeParam(hvp, alias), typeParam(width, "number")],
      returnType: b.NUMBER,
      returnTypeText: "number",
      body: widened.body,
      exported: true,
      span: fn.span,
      doc:
        `Sets \`${grad}\` to the gradient of \`${fn.name}\` and \`${hvp}\` to H·${v} for \`${width}\` directions at once\n` +
        `(one forward-over-reverse sweep, with respect to ${request.wrt.join(", ")}; both overwritten); returns the value.\n` +
        `\`${v}\` and \`${hvp}\` hold ${width} directions per scalar, directions innermost: \`${v}.x[i * ${width} + lane]\`.\nGenerated from ${where(ctx)}.`,
    };
    return {
      ...unit,
      output: {
        ...unit.output,
        functions: [...unit.output.functions, lanes],
        typeAliases: [...unit.output.typeAliases, { name: alias, text: lanesRecordText(record), doc: lanesDoc(fn) }],
      },
    };
  },
};

/** `fJacobianJvpLanes` (private): forward mode with `width` directions (run before jvpForward). */
export function jvpLanes(names: (ctx: ModeContext) => { name: string; alias: string }, exported = false): Pass {
  return {
    name: "lanes",
    run(unit) {
      const { ctx } = unit;
      const { fn, request } = ctx;
      const unsupportedType = unsupportedWrt(fn, request.wrt);
      if (unsupportedType) return scalarOnly(unit, unsupportedType);
      if (fn.returnType.kind !== "array" || fn.returnType.element.kind !== "number") return scalarOnly(unit, "the result is not a flat numeric array");
      const namer = unit.namer!.clone();
      const tangentName = unit.params.tangent!;
      const returns: Expr[] = [];
      walkStmts(fn.body, (s) => {
        if (s.kind === "return" && s.value) returns.push(s.value);
      });
      const activity = activityOf(fn, { kind: "arrayLiteral", elements: returns }, request.wrt, ctx.activity);
      const outputs: string[] = [];
      let width = "";
      const gen = new ForwardGenerator({
        active: activity.active,
        namer,
        span: fn.span,
        // The tangent of the result as one array of m·width: a literal's elements are set one by one.
        onReturn: (value, tangent) => {
          const result = (t: Expr): Stmt => ({ kind: "return", value: { kind: "record", fields: [{ name: "value", value }, { name: "tangent", value: t }] } });
          if (tangent.kind !== "arrayLiteral") {
            if (tangent.kind === "number") return [result({ kind: "zeros", container: fn.returnType.kind === "array" ? fn.returnType.container : "float64array", length: b.mul({ kind: "length", object: value }, b.v(width)) })];
            return [result(tangent)];
          }
          const out = namer.fresh("result_dot");
          outputs.push(out);
          const container = fn.returnType.kind === "array" ? fn.returnType.container : "float64array";
          const type: ValueType = { kind: "array", element: b.NUMBER, container, readonly: false };
          return [
            b.declare(out, { kind: "zeros", container, length: b.num(tangent.elements.length) }, false, type),
            ...tangent.elements.flatMap((t, j) => (b.isNumber(t, 0) ? [] : [b.assign({ kind: "index", object: b.v(out), index: b.num(j) }, t)])),
            result(b.v(out)),
          ];
        },
      });
      const prologue = tangentPrologue(fn, request.wrt, gen, tangentName);
      width = namer.fresh("width");
      const scalar = [...prologue, ...gen.stmts(fn.body)];
      const record = gradRecordType(fn, request.wrt);
      const tangents = declaredTypes(scalar, [...gen.tangents().values(), ...outputs]);
      tangents.set(tangentName, record);
      const widened = widenTangents(scalar, { tangents, namer, width });
      if ("unsupported" in widened) return scalarOnly(unit, widened.unsupported);
      const { name, alias } = names(ctx);
      const lanes: FunctionIR = {
        name,
        params: [...fn.params, typeParam(tangentName, alias), typeParam(width, "number")],
        returnType: { kind: "opaque", text: "" },
        returnTypeText: `{ value: ${fn.returnTypeText}; tangent: ${gradientTypeText(fn.returnType)} }`,
        body: widened.body,
        exported,
        span: fn.span,
        doc:
          `Value of \`${fn.name}\` and J·${tangentName} for \`${width}\` directions at once (one forward-mode sweep, with respect to\n` +
          `${request.wrt.join(", ")}): \`${tangentName}\` holds ${width} directions per scalar, directions innermost, and\n` +
          `\`tangent[r * ${width} + lane]\` is output r along direction lane. Generated from ${where(ctx)}.`,
      };
      return {
        ...unit,
        output: {
          ...unit.output,
          functions: [...unit.output.functions, lanes],
          typeAliases: [...unit.output.typeAliases, { name: alias, text: lanesRecordText(record), doc: lanesDoc(fn) }],
        },
      };
    },
  };
}

function scalarOnly(unit: Unit, why: string): Unit {
  return { ...unit, output: { ...unit.output, scalarOnly: why } };
}

/** Why a wrt parameter's shape has no lanes record here (arrays of Float32Array rows, deeper nesting), or null. */
function unsupportedWrt(fn: FunctionIR, wrt: string[]): string | null {
  for (const name of wrt) {
    for (const leaf of leafPaths(name, paramType(fn, name))) {
      const t = leaf.type;
      if (t.kind === "number") continue;
      if (t.kind === "array" && t.element.kind === "number") continue;
      if (t.kind === "array" && t.element.kind === "array" && t.element.element.kind === "number" && t.element.container !== "float32array") continue;
      return `'${leaf.path}' has no lanes layout (numbers, numeric arrays and arrays of rows do)`;
    }
  }
  return null;
}

/** The TypeScript type of a lanes record: numbers become Float64Array, arrays keep their container, rows are number[]. */
export function lanesTypeText(t: ValueType): string {
  if (t.kind === "number") return "Float64Array";
  if (t.kind === "record") return `{ ${t.fields.map((f) => `${f.name}: ${lanesTypeText(f.type)}`).join("; ")} }`;
  if (t.kind === "array" && t.element.kind === "array") return gradientTypeText(t.element) === "Float64Array" ? "Float64Array[]" : "number[][]";
  return gradientTypeText(t);
}

function lanesRecordText(record: ValueType): string {
  return lanesTypeText(record);
}

function lanesDoc(fn: FunctionIR): string {
  return `Directions of \`${fn.name}\`'s vector sweeps: each field holds \`width\` directions per scalar, directions innermost (\`x[i * width + lane]\`).`;
}

/**
 * A fresh lanes record of zeros for the wrt parameters: `{ x: new Float64Array(x.length * width), w: new Float64Array(width) }`;
 * arrays of rows through the runtime's `zeroLaneRows`.
 */
export function zeroLanes(fields: { name: string; type: ValueType }[], width: Expr): Expr {
  const zeros = (t: ValueType, like: Expr): Expr => {
    if (t.kind === "number") return { kind: "zeros", container: "float64array", length: width };
    if (t.kind === "record") return { kind: "record", fields: t.fields.map((f) => ({ name: f.name, value: zeros(f.type, b.field(like, f.name)) })) };
    if (t.kind === "array" && t.element.kind === "array") return b.call(t.element.container === "float64array" ? "zeroLaneRows64" : "zeroLaneRows", [like, width]);
    const container = t.kind === "array" ? t.container : "float64array";
    return { kind: "zeros", container, length: b.mul({ kind: "length", object: like }, width) };
  };
  return { kind: "record", fields: fields.map((f) => ({ name: f.name, value: zeros(f.type, b.v(f.name)) })) };
}

/** The runtime helpers `zeroLanes(…)` calls for these fields. */
export function zeroLanesHelpers(fields: { name: string; type: ValueType }[]): string[] {
  const out = new Set<string>();
  for (const f of fields) {
    for (const leaf of leafPaths(f.name, f.type)) {
      const t = leaf.type;
      if (t.kind === "array" && t.element.kind === "array") out.add(t.element.container === "float64array" ? "zeroLaneRows64" : "zeroLaneRows");
    }
  }
  return [...out];
}

/**
 * `const sweeps = Math.ceil(columns / Math.max(1, width));`
 * `const lanes = sweeps > 0 ? Math.ceil(columns / sweeps) : 1;`
 * The fewest sweeps of at most `width` directions, the directions spread evenly over them
 * (10 columns at width 8: two sweeps of 5, not 8 and 2 with 6 idle lanes).
 */
export function laneCount(sweeps: string, lanes: string, columns: Expr, width: Expr): Stmt[] {
  return [
    b.comment("The fewest sweeps of at most `width` directions each, the directions spread evenly over them."),
    b.declare(sweeps, b.call("Math.ceil", [b.div(columns, b.call("Math.max", [b.num(1), width]))])),
    b.declare(lanes, { kind: "conditional", test: b.bin(">", b.v(sweeps), b.num(0)), whenTrue: b.call("Math.ceil", [b.div(columns, b.v(sweeps))]), whenFalse: b.num(1) }),
  ];
}
