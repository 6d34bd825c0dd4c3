/**
 * Annotation discovery: finds top-level functions carrying tsgrad JSDoc tags
 * (`@grad`, `@jvp`, `@vjp`, `@hvp`, `@hessian`, `@jacobian`) and parses their
 * with-respect-to lists.
 *
 * Takes: a parsed ts-morph SourceFile. Gives: the annotated declarations with their
 * requests, and the module scope they may read. Rejects tags on anything that is not a
 * top-level function declaration, unknown wrt names, non-differentiable wrt parameters.
 */
import { ts, type SourceFile } from "ts-morph";
import { Codes, type Diagnostic, type SourceSpan } from "../diagnostics.ts";
import type { DerivativeRequest } from "../ir/nodes.ts";
import type { ModuleScope } from "./lower.ts";
import { isDifferentiable, shapeOfTypeNode, type TypeResolver } from "./types.ts";

export const MODES = ["grad", "jvp", "vjp", "hvp", "hessian", "jacobian"] as const;
type Mode = (typeof MODES)[number];

export interface AnnotatedDeclaration {
  node: ts.FunctionDeclaration;
  requests: DerivativeRequest[];
}

export interface Discovery {
  functions: AnnotatedDeclaration[];
  module: ModuleScope;
  diagnostics: Diagnostic[];
}

export function spanOf(node: ts.Node, sourceFile: ts.SourceFile, fileName: string): SourceSpan {
  const start = node.getStart(sourceFile);
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(start);
  return { file: fileName, line: line + 1, column: character + 1, length: Math.max(1, node.getEnd() - start) };
}

