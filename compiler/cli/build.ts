/**
 * One build, from command-line paths to files on disk:
 *
 *   discover → read (strict UTF-8) → look up the cache → compile what missed
 *   (compiler/pipeline, loaded only then) → plan → write or check
 *
 * The paths are the command line's, else the project's config (config.ts), whose choices
 * and the project's prettier and tsconfig decide how files are written (style.ts).
 * Takes the build options and the CLI's io; gives a `BuildReport` (it prints nothing:
 * see report.ts). Guarantees: a bad function costs only its own file: every file whose
 * functions all compile is written, a file with an error (or one that cannot be read)
 * keeps its existing generated file untouched, and the exit code is 1; `--check` never
 * touches the disk. A fault of the compiler is a TSG9001 diagnostic at its file, never a
 * lost report. Throws only `UsageError` (a named path that does not exist).
 */
import path from "node:path";
import type { OutputFile, SourceInput } from "../pipeline.ts";
import { Codes, isError, type Diagnostic } from "../diagnostics.ts";
import { BuildCache, cacheKey, cacheLocation, toolFingerprint, type KeyPart } from "./cache.ts";
import { buildSettings } from "./config.ts";
import { compareStrings, discover, outputPathOf } from "./discover.ts";
import type { CliIo } from "./io.ts";
import { planOutputs } from "./plan.ts";
import { readSources } from "./read.ts";
import type { ProjectStyle, StyleChoices } from "./style.ts";
import { compileWithLargeStack, largeStackMb, ranOutOfStack } from "./largeStack.ts";
import { withStackTried } from "../frontend/tooLarge.ts";
import { applyPlan } from "./write.ts";
import { StageClock } from "../stages.ts";

export interface BuildOptions {
  paths: readonly string[];
  check: boolean;
  /** Generated code checks argument aliasing and stack balance (see transform/debug.ts). */
  debug?: boolean;
  /** Reuse the results of earlier compiles (cache.ts); default true. */
  cache?: boolean;
  /** Time each stage of the compiler (`--verbose`): BuildReport.stages. */
  stages?: boolean;
  /** The automatic checkpointing policy's budget in bytes (--checkpoint-budget; else the config's checkpointBudget). */
  checkpointBudget?: number;
}

/** What a caller that runs many builds (watch mode, the bundler plugin) keeps between them. */
export interface BuildSession {
  /** Reused across builds; by default each build opens the cache folder afresh. */
  cache?: BuildCache;
  /** Progress: called when compiling starts (how many sources) and after each source. */
  onCompile?: (event: { kind: "start"; sources: number } | { kind: "source"; path: string; ms: number }) => void;
}

/** How one source was handled, for --verbose. */
export interface SourceTiming {
  path: string;
  /** Milliseconds compiling it, or null when its result came from the cache. */
  ms: number | null;
  /** Compiled only because a source being compiled imports it (its own result came from the cache, or it is not built). */
  imported?: boolean;
}

export type OutOfDateReason = "missing" | "stale" | "orphaned" | "leftover";

export interface BuildReport {
  /** Every diagnostic of the run, files as absolute paths, sorted by file then position. */
  diagnostics: Diagnostic[];
  /** Text of the files diagnostics point into, for code frames (absolute path → text). */
  texts: Map<string, string>;
  written: string[];
  removed: string[];
  /** Staged files a killed build left (`X.grad.ts.<pid>.tsgrad-tmp`), removed by this build. */
  leftovers: string[];
  /** With `--check`: what a build would change. */
  outOfDate: { path: string; reason: OutOfDateReason }[];
  unchanged: string[];
  /** Sources built that have no annotated function (no generated file). */
  withoutAnnotations: string[];
  /** Number of sources built (named or found). */
  sourceCount: number;
  /** Per source: compiled (with its time) or taken from the cache. */
  timings: SourceTiming[];
  /** Where the cache lives, or why it was not used. */
  cache: { dir: string | null; note?: string };
  /** Wall-clock milliseconds of the whole build. */
  elapsedMs: number;
  /** With BuildOptions.stages: milliseconds per compiler stage, summed over the sources compiled (compiler/stages.ts). */
  stages?: [string, number][];
  /** Every source file read (built, or imported by one), absolute: what watch mode follows. */
  files: string[];
  /** Every generated file of the build and its text (also when diagnostics blocked writing): what the bundler plugin serves. */
  generated: Map<string, string>;
  /** True when there were errors and nothing was written or removed. */
  blocked: boolean;
  /** Sources not written because of their errors (or unreadable): their generated files were left as they were. */
  heldBack: string[];
  check: boolean;
  exitCode: 0 | 1;
}

