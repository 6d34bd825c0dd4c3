/**
 * Annotation discovery: finds the functions carrying tsgrad JSDoc tags (`@grad`, `@jvp`,
 * `@vjp`, `@hvp`, `@hessian`, `@jacobian`) and parses their with-respect-to lists.
 *
 * Takes: a parsed source file. Gives: the annotated functions (declarations,
 * top-level `const f = (…) => …`, the anonymous default export, methods of top-level
 * classes: see functions.ts) with their requests, and the module scope they may read.
 * Rejects tags on anything else (a nested function, an object's method), unknown wrt
 * names, non-differentiable wrt parameters.
 */
import { ts } from "../typescript.ts";
import { Codes, type Diagnostic, type SourceSpan } from "../diagnostics.ts";
import type { DerivativeRequest } from "../ir/nodes.ts";
import type { ModuleScope } from "./lower.ts";
import { functionSources, MODES, sourceParams, tagsOf, typeReference, type FunctionSource, type SourceParam } from "./functions.ts";
import { isDifferentiable } from "../ir/types.ts";
import { arrayOfRecordsProblem, shapeOfTypeNode, type TypeResolver } from "./types.ts";
import { moduleValues } from "./moduleValues.ts";
import { tagWarnings } from "./tagHygiene.ts";
import { documentedNodes } from "./parse.ts";

export { MODES };
type Mode = (typeof MODES)[number];

export interface AnnotatedDeclaration {
  source: FunctionSource;
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

export function discoverAnnotations(sf: ts.SourceFile, fileName: string, resolveType?: TypeResolver): Discovery {
  const diagnostics: Diagnostic[] = [];
  const functions: AnnotatedDeclaration[] = [];
  const sources = functionSources(sf);
  const module: ModuleScope = { ...moduleValues(sf), mutableNames: new Set(), functionNames: new Set(), resolveType, functions: sources };

  module.exportedTypes = new Set();
  for (const statement of sf.statements) {
    const exported = !!(ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
    if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && exported && statement.name) {
      module.exportedTypes.add(statement.name.text);
    }
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const el of statement.exportClause.elements) module.exportedTypes.add(el.name.text);
    }
    if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) for (const el of bindings.elements) module.functionNames.add(el.name.text);
      if (statement.importClause?.name) module.functionNames.add(statement.importClause.name.text);
    }
    if (ts.isVariableStatement(statement) && (statement.declarationList.flags & ts.NodeFlags.Const) === 0) {
      for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) module.mutableNames.add(d.name.text);
    }
  }
  for (const source of sources) if (source.localName && !source.method) module.functionNames.add(source.localName);

  // Tags on anything but a function source are an error, not silently ignored.
  const hosts = new Set<ts.Node>(sources.map((f) => f.docHost));
  for (const node of documentedNodes(sf)) {
    if (!hosts.has(node)) {
      for (const tag of tagsOf(node)) {
        if (!(MODES as readonly string[]).includes(tag.tagName.text)) continue;
        // `function f(x: number): number;` above its implementation: the tag belongs on the one with a body.
        const overload = ts.isFunctionDeclaration(node) && !node.body && node.name ? node.name.text : undefined;
        diagnostics.push({
          code: Codes.AnnotationOnNonFunction,
          message: overload
            ? `@${tag.tagName.text} is on an overload signature of '${overload}', which has no body; move the tag to the implementation, or write a function of its own with one differentiable signature`
            : `@${tag.tagName.text} must annotate a top-level function: 'function f(…) {…}', 'const f = (…) => …', 'export default function (…) {…}' or a method of a top-level class`,
          ...spanOf(tag, sf, fileName),
        });
      }
    }
  }

  for (const source of sources) {
    const requests: DerivativeRequest[] = [];
    const seen = new Set<Mode>();
    for (const tag of tagsOf(source.docHost)) {
      const mode = tag.tagName.text as Mode;
      if (!(MODES as readonly string[]).includes(mode)) continue;
      const span = spanOf(tag, sf, fileName);
      if (seen.has(mode)) {
        diagnostics.push({ code: Codes.DuplicateAnnotation, message: `@${mode} appears twice on this function; keep one (a tag lists every parameter to differentiate)`, ...span });
        continue;
      }
      seen.add(mode);
      const request = parseRequest(mode, tag, source, sf, fileName, diagnostics, resolveType);
      if (request) requests.push(request);
    }
    if (seen.size > 0) functions.push({ source, requests }); // with fewer requests than tags: reported
  }
  diagnostics.push(...tagWarnings(sf, fileName, sources));
  return { functions: functions.filter((f) => f.requests.length > 0), module, diagnostics };
}

