/**
 * The compiler driver: the whole pipeline, as data. For each source file,
 *
 *   parse (frontend/parse) → discover annotations → lower + fence (frontend/lower)   stage "lower"
 *   → for each annotation, the passes of its mode (PIPELINES below)             one stage per pass
 *   → the shared derivatives those request, once per file (modes/requests.ts):
 *     callee pullbacks (PIPELINES.pullback), primal copies (PIPELINES.primal)
 *   → the module (imports, runtime helpers, stacks) → print → format
 *
 * Every pass takes a Unit (one annotation's work) and gives one (modes/unit.ts);
 * `tsgrad build --dump-after=<stage>` prints the IR after any stage (STAGES).
 *
 * It never touches the disk: sources come in as text, generated files go out as text,
 * with every diagnostic. An unexpected exception inside one function becomes an internal
 * diagnostic naming that function; the other functions and files still compile.
 */
import path from "node:path";
import { ts } from "./typescript.ts";
import { Codes, DiagnosticError, isError, type Diagnostic, type SourceSpan } from "./diagnostics.ts";
import { spanOf, type Discovery } from "./frontend/annotations.ts";
import { ProgramIndex } from "./frontend/program.ts";
import { lowerFunction } from "./frontend/lower.ts";
import { functionSources, tagsOf, type FunctionSource } from "./frontend/functions.ts";
import { isStackOverflow, tooLargeDiagnostic } from "./frontend/tooLarge.ts";
import type { DerivativeRequest, FunctionIR, ModuleIR } from "./ir/nodes.ts";
import { walkStmts } from "./ir/visit.ts";
import { freeName, namesIn } from "./transform/naming.ts";
import { Printer } from "./backend/print.ts";
import { formatTypeScript } from "./backend/format.ts";
import { printAndFormat, TSGRAD_LINE_STYLE, type LineStyle } from "./backend/lines.ts";
import { generatedHeader } from "./backend/header.ts";
import { copyHelpers } from "./backend/helpers.ts";
import { calleesOf, withoutUncalled } from "./transform/tidy.ts";
import { runPasses, startUnit, type ModeContext, type Pass, type Unit } from "./modes/unit.ts";
import { checkpoints, cse, cseGenerated, entryParams, hoistRows, inline, jamLoops, trimLoops, names, normalize, primalCopy, records, reorder, requireReturn, reverse, stackCursors, tidy, unrollLoops } from "./modes/common.ts";
import { gradEntryPoints } from "./modes/grad.ts";
import { pullbackEntryPoint, vjpEntryPoints } from "./modes/vjp.ts";
import { jvpForward } from "./modes/jvp.ts";
import { hvpForwardOverReverse } from "./modes/hvp.ts";
import { hessianDriver } from "./modes/hessian.ts";
import { jacobianDriver, jacobianNames, jacobianSweeps } from "./modes/jacobian.ts";
import { FileDerivatives } from "./modes/requests.ts";
import { timed, type StageClock } from "./stages.ts";
import { hessianSparsity, jacobianSparsity, sparseHessianDriver, sparseJacobianDriver } from "./modes/sparse.ts";
import { withoutDuplicates } from "./modes/dedupe.ts";
import { hvpLanes, jvpLanes } from "./modes/lanes.ts";

/**
 * Arrays of records read in the user's shape, checkpointed loops expanded, row hoisting,
 * triangular nests' empty iterations trimmed, unroll-and-jam, stack cursors and small inner loops unrolled, over every function a mode generates (the drivers come
 * after: their loops call functions, they save nothing).
 */
const LATE: readonly Pass[] = [records, checkpoints, hoistRows, trimLoops, jamLoops, stackCursors, unrollLoops];
/** Reverse mode seeded with a cotangent, and the fVjp entry points (`vjpEntryPoints(names)`). */
const vjpSweeps = (entryPoints: Pass): Pass[] => [names, entryParams("grad", "cotangent", "cotangents", "grads"), normalize, reorder, reverse("cotangent"), entryPoints];
/** The reverse-mode body forward mode goes over. */
const HVP_REVERSE: readonly Pass[] = [requireReturn("number", "hvp"), names, entryParams("grad", "v", "hvp"), normalize, reorder, reverse("one")];
/** Forward mode over the reverse-mode body. */
const HVP: readonly Pass[] = [...HVP_REVERSE, hvpForwardOverReverse, cseGenerated];

