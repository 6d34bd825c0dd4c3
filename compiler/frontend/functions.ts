/**
 * The functions of a file, in every form a TypeScript user writes one: a declaration
 * (`function f`), an arrow function or function expression held by a top-level `const`
 * (`const f = (x: number[]) => …`), an anonymous `export default function`, and a method
 * of a top-level class. Each gets the one name generated code derives its names from:
 *
 *   function f / const f = …       f             → fGrad, fJvp, …
 *   export default function (…)   the file's     → lossGrad for loss.ts (my-loss.ts → myLossGrad)
 *   method loss of class Model     modelLoss      → modelLossGrad(model, …), the receiver first
 *
 * Takes: a parsed source file. Gives: its function sources (name, node, where their tags
 * are, the receiver of a method). Annotation discovery, callee lookup and lowering all go
 * through this one list, so every form is found, named and lowered the same way.
 */
import { ts } from "../typescript.ts";

/** The tags that ask for a derivative. */
export const MODES = ["grad", "jvp", "vjp", "hvp", "hessian", "jacobian"] as const;

/**
 * The JSDoc tags written on a node, from every comment block above it: a second `/** … *\/`
 * block adds its tags to the first one's (TypeScript itself reads only the last block).
 */
export function tagsOf(host: ts.Node): ts.JSDocTag[] {
  const docs = (host as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs.flatMap((d) => [...(d.tags ?? [])]);
}

/** A type node naming a class, for its receiver (synthesized: `Model`). */
export function typeReference(c: ts.ClassDeclaration): ts.TypeNode {
  return ts.factory.createTypeReferenceNode(c.name!.text);
}

export type FunctionNode = ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression | ts.MethodDeclaration;

export interface FunctionSource {
  /** The name generated code derives its names from (see above). */
  name: string;
  /** How code of the same file calls it: `f`, or `Model.loss` for a method; null for a default export. */
  localName: string | null;
  node: FunctionNode;
  /** The node whose JSDoc carries its tags: the function, its `const` statement, or the method. */
  docHost: ts.Node;
  /** Where diagnostics about the function as a whole point (its name, or its `function` keyword). */
  nameNode: ts.Node;
  exported: boolean;
  /** A method's class; static methods have no receiver parameter. */
  method?: { classDeclaration: ts.ClassDeclaration; className: string; isStatic: boolean };
  /** The anonymous default export of the file. */
  isDefault: boolean;
}

/** Every function source of a file, in source order (a class's methods after the class name). */
export function functionSources(sf: ts.SourceFile): FunctionSource[] {
  const out: FunctionSource[] = [];
  const topNames = new Set<string>();
  for (const s of sf.statements) {
    if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) topNames.add(s.name.text);
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) topNames.add(d.name.text);
  }
  for (const s of sf.statements) {
    if (ts.isFunctionDeclaration(s) && s.body) {
      const isDefault = hasModifier(s, ts.SyntaxKind.DefaultKeyword);
      const name = s.name?.text ?? defaultName(sf, topNames);
      out.push({ name, localName: s.name?.text ?? null, node: s, docHost: s, nameNode: s.name ?? firstToken(s, sf), exported: hasModifier(s, ts.SyntaxKind.ExportKeyword), isDefault: isDefault && !s.name });
    } else if (ts.isVariableStatement(s) && (s.declarationList.flags & ts.NodeFlags.Const) !== 0) {
      for (const d of s.declarationList.declarations) {
        const init = d.initializer && functionValue(d.initializer);
        if (!init || !ts.isIdentifier(d.name)) continue;
        out.push({ name: d.name.text, localName: d.name.text, node: init, docHost: s, nameNode: d.name, exported: hasModifier(s, ts.SyntaxKind.ExportKeyword), isDefault: false });
      }
    } else if (ts.isExportAssignment(s) && !s.isExportEquals) {
      const init = functionValue(s.expression);
      if (init) out.push({ name: defaultName(sf, topNames), localName: null, node: init, docHost: s, nameNode: firstToken(s, sf), exported: true, isDefault: true });
    } else if (ts.isClassDeclaration(s) && s.name) {
      const className = s.name.text;
      for (const m of s.members) {
        if (!ts.isMethodDeclaration(m) || !m.body || !ts.isIdentifier(m.name)) continue;
        const isStatic = hasModifier(m, ts.SyntaxKind.StaticKeyword);
        out.push({
          name: methodName(className, m.name.text),
          localName: `${className}.${m.name.text}`,
          node: m,
          docHost: m,
          nameNode: m.name,
          exported: hasModifier(s, ts.SyntaxKind.ExportKeyword),
          method: { classDeclaration: s, className, isStatic },
          isDefault: false,
        });
      }
    }
  }
  return out;
}

