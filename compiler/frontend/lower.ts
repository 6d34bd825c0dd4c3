/**
 * Lowering: one TypeScript function (any form of functions.ts) → FunctionIR.
 *
 * Takes: a function source that passed annotation parsing.
 * Gives: IR in which compound assignment, `++`/`--`, `for…of` and variadic
 * `Math.max/min` are desugared; every local has a known shape. Parameters are named as
 * functions.ts names them (destructured ones by their type, a method's receiver by its
 * class); the function's return type, when not written, is the type of what it returns.
 * Guarantees: anything outside the differentiable subset is rejected here with a located
 * diagnostic (this is the fence); no IR is produced for a function that was rejected.
 */
import { ts } from "../typescript.ts";
import { Codes, DiagnosticError, fail, type Diagnostic, type DiagnosticCode, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { ArrayContainer, Expr, FunctionIR, LValue, Param, Stmt, ValueType } from "../ir/nodes.ts";
import { MATH_CONSTANTS, NUMBER_PREDICATES, PRIMITIVES } from "../ir/primitives.ts";
import { describeType, shapeOfClass, shapeOfTypeNode, type TypeResolver } from "./types.ts";
import { elementOfRecords, typeText } from "../ir/types.ts";
import { functionValue, MODES, sourceParams, tagsOf, typeReference, type FunctionNode, type FunctionSource, type SourceParam } from "./functions.ts";
import { constantTable, NUMBER_CONSTANTS, type ModuleValues, type Table } from "./moduleValues.ts";
import { closeRegion, lowerSwitch, pascal, type JumpTarget, type SwitchLowerer } from "./jumps.ts";
import { lowerDoWhile, lowerFor, lowerForIn, lowerForOf, lowerWhile, type LoopHost } from "./loops.ts";
import { bindPattern, lowerArrayBuilder, sliceBounds, type DeclarationHost } from "./declarations.ts";
import { LocalMatrices } from "./matrices.ts";
import { concatArrays, hasSpread, spreadArray, spreadExtremum } from "./spread.ts";
import { Callbacks, FOUND_METHODS, returnsOf, type Argument, type CallbackHost, type Captured, type FunctionValue } from "./callbacks.ts";
import { rootName, someExpr, walkStmts } from "../ir/visit.ts";
import { checkpointDirective, parseCheckpointOptions } from "./checkpointTag.ts";
import type { CheckpointRequest } from "../ir/nodes.ts";

/** An imported name: where from, and whether that is a file of the build. */
export interface ImportedName {
  specifier: string;
  /** Where the module specifier is written (a missing file is reported there). */
  span: SourceSpan;
  relative: boolean;
  /** A relative import that names a file of the build. */
  resolved: boolean;
  /** Where the name is listed in the import (`{ g }`), for a named import. */
  binding?: SourceSpan;
  /** For a resolved import: the functions its file declares. */
  functions?: string[];
}

/** What the module around the function offers to it. */
export interface ModuleScope extends ModuleValues {
  /** The file's functions in every form (declarations, arrow consts, methods, the default export). */
  functions: FunctionSource[];
  /** Module-level `let`/`var` names: reading them is rejected (mutable module state). */
  mutableNames: Set<string>;
  /** Names of other functions declared in or imported into the module. */
  functionNames: Set<string>;
  /** Declared return shape of a user function, for typing calls to it; undefined if unknown. */
  returnShapeOf?: (name: string) => ValueType | { error: string } | undefined;
  /** The import a name comes from, if it is imported. */
  importOf?: (name: string) => ImportedName | undefined;
  /** Interfaces and type aliases visible in the module (declared or imported). */
  resolveType?: TypeResolver;
  /** Type names the module exports, so generated code can import them by name. */
  exportedTypes?: Set<string>;
  /** The source of a program function as named in this module (same file or imported), for inlining it. */
  sourceOf?: (name: string) => ProgramFunction | undefined;
  /** The file context of a file of the program (a class's methods are lowered in their own file). */
  fileOf?: (sourceFile: ts.SourceFile) => { sourceFile: ts.SourceFile; fileName: string; module: ModuleScope } | undefined;
}

interface Binding {
  type: ValueType;
  mutable: boolean;
  /** The variable's name in the IR: the source name, or a fresh one if it shadows another. */
  irName: string;
  /** A local function (`const sq = (t) => t * t`, a nested declaration, a callback parameter): inlined where called. */
  fn?: FunctionValue;
  /** Declared by a statement that was rejected: statements using it are left out without a report of their own. */
  rejected?: boolean;
}

/** A statement used a name whose declaration was rejected (already reported). */
class UsesRejected extends Error {}

/** The file the lowering is reading: the function's own, or a helper's while it is inlined. */
interface FileContext {
  sourceFile: ts.SourceFile;
  fileName: string;
  module: ModuleScope;
}

/** A program function with its file, for inlining it at a call (callbacks.ts). */
export interface ProgramFunction {
  source: FunctionSource;
  sourceFile: ts.SourceFile;
  fileName: string;
  module: ModuleScope;
  /** In a file tsgrad generated (nested derivatives): left to the inliner. */
  generated: boolean;
}

interface CapturedScopes extends Captured {
  scopes: Map<string, Binding>[];
  aliases: Map<string, Expr>[];
  file: FileContext;
}

export function lowerFunction(
  source: FunctionSource,
  sourceFile: ts.SourceFile,
  fileName: string,
  module: ModuleScope,
): FunctionIR {
  return new Lowering(sourceFile, fileName, module).lowerFunction(source);
}

/**
 * Names a rename must avoid: every identifier of a piece of source, and every name added.
 * The identifiers are gathered at the first question, not before: most functions rename
 * nothing, and gathering them walks every node of the function.
 */
class TakenNames {
  private readonly names = new Set<string>();
  private pending: ts.Node[] = [];

  /** Every identifier under `root` is taken. */
  include(root: ts.Node): void {
    this.pending.push(root);
  }

  add(name: string): void {
    this.names.add(name);
  }

  has(name: string): boolean {
    if (this.pending.length > 0) {
      const collect = (n: ts.Node): void => {
        if (ts.isIdentifier(n)) this.names.add(n.text);
        ts.forEachChild(n, collect);
      };
      for (const root of this.pending) collect(root);
      this.pending = [];
    }
    return this.names.has(name);
  }
}

/** The IR operator of each binary operator token (built once: lowerBinary runs for every binary expression). */
const BINARY_OPS: Partial<Record<ts.SyntaxKind, import("../ir/nodes.ts").BinaryOp>> = {
  [ts.SyntaxKind.PlusToken]: "+",
  [ts.SyntaxKind.MinusToken]: "-",
  [ts.SyntaxKind.AsteriskToken]: "*",
  [ts.SyntaxKind.SlashToken]: "/",
  [ts.SyntaxKind.PercentToken]: "%",
  [ts.SyntaxKind.AsteriskAsteriskToken]: "**",
  [ts.SyntaxKind.LessThanToken]: "<",
  [ts.SyntaxKind.LessThanEqualsToken]: "<=",
  [ts.SyntaxKind.GreaterThanToken]: ">",
  [ts.SyntaxKind.GreaterThanEqualsToken]: ">=",
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: "===",
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: "!==",
  [ts.SyntaxKind.EqualsEqualsToken]: "==",
  [ts.SyntaxKind.ExclamationEqualsToken]: "!=",
  [ts.SyntaxKind.AmpersandAmpersandToken]: "&&",
  [ts.SyntaxKind.BarBarToken]: "||",
};

/** Binary operators whose value is a boolean. */
const BOOLEAN_OPS = new Set(["<", "<=", ">", ">=", "===", "!==", "==", "!=", "&&", "||"]);

/** The arithmetic of each compound assignment token (`+=` → "+"). */
const COMPOUND_OPS: Partial<Record<ts.SyntaxKind, "+" | "-" | "*" | "/" | "**">> = {
  [ts.SyntaxKind.PlusEqualsToken]: "+",
  [ts.SyntaxKind.MinusEqualsToken]: "-",
  [ts.SyntaxKind.AsteriskEqualsToken]: "*",
  [ts.SyntaxKind.SlashEqualsToken]: "/",
  [ts.SyntaxKind.AsteriskAsteriskEqualsToken]: "**",
};

class Lowering implements CallbackHost, SwitchLowerer, LoopHost, DeclarationHost {
  private scopes: Map<string, Binding>[] = [];
  /** `const W = p.W1`: later uses of W read the field path directly. */
  private aliases: Map<string, Expr>[] = [];
  private readonly userCallTypes = new Map<string, ValueType>();
  /** Whether the function carries a derivative tag (then it may not write its parameters' fields). */
  private annotated = false;

  private file: FileContext;

  constructor(sourceFile: ts.SourceFile, fileName: string, module: ModuleScope) {
    this.file = { sourceFile, fileName, module };
  }

  private get sourceFile(): ts.SourceFile {
    return this.file.sourceFile;
  }

  private get fileName(): string {
    return this.file.fileName;
  }

  private get module(): ModuleScope {
    return this.file.module;
  }

  span(node: ts.Node): SourceSpan {
    const start = node.getStart(this.sourceFile);
    const { line, character } = this.sourceFile.getLineAndCharacterOfPosition(start);
    return { file: this.fileName, line: line + 1, column: character + 1, length: Math.max(1, node.getEnd() - start) };
  }

  reject(code: DiagnosticCode, message: string, node: ts.Node): never {
    fail(code, message, this.span(node));
  }

  /**
   * A name imported from a package, or from a relative path that names no file of the
   * build: the first is reported where it is used, the second at the import. `member`: the
   * name is a namespace, and `name.member(…)` is called.
   */
  private importProblem(name: string, node: ts.Node, use: "call" | "value", member?: string): void {
    const imported = this.module.importOf?.(name);
    if (!imported) return;
    if (imported.resolved) {
      // The file is there but has no such function (a call finds no declaration).
      if (use === "call" && imported.binding && imported.functions) {
        const known = imported.functions.length > 0 ? ` (it declares ${imported.functions.map((f) => `'${f}'`).join(", ")})` : "";
        fail(Codes.UnsupportedCall, `'${imported.specifier}' has no function '${name}'${known}`, imported.binding);
      }
      return;
    }
    if (imported.relative) {
      const file = `${imported.specifier.replace(/\.js$/, "").replace(/\.ts$/, "")}.ts`;
      fail(Codes.UnresolvedImport, `cannot find the module '${imported.specifier}' that '${name}' is imported from: no file '${file}' in the build`, imported.span);
    }
    const where = `'${name}' comes from the package '${imported.specifier}', whose body tsgrad cannot see`;
    if (use === "value") this.reject(Codes.UnsupportedExpression, `${where}: pass its value in as a parameter`, node);
    if (member !== undefined) {
      this.reject(Codes.UnsupportedCall, `${where}: import the function by name (import { ${member} } from "${imported.specifier}") and supply its derivative with a function tagged '@vjpOf ${member}'`, node);
    }
  }

  lowerFunction(source: FunctionSource): FunctionIR {
    const node = source.node;
    const name = source.name;
    if (node.asteriskToken) this.reject(Codes.UnsupportedStatement, "generator functions cannot be differentiated; return an array of the values instead", source.nameNode);
    if (node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
      this.reject(Codes.UnsupportedStatement, "async functions cannot be differentiated; make the function synchronous", source.nameNode);
    }
    this.bindTypeParameters(node);
    if (!node.body) this.reject(Codes.UnsupportedStatement, `function '${name}' has no body`, source.nameNode);
    this.annotated = tagsOf(source.docHost).some((t) => (MODES as readonly string[]).includes(t.tagName.text));
    this.scopes.push(new Map());
    this.aliases.push(new Map());
    this.taken.include(source.method ? source.method.classDeclaration : node);
    const sourceParameters = sourceParams(source);
    const params: Param[] = sourceParameters.map((p) => this.lowerParam(p));
    for (const p of params) this.paramNames.add(p.name);
    const destructured = sourceParameters.flatMap((p) => (p.pattern ? this.destructureParam(p) : []));
    const declaredReturn = this.lowerReturnType(node);
    this.declaredReturn = declaredReturn;
    const statements = ts.isBlock(node.body) ? node.body.statements : null;
    const body = [
      ...destructured,
      ...(statements
        ? this.lowerBlock(statements)
        : this.inScope(() => this.statement(() => [{ kind: "return", value: this.returnedValue(this.lowerExpr(node.body as ts.Expression)), span: this.span(node.body!) } satisfies Stmt]))),
    ];
    this.scopes.pop();
    const checkpointed = this.functionCheckpoint(source);
    if (checkpointed) body.splice(0, body.length, ...checkpointOutermostLoops(body, checkpointed));
    if (this.rejected.length > 0) throw new DiagnosticError(this.rejected[0]!, this.rejected.slice(1));
    const returnType = declaredReturn ?? this.inferredReturnType(body, node);
    if (!(returnType.kind === "opaque" && returnType.text === "void") && !definitelyReturns(body)) {
      this.reject(Codes.MissingReturn, `not every path of '${name}' returns a value; add a final return`, source.nameNode);
    }
    return {
      name,
      params,
      returnType,
      returnTypeText: node.type && !this.privateAlias(node.type) && !this.mentionsTypeParameter(node.type) ? node.type.getText(this.sourceFile) : typeText(returnType),
      body: [...this.tableDeclarations(), ...body],
      exported: source.exported,
      span: this.span(source.nameNode),
    };
  }

  /** `@checkpoint [snapshots=K | budget=SIZE]` in the function's doc comment. */
  private functionCheckpoint(source: FunctionSource): CheckpointRequest | null {
    const tag = tagsOf(source.docHost).find((t) => t.tagName.text === "checkpoint");
    if (!tag) return null;
    const text = typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? "";
    const parsed = parseCheckpointOptions(text);
    if ("error" in parsed) this.reject(Codes.BadCheckpoint, parsed.error, tag);
    return parsed.options;
  }

  /** Module-level tables the function reads (`COEFFS[k]`), by name. */
  private readonly tablesRead = new Set<string>();

  /**
   * `const COEFFS = [ … ]` at module level, read by the function: a local constant of the
   * same name at its top (generated code must not depend on the source module's private
   * names). Never written, so never differentiated.
   */
  private tableDeclarations(): Stmt[] {
    return [...this.tablesRead].sort().map((name) => {
      const table = this.module.constantTables.get(name)!;
      return { kind: "declare", name, type: tableType(table), init: tableLiteral(table), mutable: false } satisfies Stmt;
    });
  }

  /** Without a written return type: the type of what the function returns (a number when it returns nothing it can type). */
  private inferredReturnType(body: Stmt[], node: ts.Node): ValueType {
    let found: ValueType | undefined;
    walkStmts(body, (s) => {
      if (!found && s.kind === "return" && s.value) found = this.typeOf(s.value, node);
    });
    return found ?? b.NUMBER;
  }

  /**
   * `<T extends number[]>`: inside the function, T is its constraint; the generated
   * functions take the constraint's type. A type parameter without a numeric constraint
   * cannot be differentiated.
   */
  private bindTypeParameters(node: FunctionNode): void {
    for (const t of node.typeParameters ?? []) {
      if (!t.constraint) {
        this.reject(Codes.UnsupportedType, `type parameter '${t.name.text}' has no constraint; write what it stands for, e.g. '<${t.name.text} extends number[]>'`, t);
      }
      this.typeParameters.set(t.name.text, t.constraint);
    }
  }

  private mentionsTypeParameter(type: ts.TypeNode): boolean {
    let found = false;
    const visit = (n: ts.Node): void => {
      if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && this.typeParameters.has(n.typeName.text)) found = true;
      ts.forEachChild(n, visit);
    };
    visit(type);
    return found;
  }

  /** Type names as this function sees them: its type parameters, then the module's types. */
  private readonly typeParameters = new Map<string, ts.TypeNode>();
  readonly resolveType: TypeResolver = (name) => this.typeParameters.get(name) ?? this.module.resolveType?.(name);

  /**
   * `Vec` for a `type Vec = …` the module keeps private or imports from elsewhere: the
   * generated file imports only the module's own exported types, so it spells such a type
   * out instead.
   */
  private privateAlias(type: ts.TypeNode): boolean {
    // Also inside another type (`Vec3[]`, `readonly Vec3[]`, `Array<Vec3>`).
    if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return !!ts.forEachChild(type, (c) => (ts.isTypeNode(c) && this.privateAlias(c) ? true : undefined));
    if (type.typeArguments?.some((t) => this.privateAlias(t))) return true;
    const name = type.typeName.text;
    if (this.module.exportedTypes?.has(name)) return false;
    return this.sourceFile.statements.some((st) => {
      if (ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st)) return st.name.text === name;
      const bindings = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
      return !!bindings && ts.isNamedImports(bindings) && bindings.elements.some((el) => el.name.text === name);
    });
  }

  /**
   * `number` (or `string`) for an enum the module keeps private: the generated file cannot
   * import it, and its members are values of that type.
   */
  private privateEnumValues(type: ts.TypeNode): string | undefined {
    if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
    const name = type.typeName.text;
    if (this.module.exportedTypes?.has(name)) return undefined;
    const declaration = this.sourceFile.statements.find((st): st is ts.EnumDeclaration => ts.isEnumDeclaration(st) && st.name.text === name);
    if (!declaration) return undefined;
    const strings = declaration.members.filter((m) => m.initializer && ts.isStringLiteralLike(m.initializer)).length;
    return strings === 0 ? "number" : strings === declaration.members.length ? "string" : "number | string";
  }

  private lowerParam(p: SourceParam): Param {
    const name = p.name;
    const declaration = p.declaration;
    if (declaration?.dotDotDotToken) {
      this.reject(Codes.UnsupportedType, `rest parameter '${name}' cannot be differentiated; take the values as one array parameter ('${name}: number[]')`, declaration);
    }
    if (p.receiver) {
      // A method's receiver: `this` in the body, a parameter named after its class outside.
      const shape = shapeOfTypeNode(typeReference(p.receiver), this.resolveType);
      if ("error" in shape) {
        this.reject(Codes.UnsupportedType, `class '${p.receiver.name!.text}' cannot be differentiated as a receiver: its fields must be public numbers, numeric arrays or objects of those, declared with their types, and it must not extend another class`, p.receiver.name ?? p.receiver);
      }
      this.bind(name, shape, false);
      this.aliases[this.aliases.length - 1]!.set("this", b.v(name));
      const exported = this.module.exportedTypes?.has(p.receiver.name!.text);
      return { name, type: shape, typeText: exported ? p.receiver.name!.text : structuralText(shape) };
    }
    let shape: ValueType | { error: "any" | "unsupported" };
    if (p.typeNode) shape = shapeOfTypeNode(p.typeNode, this.resolveType);
    else if (p.initializer && this.defaultValue(p.initializer) !== undefined) shape = b.NUMBER;
    else {
      return this.reject(Codes.AnyType, `parameter '${name}' has no type annotation (implicitly 'any'); write its type, e.g. 'number' or 'number[]'`, declaration!);
    }
    const typeNode = p.typeNode;
    if ("error" in shape) {
      if (shape.error === "any") {
        this.reject(Codes.AnyType, `parameter '${name}' has type '${typeNode!.getText(this.sourceFile)}'; write a concrete numeric type such as 'number', 'number[]' or 'Float64Array'`, typeNode!);
      }
      // Unknown types pass through untouched; using them in arithmetic is rejected later.
      const text = typeNode!.getText(this.sourceFile);
      if (p.pattern) this.reject(Codes.UnsupportedType, `a destructured parameter must have a numeric type ('{ w, b }: Params' where Params holds numbers and numeric arrays); '${text}' is not one`, typeNode!);
      this.bind(name, { kind: "opaque", text }, false);
      return { name, type: { kind: "opaque", text }, typeText: text };
    }
    const binding = this.bind(name, shape, false);
    let text = typeNode ? typeNode.getText(this.sourceFile) : typeText(shape);
    if (typeNode && shape.kind === "record" && shape.arrayOfRecords) {
      // `Dense[]`, `readonly Dense[]`, `Array<Dense>`: written `Dense[]` when the module exports Dense, else spelled out.
      const readonly = shape.fields.some((f) => f.type.kind === "array" && f.type.readonly) ? "readonly " : "";
      text = shape.name && this.module.exportedTypes?.has(shape.name) ? `${readonly}${shape.name}[]` : `${readonly}${structuralText(elementOfRecords(shape))}[]`;
    } else if (typeNode && containsRecord(shape) && !(shape.kind === "record" && shape.name === text && this.module.exportedTypes?.has(text))) {
      text = structuralText(shape); // the generated file cannot import a type the module keeps private
    } else if (typeNode && (this.privateAlias(typeNode) || this.mentionsTypeParameter(typeNode))) {
      text = structuralText(shape);
    } else if (typeNode) {
      text = this.privateEnumValues(typeNode) ?? text;
    }
    if (p.optional) {
      // `eps?: number`: undefined unless passed; read only through `eps ?? fallback`. An
      // options object (`opts?: { eps?: number }`): its fields only through `opts?.eps ?? fallback`.
      const options = shape.kind === "record" && !shape.arrayOfRecords && shape.fields.every((f) => f.type.kind === "number");
      if (shape.kind !== "number" && !options) {
        this.reject(Codes.UnsupportedType, `optional parameter '${name}' must be a number or an object of numbers; give it a default value instead`, declaration!);
      }
      (options ? this.optionalObjects : this.mayBeUndefined).add(binding);
      return { name, type: shape, typeText: `${text} | undefined = undefined`, leftOut: { value: undefined } };
    }
    if (p.initializer) {
      // `scale = 1`: generated functions keep the default, so callers may leave it out there too.
      const value = shape.kind === "number" ? this.defaultValue(p.initializer) : undefined;
      if (value === undefined) {
        this.reject(Codes.UnsupportedType, `the default value of '${name}' must be a number known at compile time (such as 'scale = 1')`, p.initializer);
      }
      return { name, type: shape, typeText: `${text} = ${p.initializer.getText(this.sourceFile)}`, leftOut: { value } };
    }
    return { name, type: shape, typeText: text };
  }

  /** The number a default value stands for, if it is a constant (`1`, `-0.5`, `EPS`, `Number.EPSILON`). */
  private defaultValue(e: ts.Expression): number | undefined {
    try {
      const v = this.lowerExpr(e);
      return v.kind === "number" ? v.value : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Values that may be undefined, by IR name: optional parameters (`eps?: number`), optional
   * fields (`opts.eps`), fields of optional objects (`opts?.eps`). They are read only through `??`.
   */
  private readonly mayBeUndefined = new Set<string>();

  /** Optional objects of numbers (`opts?: { eps?: number }`), by IR name: read only as `opts?.eps ?? fallback`. */
  private readonly optionalObjects = new Set<string>();

  /** The written return type; undefined when there is none (then it is inferred from the returns). */
  private lowerReturnType(node: FunctionNode): ValueType | undefined {
    if (!node.type) return undefined;
    const shape = shapeOfTypeNode(node.type, this.resolveType);
    if ("error" in shape) {
      this.reject(Codes.BadReturnType, `return type '${node.type.getText(this.sourceFile)}' is not differentiable; return 'number' or a numeric array`, node.type);
    }
    return shape;
  }

  // ---- scopes ----

  /** Every identifier of the function, and every IR name handed out: renames avoid them all. */
  private readonly taken = new TakenNames();
  /** Source names declared so far in the function. */
  private readonly declared = new Set<string>();
  /** Lowering a `for` initializer: its counters may repeat a sibling loop's name. */
  private inForInit = false;
  /** Bindings by IR name, for typing IR expressions. */
  private readonly byIrName = new Map<string, Binding>();

  /**
   * Declares `name` in the innermost scope and returns its IR name. A name that shadows one
   * of an enclosing scope is renamed (`x` → `x_1`), so every IR variable is unique within
   * the function and analyses can go by name.
   */
  bind(name: string, type: ValueType, mutable: boolean, renameSiblings = false): string {
    let irName = name;
    // Loop counters of sibling loops may share a name (two `for (let i …)` loops); other
    // locals declared again in a sibling block (`const diff` in two loops) are renamed too,
    // so that activity, which goes by name, sees two variables. Inside an inlined function
    // every name is new, so a closure's free variables never meet the callee's locals.
    // A name the lowering made up earlier (`joined` for `x.concat(y)` in `const joined = x.concat(y).map(…)`) is renamed too.
    if (this.scopes.some((scope) => scope.has(name)) || (renameSiblings && this.declared.has(name)) || (this.inlineDepth > 0 && this.byIrName.has(name)) || this.madeUp.has(name)) {
      for (let k = 1; this.taken.has(irName); k++) irName = `${name}_${k}`;
    }
    this.taken.add(irName);
    this.declared.add(name);
    const binding = { type, mutable, irName };
    this.scopes[this.scopes.length - 1]!.set(name, binding);
    this.byIrName.set(irName, binding);
    return irName;
  }

  private lookup(name: string): Binding | undefined {
    if (name.includes(".") && !name.startsWith("Math.")) {
      // A field path `p.layer.W` of a record parameter (`opts?.eps` of an optional one).
      const [root, ...fields] = name.replace("?.", ".").split(".");
      let binding = this.byIrName.get(root!) ?? this.lookup(root!);
      for (const f of fields) {
        const field = binding?.type.kind === "record" ? binding.type.fields.find((x) => x.name === f) : undefined;
        binding = field ? { type: field.type, mutable: false, irName: name } : undefined;
      }
      return binding;
    }
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const found = this.scopes[i]!.get(name);
      if (found) return found;
    }
    return undefined;
  }

  inScope<T>(f: () => T): T {
    this.scopes.push(new Map());
    this.aliases.push(new Map());
    try {
      return f();
    } finally {
      this.scopes.pop();
      this.aliases.pop();
    }
  }

  // ---- functions as values (callbacks.ts) ----

  private readonly callbacks = new Callbacks(this);
  /** Inside an inlined function's body: every new variable gets a name not used before in this lowering. */
  private inlineDepth = 0;

  /** A snapshot of where a closure is written: its scopes (shared, so later declarations show, as in JavaScript) and its file. */
  capture(): Captured {
    return { token: this, scopes: [...this.scopes], aliases: [...this.aliases], file: this.file } as CapturedScopes;
  }

  within<T>(captured: Captured, f: () => T): T {
    const c = captured as CapturedScopes;
    const saved = { scopes: this.scopes, aliases: this.aliases, targets: this.targets, file: this.file, label: this.nextLabel };
    this.scopes = [...c.scopes, new Map()];
    this.aliases = [...c.aliases, new Map()];
    this.targets = [];
    this.file = c.file;
    this.inlineDepth++;
    try {
      return f();
    } finally {
      this.inlineDepth--;
      Object.assign(this, { scopes: saved.scopes, aliases: saved.aliases, targets: saved.targets, file: saved.file, nextLabel: saved.label });
    }
  }

  withTarget<T>(target: JumpTarget, f: () => T): T {
    this.targets.push(target);
    try {
      return f();
    } finally {
      this.targets.pop();
    }
  }

  lowerStatementsHere(statements: readonly ts.Statement[]): Stmt[] {
    this.hoistFunctions(statements);
    return statements.flatMap((s) => this.lowerStatement(s));
  }

  bindExisting(name: string, irName: string, type: ValueType, mutable: boolean): void {
    this.scopes[this.scopes.length - 1]!.set(name, { type, mutable, irName });
  }

  alias(name: string, value: Expr): void {
    this.aliases[this.aliases.length - 1]!.set(name, value);
  }

  bindFunction(name: string, fn: FunctionValue): void {
    this.scopes[this.scopes.length - 1]!.set(name, { type: { kind: "opaque", text: "function" }, mutable: false, irName: name, fn });
    this.aliases[this.aliases.length - 1]!.delete(name);
  }

  /** Nested `function helper(…) {…}` declarations are callable anywhere in their block, as in JavaScript. */
  private hoistFunctions(statements: readonly ts.Statement[]): void {
    for (const s of statements) {
      if (ts.isFunctionDeclaration(s) && s.name && s.body) this.bindFunction(s.name.text, { kind: "closure", node: s, name: s.name.text, captured: this.capture() });
    }
  }

  /** The function an expression denotes: an arrow or function expression, a local function, or a program function named as a value. */
  functionValue(e: ts.Expression): FunctionValue | undefined {
    const x = skipOuter(e);
    if (ts.isArrowFunction(x) || ts.isFunctionExpression(x)) {
      const name = ts.isVariableDeclaration(x.parent) && ts.isIdentifier(x.parent.name) ? x.parent.name.text : x.name?.text ?? "callback";
      return { kind: "closure", node: x, name, captured: this.capture() };
    }
    if (ts.isIdentifier(x)) {
      if (this.aliases.some((a) => a.has(x.text))) return undefined;
      const binding = this.lookup(x.text);
      if (binding) return binding.fn;
      if (this.module.functionNames.has(x.text)) return { kind: "program", name: x.text };
    }
    if (ts.isPropertyAccessExpression(x) && ts.isIdentifier(x.expression) && x.expression.text === "Math" && !this.lookup("Math")) {
      const name = `Math.${x.name.text}`;
      if (PRIMITIVES[name]?.arity === 1) return { kind: "math", name };
    }
    return undefined;
  }

  /** A call of a program function: a `userCall` the inliner expands (or a shared pullback serves). */
  programCall(name: string, args: Expr[], node: ts.Node): Expr {
    const shape = this.module.returnShapeOf?.(name);
    if (!shape) this.importProblem(name, node, "call");
    if (!shape) this.reject(Codes.UnsupportedCall, `cannot find the declaration of '${name}'; it must be a function declared in this file or imported from another file of the build`, node);
    if ("error" in shape) this.reject(Codes.UnsupportedCall, shape.error, node);
    this.userCallTypes.set(name, shape);
    return { kind: "userCall", callee: name, args, span: this.span(node) };
  }

  /** The arguments of a call, functions as functions (for inlining), values lowered. */
  private callArguments(node: ts.CallExpression, stable = false): Argument[] {
    return node.arguments.map((a): Argument => {
      if (ts.isSpreadElement(a)) return this.reject(Codes.UnsupportedCall, "spreading arguments into a call cannot be differentiated; pass the array itself", a);
      // A row of a local matrix, or the matrix: the parameter becomes a view of it.
      const view = this.matrices.argument(a, stable);
      if (view) return { kind: "view", bind: view, node: a };
      const fn = this.functionValue(a);
      if (fn && !(fn.kind === "program" && !ts.isIdentifier(skipOuter(a)))) return { kind: "function", fn, node: a };
      const value = this.lowerExpr(a);
      return { kind: "value", value, type: this.typeOf(value, a), node: a };
    });
  }

  /**
   * How a call is lowered: an array method with a callback, a local function, a program
   * function inlined here (it takes a function, or returns an object or tuple), a method
   * of a class, or anything else (a userCall for the inliner, or a primitive).
   */
  private inlinedCallee(node: ts.CallExpression): FunctionValue | "arrayMethod" | undefined {
    const callee = skipOuter(node.expression);
    if (this.callbacks.isArrayMethod(node)) return "arrayMethod";
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name)) {
      const method = this.methodOf(callee);
      if (method) return method;
    }
    if (ts.isIdentifier(callee)) {
      const local = this.aliases.some((a) => a.has(callee.text)) ? undefined : this.lookup(callee.text);
      if (local) return local.fn;
      if (!this.module.functionNames.has(callee.text)) return undefined;
      const found = this.module.sourceOf?.(callee.text);
      if (!found || found.generated) return undefined;
      const takesFunction = node.arguments.some((a) => !ts.isSpreadElement(a) && this.functionValue(a) && !ts.isIdentifier(skipOuter(a))) ||
        node.arguments.some((a) => ts.isIdentifier(a) && this.lookup(a.text)?.fn) ||
        found.source.node.parameters.some((p) => p.type && ts.isFunctionTypeNode(p.type));
      const returnsParts = returnsObjectOrTuple(found.source.node, (n) => this.resolveInFile(found, n));
      // A row of a local matrix, or the matrix, given to it: inlined here, its parameter a view (matrices.ts).
      const takesMatrix = node.arguments.some((a) => this.matrices.isMatrixOrRow(a));
      if (!takesFunction && !returnsParts && !takesMatrix) return undefined;
      return { kind: "closure", node: found.source.node as ts.FunctionDeclaration, name: callee.text, captured: this.moduleLevel(found) };
    }
    return undefined;
  }

  /**
   * `layer.forward(x)` on a value whose type is a class of the program: the method, to be
   * inlined with `this` = `layer` (static methods: `Model.create(…)`, no receiver).
   */
  private methodOf(callee: ts.PropertyAccessExpression): FunctionValue | undefined {
    const name = callee.name.text;
    const owner = skipOuter(callee.expression);
    let classDeclaration: ts.ClassDeclaration | undefined;
    let receiver: Expr | undefined;
    if (ts.isIdentifier(owner) && !this.lookup(owner.text) && !this.aliases.some((a) => a.has(owner.text))) {
      const declaration = this.resolveType(owner.text);
      if (declaration && ts.isClassDeclaration(declaration)) classDeclaration = declaration; // a static method
    }
    if (!classDeclaration) {
      if (ts.isIdentifier(owner) && (owner.text === "Math" || owner.text === "Number" || owner.text === "Array" || owner.text === "Float64Array")) return undefined;
      // A path (`layer`, `this.head`, `layers[i]`) lowers to an expression alone. A call or
      // `new` (`a.add(b)` in `a.add(b).dot(c)`) may need statements, kept only if it gives an
      // object of a class; an array method's name is left to the array's lowering (lowering
      // the receiver here too would take its names twice).
      const made = ts.isCallExpression(owner) || ts.isNewExpression(owner);
      if (!isPath(callee.expression) && !(made && !ARRAY_METHOD_NAMES.has(name))) return undefined;
      let lowered: { pre: Stmt[]; value: Expr };
      try {
        lowered = this.separately(() => this.lowerExpr(callee.expression));
      } catch {
        return undefined;
      }
      const type = this.typeOf(lowered.value, callee.expression);
      if (type.kind !== "record" || !type.name) return undefined;
      const declaration = this.resolveType(type.name);
      if (!declaration || !ts.isClassDeclaration(declaration)) return undefined;
      this.emit(...lowered.pre);
      classDeclaration = declaration;
      receiver = lowered.value;
    }
    const member = classDeclaration.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === name && !!m.body);
    if (!member) return undefined;
    const isStatic = !!member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
    if (isStatic !== !receiver) return undefined;
    return { kind: "closure", node: member, name: `${classDeclaration.name?.text}.${name}`, captured: this.classLevel(classDeclaration), ...(receiver && { receiver }) };
  }

  /** The scopes of a class's own module (no locals), for inlining its members here. */
  private classLevel(member: ts.Node): Captured {
    const file = this.module.fileOf?.(member.getSourceFile()) ?? this.file;
    return { token: this, scopes: [new Map()], aliases: [new Map()], file } as CapturedScopes;
  }

  /** `get name() {…}` of the program's class `className`, if it has one. */
  private getterOf(className: string, name: string): ts.GetAccessorDeclaration | undefined {
    const declaration = this.resolveType(className);
    if (!declaration || !ts.isClassDeclaration(declaration)) return undefined;
    return declaration.members.find((m): m is ts.GetAccessorDeclaration => ts.isGetAccessorDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === name && !!m.body);
  }

  /** The scopes of a program function's own module (no locals), for inlining it here. */
  private moduleLevel(found: ProgramFunction): Captured {
    return { token: this, scopes: [new Map()], aliases: [new Map()], file: { sourceFile: found.sourceFile, fileName: found.fileName, module: found.module } } as CapturedScopes;
  }

  private resolveInFile(found: ProgramFunction, name: string) {
    return found.module.resolveType?.(name);
  }

  // ---- statements ----

  private readonly paramNames = new Set<string>();
  /** Locals that name a row of an array parameter (`const row = grid[0]`), by the parameter's name. */
  private readonly paramRows = new Map<string, string>();

  isParameter(name: string): boolean {
    return this.paramNames.has(name);
  }

  private lowerBlock(statements: readonly ts.Statement[]): Stmt[] {
    return this.inScope(() => this.lowerStatementsHere(statements));
  }

  lowerBody(statement: ts.Statement): Stmt[] {
    return ts.isBlock(statement) ? this.lowerBlock(statement.statements) : this.inScope(() => this.lowerStatement(statement));
  }

  // ---- statements that expressions need first ----

  /** Per statement being lowered: statements its expressions need to run first (a reduce's loop). */
  private pending: Stmt[][] = [];

  /**
   * Lowers one statement's worth of source: what its expressions emit (callbacks inlined
   * into loops, spread arrays, calls of local functions) goes right before it.
   */
  statement(lower: () => Stmt[]): Stmt[] {
    this.pending.push([]);
    let out: Stmt[];
    let before: Stmt[];
    try {
      out = lower();
    } finally {
      before = this.pending.pop()!;
    }
    return before.length === 0 ? out : [...before, ...out];
  }

  /** Lowers an expression that may emit statements; gives them instead of emitting them here. */
  separately<T>(lower: () => T): { pre: Stmt[]; value: T } {
    let value!: T;
    const pre = this.statement(() => {
      value = lower();
      return [];
    });
    return { pre, value };
  }

  /** Statements to run before the statement being lowered. */
  emit(...stmts: Stmt[]): void {
    const top = this.pending[this.pending.length - 1];
    if (!top) throw new Error("emit outside of a statement");
    top.push(...stmts);
  }

  /** Names `variable` made up: a source name bound later is renamed rather than declared twice. */
  private readonly madeUp = new Set<string>();

  /**
   * A new IR variable named after `base` (a loop counter, an accumulator), renamed only if
   * a variable of that name exists: no source name is bound to it.
   */
  variable(base: string, type: ValueType, mutable: boolean): string {
    let name = base;
    for (let k = 1; this.byIrName.has(name) || this.scopes.some((scope) => scope.has(name)) || this.paramNames.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    this.madeUp.add(name);
    this.declared.add(base);
    this.byIrName.set(name, { type, mutable, irName: name });
    return name;
  }

  retype(irName: string, type: ValueType): void {
    this.byIrName.get(irName)!.type = type;
  }

  /** A fresh IR name, never a source name or one handed out before. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  // ---- jumps ----

  /** Loops, switches, labelled blocks and callback bodies being lowered, innermost last. */
  private targets: JumpTarget[] = [];
  /** The label of the labelled statement being lowered, taken by the loop or switch it labels. */
  private nextLabel: string | undefined;

  private takeLabel(): string | undefined {
    const label = this.nextLabel;
    this.nextLabel = undefined;
    return label;
  }

  lowerInTarget(target: JumpTarget, statements: readonly ts.Statement[]): Stmt[] {
    this.targets.push(target);
    try {
      return this.lowerBlock(statements);
    } finally {
      this.targets.pop();
    }
  }

  /** `break`, `continue`, `break label`, `continue label`. */
  private lowerJump(node: ts.BreakOrContinueStatement, span: SourceSpan): Stmt[] {
    const isBreak = node.kind === ts.SyntaxKind.BreakStatement;
    const label = node.label?.text;
    let at = -1;
    for (let i = this.targets.length - 1; i >= 0 && at < 0; i--) {
      const t = this.targets[i]!;
      if (t.kind === "callback") break; // a function boundary
      if (label ? t.label === label : t.kind === "loop" || (isBreak && t.kind === "switch")) at = i;
    }
    if (at < 0) return this.reject(Codes.UnsupportedStatement, `${isBreak ? "break" : "continue"}${label ? ` ${label}` : ""} has no loop${isBreak ? " or switch" : ""} to leave here`, node);
    const target = this.targets[at]!;
    const crossesLoop = this.targets.slice(at + 1).some((t) => t.kind === "loop");
    if (target.kind === "loop" && !crossesLoop) return [{ kind: isBreak ? "break" : "continue", span }];
    if (!isBreak && target.kind !== "loop") this.reject(Codes.UnsupportedStatement, `continue ${label} must name a loop`, node);
    const exit: Stmt = { kind: "break", span };
    target.exits.add(exit);
    if (isBreak && target.kind === "loop") {
      target.breakFlag ??= this.fresh(`break${pascal(label ?? "")}`);
      return [b.assign({ kind: "var", name: target.breakFlag }, b.bool(true)), exit];
    }
    return [exit];
  }

  /** The declared return type of the function being lowered (undefined: inferred). */
  private declaredReturn: ValueType | undefined;

  /**
   * `return p` of an object parameter is returned field by field, `{ a: p.a, b: p.b }`
   * (the fields read as `p.a` reads them), as an object literal is: the modes see each
   * returned number.
   */
  private returnedValue(value: Expr): Expr {
    const type = this.declaredReturn;
    if (type?.kind !== "record" || type.arrayOfRecords || value.kind !== "var") return value;
    return { kind: "record", fields: type.fields.map((f) => ({ name: f.name, value: b.v(`${value.name}.${f.name}`) })) };
  }

  /** `return e`: of the function, or of a callback body inlined into a loop (callbacks.ts). */
  private lowerReturn(node: ts.ReturnStatement, span: SourceSpan): Stmt[] {
    let at = this.targets.length - 1;
    while (at >= 0 && this.targets[at]!.kind !== "callback") at--;
    if (at < 0) return [{ kind: "return", value: node.expression ? this.returnedValue(this.lowerExpr(node.expression)) : null, span }];
    const target = this.targets[at]!;
    const value: Stmt[] = [];
    if (target.resultTarget && node.expression) {
      const result = this.lowerExpr(node.expression);
      // An element of the array `map` builds holds a number.
      const type = target.resultTarget.kind === "index" ? this.typeOf(result, node.expression) : undefined;
      if (type && type.kind !== "number") {
        this.reject(Codes.UnsupportedCall, type.kind === "record" ? "a callback of map that returns objects is supported as an arrow returning the object literal: write '(v, i) => ({ x: v, y: … })'" : "this callback must return a number; a local matrix is supported as 'const m = Array.from({ length: n }, () => new Array<number>(k).fill(0))' (or with '(_, j) => …' computing each entry), read and written as m[i][j]; otherwise keep a flat number[] of n * k entries, indexed [i * k + j]", node.expression);
      }
      value.push({ kind: "assign", target: target.resultTarget, value: result, span });
    }
    else if (!target.resultTarget && node.expression) this.lowerExpr(node.expression); // checked, then discarded (forEach)
    const crossesLoop = this.targets.slice(at + 1).some((t) => t.kind === "loop");
    if (!crossesLoop && !target.noLoop) return [...value, { kind: "continue", span }];
    const exit: Stmt = { kind: "break", span };
    target.exits.add(exit);
    return [...value, exit];
  }

  /**
   * One statement. A statement that is rejected is reported and left out, and lowering goes
   * on, so one build reports every rejected statement of the function; names it declares
   * are marked, and statements using them are left out without a report of their own.
   * (Inside an inlined function the first rejection stops it: its body is lowered anew at
   * each call.)
   */
  lowerStatement(s: ts.Statement): Stmt[] {
    const out = this.lowerStatementOrReport(s);
    let request: CheckpointRequest | null;
    try {
      request = this.checkpointComment(s);
      if (request && !(ts.isIterationStatement(s, false) || ts.isLabeledStatement(s))) this.reject(Codes.BadCheckpoint, "// @checkpoint must be on the line directly above a loop (for, for…of, while, do)", s);
    } catch (error) {
      if (!(error instanceof DiagnosticError) || this.inlineDepth > 0) throw error;
      this.rejected.push(...error.all);
      return out;
    }
    const last = out[out.length - 1];
    if (!request || !last || last.kind !== "loop") return out;
    return [...out.slice(0, -1), { ...last, checkpoint: request }];
  }

  /** A `// @checkpoint …` directive among the comments right above `s` (checkpointTag.ts). */
  private checkpointComment(s: ts.Statement): CheckpointRequest | null {
    const text = this.sourceFile.text;
    for (const range of ts.getLeadingCommentRanges(text, s.getFullStart()) ?? []) {
      const options = checkpointDirective(text.slice(range.pos, range.end));
      if (options === null) continue;
      const parsed = parseCheckpointOptions(options);
      if ("error" in parsed) fail(Codes.BadCheckpoint, parsed.error, this.spanAt(range.pos, range.end - range.pos));
      return parsed.options;
    }
    return null;
  }

  private spanAt(pos: number, length: number): SourceSpan {
    const { line, character } = this.sourceFile.getLineAndCharacterOfPosition(pos);
    return { file: this.fileName, line: line + 1, column: character + 1, length: Math.max(1, length) };
  }

  private lowerStatementOrReport(s: ts.Statement): Stmt[] {
    if (this.inlineDepth > 0) return this.statement(() => this.lowerOneStatement(s));
    try {
      return this.statement(() => this.lowerOneStatement(s));
    } catch (error) {
      if (error instanceof DiagnosticError) this.rejected.push(...error.all);
      else if (!(error instanceof UsesRejected)) throw error;
      for (const name of declaredBy(s)) this.scopes[this.scopes.length - 1]!.set(name, { type: { kind: "opaque", text: "rejected" }, mutable: true, irName: name, rejected: true });
      return [];
    }
  }

  /** Diagnostics of the statements rejected so far. */
  private readonly rejected: Diagnostic[] = [];

  private lowerOneStatement(s: ts.Statement): Stmt[] {
    const span = this.span(s);
    switch (s.kind) {
      case ts.SyntaxKind.VariableStatement:
        return this.lowerDeclarations((s as ts.VariableStatement).declarationList);
      case ts.SyntaxKind.ExpressionStatement:
        return this.lowerExpressionStatement((s as ts.ExpressionStatement).expression, span);
      case ts.SyntaxKind.IfStatement: {
        const node = s as ts.IfStatement;
        const test = this.lowerCondition(node.expression);
        const then = this.lowerBody(node.thenStatement);
        const otherwise = node.elseStatement ? this.lowerBody(node.elseStatement) : [];
        return [{ kind: "if", test, then, else: otherwise, span }];
      }
      case ts.SyntaxKind.Block:
        return [{ kind: "block", body: this.lowerBlock((s as ts.Block).statements) }];
      case ts.SyntaxKind.ForStatement:
        return [lowerFor(this, s as ts.ForStatement, span, this.takeLabel())];
      case ts.SyntaxKind.ForOfStatement:
        return [lowerForOf(this, s as ts.ForOfStatement, span, this.takeLabel())];
      case ts.SyntaxKind.ForInStatement:
        return [lowerForIn(this, s as ts.ForInStatement, span, this.takeLabel())];
      case ts.SyntaxKind.WhileStatement:
        return [lowerWhile(this, s as ts.WhileStatement, span, this.takeLabel())];
      case ts.SyntaxKind.DoStatement:
        return [lowerDoWhile(this, s as ts.DoStatement, span, this.takeLabel())];
      case ts.SyntaxKind.BreakStatement:
      case ts.SyntaxKind.ContinueStatement:
        return this.lowerJump(s as ts.BreakOrContinueStatement, span);
      case ts.SyntaxKind.ReturnStatement:
        return this.lowerReturn(s as ts.ReturnStatement, span);
      case ts.SyntaxKind.EmptyStatement:
        return [];
      case ts.SyntaxKind.TryStatement:
        return this.reject(Codes.UnsupportedStatement, "'try' cannot be differentiated; check inputs before the call instead of catching errors inside it", s);
      case ts.SyntaxKind.ThrowStatement:
        return this.reject(Codes.UnsupportedStatement, "'throw' cannot be differentiated; validate inputs before calling the function", s);
      case ts.SyntaxKind.SwitchStatement:
        return lowerSwitch(this, s as ts.SwitchStatement, this.takeLabel());
      case ts.SyntaxKind.LabeledStatement: {
        const node = s as ts.LabeledStatement;
        const inner = node.statement;
        if (ts.isIterationStatement(inner, false) || ts.isSwitchStatement(inner)) {
          this.nextLabel = node.label.text;
          return this.lowerOneStatement(inner);
        }
        // A labelled block: `break label` leaves it.
        const target: JumpTarget = { kind: "block", label: node.label.text, exits: new Set() };
        const body = this.lowerInTarget(target, ts.isBlock(inner) ? inner.statements : [inner]);
        return [{ kind: "block", body: closeRegion(body, target.exits, (x) => this.fresh(x), `left${pascal(node.label.text)}`) }];
      }
      case ts.SyntaxKind.FunctionDeclaration:
        return []; // bound where its block starts (hoistFunctions), inlined where called
      case ts.SyntaxKind.ClassDeclaration:
        return this.reject(Codes.UnsupportedStatement, "a class declared inside a differentiated function cannot be differentiated; declare it at the top level of the file", s);
      default:
        return this.reject(Codes.UnsupportedStatement, `${statementDescription(s)} cannot be differentiated; write it with if/else, loops and assignments`, s);
    }
  }

  lowerForInitializer(initializer: ts.ForInitializer, span: SourceSpan): Stmt[] {
    this.inForInit = true;
    try {
      return ts.isVariableDeclarationList(initializer) ? this.lowerDeclarations(initializer) : this.lowerExpressionStatement(initializer, span);
    } finally {
      this.inForInit = false;
    }
  }

  bindIndexKey(name: string): string {
    const counter = this.bind(name, b.NUMBER, false);
    this.stringKeys.add(counter);
    return counter;
  }

  private lowerDeclarations(list: ts.VariableDeclarationList): Stmt[] {
    const mutable = (list.flags & ts.NodeFlags.Const) === 0;
    if ((list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) === 0) {
      this.reject(Codes.UnsupportedStatement, "'var' is not supported; use 'let' or 'const'", list);
    }
    // Each declarator's own statements go right before it (a later one may read an earlier one).
    const each = (d: ts.VariableDeclaration) => (this.inForInit ? this.lowerDeclarator(d, mutable) : this.statement(() => this.lowerDeclarator(d, mutable)));
    return list.declarations.flatMap(each);
  }

  private lowerDeclarator(d: ts.VariableDeclaration, mutable: boolean): Stmt[] {
    {
      if (!ts.isIdentifier(d.name)) return this.destructure(d, mutable);
      const name = d.name.text;
      let declared: ValueType | undefined;
      if (d.type) {
        const shape = shapeOfTypeNode(d.type, this.resolveType);
        if ("error" in shape) this.reject(shape.error === "any" ? Codes.AnyType : Codes.UnsupportedType, `local '${name}' must have a numeric, boolean or numeric-array type`, d.type);
        declared = shape;
      }
      let init: Expr;
      let type: ValueType;
      const fn = d.initializer && functionValue(d.initializer);
      if (fn) {
        // `const sq = (t: number) => t * t`: a local function, inlined where it is called.
        this.bindFunction(name, { kind: "closure", node: fn, name, captured: this.capture() });
        return [];
      }
      const matrix = d.initializer ? (this.matrices.declare(name, d.initializer, mutable, d) ?? this.matrices.declareRow(name, d.initializer, mutable, d) ?? this.matrices.declarePushed(name, d.initializer, declared, mutable, d) ?? this.matrices.declareBuilding(name, d.initializer, mutable, d)) : null;
      if (matrix) return matrix;
      if (d.initializer && ts.isCallExpression(skipOuter(d.initializer)) && this.callbacks.isArrayMethod(skipOuter(d.initializer) as ts.CallExpression)) {
        // `const total = xs.reduce(…)`: the loop's own variable is `total`.
        this.callbacks.arrayMethod(skipOuter(d.initializer) as ts.CallExpression, { name, mutable });
        return [];
      }
      if (d.initializer && ts.isArrayLiteralExpression(skipOuter(d.initializer)) && hasSpread(skipOuter(d.initializer) as ts.ArrayLiteralExpression)) {
        spreadArray(this, skipOuter(d.initializer) as ts.ArrayLiteralExpression, { name, mutable });
        return [];
      }
      const built = d.initializer ? lowerArrayBuilder(this, name, d.initializer, mutable) : null;
      if (built) return built;
      // `const W = [[1, 2], [3, 4]]`: a table of constants, as a module-level one (read-only, never differentiated).
      const literal = d.initializer && skipOuter(d.initializer);
      if (!mutable && literal && ts.isArrayLiteralExpression(literal) && literal.elements.some((x) => ts.isArrayLiteralExpression(skipOuter(x as ts.Expression)))) {
        const table = constantTable(literal, this.module);
        if (table) {
          return [{ kind: "declare", name: this.bind(name, tableType(table), false), type: tableType(table), init: tableLiteral(table), mutable: false, span: this.span(d) }];
        }
      }
      if (d.initializer) {
        init = this.lowerExpr(d.initializer);
        type = declared ?? this.typeOf(init, d.initializer);
      } else {
        if (!declared || declared.kind !== "number") {
          this.reject(Codes.UnsupportedStatement, `'${name}' needs an initial value`, d);
        }
        init = b.num(0); // every use is after an assignment (tsc checks it); 0 keeps the IR total
        type = declared;
      }
      const declarations = this.declareNamed(name, init, type, mutable, d);
      // `const out: Vec2 = [a, b]`: the literal alone is a number[], not the tuple (or alias) it is returned as.
      const written = d.type && init.kind === "arrayLiteral" && !this.privateAlias(d.type) && !this.mentionsTypeParameter(d.type) ? d.type.getText(this.sourceFile) : undefined;
      const only = declarations.length === 1 ? declarations[0]! : undefined;
      if (written && written !== typeText(type) && only?.kind === "declare") return [{ ...only, annotation: written }];
      return declarations;
    }
  }

  /** `const name = init` (or `let`) once its value is lowered: a variable, or another name for an array, object or object literal. */
  declareNamed(name: string, init: Expr, type: ValueType, mutable: boolean, d: ts.Node): Stmt[] {
    {
      if ((type.kind === "record" || type.kind === "array") && init.kind === "var") {
        // Another name for a parameter's array or field: reads go straight to the path.
        if (mutable) this.reject(Codes.UnsupportedStatement, `declare '${name}' with 'const': it names an existing array or object`, d);
        this.bind(name, type, false);
        this.aliases[this.aliases.length - 1]!.set(name, init);
        return [];
      }
      // `let z = new Complex(re, im)`, `let z = c.mul(w)`: a new object no other name holds, so `z` may take its fields as variables of its own.
      const fresh = mutable && ts.isVariableDeclaration(d) && !!d.initializer && (ts.isNewExpression(skipOuter(d.initializer)) || ts.isCallExpression(skipOuter(d.initializer)));
      if (type.kind === "record" && init.kind === "record" && init.byReference && !fresh) {
        // `const e = d` of a local object: another name for the same fields, as in JavaScript.
        if (mutable) this.reject(Codes.UnsupportedStatement, `declare '${name}' with 'const': it names an existing object`, d);
        this.bind(name, type, false);
        this.aliases[this.aliases.length - 1]!.set(name, init);
        return [];
      }
      if (type.kind === "record" && init.kind === "record" && this.elements.has(init)) {
        // `const layer = layers[i]` of an array of records: one constant per field (`const
        // layer_w = layers.w[i]`, a row of the parameter, not a copy), named by the record.
        if (mutable) this.reject(Codes.UnsupportedStatement, `declare '${name}' with 'const': it names an element of an array of objects`, d);
        const fields = init.fields.map((f) => {
          const fieldType = this.typeOf(f.value, d);
          return { name: f.name, type: fieldType, value: f.value, irName: this.bind(this.fresh(`${name}_${f.name}`), fieldType, false) };
        });
        this.bind(name, type, false);
        const local: Expr = { kind: "record", byReference: true, fields: fields.map((f) => ({ name: f.name, value: b.v(f.irName) })) };
        this.elements.set(local, this.elements.get(init)!);
        this.aliases[this.aliases.length - 1]!.set(name, local);
        return fields.map((f): Stmt => ({ kind: "declare", name: f.irName, type: f.type, init: f.value, mutable: false, span: this.span(d) }));
      }
      const isArrayVar = (e: Expr) => e.kind === "var" && this.typeOf(e, d).kind === "array";
      if (type.kind === "record" && init.kind === "record" && init.fields.every((f) => this.typeOf(f.value, d).kind === "number" || isArrayVar(f.value))) {
        // A local record of numbers and array variables (`const grad = { x: 0, w: w_bar }`):
        // each number field is a variable of its own, an array field names its array; the
        // fields can be written (`grad.x += …`, `grad.w[i] += …`), also by a helper it is passed to.
        const fields = init.fields.map((f) => {
          if (isArrayVar(f.value)) return { name: f.name, irName: null, value: f.value };
          let irName = `${name}_${f.name}`;
          for (let k = 1; this.taken.has(irName); k++) irName = `${name}_${f.name}_${k}`;
          irName = this.bind(irName, b.NUMBER, true);
          return { name: f.name, irName, value: f.value };
        });
        this.bind(name, type, false);
        const local: Expr = { kind: "record", byReference: true, fields: fields.map((f) => ({ name: f.name, value: f.irName ? b.v(f.irName) : f.value })) };
        // An object of a class keeps its class (its methods and getters), as `let z = new Complex(…)` does.
        const instanceOf = this.instances.get(init);
        if (instanceOf) this.instances.set(local, instanceOf);
        this.aliases[this.aliases.length - 1]!.set(name, local);
        return fields.flatMap((f): Stmt[] => (f.irName ? [{ kind: "declare", name: f.irName, type: b.NUMBER, init: f.value, mutable: true, span: this.span(d) }] : []));
      }
      if (type.kind === "record") this.reject(Codes.UnsupportedStatement, `local objects are supported only as an object literal of numbers and array variables; read the fields of '${name}' where you need them`, d);
      const irName = this.bind(name, type, mutable, !this.inForInit);
      // `const row = grid[0]`: another name for the parameter's row (writes through it change grid).
      const owner = type.kind === "array" && init.kind === "index" ? rootName(init) : null;
      if (owner && this.isParameter(owner)) this.paramRows.set(irName, owner);
      return [{ kind: "declare", name: irName, type, init, mutable, span: this.span(d) } satisfies Stmt];
    }
  }

  bindPattern(pattern: ts.BindingName, value: Expr, type: ValueType, mutable: boolean, node: ts.Node): Stmt[] {
    return bindPattern(this, pattern, value, type, mutable, node);
  }

  /** `const [a, b] = x`, `const { w, b } = p`, and nested patterns: one declaration (or alias) per name. */
  private destructure(d: ts.VariableDeclaration, mutable: boolean): Stmt[] {
    if (!d.initializer) return this.reject(Codes.UnsupportedStatement, "a destructuring declaration needs a value", d);
    const value = this.lowerExpr(d.initializer);
    return bindPattern(this, d.name, value, this.typeOf(value, d.initializer), mutable, d.initializer);
  }

  /** A destructured parameter (`{ w, b }: Params`, `[a, b]: [number, number]`): its names read its parts. */
  private destructureParam(p: SourceParam): Stmt[] {
    const binding = this.lookup(p.name)!;
    return bindPattern(this, p.pattern!, b.v(binding.irName), binding.type, false, p.declaration!);
  }

  lowerExpressionStatement(e: ts.Expression, span: SourceSpan): Stmt[] {
    if (ts.isParenthesizedExpression(e)) return this.lowerExpressionStatement(e.expression, span);
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.EqualsToken && ts.isIdentifier(e.left) && this.localRecord(e.left.text)) {
        return this.assignRecord(this.localRecord(e.left.text)!, e, span);
      }
      if (op === ts.SyntaxKind.EqualsToken && ts.isArrayLiteralExpression(e.left)) return this.assignElements(e.left, e.right, span);
      if (op === ts.SyntaxKind.EqualsToken) {
        const target = this.lowerLValue(e.left);
        return [{ kind: "assign", target, value: this.lowerExpr(e.right), span }];
      }
      const arith = COMPOUND_OPS[op];
      if (arith) {
        const target = this.lowerLValue(e.left);
        return [{ kind: "assign", target, value: b.bin(arith, target, this.lowerExpr(e.right)), span }];
      }
      if (op === ts.SyntaxKind.CommaToken) {
        return [...this.lowerExpressionStatement(e.left, span), ...this.lowerExpressionStatement(e.right, span)];
      }
    }
    if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) {
      if (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken) {
        const target = this.lowerLValue(e.operand);
        const op = e.operator === ts.SyntaxKind.PlusPlusToken ? "+" : "-";
        return [{ kind: "assign", target, value: b.bin(op, target, b.num(1)), span }];
      }
    }
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === "fill" && !ts.isNewExpression(e.expression.expression)) {
      return this.lowerFillZero(e, e.expression.expression, span);
    }
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === "set" && (e.arguments.length === 1 || e.arguments.length === 2)) {
      // `buf.set(xs, offset)` on a local typed array: a copy loop.
      const target = e.expression.expression;
      const array = this.lowerExpr(target);
      const type = this.typeOf(array, target);
      if (type.kind === "array" && type.container !== "array" && type.element.kind === "number") {
        if (array.kind !== "var" || type.readonly || this.isParameter(array.name)) this.reject(Codes.UnsupportedCall, "'.set' is supported on a local typed array; for a parameter, copy into a local one first ('const buf = new Float64Array(n)')", e);
        const source = this.arrayValue(e.arguments[0]!, "items");
        const from = this.typeOf(source, e.arguments[0]!);
        if (from.kind !== "array" || from.element.kind !== "number") this.reject(Codes.UnsupportedCall, "'.set' copies an array of numbers", e.arguments[0]!);
        const offset = e.arguments[1] ? this.lowerExpr(e.arguments[1]) : b.num(0);
        this.numeric(offset, e.arguments[1] ?? e);
        const j = this.variable(`${array.name}_j`, b.NUMBER, true);
        return [b.countUp(j, b.num(0), { kind: "length", object: source }, [b.assign({ kind: "index", object: array, index: b.isNumber(offset, 0) ? b.v(j) : b.add(offset, b.v(j)) }, b.index(source, b.v(j)))], span)];
      }
    }
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === "sort" && !isFreshCopy(e.expression.expression)) {
      // `ys.sort((a, b) => a - b);` on a local array: a sorted copy, copied back.
      const target = e.expression.expression;
      const array = this.lowerExpr(target);
      const type = this.typeOf(array, target);
      if (array.kind !== "var" || type.kind !== "array" || type.element.kind !== "number" || type.readonly || this.isParameter(array.name)) {
        this.reject(Codes.UnsupportedCall, "'.sort' in place is supported on a local number[]; for a parameter write 'const sorted = xs.toSorted((a, b) => a - b)' (sorting it would change the caller's array)", e);
      }
      const sorted = this.callbacks.sortedCopy(array, this.comparator(e), `${array.name}_sorted`, e);
      const k = this.variable(`${array.name}_k`, b.NUMBER, true);
      return [b.countUp(k, b.num(0), { kind: "length", object: array }, [b.assign({ kind: "index", object: array, index: b.v(k) }, b.index(sorted, b.v(k)))], span)];
    }
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === "push") {
      // `m.push(row)` onto a local matrix declared empty.
      const pushed = this.matrices.push(e, span);
      if (pushed) return pushed;
      const target = e.expression.expression;
      const array = this.lowerExpr(target);
      const type = this.typeOf(array, target);
      if (array.kind !== "var" || type.kind !== "array" || type.container !== "array" || type.element.kind !== "number" || type.readonly) {
        this.reject(Codes.UnsupportedCall, type.kind === "array" && type.element.kind === "array" ? "'.push' is supported on a local number[] only; a local matrix is supported as 'const m = Array.from({ length: n }, () => new Array<number>(k).fill(0))' (or with '(_, j) => …' computing each entry), read and written as m[i][j]" : "'.push' is supported on a local number[] only; copy into one first ('const ys = xs.slice();')", e);
      }
      if (!this.lookup(array.name)?.mutable && this.isParameter(array.name)) this.reject(Codes.UnsupportedCall, "'.push' on a parameter would change the caller's array; copy it first", e);
      if (e.arguments.length !== 1) this.reject(Codes.UnsupportedCall, "push one value at a time", e);
      return [{ kind: "append", array: array.name, value: this.lowerExpr(e.arguments[0]!), span }];
    }
    if (ts.isCallExpression(e) && this.inlinedCallee(e)) {
      this.lowerExpr(e); // inlined: its statements are emitted, its value (if any) unused
      return [];
    }
    if (ts.isCallExpression(e)) {
      const call = this.lowerExpr(e); // reports the precise reason if the call itself is unsupported
      // A helper may write into an array argument, so its call can stand alone.
      if (call.kind === "userCall") return [{ kind: "call", callee: call.callee, args: call.args, span }];
      return this.reject(Codes.UnsupportedStatement, "a call whose result is discarded has no effect here; remove it or use its value", e);
    }
    return this.reject(Codes.UnsupportedStatement, "this expression statement has no effect; only assignments, '++' and '--' are allowed as statements", e);
  }

  /** The fields of a local object (`let acc = { re: 0, im: 0 }`) as its variables, if `name` is one. */
  private localRecord(name: string): Extract<Expr, { kind: "record" }> | undefined {
    for (let i = this.aliases.length - 1; i >= 0; i--) {
      const alias = this.aliases[i]!.get(name);
      if (alias) return alias.kind === "record" && alias.byReference ? alias : undefined;
    }
    return undefined;
  }

  /**
   * `acc = add(mul(acc, z), c)` for a local object: each number field is assigned, all from
   * values computed before any is written (the new fields may read the old ones).
   */
  private assignRecord(target: Extract<Expr, { kind: "record" }>, e: ts.BinaryExpression, span: SourceSpan): Stmt[] {
    const value = this.lowerExpr(e.right);
    if (value.kind !== "record") return this.reject(Codes.UnsupportedAssignment, `assign an object with the fields of '${e.left.getText(this.sourceFile)}' (a literal, or a helper returning one)`, e.right);
    const targets = target.fields.map((f) => {
      const v = value.fields.find((x) => x.name === f.name);
      if (!v) return this.reject(Codes.UnsupportedAssignment, `the new value has no field '${f.name}'`, e.right);
      if (f.value.kind !== "var" || !this.byIrName.get(f.value.name)?.mutable) return this.reject(Codes.UnsupportedAssignment, `field '${f.name}' holds an array; assign its elements instead`, e.left);
      return { name: f.value.name, value: v.value };
    });
    const written = new Set(targets.map((t) => t.name));
    const readsTarget = targets.some((t) => someExpr(t.value, (x) => x.kind === "var" && written.has(x.name)));
    const out: Stmt[] = [];
    const values = targets.map((t) => {
      if (!readsTarget || b.isTrivial(t.value)) return t.value;
      const temp = this.variable(`${t.name}_next`, b.NUMBER, false);
      out.push({ kind: "declare", name: temp, type: b.NUMBER, init: t.value, mutable: false, span });
      return b.v(temp);
    });
    targets.forEach((t, k) => out.push({ kind: "assign", target: { kind: "var", name: t.name }, value: values[k]!, span }));
    return out;
  }

  /** `a.fill(0)` on a writable number array (generated entry points clear buffers so): a counted loop of `a[i] = 0`. */
  private lowerFillZero(call: ts.CallExpression, target: ts.Expression, span: SourceSpan): Stmt[] {
    const array = this.lowerExpr(target);
    const type = this.typeOf(array, target);
    const [value, ...rest] = call.arguments;
    if (type.kind !== "array" || type.element.kind !== "number" || type.readonly || !value || rest.length || !ts.isNumericLiteral(value) || Number(value.text) !== 0) {
      return this.reject(Codes.UnsupportedCall, "'.fill(0)' is supported on a writable number array only", call);
    }
    return this.inScope(() => {
      // (An inlined callee's buffer may be a variable named like `grad.x`.)
      const base = array.kind === "var" && /^[A-Za-z_$][\w$]*$/.test(array.name) ? array.name : "fill";
      const i = this.bind(`${base}_i`, b.NUMBER, true);
      return [b.countUp(i, b.num(0), { kind: "length", object: array }, [b.assign({ kind: "index", object: array, index: b.v(i) }, b.num(0))], span)];
    });
  }

  /**
   * `[a, b] = [b, a + b]`, `[x, y] = rotate(x, y)`: every value on the right is read before
   * any target is written, so each is held in a const first (a constant or a name the
   * targets do not include needs none).
   */
  private assignElements(targets: ts.ArrayLiteralExpression, right: ts.Expression, span: SourceSpan): Stmt[] {
    const value = this.lowerExpr(right);
    const type = this.typeOf(value, right);
    if (type.kind !== "array") return this.reject(Codes.UnsupportedStatement, `only an array or a tuple can be assigned to '[…]'; this value is ${describeType(type)}`, right);
    const written = new Set(targets.elements.flatMap((t) => (ts.isIdentifier(t) ? [this.lookup(t.text)?.irName ?? t.text] : [])));
    const writesElements = targets.elements.some((t) => ts.isElementAccessExpression(t) || ts.isPropertyAccessExpression(t));
    const source = value.kind === "arrayLiteral" ? undefined : this.hold(value, "parts", right);
    const out: Stmt[] = [];
    const assigns: Stmt[] = [];
    targets.elements.forEach((t, k) => {
      if (ts.isOmittedExpression(t)) return;
      if (ts.isSpreadElement(t) || !(ts.isIdentifier(t) || ts.isElementAccessExpression(t) || ts.isPropertyAccessExpression(t))) {
        this.reject(Codes.UnsupportedStatement, "assign to plain names or elements in '[…] = …' ('[a, b] = [b, a + b]')", t);
      }
      let part = source ? b.index(source, b.num(k)) : (value as Extract<Expr, { kind: "arrayLiteral" }>).elements[k] ?? this.reject(Codes.UnsupportedStatement, `the array has no element ${k}`, t);
      // Held: unless no assignment before it can change it (a constant; a name, or an element of
      // an array, that no target writes).
      const readOnly = (x: Expr) => x.kind === "var" && !written.has(x.name);
      const independent = part.kind === "number" || (!writesElements && (source ? readOnly(source) : readOnly(part)));
      if (!independent) {
        const name = this.bind(this.fresh(ts.isIdentifier(t) ? `${t.text}_next` : "next"), this.typeOf(part, t), false);
        out.push({ kind: "declare", name, type: this.typeOf(part, t), init: part, mutable: false, span });
        part = b.v(name);
      }
      assigns.push({ kind: "assign", target: this.lowerLValue(t), value: part, span });
    });
    return [...out, ...assigns];
  }

  private lowerLValue(e: ts.Expression): LValue {
    if (ts.isParenthesizedExpression(e)) return this.lowerLValue(e.expression);
    if (ts.isIdentifier(e)) {
      const binding = this.lookup(e.text);
      if (binding?.rejected) throw new UsesRejected(e.text);
      if (!binding) {
        if (this.module.mutableNames.has(e.text)) {
          this.reject(Codes.MutableModuleState, `'${e.text}' is module-level state; a differentiated function may not write variables outside itself`, e);
        }
        this.reject(Codes.UnsupportedAssignment, `cannot assign to '${e.text}'`, e);
      }
      if (!binding.mutable) this.reject(Codes.UnsupportedAssignment, `cannot assign to '${e.text}' because it is a constant or a parameter`, e);
      return { kind: "var", name: binding.irName };
    }
    if (ts.isElementAccessExpression(e)) {
      const element = this.matrices.element(e);
      if (element) return element as Extract<LValue, { kind: "index" }>;
      const object = this.lowerExpr(e.expression);
      const objectType = this.typeOf(object, e.expression);
      if (objectType.kind !== "array") this.reject(Codes.UnsupportedAssignment, "only array elements can be assigned by index", e);
      if (objectType.readonly) this.reject(Codes.UnsupportedAssignment, "cannot write into a readonly array", e);
      if (objectType.element.kind !== "number") this.reject(Codes.UnsupportedAssignment, "only number elements can be assigned; assign to a[i][j]", e);
      const row = rootName(object);
      const owner = row ? this.paramRows.get(row) : undefined;
      if (owner) this.reject(Codes.UnsupportedAssignment, `'${row}' is a row of the parameter '${owner}': writing it changes ${owner}, which the derivative does not follow; copy the row first ('const ${row} = ${owner}[…].slice();') or write into a local array`, e);
      return { kind: "index", object, index: this.lowerExpr(e.argumentExpression) };
    }
    if (ts.isPropertyAccessExpression(e)) {
      const object = this.lowerExpr(e.expression);
      const objectType = this.typeOf(object, e.expression);
      const field = objectType.kind === "record" ? objectType.fields.find((f) => f.name === e.name.text) : undefined;
      if (field && field.type.kind === "number") {
        if (object.kind === "record") {
          // A field of a local record: its own variable.
          const target = object.fields.find((f) => f.name === e.name.text)!.value;
          if (target.kind === "var" && this.byIrName.get(target.name)?.mutable) return { kind: "var", name: target.name };
        } else if (object.kind === "var" && this.isParameter(object.name) && !this.annotated) {
          // A helper writing a number field of a record argument (a generated `fGradInto`
          // adding into `grad.x`): only meaningful inlined, so annotated functions may not.
          return { kind: "var", name: `${object.name}.${e.name.text}` };
        }
      }
      this.reject(Codes.UnsupportedAssignment, "only number fields of a local object literal (or, in a helper, of an object parameter) can be assigned", e);
    }
    return this.reject(Codes.UnsupportedAssignment, "only local variables and array elements can be assigned", e);
  }

  /**
   * `layers[i]` of an array of records: the record of its fields' elements, `{ w: layers.w[i],
   * b: layers.b[i] }` (struct of arrays). Its fields are read like any object's; an index
   * that is not a variable or a literal is computed once first.
   */
  recordAt(object: Expr, type: Extract<ValueType, { kind: "record" }>, index: Expr, node: ts.Node): Expr {
    if (this.typeOf(index, node).kind !== "number") this.reject(Codes.UnsupportedExpression, "array indices must be numbers", node);
    const i = b.isTrivial(index) ? index : this.hold(index, "k", node);
    const element: Expr = { kind: "record", fields: type.fields.map((f) => ({ name: f.name, value: b.index(this.fieldOf(object, f.name, node), i) })) };
    this.elements.set(element, elementOfRecords(type));
    return element;
  }

  /** The number of records in an array of records (its first field's length). */
  recordsLength(object: Expr, type: Extract<ValueType, { kind: "record" }>, node: ts.Node): Expr {
    return { kind: "length", object: this.fieldOf(object, type.fields[0]!.name, node) };
  }

  /**
   * The records `recordAt` made (`const layer = layers[i]` names their fields' rows), and
   * the locals naming one, with the element's type: its name finds a class's methods
   * (`layers[i].forward(x)`).
   */
  private readonly elements = new WeakMap<Expr, ValueType>();
  /** Objects `new C(…)` built here, by their class's name: `v.dot(w)` and `v.norm` find C's members. */
  private readonly instances = new WeakMap<Expr, string>();

  /** Local matrices (frontend/matrices.ts): one flat array each. */
  private readonly matrices = new LocalMatrices(this);

  matrixRow(e: ts.Expression): { length: Expr; at(j: Expr): Expr; bind(name: string): void } | undefined {
    return this.matrices.row(e);
  }

  /**
   * `xs.slice(a, b)` as the receiver of a callback method (`x.slice(i + 1).reduce(…)`): read
   * in place, `xs[a + j]` for j < b - a, with no copy (a local array made in a loop could not
   * be kept for the reverse sweep). Undefined for anything else.
   */
  sliceView(e: ts.Expression): { length: Expr; at(j: Expr): Expr; bind(name: string): void } | undefined {
    const x = skipOuter(e);
    if (!ts.isCallExpression(x) || !ts.isPropertyAccessExpression(x.expression) || x.expression.name.text !== "slice" || x.arguments.length > 2 || x.arguments.some(ts.isSpreadElement)) return undefined;
    // Of a path, or of an array an expression builds (`x.toSorted(…).slice(0, k)`: built once, before the statement).
    const receiver = x.expression.expression;
    if (!isPath(receiver) && !ts.isCallExpression(skipOuter(receiver))) return undefined;
    const source = isPath(receiver) ? this.lowerExpr(receiver) : this.arrayValue(receiver, "items");
    const type = this.typeOf(source, receiver);
    if (type.kind !== "array" || type.element.kind !== "number") return undefined;
    const { start, end } = sliceBounds(this, source, x.arguments);
    const kept = (bound: Expr, base: string) => (bound.kind === "number" || bound.kind === "var" || bound.kind === "length" ? bound : this.hold(bound, base, x));
    const from = kept(start, "from");
    const to = kept(end, "to");
    return {
      length: b.sub(to, from),
      at: (j) => b.index(source, b.add(from, j)),
      bind: () => this.reject(Codes.UnsupportedCall, `this callback reads the array it is called on: give the slice a name first ('const part = ${x.getText(this.sourceFile)}')`, x),
    };
  }

  matrixRows(e: ts.Expression): { rows: Expr; bindRow(name: string, at: Expr, node: ts.Node): void } | undefined {
    return this.matrices.rowsOf(e);
  }

  /** A new number array named after `base`, of `length` elements `element(i)`, built by a loop before the statement. */
  builtArray(base: string, container: ArrayContainer, length: Expr, element: (i: Expr) => Expr, node: ts.Node): Expr {
    const type: ValueType = { kind: "array", element: b.NUMBER, container, readonly: false };
    const name = this.variable(base, type, false);
    const i = this.variable(`${name}_i`, b.NUMBER, true);
    const span = this.span(node);
    this.emit(
      { kind: "declare", name, type, init: { kind: "zeros", container, length }, mutable: false, span },
      b.countUp(i, b.num(0), length, [b.assign({ kind: "index", object: b.v(name), index: b.v(i) }, element(b.v(i)))], span),
    );
    return b.v(name);
  }

  textOf(node: ts.Node): string {
    return node.getText(this.sourceFile);
  }

  irNameOf(name: string): string | undefined {
    return this.aliases.some((a) => a.has(name)) ? undefined : this.lookup(name)?.irName;
  }

  /** Arrays of records built in the function (`xs.map((v) => ({ … }))`), one local array per field, with their type. */
  private readonly recordArrays = new WeakMap<Expr, Extract<ValueType, { kind: "record" }>>();

  localRecords(fields: { name: string; array: string }[]): Expr {
    const records: Expr = { kind: "record", byReference: true, fields: fields.map((f) => ({ name: f.name, value: b.v(f.array) })) };
    this.recordArrays.set(records, { kind: "record", arrayOfRecords: true, fields: fields.map((f) => ({ name: f.name, type: { kind: "array", element: b.NUMBER, container: "array", readonly: false } })) });
    return records;
  }

  /** The field `name` of a record value: a dotted path of a parameter (`layers.w`), a literal's field, or a field expression. */
  fieldOf(object: Expr, name: string, node: ts.Node): Expr {
    if (object.kind === "var") return b.v(`${object.name}.${name}`);
    if (object.kind === "record") return object.fields.find((f) => f.name === name)?.value ?? this.reject(Codes.UnsupportedExpression, `'${name}' is not a field of this object`, node);
    return { kind: "field", object, name };
  }

  /** Keys of `for…in` loops (strings in JavaScript), by IR name: usable as indices only. */
  private readonly stringKeys = new Set<string>();

  /** An array-valued expression as something a loop can index repeatedly: a variable, or a fresh local holding it. */
  arrayValue(e: ts.Expression, base: string): Expr {
    const value = this.lowerExpr(e);
    if (value.kind === "var" || this.typeOf(value, e).kind !== "array") return value;
    return this.hold(value, base, e);
  }

  /** `const name = value` emitted before the statement, for an expression used more than once. */
  hold(value: Expr, base: string, node: ts.Node): Expr {
    if (b.isTrivial(value)) return value;
    const type = this.typeOf(value, node);
    const name = this.bind(this.fresh(base), type, false);
    this.emit({ kind: "declare", name, type, init: value, mutable: false, span: this.span(node) });
    return b.v(name);
  }

  // ---- expressions ----

  lowerCondition(e: ts.Expression): Expr {
    const expr = this.lowerExpr(e);
    const type = this.typeOf(expr, e);
    if (type.kind !== "boolean") this.reject(Codes.UnsupportedExpression, "conditions must be boolean (write 'x !== 0' instead of 'x')", e);
    return expr;
  }

  lowerExpr(e: ts.Expression): Expr {
    switch (e.kind) {
      case ts.SyntaxKind.NumericLiteral:
        return b.num(Number((e as ts.NumericLiteral).text));
      case ts.SyntaxKind.TrueKeyword:
        return b.bool(true);
      case ts.SyntaxKind.FalseKeyword:
        return b.bool(false);
      case ts.SyntaxKind.ParenthesizedExpression:
        return this.lowerExpr((e as ts.ParenthesizedExpression).expression);
      case ts.SyntaxKind.NonNullExpression: {
        // `xs.find(p)!`: the element at the index found (as JavaScript reads it).
        const inner = (e as ts.AsExpression).expression;
        const found = this.foundCall(inner);
        if (found) return this.callbacks.arrayMethod(found, undefined, { fallback: null });
        return this.lowerExpr(inner);
      }
      case ts.SyntaxKind.AsExpression:
      case ts.SyntaxKind.SatisfiesExpression:
      case ts.SyntaxKind.TypeAssertionExpression:
        return this.lowerExpr((e as ts.AsExpression).expression);
      case ts.SyntaxKind.Identifier:
        return this.lowerIdentifier(e as ts.Identifier);
      case ts.SyntaxKind.ThisKeyword: {
        for (let i = this.aliases.length - 1; i >= 0; i--) {
          const receiver = this.aliases[i]!.get("this");
          if (receiver) return receiver;
        }
        return this.reject(Codes.UnsupportedExpression, "'this' can only be read inside a method of a class", e);
      }
      case ts.SyntaxKind.PropertyAccessExpression:
        return this.lowerPropertyAccess(e as ts.PropertyAccessExpression);
      case ts.SyntaxKind.ElementAccessExpression: {
        const node = e as ts.ElementAccessExpression;
        const element = this.matrices.element(node);
        if (element) return element;
        const object = this.lowerExpr(node.expression);
        const objectType = this.typeOf(object, node.expression);
        if (objectType.kind === "record" && objectType.arrayOfRecords) return this.recordAt(object, objectType, this.lowerExpr(node.argumentExpression), node.argumentExpression);
        if (objectType.kind !== "array") {
          this.reject(Codes.UnsupportedExpression, "dynamic property access is not supported; index arrays only", node);
        }
        const i = this.lowerExpr(node.argumentExpression);
        if (this.typeOf(i, node.argumentExpression).kind !== "number") this.reject(Codes.UnsupportedExpression, "array indices must be numbers", node.argumentExpression);
        return b.index(object, i);
      }
      case ts.SyntaxKind.PrefixUnaryExpression: {
        const node = e as ts.PrefixUnaryExpression;
        if (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken) return this.lowerUpdateExpression(node);
        const operand = this.lowerExpr(node.operand);
        if (node.operator === ts.SyntaxKind.MinusToken) return this.numeric(operand, node.operand) && { kind: "unary", op: "-", operand };
        if (node.operator === ts.SyntaxKind.PlusToken) return this.numeric(operand, node.operand) && operand;
        if (node.operator === ts.SyntaxKind.ExclamationToken) return { kind: "unary", op: "!", operand };
        return this.reject(Codes.UnsupportedExpression, expressionMessage(e), e);
      }
      case ts.SyntaxKind.BinaryExpression:
        return this.lowerBinary(e as ts.BinaryExpression);
      case ts.SyntaxKind.ConditionalExpression: {
        const node = e as ts.ConditionalExpression;
        return {
          kind: "conditional",
          test: this.lowerCondition(node.condition),
          whenTrue: this.lowerExpr(node.whenTrue),
          whenFalse: this.lowerExpr(node.whenFalse),
        };
      }
      case ts.SyntaxKind.CallExpression:
        return this.lowerCall(e as ts.CallExpression);
      case ts.SyntaxKind.NewExpression:
        return this.lowerNew(e as ts.NewExpression);
      case ts.SyntaxKind.ArrayLiteralExpression: {
        const node = e as ts.ArrayLiteralExpression;
        if (hasSpread(node)) return spreadArray(this, node);
        return { kind: "arrayLiteral", elements: node.elements.map((x) => this.lowerExpr(x)) };
      }
      case ts.SyntaxKind.ObjectLiteralExpression:
        return this.lowerObjectLiteral(e as ts.ObjectLiteralExpression);
      case ts.SyntaxKind.PostfixUnaryExpression:
        return this.lowerUpdateExpression(e as ts.PostfixUnaryExpression);
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.FunctionExpression:
        return this.reject(Codes.UnsupportedExpression, "a function cannot be stored or returned in a differentiated function; call it, declare it as a local constant, or pass it as a callback (to map, reduce, forEach, filter, some, every or a helper)", e);
      case ts.SyntaxKind.AwaitExpression:
        return this.reject(Codes.UnsupportedExpression, "'await' cannot be differentiated", e);
      default:
        return this.reject(Codes.UnsupportedExpression, expressionMessage(e), e);
    }
  }

  /**
   * `k++`, `--i` inside an expression (`out[k++] = v`, `while (i-- > 0)`): the update runs as
   * a statement before the one being lowered, and the expression reads the value JavaScript
   * gives it (the old one after a postfix operator). That order is JavaScript's only where
   * nothing else in the statement mentions the variable and the update always runs, so
   * anything else is refused.
   */
  private lowerUpdateExpression(node: ts.PrefixUnaryExpression | ts.PostfixUnaryExpression): Expr {
    const refuse = (why: string): never =>
      this.reject(Codes.UnsupportedExpression, `'++' and '--' inside an expression ${why}; write the update as a statement of its own`, node);
    if (!ts.isIdentifier(node.operand)) refuse("are supported on a local variable only");
    const name = (node.operand as ts.Identifier).text;
    const statement = updateScope(node, refuse);
    if (mentionsOf(statement, name) > 1) refuse(`are supported where nothing else in the statement mentions '${name}'`);
    const [update] = this.lowerExpressionStatement(node, this.span(node));
    if (ts.isPrefixUnaryExpression(node)) {
      this.emit(update!);
      return this.lowerExpr(node.operand);
    }
    const old = this.lowerExpr(node.operand);
    const held = this.bind(this.fresh(`${name}_was`), this.typeOf(old, node.operand), false);
    this.emit({ kind: "declare", name: held, type: this.typeOf(old, node.operand), init: old, mutable: false, span: this.span(node) }, update!);
    return b.v(held);
  }

  private numeric(expr: Expr, node: ts.Node): true {
    if (expr.kind === "var" && this.mayBeUndefined.has(expr.name)) {
      this.reject(Codes.UnsupportedExpression, `'${expr.name}' is optional and may be undefined here; write '${expr.name} ?? <default>'`, node);
    }
    if (expr.kind === "var" && this.stringKeys.has(expr.name)) {
      this.reject(Codes.UnsupportedExpression, `'${expr.name}' comes from for…in, so it is a string: use it only to index arrays, or loop with 'for (let ${expr.name} = 0; ${expr.name} < xs.length; ${expr.name}++)'`, node);
    }
    const type = this.typeOf(expr, node);
    if (type.kind !== "number") this.reject(Codes.UnsupportedExpression, `arithmetic needs numbers; this is ${describeType(type)}`, node);
    return true;
  }

  private lowerIdentifier(id: ts.Identifier): Expr {
    const name = id.text;
    for (let i = this.aliases.length - 1; i >= 0; i--) {
      const alias = this.aliases[i]!.get(name);
      if (alias) return alias;
    }
    const binding = this.lookup(name);
    if (binding?.rejected) throw new UsesRejected(name);
    if (binding?.fn) this.reject(Codes.UnsupportedExpression, `'${name}' is a function: call it, or pass it as a callback; it cannot be used as a value`, id);
    if (binding && this.matrices.has(binding.irName)) {
      this.reject(Codes.UnsupportedExpression, `'${name}' is a local matrix or a row of one, read and written by index ('m[i][j]', 'row[j]', and '.length'), or passed to a function of this file ('dot(m[i], x)', 'energy(m)'); write a loop for anything else`, id);
    }
    if (binding && this.optionalObjects.has(binding.irName)) {
      this.reject(Codes.UnsupportedExpression, `'${name}' is optional and may be undefined here; read its fields as '${name}?.field ?? <default>'`, id);
    }
    if (binding) return b.v(binding.irName);
    if (name === "Infinity") return b.num(Infinity);
    if (name === "NaN") return b.num(NaN);
    if (name === "undefined") return b.v("undefined");
    const constant = this.module.numericConstants.get(name);
    if (constant !== undefined) return b.num(constant);
    const table = this.module.constantTables.get(name);
    if (table) {
      this.tablesRead.add(name);
      this.byIrName.set(name, { type: tableType(table), mutable: false, irName: name });
      return b.v(name);
    }
    if (this.module.mutableNames.has(name)) {
      this.reject(Codes.MutableModuleState, `'${name}' is mutable module state; pass it as a parameter instead`, id);
    }
    this.importProblem(name, id, "value");
    if (this.module.functionNames.has(name)) {
      this.reject(Codes.UnsupportedExpression, `function '${name}' can only be called here, not used as a value (pass it as a callback to map, reduce, forEach or a helper, or call it)`, id);
    }
    const why = this.module.otherConstants.get(name);
    if (why) {
      this.reject(Codes.UnsupportedExpression, `'${name}' is a module-level constant, but ${why}; pass it in as a parameter, or make it a number or a table of numbers`, id);
    }
    if (this.module.enums.has(name)) this.reject(Codes.UnsupportedExpression, `enum '${name}' can only be read member by member ('${name}.Member')`, id);
    return this.reject(Codes.UnsupportedExpression, `'${name}' is not defined here: it is not a parameter, a local variable or a module-level constant; declare it, or pass it in as a parameter`, id);
  }

  /**
   * `{ a: e, b }`: a record value, for a call argument (`f(x, { x: 1, y: 0 })`), a returned
   * record, or a local record of numbers. It never reaches a transform: the inliner
   * substitutes it into the callee (see transform/inline.ts), and a local one is split into
   * one variable per field.
   */
  private lowerObjectLiteral(node: ts.ObjectLiteralExpression): Expr {
    const fields: { name: string; value: Expr }[] = [];
    // A field given again (after a spread) keeps its first place and takes the last value, as in JavaScript.
    const set = (name: string, value: Expr, p: ts.Node) => {
      const type = this.typeOf(value, p);
      if (type.kind !== "number" && type.kind !== "record" && type.kind !== "array") {
        this.reject(Codes.UnsupportedExpression, "object fields must be numbers, numeric arrays or such objects", p);
      }
      const at = fields.findIndex((f) => f.name === name);
      if (at >= 0) fields[at] = { name, value };
      else fields.push({ name, value });
    };
    for (const p of node.properties) {
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) {
        set(p.name.text, this.lowerExpr(p.initializer), p);
      } else if (ts.isShorthandPropertyAssignment(p)) {
        set(p.name.text, this.lowerIdentifier(p.name), p);
      } else if (ts.isSpreadAssignment(p)) {
        // `{ ...p, b: 2 }`: each field of p (an object of numbers and arrays), then the fields written after it.
        const spread = this.lowerExpr(p.expression);
        const type = this.typeOf(spread, p.expression);
        if (type.kind !== "record" || type.arrayOfRecords) this.reject(Codes.UnsupportedExpression, "only an object can be spread into an object literal ('{ ...p, b: 2 }'); write the fields out instead", p);
        for (const f of (type as Extract<ValueType, { kind: "record" }>).fields) set(f.name, this.fieldOf(spread, f.name, p), p);
      } else {
        this.reject(Codes.UnsupportedExpression, "only 'name: value', shorthand fields and '...object' are supported in an object literal; write the fields out", p);
      }
    }
    return { kind: "record", fields };
  }

  private lowerPropertyAccess(node: ts.PropertyAccessExpression): Expr {
    const property = node.name.text;
    // `m.length`, `m[i].length` of a local matrix.
    const size = property === "length" ? this.matrices.length(node.expression) : undefined;
    if (size) return size;
    if (ts.isIdentifier(node.expression) && node.expression.text === "Math" && !this.lookup("Math")) {
      if (MATH_CONSTANTS.includes(property)) return b.v(`Math.${property}`);
      if (property === "random") this.reject(Codes.NonDeterministic, "Math.random is not deterministic and cannot be differentiated; pass random numbers in as a parameter", node);
      return this.reject(Codes.UnsupportedExpression, `Math.${property} can only be called`, node);
    }
    if (ts.isIdentifier(node.expression) && !this.lookup(node.expression.text)) {
      const owner = node.expression.text;
      if (owner === "Number" && property in NUMBER_CONSTANTS) return b.num(NUMBER_CONSTANTS[property]!);
      const members = this.module.enums.get(owner);
      if (members) {
        const value = members.get(property);
        if (value === undefined) this.reject(Codes.UnsupportedExpression, `'${property}' is not a member of enum '${owner}'`, node.name);
        return b.num(value);
      }
    }
    const optional = ts.isIdentifier(node.expression) ? this.lookup(node.expression.text) : undefined;
    if (optional && this.optionalObjects.has(optional.irName) && !this.aliases.some((a) => a.has((node.expression as ts.Identifier).text))) {
      // `opts?.eps`: undefined when opts or its field is; read through `??` (lowerNullish).
      const type = optional.type as Extract<ValueType, { kind: "record" }>;
      if (!type.fields.some((f) => f.name === property)) this.reject(Codes.UnsupportedExpression, `'${property}' is not a field of '${node.expression.getText(this.sourceFile)}'`, node.name);
      const path = `${optional.irName}?.${property}`;
      this.mayBeUndefined.add(path);
      return b.v(path);
    }
    const object = this.lowerExpr(node.expression);
    const type = this.typeOf(object, node.expression);
    if (type.kind === "array" && property === "length") return { kind: "length", object };
    if (type.kind === "record" && type.arrayOfRecords) {
      // `layers.length`: the length of any one field's array (all have one entry per record).
      if (property === "length") return this.recordsLength(object, type, node);
      return this.reject(Codes.UnsupportedExpression, `'.${property}' of an array of objects cannot be read here: tsgrad reads its '.length', its elements ('${node.expression.getText(this.sourceFile)}[i].${type.fields[0]!.name}') and loops over it ('for (const { ${type.fields.map((f) => f.name).join(", ")} } of ${node.expression.getText(this.sourceFile)})')`, node.name);
    }
    if (type.kind === "record" && object.kind === "var") {
      const field = type.fields.find((f) => f.name === property);
      if (!field) this.reject(Codes.UnsupportedExpression, `'${property}' is not a field of '${object.name}'`, node.name);
      // `opts.eps` of `eps?: number`: read through `??`, as an optional parameter is.
      if (field?.optional) this.mayBeUndefined.add(`${object.name}.${property}`);
      return b.v(`${object.name}.${property}`);
    }
    const getter = type.kind === "record" && type.name && !type.fields.some((f) => f.name === property) ? this.getterOf(type.name, property) : undefined;
    if (getter) {
      // `v.norm` of `get norm()`: the getter's body inlined with `this` = v.
      return this.callbacks.value({ kind: "closure", node: getter, name: `${type.kind === "record" ? type.name : ""}.${property}`, captured: this.classLevel(getter), receiver: object }, [], node);
    }
    if (type.kind === "record") {
      if (!type.fields.some((f) => f.name === property)) this.reject(Codes.UnsupportedExpression, `'${property}' is not a field of this object`, node.name);
      // A local record (split into variables) or a literal: the field itself.
      if (object.kind === "record") return object.fields.find((f) => f.name === property)!.value;
      // The field of a record a call returns (`g(x).tangent`): the inliner picks it out.
      return { kind: "field", object, name: property };
    }
    return this.reject(Codes.UnsupportedExpression, `'.${property}' cannot be read here: tsgrad reads '.length' of arrays and the declared fields of objects and classes (this value is ${describeType(type)})`, node);
  }

  private lowerBinary(node: ts.BinaryExpression): Expr {
    if (node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) return this.lowerNullish(node);
    const op = BINARY_OPS[node.operatorToken.kind];
    if (!op) {
      if (node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
        this.reject(Codes.UnsupportedExpression, "assignments inside expressions are not supported; make the assignment its own statement", node);
      }
      return this.reject(Codes.UnsupportedExpression, operatorMessage(node.operatorToken.getText(this.sourceFile)), node.operatorToken);
    }
    const left = this.lowerExpr(node.left);
    const right = this.lowerExpr(node.right);
    if (op === "&&" || op === "||") {
      if (this.typeOf(left, node.left).kind !== "boolean" || this.typeOf(right, node.right).kind !== "boolean") {
        this.reject(Codes.UnsupportedExpression, `'${op}' is only supported on conditions`, node);
      }
    } else if (op !== "===" && op !== "!==" && op !== "==" && op !== "!=") {
      this.numeric(left, node.left);
      this.numeric(right, node.right);
    }
    return b.bin(op, left, right);
  }

  /**
   * `eps ?? 1e-8` on an optional parameter: `eps === undefined ? 1e-8 : eps`. On any other
   * value (never undefined here) it is that value.
   */
  private lowerNullish(node: ts.BinaryExpression): Expr {
    // `xs.find(p) ?? d`: the element found, else d.
    const found = this.foundCall(node.left);
    if (found) {
      const fallback = this.lowerExpr(node.right);
      const value = this.callbacks.arrayMethod(found, undefined, { fallback });
      this.numeric(fallback, node.right);
      return value;
    }
    const left = this.lowerExpr(node.left);
    if (left.kind !== "var" || !this.mayBeUndefined.has(left.name)) return left;
    const right = this.lowerExpr(node.right);
    this.numeric(right, node.right);
    return { kind: "conditional", test: b.bin("===", left, b.v("undefined")), whenTrue: right, whenFalse: left };
  }

  /** The comparator of `xs.sort(…)` / `xs.toSorted(…)`; refused without one (JavaScript then sorts numbers as strings). */
  private comparator(node: ts.CallExpression): FunctionValue {
    const [compare] = node.arguments;
    const fn = compare && node.arguments.length === 1 && !ts.isSpreadElement(compare) ? this.functionValue(compare) : undefined;
    if (!fn) this.reject(Codes.UnsupportedCall, "pass a comparator: '(a, b) => a - b' sorts numbers ascending ('(a, b) => b - a' descending); without one JavaScript sorts them as strings (10 before 9)", node);
    return fn!;
  }

  /** `xs.find(p)` / `xs.findLast(p)` with a function argument (`e` without parentheses), read through `??` or `!`. */
  private foundCall(e: ts.Expression): ts.CallExpression | undefined {
    let x = e;
    while (ts.isParenthesizedExpression(x)) x = x.expression;
    const fn = ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && FOUND_METHODS.has(x.expression.name.text) && x.arguments.length === 1 ? x.arguments[0]! : undefined;
    return fn && this.functionValue(fn) ? (x as ts.CallExpression) : undefined;
  }

  /** `xs.at(k)`: `xs[k]`, counted from the end when k is negative (`xs.at(-1)` is `xs[xs.length - 1]`). */
  private elementAt(array: Expr, at: ts.Expression): Expr {
    const k = this.lowerExpr(at);
    this.numeric(k, at);
    const fromEnd = (offset: Expr) => b.index(array, b.add({ kind: "length", object: array }, offset));
    const constant = k.kind === "number" ? k.value : k.kind === "unary" && k.op === "-" && k.operand.kind === "number" ? -k.operand.value : undefined;
    if (constant !== undefined) return constant < 0 ? fromEnd(b.num(constant)) : b.index(array, b.num(constant));
    return { kind: "conditional", test: b.bin("<", k, b.num(0)), whenTrue: fromEnd(k), whenFalse: b.index(array, k) };
  }

  private lowerCall(node: ts.CallExpression): Expr {
    const callee = node.expression;
    const inlined = this.inlinedCallee(node);
    if (inlined === "arrayMethod") return this.callbacks.arrayMethod(node);
    // A function of the program (not a closure) cannot assign the caller's variables.
    if (inlined) return this.callbacks.value(inlined, this.callArguments(node, ts.isIdentifier(callee) && !this.lookup(callee.text)), node);
    // new Array(n).fill(0)
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "fill" && ts.isNewExpression(callee.expression)) {
      const created = this.lowerNew(callee.expression, true);
      const [value] = node.arguments;
      if (node.arguments.length !== 1 || !value || this.lowerExpr(value).kind !== "number" || (this.lowerExpr(value) as { value: number }).value !== 0) {
        this.reject(Codes.UnsupportedExpression, "only '.fill(0)' is supported on a new array; write a loop that fills it otherwise", node);
      }
      return created;
    }
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Number" && !this.lookup("Number") && NUMBER_PREDICATES.has(`Number.${callee.name.text}`)) {
      const name = `Number.${callee.name.text}`;
      if (node.arguments.length !== 1 || ts.isSpreadElement(node.arguments[0]!)) return this.reject(Codes.UnsupportedCall, `${name} takes one number here`, node);
      const arg = this.lowerExpr(node.arguments[0]!);
      this.numeric(arg, node.arguments[0]!);
      return b.call(name, [arg]);
    }
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "at" && node.arguments.length === 1 && !ts.isSpreadElement(node.arguments[0]!)) {
      const array = this.lowerExpr(callee.expression);
      if (this.typeOf(array, callee.expression).kind === "array") return this.elementAt(array, node.arguments[0]!);
    }
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Math" && !this.lookup("Math")) {
      const name = `Math.${callee.name.text}`;
      if (callee.name.text === "random") {
        this.reject(Codes.NonDeterministic, "Math.random is not deterministic and cannot be differentiated; pass random numbers in as a parameter", node);
      }
      const rule = PRIMITIVES[name];
      if (!rule) this.reject(Codes.UnsupportedCall, `${name} has no derivative rule in tsgrad (the Math functions it differentiates are listed in the README); compute it from those, or add a rule (CONTRIBUTING: adding a primitive)`, node);
      if ((name === "Math.max" || name === "Math.min") && node.arguments.some(ts.isSpreadElement)) return spreadExtremum(this, name, node);
      const args = node.arguments.map((a) => {
        // Math.hypot(...xs) rounds as the engine's n-ary hypot does, which no loop reproduces bit for bit.
        if (ts.isSpreadElement(a) && name === "Math.hypot") this.reject(Codes.UnsupportedCall, "Math.hypot cannot take a spread array here (a loop would not give its value to the last bit); for a norm write Math.sqrt(xs.reduce((s, v) => s + v * v, 0)), or list the arguments", a);
        if (ts.isSpreadElement(a)) this.reject(Codes.UnsupportedCall, `${name} cannot take a spread array (only Math.max and Math.min can); list the arguments, or for a norm write Math.sqrt(xs.reduce((s, v) => s + v * v, 0))`, a);
        const arg = this.lowerExpr(a);
        this.numeric(arg, a);
        return arg;
      });
      if ((name === "Math.max" || name === "Math.min") && args.length < 2) {
        this.reject(Codes.UnsupportedCall, `${name} needs at least two arguments here`, node);
      }
      if (rule.arity !== "variadic" && args.length !== rule.arity) {
        this.reject(Codes.UnsupportedCall, `${name} takes ${rule.arity} argument(s) here`, node);
      }
      return b.call(name, args);
    }
    if (ts.isIdentifier(callee) && this.module.functionNames.has(callee.text) && !this.lookup(callee.text)) {
      const args = node.arguments.map((a) => {
        if (ts.isSpreadElement(a)) this.reject(Codes.UnsupportedCall, "spreading arguments into a call cannot be differentiated; pass the array itself", a);
        return this.lowerExpr(a);
      });
      return this.programCall(callee.text, args, node);
    }
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "push") {
      this.reject(Codes.UnsupportedCall, "'.push' can only be a statement of its own ('a.push(x);')", node);
    }
    // `m.flat()` of a local matrix: a copy of its flat array.
    const flat = this.matrices.flat(node);
    if (flat) return flat;
    // `xs.indexOf(v)`: a search loop before the statement (strict equality, as indexOf); an index, with no derivative.
    if (ts.isPropertyAccessExpression(callee) && (callee.name.text === "indexOf" || callee.name.text === "lastIndexOf") && isPath(callee.expression) && node.arguments.length === 1 && !ts.isSpreadElement(node.arguments[0]!)) {
      const array = this.lowerExpr(callee.expression);
      const type = this.typeOf(array, callee.expression);
      if (type.kind === "array" && type.element.kind === "number") {
        const sought = this.hold(this.lowerExpr(node.arguments[0]!), "sought", node.arguments[0]!);
        const at = this.variable("index", b.NUMBER, true);
        const i = this.variable(`${at}_i`, b.NUMBER, true);
        this.callbacks.search(at, i, { kind: "length", object: array }, callee.name.text === "lastIndexOf", () => ({ pre: [], value: b.bin("===", b.index(array, b.v(i)), sought) }), this.span(node));
        return b.v(at);
      }
    }
    // `xs.includes(v)`: the same search (SameValueZero, as includes: NaN finds NaN); a boolean.
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "includes" && isPath(callee.expression) && node.arguments.length === 1 && !ts.isSpreadElement(node.arguments[0]!)) {
      const array = this.lowerExpr(callee.expression);
      const type = this.typeOf(array, callee.expression);
      if (type.kind === "array" && type.element.kind === "number") {
        const sought = this.hold(this.lowerExpr(node.arguments[0]!), "sought", node.arguments[0]!);
        this.numeric(sought, node.arguments[0]!);
        const at = this.variable("index", b.NUMBER, true);
        const i = this.variable(`${at}_i`, b.NUMBER, true);
        const entry = b.index(array, b.v(i));
        const same = b.or(b.bin("===", entry, sought), b.and(b.call("Number.isNaN", [entry]), b.call("Number.isNaN", [sought])));
        this.callbacks.search(at, i, { kind: "length", object: array }, false, () => ({ pre: [], value: same }), this.span(node));
        return b.bin(">=", b.v(at), b.num(0));
      }
    }
    if (ts.isPropertyAccessExpression(callee) && FOUND_METHODS.has(callee.name.text) && node.arguments[0] && this.functionValue(node.arguments[0])) {
      this.reject(Codes.UnsupportedCall, `'.${callee.name.text}(…)' gives undefined when nothing matches: write '${callee.getText(this.sourceFile)}(…) ?? fallback', or '${callee.getText(this.sourceFile)}(…)!' when an element always matches (or take the index with '.${callee.name.text}Index(…)')`, node);
    }
    // `xs.toSorted((a, b) => a - b)`, and `sort(…)` of a fresh copy (`xs.slice().sort(…)`, `[...xs].sort(…)`): a sorted copy.
    if (ts.isPropertyAccessExpression(callee) && (callee.name.text === "toSorted" || (callee.name.text === "sort" && isFreshCopy(callee.expression)))) {
      return this.callbacks.sortedCopy(this.arrayValue(copiedArray(callee.expression), "items"), this.comparator(node), "sorted", node);
    }
    // `xs.toReversed()`, and `reverse()` of a fresh copy (`xs.slice().reverse()`, `[...xs].reverse()`): a reversed copy.
    if (ts.isPropertyAccessExpression(callee) && node.arguments.length === 0 && (callee.name.text === "toReversed" ? isPath(callee.expression) : callee.name.text === "reverse" && isFreshCopy(callee.expression))) {
      const source = this.arrayValue(callee.expression, "items");
      const type = this.typeOf(source, callee.expression);
      if (type.kind === "array" && type.element.kind === "number") {
        const length: Expr = { kind: "length", object: source };
        return this.builtArray("reversed", type.container, length, (i) => b.index(source, b.sub(b.sub(length, b.num(1)), i)), node);
      }
    }
    // A copy in an expression (`x.slice(1, -1).reduce(…)`, `x.concat(y)`): a local array built before the statement.
    // (On a path only: it lowers to an expression alone, so lowering it again here emits nothing.)
    if (ts.isPropertyAccessExpression(callee) && (callee.name.text === "slice" || callee.name.text === "concat") && isPath(callee.expression)) {
      if (this.typeOf(this.lowerExpr(callee.expression), callee.expression).kind === "array") {
        if (callee.name.text === "concat") return concatArrays(this, node, callee.expression);
        const name = this.fresh(ts.isIdentifier(callee.expression) ? `${callee.expression.text}_part` : "part");
        const built = lowerArrayBuilder(this, name, node, false);
        if (built) {
          this.emit(...built);
          return b.v((built[0] as Extract<Stmt, { kind: "declare" }>).name);
        }
      }
    }
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && !this.lookup(callee.expression.text)) {
      this.importProblem(callee.expression.text, node, "call", callee.name.text);
    }
    return this.reject(Codes.UnsupportedCall, `'${callee.getText(this.sourceFile)}(…)' cannot be differentiated: tsgrad calls Math functions, functions of your program (this file or a relative import), methods of your classes, and map/reduce/forEach/filter/some/every/find/findIndex (and findLast…), reduceRight, slice, concat, indexOf, lastIndexOf, includes, at, toReversed, toSorted, fill, push and a typed array's set; for a library function, supply its derivative with '@vjpOf'`, node);
  }

  private lowerNew(node: ts.NewExpression, filled = false): Expr {
    const ctor = node.expression.getText(this.sourceFile);
    const args = node.arguments ?? [];
    if ((ctor === "Array" && filled) || ctor === "Float64Array" || ctor === "Int32Array") {
      if (args.length === 1) {
        const length = this.lowerExpr(args[0]!);
        if (this.typeOf(length, args[0]!).kind === "number") {
          return { kind: "zeros", container: ctor === "Array" ? "array" : ctor === "Int32Array" ? "int32array" : "float64array", length };
        }
      }
      this.reject(Codes.UnsupportedExpression, `'new ${ctor}' takes one length argument here`, node);
    }
    if (ctor === "Array") this.reject(Codes.UnsupportedExpression, "write 'new Array(n).fill(0)' so the array holds numbers", node);
    const declaration = ts.isIdentifier(node.expression) && !this.lookup(ctor) ? this.resolveType(ctor) : undefined;
    if (declaration && ts.isClassDeclaration(declaration)) return this.construct(declaration, node);
    return this.reject(Codes.UnsupportedExpression, `'new ${ctor}' is not supported in a differentiated function; construct objects of your own classes (of numbers), or pass the object in as a parameter`, node);
  }

  /**
   * `new Vec(a, b)` of a class of the program whose fields are numbers: one local variable
   * per field (as a local object literal has), set as JavaScript sets them: parameter
   * properties, then field initializers, then the constructor's body inlined with `this`
   * the new object. The object's methods and getters are inlined where they are used.
   */
  private construct(declaration: ts.ClassDeclaration, node: ts.NewExpression): Expr {
    const className = declaration.name?.text ?? "class";
    // (A class that extends another has no shape here: it is refused with the others.)
    const shape = shapeOfClass(declaration, this.resolveType);
    if ("error" in shape || shape.kind !== "record" || shape.arrayOfRecords || !shape.fields.every((f) => f.type.kind === "number")) {
      return this.reject(Codes.UnsupportedExpression, `'new ${className}' builds an object tsgrad holds only when its fields are numbers; pass such an object in as a parameter, or keep its numbers in local variables`, node);
    }
    const ctor = declaration.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && !!m.body);
    // The arguments, each evaluated once, in order: a constructor body may read a parameter
    // several times, so there each is a local; parameter properties alone read each once.
    const hasBody = !!ctor && ctor.body!.statements.length > 0;
    const args: Argument[] = (node.arguments ?? []).map((a) => {
      if (ts.isSpreadElement(a)) return this.reject(Codes.UnsupportedCall, "spreading arguments into a constructor cannot be differentiated; pass the numbers themselves", a);
      let value = this.lowerExpr(a);
      const type = this.typeOf(value, a);
      if (hasBody && type.kind === "number" && value.kind !== "number" && value.kind !== "var") {
        const name = this.variable("arg", b.NUMBER, false);
        this.emit({ kind: "declare", name, type: b.NUMBER, init: value, mutable: false, span: this.span(a) });
        value = b.v(name);
      }
      return { kind: "value", value, type, node: a };
    });
    const initial = (field: string): Expr => {
      const k = ctor?.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === field && ts.isParameterPropertyDeclaration(p, ctor)) ?? -1;
      if (k >= 0) {
        const arg = args[k];
        if (arg?.kind === "value") return arg.value;
        const fallback = ctor!.parameters[k]!.initializer;
        return fallback ? this.lowerExpr(fallback) : b.num(0);
      }
      const property = declaration.members.find((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === field);
      return property?.initializer ? this.lowerExpr(property.initializer) : b.num(0);
    };
    const fields = shape.fields.map((f) => {
      const name = this.variable(`${className.charAt(0).toLowerCase()}${className.slice(1)}_${f.name}`, b.NUMBER, true);
      this.emit({ kind: "declare", name, type: b.NUMBER, init: initial(f.name), mutable: true, span: this.span(node) });
      return { name: f.name, value: b.v(name) };
    });
    const object: Expr = { kind: "record", byReference: true, fields };
    this.instances.set(object, className);
    if (hasBody) {
      this.callbacks.value({ kind: "closure", node: ctor, name: `${className} constructor`, captured: this.classLevel(declaration), receiver: object }, args, node);
    }
    return object;
  }

  /** The shape of a lowered expression (syntactic: locals and parameters carry their types). */
  typeOf(e: Expr, node: ts.Node): ValueType {
    switch (e.kind) {
      case "number": case "length": return b.NUMBER;
      case "boolean": return b.BOOLEAN;
      case "var": {
        if (e.name.startsWith("Math.")) return b.NUMBER;
        if (e.name === "undefined") return { kind: "opaque", text: "undefined" };
        const binding = this.byIrName.get(e.name) ?? this.lookup(e.name);
        if (!binding) return this.reject(Codes.InternalError, `unknown variable '${e.name}'`, node);
        return binding.type;
      }
      case "index": {
        const t = this.typeOf(e.object, node);
        if (t.kind !== "array") return this.reject(Codes.UnsupportedExpression, "only arrays can be indexed", node);
        return t.element;
      }
      case "unary": return e.op === "!" ? b.BOOLEAN : b.NUMBER;
      case "binary":
        return BOOLEAN_OPS.has(e.op) ? b.BOOLEAN : b.NUMBER;
      case "call": return NUMBER_PREDICATES.has(e.callee) ? b.BOOLEAN : b.NUMBER;
      case "userCall": return this.userCallTypes.get(e.callee) ?? b.NUMBER;
      case "conditional": {
        const t = this.typeOf(e.whenTrue, node);
        if (t.kind === "array") this.reject(Codes.UnsupportedExpression, "a conditional choosing between arrays cannot be differentiated; choose between their elements instead (c ? a[i] : b[i]), or use if/else", node);
        return t;
      }
      case "zeros": return { kind: "array", element: b.NUMBER, container: e.container, readonly: false };
      case "record": {
        const instanceOf = this.instances.get(e);
        return this.recordArrays.get(e) ?? this.elements.get(e) ?? { kind: "record", ...(instanceOf && { name: instanceOf }), fields: e.fields.map((f) => ({ name: f.name, type: this.typeOf(f.value, node) })) };
      }
      case "field": {
        const t = this.typeOf(e.object, node);
        const field = t.kind === "record" ? t.fields.find((f) => f.name === e.name) : undefined;
        if (!field) return this.reject(Codes.UnsupportedExpression, `'${e.name}' is not a field of this object`, node);
        return field.type;
      }
      case "arrayLiteral": {
        const element = e.elements.length ? this.typeOf(e.elements[0]!, node) : b.NUMBER;
        if (element.kind !== "number") this.reject(Codes.UnsupportedExpression, "an array literal here must hold numbers; a local matrix (number[][]) is supported only as a 'const' table of constant numbers: keep a computed one in a flat number[] of n * k entries, indexed [i * k + j]", node);
        return { kind: "array", element, container: "array", readonly: false };
      }
      default:
        return this.reject(Codes.InternalError, `no type for ${e.kind}`, node);
    }
  }
}

