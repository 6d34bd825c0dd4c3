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
 *   const m: number[][] = []; … m.push(row);        (rows pushed one by one, of any lengths)
 *       → const m: number[] = []; const m_rowStart: number[] = []; const m_rowLength: number[] = [];
 *         m.push(row) → m_rowStart.push(m.length); m_rowLength.push(row.length); for (…) m.push(row[j]);
 *         m[i][j] → m[m_rowStart[i] + j]      m.length → m_rowStart.length      m[i].length → m_rowLength[i]
 *
 * so every later pass sees an ordinary local array. Rows by name (`for (const row of m)`,
 * `const row = m[i]`) are views of the flat array, and so are a row or the matrix passed to
 * a function (`dot(m[i], x)`, `energy(m)`: the function is inlined with its parameter a view,
 * `argument`). Any other use of the matrix or a row as a value is refused by the lowering,
 * which asks `has`.
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
  /** Whether an IR name is a parameter of the function. */
  isParameter(irName: string): boolean;
  /** Lowers with the statements it needs kept apart (to go inside a loop). */
  separately<T>(lower: () => T): { pre: Stmt[]; value: T };
}

/** A local matrix's shape: its row count, where row i starts in the flat array, and row i's length. */
interface Shape {
  /** The IR name of the flat array (a parameter bound to the matrix is another name for it). */
  flat: string;
  rows: Expr;
  start(i: Expr): Expr;
  cols(i: Expr): Expr;
  /** Rows pushed one by one: the flat array's companions, appended to by each push. */
  pushed?: { starts: string; lengths: string };
}

/** A row named as a value: the flat array it views, where it starts there, and its length. */
interface RowView {
  flat: string;
  start: Expr;
  cols: Expr;
  /** A row built in place to be pushed (declareBuilding): its push records it. */
  building?: boolean;
  /** Built in place by pushes (`const row: number[] = []; row.push(v)`): its length is the flat array's growth since its start. */
  grown?: boolean;
}

const NUMBER_ARRAY: ValueType = { kind: "array", element: b.NUMBER, container: "array", readonly: false };

export class LocalMatrices {
  /** The matrices declared so far, by the IR name of their flat array. */
  private readonly byName = new Map<string, Shape>();

  constructor(private readonly host: MatrixHost) {}

  /** Rows named as values (`for (const row of m)`, `const row = m[i]`), by the row name's IR name: views of the flat array. */
  private readonly rowViews = new Map<string, RowView>();

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

  private bindRow(name: string, matrix: Shape & { irName: string }, at: Expr): void {
    const irName = this.host.bind(name, NUMBER_ARRAY, false);
    this.rowViews.set(irName, { flat: matrix.irName, start: matrix.start(at), cols: matrix.cols(at) });
  }

