/**
 * The operator-to-call rewrite: TypeScript source in, JavaScript (CommonJS) out, in which
 * every operation that can carry a derivative goes through `$t` (shim.ts):
 *
 *   a * b → $t.mul(a, b)        a ** b → $t.pow(a, b)       -a → $t.neg(a)
 *   a += b → a = $t.add(a, b)   x[i] *= y → $t.updateAt(x, i, "mul", y)
 *   i++ → i = $t.add(i, 1)      Math.sin(x) → $t.sin(x)      a < b → $t.lt(a, b)
 *   if (c) → if ($t.truthy(c))  a && b → $t.and(a, () => b)  (when a is not a boolean)
 *   new Float64Array(n) → $t.newFloat64Array(n)              (a plain array: it holds boxes)
 *   xs.indexOf(v) → $t.indexOf(xs, v)                          (compares values, not boxes; lastIndexOf, includes too)
 *
 * Everything else (declarations, control flow, element reads and writes, calls, literals)
 * is left as it is; types are stripped by `ts.transpileModule`. The rewrite also lists the
 * top-level functions and their parameter names, read from their declarations.
 */
import { ts } from "ts-morph";
import { MATH_FUNCTIONS } from "./rules.ts";

export interface RewrittenModule {
  /** The rewritten module as TypeScript (for reading and debugging). */
  readonly typescript: string;
  /** The rewritten module as CommonJS JavaScript, to be run with `$t` in scope. */
  readonly javascript: string;
  /** Top-level functions (declarations and `const f = (…) => …`) and their parameter names. */
  readonly functions: ReadonlyMap<string, readonly string[]>;
}

const ARITHMETIC: ReadonlyMap<ts.SyntaxKind, string> = new Map([
  [ts.SyntaxKind.PlusToken, "add"],
  [ts.SyntaxKind.MinusToken, "sub"],
  [ts.SyntaxKind.AsteriskToken, "mul"],
  [ts.SyntaxKind.SlashToken, "div"],
  [ts.SyntaxKind.PercentToken, "mod"],
  [ts.SyntaxKind.AsteriskAsteriskToken, "pow"],
]);

const COMPOUND: ReadonlyMap<ts.SyntaxKind, string> = new Map([
  [ts.SyntaxKind.PlusEqualsToken, "add"],
  [ts.SyntaxKind.MinusEqualsToken, "sub"],
  [ts.SyntaxKind.AsteriskEqualsToken, "mul"],
  [ts.SyntaxKind.SlashEqualsToken, "div"],
  [ts.SyntaxKind.PercentEqualsToken, "mod"],
  [ts.SyntaxKind.AsteriskAsteriskEqualsToken, "pow"],
]);

const COMPARISON: ReadonlyMap<ts.SyntaxKind, string> = new Map([
  [ts.SyntaxKind.LessThanToken, "lt"],
  [ts.SyntaxKind.LessThanEqualsToken, "le"],
  [ts.SyntaxKind.GreaterThanToken, "gt"],
  [ts.SyntaxKind.GreaterThanEqualsToken, "ge"],
  [ts.SyntaxKind.EqualsEqualsEqualsToken, "eq"],
  [ts.SyntaxKind.ExclamationEqualsEqualsToken, "ne"],
  [ts.SyntaxKind.EqualsEqualsToken, "looseEq"],
  [ts.SyntaxKind.ExclamationEqualsToken, "looseNe"],
]);

const NUMBER_PREDICATES = new Set(["isFinite", "isNaN", "isInteger", "isSafeInteger"]);
const MATH = new Set<string>(MATH_FUNCTIONS);

/** Whether an (original) expression certainly evaluates to a boolean. */
function isBoolean(e: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(e)) return isBoolean(e.expression);
  if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword) return true;
  if (ts.isPrefixUnaryExpression(e)) return e.operator === ts.SyntaxKind.ExclamationToken;
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (COMPARISON.has(op) || op === ts.SyntaxKind.InstanceOfKeyword || op === ts.SyntaxKind.InKeyword) return true;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) return isBoolean(e.left) && isBoolean(e.right);
  }
  return false;
}

