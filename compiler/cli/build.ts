/**
 * One build, from command-line paths to files on disk:
 *
 *   discover → read (strict UTF-8) → compile (compiler/pipeline) → plan → write or check
 *
 * Takes the build options and the CLI's io; gives a `BuildReport` (it prints nothing:
 * see report.ts). Guarantees: if any diagnostic is reported before writing, nothing is
 * written or removed; `--check` never touches the disk. Throws only `UsageError` (a
 * named path that does not exist) or on a fault of the compiler itself.
 */
import path from "node:path";
import { compileSources } from "../pipeline.ts";
import type { Diagnostic } from "../diagnostics.ts";
import { compareStrings, discover } from "./discover.ts";
import type { CliIo } from "./io.ts";
import { planOutputs } from "./plan.ts";
import { readSources } from "./read.ts";
import { applyPlan } from "./write.ts";

export interface BuildOptions {
  paths: readonly string[];
  check: boolean;
  /** Generated code checks argument aliasing and stack balance (see transform/debug.ts). */
  debug?: boolean;
}

export type OutOfDateReason = "missing" | "stale" | "orphaned";

export interface BuildReport {
  /** Every diagnostic of the run, files as absolute paths, sorted by file then position. */
  diagnostics: Diagnostic[];
  /** Text of the files diagnostics point into, for code frames (absolute path → text). */
  texts: Map<string, string>;
  written: string[];
  removed: string[];
  /** With `--check`: what a build would change. */
  outOfDate: { path: string; reason: OutOfDateReason }[];
  unchanged: string[];
  /** Number of sources built (named or found). */
  sourceCount: number;
  /** True when diagnostics stopped the build before anything was written. */
  blocked: boolean;
  check: boolean;
  exitCode: 0 | 1;
}

export async function runBuild(options: BuildOptions, io: CliIo): Promise<BuildReport> {
  const found = discover(options.paths, io.cwd);
  const read = readSources(found.sources);
  const texts = new Map(read.inputs.map((i) => [i.path, i.text] as const));
  const compiled = await compileSources(read.inputs, { debug: options.debug ?? false });
  const diagnostics = [
    ...read.diagnostics,
    ...compiled.diagnostics.map((d) => ({ ...d, file: path.resolve(io.cwd, d.file) })),
  ];
  const targets = new Set(found.sources);
  const outputs = compiled.files
    .map((f) => ({ ...f, path: path.resolve(io.cwd, f.path), source: path.resolve(io.cwd, f.source) }))
    .filter((f) => targets.has(f.source) && !read.context.has(f.source));
  const plan = planOutputs({
    outputs,
    built: found.sources,
    generatedInWalkedFolders: found.generatedInWalkedFolders,
    removalsAllowed: diagnostics.length === 0,
  });
  diagnostics.push(...plan.diagnostics);
  for (const [file, text] of plan.texts) texts.set(file, text);

  const report: BuildReport = {
    diagnostics,
    texts,
    written: [],
    removed: [],
    outOfDate: [],
    unchanged: plan.unchanged,
    sourceCount: found.sources.length,
    blocked: false,
    check: options.check,
    exitCode: 0,
  };
  if (options.check) {
    report.outOfDate = [
      ...plan.writes.map((w) => ({ path: w.path, reason: w.reason })),
      ...plan.removals.map((p) => ({ path: p, reason: "orphaned" as const })),
    ].sort((a, b) => compareStrings(a.path, b.path));
  } else if (diagnostics.length > 0) {
    report.blocked = true;
  } else {
    const applied = applyPlan(plan, io.pid);
    report.written = applied.written;
    report.removed = applied.removed;
    diagnostics.push(...applied.diagnostics);
  }
  report.diagnostics = sortDiagnostics(diagnostics);
  report.exitCode = report.diagnostics.length > 0 || report.outOfDate.length > 0 ? 1 : 0;
  return report;
}

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => compareStrings(a.file, b.file) || a.line - b.line || a.column - b.column || a.code - b.code || compareStrings(a.message, b.message),
  );
}
