/**
 * `tsgrad verify [paths…] [--points N] [--seed S] [--tolerance T] [--format text|json]`
 *
 * Checks what `tsgrad build` generated for a project numerically (compiler/verify): every
 * annotated function at seeded random points against central differences, forward
 * against reverse mode, HVPs against differences of the gradient, and every `@vjpOf` rule
 * against its primal. Prints the worst relative error per function and mode; exits 1 on
 * a mismatch, an error, or generated files that are not up to date (it checks what is on
 * disk, the code the project runs), 2 on bad usage.
 */
import { pathToFileURL } from "node:url";
import { compileSources, outputPathFor } from "../pipeline.ts";
import { buildSettings } from "./config.ts";
import { findTargets, verify, type VerifyRow } from "../verify/index.ts";
import { sortDiagnostics } from "./build.ts";
import { UsageError, type OutputFormat } from "./args.ts";
import { discover } from "./discover.ts";
import { formatDiagnostic, formatSummary } from "./frame.ts";
import type { CliIo } from "./io.ts";
import { planOutputs } from "./plan.ts";
import { mayRetryWithLargeStack, ranOutOfStack, runCommandWithLargeStack, withLargeStackTried } from "./largeStack.ts";
import { readSources } from "./read.ts";
import { displayPath } from "./report.ts";

export const VERIFY_HELP = `Usage: tsgrad verify [paths...] [--points N] [--seed S] [--tolerance T] [--format text|json]

Checks every annotated function of the given files and folders (default: the current
folder) at N seeded random points (default 3, seed 1): each generated derivative
against central differences (steps chosen per entry), @jvp against @vjp/@grad by the
dot-product test, @hvp and @hessian against differences of the gradient, and every
@vjpOf rule against its primal. Prints the worst relative error per function and mode.

Arguments come from an exported <name>Inputs(random) (called per point with a seeded
random() in [0, 1)) or <name>Inputs() (perturbed per point); without one, shapes are
inferred from the types (numbers in [0.1, 1], or 3 for an index or a size; arrays
of 4 per dimension; objects of exported classes as instances).

Options:
  --points <N>      Points per function (default 3).
  --seed <S>        Seed of the random points (default 1).
  --tolerance <T>   Largest relative error accepted (default 1e-6).
  --format <fmt>    text (default) or json.
  -h, --help        Show this help.

Exit codes: 0 every check passed, 1 a mismatch, an error or stale generated files,
2 bad usage.
`;

interface VerifyCommand {
  paths: string[];
  points: number;
  seed: number;
  tolerance: number;
  format: OutputFormat;
}

function parseVerifyArgs(args: readonly string[]): VerifyCommand | "help" {
  const command: VerifyCommand = { paths: [], points: 3, seed: 1, tolerance: 1e-6, format: "text" };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    if (!arg.startsWith("-") || arg === "-") {
      command.paths.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const value = () => {
      const v = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (v === undefined || v === "") throw new UsageError(`option '${name}' needs a value`);
      return v;
    };
    const number = (v: string, test: (x: number) => boolean, what: string) => {
      const x = Number(v);
      if (!Number.isFinite(x) || !test(x)) throw new UsageError(`'${name}' takes ${what}, got '${v}'`);
      return x;
    };
    switch (name) {
      case "--points":
        command.points = number(value(), (x) => Number.isInteger(x) && x >= 1 && x <= 1000, "a whole number from 1 to 1000");
        break;
      case "--seed":
        command.seed = number(value(), (x) => Number.isInteger(x) && x >= 0, "a whole number ≥ 0");
        break;
      case "--tolerance":
        command.tolerance = number(value(), (x) => x > 0 && x < 1, "a number between 0 and 1");
        break;
      case "--format": {
        const v = value();
        if (v !== "text" && v !== "json") throw new UsageError(`unknown format '${v}' for '--format': use text or json`);
        command.format = v;
        break;
      }
      default:
        throw new UsageError(`unknown option '${arg}' for 'tsgrad verify'`);
    }
  }
  return command;
}