function containsRecord(t: ValueType): boolean {
  return t.kind === "record" || (t.kind === "array" && containsRecord(t.element));
}

function structuralText(t: ValueType): string {
  if (t.kind === "record" && t.arrayOfRecords) return `${structuralText(elementOfRecords(t))}[]`;
  return t.kind === "record" ? `{ ${t.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${structuralText(f.type)}`).join("; ")} }` : typeText(t);
}

/** True if every path through `body` ends in a return (loops are assumed to exit normally). */
function definitelyReturns(body: Stmt[]): boolean {
  return body.some((s) => {
    if (s.kind === "return") return true;
    if (s.kind === "if") return definitelyReturns(s.then) && definitelyReturns(s.else);
    if (s.kind === "block") return definitelyReturns(s.body);
    // `while (true)` / `for (;;)` without a break of its own never falls through.
    if (s.kind === "loop" && (s.test === null || (s.test.kind === "boolean" && s.test.value))) return !breaksOut(s.body);
    return false;
  });
}

function breaksOut(body: Stmt[]): boolean {
  return body.some((s) => {
    if (s.kind === "break") return true;
    if (s.kind === "if") return breaksOut(s.then) || breaksOut(s.else);
    if (s.kind === "block") return breaksOut(s.body);
    return false; // a break inside a nested loop leaves only that loop
  });
}

/** How a message names a statement kind (never an AST node kind). */
function statementDescription(s: ts.Statement): string {
  if (ts.isClassDeclaration(s)) return "a class declaration";
  if (ts.isEnumDeclaration(s)) return "an enum declared inside a function";
  if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) return "a type declared inside a function";
  if (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) return "an import or export";
  if (ts.isWithStatement(s)) return "'with'";
  if (ts.isDebuggerStatement(s)) return "'debugger'";
  return "this statement";
}

/** A table's values as nested array literals. */
function tableLiteral(t: Table): Expr {
  return { kind: "arrayLiteral", elements: t.map((x) => (typeof x === "number" ? b.num(x) : tableLiteral(x))) };
}

/** The type of a module-level table: readonly, so a function cannot write into it. */
function tableType(t: Table): ValueType {
  return { kind: "array", element: typeof t[0] === "number" ? b.NUMBER : tableType(t[0] as Table), container: "array", readonly: true };
}

function skipOuter(e: ts.Expression): ts.Expression {
  let x = e;
  while (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isSatisfiesExpression(x) || ts.isNonNullExpression(x)) x = x.expression;
  return x;
}

/** Whether a function's written (or, without one, its returned literal's) type is an object or a tuple: its result is taken apart where it is called. */
function returnsObjectOrTuple(fn: FunctionNode, resolve: (name: string) => ReturnType<TypeResolver>): boolean {
  const type = fn.type;
  if (type) {
    if (ts.isTupleTypeNode(type) || ts.isTypeLiteralNode(type)) return true;
    if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
      const d = resolve(type.typeName.text);
      if (!d) return false;
      if (ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d)) return true;
      if (ts.isTypeAliasDeclaration(d)) return ts.isTupleTypeNode(d.type) || ts.isTypeLiteralNode(d.type);
    }
    return false;
  }
  const body = fn.body;
  if (!body) return false;
  if (!ts.isBlock(body)) return ts.isObjectLiteralExpression(skipOuter(body)) || ts.isArrayLiteralExpression(skipOuter(body));
  return returnsOf(body).some((r) => !!r.expression && (ts.isObjectLiteralExpression(skipOuter(r.expression)) || ts.isArrayLiteralExpression(skipOuter(r.expression))));
}

/** A name, `this`, or fields and elements of one (`layer.w`, `layers[i]`): no calls. */
/**
 * The part of the source that runs with an update expression: a loop's or an if's condition,
 * or the statement holding it. Refuses an update that runs only sometimes (a branch of `?:`,
 * the right of `&&`, `||`, `??`) or once per element (a callback's body).
 */
function updateScope(node: ts.Node, refuse: (why: string) => never): ts.Node {
  let at = node;
  for (;;) {
    const parent = at.parent;
    if (ts.isConditionalExpression(parent) && at !== parent.condition) refuse("in a branch of '?:' are not supported");
    if (ts.isBinaryExpression(parent) && at === parent.right && [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(parent.operatorToken.kind)) {
      refuse("on the right of '&&', '||' or '??' are not supported");
    }
    if (ts.isFunctionLike(parent)) refuse("in a callback are not supported");
    if (ts.isIterationStatement(parent, false) || ts.isIfStatement(parent) || ts.isSwitchStatement(parent)) return at;
    if (parent.kind >= ts.SyntaxKind.FirstStatement && parent.kind <= ts.SyntaxKind.LastStatement) return parent;
    at = parent;
  }
}

/** How many times `name` is read or written as a variable in `node` (property names aside). */
function mentionsOf(node: ts.Node, name: string): number {
  let count = 0;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === name && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) && !(ts.isPropertyAssignment(n.parent) && n.parent.name === n)) count++;
    ts.forEachChild(n, visit);
  };
  visit(node);
  return count;
}

/** Methods of arrays (those tsgrad lowers and others), never probed as a class's on a call's result. */
const ARRAY_METHOD_NAMES = new Set(["at", "concat", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex", "flat", "forEach", "includes", "indexOf", "join", "lastIndexOf", "map", "reduce", "reduceRight", "reverse", "slice", "some", "sort", "toReversed", "toSorted"]);

/** What a copy copies, when sorting the copy can read the original instead: `xs` of `xs.slice()` and `[...xs]`; else `e`. */
function copiedArray(e: ts.Expression): ts.Expression {
  const x = skipOuter(e);
  if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && x.expression.name.text === "slice" && x.arguments.length === 0) return x.expression.expression;
  if (ts.isArrayLiteralExpression(x) && x.elements.length === 1 && ts.isSpreadElement(x.elements[0]!)) return x.elements[0].expression;
  return e;
}

/** A new array the expression builds (`xs.slice()`, `[...xs]`, `xs.concat(ys)`), so reversing it in place changes nothing else. */
function isFreshCopy(e: ts.Expression): boolean {
  const x = skipOuter(e);
  if (ts.isArrayLiteralExpression(x)) return true;
  return ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && ["slice", "concat", "map", "filter", "toReversed"].includes(x.expression.name.text);
}

function isPath(e: ts.Expression): boolean {
  const x = skipOuter(e);
  if (ts.isIdentifier(x) || x.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (ts.isPropertyAccessExpression(x)) return isPath(x.expression);
  if (ts.isElementAccessExpression(x)) return isPath(x.expression) && (ts.isIdentifier(x.argumentExpression) || ts.isNumericLiteral(x.argumentExpression));
  return false;
}

/** The names a statement declares in its block (`const a = …, [b, c] = …`, `function f`). */
function declaredBy(s: ts.Statement): string[] {
  const out: string[] = [];
  const names = (n: ts.BindingName): void => {
    if (ts.isIdentifier(n)) out.push(n.text);
    else for (const el of n.elements) if (!ts.isOmittedExpression(el)) names(el.name);
  };
  if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) names(d.name);
  if (ts.isFunctionDeclaration(s) && s.name) out.push(s.name.text);
  return out;
}

/** Why an operator cannot be differentiated, and what to write instead. */
function operatorMessage(op: string): string {
  if (["&", "|", "^", "<<", ">>", ">>>", "~"].includes(op)) return `the bitwise operator '${op}' has no derivative; for an integer part use Math.floor or Math.trunc, for flags use booleans`;
  if (op === "in" || op === "instanceof") return `'${op}' tests an object's kind, which tsgrad's values do not have; pass what you need as a parameter`;
  if (op === ",") return "the comma operator cannot be differentiated here; write each expression as its own statement";
  return `the operator '${op}' cannot be differentiated; write it with arithmetic, comparisons, && and || (or ?? on an optional parameter)`;
}

/** Why an expression cannot be differentiated, in words (never a syntax-tree kind), and what to write instead. */
function expressionMessage(e: ts.Expression): string {
  if (ts.isTypeOfExpression(e)) return "'typeof' cannot be differentiated: tsgrad knows every value's type from the declarations, so the test is not needed; remove it";
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)) return "strings cannot be differentiated; keep text out of the differentiated function (pass a number or an enum member instead)";
  if (ts.isVoidExpression(e)) return "'void' cannot be differentiated; remove it";
  if (ts.isDeleteExpression(e)) return "'delete' cannot be differentiated; build a new value instead of removing a field";
  if (e.kind === ts.SyntaxKind.NullKeyword) return "'null' cannot be differentiated; use a number (and a flag if it means 'missing')";
  if (ts.isRegularExpressionLiteral(e)) return "regular expressions cannot be differentiated; keep text processing out of the differentiated function";
  if (ts.isTaggedTemplateExpression(e)) return "tagged templates cannot be differentiated; compute the value before calling the function";
  if (ts.isClassExpression(e)) return "a class expression cannot be differentiated; declare the class at the top level of the file";
  if (ts.isBigIntLiteral(e)) return "BigInt values cannot be differentiated; use a number";
  if (ts.isYieldExpression(e)) return "'yield' cannot be differentiated; return an array of the values instead";
  if (ts.isSpreadElement(e)) return "spread is supported in array literals and in Math.max/Math.min; pass the array itself elsewhere";
  return "this expression cannot be differentiated; write it with numbers, arrays, arithmetic, Math functions and calls of your own functions";
}

/** `@checkpoint` on a function: its outermost loops (not inside another loop) that carry no directive of their own. */
function checkpointOutermostLoops(stmts: Stmt[], request: CheckpointRequest): Stmt[] {
  return stmts.map((s): Stmt => {
    switch (s.kind) {
      case "loop": return s.checkpoint ? s : { ...s, checkpoint: request };
      case "if": return { ...s, then: checkpointOutermostLoops(s.then, request), else: checkpointOutermostLoops(s.else, request) };
      case "block": return { ...s, body: checkpointOutermostLoops(s.body, request) };
      default: return s;
    }
  });
}
