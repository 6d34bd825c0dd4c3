/**
 * A progress line for builds that take a while: once a build has run for `delayMs`
 * (about a second), one line on stderr, rewritten in place (`\r` and erase-line) a few
 * times a second, says what is being compiled; it is erased when the build ends, so it
 * never mixes with the report. Only on an interactive terminal, never with
 * `--format json` or `--quiet` (main decides; see io.progress).
 */
import type { BuildSession } from "./build.ts";
import type { CliIo } from "./io.ts";
import { displayPath } from "./report.ts";

export const PROGRESS_DELAY_MS = 1000;
const REFRESH_MS = 200;

export interface Progress {
  /** Pass as the build's session hooks. */
  onCompile: NonNullable<BuildSession["onCompile"]>;
  /** Erases the line (if it was shown) and stops the timer. */
  stop(): void;
}

export function startProgress(io: CliIo, delayMs = io.progressDelayMs ?? PROGRESS_DELAY_MS): Progress {
  const started = performance.now();
  let total = 0;
  let done = 0;
  let last: string | undefined;
  let shown = "";
  const render = () => {
    if (performance.now() - started < delayMs) return;
    const what =
      total === 0
        ? "reading sources"
        : done === 0
          ? `loading the compiler, parsing ${total} source${total === 1 ? "" : "s"}`
          : `compiling ${done}/${total}${last ? ` (${displayPath(last, io.cwd)})` : ""}`;
    const line = `tsgrad: ${what} ${((performance.now() - started) / 1000).toFixed(1)} s`;
    const width = Math.max(20, (io.columns ?? 80) - 1);
    const fitted = line.length > width ? `${line.slice(0, width - 1)}…` : line;
    if (fitted === shown) return;
    shown = fitted;
    io.stderr(`\r\x1b[2K${fitted}`);
  };
  const timer = setInterval(render, REFRESH_MS);
  timer.unref?.();
  return {
    onCompile: (event) => {
      if (event.kind === "start") total = event.sources;
      else {
        done++;
        last = event.path;
      }
      render();
    },
    stop: () => {
      clearInterval(timer);
      if (shown) io.stderr("\r\x1b[2K");
      shown = "";
    },
  };
}
