/**
 * Prints a BuildReport: as text (diagnostics with code frames on stderr, then
 * `Found N errors in M files.`; `wrote`/`removed` or `--check` findings on stdout) or as
 * one JSON document on stdout. Paths are printed relative to the current folder.
 *
 * Verbosity (text only): `quiet` prints only problems (diagnostics, `--check` findings);
 * `verbose` adds one line per source (compiled in N ms, or from the cache), where the
 * cache is, and the compile time by stage (parse, lower, each pass, print, format).
 */
import path from "node:path";
import { formatCode, isError } from "../diagnostics.ts";
import type { Verbosity } from "./args.ts";
import type { BuildReport } from "./build.ts";
import { formatDiagnostic, formatSummary } from "./frame.ts";
import type { CliIo } from "./io.ts";

export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return (rel === "" ? "." : rel).split(path.sep).join("/");
}

export function printText(report: BuildReport, io: CliIo, verbosity: Verbosity = "normal"): void {
  const show = (file: string) => displayPath(file, io.cwd);
  const quiet = verbosity === "quiet";
  if (verbosity === "verbose") {
    for (const t of report.timings) {
      io.stdout(t.ms === null ? `cached   ${show(t.path)}\n` : `compiled ${show(t.path)} in ${t.ms.toFixed(0)} ms${t.imported ? " (imported by a source being compiled)" : ""}\n`);
    }
  }
  if (!quiet) {
    for (const file of report.written) io.stdout(`wrote ${show(file)}\n`);
    for (const file of report.removed) io.stdout(`removed ${show(file)}\n`);
    for (const file of report.leftovers) io.stdout(`removed ${show(file)} (left by an interrupted build)\n`);
  }
  for (const item of report.outOfDate) io.stdout(`${item.reason}: ${show(item.path)}\n`);

  if (report.diagnostics.length > 0) {
    for (const d of report.diagnostics) {
      io.stderr(formatDiagnostic(d, { displayPath: show(d.file), text: report.texts.get(d.file), color: io.color }));
    }
    const files = new Set(report.diagnostics.map((d) => d.file)).size;
    const warnings = report.diagnostics.filter((d) => !isError(d)).length;
    io.stderr(formatSummary(report.diagnostics.length - warnings, files, warnings));
    if (report.blocked) io.stderr("Nothing was written.\n");
    else if (report.heldBack.length > 0 && !report.check) {
      const n = report.heldBack.length;
      io.stderr(`${n === 1 ? "1 file with errors was" : `${n} files with errors were`} not written (${report.heldBack.map(show).join(", ")}): ${n === 1 ? "its generated file is" : "their generated files are"} left as ${n === 1 ? "it was" : "they were"}.\n`);
    }
  }
  if (report.check) {
    if (report.outOfDate.length > 0) {
      const n = report.outOfDate.length;
      io.stdout(`${n} generated ${n === 1 ? "file is" : "files are"} out of date; run 'tsgrad build' to update.\n`);
    } else if (!report.diagnostics.some(isError) && !quiet) {
      io.stdout(`All generated files are up to date (${plural(report.sourceCount, "source")} checked: ${report.unchanged.length} with derivatives, ${report.withoutAnnotations.length} without annotations).\n`);
    }
  } else if (!report.blocked && !quiet) {
    // Written files are listed above; files held back by their errors are not counted as built.
    const removed =
      (report.removed.length > 0 ? `; removed ${plural(report.removed.length, "generated file")}` : "") +
      (report.leftovers.length > 0 ? `; removed ${plural(report.leftovers.length, "leftover")} of an interrupted build` : "");
    const failed = report.heldBack.length > 0 ? `, ${report.heldBack.length} with errors` : "";
    io.stdout(
      `Built ${plural(report.sourceCount, "source")}: ${report.written.length} written, ${report.unchanged.length} unchanged, ` +
        `${report.withoutAnnotations.length} without annotations${failed}${removed}.\n`,
    );
  }
  if (verbosity === "verbose") {
    const compiled = report.timings.filter((t) => t.ms !== null && !t.imported).length;
    const cached = report.timings.filter((t) => t.ms === null).length;
    const where = report.cache.dir ? `cache ${show(report.cache.dir)}` : "no cache";
    io.stdout(`${compiled} compiled, ${cached} from the cache (${where}${report.cache.note ? `; ${report.cache.note}` : ""}); ${(report.elapsedMs / 1000).toFixed(2)} s.\n`);
    const stages = (report.stages ?? []).filter(([, ms]) => ms >= 0.5).sort((a, b) => b[1] - a[1]);
    if (stages.length > 0) io.stdout(`Compile time by stage: ${stages.map(([stage, ms]) => `${stage} ${ms.toFixed(0)} ms`).join(", ")}.\n`);
  }
}

export interface JsonReport {
  diagnostics: { file: string; line: number; column: number; length: number; code: string; severity: "error" | "warning"; message: string }[];
  written: string[];
  removed: string[];
  /** Staged files of an interrupted build this build removed. */
  leftovers: string[];
  /** With --check: every out-of-date generated file (missing, stale or orphaned) and leftover. */
  stale: string[];
  /** The same files with the reason each is out of date. */
  outOfDate: { path: string; reason: string }[];
  /** Sources built that have no annotated function. */
  withoutAnnotations: string[];
  /** Sources not written because of their errors: their generated files were left as they were. */
  heldBack: string[];
  exitCode: number;
}

export function toJson(report: BuildReport, cwd: string): JsonReport {
  const show = (file: string) => displayPath(file, cwd);
  return {
    diagnostics: report.diagnostics.map((d) => ({
      file: show(d.file),
      line: d.line,
      column: d.column,
      length: d.length,
      code: formatCode(d.code),
      severity: d.severity ?? "error",
      message: d.message,
    })),
    written: report.written.map(show),
    removed: report.removed.map(show),
    leftovers: report.leftovers.map(show),
    stale: report.outOfDate.map((o) => show(o.path)),
    outOfDate: report.outOfDate.map((o) => ({ path: show(o.path), reason: o.reason })),
    withoutAnnotations: report.withoutAnnotations.map(show),
    heldBack: report.heldBack.map(show),
    exitCode: report.exitCode,
  };
}

export function printJson(report: BuildReport, io: CliIo, compact = false): void {
  io.stdout(JSON.stringify(toJson(report, io.cwd), null, compact ? undefined : 2) + "\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The JSON document of a run that stopped before it had a report (an internal fault, or a
 * usage error when `--format json` was asked for): one diagnostic, nothing written. Tools
 * reading stdout always get a document.
 */
export function printFailureJson(code: string, message: string, exitCode: number, io: Pick<CliIo, "stdout">): void {
  const document: JsonReport = {
    diagnostics: [{ file: "", line: 1, column: 1, length: 1, code, severity: "error", message }],
    written: [],
    removed: [],
    leftovers: [],
    stale: [],
    outOfDate: [],
    withoutAnnotations: [],
    heldBack: [],
    exitCode,
  };
  io.stdout(JSON.stringify(document, null, 2) + "\n");
}
