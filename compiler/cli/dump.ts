/**
 * `tsgrad build --dump-after=<stage> [paths…]`: compiles the sources as a build would (the
 * config's `include` and `checkpointBudget` too) and prints, on stdout, the IR after that
 * stage of the pipeline (as TypeScript, one block per annotation or shared derivative that
 * ran the stage; the stages are compiler/pipeline.ts's STAGES). Writes nothing and uses no cache; diagnostics go to stderr as in a build, and
 * the exit code is 1 if there were any. A source nested too deep for the main thread's
 * stack (TSG1006) runs the whole command again in a worker with a large one (largeStack.ts).
 */
import path from "node:path";
import { compileSources, STAGES } from "../pipeline.ts";
import { UsageError } from "./args.ts";
import { buildSettings } from "./config.ts";
import { discover } from "./discover.ts";
import { formatDiagnostic, formatSummary } from "./frame.ts";
import type { CliIo } from "./io.ts";
import { mayRetryWithLargeStack, ranOutOfStack, runCommandWithLargeStack, withLargeStackTried } from "./largeStack.ts";
import { readSources } from "./read.ts";
import { displayPath } from "./report.ts";

/**
 * `checkpointBudget`: --checkpoint-budget, else the config's `checkpointBudget`, as in a
 * build (the automatic checkpointing policy shows in the checkpoints stage and after); no
 * paths: the config's `include`, as in a build.
 */
export async function dumpAfter(options: { paths: readonly string[]; debug: boolean; stage: string; checkpointBudget?: number }, io: CliIo): Promise<0 | 1> {
  if (!STAGES.includes(options.stage)) throw new UsageError(`option '--dump-after' has no stage '${options.stage}': use one of ${STAGES.join(", ")}`);
  const settings = buildSettings(options.paths, io.cwd);
  const found = discover(settings.paths, io.cwd);
  const read = readSources(found.sources);
  const checkpointBudget = options.checkpointBudget ?? settings.config?.checkpointBudget;
  const budget = checkpointBudget !== undefined ? { checkpointBudget } : {};
  const compiled = await compileSources(read.inputs, { debug: options.debug, dumpAfter: options.stage, ...budget });
  if (ranOutOfStack(compiled.diagnostics) && mayRetryWithLargeStack()) {
    const code = await runCommandWithLargeStack({ name: "dump", paths: options.paths, debug: options.debug, stage: options.stage, ...budget }, io);
    if (code !== null) return code as 0 | 1;
  }
  const dumps = compiled.dumps ?? [];
  for (const text of dumps) io.stdout(`${text}\n`);
  if (dumps.length === 0) io.stdout(`// no function ran the stage '${options.stage}'\n`);
  const texts = new Map(read.inputs.map((i) => [i.path, i.text] as const));
  const diagnostics = [...read.diagnostics, ...withLargeStackTried(compiled.diagnostics).map((d) => ({ ...d, file: path.resolve(io.cwd, d.file) }))];
  for (const d of diagnostics) io.stderr(formatDiagnostic(d, { displayPath: displayPath(d.file, io.cwd), text: texts.get(d.file), color: io.color }));
  if (diagnostics.length > 0) io.stderr(formatSummary(diagnostics.length, new Set(diagnostics.map((d) => d.file)).size));
  return diagnostics.length > 0 ? 1 : 0;
}
