/**
 * `const` wherever a binding is never reassigned (issue 17, item 6): the rule of ESLint's
 * `prefer-const`, checked on generated text. A `let` is reported when nothing after its
 * declaration writes it: no assignment (`=`, `+=`, …, destructuring), no `++`/`--`, no
 * `for (x of …)` target. Names are resolved by TypeScript's binder, so a `let x` shadowed
 * in an inner block is a different variable.
 */
import { readFileSync } from "node:fs";
import { ts } from "ts-morph";

export interface NeedlessLet {
  name: string;
  /** 1-based line of the declaration. */
  line: number;
}

/** The `let` bindings of `text` that are never reassigned (empty: every one of them is written again). */
export function needlessLets(text: string, fileName = "generated.ts"): NeedlessLet[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const host: ts.CompilerHost = {
    getSourceFile: (name) => (name === fileName ? source : undefined),
    getDefaultLibFileName: () => "lib.d.ts",
    writeFile: () => {},
    getCurrentDirectory: () => "/",
    getCanonicalFileName: (name) => name,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (name) => name === fileName,
    readFile: () => undefined,
  };
  const program = ts.createProgram([fileName], { noLib: true, noResolve: true, types: [] }, host);
  const checker = program.getTypeChecker();

  const written = new Set<ts.Symbol>();
  const write = (target: ts.Node): void => {
    const node = skipParentheses(target);
    if (ts.isIdentifier(node)) {
      const symbol = checker.getSymbolAtLocation(node);
      if (symbol) written.add(symbol);
    } else if (ts.isArrayLiteralExpression(node)) {
      node.elements.forEach((e) => write(ts.isSpreadElement(e) ? e.expression : e));
    } else if (ts.isObjectLiteralExpression(node)) {
      for (const p of node.properties) {
        if (ts.isShorthandPropertyAssignment(p)) {
          const symbol = checker.getShorthandAssignmentValueSymbol(p);
          if (symbol) written.add(symbol);
        }
        else if (ts.isPropertyAssignment(p)) write(p.initializer);
        else if (ts.isSpreadAssignment(p)) write(p.expression);
      }
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      write(node.left); // a default in a destructuring target: `[a = 1] = …`
    }
  };
  const lets: ts.Identifier[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && isAssignment(node.operatorToken.kind)) write(node.left);
    else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) write(node.operand);
    else if ((ts.isForOfStatement(node) || ts.isForInStatement(node)) && !ts.isVariableDeclarationList(node.initializer)) write(node.initializer);
    else if (ts.isVariableDeclarationList(node) && (node.flags & ts.NodeFlags.BlockScoped) === ts.NodeFlags.Let) {
      for (const d of node.declarations) collectNames(d.name, lets);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lets
    .filter((name) => {
      const symbol = checker.getSymbolAtLocation(name);
      return symbol !== undefined && !written.has(symbol);
    })
    .map((name) => ({ name: name.text, line: source.getLineAndCharacterOfPosition(name.getStart()).line + 1 }));
}

/** Every `let` in `text`, counted by name (destructured names included). */
export function countLets(text: string): number {
  const source = ts.createSourceFile("x.ts", text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const names: ts.Identifier[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclarationList(node) && (node.flags & ts.NodeFlags.BlockScoped) === ts.NodeFlags.Let) {
      for (const d of node.declarations) collectNames(d.name, names);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names.length;
}

function collectNames(name: ts.BindingName, into: ts.Identifier[]): void {
  if (ts.isIdentifier(name)) into.push(name);
  else for (const element of name.elements) if (!ts.isOmittedExpression(element)) collectNames(element.name, into);
}

function skipParentheses(node: ts.Node): ts.Node {
  while (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node) || ts.isAsExpression(node)) node = node.expression;
  return node;
}

function isAssignment(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** `file:line: 'name' is never reassigned; use const` for every needless `let` in `files`. */
export function needlessLetsIn(files: string[]): string[] {
  return files.flatMap((file) => needlessLets(readFileSync(file, "utf8"), file).map((l) => `${file}:${l.line}: '${l.name}' is never reassigned; use const`));
}