export async function runBuild(options: BuildOptions, io: CliIo, session: BuildSession = {}): Promise<BuildReport> {
  const started = performance.now();
  const settings = buildSettings(options.paths, io.cwd);
  const checkpointBudget = options.checkpointBudget ?? settings.config?.checkpointBudget;
  const found = discover(settings.paths, io.cwd);
  const read = readSources(found.sources, found.spellings);
  const texts = new Map(read.inputs.map((i) => [i.path, i.text] as const));
  const { cache, note } = session.cache ? { cache: session.cache, note: undefined } : openCache(options, io.cwd);
  const byPath = new Map(read.inputs.map((i) => [i.path, i] as const));
  const clock = options.stages ? new StageClock() : undefined;

  // Look every readable target up; what misses is compiled with the files it imports.
  const results = new Map<string, string | null>();
  const keys = new Map<string, string>();
  const timings: SourceTiming[] = [];
  const fingerprint = cache ? toolFingerprint() : "";
  for (const source of found.sources) {
    if (!byPath.has(source) || !cache) continue;
    const key = cacheKey(fingerprint, { debug: options.debug ?? false, style: await settings.style.key(source), ...(checkpointBudget !== undefined && { checkpointBudget }) }, keyParts(source, read.imports, texts));
    keys.set(source, key);
    const hit = cache.get(key);
    if (hit) {
      results.set(source, hit.text);
      timings.push({ path: source, ms: null });
    }
  }
  const misses = found.sources.filter((s) => byPath.has(s) && !results.has(s));
  const diagnostics: Diagnostic[] = [...read.diagnostics];
  // Sources whose generated file stays as it is: unreadable, or failed to compile.
  const held = new Set(read.diagnostics.map((d) => d.file).filter((f) => found.sources.includes(f)));
  if (misses.length > 0) {
    const missed = new Set(misses);
    const inputs = [...closure(misses, read.imports)].flatMap((f) => (byPath.has(f) ? [byPath.get(f)!] : []));
    const compiled = await compileSafely(inputs, { ...options, style: settings.style, styleChoices: settings.choices, clock, ...(checkpointBudget !== undefined && { checkpointBudget }) }, session, (file, ms) => timings.push({ path: file, ms, ...(missed.has(file) ? {} : { imported: true }) }));
    diagnostics.push(...compiled.diagnostics.map((d) => ({ ...d, file: path.resolve(io.cwd, d.file) })));
    for (const f of compiled.failed) held.add(path.resolve(io.cwd, f));
    const outputs = new Map(compiled.files.map((f) => [path.resolve(io.cwd, f.source), f.text] as const));
    const dirty = new Set(diagnostics.map((d) => d.file)); // warnings too: a cache hit would not show them again
    for (const source of misses) {
      results.set(source, outputs.get(source) ?? null);
      const key = keys.get(source);
      // Only clean results are kept: nothing it depends on reported anything.
      if (cache && key && ![...closure([source], read.imports)].some((f) => dirty.has(f))) cache.put(key, { text: outputs.get(source) ?? null });
    }
    cache?.prune();
  }
  const erroneous = new Set(diagnostics.filter(isError).map((d) => d.file));
  const outputs: OutputFile[] = [];
  const withoutAnnotations: string[] = [];
  for (const source of found.sources) {
    if (!results.has(source)) continue;
    const text = results.get(source)!;
    if (text !== null) outputs.push({ path: outputPathOf(source), text, source });
    else if (!erroneous.has(source)) withoutAnnotations.push(source);
  }
  const plan = planOutputs({
    outputs,
    built: found.sources,
    generatedInWalkedFolders: found.generatedInWalkedFolders,
    leftovers: found.leftovers,
    removalsAllowed: true,
    keep: held,
  });
  diagnostics.push(...plan.diagnostics);
  for (const [file, text] of plan.texts) texts.set(file, text);

  const report: BuildReport = {
    diagnostics,
    texts,
    written: [],
    removed: [],
    leftovers: [],
    outOfDate: [],
    unchanged: plan.unchanged,
    withoutAnnotations,
    sourceCount: found.sources.length,
    timings: timings.sort((a, b) => compareStrings(a.path, b.path)),
    ...(clock && { stages: [...clock.totals] }),
    cache: { dir: cache?.dir ?? null, note },
    elapsedMs: 0,
    files: [...read.imports.keys()].sort(compareStrings),
    generated: new Map(outputs.map((o) => [o.path, o.text] as const)),
    blocked: false,
    heldBack: [],
    check: options.check,
    exitCode: 0,
  };
  if (options.check) {
    report.outOfDate = [
      ...plan.writes.map((w) => ({ path: w.path, reason: w.reason })),
      ...plan.removals.map((p) => ({ path: p, reason: "orphaned" as const })),
      ...plan.leftovers.map((p) => ({ path: p, reason: "leftover" as const })),
    ].sort((a, b) => compareStrings(a.path, b.path));
  } else {
    const applied = applyPlan(plan, io.pid);
    report.written = applied.written;
    report.removed = applied.removed;
    report.leftovers = applied.leftovers;
    diagnostics.push(...applied.diagnostics);
    report.blocked = diagnostics.some(isError) && applied.written.length === 0 && applied.removed.length === 0;
  }
  report.heldBack = [...held].filter((f) => found.sources.includes(f)).sort(compareStrings);
  report.diagnostics = sortDiagnostics(diagnostics);
  report.exitCode = report.diagnostics.some(isError) || report.outOfDate.length > 0 ? 1 : 0;
  report.elapsedMs = performance.now() - started;
  return report;
}

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => compareStrings(a.file, b.file) || a.line - b.line || a.column - b.column || a.code - b.code || compareStrings(a.message, b.message),
  );
}