  /** A row view named by `e` (an identifier), if it is one. */
  private rowOf(e: ts.Expression): RowView | undefined {
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
    // A row mapped over an array that depends on the row's own element or index (`A.map((r) => r.map(…))`):
    // each row's length is its own, so the rows are appended as pushed rows are.
    const outer = new Set(mapper.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
    if (row.over && mentions(row.over, outer)) return this.appendRows(name, mapper, row as Required<typeof row>, source, source ? { kind: "length", object: source } : host.lowerExpr(rowsNode!), span);
    const rows = source ? ({ kind: "length", object: source } as Expr) : host.lowerExpr(rowsNode!);
    const held = (e: Expr, base: string, node: ts.Node) => (e.kind === "number" || e.kind === "var" || e.kind === "length" ? e : host.hold(e, base, node));
    const rowCount = held(rows, `${name}_rows`, overArray ?? rowsNode!);
    const over = row.over ? host.arrayValue(row.over, "columns") : undefined;
    const cols = over ? ({ kind: "length", object: over } as Expr) : held(host.lowerExpr(row.length), `${name}_cols`, row.length);
    const type: ValueType = { kind: "array", element: b.NUMBER, container: row.container, readonly: false };
    const flat = host.bind(name, type, false);
    this.byName.set(flat, { flat, rows: rowCount, start: (i) => b.mul(i, cols), cols: () => cols });
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
        const [element, colParam] = entry.parameters;
        if (over && element && ts.isIdentifier(element.name)) host.alias(element.name.text, b.index(over, b.v(j)));
        if (colParam && ts.isIdentifier(colParam.name)) host.alias(colParam.name.text, b.v(j));
        // An entry may need statements of its own (a reduce): they go inside the loop.
        const { pre, value } = host.separately(() => host.lowerExpr(entry.body as ts.Expression));
        if (host.typeOf(value, entry.body).kind !== "number") host.reject(Codes.UnsupportedExpression, "each entry of a local matrix must be a number", entry.body);
        return b.countUp(j, b.num(0), cols, [...pre, b.assign({ kind: "index", object: b.v(flat), index: b.add(b.mul(b.v(i), cols), b.v(j)) }, value)], span);
      });
      return b.countUp(i, b.num(0), rowCount, [inner], span);
    });
    return [declare, fill];
  }

  /**
   * `const B = A.map((row) => row.map((v) => …))`: rows whose lengths are their own, each
   * appended to the flat array with its start and length recorded, as pushed rows are
   * (`declarePushed`):
   *
   *   for (let i = 0; i < A.length; i++) {
   *     B_rowStart.push(B.length); B_rowLength.push(A[i].length);
   *     for (let j = 0; j < A[i].length; j++) B.push(entry(A[i][j], j));
   *   }
   */
  private appendRows(name: string, mapper: ts.ArrowFunction | ts.FunctionExpression, row: { entry: ts.ArrowFunction | ts.FunctionExpression; over: ts.Expression }, source: Expr | undefined, rows: Expr, span: SourceSpan): Stmt[] {
    const host = this.host;
    const { declarations, flat, starts, lengths } = this.emptyRows(name, span);
    const fill = host.inScope(() => {
      const i = host.bind(host.fresh(`${name}_i`), b.NUMBER, true);
      const [elementParam, rowParam] = mapper.parameters;
      if (source && elementParam && ts.isIdentifier(elementParam.name)) host.alias(elementParam.name.text, b.index(source, b.v(i)));
      if (rowParam && ts.isIdentifier(rowParam.name)) host.alias(rowParam.name.text, b.v(i));
      const { pre, value: over } = host.separately(() => host.arrayValue(row.over, ts.isIdentifier(row.over) ? row.over.text : "columns"));
      const length: Expr = { kind: "length", object: over };
      const inner = host.inScope(() => {
        const j = host.bind(host.fresh(`${name}_j`), b.NUMBER, true);
        const [element, colParam] = row.entry.parameters;
        if (element && ts.isIdentifier(element.name)) host.alias(element.name.text, b.index(over, b.v(j)));
        if (colParam && ts.isIdentifier(colParam.name)) host.alias(colParam.name.text, b.v(j));
        const { pre: entryPre, value } = host.separately(() => host.lowerExpr(row.entry.body as ts.Expression));
        if (host.typeOf(value, row.entry.body).kind !== "number") host.reject(Codes.UnsupportedExpression, "each entry of a local matrix must be a number", row.entry.body);
        return b.countUp(j, b.num(0), length, [...entryPre, { kind: "append", array: flat, value, span }], span);
      });
      return b.countUp(i, b.num(0), rows, [
        ...pre,
        { kind: "append", array: starts, value: { kind: "length", object: b.v(flat) }, span },
        { kind: "append", array: lengths, value: length, span },
        inner,
      ], span);
    });
    return [...declarations, fill];
  }

  /**
   * `const m: number[][] = []` (rows pushed later, `push`): the flat array and the start and
   * length of each row, all empty. Null unless `init` is `[]` and the declared type a matrix of numbers.
   */
  declarePushed(name: string, init: ts.Expression, declared: ValueType | undefined, mutable: boolean, d: ts.Node): Stmt[] | null {
    const host = this.host;
    const empty = skipOuter(init);
    if (!ts.isArrayLiteralExpression(empty) || empty.elements.length > 0) return null;
    if (declared?.kind !== "array" || declared.element.kind !== "array" || declared.element.element.kind !== "number") return null;
    if (mutable) host.reject(Codes.UnsupportedStatement, `declare the local matrix '${name}' with 'const' (rows can still be pushed and entries written)`, d);
    return this.emptyRows(name, host.span(d)).declarations;
  }

  /** A matrix of no rows yet: its flat array and the start and length of each row, all empty. */
  private emptyRows(name: string, span: SourceSpan): { declarations: Stmt[]; flat: string; starts: string; lengths: string } {
    const host = this.host;
    const flat = host.bind(name, NUMBER_ARRAY, false);
    const starts = host.bind(host.fresh(`${name}_rowStart`), NUMBER_ARRAY, false);
    const lengths = host.bind(host.fresh(`${name}_rowLength`), NUMBER_ARRAY, false);
    this.byName.set(flat, { flat, rows: { kind: "length", object: b.v(starts) }, start: (i) => b.index(b.v(starts), i), cols: (i) => b.index(b.v(lengths), i), pushed: { starts, lengths } });
    const declarations = [flat, starts, lengths].map((n): Stmt => ({ kind: "declare", name: n, type: NUMBER_ARRAY, init: { kind: "arrayLiteral", elements: [] }, mutable: false, span }));
    return { declarations, flat, starts, lengths };
  }

  /**
   * `m.push(row)` on a matrix declared empty: the row's entries appended to the flat array,
   * where it starts and its length to theirs. The matrix keeps a copy, so a row named by a
   * variable must be complete: declared in the block that pushes it, not mentioned after.
   * Null when `call` pushes onto anything else.
   */
  push(call: ts.CallExpression, span: SourceSpan): Stmt[] | null {
    const host = this.host;
    const callee = call.expression as ts.PropertyAccessExpression;
    const grownRow = this.rowOf(callee.expression);
    if (grownRow?.grown) {
      // `row.push(v)` on a row grown in place: v appended to the matrix's flat array.
      if (call.arguments.length !== 1 || ts.isSpreadElement(call.arguments[0]!)) return host.reject(Codes.UnsupportedCall, `push one number at a time onto '${host.textOf(callee.expression)}'`, call);
      const value = host.lowerExpr(call.arguments[0]!);
      if (host.typeOf(value, call.arguments[0]!).kind !== "number") host.reject(Codes.UnsupportedCall, `a row is an array of numbers`, call.arguments[0]!);
      return [{ kind: "append", array: grownRow.flat, value, span }];
    }
    const matrix = this.matrixOf(callee.expression);
    if (!matrix) return null;
    const m = host.textOf(callee.expression);
    if (!matrix.pushed) return host.reject(Codes.UnsupportedCall, `rows are pushed onto a local matrix declared empty ('const ${m}: number[][] = []'); '${m}' has a fixed number of rows: write them as ${m}[i][j]`, call);
    const [arg] = call.arguments;
    if (!arg || call.arguments.length !== 1 || ts.isSpreadElement(arg)) return host.reject(Codes.UnsupportedCall, `push one row at a time ('${m}.push(row)')`, call);
    const named = skipOuter(arg);
    const building = this.rowOf(named);
    if (building?.building && building.flat === matrix.irName) {
      // Built in place (declareBuilding): its entries are already the flat array's last.
      completeRow(host, named as ts.Identifier, call);
      return [
        { kind: "append", array: matrix.pushed.starts, value: building.start, span },
        { kind: "append", array: matrix.pushed.lengths, value: building.cols, span },
      ];
    }
    if (building || (ts.isElementAccessExpression(named) && this.matrixOf(named.expression))) {
      host.reject(Codes.UnsupportedCall, `push a copy of a row of a local matrix ('${m}.push(Array.from(${host.textOf(named)}))' is not supported either): build the new row in a local array and push that`, arg);
    }
    if (ts.isArrayLiteralExpression(named) && !named.elements.some(ts.isSpreadElement)) {
      // `m.push([a, b, c])`: each entry appended (no row array made).
      const entries = named.elements.map((x) => {
        const value = host.lowerExpr(x);
        if (host.typeOf(value, x).kind !== "number") host.reject(Codes.UnsupportedCall, `a row of '${m}' is an array of numbers`, x);
        return value;
      });
      return [
        { kind: "append", array: matrix.pushed.starts, value: { kind: "length", object: b.v(matrix.irName) }, span },
        { kind: "append", array: matrix.pushed.lengths, value: b.num(entries.length), span },
        ...entries.map((value): Stmt => ({ kind: "append", array: matrix.irName, value, span })),
      ];
    }
    if (ts.isIdentifier(named)) {
      // A parameter is never written here (its rows are the caller's): a copy reads the same numbers.
      const irName = host.irNameOf(named.text);
      const enclosing = ts.findAncestor(call, ts.isFunctionLike);
      if (!irName || !host.isParameter(irName)) completeRow(host, named, call);
      else if (enclosing && writesInto(enclosing, named.text)) host.reject(Codes.UnsupportedCall, `push a copy of '${named.text}' ('${m}.push(${named.text}.slice())' before writing into it): the matrix keeps a copy of the row, and a later change would not reach it`, call);
    }
    const row = host.arrayValue(arg, "row");
    const type = host.typeOf(row, arg);
    if (type.kind !== "array" || type.element.kind !== "number") host.reject(Codes.UnsupportedCall, `a row of '${m}' is an array of numbers`, arg);
    const j = host.bind(host.fresh(`${matrix.irName}_j`), b.NUMBER, true);
    return [
      { kind: "append", array: matrix.pushed.starts, value: { kind: "length", object: b.v(matrix.irName) }, span },
      { kind: "append", array: matrix.pushed.lengths, value: { kind: "length", object: row }, span },
      b.countUp(j, b.num(0), { kind: "length", object: row }, [{ kind: "append", array: matrix.irName, value: b.index(row, b.v(j)), span }], span),
    ];
  }

  /**
   * `const row = new Array<number>(k).fill(0)` (or any row `declare` takes) that the block
   * later pushes onto a local matrix declared empty (`m.push(row)`): the row is built in place,
   * k entries appended to the matrix's flat array and `row` a view of them, so the push only
   * records where it starts and its length (a local array made in a loop could not be kept
   * for the reverse sweep). Null for anything else.
   */
  declareBuilding(name: string, init: ts.Expression, mutable: boolean, d: ts.VariableDeclaration): Stmt[] | null {
    const host = this.host;
    const empty = skipOuter(init);
    // `const row: number[] = []` grown by `row.push(v)`: its entries are appended to the flat array as they come.
    const grown = ts.isArrayLiteralExpression(empty) && empty.elements.length === 0;
    const shape = grown ? undefined : rowOf(empty);
    if (shape?.over) return null;
    const statement = d.parent?.parent;
    const block = statement?.parent;
    if ((!shape && !grown) || !statement || !block || !(ts.isBlock(block) || ts.isCaseClause(block))) return null;
    const later = block.statements.slice(block.statements.indexOf(statement as ts.Statement) + 1);
    const pushAt = later.findIndex((s) => pushOf(s, name) !== undefined);
    const push = pushAt < 0 ? undefined : pushOf(later[pushAt]!, name);
    const matrix = push && this.matrixOf(push);
    if (!matrix?.pushed) return null;
    if (mutable) host.reject(Codes.UnsupportedStatement, `declare the row '${name}' with 'const': it is pushed onto the local matrix '${host.textOf(push!)}'`, d);
    const span = host.span(d);
    const start = host.bind(host.fresh(`${name}_start`), b.NUMBER, false);
    if (!shape) {
      // Grown in place: nothing else may append to the matrix until the row is pushed.
      const matrixText = host.textOf(push!);
      const other = later.slice(0, pushAt).find((s) => pushesOnto(s, matrixText));
      if (other) host.reject(Codes.UnsupportedCall, `write '${matrixText}.push(${name})' before pushing another row onto '${matrixText}': '${name}' is built in place at the end of '${matrixText}'`, other);
      const irName = host.bind(name, NUMBER_ARRAY, false);
      const cols = b.sub({ kind: "length", object: b.v(matrix.irName) }, b.v(start));
      this.rowViews.set(irName, { flat: matrix.irName, start: b.v(start), cols, building: true, grown: true });
      return [{ kind: "declare", name: start, type: b.NUMBER, init: { kind: "length", object: b.v(matrix.irName) }, mutable: false, span }];
    }
    const length = host.lowerExpr(shape.length);
    const cols = length.kind === "number" || length.kind === "var" ? length : host.hold(length, `${name}_length`, shape.length);
    const out: Stmt[] = [{ kind: "declare", name: start, type: b.NUMBER, init: { kind: "length", object: b.v(matrix.irName) }, mutable: false, span }];
    const fill = host.inScope(() => {
      const j = host.bind(host.fresh(`${name}_j`), b.NUMBER, true);
      let value: Expr = b.num(0);
      if (shape.entry) {
        const colParam = shape.entry.parameters[1];
        if (colParam && ts.isIdentifier(colParam.name)) host.alias(colParam.name.text, b.v(j));
        value = host.lowerExpr(shape.entry.body as ts.Expression);
        if (host.typeOf(value, shape.entry.body).kind !== "number") host.reject(Codes.UnsupportedExpression, "each entry of a row must be a number", shape.entry.body);
      }
      return b.countUp(j, b.num(0), cols, [{ kind: "append", array: matrix.irName, value, span }], span);
    });
    out.push(fill);
    const irName = host.bind(name, NUMBER_ARRAY, false);
    this.rowViews.set(irName, { flat: matrix.irName, start: b.v(start), cols, building: true });
    return out;
  }

  /** A local matrix named by `e` (an identifier), if it is one. */
  private matrixOf(e: ts.Expression): (Shape & { irName: string }) | undefined {
    const x = skipOuter(e);
    const irName = ts.isIdentifier(x) ? this.host.irNameOf(x.text) : undefined;
    const matrix = irName === undefined ? undefined : this.byName.get(irName);
    return matrix && { irName: matrix.flat, ...matrix };
  }

  /** `m.length` and `m[i].length` (`e` is what `.length` is read of); undefined for anything else. */
  length(e: ts.Expression): Expr | undefined {
    const matrix = this.matrixOf(e);
    if (matrix) return matrix.rows;
    const view = this.rowOf(e);
    if (view) return view.cols;
    const row = skipOuter(e);
    const of = ts.isElementAccessExpression(row) ? this.matrixOf(row.expression) : undefined;
    if (!of) return undefined;
    // Rows of one length need no index; pushed rows have each their own.
    return of.pushed ? of.cols(this.index((row as ts.ElementAccessExpression).argumentExpression)) : of.cols(b.num(0));
  }

  private index(x: ts.Expression): Expr {
    const index = this.host.lowerExpr(x);
    if (this.host.typeOf(index, x).kind !== "number") this.host.reject(Codes.UnsupportedExpression, "array indices must be numbers", x);
    return index;
  }

  /** `m[i][j]` of a local matrix: its flat array's entry i·cols + j; `m[i]` alone is refused. Undefined for anything else. */
  element(e: ts.ElementAccessExpression): Expr | undefined {
    const host = this.host;
    const view = this.rowOf(e.expression);
    if (view) return b.index(b.v(view.flat), b.add(view.start, this.index(e.argumentExpression)));
    const alone = this.matrixOf(e.expression);
    if (alone) host.reject(Codes.UnsupportedExpression, `a row of the local matrix '${host.textOf(e.expression)}' is read as '${host.textOf(e)}[j]', or named with 'const row = ${host.textOf(e)}'`, e);
    const inner = skipOuter(e.expression);
    const matrix = ts.isElementAccessExpression(inner) ? this.matrixOf(inner.expression) : undefined;
    if (!matrix) return undefined;
    const [i, j] = [(inner as ts.ElementAccessExpression).argumentExpression, e.argumentExpression].map((x) => this.index(x));
    return b.index(b.v(matrix.irName), b.add(matrix.start(i!), j!));
  }

  /** A row of a local matrix (`row`, `m[i]`) read as an array: its length, its entries, and a way to name it (a view). */
  row(e: ts.Expression): { length: Expr; at(j: Expr): Expr; bind(name: string): void } | undefined {
    const x = skipOuter(e);
    if (!this.rowOf(x) && !(ts.isElementAccessExpression(x) && this.matrixOf(x.expression))) return undefined;
    const bind = this.argument(x, false)!;
    const view = this.rowOf(x) ?? (() => {
      // `m[i]`: bound once, under a name of its own, so every read below uses the same index.
      const name = this.host.fresh("row");
      bind(name);
      return this.rowViews.get(this.host.irNameOf(name)!)!;
    })();
    return { length: view.cols, at: (j) => b.index(b.v(view.flat), b.add(view.start, j)), bind: (name) => void this.rowViews.set(this.host.bind(name, NUMBER_ARRAY, false), view) };
  }

  /** Whether `e` is a local matrix, a row of one (`m[i]`) or a named row: what `argument` binds. */
  isMatrixOrRow(e: ts.Expression): boolean {
    const x = skipOuter(e);
    return !!this.rowOf(x) || !!this.matrixOf(x) || (ts.isElementAccessExpression(x) && !!this.matrixOf(x.expression));
  }

  /**
   * A row of a local matrix (`m[i]`, a named row) or the matrix (`m`) given to a function
   * inlined here: a way to bind the parameter as another name for it, a view of the flat
   * array, so the function reads and writes the matrix itself, as in JavaScript. `stable`:
   * the function cannot assign the caller's variables (not a closure), so a variable index
   * need not be held. Undefined for any other argument.
   */
  argument(e: ts.Expression, stable: boolean): ((name: string) => void) | undefined {
    const host = this.host;
    const x = skipOuter(e);
    const view = this.rowOf(x);
    if (view) return (name) => void this.rowViews.set(host.bind(name, NUMBER_ARRAY, false), view);
    const matrix = this.matrixOf(x);
    if (matrix) return (name) => void this.byName.set(host.bind(name, host.typeOf(b.v(matrix.flat), e), false), matrix);
    const of = ts.isElementAccessExpression(x) ? this.matrixOf(x.expression) : undefined;
    if (!of) return undefined;
    const index = this.index((x as ts.ElementAccessExpression).argumentExpression);
    const at = index.kind === "number" || (stable && index.kind === "var") ? index : host.hold(index, `${of.flat}_at`, (x as ts.ElementAccessExpression).argumentExpression);
    return (name) => this.bindRow(name, of, at);
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

const MUTATORS = new Set(["push", "pop", "shift", "unshift", "splice", "fill", "sort", "reverse", "copyWithin", "set"]);

/** Whether `node` writes into the array `name`: `name[i] = …` (or `+=`, `++`), or a method that changes it (`name.fill(0)`). */
export function writesInto(node: ts.Node, name: string): boolean {
  const rooted = (e: ts.Expression): boolean => {
    const x = skipOuter(e);
    return ts.isIdentifier(x) ? x.text === name : ts.isElementAccessExpression(x) ? rooted(x.expression) : false;
  };
  const visit = (n: ts.Node): boolean => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isElementAccessExpression(skipOuter(n.left)) && rooted(n.left)) return true;
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) && ts.isElementAccessExpression(skipOuter(n.operand)) && rooted(n.operand)) return true;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && MUTATORS.has(n.expression.name.text) && rooted(n.expression.expression)) return true;
    return !!ts.forEachChild(n, (c) => (visit(c) ? true : undefined));
  };
  return visit(node);
}

