/**
 * The CLI's view of the outside world: where text goes, which folder relative paths are
 * resolved against, whether to colour, and (for `--watch`) when to stop. Injected so tests
 * can drive `main()` in-process and capture everything it prints.
 */
export interface CliIo {
  /** Normal output: `wrote …` lines, `--check` findings, the JSON document. */
  stdout: (text: string) => void;
  /** Diagnostics, summaries of failures, usage errors. */
  stderr: (text: string) => void;
  /** Folder that relative paths on the command line and printed paths are relative to. */
  cwd: string;
  /** ANSI colours in diagnostics (only when stderr is a terminal). */
  color: boolean;
  /** Stops `--watch`; without it, watching runs until the process is interrupted. */
  signal?: AbortSignal;
  /** Process id used in temporary file names (`X.grad.ts.<pid>.tsgrad-tmp`). */
  pid: number;
  /** A progress line may be drawn on stderr (an interactive terminal); see progress.ts. */
  progress: boolean;
  /** How long a build runs before its progress line appears (default about a second). */
  progressDelayMs?: number;
  /** Width of the terminal, to keep the progress line on one row. */
  columns?: number;
}

let pipeWatched = false;

export function defaultIo(): CliIo {
  if (!pipeWatched) {
    pipeWatched = true;
    // A reader that stops early (`tsgrad build --dump-after=reverse | head`) closes the
    // pipe: stop quietly, as other command-line tools do, instead of a stack trace.
    process.stdout.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(process.exitCode ?? 0);
    });
  }
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    cwd: process.cwd(),
    color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
    pid: process.pid,
    progress: Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb",
    columns: process.stderr.columns,
  };
}

/** Fills in whatever a caller left out of a partial `CliIo`. */
export function withDefaults(io: Partial<CliIo> = {}): CliIo {
  const d = defaultIo();
  return {
    stdout: io.stdout ?? d.stdout,
    stderr: io.stderr ?? d.stderr,
    cwd: io.cwd ?? d.cwd,
    // Colour only by default when output really goes to the process's terminal.
    color: io.color ?? (io.stderr ? false : d.color),
    signal: io.signal,
    pid: io.pid ?? d.pid,
    // Like colour: only by default when stderr really is the process's terminal.
    progress: io.progress ?? (io.stderr ? false : d.progress),
    progressDelayMs: io.progressDelayMs,
    columns: io.columns ?? d.columns,
  };
}