/**
 * Each mode's passes, in order. User-supplied (`@vjpOf`) and shared pullbacks are
 * reverse-mode rules: `inline("forward")` sees through every callee instead.
 */
export const PIPELINES = {
  grad: [inline("reverse"), cse, requireReturn("number"), names, normalize, reorder, entryParams("grad"), reverse("one"), gradEntryPoints, ...LATE, tidy],
  vjp: [inline("reverse"), cse, requireReturn("numbers"), ...vjpSweeps(vjpEntryPoints()), ...LATE, tidy],
  jvp: [inline("forward"), cse, requireReturn("numbers"), names, entryParams("tangent"), jvpForward(), cseGenerated, ...LATE, tidy],
  hvp: [inline("forward"), cse, ...HVP, ...LATE, tidy],
  /** The drivers' sweeps carry `width` directions each (modes/lanes.ts: hvpLanes, jvpLanes). */
  hessian: [inline("forward"), cse, ...HVP_REVERSE, hvpLanes, hvpForwardOverReverse, cseGenerated, ...LATE, hessianDriver, tidy],
  jacobian: [
    inline("forward"),
    cse,
    requireReturn("outputs"),
    jacobianSweeps({ jvp: [names, entryParams("tangent"), jvpLanes(jacobianNames.lanes), jvpForward(jacobianNames.jvp), cseGenerated], vjp: vjpSweeps(vjpEntryPoints(jacobianNames.vjp)) }),
    ...LATE,
    jacobianDriver,
    tidy,
  ],
  /** `@hessian x sparse`: the HVP and its vector sweep, its index-set copy (sparsity detection), the compressed drivers. */
  hessianSparse: [inline("forward"), cse, ...HVP_REVERSE, hvpLanes, hvpForwardOverReverse, cseGenerated, hessianSparsity, ...LATE, sparseHessianDriver, tidy],
  /** `@jacobian x sparse`: the Jacobian's sweeps (the vector JVP among them), the JVP's index-set copy, the compressed drivers. */
  jacobianSparse: [
    inline("forward"),
    cse,
    requireReturn("array"),
    jacobianSweeps({ jvp: [names, entryParams("tangent"), jvpLanes(jacobianNames.lanes), jvpForward(jacobianNames.jvp), cseGenerated], vjp: vjpSweeps(vjpEntryPoints(jacobianNames.vjp)) }),
    jacobianSparsity,
    ...LATE,
    sparseJacobianDriver,
    tidy,
  ],
  /** A shared callee's pullback: its fVjpInto, renamed (modes/requests.ts asks for it). */
  pullback: [inline("reverse"), cse, ...vjpSweeps(vjpEntryPoints()), pullbackEntryPoint, ...LATE, tidy],
  /** A private copy of a callee's primal, for the forward sweeps. */
  primal: [inline("reverse"), primalCopy, records, tidy],
} satisfies Record<DerivativeRequest["mode"] | "hessianSparse" | "jacobianSparse" | "pullback" | "primal", readonly Pass[]>;

/** The passes of one annotation's request. */
export function pipelineOf(request: DerivativeRequest): readonly Pass[] {
  if (request.sparse && request.mode === "hessian") return PIPELINES.hessianSparse;
  if (request.sparse && request.mode === "jacobian") return PIPELINES.jacobianSparse;
  return PIPELINES[request.mode];
}

/** Every stage `--dump-after` takes: the lowered function, then each pass of any mode. */
export const STAGES: readonly string[] = ["lower", ...new Set(Object.values(PIPELINES).flatMap((passes) => passes.map((p) => p.name)))];
import { importExtensionOf, relativeSpecifier, type ImportExtension } from "./backend/imports.ts";

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
  /** Sources whose generated file was not produced because of an error (their existing output must be left alone). */
  failed: string[];
  /** With `dumpAfter`: the IR after that stage, as TypeScript, one entry per annotation (and shared derivative) that ran it. */
  dumps?: string[];
}

