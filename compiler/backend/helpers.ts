/**
 * Runtime helpers, copied into the generated files that use them.
 *
 * Generated code needs nothing of tsgrad at run time. A helper it calls (the typed stacks,
 * the flattening of records for Hessians and Jacobians, …) is real TypeScript in tsgrad's
 * `runtime/` folder, tested there like any module; a generated file gets a copy of exactly
 * the top-level declarations it names, plus the declarations those use, in dependency
 * order, without `export` (they are the file's private details, not its API).
 *
 * Takes the names the generated code uses and the file's other top-level names; gives the
 * text to put after the imports. Guarantees: every copied declaration is used (so
 * `noUnusedLocals` holds), a helper's private name that clashes with a name of the file is
 * renamed, and a helper the code names directly that clashes is reported, never shadowed.
 *
 * Rules for helper modules (checked when they are read, and by test/runtime-helpers.test.ts):
 * every `runtime/*.ts` is one (runtime/tape/ is not); it imports only other helper modules;
 * its exported names are unique across them; no local name shadows a top-level name of
 * its module (references are found by name).
 */
import { ts } from "../typescript.ts";
import { runtimeModules } from "./runtimeFiles.ts";

interface Declaration {
  /** `stack.ts`: the helper module it comes from. */
  module: string;
  name: string;
  exported: boolean;
  /** Position in its module, for a stable order. */
  position: number;
  /** Its text without `export`, from its doc comment to its end. */
  text: string;
  /** Names of the helper declarations it references (of its own module or imported). */
  uses: string[];
  /** Where in `text` each reference to a helper declaration is (for renaming). */
  references: { name: string; start: number; end: number }[];
}

export interface HelperIndex {
  /** Every declaration by name (declarations of all helper modules, whose names are unique). */
  declarations: Map<string, Declaration>;
}

/** What copying needs of an index: declarations by name (the whole index, or runtimeHelpers' lazy one). */
export interface HelperLookup {
  declarations: Pick<ReadonlyMap<string, Declaration>, "get" | "has">;
}

let cached: HelperIndex | undefined;

/** The helper modules of tsgrad's `runtime/` folder, read and indexed whole once per process (every rule checked). */
export function runtimeHelpers(): HelperIndex {
  if (!cached) {
    cached = indexHelpers(runtimeModules());
  }
  return cached;
}

let lazy: HelperLookup | undefined;

/** tsgrad's runtime helpers, indexed as names are asked for (lazyHelpers), once per process: what generated files are given. */
export function lazyRuntimeHelpers(): HelperLookup {
  if (!lazy) lazy = lazyHelpers(runtimeModules());
  return lazy;
}

/**
 * Helper modules indexed module by module as names are asked for: a file that uses only
 * the stacks parses stack.ts, not all of runtime/ (parsing every module cost ~0.25 s of a
 * warm compile, ~1 s of a one-file CLI build at load). A name is looked up in the modules
 * whose text could declare it, then, if none does, in the whole index. Since names are
 * unique across helper modules and each module is indexed as indexHelpers does it, the
 * declarations are the whole index's; the whole-folder rules (unique names, imports that
 * resolve) are checked by indexHelpers, which test/runtime-helpers.test.ts runs on
 * tsgrad's own runtime/.
 */
export function lazyHelpers(modules: { module: string; text: string }[]): HelperLookup {
  const known = new Set(modules.map((m) => m.module));
  const indexed = new Map<string, Map<string, Declaration>>();
  const inModule = (m: { module: string; text: string }) => {
    let declarations = indexed.get(m.module);
    if (!declarations) indexed.set(m.module, (declarations = new Map(indexModule(m.module, m.text, known).map((d) => [d.name, d]))));
    return declarations;
  };
  let whole: HelperIndex | undefined;
  const find = (name: string): Declaration | undefined => {
    const declares = new RegExp(`\\b(?:function|class|const|let|var|interface|type)\\s+${name.replace(/\$/g, "\\$")}\\b`);
    for (const m of modules) {
      const d = declares.test(m.text) ? inModule(m).get(name) : undefined;
      if (d) return d;
    }
    whole ??= indexHelpers(modules);
    return whole.declarations.get(name);
  };
  const found = new Map<string, Declaration | undefined>();
  const get = (name: string): Declaration | undefined => {
    if (!found.has(name)) found.set(name, find(name));
    return found.get(name);
  };
  return { declarations: { get, has: (name) => get(name) !== undefined } };
}