function transformer(context: ts.TransformationContext): ts.Transformer<ts.SourceFile> {
  const f = context.factory;
  const $t = (name: string) => f.createPropertyAccessExpression(f.createIdentifier("$t"), name);
  const call = (name: string, args: readonly ts.Expression[]) => f.createCallExpression($t(name), undefined, args);
  const one = () => f.createNumericLiteral(1);
  const cond = (now: ts.Expression, before: ts.Expression) => (isBoolean(before) ? now : call("truthy", [now]));

  /** `target = op(target, value)` for a name, `$t.updateAt(o, k, op, value)` for an element or field. */
  function update(target: ts.Expression, op: string, value: ts.Expression): ts.Expression | undefined {
    const t = skipParens(target);
    if (ts.isIdentifier(t)) return f.createParenthesizedExpression(f.createAssignment(t, call(op, [f.createIdentifier(t.text), value])));
    if (ts.isElementAccessExpression(t)) return call("updateAt", [t.expression, t.argumentExpression, f.createStringLiteral(op), value]);
    if (ts.isPropertyAccessExpression(t) && ts.isIdentifier(t.name)) {
      return call("updateAt", [t.expression, f.createStringLiteral(t.name.text), f.createStringLiteral(op), value]);
    }
    return undefined;
  }

  function visit(original: ts.Node): ts.Node {
    const node = ts.visitEachChild(original, visit, context);

    if (ts.isBinaryExpression(node) && ts.isBinaryExpression(original)) {
      const op = node.operatorToken.kind;
      const name = ARITHMETIC.get(op) ?? COMPARISON.get(op);
      if (name) return call(name, [node.left, node.right]);
      const compound = COMPOUND.get(op);
      if (compound) return update(node.left, compound, node.right) ?? node;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
        if (isBoolean(original.left)) return node;
        const lazy = f.createArrowFunction(undefined, undefined, [], undefined, undefined, node.right);
        return call(op === ts.SyntaxKind.AmpersandAmpersandToken ? "and" : "or", [node.left, lazy]);
      }
      return node;
    }

    if (ts.isPrefixUnaryExpression(node) && ts.isPrefixUnaryExpression(original)) {
      switch (node.operator) {
        case ts.SyntaxKind.MinusToken:
          return ts.isNumericLiteral(node.operand) ? node : call("neg", [node.operand]);
        case ts.SyntaxKind.PlusToken:
          return call("pos", [node.operand]);
        case ts.SyntaxKind.ExclamationToken:
          return isBoolean(original.operand) ? node : f.createPrefixUnaryExpression(ts.SyntaxKind.ExclamationToken, call("truthy", [node.operand]));
        case ts.SyntaxKind.PlusPlusToken:
          return update(node.operand, "add", one()) ?? node;
        case ts.SyntaxKind.MinusMinusToken:
          return update(node.operand, "sub", one()) ?? node;
      }
      return node;
    }

    if (ts.isPostfixUnaryExpression(node) && ts.isPostfixUnaryExpression(original)) {
      const parent = original.parent;
      const unused = ts.isExpressionStatement(parent) || (ts.isForStatement(parent) && parent.incrementor === original);
      const inc = node.operator === ts.SyntaxKind.PlusPlusToken;
      if (unused) return update(node.operand, inc ? "add" : "sub", one()) ?? node;
      const delta = inc ? one() : f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, one());
      const t = skipParens(node.operand);
      if (ts.isIdentifier(t)) {
        const v = f.createIdentifier("$v");
        const set = f.createArrowFunction(undefined, undefined, [f.createParameterDeclaration(undefined, undefined, v)], undefined, undefined, f.createAssignment(f.createIdentifier(t.text), v));
        return call("postUpdate", [t, set, delta]);
      }
      if (ts.isElementAccessExpression(t)) return call("postUpdateAt", [t.expression, t.argumentExpression, delta]);
      if (ts.isPropertyAccessExpression(t) && ts.isIdentifier(t.name)) return call("postUpdateAt", [t.expression, f.createStringLiteral(t.name.text), delta]);
      return node;
    }

    // `xs.indexOf(v)`, `xs.lastIndexOf(v)`, `xs.includes(v)` compare numbers, not boxes (a box equal in value is another object).
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ["indexOf", "lastIndexOf", "includes"].includes(node.expression.name.text) && node.arguments.length === 1) {
      return call(node.expression.name.text, [node.expression.expression, node.arguments[0]!]);
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression)) {
      const object = node.expression.expression.text;
      const method = node.expression.name.text;
      if (object === "Math" && MATH.has(method)) return call(method, node.arguments);
      if (object === "Float64Array" && method === "from") return call("float64ArrayFrom", node.arguments);
      if (object === "Float64Array" && method === "of") return call("float64ArrayOf", node.arguments);
      if (object === "Number" && NUMBER_PREDICATES.has(method)) {
        return f.updateCallExpression(node, node.expression, node.typeArguments, node.arguments.map((a) => call("primal", [a])));
      }
      return node;
    }

    // `xs.map(Math.exp)`: the Math function as a value is the traced one (a call of it is rewritten above).
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "Math" && MATH.has(node.name.text)) {
      const parent = original.parent;
      if (!(parent && ts.isCallExpression(parent) && parent.expression === original)) return $t(node.name.text);
    }

    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
      if (node.expression.text === "Float64Array") return call("newFloat64Array", node.arguments ?? []);
      if (node.expression.text === "Array") return call("newArray", node.arguments ?? []);
      return node;
    }

    if (ts.isIfStatement(node) && ts.isIfStatement(original)) {
      return f.updateIfStatement(node, cond(node.expression, original.expression), node.thenStatement, node.elseStatement);
    }
    if (ts.isWhileStatement(node) && ts.isWhileStatement(original)) {
      return f.updateWhileStatement(node, cond(node.expression, original.expression), node.statement);
    }
    if (ts.isDoStatement(node) && ts.isDoStatement(original)) {
      return f.updateDoStatement(node, node.statement, cond(node.expression, original.expression));
    }
    if (ts.isForStatement(node) && ts.isForStatement(original) && node.condition && original.condition) {
      return f.updateForStatement(node, node.initializer, cond(node.condition, original.condition), node.incrementor, node.statement);
    }
    if (ts.isConditionalExpression(node) && ts.isConditionalExpression(original)) {
      return f.updateConditionalExpression(node, cond(node.condition, original.condition), node.questionToken, node.whenTrue, node.colonToken, node.whenFalse);
    }
    return node;
  }

  return (file) => ts.visitEachChild(file, visit, context);
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