export interface CompileOptions {
  /** Activity analysis on (default) or off; derivatives must not change. */
  activity?: boolean;
  /** To-be-recorded analysis on (default) or off (save every overwritten value); derivatives must not change. */
  toBeRecorded?: boolean;
  /** Repeated pure computations (two inlined calls of one function) merged before differentiating (default on); values must not change, derivatives only in the last bits. */
  cse?: boolean;
  /** Loop nests whose inner loop sums into a scalar run two outer iterations at once (default on); values and derivatives must not change. */
  jam?: boolean;
  /** Outer iterations of triangular nests whose inner loop runs no step (and that do nothing else) left out (default on); values and derivatives must not change. */
  trim?: boolean;
  /** Small innermost loops inside other loops run two iterations per trip (default on); values and derivatives must not change. */
  unroll?: boolean;
  /** Debug build: generated code checks argument aliasing and stack balance. */
  debug?: boolean;
  /** Called after each source is compiled, with the milliseconds it took (progress, `--verbose`). */
  onSource?: (path: string, ms: number) => void;
  /** Keep the IR after this stage (one of STAGES) in `CompileResult.dumps`. */
  dumpAfter?: string;
  /** Sees each annotated function's IR as lowered, and each generated function's before printing (the fuzzer's coverage report). */
  observe?: { lowered?: (fn: FunctionIR) => void; generated?: (fn: FunctionIR) => void };
  /** Told how long each stage took (parse, discover, lower, each pass, module, print, format): `--verbose`, `npm run bench:compile`. */
  clock?: StageClock;
  /** How the generated file of a source is written where its project decides (the CLI reads it: cli/style.ts). */
  style?: (sourcePath: string) => OutputStyle | Promise<OutputStyle>;
  /**
   * The automatic checkpointing policy (README, "checkpointing"): every outermost counted
   * loop whose reverse needs saved values is checkpointed within this many bytes (all its
   * steps recorded, as without checkpointing, when they fit). Default: off.
   */
  checkpointBudget?: number;
}

/** What a project decides about a generated file; every field has a default. */
export interface OutputStyle {
  /** Extension of relative import specifiers when the source has no relative imports to mirror (default ".js"). */
  importExtension?: ImportExtension;
  /** The project has `noUncheckedIndexedAccess`: element reads print as `a[i]!` (backend/print.ts). */
  uncheckedIndexedAccess?: boolean;
  /** Formats the printed file, given its path (default: tsgrad's own prettier style, backend/format.ts). A failure is a TSG1005 diagnostic. */
  format?: (text: string, outputPath: string) => Promise<string>;
  /**
   * With `format`: that it is prettier 3 with these options, so tsgrad may write one-line
   * statements itself and let it format the rest (backend/lines.ts); else `format` gets
   * the whole file.
   */
  lineStyle?: LineStyle;
  /**
   * With `format` and `lineStyle`: what `format`'s output depends on besides the text (its
   * version and options), so that files with equal keys may share the formatting of their
   * runtime helpers (backend/lines.ts). Absent: each file's helpers are formatted with it.
   */
  formatKey?: string;
}

export function outputPathFor(sourcePath: string): string {
  return sourcePath.replace(/\.ts$/, ".grad.ts");
}

/** The source whose generated code an import path names (`…/inner.grad.js` → `…/inner.ts`), else null. */
export function sourceOfGenerated(importPath: string): string | null {
  return /\.grad(\.js|\.ts)?$/.test(importPath) ? importPath.replace(/\.grad(\.js|\.ts)?$/, ".ts") : null;
}

