/**
 * `tsgrad graph FILE[:FUNCTION] [--at values.json] [-o out.svg|out.html|out.json]`
 *
 * Draws the computation graph of one function's forward pass (compiler/graph): with
 * `--at`, forward values on the nodes and adjoints on the edges. Output by the extension
 * of `-o`: an SVG, a self-contained HTML page (hover a node for its source line and
 * adjoint), or the graph as JSON; without `-o`, the SVG on stdout. The output file is
 * written atomically (a temporary file renamed over it), and not at all on an error.
 *
 * `values.json` holds the arguments: an array in parameter order, or an object keyed by
 * parameter name. Exit codes: 0 ok, 1 diagnostics or the function failed at the values,
 * 2 bad usage.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { computationGraph } from "../graph/index.ts";
import { layoutGraph } from "../graph/layout.ts";
import { renderHtml } from "../graph/html.ts";
import { renderSvg } from "../graph/svg.ts";
import { UsageError } from "./args.ts";
import { isStackOverflow, tooLargeDiagnostic } from "../frontend/tooLarge.ts";
import { formatDiagnostic, formatSummary } from "./frame.ts";
import { mayRetryWithLargeStack, runCommandWithLargeStack, withLargeStackTried } from "./largeStack.ts";
import type { CliIo } from "./io.ts";
import { readSources, readUtf8 } from "./read.ts";
import { displayPath } from "./report.ts";
import { applyPlan } from "./write.ts";

export const GRAPH_HELP = `Usage: tsgrad graph FILE[:FUNCTION] [--at values.json] [-o out.svg|out.html|out.json]

Draws the computation graph of FUNCTION's forward pass (default: the file's only
annotated function): a node per input and per statement that computes a value,
labelled with its source, loops and branches as boxes, helpers inlined.

Options:
  --at <file>   Arguments as JSON (an array in parameter order, or an object keyed by
                parameter name): forward values v and adjoints v̄ = ∂result/∂v on the
                nodes, and on each edge the adjoint flowing back along it.
  -o <file>     Write an .svg, a self-contained .html (hover for source lines and
                adjoints) or the graph as .json. Default: the SVG on stdout.
  -h, --help    Show this help.
`;

interface GraphOptions {
  file: string;
  functionName?: string;
  at?: string;
  out?: string;
}

function parseGraphArgs(args: readonly string[], cwd: string): GraphOptions | "help" {
  let target: string | undefined;
  let at: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const value = () => {
      const v = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (v === undefined || v === "") throw new UsageError(`option '${name}' needs a file name`);
      return v;
    };
    if (name === "--at") at = value();
    else if (name === "-o" || name === "--out") out = value();
    else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option '${arg}' for 'tsgrad graph'`);
    else if (target !== undefined) throw new UsageError(`'tsgrad graph' draws one function; got '${target}' and '${arg}'`);
    else target = arg;
  }
  if (target === undefined) throw new UsageError("'tsgrad graph' needs a file: tsgrad graph FILE[:FUNCTION]");
  if (out !== undefined && !/\.(svg|html|json)$/.test(out)) throw new UsageError(`cannot tell the format of '${out}': name it .svg, .html or .json`);
  // FILE:FUNCTION, unless the whole argument names a file (or a drive letter).
  let file = target;
  let functionName: string | undefined;
  const colon = target.lastIndexOf(":");
  if (colon > 1 && /^[A-Za-z_$][\w$]*$/.test(target.slice(colon + 1)) && !existsSync(path.resolve(cwd, target))) {
    file = target.slice(0, colon);
    functionName = target.slice(colon + 1);
  }
  const absolute = path.resolve(cwd, file);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) throw new UsageError(`no such file: '${file}'`);
  return { file: absolute, functionName, at: at && path.resolve(cwd, at), out: out && path.resolve(cwd, out) };
}

export async function runGraph(argv: readonly string[], io: CliIo): Promise<number> {
  const options = parseGraphArgs(argv, io.cwd);
  if (options === "help") {
    io.stdout(GRAPH_HELP);
    return 0;
  }
  try {
    return await drawGraph(options, io);
  } catch (error) {
    if (!isStackOverflow(error)) throw error;
    // Nested too deep for this thread's stack: the whole command again with a large one.
    if (mayRetryWithLargeStack()) {
      const code = await runCommandWithLargeStack({ name: "graph", argv }, io);
      if (code !== null) return code;
    }
    const read = readSources([options.file]);
    const text = read.inputs.find((i) => i.path === options.file)?.text ?? "";
    const [diagnostic] = withLargeStackTried([tooLargeDiagnostic(options.file, text, "drawing its graph")]);
    io.stderr(formatDiagnostic(diagnostic!, { displayPath: displayPath(options.file, io.cwd), text, color: io.color }));
    io.stderr(formatSummary(1, 1));
    return 1;
  }
}

async function drawGraph(options: GraphOptions, io: CliIo): Promise<number> {
  const show = (file: string) => displayPath(file, io.cwd);
  const read = readSources([options.file]);
  const texts = new Map(read.inputs.map((i) => [i.path, i.text] as const));
  if (read.diagnostics.length > 0) return report(read.diagnostics);

  let args: unknown[] | undefined;
  let values: unknown;
  if (options.at) {
    const text = readUtf8(options.at);
    if ("error" in text) throw new UsageError(`cannot read '${show(options.at)}': ${text.error}`);
    try {
      values = JSON.parse(text.text);
    } catch (error) {
      throw new UsageError(`'${show(options.at)}' is not valid JSON: ${(error as Error).message}`);
    }
  }
  let result = computationGraph({ inputs: read.inputs, file: options.file, functionName: options.functionName });
  if (!result.ok && "diagnostics" in result) return report(result.diagnostics);
  if (values !== undefined && result.ok) {
    args = argumentsFrom(values, result.parameters, result.required, show(options.at!));
    result = computationGraph({ inputs: read.inputs, file: options.file, functionName: options.functionName, args });
  }
  if (!result.ok) {
    if ("diagnostics" in result) return report(result.diagnostics);
    io.stderr(`error: cannot evaluate ${options.functionName ?? "the function"} at ${show(options.at!)}: ${result.evaluationError}\n`);
    return 1;
  }
  const graph = { ...result.graph, file: show(result.graph.file) };
  let text: string;
  if (options.out?.endsWith(".json")) text = `${JSON.stringify(graph, null, 2)}\n`;
  else {
    const svg = renderSvg(graph, await layoutGraph(graph));
    text = options.out?.endsWith(".html") ? renderHtml(graph, svg) : `${svg}\n`;
  }
  if (!options.out) {
    io.stdout(text);
    return 0;
  }
  const applied = applyPlan({ writes: [{ path: options.out, text, reason: "stale" }], removals: [] }, io.pid);
  if (applied.diagnostics.length > 0) {
    for (const d of applied.diagnostics) io.stderr(`error: ${d.message}\n`);
    return 1;
  }
  io.stdout(`wrote ${show(options.out)} (${graph.nodes.length} nodes, ${graph.edges.length} edges${graph.evaluation ? ", with values" : ""})\n`);
  return 0;

  function report(diagnostics: readonly import("../diagnostics.ts").Diagnostic[]): number {
    for (const d of diagnostics) {
      const file = path.resolve(io.cwd, d.file);
      io.stderr(formatDiagnostic(d, { displayPath: show(file), text: texts.get(d.file) ?? texts.get(file), color: io.color }));
    }
    io.stderr(formatSummary(diagnostics.length, new Set(diagnostics.map((d) => d.file)).size));
    return 1;
  }
}

/**
 * The arguments in parameter order, from a JSON array or an object keyed by parameter name;
 * the parameters after the first `required` (a default, or optional) may be left out.
 */
function argumentsFrom(values: unknown, parameters: readonly string[], required: number, where: string): unknown[] {
  if (Array.isArray(values)) {
    if (values.length < required || values.length > parameters.length) {
      const count = required === parameters.length ? String(required) : `${required} to ${parameters.length}`;
      throw new UsageError(`${where} has ${values.length} values; the function takes ${count} (${parameters.join(", ")})`);
    }
    return values;
  }
  if (typeof values === "object" && values !== null) {
    const record = values as Record<string, unknown>;
    const missing = parameters.slice(0, required).filter((p) => !(p in record));
    const extra = Object.keys(record).filter((k) => !parameters.includes(k));
    if (missing.length > 0) throw new UsageError(`${where} has no value for ${missing.map((m) => `'${m}'`).join(", ")}`);
    if (extra.length > 0) throw new UsageError(`${where} names ${extra.map((m) => `'${m}'`).join(", ")}, which ${extra.length === 1 ? "is not a parameter" : "are not parameters"} (${parameters.join(", ")})`);
    return parameters.map((p) => record[p]);
  }
  throw new UsageError(`${where} should hold an array of arguments or an object keyed by parameter name`);
}

