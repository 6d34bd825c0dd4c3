/**
 * `tsgrad build --watch`: build once, then rebuild after each burst of changes (debounced
 * by DEBOUNCE_MS of quiet). Keeps running after errors. Stops when `io.signal` aborts
 * (tests), on SIGINT/SIGTERM/SIGHUP (letting a rebuild in progress finish its writes), or
 * when the process that started it exits (see PARENT_POLL_MS), and returns the exit code
 * of the last build.
 *
 * Every rebuild is a whole build through the build cache (cache.ts), so only sources whose
 * content or imports changed are compiled, and deletions, renames and new files are seen
 * the same way a fresh `tsgrad build` would see them: nothing depends on which events
 * arrived or in what order, only on the files on disk when the rebuild runs.
 *
 * What is watched: every folder under the given folders (skipping node_modules and
 * dot-folders), the folder of each given file, and the folder of every file a build
 * read (imported helpers outside the given paths). Folders, not files: editors that save
 * by writing a temporary file and renaming it over the source replace the file's inode,
 * and a watch on the old inode goes silent (Node's recursive watch on Linux watches
 * files, which is why the first such save used to be the last one seen). The set of
 * watched folders is brought up to date before and after every rebuild, so new, deleted
 * and re-created folders are followed. A given path that does not exist (deleted) is
 * waited for by watching its nearest existing parent.
 *
 * Only events on sources (`*.ts`, not `*.grad.ts` or `*.d.ts`) and on names without an
 * extension (folders) start a rebuild, so the build's own writes never trigger another.
 */
import { existsSync, readdirSync, readFileSync, statSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { formatCode, Codes } from "../diagnostics.ts";
import { UsageError } from "./args.ts";
import { openCache, runBuild, type BuildOptions, type BuildReport } from "./build.ts";
import { isSourcePath } from "./discover.ts";
import type { CliIo } from "./io.ts";
import { startProgress } from "./progress.ts";
import { displayPath } from "./report.ts";

export const DEBOUNCE_MS = 100;
/** How often the ancestor processes are checked: a watcher started by `npx` stops when npx is killed. */
export const PARENT_POLL_MS = 500;

export interface WatchOptions {
  /** Draw a progress line during long rebuilds. */
  progress?: boolean;
  /** Print only problems: no "watching" status lines for clean rebuilds. */
  quiet?: boolean;
  /** Stop when a process that started this one exits (default true); see ancestors(). */
  exitWithParent?: boolean;
  /** Stop on SIGINT/SIGTERM/SIGHUP (default true; tests driving main() in-process turn it off). */
  handleSignals?: boolean;
}

export async function watchBuild(
  options: BuildOptions,
  io: CliIo,
  print: (report: BuildReport) => void,
  status: (line: string) => void,
  watchOptions: WatchOptions = {},
): Promise<number> {
  // Who started us, taken before the (possibly long) first build.
  const chain = ancestors().join(" ");
  // One cache for the whole session: unchanged sources are never compiled twice.
  const { cache } = openCache(options, io.cwd);
  const build = async () => {
    const progress = watchOptions.progress ? startProgress(io) : undefined;
    try {
      return await runBuild(options, io, { cache, onCompile: progress?.onCompile });
    } finally {
      progress?.stop();
    }
  };
  const say = (line: string, always = false) => {
    if (always || !watchOptions.quiet) status(`[${clock()}] ${line}`);
  };
  const roots = (options.paths.length > 0 ? options.paths : ["."]).map((p) => path.resolve(io.cwd, p));
  const changed = new Set<string>();
  /** What a relevant event does: until the loop below runs, remember that one came. */
  let onChange = () => void (changedDuringFirstBuild = true);
  let changedDuringFirstBuild = false;
  const folders = new FolderWatches(roots, (file) => {
    if (file !== null) changed.add(file);
    onChange();
  });
  let last: BuildReport | undefined;

  // Watch before the first build, so that a save made while it runs is not lost.
  folders.sync([]);
  try {
    // The first build reports a missing path as a usage error (thrown to main).
    last = await build();
  } catch (error) {
    folders.close();
    throw error;
  }
  const first = last;
  print(first);
  if (io.signal?.aborted) {
    folders.close();
    return first.exitCode;
  }

  return new Promise<number>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let queued = false;
    /** Rebuilds run one after another on this chain; at most one waits behind the running one. */
    let current: Promise<void> = Promise.resolve();
    const cleanups: (() => void)[] = [];
    const stop = (why?: string) => {
      if (stopped) return;
      stopped = true;
      if (why) say(why, true);
      if (timer) clearTimeout(timer);
      folders.close();
      for (const c of cleanups) c();
      // Let a rebuild in progress finish its writes before returning.
      void current.then(() => resolve((last ?? first).exitCode));
    };
    cleanups.push(...stopTriggers(io, watchOptions, chain, stop));

    const rebuild = async () => {
      queued = false;
      if (stopped) return;
      const names = [...changed].sort().map((f) => displayPath(f, io.cwd));
      changed.clear();
      folders.sync(last?.files ?? []);
      say(`${names.length > 0 ? `${names.join(", ")} changed` : "change detected"}; rebuilding`);
      try {
        last = await build();
        print(last);
        say(`${last.exitCode === 0 ? "build ok" : "build failed"}; watching for changes`, last.exitCode !== 0);
      } catch (error) {
        if (error instanceof UsageError) say(`error: ${error.message}; watching for changes`, true);
        else say(`error ${formatCode(Codes.InternalError)}: internal error: ${error instanceof Error ? error.message : String(error)}`, true);
      }
      folders.sync(last?.files ?? []);
    };
    const schedule = () => {
      if (queued || stopped) return;
      queued = true;
      current = current.then(rebuild).catch(() => undefined); // a failing writer must not stall the chain
    };
    onChange = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(schedule, DEBOUNCE_MS);
    };
    folders.sync(last?.files ?? []);
    if (!stopped) say("watching for changes");
    if (changedDuringFirstBuild) onChange();
  });
}

