/**
 * Compiling a file too deep for the main thread's stack. TypeScript's parser, tsgrad's
 * tree walks, its printer and prettier recurse once per nesting level of an expression
 * (and a sum `a + b + …` nests once per term), and Node's main thread has about 1 MB of
 * stack: some 1,000 levels. When a compile reports TSG1006 (the stack ran out), the build
 * compiles the same sources again in a worker thread with a stack of STACK_MB, and takes
 * its result; what still does not fit keeps its TSG1006, which points at the expression.
 *
 * Only then: a worker loads the compiler again (a second or two), and most builds never
 * need it. The worker gets what crosses threads (texts, debug, the style choices) and
 * rebuilds the project's style itself; compile progress comes back as messages.
 */
import { Worker } from "node:worker_threads";
import { Codes, type Diagnostic } from "../diagnostics.ts";
import type { CompileResult, SourceInput } from "../pipeline.ts";
import type { StyleChoices } from "./style.ts";

/** The worker's stack, in megabytes: nesting some 20,000 levels deep. Reserved, not used, until a compile goes that deep. */
export const STACK_MB = 1024;

/** The stack the worker gets: `TSGRAD_STACK_MB` (a positive number of megabytes) if set, else STACK_MB. */
export function largeStackMb(env: NodeJS.ProcessEnv = process.env): number {
  const asked = Number(env["TSGRAD_STACK_MB"]);
  return Number.isFinite(asked) && asked >= 1 ? Math.floor(asked) : STACK_MB;
}

export interface LargeStackJob {
  inputs: SourceInput[];
  debug: boolean;
  style: StyleChoices;
}

/** Messages from the worker. */
export type LargeStackMessage = { kind: "source"; path: string; ms: number } | { kind: "done"; result: CompileResult } | { kind: "failed"; message: string };

/** True if the compile ran out of stack somewhere: worth compiling again with a larger one. */
export function ranOutOfStack(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.code === Codes.TooLarge);
}

/**
 * Compiles `job` in a worker thread with a STACK_MB stack. Null if the worker could not
 * start or died (out of memory, say): the caller keeps the result it had.
 */
export function compileWithLargeStack(job: LargeStackJob, onSource: (path: string, ms: number) => void, stackMb = largeStackMb()): Promise<CompileResult | null> {
  const ownUrl = import.meta.url;
  // From the TypeScript sources (a clone, the tests) the worker needs tsx as well; from dist/, plain Node.
  const entry = new URL(`./largeStackWorker${ownUrl.endsWith(".ts") ? ".ts" : ".js"}`, ownUrl).href;
  const tsx = ownUrl.endsWith(".ts") ? import.meta.resolve("tsx/esm/api") : null;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: CompileResult | null) => {
      if (settled) return;
      settled = true;
      resolve(result);
      void worker.terminate();
    };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsx, job }, resourceLimits: { stackSizeMb: stackMb }, stdout: false, stderr: false });
    worker.on("message", (m: LargeStackMessage) => {
      if (m.kind === "source") onSource(m.path, m.ms);
      else settle(m.kind === "done" ? m.result : null);
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
