/**
 * The compiler driver. Reads like the architecture:
 *
 *   parse (ts-morph) → discover annotations → lower + fence (frontend/lower)
 *   → normalize control flow → analyses (variables, activity)
 *   → transform (reverse mode, …) → print → format
 *
 * It never touches the disk: sources come in as text, generated files go out as text,
 * with every diagnostic. An unexpected exception inside one function becomes an internal
 * diagnostic naming that function; the other functions and files still compile.
 */
import path from "node:path";
import { Project, ts, type SourceFile } from "ts-morph";
import { Codes, DiagnosticError, isError, type Diagnostic, type SourceSpan } from "./diagnostics.ts";
import { spanOf } from "./frontend/annotations.ts";
import { ProgramIndex } from "./frontend/program.ts";
import { lowerFunction } from "./frontend/lower.ts";
import type { FunctionSource } from "./frontend/functions.ts";
import type { DerivativeRequest, FunctionIR, ModuleIR, StackName } from "./ir/nodes.ts";
import { Namer, namesIn } from "./transform/naming.ts";
import { buildMode, type ModeContext, type ModeOutput } from "./transform/modes.ts";
import { inlineCalls } from "./transform/inline.ts";
import type { PullbackRequest } from "./transform/reverse/types.ts";
import { stmtExprs, walkExpr, walkStmts } from "./ir/visit.ts";
import { Printer } from "./backend/print.ts";
import { hoistRowsIn } from "./transform/hoist.ts";
import { stackCursorsIn } from "./transform/cursors.ts";
import { formatTypeScript } from "./backend/format.ts";
import { generatedHeader } from "./backend/header.ts";
import { copyHelpers } from "./backend/helpers.ts";

export interface SourceInput {
  path: string;
  text: string;
}

export interface OutputFile {
  /** Path of the generated `X.grad.ts` beside the source `X.ts`. */
  path: string;
  text: string;
  source: string;
}

export interface CompileResult {
  files: OutputFile[];
  diagnostics: Diagnostic[];
}

export interface CompileOptions {
  /** Activity analysis on (default) or off; derivatives must not change. */
  activity?: boolean;
  /** To-be-recorded analysis on (default) or off (save every overwritten value); derivatives must not change. */
  toBeRecorded?: boolean;
  /** Debug build: generated code checks argument aliasing and stack balance. */
  debug?: boolean;
  /** Called after each source is compiled, with the milliseconds it took (progress, `--verbose`). */
  onSource?: (path: string, ms: number) => void;
}

export function outputPathFor(sourcePath: string): string {
  return sourcePath.replace(/\.ts$/, ".grad.ts");
}

/** The source whose generated code an import path names (`…/inner.grad.js` → `…/inner.ts`), else null. */
export function sourceOfGenerated(importPath: string): string | null {
  return /\.grad(\.js|\.ts)?$/.test(importPath) ? importPath.replace(/\.grad(\.js|\.ts)?$/, ".ts") : null;
}

export async function compileSources(inputs: SourceInput[], options: CompileOptions = {}): Promise<CompileResult> {
  const project = new Project({
    useInMemoryFileSystem: true,
    skipFileDependencyResolution: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, strict: true },
  });
  const files: OutputFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const sorted = [...inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const program = new ProgramIndex(project);
  const parsed = sorted.map((input) => ({ input, sourceFile: program.add(input.path, input.text) }));
  const { order, imported } = generatedFirst(parsed);
  for (const { input, sourceFile } of order) {
    const started = performance.now();
    const result = await compileOne(program, sourceFile, input, options);
    options.onSource?.(input.path, performance.now() - started);
    diagnostics.push(...result.diagnostics);
    if (result.file) {
      files.push(result.file);
      // A later source calls this generated code (nested derivatives): make it a file of the program.
      if (imported.has(input.path)) program.add(result.file.path, result.file.text, true);
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, diagnostics };
}

/**
 * Orders the sources so that one importing another's generated file (`./inner.grad.js`)
 * comes after it: the generated text is then in the program when the importer's calls are
 * resolved. Otherwise (and within a cycle) the sorted order is kept.
 */
function generatedFirst<T extends { input: SourceInput; sourceFile: SourceFile }>(parsed: T[]): { order: T[]; imported: Set<string> } {
  const byPath = new Map(parsed.map((p) => [path.resolve("/", p.input.path), p]));
  const out: T[] = [];
  const imported = new Set<string>();
  const state = new Map<T, "visiting" | "done">();
  const visit = (p: T) => {
    if (state.has(p)) return;
    state.set(p, "visiting");
    for (const s of p.sourceFile.compilerNode.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier)) continue;
      const spec = s.moduleSpecifier.text;
      const source = spec.startsWith(".") ? sourceOfGenerated(path.resolve("/", path.dirname(p.input.path), spec)) : null;
      const dependency = source ? byPath.get(source) : undefined;
      if (dependency && dependency !== p) {
        imported.add(dependency.input.path);
        visit(dependency);
      }
    }
    state.set(p, "done");
    out.push(p);
  };
  for (const p of parsed) visit(p);
  return { order: out, imported };
}

