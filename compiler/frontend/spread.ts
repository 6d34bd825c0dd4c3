/**
 * Spread, lowered to loops:
 *
 *   Math.max(...xs)        → let max = -Infinity; for (…) max = Math.max(max, xs[i]);
 *   Math.min(a, ...xs, b)  → the same fold, started from the other arguments
 *   [...x, 1, ...y]        → const joined = zeros(x.length + 1 + y.length); one copy loop per spread
 *   x.concat(y, 1)         → the same as [...x, ...y, 1]
 *
 * The fold gives the derivative to the element the primal returned; at an exact tie
 * between elements of a spread, each binary step splits it evenly (the binary max's
 * convention), so k tied elements do not get 1/k each as with the n-ary call.
 */
import { ts } from "../typescript.ts";
import { Codes, type DiagnosticCode, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { Expr, Stmt, ValueType } from "../ir/nodes.ts";

export interface SpreadHost {
  /** `xs.slice(a, b)` read in place (no copy): its length and entries. */
  sliceView(e: ts.Expression): { length: Expr; at(j: Expr): Expr } | undefined;
  span(node: ts.Node): SourceSpan;
  reject(code: DiagnosticCode, message: string, node: ts.Node): never;
  lowerExpr(e: ts.Expression): Expr;
  typeOf(e: Expr, node: ts.Node): ValueType;
  arrayValue(e: ts.Expression, base: string): Expr;
  variable(base: string, type: ValueType, mutable: boolean): string;
  bind(name: string, type: ValueType, mutable: boolean): string;
  emit(...stmts: Stmt[]): void;
}

const NUMBER_ARRAY: ValueType = { kind: "array", element: b.NUMBER, container: "array", readonly: false };

function numberArray(host: SpreadHost, e: ts.Expression): Expr {
  const array = host.arrayValue(e, "items");
  const type = host.typeOf(array, e);
  if (type.kind !== "array" || type.element.kind !== "number") host.reject(Codes.UnsupportedExpression, "only arrays of numbers can be spread here", e);
  return array;
}

/** `Math.max(…)` / `Math.min(…)` with spread arguments: a fold over every value. */
export function spreadExtremum(host: SpreadHost, callee: "Math.max" | "Math.min", node: ts.CallExpression): Expr {
  const span = host.span(node);
  const scalars: Expr[] = [];
  // Each spread array as its length and entries: a slice is read in place (`Math.max(...x.slice(i, i + w))` in a loop makes no copy).
  const arrays: { length: Expr; at(j: Expr): Expr }[] = [];
  for (const a of node.arguments) {
    if (!ts.isSpreadElement(a)) scalars.push(host.lowerExpr(a));
    else {
      const view = host.sliceView(a.expression);
      const array = view ? undefined : numberArray(host, a.expression);
      arrays.push(view ?? { length: { kind: "length", object: array! }, at: (j) => b.index(array!, j) });
    }
  }
  const start = scalars.length === 0 ? b.num(callee === "Math.max" ? -Infinity : Infinity) : scalars.length === 1 ? scalars[0]! : b.call(callee, scalars);
  const acc = host.variable(callee === "Math.max" ? "max" : "min", b.NUMBER, true);
  host.emit({ kind: "declare", name: acc, type: b.NUMBER, init: start, mutable: true, span });
  for (const array of arrays) {
    const i = host.variable(`${acc}_i`, b.NUMBER, true);
    host.emit(b.countUp(i, b.num(0), array.length, [b.assign({ kind: "var", name: acc }, b.call(callee, [b.v(acc), array.at(b.v(i))]))], span));
  }
  return b.v(acc);
}

type Piece = { kind: "spread"; array: Expr } | { kind: "value"; value: Expr; node: ts.Expression };

/** `[...x, 1, ...y]`: a new number array, filled piece by piece. `declared` names it. */
export function spreadArray(host: SpreadHost, node: ts.ArrayLiteralExpression, declared?: { name: string; mutable: boolean }): Expr {
  const pieces = node.elements.map((e): Piece => (ts.isSpreadElement(e) ? { kind: "spread", array: numberArray(host, e.expression) } : { kind: "value", value: host.lowerExpr(e), node: e }));
  return joined(host, pieces, host.span(node), declared);
}

/** `x.concat(y, 1)`: as `[...x, ...y, 1]` (an argument that is an array is spread, as concat does). */
export function concatArrays(host: SpreadHost, node: ts.CallExpression, receiver: ts.Expression, declared?: { name: string; mutable: boolean }): Expr {
  const pieces = [receiver, ...node.arguments].map((e): Piece => {
    if (ts.isSpreadElement(e)) host.reject(Codes.UnsupportedCall, "spreading arguments into concat is not supported; pass the arrays themselves", e);
    const value = host.lowerExpr(e);
    const type = host.typeOf(value, e);
    if (type.kind !== "array") return { kind: "value", value, node: e };
    if (type.element.kind !== "number") host.reject(Codes.UnsupportedExpression, "only arrays of numbers can be joined here", e);
    if (value.kind === "var") return { kind: "spread", array: value };
    const held = host.variable("part", type, false);
    host.emit({ kind: "declare", name: held, type, init: value, mutable: false, span: host.span(e) });
    return { kind: "spread", array: b.v(held) };
  });
  return joined(host, pieces, host.span(node), declared);
}

function joined(host: SpreadHost, pieces: Piece[], span: SourceSpan, declared?: { name: string; mutable: boolean }): Expr {
  let length: Expr = b.num(0);
  for (const p of pieces) length = b.add(length, p.kind === "spread" ? { kind: "length", object: p.array } : b.num(1));
  const name = declared ? host.bind(declared.name, NUMBER_ARRAY, declared.mutable) : host.variable("joined", NUMBER_ARRAY, false);
  host.emit({ kind: "declare", name, type: NUMBER_ARRAY, init: { kind: "zeros", container: "array", length }, mutable: declared?.mutable ?? false, span });
  let offset: Expr = b.num(0);
  for (const p of pieces) {
    if (p.kind === "spread") {
      const i = host.variable(`${name}_i`, b.NUMBER, true);
      host.emit(b.countUp(i, b.num(0), { kind: "length", object: p.array }, [b.assign({ kind: "index", object: b.v(name), index: b.add(offset, b.v(i)) }, b.index(p.array, b.v(i)))], span));
      offset = b.add(offset, { kind: "length", object: p.array });
    } else {
      if (host.typeOf(p.value, p.node).kind !== "number") host.reject(Codes.UnsupportedExpression, "an array literal with spread holds numbers", p.node);
      host.emit(b.assign({ kind: "index", object: b.v(name), index: offset }, p.value));
      offset = b.add(offset, b.num(1));
    }
  }
  return b.v(name);
}

/** Whether an array literal spreads another array. */
export function hasSpread(node: ts.ArrayLiteralExpression): boolean {
  return node.elements.some(ts.isSpreadElement);
}
