/**
 * `tsgrad build --watch`: build once, then watch the given paths and rebuild after each
 * burst of changes (debounced). Keeps running after errors. A rebuild compiles only the
 * changed sources and the sources that import them (affected.ts); a deletion rebuilds
 * everything so orphaned outputs are removed. Stops when
 * `io.signal` aborts (tests) or the process is interrupted (Ctrl-C), and returns the exit
 * code of the last build.
 *
 * Only changes to sources matter: events on `*.grad.ts` (our own writes), temporary files,
 * `node_modules` and dot-folders are ignored, so a rebuild never triggers another.
 */
import { statSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { formatCode, Codes } from "../diagnostics.ts";
import { UsageError } from "./args.ts";
import { runBuild, type BuildOptions, type BuildReport } from "./build.ts";
import { discover, isSourcePath } from "./discover.ts";
import { affectedSources } from "./affected.ts";
import type { CliIo } from "./io.ts";
import { displayPath } from "./report.ts";

export const DEBOUNCE_MS = 100;

export async function watchBuild(
  options: BuildOptions,
  io: CliIo,
  print: (report: BuildReport) => void,
  status: (line: string) => void,
): Promise<number> {
  // The first build reports a missing path as a usage error (thrown to main).
  let last = await runBuild(options, io);
  print(last);
  if (io.signal?.aborted) return last.exitCode;

  const watchers: FSWatcher[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let queued = false;
  /** Rebuilds run one after another on this chain; at most one waits behind the running one. */
  let current: Promise<void> = Promise.resolve();
  const changed = new Set<string>();

  return new Promise<number>((resolve) => {
    const stop = () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      // Let a rebuild in progress finish its writes before returning.
      void current.then(() => resolve(last.exitCode));
    };
    io.signal?.addEventListener("abort", stop, { once: true });

    const rebuild = async () => {
      queued = false;
      if (stopped) return;
      const files = [...changed].sort();
      const names = files.map((f) => displayPath(f, io.cwd));
      changed.clear();
      // Only the changed sources and their importers, unless something was deleted.
      const affected = files.length > 0 ? affectedSources(files, discover(options.paths.length > 0 ? options.paths : ["."], io.cwd).sources) : null;
      status(`[${clock()}] ${names.length > 0 ? `${names.join(", ")} changed` : "change detected"}; rebuilding ${affected ? `${affected.length} source(s)` : "everything"}`);
      try {
        if (affected && affected.length === 0) return;
        last = await runBuild(affected ? { ...options, paths: affected } : options, io);
        print(last);
        status(`[${clock()}] ${last.exitCode === 0 ? "build ok" : "build failed"}; watching for changes`);
      } catch (error) {
        if (error instanceof UsageError) status(`error: ${error.message}`);
        else status(`error ${formatCode(Codes.InternalError)}: internal error: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const schedule = () => {
      if (queued || stopped) return;
      queued = true;
      current = current.then(rebuild).catch(() => undefined); // a failing writer must not stall the chain
    };

    const onEvent = (root: string) => (_event: string, filename: string | Buffer | null) => {
      const name = filename === null ? null : filename.toString();
      if (name !== null && !relevant(name)) return;
      if (name !== null) changed.add(path.resolve(root, name));
      if (timer) clearTimeout(timer);
      timer = setTimeout(schedule, DEBOUNCE_MS);
    };

    for (const given of options.paths.length > 0 ? options.paths : ["."]) {
      const abs = path.resolve(io.cwd, given);
      let isDir = false;
      try {
        isDir = statSync(abs).isDirectory();
      } catch {
        continue;
      }
      try {
        if (isDir) {
          watchers.push(watch(abs, { recursive: true }, onEvent(abs)));
        } else {
          // Watch the folder, not the file: editors replace files by renaming over them.
          const dir = path.dirname(abs);
          const base = path.basename(abs);
          const handler = onEvent(dir);
          watchers.push(watch(dir, (event, filename) => {
            if (filename === null || filename.toString() === base) handler(event, base);
          }));
        }
      } catch (error) {
        status(`error: cannot watch ${given}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const w of watchers) w.on("error", (error) => status(`error: watching stopped: ${error.message}`));
    status(`[${clock()}] watching for changes`);
  });
}

/** Whether a changed path (relative to a watched folder) can change the build. */
function relevant(name: string): boolean {
  const parts = name.split(/[\\/]/);
  if (parts.some((p) => p === "node_modules" || p.startsWith("."))) return false;
  const base = parts[parts.length - 1];
  if (isSourcePath(base)) return true;
  // A folder renamed or removed: no extension; it may hold sources.
  return !base.includes(".");
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
