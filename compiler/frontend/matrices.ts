/**
 * Local matrices, lowered to flat arrays:
 *
 *   const m = Array.from({ length: n }, () => new Array<number>(k).fill(0))
 *       → const m = new Array<number>(n * k).fill(0)      (also Array(k).fill(0), new Float64Array(k))
 *   const w = Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => f(i, j)))
 *   const z = xs.map((v, i) => Array.from({ length: k }, (_, j) => …))
 *       → the same, filled by two counted loops
 *   m[i][j] → m[i * k + j]      m.length → n      m[i].length → k      m.flat() → a copy
 *
 * so every later pass sees an ordinary local array. A row alone (`const row = m[i]`) or the
 * matrix passed whole is refused by the lowering, which asks `has`.
 */
import { ts } from "../typescript.ts";
import { Codes, type DiagnosticCode, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { ArrayContainer, Expr, Stmt, ValueType } from "../ir/nodes.ts";

/** What matrix lowering needs from the lowering. */
export interface MatrixHost {
  /** The source text of a node. */
  textOf(node: ts.Node): string;
  span(node: ts.Node): SourceSpan;
  reject(code: DiagnosticCode, message: string, node: ts.Node): never;
  lowerExpr(e: ts.Expression): Expr;
  typeOf(e: Expr, node: ts.Node): ValueType;
  fresh(base: string): string;
  bind(name: string, type: ValueType, mutable: boolean): string;
  alias(name: string, value: Expr): void;
  /** A new number array named after `base`, of `length` elements `element(i)`, built by a loop before the statement. */
  builtArray(base: string, container: ArrayContainer, length: Expr, element: (i: Expr) => Expr, node: ts.Node): Expr;
  hold(value: Expr, base: string, node: ts.Node): Expr;
  inScope<T>(f: () => T): T;
  arrayValue(e: ts.Expression, base: string): Expr;
  /** The IR name a source name denotes here (not another name for a value). */
  irNameOf(name: string): string | undefined;
}

export class LocalMatrices {
  /** The matrices declared so far, by the IR name of their flat array. */
  private readonly byName = new Map<string, { rows: Expr; cols: Expr }>();

  constructor(private readonly host: MatrixHost) {}

  /** Rows named as values (`for (const row of m)`, `const row = m[i]`), by the row name's IR name: views of the flat array. */
  private readonly rowViews = new Map<string, { flat: string; cols: Expr; at: Expr }>();

  /** Whether the IR variable `irName` is a local matrix's flat array, or a row of one. */
  has(irName: string): boolean {
    return this.byName.has(irName) || this.rowViews.has(irName);
  }

  /** The row count of the local matrix `e` names, and a way to name one of its rows (loops.ts). */
  rowsOf(e: ts.Expression): { rows: Expr; bindRow(name: string, at: Expr, node: ts.Node): void } | undefined {
    const matrix = this.matrixOf(e);
    if (!matrix) return undefined;
    return { rows: matrix.rows, bindRow: (name, at) => this.bindRow(name, matrix, at) };
  }

  /** `const row = m[i]`: row i, the index held in a const (the row stays the one it named when i changes). Null for anything else. */
  declareRow(name: string, init: ts.Expression, mutable: boolean, d: ts.Node): Stmt[] | null {
    const access = skipOuter(init);
    const matrix = ts.isElementAccessExpression(access) ? this.matrixOf(access.expression) : undefined;
    if (!matrix) return null;
    const host = this.host;
    if (mutable) host.reject(Codes.UnsupportedStatement, `declare the row '${name}' with 'const': it names a row of the local matrix`, d);
    const index = host.lowerExpr((access as ts.ElementAccessExpression).argumentExpression);
    if (index.kind === "number") {
      this.bindRow(name, matrix, index);
      return [];
    }
    const at = host.bind(host.fresh(`${name}_at`), b.NUMBER, false);
    this.bindRow(name, matrix, b.v(at));
    return [{ kind: "declare", name: at, type: b.NUMBER, init: index, mutable: false, span: host.span(d) }];
  }

  private bindRow(name: string, matrix: { irName: string; cols: Expr }, at: Expr): void {
    const irName = this.host.bind(name, { kind: "array", element: b.NUMBER, container: "array", readonly: false }, false);
    this.rowViews.set(irName, { flat: matrix.irName, cols: matrix.cols, at });
  }

  /** A row view named by `e` (an identifier), if it is one. */
  private rowOf(e: ts.Expression): { flat: string; cols: Expr; at: Expr } | undefined {
    const x = skipOuter(e);
    const irName = ts.isIdentifier(x) ? this.host.irNameOf(x.text) : undefined;
    return irName === undefined ? undefined : this.rowViews.get(irName);
  }

  /**
   * `const m = Array.from({ length: n }, () => new Array<number>(k).fill(0))` (or
   * `Array(k).fill(0)`, `new Float64Array(k)`, or `Array.from({ length: k }, (_, j) => …)`
   * filling each entry; or `xs.map(() => …)` with a row per element): a local n × k matrix.
   * Null when `init` is none of these.
   */
  declare(name: string, init: ts.Expression, mutable: boolean, d: ts.Node): Stmt[] | null {
    const host = this.host;
    const call = skipOuter(init);
    if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression)) return null;
    const method = call.expression.name.text;
    const owner = call.expression.expression;
    const [first, second] = call.arguments;
    let rowsNode: ts.Expression | undefined;
    if (method === "from" && ts.isIdentifier(owner) && owner.text === "Array" && first && ts.isObjectLiteralExpression(first)) rowsNode = lengthOf(first);
    const overArray = method === "map" && call.arguments.length === 1 ? owner : undefined;
    const mapper = overArray ? first : second;
    if (!rowsNode && !overArray) return null;
    if (!mapper || !(ts.isArrowFunction(mapper) || ts.isFunctionExpression(mapper)) || ts.isBlock(mapper.body)) return null;
    const row = rowOf(skipOuter(mapper.body as ts.Expression));
    if (!row) return null;
    if (mutable) host.reject(Codes.UnsupportedStatement, `declare the local matrix '${name}' with 'const' (its entries can still be written)`, d);
    const span = host.span(d);
    const source = overArray ? host.arrayValue(overArray, "items") : undefined;
    const rows = source ? ({ kind: "length", object: source } as Expr) : host.lowerExpr(rowsNode!);
    const held = (e: Expr, base: string, node: ts.Node) => (e.kind === "number" || e.kind === "var" || e.kind === "length" ? e : host.hold(e, base, node));
    const rowCount = held(rows, `${name}_rows`, overArray ?? rowsNode!);
    const cols = held(host.lowerExpr(row.length), `${name}_cols`, row.length);
    const type: ValueType = { kind: "array", element: b.NUMBER, container: row.container, readonly: false };
    const flat = host.bind(name, type, false);
    this.byName.set(flat, { rows: rowCount, cols });
    const declare: Stmt = { kind: "declare", name: flat, type, init: { kind: "zeros", container: row.container, length: b.mul(rowCount, cols) }, mutable: false, span };
    if (!row.entry) return [declare];
    // Each entry computed: (i, j) => value, in two counted loops.
    const entry = row.entry;
    const fill = host.inScope(() => {
      const i = host.bind(host.fresh(`${name}_i`), b.NUMBER, true);
      // The row's callback: (element, i) over an array, (_, i) for Array.from.
      const [elementParam, rowParam] = mapper.parameters;
      if (source && elementParam && ts.isIdentifier(elementParam.name)) host.alias(elementParam.name.text, b.index(source, b.v(i)));
      if (rowParam && ts.isIdentifier(rowParam.name)) host.alias(rowParam.name.text, b.v(i));
      const inner = host.inScope(() => {
        const j = host.bind(host.fresh(`${name}_j`), b.NUMBER, true);
        const colParam = entry.parameters[1];
        if (colParam && ts.isIdentifier(colParam.name)) host.alias(colParam.name.text, b.v(j));
        const value = host.lowerExpr(entry.body as ts.Expression);
        if (host.typeOf(value, entry.body).kind !== "number") host.reject(Codes.UnsupportedExpression, "each entry of a local matrix must be a number", entry.body);
        return b.countUp(j, b.num(0), cols, [b.assign({ kind: "index", object: b.v(flat), index: b.add(b.mul(b.v(i), cols), b.v(j)) }, value)], span);
      });
      return b.countUp(i, b.num(0), rowCount, [inner], span);
    });
    return [declare, fill];
  }

  /** A local matrix named by `e` (an identifier), if it is one. */
  private matrixOf(e: ts.Expression): { irName: string; rows: Expr; cols: Expr } | undefined {
    const x = skipOuter(e);
    const irName = ts.isIdentifier(x) ? this.host.irNameOf(x.text) : undefined;
    const matrix = irName === undefined ? undefined : this.byName.get(irName);
    return matrix && { irName: irName!, ...matrix };
  }

  /** `m.length` and `m[i].length` (`e` is what `.length` is read of); undefined for anything else. */
  length(e: ts.Expression): Expr | undefined {
    const matrix = this.matrixOf(e);
    if (matrix) return matrix.rows;
    const view = this.rowOf(e);
    if (view) return view.cols;
    const row = skipOuter(e);
    return ts.isElementAccessExpression(row) ? this.matrixOf(row.expression)?.cols : undefined;
  }

  /** `m[i][j]` of a local matrix: its flat array's entry i·cols + j; `m[i]` alone is refused. Undefined for anything else. */
  element(e: ts.ElementAccessExpression): Expr | undefined {
    const host = this.host;
    const view = this.rowOf(e.expression);
    if (view) {
      const j = host.lowerExpr(e.argumentExpression);
      if (host.typeOf(j, e.argumentExpression).kind !== "number") host.reject(Codes.UnsupportedExpression, "array indices must be numbers", e.argumentExpression);
      return b.index(b.v(view.flat), b.add(b.mul(view.at, view.cols), j));
    }
    const alone = this.matrixOf(e.expression);
    if (alone) host.reject(Codes.UnsupportedExpression, `a row of the local matrix '${host.textOf(e.expression)}' is read as '${host.textOf(e)}[j]', or named with 'const row = ${host.textOf(e)}'`, e);
    const inner = skipOuter(e.expression);
    const matrix = ts.isElementAccessExpression(inner) ? this.matrixOf(inner.expression) : undefined;
    if (!matrix) return undefined;
    const [i, j] = [(inner as ts.ElementAccessExpression).argumentExpression, e.argumentExpression].map((x) => {
      const index = host.lowerExpr(x);
      if (host.typeOf(index, x).kind !== "number") host.reject(Codes.UnsupportedExpression, "array indices must be numbers", x);
      return index;
    });
    return b.index(b.v(matrix.irName), b.add(b.mul(i!, matrix.cols), j!));
  }

  /** `m.flat()` of a local matrix: a copy of its flat array (JavaScript's flat() copies too); undefined for any other call. */
  flat(node: ts.CallExpression): Expr | undefined {
    const host = this.host;
    const callee = node.expression;
    const matrix = ts.isPropertyAccessExpression(callee) && callee.name.text === "flat" && node.arguments.length === 0 ? this.matrixOf(callee.expression) : undefined;
    if (!matrix) return undefined;
    const type = host.typeOf(b.v(matrix.irName), node) as Extract<ValueType, { kind: "array" }>;
    // JavaScript's flat() flattens arrays only: rows that are Float64Arrays stay rows.
    if (type.container !== "array") host.reject(Codes.UnsupportedCall, "flat() keeps Float64Array rows as they are (it flattens arrays only); build the rows with new Array<number>(k).fill(0), or loop over m[i][j]", node);
    return host.builtArray(`${matrix.irName}_flat`, type.container, { kind: "length", object: b.v(matrix.irName) }, (i) => b.index(b.v(matrix.irName), i), node);
  }
}

