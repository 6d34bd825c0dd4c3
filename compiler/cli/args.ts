/**
 * Command-line parsing. Takes argv (without `node` and the script), gives a `Command`
 * or throws `UsageError` with a one-line message; `main` turns that into exit code 2.
 */

import { parseSize } from "../frontend/checkpointTag.ts";

export type OutputFormat = "text" | "json";

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "init" }
  | {
      kind: "build";
      paths: string[];
      check: boolean;
      watch: boolean;
      debug: boolean;
      format: OutputFormat;
      /** false with --no-cache. */
      cache: boolean;
      verbosity: Verbosity;
      /** --dump-after=<stage>: print the IR after that stage of the pipeline and write nothing (see dump.ts). */
      dumpAfter?: string;
      /** --checkpoint-budget SIZE: the automatic checkpointing policy's budget in bytes (README, "checkpointing"). */
      checkpointBudget?: number;
    }
  /** Subcommands that parse their own options (cli/graph.ts, cli/verify.ts). */
  | { kind: "graph" | "verify"; args: string[] };

/** --quiet: only problems; --verbose: also per-file timings and the cache's whereabouts. */
export type Verbosity = "quiet" | "normal" | "verbose";

export class UsageError extends Error {}

const FORMATS: readonly OutputFormat[] = ["text", "json"];

export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) throw new UsageError("missing command");
  const [first, ...rest] = argv;
  if (first === "--help" || first === "-h" || first === "help") return { kind: "help" };
  if (first === "--version" || first === "-v") return { kind: "version" };
  if (first.startsWith("-")) throw new UsageError(`unknown option '${first}'`);
  if (first === "graph" || first === "verify") return { kind: first, args: rest };
  if (first === "init") return parseInit(rest);
  if (first !== "build") throw new UsageError(`unknown command '${first}'`);
  return parseBuild(rest);
}

function parseBuild(args: readonly string[]): Command {
  const paths: string[] = [];
  let check = false;
  let watch = false;
  let debug = false;
  let format: OutputFormat = "text";
  let cache = true;
  let verbosity: Verbosity = "normal";
  let dumpAfter: string | undefined;
  let checkpointBudget: number | undefined;
  let onlyPaths = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (onlyPaths || !arg.startsWith("-") || arg === "-") {
      paths.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPaths = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    switch (name) {
      case "--help":
      case "-h":
        return { kind: "help" };
      case "--check":
      case "--watch":
      case "--debug":
      case "--no-cache":
      case "--quiet":
      case "-q":
      case "--verbose":
        if (inline !== undefined) throw new UsageError(`option '${name}' takes no value`);
        if (name === "--check") check = true;
        else if (name === "--debug") debug = true;
        else if (name === "--no-cache") cache = false;
        else if (name === "--quiet" || name === "-q") {
          if (verbosity === "verbose") throw new UsageError("'--quiet' and '--verbose' cannot be used together");
          verbosity = "quiet";
        } else if (name === "--verbose") {
          if (verbosity === "quiet") throw new UsageError("'--quiet' and '--verbose' cannot be used together");
          verbosity = "verbose";
        } else watch = true;
        break;
      case "--format": {
        const value = inline ?? args[++i];
        if (value === undefined) throw new UsageError(`option '--format' needs a value: text or json`);
        if (!(FORMATS as readonly string[]).includes(value)) {
          throw new UsageError(`unknown format '${value}' for '--format': use text or json`);
        }
        format = value as OutputFormat;
        break;
      }
      case "--dump-after": {
        // Which stages exist is the pipeline's to say (cli/dump.ts checks), not loaded here.
        const value = inline ?? args[++i];
        if (value === undefined || value === "") throw new UsageError(`option '--dump-after' needs a stage (such as normalize or reverse)`);
        dumpAfter = value;
        break;
      }
      case "--checkpoint-budget": {
        const value = inline ?? args[++i];
        const bytes = value === undefined ? null : parseSize(value);
        if (bytes === null) throw new UsageError(`option '--checkpoint-budget' needs a size such as 256MB, 1GB or a number of bytes`);
        checkpointBudget = bytes;
        break;
      }
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (check && watch) throw new UsageError("'--check' and '--watch' cannot be used together");
  if (dumpAfter !== undefined && (check || watch || format === "json")) {
    throw new UsageError(`'--dump-after' prints text and writes nothing: it cannot be used with '${check ? "--check" : watch ? "--watch" : "--format json"}'`);
  }
  return { kind: "build", paths, check, watch, debug, format, cache, verbosity, ...(dumpAfter !== undefined && { dumpAfter }), ...(checkpointBudget !== undefined && { checkpointBudget }) };
}

function parseInit(args: readonly string[]): Command {
  for (const arg of args) {
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    throw new UsageError(arg.startsWith("-") ? `unknown option '${arg}' for 'init'` : `'init' takes no paths (it sets up the project in the current folder)`);
  }
  return { kind: "init" };
}
