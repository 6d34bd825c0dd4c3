/**
 * What a drawn node and edge say, as lines of text: shared by the layout (which sizes the
 * boxes from it) and the renderers, so both always agree.
 *
 * A node: its source expression (wrapped), then with values `v = …` and `v̄ = …` (v̄, the
 * adjoint ∂result/∂v, as in the lecture notes). An array input or a statement writing
 * distinct elements shows its values as a vector; a statement in a loop shows how many
 * times it ran and its last run. An edge: the adjoint that flowed back along it (`Σ` when
 * it sums over several runs of its source).
 */
import type { GraphEdge, GraphNode, NodeRun } from "./model.ts";

/** The drawing's font: monospace, so a line's width is its length times the character width. */
export const FONT_FAMILY = "'DejaVu Sans Mono', Menlo, Consolas, monospace";

/** Characters per line before a label wraps. */
export const WRAP = 40;
const VECTOR_ITEMS = 4;

/** 4 significant digits, trailing zeros dropped; exponent form for very large or small numbers. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  if (x === 0) return "0";
  const abs = Math.abs(x);
  const text = abs >= 1e5 || abs < 1e-3 ? x.toExponential(3).replace(/\.?0+e/, "e") : x.toPrecision(4);
  return (text.includes("e") ? text : text.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "")).replace(/^-/, "−");
}

export function wrap(text: string, width = WRAP): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(" ", width);
    if (cut <= 0) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

function vector(values: number[]): string {
  const shown = values.slice(0, VECTOR_ITEMS).map(formatNumber).join(", ");
  return values.length > VECTOR_ITEMS ? `[${shown}, … (${values.length})]` : `[${shown}]`;
}

/** True when the runs are the distinct elements of one array (an array input, a statement filling an array). */
export function isVector(runs: readonly NodeRun[]): boolean {
  if (runs.length === 0 || runs[0]!.at === "") return false;
  return new Set(runs.map((r) => r.at)).size === runs.length;
}

export function valueLines(node: GraphNode): string[] {
  const runs = node.runs;
  if (!runs) return [];
  if (runs.length === 0) return ["not run at these inputs"];
  if (runs.length === 1 && runs[0]!.at === "") return [`v = ${formatNumber(runs[0]!.value)}`, `v̄ = ${formatNumber(runs[0]!.adjoint)}`];
  if (isVector(runs)) return [`v = ${vector(runs.map((r) => r.value))}`, `v̄ = ${vector(runs.map((r) => r.adjoint))}`];
  const last = runs[runs.length - 1]!;
  return [`ran ${runs.length}×, last v = ${formatNumber(last.value)}`, `last v̄ = ${formatNumber(last.adjoint)}`];
}

export function nodeLines(node: GraphNode): string[] {
  const head = node.kind === "input" ? [node.detail ?? node.label] : wrap(node.label);
  return [...head, ...valueLines(node)];
}

/** The label of an edge: the adjoint that flowed back along it, or nothing (no values, or never read). */
export function edgeText(edge: GraphEdge): string | undefined {
  const c = edge.contributions;
  if (!c) return undefined;
  const total = c.reduce((a, b) => a + b, 0);
  return c.length > 1 ? `Σ ${formatNumber(total)}` : formatNumber(total);
}
