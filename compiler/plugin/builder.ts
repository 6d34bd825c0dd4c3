/**
 * What the bundler plugin (plugin/index.ts) runs: whole builds through the build cache,
 * one at a time, so that any number of requests for generated files made while sources
 * change are answered by a build that started after the request (never an older one).
 * A build writes the generated files to disk exactly as `tsgrad build` does (so the
 * editor and `tsc` see them), and also keeps each generated text in memory, which is
 * what the plugin serves.
 */
import path from "node:path";
import { isGeneratedPath } from "../cli/discover.ts";
import { openCache, runBuild, type BuildReport } from "../cli/build.ts";
import { codeFrame, formatDiagnostic, formatSummary } from "../cli/frame.ts";
import { displayPath } from "../cli/report.ts";
import type { CliIo } from "../cli/io.ts";
import type { BuildCache } from "../cli/cache.ts";
import { budgetBytes, BUDGET_EXPECTED } from "../cli/config.ts";

export interface TsgradPluginOptions {
  /** Files and folders to build (default: the whole root, skipping node_modules and dot-folders). */
  paths?: string[];
  /** Folder the paths are relative to (default: Vite's root, else the current folder). */
  root?: string;
  /** Debug builds (see `tsgrad build --debug`). */
  debug?: boolean;
  /** Use the build cache (default true). */
  cache?: boolean;
  /**
   * The automatic checkpointing policy's budget (see `tsgrad build --checkpoint-budget`):
   * a size such as "256MB" or a number of bytes. Default: the project config's
   * `checkpointBudget`, else off.
   */
  checkpointBudget?: string | number;
}

/** A build's problems, as one error a bundler can show: text, location, code frame. */
export interface BuildProblem {
  message: string;
  /** The first diagnostic's place and its code frame. */
  id: string;
  loc: { file: string; line: number; column: number };
  frame: string;
}

export class Builder {
  private readonly cache: BuildCache | undefined;
  private running: Promise<BuildReport> | undefined;
  private queued: Promise<BuildReport> | undefined;
  last: BuildReport | undefined;
  root: string;
  private readonly checkpointBudget: number | undefined;

  constructor(private readonly options: TsgradPluginOptions) {
    this.root = path.resolve(options.root ?? process.cwd());
    const budget = budgetBytes(options.checkpointBudget);
    // A bad option is the user's configuration error, reported when the bundler creates the plugin.
    if (budget === null) throw new Error(`tsgrad plugin: ${BUDGET_EXPECTED} (got ${JSON.stringify(options.checkpointBudget)})`);
    this.checkpointBudget = budget;
    this.cache = openCache({ cache: options.cache }, this.root).cache;
  }

  /** A build that starts after this call (joining one already queued behind the running one). */
  build(): Promise<BuildReport> {
    if (!this.running) return this.start();
    if (!this.queued) {
      this.queued = this.running.catch(() => undefined).then(() => {
        this.queued = undefined;
        return this.start();
      });
    }
    return this.queued;
  }

  private start(): Promise<BuildReport> {
    const io: CliIo = { stdout: () => {}, stderr: () => {}, cwd: this.root, color: false, pid: process.pid, progress: false };
    const options = { paths: this.options.paths ?? [], check: false, debug: this.options.debug, cache: this.options.cache, ...(this.checkpointBudget !== undefined && { checkpointBudget: this.checkpointBudget }) };
    const run = runBuild(options, io, { cache: this.cache });
    this.running = run.then(
      (report) => {
        this.last = report;
        return report;
      },
      (error) => {
        throw error;
      },
    );
    const current = this.running;
    void current.catch(() => undefined).then(() => {
      if (this.running === current) this.running = undefined;
    });
    return current;
  }

  /** The problems of a report as one bundler error, or null when it is clean. */
  problem(report: BuildReport): BuildProblem | null {
    if (report.diagnostics.length === 0) return null;
    const show = (file: string) => displayPath(file, this.root);
    const text = report.diagnostics.map((d) => formatDiagnostic(d, { displayPath: show(d.file), text: report.texts.get(d.file), color: false })).join("");
    const files = new Set(report.diagnostics.map((d) => d.file)).size;
    const first = report.diagnostics[0];
    const source = report.texts.get(first.file);
    const frame = source === undefined ? "" : codeFrame(first, source).trimEnd();
    return {
      message: `${text}${formatSummary(report.diagnostics.length, files)}${report.blocked ? "Nothing was written." : ""}`.trimEnd(),
      id: first.file,
      loc: { file: first.file, line: first.line, column: first.column - 1 },
      frame,
    };
  }

  /** Whether `id` (a module id, perhaps with a query) names a generated file. */
  static generatedId(id: string): string | null {
    const file = id.split("?")[0];
    return isGeneratedPath(file) && path.isAbsolute(file) ? path.normalize(file) : null;
  }
}
