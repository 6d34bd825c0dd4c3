/**
 * The computation graph of one function's forward pass, as `tsgrad graph` and the
 * playground draw it: what the lecture notes draw for z = wx + b, y = σ(z), L = ½(y − t)²,
 * R = ½w², 𝓛 = L + λR.
 *
 * One node per input and per source statement that computes a value (a statement the
 * front end desugared into several IR statements is still one node), one edge per value
 * a statement reads (from every definition that may reach it), boxes for loops, branches
 * and inlined helper bodies. With values (`--at`), each node lists its runs (a statement in
 * a loop runs once per iteration; an array input has one run per element) with the value
 * and the adjoint ∂result/∂value of each run, and each edge the part of the source
 * node's adjoint that flows back through it: v̄_j · ∂v_j/∂v_i, summed over the runs of the
 * reading statement. A node's adjoint is the sum of its outgoing edges' contributions.
 */
import type { SourceSpan } from "../diagnostics.ts";

export interface GraphNode {
  id: string;
  kind: "input" | "value" | "result";
  /** The source expression: `z = w * x + b`, `return L + lambda * R`, or a parameter name. */
  label: string;
  /** A parameter's type as written (`x: readonly number[]`). */
  detail?: string;
  span?: SourceSpan;
  /** The source line the node comes from, as written. */
  sourceLine?: string;
  /** The innermost box (loop, branch, inlined helper) the node is drawn in. */
  cluster?: string;
  /** With values: one entry per run (per element for an array input), in execution order. */
  runs?: NodeRun[];
}

export interface NodeRun {
  /** Which element a run wrote or an input holds (`[2]`, `[1][0]`, `.W[3]`); empty for a scalar. */
  at: string;
  value: number;
  /** ∂result/∂value of this run (the result's own adjoint is the seed, 1). */
  adjoint: number;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  /** A definition reaching a read in an earlier run of the same loop (drawn against the flow). */
  loopCarried: boolean;
  /**
   * With values: per run of the source node, the adjoint that flowed back along this edge
   * (aligned with `from`'s runs); undefined when the read never executed at these inputs.
   */
  contributions?: number[];
}

export interface GraphCluster {
  id: string;
  kind: "loop" | "then" | "else" | "inlined";
  /** The loop header (`for (let i = 0; i < n; i++)`), the branch test, or the helper's name. */
  label: string;
  span?: SourceSpan;
  parent?: string;
}

export interface ComputationGraph {
  function: string;
  file: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  clusters: GraphCluster[];
  /** With values: the function's result and how its adjoint was seeded. */
  evaluation?: { result: number | number[]; seed: string };
}

/** The sum of an edge's contributions (the part of `from`'s total adjoint due to `to`). */
export function edgeTotal(edge: GraphEdge): number | undefined {
  return edge.contributions?.reduce((a, b) => a + b, 0);
}