export async function runVerify(argv: readonly string[], io: CliIo): Promise<number> {
  const command = parseVerifyArgs(argv);
  if (command === "help") {
    io.stdout(VERIFY_HELP);
    return 0;
  }
  const show = (file: string) => displayPath(file, io.cwd);
  // What `tsgrad build` would compile, written as it would write it (config.ts, style.ts).
  const settings = buildSettings(command.paths, io.cwd);
  const found = discover(settings.paths, io.cwd);
  const read = readSources(found.sources);
  const texts = new Map(read.inputs.map((i) => [i.path, i.text] as const));
  // Numbers of stale generated code would mean nothing: the build must be clean and current.
  const compiled = await compileSources(read.inputs, { style: settings.style.style });
  // Too deep for this thread's stack (TSG1006): the whole command again with a large one.
  if (ranOutOfStack(compiled.diagnostics) && mayRetryWithLargeStack()) {
    const code = await runCommandWithLargeStack({ name: "verify", argv }, io);
    if (code !== null) return code;
  }
  const diagnostics = sortDiagnostics([...read.diagnostics, ...withLargeStackTried(compiled.diagnostics)]);
  const named = new Set(found.sources.filter((s) => !read.context.has(s)));
  const plan = planOutputs({ outputs: compiled.files.filter((f) => named.has(f.source)), built: found.sources, generatedInWalkedFolders: [], removalsAllowed: false });
  const stale = plan.writes.map((w) => `${w.reason}: ${show(w.path)}`);
  if (diagnostics.length > 0 || stale.length > 0) {
    for (const d of diagnostics) io.stderr(formatDiagnostic(d, { displayPath: show(d.file), text: texts.get(d.file), color: io.color }));
    if (diagnostics.length > 0) io.stderr(formatSummary(diagnostics.length, new Set(diagnostics.map((d) => d.file)).size));
    for (const line of stale) io.stderr(`${line}\n`);
    if (stale.length > 0) io.stderr(`Generated files are not up to date: run 'tsgrad build' first.\n`);
    if (command.format === "json") io.stdout(`${JSON.stringify({ ok: false, rows: [], stale, diagnostics: diagnostics.length, exitCode: 1 }, null, 2)}\n`);
    return 1;
  }
  const { targets } = findTargets(read.inputs, named);
  const load = (file: string) => importTypeScript(file);
  const rows = await verify(targets, { source: load, generated: (file) => load(outputPathFor(file)) }, command);
  const failed = rows.filter((r) => r.status !== "ok");
  const exitCode = failed.length > 0 ? 1 : 0;
  if (command.format === "json") {
    const json = rows.map((r) => ({ file: show(r.file), line: r.line, function: r.function, mode: r.mode, points: r.points, worstRelError: r.worst, status: r.status, note: r.note }));
    io.stdout(`${JSON.stringify({ ok: exitCode === 0, tolerance: command.tolerance, seed: command.seed, points: command.points, rows: json, exitCode }, null, 2)}\n`);
    return exitCode;
  }
  printTable(rows, command, targets.length, io, show);
  return exitCode;
}

type TsImport = (specifier: string, parentURL: string) => Promise<Record<string, unknown>>;
let tsImporter: Promise<TsImport | null> | undefined;

/**
 * Imports a module of the user's project through tsx's `tsImport`, the loader a TypeScript
 * project on Node 20 has among its devDependencies: it loads each file as its package
 * says (ESM, or CommonJS where package.json has no "type": "module"), which a plain
 * `import()` of a .ts file cannot. Without tsx, Node's own import (a runtime that runs
 * TypeScript itself).
 */
async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  tsImporter ??= import("tsx/esm/api").then((api: { tsImport: TsImport }) => api.tsImport, () => null);
  const tsImport = await tsImporter;
  if (tsImport) return tsImport(url, import.meta.url);
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
    throw new Error(`Node cannot import TypeScript here: add tsx to the project (npm i -D tsx) so verify can load ${file}`);
  }
}

function formatError(x: number): string {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return String(x);
  return x.toExponential(1);
}

function printTable(rows: readonly VerifyRow[], command: VerifyCommand, targetCount: number, io: CliIo, show: (file: string) => string): void {
  if (targetCount === 0) {
    io.stdout("tsgrad verify: no annotated functions or @vjpOf rules found.\n");
    return;
  }
  io.stdout(`tsgrad verify: ${targetCount} ${targetCount === 1 ? "function" : "functions and rules"}, ${command.points} point${command.points === 1 ? "" : "s"} each (seed ${command.seed}), tolerance ${command.tolerance}\n\n`);
  const table = [
    ["function", "mode", "points", "worst rel. error", "", ""],
    ...rows.map((r) => [`${show(r.file)}:${r.line} ${r.function}`, r.mode, String(r.points), r.status === "error" ? "-" : formatError(r.worst), r.status === "ok" ? "ok" : r.status.toUpperCase(), r.note]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => [...row[c]!].length)));
  for (const row of table) io.stdout(`  ${row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd()}\n`);
  const failed = rows.filter((r) => r.status !== "ok");
  io.stdout("\n");
  if (failed.length === 0) io.stdout(rows.length === 1 ? "The check passed.\n" : `All ${rows.length} checks passed.\n`);
  else {
    io.stdout(rows.length === 1 ? "The check failed:\n" : `${failed.length} of ${rows.length} checks failed:\n`);
    for (const r of failed) io.stdout(`  ${show(r.file)}:${r.line} ${r.function} (${r.mode}): ${r.status === "error" ? r.note : `relative error ${formatError(r.worst)} at ${r.note}`}\n`);
  }
}

