/**
 * Declarations whose initializer is an idiom rather than an expression of the IR:
 *
 *   const [a, b] = x, const { w, b: bias } = p, nested patterns, [first, ...rest]
 *       → one declaration (or another name for a part) per name bound
 *   const ys = xs.slice(a, b), Array.from(xs), Float64Array.from(xs), Array.from(xs, (v, i) => …),
 *   Array.from({ length: n }, (_, i) => f(i))
 *       → a zero-filled array and a counted loop that fills it
 *
 * so every transform sees plain variables and loops. A plain `const name = value` is the
 * lowering's own (`declareNamed`), which these end in for each name.
 */
import { ts } from "../typescript.ts";
import { Codes, type DiagnosticCode, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { ArrayContainer, Expr, Stmt, ValueType } from "../ir/nodes.ts";
import { describeType } from "./types.ts";

/** What declaration lowering needs from the lowering. */
export interface DeclarationHost {
  span(node: ts.Node): SourceSpan;
  reject(code: DiagnosticCode, message: string, node: ts.Node): never;
  lowerExpr(e: ts.Expression): Expr;
  typeOf(e: Expr, node: ts.Node): ValueType;
  fresh(base: string): string;
  bind(name: string, type: ValueType, mutable: boolean): string;
  alias(name: string, value: Expr): void;
  /** Runs `f` in a new block scope. */
  inScope<T>(f: () => T): T;
  /** `const name = init` (or `let`) once its value is lowered. */
  declareNamed(name: string, init: Expr, type: ValueType, mutable: boolean, node: ts.Node): Stmt[];
}

/**
 * Binds the names of a pattern to the parts of `value`: array patterns to elements
 * (`[first, ...rest]` copies the rest), object patterns to fields (`{ w: weights }`
 * renames), nested to any depth. A value that is neither a variable nor a literal is
 * computed once into a local first.
 */
export function bindPattern(host: DeclarationHost, pattern: ts.BindingName, value: Expr, type: ValueType, mutable: boolean, node: ts.Node): Stmt[] {
  if (ts.isIdentifier(pattern)) return host.declareNamed(pattern.text, value, type, mutable, pattern);
  const out: Stmt[] = [];
  const held = (base: string) => {
    if (value.kind === "var" || value.kind === "arrayLiteral" || value.kind === "record") return value;
    const name = host.bind(host.fresh(base), type, false);
    out.push({ kind: "declare", name, type, init: value, mutable: false, span: host.span(node) });
    return b.v(name);
  };
  const noDefault = (el: ts.BindingElement) => {
    if (el.initializer) host.reject(Codes.UnsupportedStatement, "default values in a destructuring pattern cannot be differentiated; read the part and write 'part ?? fallback' where it may be missing", el.initializer);
  };
  if (ts.isArrayBindingPattern(pattern)) {
    if (type.kind !== "array") return host.reject(Codes.UnsupportedStatement, `only arrays and tuples can be destructured with '[…]'; this value is ${describeType(type)}`, pattern);
    const array = held("parts");
    pattern.elements.forEach((el, k) => {
      if (ts.isOmittedExpression(el)) return;
      noDefault(el);
      if (el.dotDotDotToken) {
        if (!ts.isIdentifier(el.name)) host.reject(Codes.UnsupportedStatement, "write '...rest' with a plain name", el.name);
        out.push(...copyRange(host, (el.name as ts.Identifier).text, array, type, b.num(k), mutable, el));
        return;
      }
      const element = array.kind === "arrayLiteral" ? (array.elements[k] ?? host.reject(Codes.UnsupportedStatement, `the array has no element ${k}`, el)) : b.index(array, b.num(k));
      out.push(...bindPattern(host, el.name, element, type.element, mutable, el));
    });
    return out;
  }
  if (type.kind === "array" && pattern.elements.every((el) => !el.dotDotDotToken && (el.propertyName ?? el.name).getText() === "length")) {
    // `const { length: n } = xs`
    return pattern.elements.flatMap((el) => {
      noDefault(el);
      return bindPattern(host, el.name, { kind: "length", object: value }, b.NUMBER, mutable, el);
    });
  }
  if (type.kind !== "record") return host.reject(Codes.UnsupportedStatement, `only objects can be destructured with '{…}'; this value is ${describeType(type)}`, pattern);
  const object = held("parts");
  for (const el of pattern.elements) {
    noDefault(el);
    if (el.dotDotDotToken) host.reject(Codes.UnsupportedStatement, "'...rest' in an object pattern cannot be differentiated; name each field you read", el);
    const key = el.propertyName ?? el.name;
    if (!ts.isIdentifier(key)) return host.reject(Codes.UnsupportedStatement, "name each field of an object pattern ('{ w, b: bias }')", key);
    const field = type.fields.find((f) => f.name === key.text);
    if (!field) return host.reject(Codes.UnsupportedStatement, `'${key.text}' is not a field of this object (fields: ${type.fields.map((f) => f.name).join(", ")})`, key);
    const part = object.kind === "record" ? object.fields.find((f) => f.name === key.text)!.value : object.kind === "var" ? b.v(`${object.name}.${key.text}`) : b.field(object, key.text);
    out.push(...bindPattern(host, el.name, part, field.type, mutable, el));
  }
  return out;
}

/** `const name = array.slice(from)` as a zero-filled array and a loop (for `[first, ...rest]`). */
function copyRange(host: DeclarationHost, name: string, array: Expr, type: ValueType, from: Expr, mutable: boolean, node: ts.Node): Stmt[] {
  if (type.kind !== "array" || type.element.kind !== "number") return host.reject(Codes.UnsupportedStatement, "'...rest' is supported on arrays of numbers", node);
  const length = b.sub({ kind: "length", object: array }, from);
  const span = host.span(node);
  const target = host.bind(name, { ...type, container: type.container === "int32array" ? "int32array" : type.container, readonly: false }, mutable);
  const counter = host.fresh(`${name}_i`);
  return [
    { kind: "declare", name: target, type: { ...type, readonly: false }, init: { kind: "zeros", container: type.container, length }, mutable, span },
    b.countUp(counter, b.num(0), length, [b.assign({ kind: "index", object: b.v(target), index: b.v(counter) }, b.index(array, b.add(from, b.v(counter))))], span),
  ];
}

/** The bounds of `xs.slice(a?, b?)`: a negative constant counts from the end (`xs.slice(1, -1)`); bounds are not clamped to the array. */
export function sliceBounds(host: Pick<DeclarationHost, "lowerExpr" | "reject">, source: Expr, args: readonly ts.Expression[]): { start: Expr; end: Expr } {
  const length: Expr = { kind: "length", object: source };
  const bound = (arg: ts.Expression): Expr => {
    const value = host.lowerExpr(arg);
    const negated = value.kind === "unary" && value.op === "-" && value.operand.kind === "number" ? value.operand.value : value.kind === "number" && value.value < 0 ? -value.value : undefined;
    if (negated !== undefined) return b.sub(length, b.num(negated));
    if (value.kind === "unary") host.reject(Codes.UnsupportedExpression, "a computed negative slice bound is not supported; compute the index from the length", arg);
    return value;
  };
  return { start: args[0] ? bound(args[0]) : b.num(0), end: args[1] ? bound(args[1]) : length };
}

/**
 * Array-building idioms, desugared to a zero-filled array and a counted loop so every
 * transform handles them: `xs.slice(a?, b?)`, `Array.from(xs)`, `Float64Array.from(xs)`,
 * `Array.from(xs, (v, i) => f(v, i))`, `Array.from({ length: n }, (_, i) => f(i))`. Null
 * when `e` is none of them.
 */
export function lowerArrayBuilder(host: DeclarationHost, name: string, e: ts.Expression, mutable: boolean): Stmt[] | null {
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return null;
  const method = e.expression.name.text;
  const target = e.expression.expression;
  const span = host.span(e);
  const counter = `${name}_i`;
  const build = (container: ArrayContainer, length: Expr, element: (i: Expr) => Expr, bindCounter?: string): Stmt[] => {
    const type: ValueType = { kind: "array", element: b.NUMBER, container, readonly: false };
    const array = host.bind(name, type, mutable);
    let i = counter;
    const body = host.inScope(() => {
      i = host.bind(counter, b.NUMBER, true);
      if (bindCounter) host.alias(bindCounter, b.v(i));
      const value = element(b.v(i));
      if (host.typeOf(value, e).kind !== "number") host.reject(Codes.UnsupportedExpression, `each element built here must be a number; a local matrix is supported as 'const m = Array.from({ length: n }, () => new Array<number>(k).fill(0))' (or with '(_, j) => …' computing each entry), read and written as m[i][j]; otherwise keep a flat number[] of n * k entries, indexed [i * k + j]`, e);
      return [b.assign({ kind: "index", object: b.v(array), index: b.v(i) }, value)];
    });
    return [{ kind: "declare", name: array, type, init: { kind: "zeros", container, length }, mutable, span }, b.countUp(i, b.num(0), length, body, span)];
  };
  if (method === "slice" && e.arguments.length <= 2) {
    const source = host.lowerExpr(target);
    const type = host.typeOf(source, target);
    if (type.kind !== "array" || type.element.kind !== "number") return null;
    const { start, end } = sliceBounds(host, source, e.arguments);
    return build(type.container, b.sub(end, start), (i) => b.index(source, b.add(start, i)));
  }
  if (method === "from" && ts.isIdentifier(target) && (target.text === "Array" || target.text === "Float64Array")) {
    const container = target.text === "Array" ? "array" : "float64array";
    const [first, mapper] = e.arguments;
    if (first && ts.isObjectLiteralExpression(first)) {
      const lengthProp = first.properties.find((p) => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === "length");
      if (!lengthProp || first.properties.length !== 1 || !mapper || !ts.isArrowFunction(mapper) || !ts.isExpression(mapper.body) || mapper.parameters.length > 2) {
        host.reject(Codes.UnsupportedExpression, "write Array.from({ length: n }, (_, i) => expression): an arrow returning each element (a local matrix: an arrow returning its row, such as new Array<number>(k).fill(0))", e);
      }
      const length = host.lowerExpr((lengthProp as ts.PropertyAssignment).initializer);
      const index = mapper.parameters[1];
      const indexName = index && ts.isIdentifier(index.name) ? index.name.text : undefined;
      return build(container, length, () => host.lowerExpr(mapper.body as ts.Expression), indexName);
    }
    if (first && e.arguments.length === 1) {
      const source = host.lowerExpr(first);
      const type = host.typeOf(source, first);
      if (type.kind === "array" && type.element.kind === "number") {
        return build(container, { kind: "length", object: source }, (i) => b.index(source, i));
      }
    }
    // `Array.from(xs, (v, i) => …)`: as xs.map(…), into an array of the kind named.
    if (first && mapper && e.arguments.length === 2 && (ts.isArrowFunction(mapper) || ts.isFunctionExpression(mapper)) && !ts.isBlock(mapper.body) && mapper.parameters.length <= 2) {
      const source = host.lowerExpr(first);
      const type = host.typeOf(source, first);
      if (type.kind === "array" && type.element.kind === "number") {
        const [element, index] = mapper.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : undefined));
        return build(container, { kind: "length", object: source }, (i) => {
          if (element) host.alias(element, b.index(source, i));
          return host.lowerExpr(mapper.body as ts.Expression);
        }, index);
      }
    }
    host.reject(Codes.UnsupportedExpression, `this form of ${target.text}.from is not supported; use Array.from({ length: n }, (_, i) => …) or copy a numeric array`, e);
  }
  if (method === "push") {
    host.reject(Codes.UnsupportedExpression, "'.push' returns the new length; call it as a statement", e);
  }
  return null;
}
