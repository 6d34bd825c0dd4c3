/**
 * The program: every source file of one build, parsed once, so a function can call
 * helpers declared in its own file or imported (with a relative import) from another.
 *
 * Gives each file its module scope (constants, mutable state, function names, the
 * declared return shapes of callable functions) and lowers callees on demand, cached.
 */
import path from "node:path";
import { ts } from "../typescript.ts";
import { Codes, DiagnosticError, fail, type Diagnostic, type SourceSpan } from "../diagnostics.ts";
import type { FunctionIR, ValueType } from "../ir/nodes.ts";
import { discoverAnnotations, spanOf, type Discovery } from "./annotations.ts";
import { lowerFunction, type ImportedName, type ModuleScope } from "./lower.ts";
import { parseSource } from "./parse.ts";
import { shapeOfTypeNode } from "./types.ts";
import { sourceParams, tagsOf, type FunctionSource } from "./functions.ts";

/** A user-supplied reverse-mode rule for a callee (see customVjp). */
export interface CustomVjp {
  rule: string;
  ruleFile: string;
  /** The primal's file, or `module:<specifier>[#<exported name>]` for a function imported from a package. */
  primalFile: string;
  primalName: string;
  /** The primal's parameters, read off the rule's signature. */
  params: { name: string; type: ValueType }[];
}
import { rootName, walkStmts } from "../ir/visit.ts";

/** Helpers with more statements than this get one shared derivative instead of being inlined. */
export const SHARE_THRESHOLD = 12;

type TypeDeclaration = ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.ClassDeclaration | ts.EnumDeclaration;

interface FileEntry {
  path: string;
  sourceFile: ts.SourceFile;
  /** Code tsgrad generated earlier in this build (a nested derivative calls it). */
  generated: boolean;
  discovery?: Discovery;
}

export class ProgramIndex {
  private readonly files = new Map<string, FileEntry>();
  private readonly lowered = new Map<string, FunctionIR>();
  /** Functions whose return type is being inferred (a recursive one cannot be). */
  private readonly inferring = new Set<string>();
  /** typeDeclarationOf's answers, by file and name, until a file is added. */
  private readonly typeDeclarations = new Map<string, TypeDeclaration | undefined>();

  /** Adds a file of the build; `generated`: a file this build generated, which a later source calls. */
  add(filePath: string, text: string, generated = false): ts.SourceFile {
    const sourceFile = parseSource(normalize(filePath), text);
    this.typeDeclarations.clear();
    this.files.set(normalize(filePath), { path: filePath, sourceFile, generated });
    return sourceFile;
  }

  discovery(filePath: string): Discovery {
    const entry = this.files.get(normalize(filePath))!;
    if (!entry.discovery) {
      entry.discovery = discoverAnnotations(entry.sourceFile, entry.path, (name) => this.typeDeclarationOf(entry.path, name));
      entry.discovery.module.returnShapeOf = (name) => this.returnShapeOf(entry.path, name);
      entry.discovery.module.importOf = (name) => this.importOf(entry, name);
      entry.discovery.module.fileOf = (sf) => {
        for (const e of this.files.values()) {
          if (e.sourceFile === sf) return { sourceFile: sf, fileName: e.path, module: this.scope(e.path) };
        }
        return undefined;
      };
      entry.discovery.module.sourceOf = (name) => {
        const found = this.declarationOf(entry.path, name);
        if (!found) return undefined;
        const generated = found.file.generated;
        return { source: found.source, sourceFile: found.file.sourceFile, fileName: found.file.path, module: this.scope(found.file.path), generated };
      };
    }
    return entry.discovery;
  }

  scope(filePath: string): ModuleScope {
    return this.discovery(filePath).module;
  }