/** Whether `e` mentions any of `names`. */
function mentions(e: ts.Node, names: Set<string>): boolean {
  return (ts.isIdentifier(e) && names.has(e.text)) || !!ts.forEachChild(e, (c) => (mentions(c, names) ? true : undefined));
}

/** `m.push(name);` as a statement: its `m`. */
function pushOf(s: ts.Statement, name: string): ts.Expression | undefined {
  if (!ts.isExpressionStatement(s) || !ts.isCallExpression(s.expression)) return undefined;
  const call = s.expression;
  const [arg] = call.arguments;
  const pushes = ts.isPropertyAccessExpression(call.expression) && call.expression.name.text === "push" && call.arguments.length === 1;
  return pushes && arg && ts.isIdentifier(skipOuter(arg)) && (skipOuter(arg) as ts.Identifier).text === name ? call.expression.expression : undefined;
}

/**
 * A row pushed by name must be complete, as the matrix keeps a copy where JavaScript keeps
 * the array itself: declared in the block that pushes it (so each pass of a loop has a new
 * one) and not mentioned after the push.
 */
function completeRow(host: MatrixHost, row: ts.Identifier, call: ts.CallExpression): void {
  const statement = call.parent;
  const block = statement?.parent;
  const siblings = block && (ts.isBlock(block) || ts.isSourceFile(block) || ts.isCaseClause(block)) ? block.statements : undefined;
  const at = siblings && ts.isExpressionStatement(statement) ? siblings.indexOf(statement) : -1;
  const declares = (s: ts.Statement) => ts.isVariableStatement(s) && s.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === row.text);
  const mentions = (n: ts.Node): boolean => (ts.isIdentifier(n) && n.text === row.text) || !!ts.forEachChild(n, (c) => (mentions(c) ? true : undefined));
  if (at < 0 || !siblings!.slice(0, at).some(declares)) {
    host.reject(Codes.UnsupportedCall, `declare '${row.text}' in the block that pushes it ('const ${row.text} = …' in the loop's body), so each row is a new array: the matrix keeps a copy of each row pushed`, call);
  }
  if (siblings!.slice(at + 1).some(mentions)) {
    host.reject(Codes.UnsupportedCall, `push '${row.text}' once it is complete (after its last use in this block): the matrix keeps a copy of the row, and a change after the push would not reach it`, call);
  }
}