function skipOuter(e: ts.Expression): ts.Expression {
  let x = e;
  while (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isSatisfiesExpression(x) || ts.isNonNullExpression(x)) x = x.expression;
  return x;
}

/** `{ length: n }`: its n. */
function lengthOf(o: ts.ObjectLiteralExpression): ts.Expression | undefined {
  const only = o.properties.length === 1 ? o.properties[0] : undefined;
  return only && ts.isPropertyAssignment(only) && ts.isIdentifier(only.name) && only.name.text === "length" ? only.initializer : undefined;
}

/**
 * A matrix row as written in a local matrix's initializer: `new Array<number>(k).fill(0)`,
 * `Array(k).fill(0)`, `new Float64Array(k)` (zeros), or `Array.from({ length: k }, (_, j) => …)`.
 */
function rowOf(e: ts.Expression): { length: ts.Expression; container: "array" | "float64array"; entry?: ts.ArrowFunction | ts.FunctionExpression } | undefined {
  if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "Float64Array" && e.arguments?.length === 1) return { length: e.arguments[0]!, container: "float64array" };
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    const created = e.expression.expression;
    const zero = e.arguments.length === 1 && ts.isNumericLiteral(e.arguments[0]!) && Number((e.arguments[0] as ts.NumericLiteral).text) === 0;
    if (e.expression.name.text === "fill" && zero && (ts.isNewExpression(created) || ts.isCallExpression(created)) && ts.isIdentifier(created.expression) && created.expression.text === "Array" && created.arguments?.length === 1) {
      return { length: created.arguments[0]!, container: "array" };
    }
    const [first, mapper] = e.arguments;
    if (e.expression.name.text === "from" && ts.isIdentifier(created) && created.text === "Array" && first && ts.isObjectLiteralExpression(first) && lengthOf(first) && mapper && (ts.isArrowFunction(mapper) || ts.isFunctionExpression(mapper)) && !ts.isBlock(mapper.body)) {
      return { length: lengthOf(first)!, container: "array", entry: mapper };
    }
  }
  return undefined;
}