/**
 * What ends a watch besides the caller's abort signal: SIGINT/SIGTERM/SIGHUP, and the exit
 * of a process that started this one. Returns how to undo each.
 */
function stopTriggers(io: CliIo, watchOptions: WatchOptions, chain: string, stop: (why?: string) => void): (() => void)[] {
  const cleanups: (() => void)[] = [];
  if (io.signal) {
    const onAbort = () => stop();
    io.signal.addEventListener("abort", onAbort, { once: true });
    cleanups.push(() => io.signal?.removeEventListener("abort", onAbort));
  }
  if (watchOptions.handleSignals ?? true) {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const onSignal = () => stop(`${sig}; stopping`);
      process.on(sig, onSignal);
      cleanups.push(() => process.off(sig, onSignal));
    }
  }
  if (watchOptions.exitWithParent ?? true) {
    if (ancestors().join(" ") !== chain) stop("the process that started tsgrad exited; stopping");
    // When an ancestor dies, its child is re-parented (to init or a subreaper) and the
    // chain changes. The whole chain, not just our parent: `npx` runs us through
    // `sh -c`, and killing npx leaves that shell alive as our parent.
    const poll = setInterval(() => {
      if (ancestors().join(" ") !== chain) stop("the process that started tsgrad exited; stopping");
    }, PARENT_POLL_MS);
    poll.unref?.();
    cleanups.push(() => clearInterval(poll));
  }
  return cleanups;
}

/**
 * The folder watches of a session (see the module comment): `sync` makes them exactly the
 * folders that matter now; each relevant event calls `onEvent` with the changed file's
 * path, or null when a folder's watch failed (it went away: look again).
 */
class FolderWatches {
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;

  constructor(
    private readonly roots: readonly string[],
    private readonly onEvent: (file: string | null) => void,
  ) {}

  /** Every folder under the given folders, the folder of each given file, and the folders of the files the last build read. */
  sync(filesRead: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set<string>();
    for (const root of this.roots) {
      let stat;
      try {
        stat = statSync(root);
      } catch {
        const waitIn = nearestExisting(root);
        if (waitIn) wanted.add(waitIn);
        continue;
      }
      if (stat.isDirectory()) foldersUnder(root, wanted);
      else wanted.add(path.dirname(root));
    }
    for (const file of filesRead) wanted.add(path.dirname(file));
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) if (!this.watchers.has(dir)) this.watch(dir);
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private watch(dir: string): void {
    try {
      const w = watch(dir, (_event, filename) => {
        if (this.closed) return;
        const name = filename === null ? null : filename.toString();
        if (name !== null && !relevant(name)) return;
        this.onEvent(name === null ? null : path.join(dir, name));
      });
      w.on("error", () => {
        // The folder went away (or became unreadable): forget it and look again.
        w.close();
        if (this.watchers.get(dir) === w) this.watchers.delete(dir);
        if (!this.closed) this.onEvent(null);
      });
      this.watchers.set(dir, w);
    } catch {
      // Gone between the walk and the watch: the next sync finds out.
    }
  }
}

/** Whether a changed name (in a watched folder) can change the build: a source, or a folder. */
function relevant(name: string): boolean {
  const parts = name.split(/[\\/]/);
  if (parts.some((p) => p === "node_modules" || p.startsWith("."))) return false;
  const base = parts[parts.length - 1];
  if (isSourcePath(base)) return true;
  // A folder created, renamed or removed: no extension; it may hold sources.
  return !base.includes(".");
}

/** `dir` and every folder under it, skipping node_modules and dot-folders (as the build does). */
function foldersUnder(dir: string, into: Set<string>): void {
  into.add(dir);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory() && e.name !== "node_modules" && !e.name.startsWith(".")) foldersUnder(path.join(dir, e.name), into);
  }
}

function nearestExisting(file: string): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (existsSync(dir)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The process ids above this one, parent first, up to (not including) init: read from
 * /proc where there is one (Linux), else just the parent.
 */
export function ancestors(): number[] {
  const chain = [process.ppid];
  for (let pid = process.ppid; pid > 1 && chain.length < 64; ) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      break; // no /proc, or the process is gone (then the next look differs anyway)
    }
    // "pid (command) state ppid …"; the command may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isInteger(ppid) || ppid <= 1) break;
    chain.push(ppid);
    pid = ppid;
  }
  return chain;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