  /**
   * Finds what `name` refers to in `filePath`: a top-level statement that `match` accepts,
   * in that file or, following relative imports (and renames), in the file it comes from.
   */
  private lookupDeclaration<T>(filePath: string, name: string, match: (s: ts.Statement, name: string) => T | undefined, seen = new Set<string>()): { node: T; file: FileEntry } | undefined {
    const key = `${normalize(filePath)}#${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const file = this.files.get(normalize(filePath));
    if (!file) return undefined;
    const sf = file.sourceFile;
    for (const s of sf.statements) {
      const node = match(s, name);
      if (node) return { node, file };
    }
    for (const s of sf.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier)) continue;
      const bindings = s.importClause?.namedBindings;
      if (!bindings || !ts.isNamedImports(bindings)) continue;
      for (const el of bindings.elements) {
        if (el.name.text !== name) continue;
        const target = this.resolveImport(file.path, s.moduleSpecifier.text);
        if (target) return this.lookupDeclaration(target, (el.propertyName ?? el.name).text, match, seen);
      }
    }
    return undefined;
  }

  /**
   * The function a name refers to in `filePath` (any form of functions.ts): declared in
   * that file, or imported (named, renamed or default) with a relative import from a file
   * of the build. `default` names a file's default export.
   */
  private declarationOf(filePath: string, name: string, seen = new Set<string>()): { source: FunctionSource; file: FileEntry } | undefined {
    const key = `${normalize(filePath)}#${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const file = this.files.get(normalize(filePath));
    if (!file) return undefined;
    const sources = this.discovery(file.path).module.functions;
    const own = name === "default" ? sources.find((f) => f.isDefault) ?? this.defaultExportOf(file, sources) : sources.find((f) => f.localName === name && !f.method);
    if (own) return { source: own, file };
    for (const s of file.sourceFile.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || !s.importClause) continue;
      const target = this.resolveImport(file.path, s.moduleSpecifier.text);
      if (!target) continue;
      if (s.importClause.name?.text === name) return this.declarationOf(target, "default", seen);
      const bindings = s.importClause.namedBindings;
      if (!bindings || !ts.isNamedImports(bindings)) continue;
      for (const el of bindings.elements) {
        if (el.name.text === name) return this.declarationOf(target, (el.propertyName ?? el.name).text, seen);
      }
    }
    return undefined;
  }

  /** `export default f;` of a function declared in the file. */
  private defaultExportOf(file: FileEntry, sources: FunctionSource[]): FunctionSource | undefined {
    for (const s of file.sourceFile.statements) {
      if (ts.isExportAssignment(s) && !s.isExportEquals && ts.isIdentifier(s.expression)) {
        const name = s.expression.text;
        return sources.find((f) => f.localName === name && !f.method);
      }
    }
    return undefined;
  }

  /** The interface, type alias, class or enum a type name refers to in `filePath`. */
  typeDeclarationOf(filePath: string, name: string): TypeDeclaration | undefined {
    // Asked once per `Math.sin(…)` and the like while lowering (is `Math` a class of the program?).
    const key = `${filePath}\0${name}`;
    if (this.typeDeclarations.has(key)) return this.typeDeclarations.get(key);
    const found = this.lookupDeclaration(filePath, name, (s, n) =>
      (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name?.text === n ? s : undefined,
    )?.node;
    this.typeDeclarations.set(key, found);
    return found;
  }

  private resolveImport(fromFile: string, specifier: string): string | undefined {
    if (!specifier.startsWith(".")) return undefined;
    const base = path.join(path.dirname(fromFile), specifier);
    const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, path.join(base, "index.ts")];
    for (const c of candidates) if (this.files.has(normalize(c))) return this.files.get(normalize(c))!.path;
    return undefined;
  }

  /**
   * The import that brings `name` into a file (named, default or namespace): its module
   * specifier and where it is, whether it is relative, and whether it names a file of the
   * build.
   */
  private importOf(file: FileEntry, name: string): ImportedName | undefined {
    const sf = file.sourceFile;
    for (const s of sf.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || !s.importClause) continue;
      const clause = s.importClause;
      const bindings = clause.namedBindings;
      const binds =
        clause.name?.text === name ||
        (bindings && ts.isNamespaceImport(bindings) && bindings.name.text === name) ||
        (bindings && ts.isNamedImports(bindings) && bindings.elements.some((el) => el.name.text === name));
      if (!binds) continue;
      const specifier = s.moduleSpecifier.text;
      const relative = specifier.startsWith(".");
      const target = relative ? this.resolveImport(file.path, specifier) : undefined;
      const element = bindings && ts.isNamedImports(bindings) ? bindings.elements.find((el) => el.name.text === name) : undefined;
      const functions = target ? this.discovery(target).module.functions.filter((f) => f.localName && !f.method).map((f) => f.localName!) : undefined;
      return { specifier, relative, resolved: target !== undefined, span: spanOf(s.moduleSpecifier, sf, file.path), ...(element && { binding: spanOf(element, sf, file.path) }), ...(functions && { functions }) };
    }
    return undefined;
  }

  /** Where `name`, a function declared in `filePath`, is declared, if the file does not export it (else undefined). */
  notExported(filePath: string, name: string): SourceSpan | undefined {
    const file = this.files.get(normalize(filePath));
    if (!file) return undefined;
    const source = this.discovery(file.path).module.functions.find((f) => f.localName === name && !f.method);
    if (!source || source.exported) return undefined;
    const sf = file.sourceFile;
    const listed = sf.statements.some(
      (s) => ts.isExportDeclaration(s) && !s.moduleSpecifier && s.exportClause && ts.isNamedExports(s.exportClause) && s.exportClause.elements.some((el) => (el.propertyName ?? el.name).text === name && el.name.text === name),
    );
    return listed ? undefined : spanOf(source.nameNode, sf, file.path);
  }

  private returnShapeOf(filePath: string, name: string): ValueType | { error: string } | undefined {
    const found = this.declarationOf(filePath, name);
    if (!found) {
      const imported = this.packageImport(filePath, name);
      if (!imported) return undefined;
      // A package function: only callable with a @vjpOf rule (which returns its value, a number).
      if (this.ruleFor(this.files.get(normalize(filePath))!, [name])) return { kind: "number" };
      return { error: `'${name}' comes from the package '${imported.specifier}', whose body tsgrad cannot see: supply its derivative with a function tagged '@vjpOf ${name}' in this file (the shape of a generated fVjpInto: (params…, cotangent, grad) => value; see the README's "Custom derivatives")` };
    }
    const type = found.source.node.type;
    if (!type) {
      // Without a written return type: the lowered function's (inferred from what it returns).
      const key = `${normalize(found.file.path)}#${name}`;
      const missing = { error: `write the return type of '${name}' (e.g. ': number') so calls to it can be typed` };
      if (this.inferring.has(key)) return missing;
      this.inferring.add(key);
      try {
        return this.callee(filePath, name, { file: filePath, line: 0, column: 0, length: 1 }).returnType;
      } catch {
        return missing;
      } finally {
        this.inferring.delete(key);
      }
    }
    const shape = shapeOfTypeNode(type, (t) => this.typeDeclarationOf(found.file.path, t));
    if ("error" in shape) return { error: `'${name}' returns '${type.getText()}', which tsgrad cannot differentiate; return a number, a numeric array, or an object of those` };
    return shape;
  }

  /**
   * A user-supplied reverse-mode rule for `name` (as seen from `filePath`): a function
   * tagged `@vjpOf name` in the callee's file or in the calling file, with the shape of a
   * generated `fVjpInto(params…, cotangent, grad): value`.
   */
  customVjp(filePath: string, name: string): CustomVjp | undefined {
    const found = this.declarationOf(filePath, name);
    const here = this.files.get(normalize(filePath))!;
    if (!found) {
      // A function imported from a package: tsgrad cannot see its body, but a rule in the calling file can stand in for it.
      const imported = this.packageImport(filePath, name);
      if (!imported) return undefined;
      const rule = this.ruleFor(here, [name]);
      if (!rule) return undefined;
      // `module:<specifier>`, and `#<exported name>` when it is imported under another name.
      const primalFile = `module:${imported.specifier}${imported.name === name ? "" : `#${imported.name}`}`;
      return { ...rule, primalFile, primalName: name };
    }
    const primalName = found.source.localName ?? name;
    for (const file of [found.file, here]) {
      const rule = this.ruleFor(file, [primalName, name]);
      if (rule) return { ...rule, primalFile: found.file.path, primalName };
    }
    return undefined;
  }

  /** The function of `file` tagged `@vjpOf <one of names>`, with the primal's parameters read off its signature. */
  private ruleFor(file: FileEntry, names: string[]): { rule: string; ruleFile: string; params: { name: string; type: ValueType }[] } | undefined {
    for (const f of this.discovery(file.path).module.functions) {
      if (!f.localName || f.method) continue;
      for (const tag of tagsOf(f.docHost)) {
        if (tag.tagName.text !== "vjpOf") continue;
        const target = (typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? "").trim();
        if (!names.includes(target)) continue;
        // (params of the primal…, cotangent, grad): the primal's parameters are all but the last two.
        const params = sourceParams(f).slice(0, -2).map((p) => {
          const shape = p.typeNode ? shapeOfTypeNode(p.typeNode, (t) => this.typeDeclarationOf(file.path, t)) : { error: "any" as const };
          return { name: p.name, type: "error" in shape ? ({ kind: "opaque", text: p.typeNode?.getText() ?? "unknown" } as ValueType) : shape };
        });
        return { rule: f.localName, ruleFile: file.path, params };
      }
    }
    return undefined;
  }

  /** `import { name } from "package"` (or a default import) in `filePath`: the package and the name it exports. */
  packageImport(filePath: string, name: string): { specifier: string; name: string } | undefined {
    const file = this.files.get(normalize(filePath));
    if (!file) return undefined;
    for (const s of file.sourceFile.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || !s.importClause || s.importClause.isTypeOnly) continue;
      const specifier = s.moduleSpecifier.text;
      if (specifier.startsWith(".") || specifier.startsWith("/")) continue;
      if (s.importClause.name?.text === name) return { specifier, name: "default" };
      const bindings = s.importClause.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) if (el.name.text === name) return { specifier, name: (el.propertyName ?? el.name).text };
      }
    }
    return undefined;
  }

  /**
   * Whether reverse mode calls a shared, generated pullback of `name` rather than inlining
   * it: for a helper tagged `@noinline`, or a large one (more than SHARE_THRESHOLD
   * statements) not tagged `@inline`, that returns a number and writes none of its
   * parameters (a helper that fills an array argument is always inlined).
   */
  sharedPullback(filePath: string, name: string, span: SourceSpan): { rule: string; ruleFile: string; primalFile: string; generated: true } | undefined {
    const found = this.declarationOf(filePath, name);
    if (!found) return undefined;
    const tags = new Set(tagsOf(found.source.docHost).map((t) => t.tagName.text));
    if (tags.has("inline")) return undefined;
    const fn = this.callee(filePath, name, span);
    if (fn.returnType.kind !== "number") return undefined;
    let size = 0;
    let writesParam = false;
    const params = new Set(fn.params.map((p) => p.name));
    walkStmts(fn.body, (s) => {
      size++;
      // `p[i] = …`, or `p.x += …` (a number field of an object parameter, as a generated `fGradInto` writes)
      const written = s.kind === "assign" && (s.target.kind !== "var" || s.target.name.includes(".")) ? (rootName(s.target) ?? "").split(".")[0]! : "";
      if (params.has(written)) writesParam = true;
      if (s.kind === "append" && params.has(s.array)) writesParam = true;
    });
    if (writesParam || !(tags.has("noinline") || size > SHARE_THRESHOLD)) return undefined;
    return { rule: `${name}Pullback`, ruleFile: "", primalFile: found.file.path, generated: true };
  }

  /** Lines of a file of the build, for comments that point back to the source. */
  lines(filePath: string): string[] {
    return this.files.get(normalize(filePath))?.sourceFile.text.split(/\r?\n/) ?? [];
  }

  /** The lowered IR of the function `name` as seen from `filePath`. */
  callee(filePath: string, name: string, span: SourceSpan): FunctionIR {
    const found = this.declarationOf(filePath, name);
    if (!found) {
      const imported = this.packageImport(filePath, name);
      if (imported) {
        const rule = this.ruleFor(this.files.get(normalize(filePath))!, [name]);
        fail(Codes.UnsupportedCall, rule
          ? `'${name}' comes from the package '${imported.specifier}', whose body tsgrad cannot see: its @vjpOf rule '${rule.rule}' serves reverse mode (@grad, @vjp), but forward modes (@jvp, @hvp, @hessian, @jacobian) differentiate the body; write the function in your project (or wrap a copy of it) to use those`
          : `'${name}' comes from the package '${imported.specifier}', whose body tsgrad cannot see: supply its derivative with a function tagged '@vjpOf ${name}' in this file (the shape of a generated fVjpInto: (params…, cotangent, grad) => value; see the README's "Custom derivatives")`, span);
      }
      fail(Codes.UnsupportedCall, `cannot find the source of '${name}': declare it in this file or import it with a relative path from a file of the build`, span);
    }
    const key = `${normalize(found.file.path)}#${name}`;
    let fn = this.lowered.get(key);
    if (!fn) {
      try {
        fn = lowerFunction(found.source, found.file.sourceFile, found.file.path, this.scope(found.file.path));
      } catch (error) {
        if (error instanceof DiagnosticError) {
          // Report where the problem is, and say through which call it was reached.
          const generated = found.file.generated && /\b(value|control)Stack/.test(error.diagnostic.message)
            ? "; generated code whose reverse sweep saves values on its module's stacks cannot be differentiated again: call the @jvp derivative there, or one whose reverse sweep needs no stack"
            : "";
          const via = (d: Diagnostic): Diagnostic => ({ ...d, message: `${d.message} (in '${name}', called from ${path.basename(span.file)}:${span.line})${generated}` });
          throw new DiagnosticError(via(error.diagnostic), error.others.map(via));
        }
        throw error;
      }
      this.lowered.set(key, fn);
    }
    return fn;
  }
}

function normalize(p: string): string {
  return path.resolve("/", p.replace(/\\/g, "/"));
}
