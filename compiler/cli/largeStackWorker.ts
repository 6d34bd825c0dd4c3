/**
 * The worker thread of largeStack.ts: compiles the job it is given and posts the result,
 * or runs a whole command with its output posted back. Runs on a thread whose stack is
 * large; everything else is as on the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { CliIo } from "./io.ts";
import type { LargeStackJob, LargeStackMessage } from "./largeStack.ts";

const { job } = workerData as { job: LargeStackJob };
const post = (m: LargeStackMessage) => parentPort!.postMessage(m);
try {
  if (job.kind === "compile") {
    const [{ compileSources }, { projectStyle }] = await Promise.all([import("../pipeline.ts"), import("./style.ts")]);
    const style = projectStyle(job.style);
    const result = await compileSources(job.inputs, {
      debug: job.debug,
      ...(job.checkpointBudget !== undefined && { checkpointBudget: job.checkpointBudget }),
      style: (source) => style.style(source),
      onSource: (path, ms) => post({ kind: "source", path, ms }),
    });
    post({ kind: "done", result });
  } else {
    const io: CliIo = {
      stdout: (text) => post({ kind: "stdout", text }),
      stderr: (text) => post({ kind: "stderr", text }),
      cwd: job.cwd,
      color: job.color,
      pid: process.pid,
      progress: false,
    };
    const { command } = job;
    let code: number;
    if (command.name === "verify") code = await (await import("./verify.ts")).runVerify(command.argv, io);
    else if (command.name === "graph") code = await (await import("./graph.ts")).runGraph(command.argv, io);
    else code = await (await import("./dump.ts")).dumpAfter(command, io);
    post({ kind: "exit", code });
  }
} catch (error) {
  post({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
}