/** The cache a build run from `cwd` uses (undefined with `--no-cache`), and why it is memory-only if it is. */
export function openCache(options: Pick<BuildOptions, "cache">, cwd: string): { cache: BuildCache | undefined; note?: string } {
  if (options.cache === false) return { cache: undefined, note: "off (--no-cache)" };
  const location = cacheLocation(cwd);
  if (location.disabled) return { cache: new BuildCache(null), note: `not using ${location.dir}: ${location.disabled}` };
  return { cache: new BuildCache(location.dir) };
}

/**
 * `compile`, with a fault of the compiler that escapes it (it reports its own faults per
 * file) turned into a TSG9001 diagnostic at the first source, so the report still comes out.
 */
async function compileSafely(inputs: SourceInput[], options: CompileSettings, session: BuildSession, timed: (file: string, ms: number) => void) {
  try {
    return await compile(inputs, options, session, timed);
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    const first = inputs[0]?.path ?? "";
    const diagnostic: Diagnostic = { code: Codes.InternalError, message: `internal error while compiling: ${message}. This is a bug in tsgrad; please report it`, file: first, line: 1, column: 1, length: 1 };
    return { files: [], diagnostics: [diagnostic], failed: inputs.map((i) => i.path) };
  }
}

type CompileSettings = BuildOptions & { style: ProjectStyle; styleChoices: StyleChoices; clock?: StageClock };

/**
 * Compiles `inputs` (loading the compiler only now), timing each source. A source that ran
 * out of stack (TSG1006: nested too deep for the main thread) is compiled again, with the
 * others, in a worker with a much larger stack (largeStack.ts).
 */
async function compile(inputs: SourceInput[], options: CompileSettings, session: BuildSession, timed: (file: string, ms: number) => void) {
  session.onCompile?.({ kind: "start", sources: inputs.length });
  const { compileSources } = await import("../pipeline.ts");
  const times = new Map<string, number>();
  let result = await compileSources(inputs, {
    debug: options.debug ?? false,
    style: options.style.style,
    ...(options.clock && { clock: options.clock }),
    ...(options.checkpointBudget !== undefined && { checkpointBudget: options.checkpointBudget }),
    onSource: (file, ms) => {
      times.set(file, ms);
      session.onCompile?.({ kind: "source", path: file, ms });
    },
  });
  if (ranOutOfStack(result.diagnostics)) {
    const job = { kind: "compile" as const, inputs, debug: options.debug ?? false, style: options.styleChoices, ...(options.checkpointBudget !== undefined && { checkpointBudget: options.checkpointBudget }) };
    const stackMb = largeStackMb();
    result = (await compileWithLargeStack(job, (file, ms) => times.set(file, (times.get(file) ?? 0) + ms), stackMb)) ?? result;
    result.diagnostics = result.diagnostics.map((d) => (d.code === Codes.TooLarge ? withStackTried(d, stackMb) : d));
  }
  for (const [file, ms] of times) timed(file, ms);
  return result;
}

type ImportMap = ReadonlyMap<string, readonly { specifier: string; resolved: string | null }[]>;

/** The given files and everything they import, transitively. */
function closure(files: readonly string[], imports: ImportMap): Set<string> {
  const seen = new Set<string>(files);
  const queue = [...files];
  while (queue.length > 0) {
    for (const { resolved } of imports.get(queue.pop()!) ?? []) {
      if (resolved !== null && !seen.has(resolved)) {
        seen.add(resolved);
        queue.push(resolved);
      }
    }
  }
  return seen;
}

/** What a source's cache key covers: itself, then every file it imports, by path relative to it. */
function keyParts(source: string, imports: ImportMap, texts: ReadonlyMap<string, string>): KeyPart[] {
  const dir = path.dirname(source);
  const rel = (file: string) => path.relative(dir, file).split(path.sep).join("/");
  const part = (file: string, name: string): KeyPart => ({
    name,
    text: texts.get(file) ?? null,
    imports: (imports.get(file) ?? []).map((i) => ({ specifier: i.specifier, resolved: i.resolved === null ? null : rel(i.resolved) })),
  });
  const others = [...closure([source], imports)].filter((f) => f !== source).map((f) => ({ f, name: rel(f) }));
  others.sort((a, b) => compareStrings(a.name, b.name));
  return [part(source, path.basename(source)), ...others.map(({ f, name }) => part(f, name))];
}
