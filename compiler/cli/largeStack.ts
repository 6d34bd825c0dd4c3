/**
 * Compiling a file too deep for the main thread's stack. TypeScript's parser, tsgrad's
 * tree walks, its printer and prettier recurse once per nesting level of an expression
 * (and a sum `a + b + …` nests once per term), and Node's main thread has about 1 MB of
 * stack: some 1,000 levels. When a compile reports TSG1006 (the stack ran out), the build
 * compiles the same sources again in a worker thread with a stack of STACK_MB, and takes
 * its result; what still does not fit keeps its TSG1006, which points at the expression.
 *
 * Only then: a worker loads the compiler again (a second or two), and most builds never
 * need it. The worker gets what crosses threads (texts, debug, the checkpoint budget, the style choices) and
 * rebuilds the project's style itself; compile progress comes back as messages.
 *
 * `tsgrad verify`, `graph` and `build --dump-after` do more than compile on the main
 * thread (verify lowers and runs the functions, graph lowers, evaluates and lays out), so
 * when one of them runs out of stack the whole command runs again in such a worker, its
 * output passed through to the terminal (runCommandWithLargeStack); in the worker, a
 * TSG1006 says which stack was tried.
 */
import { isMainThread, Worker } from "node:worker_threads";
import { Codes, type Diagnostic } from "../diagnostics.ts";
import { withStackTried } from "../frontend/tooLarge.ts";
import type { CompileResult, SourceInput } from "../pipeline.ts";
import type { CliIo } from "./io.ts";
import type { StyleChoices } from "./style.ts";

/** The worker's stack, in megabytes: nesting some 20,000 levels deep. Reserved, not used, until a compile goes that deep. */
export const STACK_MB = 1024;

/** The stack the worker gets: `TSGRAD_STACK_MB` (a positive number of megabytes) if set, else STACK_MB. */
export function largeStackMb(env: NodeJS.ProcessEnv = process.env): number {
  const asked = Number(env["TSGRAD_STACK_MB"]);
  return Number.isFinite(asked) && asked >= 1 ? Math.floor(asked) : STACK_MB;
}

/** What the worker does: compile (for a build) or run a whole command. */
export type LargeStackJob =
  | { kind: "compile"; inputs: SourceInput[]; debug: boolean; style: StyleChoices; checkpointBudget?: number }
  | { kind: "command"; command: LargeStackCommand; cwd: string; color: boolean };

/** The commands that run again whole in the worker. */
export type LargeStackCommand = { name: "verify"; argv: readonly string[] } | { name: "graph"; argv: readonly string[] } | { name: "dump"; paths: readonly string[]; debug: boolean; stage: string; checkpointBudget?: number };

/** Messages from the worker. */
export type LargeStackMessage =
  | { kind: "source"; path: string; ms: number }
  | { kind: "done"; result: CompileResult }
  | { kind: "stdout" | "stderr"; text: string }
  | { kind: "exit"; code: number }
  | { kind: "failed"; message: string };

/** True if the compile ran out of stack somewhere: worth compiling again with a larger one. */
export function ranOutOfStack(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.code === Codes.TooLarge);
}

/**
 * Compiles `job` in a worker thread with a STACK_MB stack. Null if the worker could not
 * start or died (out of memory, say): the caller keeps the result it had.
 */
export function compileWithLargeStack(job: Extract<LargeStackJob, { kind: "compile" }>, onSource: (path: string, ms: number) => void, stackMb = largeStackMb()): Promise<CompileResult | null> {
  return inWorker<CompileResult>(job, stackMb, (m) => {
    if (m.kind === "source") onSource(m.path, m.ms);
    return m.kind === "done" ? { result: m.result } : undefined;
  });
}

/** True where running out of stack is worth a try in the worker: on the main thread (in the worker, the large stack is what ran out). */
export function mayRetryWithLargeStack(): boolean {
  return isMainThread;
}

/**
 * Runs `command` again in a worker with a large stack, its output written to `io` as it
 * comes; its exit code, or null if the worker could not start or died (the caller then
 * reports what it has).
 */
export function runCommandWithLargeStack(command: LargeStackCommand, io: CliIo, stackMb = largeStackMb()): Promise<number | null> {
  return inWorker<number>({ kind: "command", command, cwd: io.cwd, color: io.color }, stackMb, (m) => {
    if (m.kind === "stdout") io.stdout(m.text);
    else if (m.kind === "stderr") io.stderr(m.text);
    return m.kind === "exit" ? { result: m.code } : undefined;
  });
}

/** In the worker: a TSG1006 (the large stack ran out too) says which stack was tried and how to ask for more. */
export function withLargeStackTried(diagnostics: Diagnostic[]): Diagnostic[] {
  return isMainThread ? diagnostics : diagnostics.map((d) => (d.code === Codes.TooLarge ? withStackTried(d, largeStackMb()) : d));
}

/** Starts the worker on `job`; `handle` sees every message and returns the result when one is final. */
function inWorker<T>(job: LargeStackJob, stackMb: number, handle: (m: LargeStackMessage) => { result: T } | undefined): Promise<T | null> {
  const ownUrl = import.meta.url;
  // From the TypeScript sources (a clone, the tests) the worker needs tsx as well; from dist/, plain Node.
  const entry = new URL(`./largeStackWorker${ownUrl.endsWith(".ts") ? ".ts" : ".js"}`, ownUrl).href;
  const tsx = ownUrl.endsWith(".ts") ? import.meta.resolve("tsx/esm/api") : null;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: T | null) => {
      if (settled) return;
      settled = true;
      resolve(result);
      void worker.terminate();
    };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsx, job }, resourceLimits: { stackSizeMb: stackMb }, stdout: false, stderr: false });
    worker.on("message", (m: LargeStackMessage) => {
      if (m.kind === "failed") settle(null);
      else {
        const final = handle(m);
        if (final) settle(final.result);
      }
    });
    worker.on("error", () => settle(null));
    worker.on("exit", () => settle(null));
  });
}

/** The worker's first code (a script: it may need to register tsx before importing TypeScript). */
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})();
`;
