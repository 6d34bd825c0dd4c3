/**
 * The worker thread of largeStack.ts: compiles the job it is given and posts the result.
 * Runs on a thread whose stack is large; everything else is as in a build.
 */
import { parentPort, workerData } from "node:worker_threads";
import { compileSources } from "../pipeline.ts";
import type { LargeStackJob, LargeStackMessage } from "./largeStack.ts";
import { projectStyle } from "./style.ts";

const { job } = workerData as { job: LargeStackJob };
const post = (m: LargeStackMessage) => parentPort!.postMessage(m);
try {
  const style = projectStyle(job.style);
  const result = await compileSources(job.inputs, {
    debug: job.debug,
    style: (source) => style.style(source),
    onSource: (path, ms) => post({ kind: "source", path, ms }),
  });
  post({ kind: "done", result });
} catch (error) {
  post({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
}