/** `Model` + `loss` → `modelLoss`: the method's generated names (modelLossGrad, ModelLossGradient). */
export function methodName(className: string, method: string): string {
  return camelCase(className) + method.charAt(0).toUpperCase() + method.slice(1);
}

/** The receiver parameter of a method's generated functions: `model` for class Model. */
export function receiverName(className: string): string {
  return camelCase(className);
}

/** An arrow function or function expression, under parentheses and type assertions. */
export function functionValue(e: ts.Expression): ts.ArrowFunction | ts.FunctionExpression | undefined {
  let x = e;
  while (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isSatisfiesExpression(x)) x = x.expression;
  return ts.isArrowFunction(x) || ts.isFunctionExpression(x) ? x : undefined;
}

/**
 * The name of an anonymous default export: its file's, in camelCase (`my-loss.ts` →
 * `myLoss`), or that with `Default` after it when the file already uses the name.
 */
function defaultName(sf: ts.SourceFile, taken: Set<string>): string {
  const base = sf.fileName.split(/[\\/]/).pop()!.replace(/\.[cm]?tsx?$/, "");
  let name = camelCase(base.replace(/[^A-Za-z0-9_$]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : "")));
  if (!/^[A-Za-z_$]/.test(name)) name = `_${name}`;
  return taken.has(name) ? `${name}Default` : name;
}

function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return !!(ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === kind));
}

/** The first token of a node that has no name to point at (`export default function`). */
function firstToken(node: ts.Node, sf: ts.SourceFile): ts.Node {
  if (ts.isFunctionDeclaration(node)) {
    const keyword = node.getChildren(sf).find((c) => c.kind === ts.SyntaxKind.FunctionKeyword);
    if (keyword) return keyword;
  }
  if (ts.isExportAssignment(node)) return node.expression;
  return node;
}

/** A parameter as generated code sees it: a name even when the source destructures it. */
export interface SourceParam {
  name: string;
  /** null for a method's receiver. */
  declaration: ts.ParameterDeclaration | null;
  /** The written type, or null (a receiver, or a parameter with only a default value). */
  typeNode: ts.TypeNode | null;
  /** `{ w, b }: Params` or `[a, b]: [number, number]`: bound by destructuring the parameter. */
  pattern?: ts.BindingPattern;
  /** `eps?: number`: undefined unless passed. */
  optional: boolean;
  /** `scale = 1`. */
  initializer?: ts.Expression;
  /** A method's receiver (`this`), typed by its class. */
  receiver?: ts.ClassDeclaration;
}

/**
 * The parameters of a function source, named: a destructured parameter is named after its
 * type (`{ w, b }: Params` → `params`) or, with no type name, by position (`arg0`, like the
 * tape); a method's receiver comes first, named after its class (`model` for Model).
 */
export function sourceParams(source: FunctionSource): SourceParam[] {
  const out: SourceParam[] = [];
  const written = new Set<string>();
  for (const p of source.node.parameters) if (ts.isIdentifier(p.name)) written.add(p.name.text);
  const unique = (base: string) => {
    let name = base;
    for (let k = 1; written.has(name); k++) name = `${base}${k}`;
    written.add(name);
    return name;
  };
  if (source.method && !source.method.isStatic) {
    out.push({ name: unique(receiverName(source.method.className)), declaration: null, typeNode: null, optional: false, receiver: source.method.classDeclaration });
  }
  source.node.parameters.forEach((p, index) => {
    if (ts.isIdentifier(p.name) && p.name.text === "this") return;
    const common = { declaration: p, typeNode: p.type ?? null, optional: !!p.questionToken, ...(p.initializer && { initializer: p.initializer }) };
    if (ts.isIdentifier(p.name)) {
      out.push({ name: p.name.text, ...common });
      return;
    }
    const typeName = p.type && ts.isTypeReferenceNode(p.type) && ts.isIdentifier(p.type.typeName) ? camelCase(p.type.typeName.text) : null;
    out.push({ name: unique(typeName ?? `arg${index}`), ...common, pattern: p.name });
  });
  return out;
}