export async function compileSources(inputs: SourceInput[], options: CompileOptions = {}): Promise<CompileResult> {
  const clock = options.clock;
  const files: OutputFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const failed: string[] = [];
  const dumped: { title: string; functions: FunctionIR[] }[] = [];
  const sorted = [...inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const program = new ProgramIndex();
  const parsed: { input: SourceInput; sourceFile: ts.SourceFile }[] = [];
  for (const input of sorted) {
    try {
      parsed.push({ input, sourceFile: timed(clock, "parse", () => program.add(input.path, input.text)) });
    } catch (error) {
      // TypeScript's parser recurses once per nesting level: too deep a file is reported, the others compile.
      if (!isStackOverflow(error)) throw error;
      diagnostics.push(tooLargeDiagnostic(input.path, input.text, "parsing"));
      failed.push(input.path);
    }
  }
  const { order, imported } = generatedFirst(parsed);
  for (const { input, sourceFile } of order) {
    const started = performance.now();
    let result: { file?: OutputFile; diagnostics: Diagnostic[] };
    try {
      result = await compileOne(program, sourceFile, input, options, dumped);
    } catch (error) {
      // A fault outside any one function (reading the file's annotations, assembling or
      // formatting its generated file): reported at the file; the other files still compile.
      result = { diagnostics: [isStackOverflow(error) ? tooLargeDiagnostic(input.path, input.text, "compiling") : fileFault(error, input.path, sourceFile)] };
    }
    options.onSource?.(input.path, performance.now() - started);
    diagnostics.push(...result.diagnostics);
    if (!result.file && result.diagnostics.some(isError)) failed.push(input.path);
    if (result.file) {
      files.push(result.file);
      // A later source calls this generated code (nested derivatives): make it a file of the program.
      if (imported.has(input.path)) timed(clock, "parse", () => program.add(result.file!.path, result.file!.text, true));
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  failed.sort();
  // Two functions that use one missing import report it twice at the same place: once is enough.
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.column}:${d.code}:${d.message}`;
    return !seen.has(key) && !!seen.add(key);
  });
  if (options.dumpAfter === undefined) return { files, diagnostics: unique, failed };
  const printer = new Printer();
  const texts = await Promise.all(dumped.map(async (d) => `// ${d.title}\n${await formatTypeScript(d.functions.map((f) => printer.fn(f)).join("\n"))}`));
  return { files, diagnostics: unique, failed, dumps: texts };
}

/** An internal error outside any one function: TSG9001 at the file's first annotated function, or at its first line. */
function fileFault(error: unknown, file: string, sf: ts.SourceFile): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  let at: SourceSpan = { file, line: 1, column: 1, length: 1 };
  let where = file;
  try {
    const first = functionSources(sf).find((f) => tagsOf(f.docHost).length > 0);
    if (first) {
      at = spanOf(first.nameNode, sf, file);
      where = `${path.basename(file)} (at '${first.name}')`;
    }
  } catch {
    // the file's functions cannot be listed either: point at its first line
  }
  return { code: Codes.InternalError, message: `internal error while compiling ${where}: ${message}. This is a bug in tsgrad; please report it with this file.`, ...at };
}

/**
 * Orders the sources so that one importing another's generated file (`./inner.grad.js`)
 * comes after it: the generated text is then in the program when the importer's calls are
 * resolved. Otherwise (and within a cycle) the sorted order is kept.
 */
function generatedFirst<T extends { input: SourceInput; sourceFile: ts.SourceFile }>(parsed: T[]): { order: T[]; imported: Set<string> } {
  const byPath = new Map(parsed.map((p) => [path.resolve("/", p.input.path), p]));
  const out: T[] = [];
  const imported = new Set<string>();
  const state = new Map<T, "visiting" | "done">();
  const visit = (p: T) => {
    if (state.has(p)) return;
    state.set(p, "visiting");
    for (const s of p.sourceFile.statements) {
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

/**
 * One source file, stage by stage: its syntax, its annotations, each annotated function
 * lowered, then differentiated by its modes' passes (with the shared derivatives those
 * request), then the generated module assembled, printed and formatted. Each stage adds to
 * the file's diagnostics; an error stops before the next stage that would write anything.
 */
async function compileOne(
  program: ProgramIndex,
  sf: ts.SourceFile,
  input: SourceInput,
  options: CompileOptions,
  dumped: Dumped,
): Promise<{ file?: OutputFile; diagnostics: Diagnostic[] }> {
  const syntax = syntaxDiagnostics(sf, input.path);
  if (syntax.length > 0) return { diagnostics: syntax };
  const discovery = timed(options.clock, "discover", () => program.discovery(input.path));
  const job: FileJob = { program, sf, input, options, dumped, discovery, diagnostics: [...discovery.diagnostics] };
  const { diagnostics } = job;
  if (discovery.functions.length === 0) return { diagnostics };
  const { file, stackNames } = differentiate(job, lowerAnnotated(job));
  diagnostics.push(...unexportedCallees(job, file));
  if (diagnostics.some(isError) || file.functions.length === 0) return { diagnostics };
  const style = (await options.style?.(input.path)) ?? {};
  const module = assembleModule(job, file, style, stackNames);
  if (diagnostics.some(isError)) return { diagnostics };
  const printed = await printModule(job, module, stackNames, style);
  return "diagnostic" in printed ? { diagnostics: [printed.diagnostic] } : { file: printed.file, diagnostics };
}

type Dumped = { title: string; functions: FunctionIR[] }[];
type Lowered = { fn: FunctionIR; requests: Discovery["functions"][number]["requests"]; source: FunctionSource }[];
type StackNames = { values: string; control: string };

/** One source file's compile: what its stages read, and the diagnostics they add to. */
interface FileJob {
  program: ProgramIndex;
  sf: ts.SourceFile;
  input: SourceInput;
  options: CompileOptions;
  dumped: Dumped;
  discovery: Discovery;
  diagnostics: Diagnostic[];
}

/** The parser's syntax errors, as TSG diagnostics. */
function syntaxDiagnostics(sf: ts.SourceFile, file: string): Diagnostic[] {
  const syntax = (sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  return syntax.map((d) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
    return {
      code: Codes.SyntaxError,
      message: ts.flattenDiagnosticMessageText(d.messageText, " "),
      file,
      line: line + 1,
      column: character + 1,
      length: Math.max(1, d.length),
    };
  });
}

/** Stage "lower": each annotated function to IR; a function outside the subset adds its diagnostics and is left out. */
function lowerAnnotated({ discovery, sf, input, options, dumped, diagnostics }: FileJob): Lowered {
  const lowered: Lowered = [];
  const sourceName = path.basename(input.path);
  for (const annotated of discovery.functions) {
    try {
      const fn = timed(options.clock, "lower", () => lowerFunction(annotated.source, sf, input.path, discovery.module));
      lowered.push({ fn, requests: annotated.requests, source: annotated.source });
      if (options.dumpAfter === "lower") dumped.push({ title: `after lower: ${fn.name} (${sourceName})`, functions: [fn] });
    } catch (error) {
      diagnostics.push(...toDiagnostics(error, annotated.source, sf, input, "lowering"));
    }
  }
  for (const { fn } of lowered) options.observe?.lowered?.(fn);
  return lowered;
}

/**
 * Each lowered function through the passes of each of its requests (PIPELINES), then the
 * shared derivatives those asked for (callee pullbacks, primal copies), once per file.
 */
function differentiate(job: FileJob, lowered: Lowered): { file: FileDerivatives; stackNames: StackNames } {
  const { program, discovery, sf, input, options, dumped, diagnostics } = job;
  const sourceLines = input.text.split(/\r?\n/);
  const sourceName = path.basename(input.path);
  const moduleNames = new Set<string>([...discovery.module.functionNames, ...discovery.module.numericConstants.keys()]);
  // Generated names must not collide with the user's identifiers anywhere in the file.
  const fileNames = new Set(moduleNames);
  for (const { fn } of lowered) namesIn(fn, fileNames);
  const stackNames = { values: freeName(fileNames, "valueStack"), control: freeName(fileNames, "controlStack") };

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
    cse: options.cse ?? true,
    jam: options.jam ?? true,
    trim: options.trim ?? true,
    unroll: options.unroll ?? true,
    ...(options.checkpointBudget !== undefined && { checkpointBudget: options.checkpointBudget }),
    ...(options.dumpAfter !== undefined && { observe: dumpAfter(options.dumpAfter, dumped) }),
    ...(options.clock && { clock: options.clock }),
  });
  const file = new FileDerivatives(diagnostics);
  for (const { fn, requests, source } of lowered) {
    try {
      for (const request of requests) file.add(runPasses(pipelineOf(request), startUnit(context(fn, request))).output, fn.name, request.span);
      file.drain({
        pullback(pullback) {
          const callee = program.callee(pullback.span.file, pullback.callee, pullback.span);
          const request: DerivativeRequest = { mode: "vjp", wrt: pullback.wrt, span: pullback.span };
          const calleeFile = callee.span.file;
          const ctx = { ...context(callee, request, program.lines(calleeFile), path.basename(calleeFile)), pullback };
          return runPasses(PIPELINES.pullback, startUnit(ctx)).output;
        },
        primal(primal) {
          const callee = program.callee(primal.span.file, primal.name, primal.span);
          return runPasses(PIPELINES.primal, startUnit({ ...context(callee, { mode: "grad", wrt: [], span: primal.span }), primal })).output;
        },
      });
    } catch (error) {
      diagnostics.push(...toDiagnostics(error, source, sf, input, "differentiating"));
    }
  }
  return { file, stackNames };
}

/** The generated file imports the primals and rules it calls: each must be exported by its module. */
function unexportedCallees({ program, input }: FileJob, file: FileDerivatives): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const key of new Set(file.imports.map(({ name, file }) => `${file}\n${name}`))) {
    const [from, name] = key.split("\n") as [string, string];
    const span = program.notExported(from, name);
    if (span) diagnostics.push({ code: Codes.UnsupportedCall, message: `the generated ${path.basename(outputPathFor(input.path))} calls '${name}', which ${path.basename(from)} does not export; add 'export' to its declaration`, ...span });
  }
  return diagnostics;
}