/** Whether `s` pushes anything onto the array written `matrix` (anywhere inside it). */
function pushesOnto(s: ts.Node, matrix: string): boolean {
  const found = (n: ts.Node): boolean =>
    (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === "push" && skipOuter(n.expression.expression).getText() === matrix) || !!ts.forEachChild(n, (c) => (found(c) ? true : undefined));
  return found(s);
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
function rowOf(e: ts.Expression): { length: ts.Expression; container: "array" | "float64array"; entry?: ts.ArrowFunction | ts.FunctionExpression; over?: ts.Expression } | undefined {
  if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "Float64Array" && e.arguments?.length === 1) return { length: e.arguments[0]!, container: "float64array" };
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    const created = e.expression.expression;
    const zero = e.arguments.length === 1 && ts.isNumericLiteral(e.arguments[0]!) && Number((e.arguments[0] as ts.NumericLiteral).text) === 0;
    if (e.expression.name.text === "fill" && zero && (ts.isNewExpression(created) || ts.isCallExpression(created)) && ts.isIdentifier(created.expression) && created.expression.text === "Array" && created.arguments?.length === 1) {
      return { length: created.arguments[0]!, container: "array" };
    }
    const [first, mapper] = e.arguments;
    // `ys.map((w, j) => …)`: a row of ys.length entries (an entry of a local matrix built by map).
    if (e.expression.name.text === "map" && e.arguments.length === 1 && first && (ts.isArrowFunction(first) || ts.isFunctionExpression(first)) && !ts.isBlock(first.body)) {
      return { length: created, container: "array", entry: first, over: created };
    }
    if (e.expression.name.text === "from" && ts.isIdentifier(created) && created.text === "Array" && first && ts.isObjectLiteralExpression(first) && lengthOf(first) && mapper && (ts.isArrowFunction(mapper) || ts.isFunctionExpression(mapper)) && !ts.isBlock(mapper.body)) {
      return { length: lengthOf(first)!, container: "array", entry: mapper };
    }
  }
  return undefined;
}
