/**
 * The computation graph of one function (model.ts), from source text to a drawing:
 *
 *   source.ts (lower + inline) → structure.ts (nodes, boxes, edges)
 *   → evaluate.ts (values and adjoints, with arguments) → layout.ts (ELK) → svg.ts / html.ts
 *
 * Used by `tsgrad graph` (compiler/cli/graph.ts) and the playground; nothing here touches
 * the disk or needs Node.
 */
import type { Diagnostic } from "../diagnostics.ts";
import type { SourceInput } from "../pipeline.ts";
import { evaluateGraph, EvaluationError, requiredArguments, type EvaluateOptions } from "./evaluate.ts";
import type { ComputationGraph } from "./model.ts";
import { lowerForGraph } from "./source.ts";
import { graphStructure } from "./structure.ts";

export type { ComputationGraph, GraphCluster, GraphEdge, GraphNode, NodeRun } from "./model.ts";
export { edgeTotal } from "./model.ts";
export { EvaluationError } from "./evaluate.ts";

export interface GraphRequest {
  /** The build's sources (the function's file and the files it imports). */
  inputs: readonly SourceInput[];
  file: string;
  /** Default: the file's only annotated function (or only function). */
  functionName?: string;
  /** Argument values in parameter order: with them, values on the nodes and adjoints on the edges. */
  args?: unknown[];
  evaluate?: EvaluateOptions;
}

/** `parameters`: the function's, in order; the first `required` of them must be given (the rest have defaults or are optional). */
export type GraphResult =
  | { ok: true; graph: ComputationGraph; parameters: string[]; required: number }
  | { ok: false; diagnostics: Diagnostic[] }
  | { ok: false; evaluationError: string; parameters: string[]; required: number };

export function computationGraph(request: GraphRequest): GraphResult {
  const lowered = lowerForGraph(request.inputs, request.file, request.functionName);
  if (!lowered.ok) return lowered;
  const structure = graphStructure(lowered.fn, lowered.sources);
  const parameters = lowered.fn.params.map((p) => p.name);
  const required = requiredArguments(lowered.fn);
  if (!request.args) return { ok: true, graph: structure.graph, parameters, required };
  try {
    return { ok: true, graph: evaluateGraph(lowered.fn, structure, request.args, request.evaluate), parameters, required };
  } catch (error) {
    if (error instanceof EvaluationError) return { ok: false, evaluationError: error.message, parameters, required };
    throw error;
  }
}
