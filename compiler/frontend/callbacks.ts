/**
 * Functions as values, inlined where they are called, so the IR never sees one:
 *
 *   xs.reduce((s, v) => s + v * v, 0)   → let s = 0; for (…) { const v = xs[i]; s = s + v * v; }
 *   xs.map((v, i) => v * w[i])           → const ys = zeros(xs.length); for (…) ys[i] = …;
 *   xs.forEach((v) => { total += v; })   → for (…) { const v = xs[i]; total += v; }
 *   xs.filter((v) => v > 0)              → const kept: number[] = []; for (…) if (…) kept.push(xs[i]);
 *   xs.some(p) / xs.every(p)             → a flag set in a loop that stops early
 *   const sq = (t: number) => t * t; sq(x[0])    (local arrow functions, nested function
 *   function helper(a) { … }                      declarations, closures reading the
 *                                                 enclosing function's variables)
 *   sumOf(xs, (v) => v * v)              → sumOf's body, specialized to the callback
 *   cmul(a, b) returning { re, im }      → its body, the result a record of numbers
 *
 * A function value remembers the scopes it was written in (a closure): its body is lowered
 * at the call with those scopes plus its parameters, so names mean what they mean in
 * JavaScript, and the statements it needs go right before the statement that called it.
 * A `return` of a callback body assigns the result and continues the generated loop (or
 * exits the body's region from inside a loop of its own: jumps.ts); a local function with
 * early returns assigns a result variable the same way. Recursion is rejected.
 */