/**
 * The generated module: functions said once (one alias per wrt list, one body per function:
 * modes/dedupe.ts) and only those something calls, the imports of what the code still
 * calls, and the runtime helpers it uses copied in (the file then imports nothing of tsgrad).
 */
function assembleModule(job: FileJob, file: FileDerivatives, style: OutputStyle, stackNames: StackNames): ModuleIR {
  const { discovery, sf, input, options } = job;
  const shared = withoutDuplicates(file.functions, file.typeAliases, (alias) => file.aliasOwners.get(alias)?.owner);
  // A private function nothing calls any more (a primal copy whose only call was dead, a duplicate) is left out.
  const functions = withoutUncalled(shared.functions);
  for (const f of functions) options.observe?.generated?.(f);

  const orderedStacks = (["values", "control"] as const).filter((s) => file.stacks.has(s));
  // Named types in generated signatures and declarations (`Dense[]`, `{ value: Vec2; … }`,
  // `const out: Vec2 = …`) come from the source module.
  const typeImports = new Set<string>();
  const exportedTypes = discovery.module.exportedTypes;
  const importNamesIn = (text: string) => {
    for (const [word] of text.matchAll(/[A-Za-z_$][\w$]*/g)) if (exportedTypes?.has(word)) typeImports.add(word);
  };
  for (const f of exportedTypes?.size ? functions : []) {
    for (const p of f.params) importNamesIn(p.typeText);
    importNamesIn(f.returnTypeText);
    walkStmts(f.body, (s) => {
      if (s.kind === "declare" && s.annotation) importNamesIn(s.annotation);
    });
  }
  const extension = importExtensionOf(sf) ?? style.importExtension ?? ".js";
  const sourceImport = relativeSpecifier(input.path, input.path, extension);
  // Primals and rules the generated code calls, imported from their own modules.
  // Only what the code still calls: tidying can drop the last call of a rule (an unread pullback).
  // (Two walks of every function: only when there is something to import.)
  const mentioned = file.imports.length > 0 ? new Set(functions.flatMap((f) => [...namesIn(f), ...calleesOf(f)])) : new Set<string>();
  const byModule = new Map<string, Set<string>>();
  for (const { name, file: from } of file.imports) {
    if (!mentioned.has(name)) continue;
    if (from.startsWith("module:")) {
      // A package's function (with a @vjpOf rule): imported from the package itself, under the caller's name.
      const [specifier, exported] = from.slice("module:".length).split("#") as [string, string | undefined];
      if (!byModule.has(specifier)) byModule.set(specifier, new Set());
      byModule.get(specifier)!.add(exported && exported !== name ? `${exported} as ${name}` : name);
      continue;
    }
    const rel = relativeSpecifier(input.path, from, extension);
    if (!byModule.has(rel)) byModule.set(rel, new Set());
    byModule.get(rel)!.add(name);
  }
  const valueImports = [...byModule].sort(([a], [b]) => (a < b ? -1 : 1)).map(([from, names]) => ({ names: [...names].sort(), from, typeOnly: false }));
  const imports = [...(typeImports.size > 0 ? [{ names: [...typeImports].sort(), from: sourceImport, typeOnly: true }] : []), ...valueImports];
  const taken = new Set([...imports.flatMap((i) => i.names), ...functions.map((f) => f.name), ...shared.aliases.map((a) => a.name), ...orderedStacks.map((s) => stackNames[s]), ...file.schedules.map((s) => s.name)]);
  const helpers = copyHelpers([...orderedStacks.map((s) => (s === "values" ? "NumberStack" : "IntStack")), ...file.runtime], taken);
  for (const name of helpers.clashes) {
    job.diagnostics.push({
      code: Codes.NameClash,
      message: `the generated code needs tsgrad's runtime helper '${name}', and the generated file already has a '${name}'; rename yours`,
      ...spanOf(discovery.functions[0]!.source.nameNode, sf, input.path),
    });
  }
  return {
    header: generatedHeader(path.basename(input.path)),
    imports,
    helpers: helpers.text,
    stacks: orderedStacks,
    functions,
    typeAliases: shared.aliases,
    ...(file.schedules.length > 0 && { schedules: file.schedules }),
  };
}

