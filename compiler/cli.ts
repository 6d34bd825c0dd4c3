/**
 * The `tsgrad` command. `main(argv, io)` parses the arguments, runs the command and
 * returns the exit code: 0 ok, 1 diagnostics or (with --check) out-of-date files,
 * 2 bad usage. It never throws and never prints a stack trace: an unexpected fault is
 * reported as `error TSG9001: internal error: …` with exit code 1.
 *
 * One file per concern under cli/: args (parsing), discover (which files), read (UTF-8),
 * plan (what would change), write (atomic writes), build (one run), report (text/json),
 * frame (diagnostic text), watch (--watch), dump (--dump-after), help, io (injectable streams).
 */
import { Codes, formatCode } from "./diagnostics.ts";
import { parseArgs, UsageError, type Command } from "./cli/args.ts";
import { HELP, version } from "./cli/help.ts";
import { withDefaults, type CliIo } from "./cli/io.ts";
import { startProgress } from "./cli/progress.ts";
import { printFailureJson, printJson, printText } from "./cli/report.ts";

export type { CliIo } from "./cli/io.ts";
export { formatDiagnostic, codeFrame } from "./cli/frame.ts";

export async function main(argv: string[], partialIo: Partial<CliIo> = {}): Promise<number> {
  let io: CliIo;
  try {
    io = withDefaults(partialIo);
  } catch (error) {
    process.stderr.write(internalError(error));
    return 1;
  }
  // Asked for JSON: then stdout gets a document whatever happens (also a usage error or a fault).
  const json = argv.some((a, k) => a === "--format=json" || (a === "--format" && argv[k + 1] === "json"));
  try {
    return await run(parseArgs(argv), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\nRun 'tsgrad --help' for usage.\n`);
      if (json) printFailureJson("usage", error.message, 2, io);
      return 2;
    }
    try {
      io.stderr(internalError(error));
      if (json) printFailureJson(formatCode(Codes.InternalError), internalError(error).replace(/^error TSG\d+: /, "").trim(), 1, io);
    } catch {
      // the output streams themselves failed; the exit code still says so
    }
    return 1;
  }
}

async function run(command: Command, io: CliIo): Promise<number> {
  switch (command.kind) {
    case "help":
      io.stdout(HELP);
      return 0;
    case "version":
      io.stdout(`${version()}\n`);
      return 0;
    case "init": {
      const { runInit } = await import("./cli/init.ts");
      return runInit(io);
    }
    case "build": {
      if (command.dumpAfter !== undefined) {
        const { dumpAfter } = await import("./cli/dump.ts");
        return dumpAfter({ paths: command.paths, debug: command.debug, stage: command.dumpAfter, ...(command.checkpointBudget !== undefined && { checkpointBudget: command.checkpointBudget }) }, io);
      }
      // Loaded only here: the compiler (ts-morph, prettier) takes most of a second to load,
      // and --version and --help need none of it.
      const [{ runBuild }, { watchBuild }] = await Promise.all([import("./cli/build.ts"), import("./cli/watch.ts")]);
      const options = { paths: command.paths, check: command.check, debug: command.debug, cache: command.cache, stages: command.verbosity === "verbose", ...(command.checkpointBudget !== undefined && { checkpointBudget: command.checkpointBudget }) };
      const json = command.format === "json";
      const showProgress = io.progress && !json && command.verbosity !== "quiet";
      if (command.watch) {
        return watchBuild(
          options,
          io,
          (report) => (json ? printJson(report, io, true) : printText(report, io, command.verbosity)),
          (line) => (json ? io.stderr : io.stdout)(`${line}\n`),
          { progress: showProgress, quiet: command.verbosity === "quiet" },
        );
      }
      const progress = showProgress ? startProgress(io) : undefined;
      let report;
      try {
        report = await runBuild(options, io, { onCompile: progress?.onCompile });
      } finally {
        progress?.stop();
      }
      if (json) printJson(report, io);
      else printText(report, io, command.verbosity);
      return report.exitCode;
    }
    case "graph": {
      const { runGraph } = await import("./cli/graph.ts");
      return runGraph(command.args, io);
    }
    case "verify": {
      const { runVerify } = await import("./cli/verify.ts");
      return runVerify(command.args, io);
    }
    default:
      return assertNever(command);
  }
}

function internalError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `error ${formatCode(Codes.InternalError)}: internal error: ${message.split("\n")[0]}\n`;
}

function assertNever(x: never): never {
  throw new Error(`unexpected command ${JSON.stringify(x)}`);
}