/** Indexes the top-level declarations of helper modules (given as file name and text). */
export function indexHelpers(modules: { module: string; text: string }[]): HelperIndex {
  const declarations = new Map<string, Declaration>();
  const known = new Set(modules.map((m) => m.module));
  for (const { module, text } of modules) {
    for (const d of indexModule(module, text, known)) {
      if (declarations.has(d.name)) helperError(module, `'${d.name}' is also declared in ${declarations.get(d.name)!.module}; helper names must be unique across runtime/`);
      declarations.set(d.name, d);
    }
  }
  for (const d of declarations.values()) {
    for (const u of d.uses) if (!declarations.has(u)) helperError(d.module, `'${u}' is imported but not declared by any helper`);
  }
  return { declarations };
}

function helperError(module: string, message: string): never {
  throw new Error(`runtime helper ${module}: ${message}`);
}

/** The top-level declarations of one helper module; `known`: the helper modules it may import. */
function indexModule(module: string, text: string, known: ReadonlySet<string>): Declaration[] {
  const declarations: Declaration[] = [];
  const sf = ts.createSourceFile(module, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const fail = helperError;
  // Names usable at the top level of this module: its own declarations and its imports.
  const topLevel = new Set<string>();
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s)) {
      const spec = (s.moduleSpecifier as ts.StringLiteral).text;
      if (!spec.startsWith("./") || !known.has(spec.slice(2))) fail(module, `imports '${spec}'; a helper may only import other helpers ('./stack.ts')`);
      const bindings = s.importClause?.namedBindings;
      if (s.importClause?.name || !bindings || !ts.isNamedImports(bindings)) fail(module, "use named imports ('import { X } from \"./other.ts\"')");
      for (const e of (bindings as ts.NamedImports).elements) {
        if (e.propertyName) fail(module, `renamed import '${e.propertyName.text} as ${e.name.text}'`);
        topLevel.add(e.name.text);
      }
      continue;
    }
    for (const name of declaredNames(s, module, fail)) topLevel.add(name);
  }
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s)) continue;
    const names = declaredNames(s, module, fail);
    const exportKeyword = ts.canHaveModifiers(s) ? ts.getModifiers(s)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword) : undefined;
    if (ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) fail(module, "default export");
    const start = docStart(s, sf);
    const cut = exportKeyword ? { start: exportKeyword.getStart(sf), end: skipSpaces(sf.text, exportKeyword.end) } : undefined;
    const at = (pos: number) => pos - start - (cut && pos >= cut.end ? cut.end - cut.start : 0);
    const text = cut ? sf.text.slice(start, cut.start) + sf.text.slice(cut.end, s.end) : sf.text.slice(start, s.end);
    const references: Declaration["references"] = [];
    const own = new Set(names);
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && topLevel.has(node.text)) {
        const ownName = declaresLocal(node) && (node.parent === s || node.parent.parent?.parent === s);
        if (isReference(node) || ownName) references.push({ name: node.text, start: at(node.getStart(sf)), end: at(node.end) });
        else if (declaresLocal(node)) fail(module, `'${node.text}' is declared again inside '${names[0]}'; helpers are copied by name, so a local may not shadow a top-level name`);
      }
      ts.forEachChild(node, visit);
    };
    ts.forEachChild(s, visit);
    for (const name of names) {
      declarations.push({
        module,
        name,
        exported: exportKeyword !== undefined,
        position: s.getStart(sf),
        text,
        uses: [...new Set(references.map((r) => r.name).filter((n) => !own.has(n)))],
        references,
      });
    }
  }
  return declarations;
}

function declaredNames(s: ts.Statement, module: string, fail: (module: string, message: string) => never): string[] {
  if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) return [s.name.text];
  if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) return [s.name.text];
  if (ts.isVariableStatement(s)) {
    if (s.declarationList.declarations.length !== 1) fail(module, "declare one variable per statement");
    const d = s.declarationList.declarations[0]!;
    if (!ts.isIdentifier(d.name)) fail(module, "destructuring at the top level");
    return [(d.name as ts.Identifier).text];
  }
  if (ts.isExportDeclaration(s)) return fail(module, "re-exports ('export … from'): a helper module declares what it exports");
  return fail(module, `unexpected top-level statement '${s.getText().split("\n")[0]}'`);
}