function parseRequest(
  mode: Mode,
  tag: ts.JSDocTag,
  source: FunctionSource,
  sf: ts.SourceFile,
  fileName: string,
  diagnostics: Diagnostic[],
  resolveType?: TypeResolver,
): DerivativeRequest | null {
  const span = spanOf(tag, sf, fileName);
  const text = typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? "";
  const tokens = text.split(/[\s,]+/).filter((s) => s.length > 0);
  let bandwidth: number | undefined;
  let width: number | undefined;
  const names: string[] = [];
  const params = sourceParams(source);
  const receiver = params.find((p) => p.receiver);
  let sparse = false;
  for (const token of tokens) {
    const band = /^bandwidth=(\d+)$/.exec(token);
    const lanes = /^width=([1-9]\d*)$/.exec(token);
    if (mode === "hessian" && (band || token === "diagonal")) {
      bandwidth = band ? Number(band[1]) : 0;
    } else if ((mode === "hessian" || mode === "jacobian") && token === "sparse" && !params.some((p) => p.name === "sparse")) {
      // `sparse` is the option unless a parameter has that name.
      sparse = true;
    } else if ((mode === "hessian" || mode === "jacobian") && lanes) {
      width = Number(lanes[1]);
    } else if (token.includes("=")) {
      diagnostics.push({
        code: Codes.UnknownWrtParameter,
        message: `@${mode} does not take the option '${token}'${mode === "hessian" ? " (known: bandwidth=K, diagonal, sparse, width=K)" : mode === "jacobian" ? " (known: sparse, width=K)" : ""}`,
        ...span,
      });
      return null;
    } else {
      // A method's receiver may be named `this` in its tags.
      names.push(token === "this" && receiver ? receiver.name : token);
    }
  }
  const byName = new Map(params.map((p) => [p.name, p]));
  // `<T extends number[]>`: T is its constraint.
  const constraints = new Map((source.node.typeParameters ?? []).flatMap((t) => (t.constraint ? [[t.name.text, t.constraint] as const] : [])));
  const resolve: TypeResolver = (name) => constraints.get(name) ?? resolveType?.(name);
  /** `kind: Activation` for an enum: a choice, never differentiated. */
  const isEnum = (p: SourceParam) => {
    const t = p.typeNode;
    const d = t && ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) ? resolve(t.typeName.text) : undefined;
    return !!d && ts.isEnumDeclaration(d);
  };
  const differentiable = (p: SourceParam) => {
    if (p.optional) return false; // an option such as `eps?: number`, never differentiated by default
    if (isEnum(p)) return false;
    const type = p.receiver ? typeReference(p.receiver) : p.typeNode;
    if (!type) return true; // typed by a default value, or reported as implicit any by the lowering
    const shape = shapeOfTypeNode(type, resolve);
    return "error" in shape ? shape.error === "any" : isDifferentiable(shape);
  };
  /** The optional fields of an object parameter (`{ p: number; eps?: number }`: eps). */
  const optionalFields = (p: SourceParam): string[] => {
    const shape = p.typeNode ? shapeOfTypeNode(p.typeNode, resolve) : undefined;
    return shape && !("error" in shape) && shape.kind === "record" ? shape.fields.filter((f) => f.optional).map((f) => f.name) : [];
  };
  const describe = (p: SourceParam) => (p.pattern ? `'${p.name}' (the destructured ${p.pattern.getText(sf)})` : p.receiver ? `'${p.name}' (the receiver, also 'this')` : `'${p.name}'`);
  let ok = true;
  for (const name of names) {
    const p = byName.get(name);
    if (!p) {
      const known = params.map(describe).join(", ") || "none";
      diagnostics.push({
        code: Codes.UnknownWrtParameter,
        message: `@${mode} names '${name}', which is not a parameter of '${source.name}' (parameters: ${known})`,
        ...span,
      });
      ok = false;
    } else if (p.optional) {
      diagnostics.push({
        code: Codes.NotDifferentiableParameter,
        message: p.typeNode?.kind === ts.SyntaxKind.NumberKeyword
          ? `@${mode} names '${name}', an optional parameter, which may be undefined; give it a default value instead ('${name} = 1') to differentiate with respect to it`
          : `@${mode} names '${name}', an optional parameter, which may be undefined; make it a required parameter to differentiate with respect to it (an optional one is passed through)`,
        ...spanOf(p.declaration!, sf, fileName),
      });
      ok = false;
    } else if (!differentiable(p) && p.typeNode && arrayOfRecordsProblem(p.typeNode, resolve)) {
      // `layers: Layer[]` whose records hold something else than numbers.
      diagnostics.push({
        code: Codes.NotDifferentiableParameter,
        message: `@${mode} names '${name}', an array of objects that cannot be differentiated: ${arrayOfRecordsProblem(p.typeNode, resolve)}`,
        ...(p.declaration ? spanOf(p.declaration, sf, fileName) : span),
      });
      ok = false;
    } else if (!differentiable(p) && optionalFields(p).length > 0) {
      diagnostics.push({
        code: Codes.NotDifferentiableParameter,
        message: `@${mode} names '${name}', an object with optional fields (${optionalFields(p).map((f) => `'${f}'`).join(", ")}), which may be undefined; make them required to differentiate with respect to '${name}'`,
        ...(p.declaration ? spanOf(p.declaration, sf, fileName) : span),
      });
      ok = false;
    } else if (!differentiable(p)) {
      diagnostics.push({
        code: Codes.NotDifferentiableParameter,
        message: `@${mode} names '${name}', whose type '${p.typeNode?.getText(sf) ?? p.receiver?.name?.text}' cannot be differentiated; differentiable types are number, number[], Float64Array, Float32Array, number[][], tuples of numbers, objects or classes whose fields are those, and arrays of such objects`,
        ...(p.declaration ? spanOf(p.declaration, sf, fileName) : span),
      });
      ok = false;
    }
  }
  if (!ok) return null;
  const wrt = names.length > 0 ? params.map((p) => p.name).filter((n) => names.includes(n)) : params.filter(differentiable).map((p) => p.name);
  if (wrt.length === 0) {
    const why = params.length === 0 ? "it takes no parameters" : `none of its parameters (${params.map(describe).join(", ")}) is a number, a numeric array or an object of those`;
    diagnostics.push({ code: Codes.NotDifferentiableParameter, message: `@${mode}: '${source.name}' has no differentiable parameter: ${why}`, ...span });
    return null;
  }
  // The sparse drivers' pattern detection does not take arrays of records yet (their dense drivers do).
  const records = sparse ? wrt.map((n) => byName.get(n)!).find((p) => {
    const type = p.typeNode;
    const shape = type ? shapeOfTypeNode(type, resolve) : undefined;
    return !!shape && !("error" in shape) && shape.kind === "record" && !!shape.arrayOfRecords;
  }) : undefined;
  if (records) {
    diagnostics.push({
      code: Codes.NotDifferentiableParameter,
      message: `@${mode} sparse does not take '${records.name}', an array of objects, yet; drop 'sparse' (the dense @${mode} takes it) or leave '${records.name}' out of the tag`,
      ...(records.declaration ? spanOf(records.declaration, sf, fileName) : span),
    });
    return null;
  }
  if (sparse && bandwidth !== undefined) {
    diagnostics.push({ code: Codes.UnknownWrtParameter, message: `@${mode} takes 'sparse' or a declared band ('bandwidth=K', 'diagonal'), not both: 'sparse' finds the pattern itself`, ...span });
    return null;
  }
  return { mode, wrt, span, ...(bandwidth !== undefined && { bandwidth }), ...(sparse && { sparse }), ...(width !== undefined && { width }) };
}
