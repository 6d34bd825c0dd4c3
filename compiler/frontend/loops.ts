/**
 * Loops, lowered to the IR's one loop statement (`for` with init, test, update and body;
 * `while`; `doWhile`):
 *
 *   for (init; test; update) body          → the same, in a scope of its own
 *   while (test) body, do body while (test) → the same
 *   for (const v of xs) body               → for (let v_i = 0; v_i < xs.length; v_i++) { const v = xs[v_i]; body }
 *   for (const [i, v] of xs.entries())     → the same with i as the counter
 *   for (const { w, b } of layers)         → over the records' index (`layers.w[i]`, `layers.b[i]`)
 *   for (const i in xs)                    → a counted loop whose counter only indexes arrays
 *
 * A condition that needs statements of its own (a callback, a spread) becomes
 * `pre; if (!test) break;` at the top of each iteration. Each body is a jump region
 * (jumps.ts): `continue outer` and `break outer` from an inner loop set flags here.
 */
import { ts } from "../typescript.ts";
import { Codes, type DiagnosticCode, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { Expr, Stmt, ValueType } from "../ir/nodes.ts";
import { closeRegion, pascal, type JumpTarget } from "./jumps.ts";

/** What loop lowering needs from the lowering. */
export interface LoopHost {
  span(node: ts.Node): SourceSpan;
  reject(code: DiagnosticCode, message: string, node: ts.Node): never;
  typeOf(e: Expr, node: ts.Node): ValueType;
  fresh(base: string): string;
  bind(name: string, type: ValueType, mutable: boolean): string;
  /** Binds a `for…in` key: a number the lowering lets index arrays only (JavaScript makes it a string). */
  bindIndexKey(name: string): string;
  bindPattern(pattern: ts.BindingName, value: Expr, type: ValueType, mutable: boolean, node: ts.Node): Stmt[];
  /** Runs `f` in a new block scope. */
  inScope<T>(f: () => T): T;
  withTarget<T>(target: JumpTarget, f: () => T): T;
  separately<T>(lower: () => T): { pre: Stmt[]; value: T };
  lowerCondition(e: ts.Expression): Expr;
  /** A `for` loop's initializer: declarations (bound in the loop's scope) or an expression. */
  lowerForInitializer(initializer: ts.ForInitializer, span: SourceSpan): Stmt[];
  lowerExpressionStatement(e: ts.Expression, span: SourceSpan): Stmt[];
  /** A statement as a block body: a block's statements, or the statement, in a scope of its own. */
  lowerBody(statement: ts.Statement): Stmt[];
  lowerStatement(s: ts.Statement): Stmt[];
  /** An array expression a loop can index repeatedly (a variable, or a local holding it). */
  arrayValue(e: ts.Expression, base: string): Expr;
  recordAt(object: Expr, type: Extract<ValueType, { kind: "record" }>, index: Expr, node: ts.Node): Expr;
  recordsLength(object: Expr, type: Extract<ValueType, { kind: "record" }>, node: ts.Node): Expr;
  /** A local matrix (frontend/matrices.ts) named by `e`: its row count, and a way to name row `at` as `name`. */
  matrixRows(e: ts.Expression): { rows: Expr; bindRow(name: string, at: Expr, node: ts.Node): void } | undefined;
  /** A row of a local matrix named by `e` (`row`, `m[i]`): its length and its entries. */
  matrixRow(e: ts.Expression): { length: Expr; at(j: Expr): Expr } | undefined;
}

export function lowerWhile(host: LoopHost, node: ts.WhileStatement, span: SourceSpan, label: string | undefined): Stmt {
  const { pre, test } = loopTest(host, node.expression);
  const body = loopBody(host, label, () => [...exitUnless(pre, test), ...host.lowerBody(node.statement)]);
  return { kind: "loop", form: pre.length ? "for" : "while", init: [], test: pre.length ? null : test, update: [], body, span };
}

export function lowerDoWhile(host: LoopHost, node: ts.DoStatement, span: SourceSpan, label: string | undefined): Stmt {
  const body = loopBody(host, label, () => host.lowerBody(node.statement));
  const { pre, test } = loopTest(host, node.expression);
  if (pre.length) host.reject(Codes.UnsupportedExpression, "this loop condition needs statements of its own (a callback or a spread): compute it into a variable at the end of the loop body", node.expression);
  return { kind: "loop", form: "doWhile", init: [], test, update: [], body, span };
}

export function lowerFor(host: LoopHost, node: ts.ForStatement, span: SourceSpan, label: string | undefined): Stmt {
  return host.inScope(() => {
    const init = node.initializer ? host.lowerForInitializer(node.initializer, span) : [];
    const { pre, test } = node.condition ? loopTest(host, node.condition) : { pre: [], test: null };
    const update = node.incrementor ? host.separately(() => host.lowerExpressionStatement(node.incrementor!, host.span(node.incrementor!))) : { pre: [], value: [] };
    if (update.pre.length) host.reject(Codes.UnsupportedExpression, "this loop update needs statements of its own (a callback or a spread): do it at the end of the loop body", node.incrementor!);
    const body = loopBody(host, label, () => [...(test ? exitUnless(pre, test) : []), ...host.lowerBody(node.statement)]);
    return { kind: "loop", form: "for", init, test: pre.length ? null : test, update: update.value, body, span } satisfies Stmt;
  });
}

/**
 * `for (const v of xs) body` → `for (let v_i = 0; v_i < xs.length; v_i++) { const v = xs[v_i]; body }`;
 * also `for (const [i, v] of xs.entries())` (i is the counter), `for (const v of xs.values())`
 * and `for (const [a, b] of pairs)`.
 */
export function lowerForOf(host: LoopHost, node: ts.ForOfStatement, span: SourceSpan, label: string | undefined): Stmt {
  if (node.awaitModifier) host.reject(Codes.UnsupportedStatement, "'for await' cannot be differentiated; make the function synchronous", node);
  const list = node.initializer;
  if (!ts.isVariableDeclarationList(list) || list.declarations.length !== 1) {
    return host.reject(Codes.UnsupportedStatement, "for…of must declare one variable: 'for (const v of xs)'", node.initializer);
  }
  const pattern = list.declarations[0]!.name;
  const mutable = (list.flags & ts.NodeFlags.Const) === 0;
  // `xs.entries()`: [index, value] pairs.
  let source = node.expression;
  let entries = false;
  if (ts.isCallExpression(source) && ts.isPropertyAccessExpression(source.expression) && source.expression.name.text === "entries" && source.arguments.length === 0) {
    if (!ts.isArrayBindingPattern(pattern) || pattern.elements.length !== 2) {
      host.reject(Codes.UnsupportedStatement, "write 'for (const [i, v] of xs.entries())'", pattern);
    }
    source = source.expression.expression;
    entries = true;
  } else if (ts.isCallExpression(source) && ts.isPropertyAccessExpression(source.expression) && source.expression.name.text === "values" && source.arguments.length === 0) {
    // `xs.values()`: the elements, as `for (const v of xs)`.
    source = source.expression.expression;
  }
  const matrix = entries ? undefined : host.matrixRows(source);
  if (matrix) {
    // `for (const row of m)` over a local matrix: row i is a view of the flat array (`row[j]` is `m[i * k + j]`).
    if (!ts.isIdentifier(pattern) || mutable) host.reject(Codes.UnsupportedStatement, "loop over a local matrix's rows as 'for (const row of m)' and read 'row[j]'", pattern);
    return host.inScope(() => {
      const counter = host.bind(`${(pattern as ts.Identifier).text}_i`, b.NUMBER, true);
      const init: Stmt[] = [b.declare(counter, b.num(0), true)];
      const test = b.bin("<", b.v(counter), matrix.rows);
      const update: Stmt[] = [b.assign({ kind: "var", name: counter }, b.add(b.v(counter), b.num(1)))];
      const body = loopBody(host, label, () =>
        host.inScope(() => {
          matrix.bindRow((pattern as ts.Identifier).text, b.v(counter), pattern);
          return ts.isBlock(node.statement) ? node.statement.statements.flatMap((s) => host.lowerStatement(s)) : host.lowerStatement(node.statement);
        }),
      );
      return { kind: "loop", form: "for", init, test, update, body, span } satisfies Stmt;
    });
  }
  // `for (const v of row)` over a row of a local matrix: its entries in the flat array.
  const row = host.matrixRow(source);
  const iterable = row ? undefined : host.arrayValue(source, "item");
  const iterableType: ValueType = iterable ? host.typeOf(iterable, source) : { kind: "array", element: b.NUMBER, container: "array", readonly: true };
  const records = iterableType.kind === "record" && iterableType.arrayOfRecords ? iterableType : undefined;
  if (iterableType.kind !== "array" && !records) host.reject(Codes.UnsupportedStatement, "for…of is supported over arrays only", node.expression);
  const indexName = entries ? bindingIdentifier((pattern as ts.ArrayBindingPattern).elements[0]!) : undefined;
  const valuePattern = entries ? (pattern as ts.ArrayBindingPattern).elements[1]! : pattern;
  // A record's counter is named after the array (`layer_i` over `layers`).
  const singular = records && iterable?.kind === "var" ? /(?:^|\.)([a-z]\w*[^s_])s$/.exec(iterable.name)?.[1] : undefined;
  const base = ts.isIdentifier(pattern) ? pattern.text : singular ?? "item";
  return host.inScope(() => {
    const counter = host.bind(indexName ?? `${base}_i`, b.NUMBER, true);
    const init: Stmt[] = [b.declare(counter, b.num(0), true)];
    // An array of records loops over the records' index: `for (const { w, b } of layers)` reads `layers.w[i]`, `layers.b[i]`.
    const test = b.bin("<", b.v(counter), row ? row.length : records ? host.recordsLength(iterable!, records, source) : { kind: "length", object: iterable! });
    const update: Stmt[] = [b.assign({ kind: "var", name: counter }, b.add(b.v(counter), b.num(1)))];
    const body = loopBody(host, label, () =>
      host.inScope(() => {
        const element = row ? row.at(b.v(counter)) : records ? host.recordAt(iterable!, records, b.v(counter), source) : b.index(iterable!, b.v(counter));
        const elementType = records ? host.typeOf(element, source) : (iterableType as Extract<ValueType, { kind: "array" }>).element;
        const head = ts.isOmittedExpression(valuePattern) ? [] : host.bindPattern(ts.isBindingElement(valuePattern) ? valuePattern.name : valuePattern, element, elementType, mutable, list);
        const rest = ts.isBlock(node.statement) ? node.statement.statements.flatMap((s) => host.lowerStatement(s)) : host.lowerStatement(node.statement);
        return [...head, ...rest];
      }),
    );
    return { kind: "loop", form: "for", init, test, update, body, span } satisfies Stmt;
  });
}

/**
 * `for (const i in xs)` over an array's indices: a counted loop. JavaScript makes `i` a
 * string, so it may only index arrays (`xs[i]`, `ys[i]`); arithmetic on it is rejected.
 */
export function lowerForIn(host: LoopHost, node: ts.ForInStatement, span: SourceSpan, label: string | undefined): Stmt {
  const list = node.initializer;
  if (!ts.isVariableDeclarationList(list) || list.declarations.length !== 1 || !ts.isIdentifier(list.declarations[0]!.name)) {
    return host.reject(Codes.UnsupportedStatement, "for…in must declare one variable: 'for (const i in xs)'", node.initializer);
  }
  const key = list.declarations[0]!.name as ts.Identifier;
  const iterable = host.arrayValue(node.expression, "item");
  if (host.typeOf(iterable, node.expression).kind !== "array") {
    host.reject(Codes.UnsupportedStatement, "for…in is supported over an array's indices only; for an object's fields, read each field by name", node.expression);
  }
  return host.inScope(() => {
    const counter = host.bindIndexKey(key.text);
    const init: Stmt[] = [b.declare(counter, b.num(0), true)];
    const test = b.bin("<", b.v(counter), { kind: "length", object: iterable });
    const update: Stmt[] = [b.assign({ kind: "var", name: counter }, b.add(b.v(counter), b.num(1)))];
    const body = loopBody(host, label, () => host.lowerBody(node.statement));
    return { kind: "loop", form: "for", init, test, update, body, span } satisfies Stmt;
  });
}

/**
 * A loop's body with the loop as the innermost jump target. Jumps that left it from inside
 * another loop (`continue outer`, `break outer`) are exits of the body region (jumps.ts).
 */
function loopBody(host: LoopHost, label: string | undefined, lower: () => Stmt[]): Stmt[] {
  const target: JumpTarget = { kind: "loop", exits: new Set(), ...(label && { label }) };
  let body = host.withTarget(target, lower);
  body = closeRegion(body, target.exits, (x) => host.fresh(x), label ? `continue${pascal(label)}` : "skip");
  if (target.breakFlag) {
    body = [b.declare(target.breakFlag, b.bool(false), true, b.BOOLEAN), ...body, { kind: "if", test: b.v(target.breakFlag), then: [{ kind: "break" }], else: [] }];
  }
  return body;
}

/** A loop condition; statements it needs become part of each iteration (see exitUnless). */
function loopTest(host: LoopHost, e: ts.Expression): { pre: Stmt[]; test: Expr } {
  const { pre, value } = host.separately(() => host.lowerCondition(e));
  return { pre, test: value };
}

/** `pre; if (!test) break;` at the top of a loop body whose condition needs statements. */
function exitUnless(pre: Stmt[], test: Expr): Stmt[] {
  return pre.length ? [...pre, { kind: "if", test: b.not(test), then: [{ kind: "break" }], else: [] }] : [];
}

/** The plain name bound by a binding element, if it is one. */
function bindingIdentifier(el: ts.ArrayBindingElement): string | undefined {
  return ts.isBindingElement(el) && ts.isIdentifier(el.name) ? el.name.text : undefined;
}