/** Stages "print" and "format": the module as the project's formatter writes it (a user formatter's failure is TSG1005). */
async function printModule({ input, options }: FileJob, module: ModuleIR, stackNames: StackNames, style: OutputStyle): Promise<{ file: OutputFile } | { diagnostic: Diagnostic }> {
  const format = style.format ?? formatTypeScript;
  const lineStyle = style.format ? (style.lineStyle ?? null) : TSGRAD_LINE_STYLE;
  try {
    const printOptions = { uncheckedIndexedAccess: style.uncheckedIndexedAccess ?? false };
    const formatKey = style.format ? style.formatKey : "tsgrad";
    const text = await printAndFormat(module, stackNames, printOptions, (printed) => format(printed, outputPathFor(input.path)), lineStyle, options.clock, formatKey);
    return { file: { path: outputPathFor(input.path), text, source: input.path } };
  } catch (error) {
    if (isStackOverflow(error)) return { diagnostic: tooLargeDiagnostic(input.path, input.text, "formatting the generated file") };
    if (!style.format) throw error; // tsgrad's own formatting failing on its own output is a bug
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    return { diagnostic: { code: Codes.FormatFailed, message, file: input.path, line: 1, column: 1, length: 1 } };
  }
}

/** Keeps a unit's IR after the stage `stage` (printed by compileSources). */
function dumpAfter(stage: string, dumped: Dumped) {
  return (at: string, unit: Unit) => {
    if (at !== stage) return;
    const { ctx } = unit;
    const what = ctx.pullback ? `pullback ${ctx.pullback.name}` : ctx.primal ? `primal copy` : `@${ctx.request.mode} ${ctx.request.wrt.join(", ")}`;
    dumped.push({ title: `after ${stage}: ${ctx.fn.name} (${what}; ${ctx.sourceName}:${ctx.fn.span.line})`, functions: unitIR(unit) });
  };
}

/** What a unit holds so far, as functions: what it generated, else the reverse-mode body, else the function being differentiated. */
function unitIR(unit: Unit): FunctionIR[] {
  if (unit.output.functions.length > 0) return unit.output.functions;
  if (unit.reverse) return [{ ...unit.fn, body: [...unit.reverse.body, { kind: "return", value: { kind: "var", name: unit.reverse.valueName } }] }];
  return [unit.result ? { ...unit.fn, body: [...unit.fn.body, { kind: "return", value: unit.result }] } : unit.fn];
}

function toDiagnostics(error: unknown, source: FunctionSource, sf: ts.SourceFile, input: SourceInput, stage: string): Diagnostic[] {
  if (error instanceof DiagnosticError) return error.all;
  const file = input.path;
  if (isStackOverflow(error)) return [tooLargeDiagnostic(file, input.text, stage, { name: source.name, start: source.node.getStart(sf), end: source.node.getEnd() })];
  const message = error instanceof Error ? error.message : String(error);
  return [{
    code: Codes.InternalError,
    message: `internal error while compiling '${source.name}': ${message}. This is a bug in tsgrad; please report it with this function.`,
    ...spanOf(source.nameNode, sf, file),
  }];
}