/** Top-level functions of a source file with their parameter names. */
function topLevelFunctions(file: ts.SourceFile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // A destructured parameter is named after its type (`{ w, b }: Linear` → linear), else by position (arg0…).
  const names = (params: ts.NodeArray<ts.ParameterDeclaration>) =>
    params
      .filter((p) => !(ts.isIdentifier(p.name) && p.name.text === "this"))
      .map((p, i) => {
        if (ts.isIdentifier(p.name)) return p.name.text;
        const type = p.type && ts.isTypeReferenceNode(p.type) && ts.isIdentifier(p.type.typeName) ? p.type.typeName.text : null;
        return type ? type.charAt(0).toLowerCase() + type.slice(1) : `arg${i}`;
      });
  for (const s of file.statements) {
    if (ts.isFunctionDeclaration(s) && s.name && s.body) out.set(s.name.text, names(s.parameters));
    // An anonymous `export default function (…)`: addressed as "default".
    if (ts.isFunctionDeclaration(s) && !s.name && s.body) out.set("default", names(s.parameters));
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) {
        let init = d.initializer;
        while (init && (ts.isParenthesizedExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression(init))) init = init.expression;
        if (ts.isIdentifier(d.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) out.set(d.name.text, names(init.parameters));
      }
    }
  }
  return out;
}

export function rewriteSource(source: string, fileName = "module.ts"): RewrittenModule {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const functions = topLevelFunctions(file);
  const result = ts.transform(file, [transformer]);
  const typescript = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed }).printFile(result.transformed[0]!);
  result.dispose();
  const { outputText } = ts.transpileModule(typescript, {
    fileName,
    reportDiagnostics: false,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: false, removeComments: false },
  });
  return { typescript, javascript: outputText, functions };
}