/** An identifier that names something (not a property, a member or a parameter being declared). */
function isReference(node: ts.Identifier): boolean {
  const p = node.parent;
  if (declaresLocal(node)) return false;
  if ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) && (p as ts.PropertyAccessExpression).name === node) return false;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p) || ts.isMethodSignature(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === node) return false;
  return true;
}

/** The name of a declaration inside a helper (a parameter, a local, a nested function or class). */
function declaresLocal(node: ts.Identifier): boolean {
  const p = node.parent;
  return (ts.isParameter(p) || ts.isVariableDeclaration(p) || ts.isFunctionDeclaration(p) || ts.isClassDeclaration(p) || ts.isBindingElement(p) || ts.isTypeParameterDeclaration(p)) && p.name === node;
}

/** Start of the statement's own doc comment (the last `/** … *\/` before it), else of the statement. */
function docStart(s: ts.Statement, sf: ts.SourceFile): number {
  const comments = ts.getLeadingCommentRanges(sf.text, s.getFullStart()) ?? [];
  const last = comments[comments.length - 1];
  return last && sf.text.startsWith("/**", last.pos) ? last.pos : s.getStart(sf);
}

function skipSpaces(text: string, pos: number): number {
  while (text[pos] === " ") pos++;
  return pos;
}

export interface CopiedHelpers {
  /** The declarations' text (with a comment saying where they come from), or "" if none are used. */
  text: string;
  /** Names the generated code uses that a name of the file already takes (reported by the caller). */
  clashes: string[];
}

/**
 * The helpers `used` (names the generated code refers to) with everything they use, in
 * dependency order; a private helper name in `taken` (the file's other top-level names) is
 * renamed with a numeric suffix.
 */
export function copyHelpers(used: Iterable<string>, taken: ReadonlySet<string>, index: HelperLookup = lazyRuntimeHelpers()): CopiedHelpers {
  const requested = [...new Set(used)];
  const clashes = requested.filter((n) => taken.has(n));
  const order: Declaration[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const d = index.declarations.get(name);
    if (!d) throw new Error(`generated code uses '${name}', which no runtime helper declares`);
    if (seen.has(d.name)) return;
    seen.add(d.name);
    // Dependencies first, in their own source order (a class or const must be declared before use).
    for (const u of [...d.uses].sort((a, b) => compareDeclarations(index.declarations.get(a)!, index.declarations.get(b)!))) visit(u);
    order.push(d);
  };
  for (const name of requested.sort((a, b) => compareDeclarations(index.declarations.get(a)!, index.declarations.get(b)!))) {
    if (!index.declarations.has(name)) throw new Error(`generated code uses '${name}', which no runtime helper declares`);
    visit(name);
  }
  if (order.length === 0) return { text: "", clashes };
  const renames = new Map<string, string>();
  const names = new Set([...taken, ...order.map((d) => d.name)]);
  for (const d of order) {
    if (!taken.has(d.name) || requested.includes(d.name)) continue;
    let k = 2;
    while (names.has(`${d.name}${k}`)) k++;
    renames.set(d.name, `${d.name}${k}`);
    names.add(`${d.name}${k}`);
  }
  const modules = [...new Set(order.map((d) => d.module))].sort();
  const texts = order.map((d) => {
    let text = d.text;
    for (const r of [...d.references].sort((a, b) => b.start - a.start)) {
      const to = renames.get(r.name);
      if (to) text = text.slice(0, r.start) + to + text.slice(r.end);
    }
    return text;
  });
  const from = modules.map((m) => `runtime/${m}`).join(", ");
  return { text: `// Runtime helpers, copied from tsgrad's ${from}: generated code needs nothing of tsgrad at run time.\n\n${texts.join("\n\n")}\n`, clashes };
}

function compareDeclarations(a: Declaration, b: Declaration): number {
  return a.module < b.module ? -1 : a.module > b.module ? 1 : a.position - b.position;
}