export function discoverAnnotations(file: SourceFile, fileName: string, resolveType?: TypeResolver): Discovery {
  const sf = file.compilerNode;
  const diagnostics: Diagnostic[] = [];
  const functions: AnnotatedDeclaration[] = [];
  const module: ModuleScope = { numericConstants: new Map(), mutableNames: new Set(), functionNames: new Set(), resolveType };

  module.exportedTypes = new Set();
  for (const statement of sf.statements) {
    const exported = !!(ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
    if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && exported) module.exportedTypes.add(statement.name.text);
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const el of statement.exportClause.elements) module.exportedTypes.add(el.name.text);
    }
    if (ts.isFunctionDeclaration(statement) && statement.name) module.functionNames.add(statement.name.text);
    if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) for (const el of bindings.elements) module.functionNames.add(el.name.text);
      if (statement.importClause?.name) module.functionNames.add(statement.importClause.name.text);
    }
    if (ts.isVariableStatement(statement)) {
      const isConst = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const d of statement.declarationList.declarations) {
        if (!ts.isIdentifier(d.name)) continue;
        const value = d.initializer && isConst ? numericLiteralValue(d.initializer) : undefined;
        if (value !== undefined) module.numericConstants.set(d.name.text, value);
        else if (!isConst) module.mutableNames.add(d.name.text);
      }
    }
  }

  // Tags on anything but a top-level function declaration are an error, not silently ignored.
  const visit = (node: ts.Node): void => {
    const isTopLevelFunction = ts.isFunctionDeclaration(node) && node.parent === sf;
    if (!isTopLevelFunction && (node as { jsDoc?: unknown }).jsDoc) {
      for (const tag of ts.getJSDocTags(node)) {
        if (!(MODES as readonly string[]).includes(tag.tagName.text)) continue;
        diagnostics.push({
          code: Codes.AnnotationOnNonFunction,
          message: `@${tag.tagName.text} must annotate a top-level function declaration ('function f(...) {...}')`,
          ...spanOf(tag, sf, fileName),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);

  for (const statement of sf.statements) {
    if (!ts.isFunctionDeclaration(statement)) continue;
    const requests: DerivativeRequest[] = [];
    const seen = new Set<Mode>();
    for (const tag of ts.getJSDocTags(statement)) {
      const mode = tag.tagName.text as Mode;
      if (!(MODES as readonly string[]).includes(mode)) continue;
      const span = spanOf(tag, sf, fileName);
      if (seen.has(mode)) {
        diagnostics.push({ code: Codes.DuplicateAnnotation, message: `@${mode} appears twice on this function`, ...span });
        continue;
      }
      seen.add(mode);
      const request = parseRequest(mode, tag, statement, sf, fileName, diagnostics, resolveType);
      if (request) requests.push(request);
    }
    if (seen.size > 0 && requests.length === seen.size) functions.push({ node: statement, requests });
    else if (seen.size > 0 && requests.length < seen.size) functions.push({ node: statement, requests: [] }); // reported
  }
  return { functions: functions.filter((f) => f.requests.length > 0), module, diagnostics };
}

function parseRequest(
  mode: Mode,
  tag: ts.JSDocTag,
  fn: ts.FunctionDeclaration,
  sf: ts.SourceFile,
  fileName: string,
  diagnostics: Diagnostic[],
  resolveType?: TypeResolver,
): DerivativeRequest | null {
  const span = spanOf(tag, sf, fileName);
  const text = typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? "";
  const tokens = text.split(/[\s,]+/).filter((s) => s.length > 0);
  let bandwidth: number | undefined;
  const names: string[] = [];
  for (const token of tokens) {
    const band = /^bandwidth=(\d+)$/.exec(token);
    if (mode === "hessian" && (band || token === "diagonal")) {
      bandwidth = band ? Number(band[1]) : 0;
    } else if (token.includes("=")) {
      diagnostics.push({
        code: Codes.UnknownWrtParameter,
        message: `@${mode} does not take the option '${token}'${mode === "hessian" ? " (known: bandwidth=K, diagonal)" : ""}`,
        ...span,
      });
      return null;
    } else {
      names.push(token);
    }
  }
  const params = fn.parameters.filter((p) => ts.isIdentifier(p.name));
  const byName = new Map(params.map((p) => [(p.name as ts.Identifier).text, p]));
  const differentiable = (p: ts.ParameterDeclaration) => {
    if (!p.type) return true; // reported as implicit any by the lowering
    const shape = shapeOfTypeNode(p.type, resolveType);
    return "error" in shape ? shape.error === "any" : isDifferentiable(shape);
  };
  let ok = true;
  for (const name of names) {
    const p = byName.get(name);
    if (!p) {
      const known = params.map((q) => `'${(q.name as ts.Identifier).text}'`).join(", ") || "none";
      diagnostics.push({
        code: Codes.UnknownWrtParameter,
        message: `@${mode} names '${name}', which is not a parameter of '${fn.name?.text}' (parameters: ${known})`,
        ...span,
      });
      ok = false;
    } else if (!differentiable(p)) {
      diagnostics.push({
        code: Codes.NotDifferentiableParameter,
        message: `@${mode} names '${name}', whose type '${p.type?.getText(sf)}' cannot be differentiated; differentiable types are number, number[], Float64Array, number[][] and objects of those`,
        ...spanOf(p, sf, fileName),
      });
      ok = false;
    }
  }
  if (!ok) return null;
  const wrt = names.length > 0
    ? params.map((p) => (p.name as ts.Identifier).text).filter((n) => names.includes(n))
    : params.filter(differentiable).map((p) => (p.name as ts.Identifier).text);
  if (wrt.length === 0) {
    diagnostics.push({ code: Codes.NotDifferentiableParameter, message: `@${mode}: '${fn.name?.text}' has no differentiable parameter`, ...span });
    return null;
  }
  return bandwidth === undefined ? { mode, wrt, span } : { mode, wrt, span, bandwidth };
}

function numericLiteralValue(e: ts.Expression): number | undefined {
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isParenthesizedExpression(e)) return numericLiteralValue(e.expression);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) {
    const inner = numericLiteralValue(e.operand);
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}