import { ts } from "../typescript.ts";
import { Codes, type DiagnosticCode, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { ArrayContainer, Expr, LValue, Stmt, ValueType } from "../ir/nodes.ts";
import { closeRegion, type JumpTarget } from "./jumps.ts";
import { elementOfRecords } from "../ir/types.ts";

/** Where a closure was written: the scopes it sees (shared, as in JavaScript) and its file. */
export interface Captured {
  readonly token: object;
}

/** A function used as a value: one written in the source (a closure), or one of the program's functions by name. */
export type FunctionValue =
  | { kind: "closure"; node: ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration | ts.MethodDeclaration | ts.ConstructorDeclaration | ts.GetAccessorDeclaration; name: string; captured: Captured; receiver?: Expr }
  | { kind: "program"; name: string }
  /** `Math.exp` passed as a function (`xs.map(Math.exp)`): a one-argument Math function. */
  | { kind: "math"; name: string };

/** An argument of an inlined call: a value, or a function. `binding` makes the parameter another name for a variable (a reduce's accumulator). */
export type Argument =
  | { kind: "value"; value: Expr; type: ValueType; node: ts.Node; binding?: { irName: string; mutable: boolean } }
  | { kind: "function"; fn: FunctionValue; node: ts.Node }
  /** A row of a local matrix, or the matrix (matrices.ts `argument`): `bind` makes the parameter a view of it. */
  | { kind: "view"; bind: (name: string) => void; node: ts.Node };

/** What inlining needs from the lowering. */
export interface CallbackHost {
  span(node: ts.Node): SourceSpan;
  reject(code: DiagnosticCode, message: string, node: ts.Node): never;
  lowerExpr(e: ts.Expression): Expr;
  lowerExpressionStatement(e: ts.Expression, span: SourceSpan): Stmt[];
  /** Lowers statements in the current scope (no new scope). */
  lowerStatementsHere(statements: readonly ts.Statement[]): Stmt[];
  typeOf(e: Expr, node: ts.Node): ValueType;
  emit(...stmts: Stmt[]): void;
  separately<T>(lower: () => T): { pre: Stmt[]; value: T };
  fresh(base: string): string;
  /** A new IR variable named after `base` unless a variable has that name. */
  variable(base: string, type: ValueType, mutable: boolean): string;
  /** Sets the type of a variable made by `variable` once it is known. */
  retype(irName: string, type: ValueType): void;
  bind(name: string, type: ValueType, mutable: boolean): string;
  /** Another source name for an existing IR variable. */
  bindExisting(name: string, irName: string, type: ValueType, mutable: boolean): void;
  alias(name: string, value: Expr): void;
  bindFunction(name: string, fn: FunctionValue): void;
  bindPattern(pattern: ts.BindingName, value: Expr, type: ValueType, mutable: boolean, node: ts.Node): Stmt[];
  /** Lowers `f` inside `captured`'s scopes plus a new one, with no enclosing jump targets. */
  within<T>(captured: Captured, f: () => T): T;
  withTarget<T>(target: JumpTarget, f: () => T): T;
  /** An array expression a loop can index repeatedly (a variable, or a local holding it). */
  arrayValue(e: ts.Expression, base: string): Expr;
  /** The function an expression denotes, if it is one (an arrow, a local function, a program function named). */
  functionValue(e: ts.Expression): FunctionValue | undefined;
  /** `layers[i]` of an array of records: the record of its fields' elements (frontend/lower.ts). */
  recordAt(array: Expr, type: Extract<ValueType, { kind: "record" }>, index: Expr, node: ts.Node): Expr;
  /** The number of records in an array of records. */
  recordsLength(array: Expr, type: Extract<ValueType, { kind: "record" }>, node: ts.Node): Expr;
  /** A call of a program function (the inliner's userCall). */
  programCall(name: string, args: Expr[], node: ts.Node): Expr;
  /** An array of records held one local array per field (`{ x: ps_x, y: ps_y }`), read as an array of objects is. */
  localRecords(fields: { name: string; array: string }[]): Expr;
  /** The field `name` of a record value. */
  fieldOf(object: Expr, name: string, node: ts.Node): Expr;
  /** A local matrix named by `e` (matrices.ts): its row count, and a way to name row `at` (a view). */
  matrixRows(e: ts.Expression): MatrixRows | undefined;
  /** A row of a local matrix named by `e` (`row`, `m[i]`): its length, its entries, and a way to name it (a view). */
  matrixRow(e: ts.Expression): { length: Expr; at(j: Expr): Expr; bind(name: string): void } | undefined;
  /** A new number array named after `base`, of `length` elements `element(i)`, built by a loop before the statement. */
  builtArray(base: string, container: ArrayContainer, length: Expr, element: (i: Expr) => Expr, node: ts.Node): Expr;
  /** `xs.slice(a, b)` read in place (no copy): its length and entries. */
  sliceView(e: ts.Expression): { length: Expr; at(j: Expr): Expr; bind(name: string): void } | undefined;
}

/** The rows of a local matrix, for a loop over them. */
export interface MatrixRows {
  rows: Expr;
  bindRow(name: string, at: Expr, node: ts.Node): void;
}

const NUMBER_ARRAY: ValueType = { kind: "array", element: b.NUMBER, container: "array", readonly: false };

function skipParentheses(e: ts.Expression): ts.Expression {
  return ts.isParenthesizedExpression(e) ? skipParentheses(e.expression) : e;
}

const ARRAY_METHODS = new Set(["reduce", "reduceRight", "map", "forEach", "filter", "some", "every", "findIndex", "findLastIndex"]);
/** `xs.find(…)` and `xs.findLast(…)` may give undefined: read through `??` or `!` only (Callbacks.found). */
export const FOUND_METHODS = new Set(["find", "findLast"]);

export class Callbacks {
  /** Closures being inlined, innermost last: a call of one of them again is recursion. */
  private readonly inlining: ts.Node[] = [];

  constructor(private readonly host: CallbackHost) {}

  /** Whether `call` is `xs.reduce(…)`, `xs.map(…)` … with a function argument. */
  isArrayMethod(call: ts.CallExpression): boolean {
    return ts.isPropertyAccessExpression(call.expression) && ARRAY_METHODS.has(call.expression.name.text) && call.arguments.length > 0 && !!this.host.functionValue(call.arguments[0]!);
  }

  /**
   * `xs.reduce/map/forEach/filter/some/every/findIndex(callback, …)`. The loop goes before the
   * statement; the value is the accumulator, the new array or the flag. `declared` names
   * the variable a declaration gives the result (`const total = xs.reduce(…)`), so it
   * is the loop's own variable rather than a copy.
   */
  arrayMethod(call: ts.CallExpression, declared?: { name: string; mutable: boolean }, found?: { fallback: Expr | null }): Expr {
    const host = this.host;
    const access = call.expression as ts.PropertyAccessExpression;
    const method = access.name.text;
    const matrix = host.matrixRows(access.expression);
    if (matrix) return this.overRows(call, matrix, declared, found);
    // A row of a local matrix (`row.reduce(…)`, `m[i].map(…)`): its entries in the flat array; a slice read in place.
    const row = host.matrixRow(access.expression) ?? host.sliceView(access.expression);
    // A row or slice has no array of its own (`array` is undefined): read it through `row`.
    const array = row ? undefined : host.arrayValue(access.expression, "items");
    const arrayType = array ? host.typeOf(array, access.expression) : NUMBER_ARRAY;
    // An array of records (`layers.reduce((s, layer) => …, 0)`): its elements are records of its fields' rows.
    const records = arrayType.kind === "record" && arrayType.arrayOfRecords ? arrayType : undefined;
    if (arrayType.kind !== "array" && !records) return host.reject(Codes.UnsupportedCall, `'.${method}' is supported on arrays; this value is not one`, access.expression);
    const fn = host.functionValue(call.arguments[0]!)!;
    const params = fn.kind === "closure" ? fn.node.parameters : undefined;
    const paramName = (k: number) => {
      const p = params?.[k];
      return p && ts.isIdentifier(p.name) ? p.name.text : undefined;
    };
    const span = host.span(call);
    const length: Expr = row ? row.length : records ? host.recordsLength(array!, records, access.expression) : { kind: "length", object: array! };
    const elementType = records ? elementOfRecords(records) : (arrayType as Extract<ValueType, { kind: "array" }>).element;
    const container = records ? "array" : (arrayType as Extract<ValueType, { kind: "array" }>).container;
    const element = (i: Expr): Expr => (row ? row.at(i) : records ? host.recordAt(array!, records, i, call) : b.index(array!, i));
    // The loop counter: the callback's index parameter's name, or one derived from its element's.
    const folds = method === "reduce" || method === "reduceRight";
    const indexAt = folds ? 2 : 1;
    const elementAt = folds ? 1 : 0;
    const counter = host.variable(paramName(indexAt) ?? `${paramName(elementAt) ?? "item"}_i`, b.NUMBER, true);
    const loop = (from: Expr, body: Stmt[]): Stmt => b.countUp(counter, from, length, body, span);
    const elementArgs = (): Argument[] => [
      { kind: "value", value: element(b.v(counter)), type: elementType, node: call },
      { kind: "value", value: b.v(counter), type: b.NUMBER, node: call },
      row ? { kind: "view", bind: row.bind, node: access.expression } : { kind: "value", value: array!, type: arrayType, node: access.expression },
    ];

    switch (method) {
      case "reduce":
      case "reduceRight": {
        if (call.arguments.length > 2) host.reject(Codes.UnsupportedCall, `${method} takes a callback and an initial value`, call);
        const accType = call.arguments[1] ? host.typeOf(host.lowerExpr(call.arguments[1]), call.arguments[1]) : elementType;
        if (accType.kind !== "number") host.reject(Codes.UnsupportedCall, `${method} is supported with a number accumulator (start it with a number: xs.${method}((s, v) => …, 0))`, call.arguments[1] ?? call);
        const last = b.sub(length, b.num(1));
        const init = call.arguments[1] ? host.lowerExpr(call.arguments[1]) : element(method === "reduce" ? b.num(0) : last);
        const acc = declared ? host.bind(declared.name, b.NUMBER, declared.mutable) : host.variable(paramName(0) ?? "acc", b.NUMBER, true);
        host.emit({ kind: "declare", name: acc, type: b.NUMBER, init, mutable: true, span });
        const args: Argument[] = [{ kind: "value", value: b.v(acc), type: b.NUMBER, node: call, binding: { irName: acc, mutable: true } }, ...elementArgs()];
        const body = this.inLoop(fn, args, { kind: "var", name: acc }, call, 2);
        if (method === "reduce") host.emit(loop(call.arguments[1] ? b.num(0) : b.num(1), body));
        else host.emit(countDown(counter, call.arguments[1] ? last : b.sub(length, b.num(2)), body, span));
        return b.v(acc);
      }
      case "map": {
        if (fn.kind === "closure" && returnsObjectLiteral(fn.node.body!)) {
          return this.mapToRecords(fn, elementArgs(), counter, length, loop, call, declared);
        }
        const resultContainer = container === "int32array" ? "array" : container;
        const resultType: ValueType = { kind: "array", element: b.NUMBER, container: resultContainer, readonly: false };
        const name = declared ? host.bind(declared.name, resultType, false) : host.variable("mapped", resultType, false);
        host.emit({ kind: "declare", name, type: resultType, init: { kind: "zeros", container: resultContainer, length }, mutable: false, span });
        const into: LValue = { kind: "index", object: b.v(name), index: b.v(counter) };
        const body = this.inLoop(fn, elementArgs(), into, call, 1);
        host.emit(loop(b.num(0), body));
        return b.v(name);
      }
      case "forEach": {
        host.emit(loop(b.num(0), this.inLoop(fn, elementArgs(), null, call, 1)));
        return b.num(0);
      }
      case "filter": {
        if (elementType.kind !== "number") host.reject(Codes.UnsupportedCall, "filter is supported on arrays of numbers", call);
        const name = declared ? host.bind(declared.name, { kind: "array", element: b.NUMBER, container: "array", readonly: false }, false) : host.variable("kept", { kind: "array", element: b.NUMBER, container: "array", readonly: false }, false);
        host.emit({ kind: "declare", name, type: { kind: "array", element: b.NUMBER, container: "array", readonly: false }, init: { kind: "arrayLiteral", elements: [] }, mutable: false, span });
        const { pre, value } = host.separately(() => this.value(fn, elementArgs().slice(0, fn.kind === "closure" ? 3 : 1), call));
        host.emit(loop(b.num(0), [...pre, { kind: "if", test: value, then: [{ kind: "append", array: name, value: element(b.v(counter)), span }], else: [] }]));
        return b.v(name);
      }
      case "some":
      case "every": {
        // some: false until a test holds; every: true until one fails. Either stops there.
        const flag = declared ? host.bind(declared.name, b.BOOLEAN, declared.mutable) : host.variable(method === "some" ? "found" : "all", b.BOOLEAN, true);
        host.emit({ kind: "declare", name: flag, type: b.BOOLEAN, init: b.bool(method === "every"), mutable: true, span });
        const { pre, value } = host.separately(() => this.value(fn, elementArgs().slice(0, fn.kind === "closure" ? 3 : 1), call));
        const test = method === "some" ? value : b.not(value);
        host.emit(loop(b.num(0), [...pre, { kind: "if", test, then: [b.assign({ kind: "var", name: flag }, b.bool(method === "some")), { kind: "break" }], else: [] }]));
        return b.v(flag);
      }
      case "findIndex":
      case "findLastIndex":
      case "find":
      case "findLast": {
        const fromEnd = method === "findLastIndex" || method === "findLast";
        if (found && records) return host.reject(Codes.UnsupportedCall, `'.${method}' over an array of objects is not supported; take its index with '.${fromEnd ? "findLastIndex" : "findIndex"}(…)' and read the fields there`, call);
        const at = declared ? host.bind(declared.name, b.NUMBER, declared.mutable) : host.variable("index", b.NUMBER, true);
        this.search(at, counter, length, fromEnd, () => host.separately(() => this.value(fn, elementArgs().slice(0, fn.kind === "closure" ? 3 : 1), call)), span);
        if (!found) return b.v(at);
        // The element found, else the fallback (`?? d`); with `!` the element at the index, as JavaScript reads it.
        const hit = element(b.v(at));
        return found.fallback ? { kind: "conditional", test: b.bin("<", b.v(at), b.num(0)), whenTrue: found.fallback, whenFalse: hit } : hit;
      }
      default:
        return host.reject(Codes.UnsupportedCall, `'.${method}' with a callback is not supported`, call);
    }
  }

  /**
   * `m.reduce((s, row) => …, 0)`, `m.map((row) => …)`, `m.forEach(…)`, `m.some(…)`,
   * `m.every(…)`, `m.findIndex(…)` over the rows of a local matrix (matrices.ts): the
   * callback's row is a view of the flat array, as in `for (const row of m)`.
   */
  private overRows(call: ts.CallExpression, matrix: MatrixRows, declared?: { name: string; mutable: boolean }, found?: { fallback: Expr | null }): Expr {
    const host = this.host;
    const method = (call.expression as ts.PropertyAccessExpression).name.text;
    const fn = host.functionValue(call.arguments[0]!)!;
    const folds = method === "reduce" || method === "reduceRight";
    const supported = ["forEach", "map", "some", "every", "findIndex", "findLastIndex"].includes(method) || (folds && call.arguments.length === 2);
    if (fn.kind !== "closure" || found || !supported) {
      return host.reject(Codes.UnsupportedCall, `'.${method}' over the rows of a local matrix is supported with a callback written here (reduce with an initial value, map, forEach, some, every, findIndex); otherwise write a loop: 'for (const row of m)'`, call);
    }
    const param = (k: number) => {
      const p = fn.node.parameters[k];
      return p && ts.isIdentifier(p.name) ? p.name.text : undefined;
    };
    const span = host.span(call);
    const counter = host.variable(param(folds ? 2 : 1) ?? `${param(folds ? 1 : 0) ?? "row"}_i`, b.NUMBER, true);
    const args = (): Argument[] => [
      { kind: "view", bind: (name) => matrix.bindRow(name, b.v(counter), call), node: call },
      { kind: "value", value: b.v(counter), type: b.NUMBER, node: call },
    ];
    const loop = (body: Stmt[]): Stmt => b.countUp(counter, b.num(0), matrix.rows, body, span);
    const test = () => host.separately(() => this.value(fn, args(), call));
    switch (method) {
      case "reduce":
      case "reduceRight": {
        const init = host.lowerExpr(call.arguments[1]!);
        if (host.typeOf(init, call.arguments[1]!).kind !== "number") host.reject(Codes.UnsupportedCall, `${method} is supported with a number accumulator (start it with a number: m.${method}((s, row) => …, 0))`, call.arguments[1]!);
        const acc = declared ? host.bind(declared.name, b.NUMBER, declared.mutable) : host.variable(param(0) ?? "acc", b.NUMBER, true);
        host.emit({ kind: "declare", name: acc, type: b.NUMBER, init, mutable: true, span });
        const body = this.inLoop(fn, [{ kind: "value", value: b.v(acc), type: b.NUMBER, node: call, binding: { irName: acc, mutable: true } }, ...args()], { kind: "var", name: acc }, call, 2);
        host.emit(method === "reduce" ? loop(body) : countDown(counter, b.sub(matrix.rows, b.num(1)), body, span));
        return b.v(acc);
      }
      case "map": {
        const name = declared ? host.bind(declared.name, NUMBER_ARRAY, false) : host.variable("mapped", NUMBER_ARRAY, false);
        host.emit({ kind: "declare", name, type: NUMBER_ARRAY, init: { kind: "zeros", container: "array", length: matrix.rows }, mutable: false, span });
        host.emit(loop(this.inLoop(fn, args(), { kind: "index", object: b.v(name), index: b.v(counter) }, call, 1)));
        return b.v(name);
      }
      case "forEach":
        host.emit(loop(this.inLoop(fn, args(), null, call, 1)));
        return b.num(0);
      case "some":
      case "every": {
        const flag = declared ? host.bind(declared.name, b.BOOLEAN, declared.mutable) : host.variable(method === "some" ? "found" : "all", b.BOOLEAN, true);
        host.emit({ kind: "declare", name: flag, type: b.BOOLEAN, init: b.bool(method === "every"), mutable: true, span });
        const { pre, value } = test();
        host.emit(loop([...pre, { kind: "if", test: method === "some" ? value : b.not(value), then: [b.assign({ kind: "var", name: flag }, b.bool(method === "some")), { kind: "break" }], else: [] }]));
        return b.v(flag);
      }
      default: {
        const at = declared ? host.bind(declared.name, b.NUMBER, declared.mutable) : host.variable("index", b.NUMBER, true);
        this.search(at, counter, matrix.rows, method === "findLastIndex", test, span);
        return b.v(at);
      }
    }
  }

  /**
   * The search loop of indexOf, findIndex, find and their from-the-end forms:
   *
   *   let at = -1; for (let i = 0; i < length; i++) { …pre; if (test) { at = i; break; } }
   *
   * (`fromEnd`: i from length - 1 down to 0). `at` (declared here) is an index: no derivative flows through it.
   */
  search(at: string, counter: string, length: Expr, fromEnd: boolean, test: () => { pre: Stmt[]; value: Expr }, span: SourceSpan): void {
    const host = this.host;
    host.emit({ kind: "declare", name: at, type: b.NUMBER, init: b.num(-1), mutable: true, span });
    const { pre, value } = test();
    const body: Stmt[] = [...pre, { kind: "if", test: value, then: [b.assign({ kind: "var", name: at }, b.v(counter)), { kind: "break" }], else: [] }];
    host.emit(fromEnd ? countDown(counter, b.sub(length, b.num(1)), body, span) : b.countUp(counter, b.num(0), length, body, span));
  }

  /**
   * A sorted copy of the number array `source`, by the comparator `compare` (`(a, b) => a - b`):
   * the permutation the primal computes, then a gather, so the derivative follows the
   * permutation (each entry of the copy is one element of `source`). The permutation comes
   * from a bottom-up merge sort of the indices, n log n comparisons, none differentiated:
   *
   *   const sorted_order = new Int32Array(n);      // the indices, in sorted order at the end
   *   for (let k = 0; k < n; k++) sorted_order[k] = k;
   *   const sorted_merged = new Int32Array(n);
   *   for (let width = 1; width < n; width *= 2) {
   *     for (let lo = 0; lo < n; lo += 2 * width) {  // merge [lo, mid) and [mid, hi)
   *       const mid = Math.min(lo + width, n);
   *       const hi = Math.min(lo + 2 * width, n);
   *       let left = lo;
   *       let right = mid;
   *       for (let k = lo; k < hi; k++) {
   *         let fromLeft = right >= hi;
   *         if (left < mid && right < hi) {
   *           const order = compare(xs[sorted_order[left]], xs[sorted_order[right]]);
   *           fromLeft = !(order > 0);             // ties (and NaN, which JavaScript reads as 0) keep their order
   *         }
   *         if (left < mid && fromLeft) { sorted_merged[k] = sorted_order[left]; left++; }
   *         else { sorted_merged[k] = sorted_order[right]; right++; }
   *       }
   *     }
   *     for (let k = 0; k < n; k++) sorted_order[k] = sorted_merged[k];
   *   }
   *   const sorted = zeros(n); for (let k = 0; k < n; k++) sorted[k] = xs[sorted_order[k]];
   *
   * A stable sort, so the same permutation as JavaScript's (stable since ES2019) for any
   * consistent comparator. `base` names the copy.
   */
  sortedCopy(source: Expr, compare: FunctionValue, base: string, node: ts.Node): Expr {
    const host = this.host;
    const type = host.typeOf(source, node);
    if (type.kind !== "array" || type.element.kind !== "number") return host.reject(Codes.UnsupportedCall, "sorting is supported on arrays of numbers only; copy the numbers you sort by into a number[] and sort that", node);
    const span = host.span(node);
    const length: Expr = { kind: "length", object: source };
    const INDICES: ValueType = { kind: "array", element: b.NUMBER, container: "int32array", readonly: false };
    const indices = (name: string): string => {
      const array = host.variable(name, INDICES, false);
      host.emit({ kind: "declare", name: array, type: INDICES, init: { kind: "zeros", container: "int32array", length }, mutable: false, span });
      return array;
    };
    const copy = (to: string, from: (k: Expr) => Expr): Stmt => {
      const k = host.variable(`${base}_k`, b.NUMBER, true);
      return b.countUp(k, b.num(0), length, [b.assign({ kind: "index", object: b.v(to), index: b.v(k) }, from(b.v(k)))], span);
    };
    const permutation = indices(`${base}_order`);
    host.emit(copy(permutation, (k) => k));
    const merged = indices(`${base}_merged`);
    const [width, lo, mid, hi, left, right, slot, fromLeft] = (["width", "lo", "mid", "hi", "left", "right", `${base}_k`, "fromLeft"] as const).map((name) =>
      host.variable(name, name === "fromLeft" ? b.BOOLEAN : b.NUMBER, name !== "mid" && name !== "hi"),
    ) as [string, string, string, string, string, string, string, string];
    const { pre, value } = host.separately(() =>
      this.value(compare, [
        { kind: "value", value: b.index(source, b.index(b.v(permutation), b.v(left))), type: b.NUMBER, node },
        { kind: "value", value: b.index(source, b.index(b.v(permutation), b.v(right))), type: b.NUMBER, node },
      ], node),
    );
    if (host.typeOf(value, node).kind !== "number") host.reject(Codes.UnsupportedCall, "a comparator returns a number, negative when a sorts first: write '(a, b) => a - b' (ascending) or '(a, b) => b - a' (descending)", node);
    const order = value.kind === "var" || value.kind === "number" ? value : b.v(host.variable("order", b.NUMBER, false));
    const held: Stmt[] = order === value ? [] : [{ kind: "declare", name: (order as Extract<Expr, { kind: "var" }>).name, type: b.NUMBER, init: value, mutable: false, span }];
    const take = (from: string): Stmt[] => [
      b.assign({ kind: "index", object: b.v(merged), index: b.v(slot) }, b.index(b.v(permutation), b.v(from))),
      b.assign({ kind: "var", name: from }, b.add(b.v(from), b.num(1))),
    ];
    const bothHaveEntries = b.and(b.bin("<", b.v(left), b.v(mid)), b.bin("<", b.v(right), b.v(hi)));
    const step: Stmt[] = [
      { kind: "declare", name: fromLeft, type: b.BOOLEAN, init: b.bin(">=", b.v(right), b.v(hi)), mutable: true, span },
      { kind: "if", test: bothHaveEntries, then: [...pre, ...held, b.assign({ kind: "var", name: fromLeft }, b.not(b.bin(">", order, b.num(0))))], else: [] },
      { kind: "if", test: b.and(b.bin("<", b.v(left), b.v(mid)), b.v(fromLeft)), then: take(left), else: take(right) },
    ];
    const twice = b.mul(b.num(2), b.v(width));
    const merge: Stmt[] = [
      { kind: "declare", name: mid, type: b.NUMBER, init: b.call("Math.min", [b.add(b.v(lo), b.v(width)), length]), mutable: false, span },
      { kind: "declare", name: hi, type: b.NUMBER, init: b.call("Math.min", [b.add(b.v(lo), twice), length]), mutable: false, span },
      { kind: "declare", name: left, type: b.NUMBER, init: b.v(lo), mutable: true, span },
      { kind: "declare", name: right, type: b.NUMBER, init: b.v(mid), mutable: true, span },
      { kind: "loop", form: "for", init: [b.declare(slot, b.v(lo), true)], test: b.bin("<", b.v(slot), b.v(hi)), update: [b.assign({ kind: "var", name: slot }, b.add(b.v(slot), b.num(1)))], body: step, span },
    ];
    const pass: Stmt[] = [
      { kind: "loop", form: "for", init: [b.declare(lo, b.num(0), true)], test: b.bin("<", b.v(lo), length), update: [b.assign({ kind: "var", name: lo }, b.add(b.v(lo), twice))], body: merge, span },
      copy(permutation, (i) => b.index(b.v(merged), i)),
    ];
    host.emit({ kind: "loop", form: "for", init: [b.declare(width, b.num(1), true)], test: b.bin("<", b.v(width), length), update: [b.assign({ kind: "var", name: width }, b.mul(b.v(width), b.num(2)))], body: pass, span });
    // The copy gathers through the permutation (an Int32Array's sorted copy holds numbers).
    return host.builtArray(base, type.container === "int32array" ? "array" : type.container, length, (k) => b.index(source, b.index(b.v(permutation), k)), node);
  }

  /**
   * `xs.map((v, i) => ({ x: v, y: ys[i] }))`: an array of objects of numbers, held as one
   * local array per field (`points_x`, `points_y`), which every later read of an array of
   * objects understands (`points[i].x`, `for (const p of points)`, `points.reduce(…)`).
   */
  private mapToRecords(fn: Extract<FunctionValue, { kind: "closure" }>, args: Argument[], counter: string, length: Expr, loop: (from: Expr, body: Stmt[]) => Stmt, call: ts.CallExpression, declared?: { name: string; mutable: boolean }): Expr {
    const host = this.host;
    const base = declared?.name ?? "mapped";
    let arrays: { name: string; array: string }[] = [];
    const body = this.inLoop(fn, args, (value, node) => {
      const type = host.typeOf(value, node);
      if (type.kind !== "record" || !type.fields.every((f) => f.type.kind === "number")) {
        return host.reject(Codes.UnsupportedCall, "the objects this callback returns must hold numbers only", node);
      }
      arrays = type.fields.map((f) => ({ name: f.name, array: host.variable(`${base}_${f.name}`, NUMBER_ARRAY, false) }));
      return arrays.map(({ name, array }) => b.assign({ kind: "index", object: b.v(array), index: b.v(counter) }, host.fieldOf(value, name, node)));
    }, call, 1);
    const span = host.span(call);
    host.emit(...arrays.map(({ array }): Stmt => ({ kind: "declare", name: array, type: NUMBER_ARRAY, init: { kind: "zeros", container: "array", length }, mutable: false, span })));
    host.emit(loop(b.num(0), body));
    const records = host.localRecords(arrays);
    if (declared) {
      // `const points = xs.map(…)`: another name for the field arrays.
      if (declared.mutable) host.reject(Codes.UnsupportedStatement, `declare '${declared.name}' with 'const': it names the arrays of the objects' fields`, call);
      host.bind(declared.name, host.typeOf(records, call), false);
      host.alias(declared.name, records);
    }
    return records;
  }

  /**
   * A call of a function value in an expression: its body inlined (statements emitted
   * before the calling statement), its result the value.
   */
  value(fn: FunctionValue, args: Argument[], call: ts.Node): Expr {
    const host = this.host;
    if (fn.kind === "program") return host.programCall(fn.name, args.map((a) => this.plain(a)), call);
    if (fn.kind === "math") return b.call(fn.name, args.slice(0, 1).map((a) => this.plain(a)));
    return this.inlined(fn, args, call, () => {
      const node = fn.node;
      const body = node.body!;
      if (!ts.isBlock(body)) return host.lowerExpr(body);
      const statements = body.statements;
      const returns = returnsOf(body);
      const last = statements[statements.length - 1];
      if (returns.length === 0) {
        host.emit(...host.lowerStatementsHere(statements));
        return b.num(0); // a function returning nothing: only its effects remain
      }
      if (returns.length === 1 && last === returns[0] && returns[0].expression) {
        host.emit(...host.lowerStatementsHere(statements.slice(0, -1)));
        return host.lowerExpr(returns[0].expression);
      }
      // Several returns: each assigns the result, then leaves the body (jumps.ts).
      // A method or getter (`Complex.abs`) names it after its own name: a variable name has no dot.
      const result = host.variable(`${fn.name.slice(fn.name.lastIndexOf(".") + 1)}Result`, b.NUMBER, true);
      const target: JumpTarget = { kind: "callback", exits: new Set(), resultTarget: { kind: "var", name: result }, noLoop: true };
      const lowered = host.withTarget(target, () => host.lowerStatementsHere(statements));
      const type = assignedType(lowered, result, host, node) ?? b.NUMBER;
      host.retype(result, type);
      if (type.kind !== "number" && type.kind !== "boolean") {
        host.reject(Codes.UnsupportedStatement, `a local function returning ${type.kind === "array" ? "an array" : "an object"} from more than one place cannot be inlined; return it from one final 'return'`, node);
      }
      host.emit({ kind: "declare", name: result, type, init: type.kind === "boolean" ? b.bool(false) : b.num(0), mutable: true, span: host.span(call) }, ...closeRegion(lowered, target.exits, (x) => host.fresh(x)));
      return b.v(result);
    });
  }

  /**
   * The body of a generated loop: the callback with `args`, its result assigned to `into`
   * (discarded when null, as forEach does). `return e` becomes `into = e; continue;`.
   */
  inLoop(fn: FunctionValue, args: Argument[], into: LValue | null | ((value: Expr, node: ts.Node) => Stmt[]), call: ts.Node, programArity: number): Stmt[] {
    const host = this.host;
    if (fn.kind === "program") {
      // A program function passed by name gets the arguments it would use (the element; the accumulator and element).
      const value = host.programCall(fn.name, args.slice(0, programArity).map((a) => this.plain(a)), call);
      if (typeof into === "function") return into(value, call);
      if (into) return [b.assign(into, value)];
      return value.kind === "userCall" ? [{ kind: "call", callee: value.callee, args: value.args, span: host.span(call) }] : [];
    }
    if (fn.kind === "math") {
      // `xs.map(Math.exp)`: JavaScript passes the index and the array too, which a one-argument Math function ignores.
      if (programArity !== 1) return host.reject(Codes.UnsupportedCall, `${fn.name} takes one number; reduce passes the accumulator and the element: write '(acc, v) => …'`, call);
      const value = b.call(fn.name, [this.plain(args[0]!)]);
      return typeof into === "function" ? into(value, call) : into ? [b.assign(into, value)] : [];
    }
    const { pre, value } = host.separately(() =>
      this.inlined(fn, args, call, () => {
        const body = fn.node.body!;
        if (!ts.isBlock(body)) {
          if (typeof into === "function") return into(host.lowerExpr(body), body);
          if (into) {
            const value = host.lowerExpr(body);
            const returned = host.typeOf(value, body);
            if (returned.kind === "record") host.reject(Codes.UnsupportedCall, "this callback must return a number; an array of objects built in the function is not supported: keep one array per field (xs, ys), or take the objects as a parameter", body);
            if (returned.kind !== "number") host.reject(Codes.UnsupportedCall, `this callback must return a number; a local matrix is supported as 'const m = Array.from({ length: n }, () => new Array<number>(k).fill(0))' (or with '(_, j) => …' computing each entry), read and written as m[i][j]; otherwise keep a flat number[] of n * k entries, indexed [i * k + j]`, body);
            return [b.assign(into, value)];
          }
          return host.lowerExpressionStatement(body, host.span(body));
        }
        if (typeof into === "function") {
          // A block ending in the only `return { … }` (returnsObjectLiteral): its statements, then the object.
          const returned = body.statements[body.statements.length - 1];
          if (!returned || !ts.isReturnStatement(returned) || !returned.expression || returnsOf(body).length !== 1) {
            return host.reject(Codes.UnsupportedCall, "return the object from one final 'return { … }' at the end of this callback (or write it as an arrow that returns the object: '(v) => ({ … })')", fn.node);
          }
          return [...host.lowerStatementsHere(body.statements.slice(0, -1)), ...into(host.lowerExpr(returned.expression), returned.expression)];
        }
        const target: JumpTarget = { kind: "callback", exits: new Set(), ...(into && { resultTarget: into }) };
        const lowered = host.withTarget(target, () => host.lowerStatementsHere(body.statements));
        return closeRegion(lowered, target.exits, (x) => host.fresh(x));
      }),
    );
    return [...pre, ...value];
  }

  private plain(a: Argument): Expr {
    if (a.kind === "view") return this.host.reject(Codes.UnsupportedCall, "a row of a local matrix (or the matrix) can be given to a function of this file or a local function, which is then inlined; pass the numbers it needs otherwise", a.node);
    if (a.kind === "function") return this.host.reject(Codes.UnsupportedCall, "a function passed on to a program function that is not inlined here; pass it to a helper written in this build", a.node);
    return a.value;
  }

  /**
   * Lowers a closure's body in its own scopes, with its parameters bound to `args`:
   * a variable or constant argument is another name for it, anything else a `const`.
   */
  private inlined<T>(fn: Extract<FunctionValue, { kind: "closure" }>, args: Argument[], call: ts.Node, body: () => T): T {
    const host = this.host;
    if (this.inlining.includes(fn.node)) {
      host.reject(Codes.Recursion, `'${fn.name}' calls itself; a recursive function cannot be differentiated here, write it as a loop`, call);
    }
    this.inlining.push(fn.node);
    try {
      return host.within(fn.captured, () => {
        if (fn.receiver) host.alias("this", fn.receiver);
        const assigned = assignedNames(fn.node);
        fn.node.parameters.forEach((p, k) => {
          if (ts.isIdentifier(p.name) && p.name.text === "this") return;
          if (p.dotDotDotToken) host.reject(Codes.UnsupportedType, "a rest parameter cannot be inlined; take an array", p);
          let arg = args[k];
          if (!arg && p.initializer) {
            const value = host.lowerExpr(p.initializer);
            arg = { kind: "value", value, type: host.typeOf(value, p.initializer), node: p.initializer };
          }
          if (!arg) {
            if (p.questionToken) return host.alias((p.name as ts.Identifier).text, b.v("undefined"));
            return host.reject(Codes.UnsupportedCall, `'${fn.name}' needs an argument for '${p.name.getText()}'`, call);
          }
          if (arg.kind === "view") {
            if (!ts.isIdentifier(p.name) || assigned.has(p.name.text)) host.reject(Codes.UnsupportedCall, `'${fn.name}' takes a row of a local matrix (or the matrix) as '${p.name.getText()}': give it a plain parameter name that the function does not assign`, p);
            return arg.bind((p.name as ts.Identifier).text);
          }
          if (arg.kind === "function") {
            if (!ts.isIdentifier(p.name)) host.reject(Codes.UnsupportedCall, "a function argument must be bound to a plain parameter name", p);
            return host.bindFunction((p.name as ts.Identifier).text, arg.fn);
          }
          if (!ts.isIdentifier(p.name)) {
            host.emit(...host.bindPattern(p.name, arg.value, arg.type, false, p));
            return;
          }
          const name = p.name.text;
          if (arg.binding) return host.bindExisting(name, arg.binding.irName, arg.type, arg.binding.mutable);
          const reusable = arg.value.kind === "number" || arg.value.kind === "var" || arg.value.kind === "record";
          if (reusable && !assigned.has(name)) return host.alias(name, arg.value);
          if (arg.type.kind === "record") host.reject(Codes.UnsupportedCall, `pass an object variable or literal as '${name}'`, arg.node);
          const mutable = assigned.has(name);
          const irName = host.bind(name, arg.type, mutable);
          host.emit({ kind: "declare", name: irName, type: arg.type, init: arg.value, mutable, span: host.span(p) });
        });
        return body();
      });
    } finally {
      this.inlining.pop();
    }
  }
}

/** `for (let i = from; i >= 0; i--) body`. */
function countDown(i: string, from: Expr, body: Stmt[], span: SourceSpan): Stmt {
  return { kind: "loop", form: "for", init: [b.declare(i, from, true)], test: b.bin(">=", b.v(i), b.num(0)), update: [b.assign({ kind: "var", name: i }, b.sub(b.v(i), b.num(1)))], body, span };
}

/** Whether a callback returns an object literal: `(v) => ({ … })`, or a block whose final `return` gives one. */
function returnsObjectLiteral(body: ts.Block | ts.Expression): boolean {
  if (!ts.isBlock(body)) return ts.isObjectLiteralExpression(skipParentheses(body));
  const last = body.statements[body.statements.length - 1];
  return !!last && ts.isReturnStatement(last) && !!last.expression && ts.isObjectLiteralExpression(skipParentheses(last.expression));
}

/** The `return` statements of a function body (not those of functions nested in it). */
export function returnsOf(body: ts.Block): ts.ReturnStatement[] {
  const out: ts.ReturnStatement[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isReturnStatement(n)) out.push(n);
    if (ts.isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return out;
}

/** Names a function body assigns (`t = …`, `t += …`, `t++`), to give such parameters a variable of their own. */
function assignedNames(fn: ts.SignatureDeclaration): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(n.left)) out.add(n.left.text);
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && ts.isIdentifier(n.operand) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) out.add(n.operand.text);
    ts.forEachChild(n, visit);
  };
  if ("body" in fn && fn.body) visit(fn.body);
  return out;
}

/** The type of the first value assigned to `name` in lowered statements. */
function assignedType(list: Stmt[], name: string, host: CallbackHost, node: ts.Node): ValueType | undefined {
  for (const s of list) {
    if (s.kind === "assign" && s.target.kind === "var" && s.target.name === name) return host.typeOf(s.value, node);
    const inner = s.kind === "if" ? [...s.then, ...s.else] : s.kind === "loop" || s.kind === "block" ? s.body : [];
    const found = inner.length ? assignedType(inner, name, host, node) : undefined;
    if (found) return found;
  }
  return undefined;
}