async function compileOne(
  program: ProgramIndex,
  sourceFile: SourceFile,
  input: SourceInput,
  options: CompileOptions,
): Promise<{ file?: OutputFile; diagnostics: Diagnostic[] }> {
  const sf = sourceFile.compilerNode;
  const syntax = ((sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? []);
  if (syntax.length > 0) {
    return {
      diagnostics: syntax.map((d) => {
        const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
        return {
          code: Codes.SyntaxError,
          message: ts.flattenDiagnosticMessageText(d.messageText, " "),
          file: input.path,
          line: line + 1,
          column: character + 1,
          length: Math.max(1, d.length),
        };
      }),
    };
  }
  const discovery = program.discovery(input.path);
  const diagnostics = [...discovery.diagnostics];
  if (discovery.functions.length === 0) return { diagnostics };

  const sourceLines = input.text.split(/\r?\n/);
  const sourceName = path.basename(input.path);
  const generated: FunctionIR[] = [];
  const typeAliases: ModuleIR["typeAliases"] = [];
  const stacks = new Set<StackName>();
  const moduleNames = new Set<string>([...discovery.module.functionNames, ...discovery.module.numericConstants.keys()]);
  // Generated names must not collide with the user's identifiers anywhere in the file.
  const lowered: { fn: FunctionIR; requests: (typeof discovery.functions)[number]["requests"]; source: FunctionSource }[] = [];
  for (const annotated of discovery.functions) {
    try {
      lowered.push({ fn: lowerFunction(annotated.source, sf, input.path, discovery.module), requests: annotated.requests, source: annotated.source });
    } catch (error) {
      diagnostics.push(toDiagnostic(error, annotated.source, sf, input.path));
    }
  }
  const fileNames = new Set(moduleNames);
  for (const { fn } of lowered) for (const n of namesIn(fn)) fileNames.add(n);
  const stackNames = { values: new Namer(fileNames).fresh("valueStack"), control: new Namer(fileNames).fresh("controlStack") };

  const runtimeHelpers = new Set<string>();
  const userImports: { name: string; file: string }[] = [];
  const seenFunctions = new Set<string>();
  const pullbacks: PullbackRequest[] = [];
  const primals: NonNullable<ModeOutput["primals"]> = [];
  const context = (fn: FunctionIR, request: DerivativeRequest, lines = sourceLines, name = sourceName): ModeContext => ({
    fn,
    request,
    reserved: [...moduleNames, stackNames.values, stackNames.control],
    // A name is resolved in the file of the call: a helper's own helpers come from its file.
    resolve: (callee, span) => program.callee(span.file, callee, span),
    customVjp: (callee, span) => program.customVjp(span.file, callee) ?? program.sharedPullback(span.file, callee, span),
    debug: options.debug ? { stackNames } : undefined,
    sourceLines: lines,
    sourceName: name,
    activity: options.activity ?? true,
    toBeRecorded: options.toBeRecorded ?? true,
  });
  const collect = (output: ModeOutput, owner: string, span: SourceSpan) => {
    for (const f of output.functions) {
      if (seenFunctions.has(f.name)) continue; // e.g. fJvp from both @jvp and @jacobian
      seenFunctions.add(f.name);
      generated.push(stackCursorsIn(hoistRowsIn(f)));
    }
    for (const alias of output.typeAliases) {
      const existing = typeAliases.find((a) => a.name === alias.name);
      if (!existing) typeAliases.push({ ...alias, doc: alias.doc ?? `Derivative record of \`${owner}\`: one field per differentiated parameter, same shape.` });
      else if (existing.text !== alias.text) {
        diagnostics.push({ code: Codes.NameClash, message: `two annotations on '${owner}' need different '${alias.name}' types; use the same parameter list`, ...span });
      }
    }
    for (const x of output.stacks) stacks.add(x);
    for (const x of output.imports ?? []) userImports.push(x);
    for (const x of output.runtime) runtimeHelpers.add(x);
    pullbacks.push(...(output.pullbacks ?? []));
    primals.push(...(output.primals ?? []));
  };
  for (const { fn, requests, source } of lowered) {
    try {
      for (const request of requests) collect(buildMode(context(fn, request)), fn.name, request.span);
      // Shared callee derivatives, generated once per file and called by every caller:
      // one pullback per (callee, active arguments), and a private copy of each primal the
      // forward sweeps call.
      while (pullbacks.length > 0 || primals.length > 0) {
        const pullback = pullbacks.pop();
        if (pullback && !seenFunctions.has(pullback.name)) {
          const callee = program.callee(pullback.span.file, pullback.callee, pullback.span);
          const request: DerivativeRequest = { mode: "vjp", wrt: pullback.wrt, span: pullback.span };
          const calleeFile = callee.span.file;
          const output = buildMode({ ...context(callee, request, program.lines(calleeFile), path.basename(calleeFile)), pullbackName: pullback.name });
          const into = output.functions.find((f) => f.name === `${pullback.name}Into`)!;
          collect({ ...output, functions: [{ ...into, name: pullback.name, exported: false, doc: `Pullback of \`${pullback.callee}\` with respect to ${pullback.wrt.join(", ")}: the shape of a generated fVjpInto,\nshared by every call in this file. Generated from ${path.basename(calleeFile)}:${callee.span.line}.` }] }, pullback.callee, pullback.span);
        }
        const primal = primals.pop();
        if (primal && !seenFunctions.has(primal.name)) {
          seenFunctions.add(primal.name);
          const callee = program.callee(primal.span.file, primal.name, primal.span);
          const ctx = context(callee, { mode: "grad", wrt: [], span: primal.span });
          const copy = inlineCalls(callee, ctx.resolve, Namer.forFunction(callee, ctx.reserved), ctx.customVjp);
          generated.push({ ...copy, exported: false, doc: `\`${primal.name}\` itself, ${primal.purpose ? `${primal.purpose}\n` : "for the forward sweeps "}(copied from ${path.basename(callee.span.file)}:${callee.span.line}).` });
          walkStmts(copy.body, (s) => {
            for (const e of stmtExprs(s)) walkExpr(e, (x) => {
              if (x.kind === "userCall" && x.rule?.generated) primals.push({ name: x.callee, span: x.span ?? copy.span });
            });
          });
        }
      }
    } catch (error) {
      diagnostics.push(toDiagnostic(error, source, sf, input.path));
    }
  }
  if (diagnostics.some(isError) || generated.length === 0) return { diagnostics };

  const orderedStacks = (["values", "control"] as const).filter((s) => stacks.has(s));
  // Named object types in generated signatures come from the source module.
  const typeImports = new Set<string>();
  for (const f of generated) {
    for (const p of f.params) if (discovery.module.exportedTypes?.has(p.typeText)) typeImports.add(p.typeText);
  }
  const sourceImport = `./${sourceName.replace(/\.ts$/, ".js")}`;
  // Primals and rules the generated code calls, imported from their own modules.
  const byModule = new Map<string, Set<string>>();
  for (const { name, file } of userImports) {
    if (file.startsWith("module:")) {
      // A package's function (with a @vjpOf rule): imported from the package itself, under the caller's name.
      const [specifier, exported] = file.slice("module:".length).split("#") as [string, string | undefined];
      if (!byModule.has(specifier)) byModule.set(specifier, new Set());
      byModule.get(specifier)!.add(exported && exported !== name ? `${exported} as ${name}` : name);
      continue;
    }
    let rel = path.relative(path.dirname(input.path), file).replace(/\\/g, "/").replace(/\.ts$/, ".js");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    if (!byModule.has(rel)) byModule.set(rel, new Set());
    byModule.get(rel)!.add(name);
  }
  const valueImports = [...byModule].sort(([a], [b]) => (a < b ? -1 : 1)).map(([from, names]) => ({ names: [...names].sort(), from, typeOnly: false }));
  const imports = [...(typeImports.size > 0 ? [{ names: [...typeImports].sort(), from: sourceImport, typeOnly: true }] : []), ...valueImports];
  // The runtime helpers the code uses are copied into the file, which then imports nothing of tsgrad.
  const taken = new Set([...imports.flatMap((i) => i.names), ...generated.map((f) => f.name), ...typeAliases.map((a) => a.name), ...orderedStacks.map((s) => stackNames[s])]);
  const helpers = copyHelpers([...orderedStacks.map((s) => (s === "values" ? "NumberStack" : "IntStack")), ...runtimeHelpers], taken);
  for (const name of helpers.clashes) {
    diagnostics.push({ code: Codes.NameClash, message: `the generated code needs tsgrad's runtime helper '${name}', and the generated file already has a '${name}'; rename yours`, ...spanOf(discovery.functions[0]!.source.nameNode, sf, input.path) });
  }
  if (diagnostics.some(isError)) return { diagnostics };
  const module: ModuleIR = { header: generatedHeader(sourceName), imports, helpers: helpers.text, stacks: orderedStacks, functions: generated, typeAliases };
  const text = await formatTypeScript(new Printer(stackNames).module(module));
  return { file: { path: outputPathFor(input.path), text, source: input.path }, diagnostics };
}

function toDiagnostic(error: unknown, source: FunctionSource, sf: ts.SourceFile, file: string): Diagnostic {
  if (error instanceof DiagnosticError) return error.diagnostic;
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: Codes.InternalError,
    message: `internal error while compiling '${source.name}': ${message}. This is a bug in tsgrad; please report it with this function.`,
    ...spanOf(source.nameNode, sf, file),
  };
}
