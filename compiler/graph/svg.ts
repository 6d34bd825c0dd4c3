/**
 * SVG drawing of a laid-out computation graph. Every node and edge carries `data-node` /
 * `data-edge` (its id in the model) and a `<title>` (shown on hover by SVG viewers and
 * browsers): the source line it comes from and its values and adjoints.
 */
import { baseName } from "../diagnostics.ts";
import type { ComputationGraph, GraphEdge, GraphNode } from "./model.ts";
import { CHAR_WIDTH, FONT_SIZE, LINE_HEIGHT, PADDING, type GraphLayout, type Point } from "./layout.ts";
import { edgeText, FONT_FAMILY, formatNumber } from "./text.ts";


export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Where a node comes from, as `file:line` and the line's text. */
export function nodeOrigin(node: GraphNode): string | undefined {
  if (!node.span) return undefined;
  const where = `${baseName(node.span.file)}:${node.span.line}`;
  return node.sourceLine !== undefined ? `${where}: ${node.sourceLine.trim()}` : where;
}

function runsText(node: GraphNode, limit = 12): string[] {
  const runs = node.runs;
  if (!runs) return [];
  if (runs.length === 0) return ["not run at these inputs"];
  const lines = runs.slice(0, limit).map((r) => `${r.at ? `${node.kind === "input" ? node.label : "v"}${r.at}` : "v"} = ${r.value}   v̄ = ${r.adjoint}`);
  if (runs.length > limit) lines.push(`… ${runs.length - limit} more runs`);
  return lines;
}

export function nodeTitle(node: GraphNode): string {
  const head = node.kind === "input" ? `input ${node.detail ?? node.label}` : node.label;
  return [head, nodeOrigin(node), ...runsText(node)].filter((x) => x !== undefined).join("\n");
}

export function edgeTitle(edge: GraphEdge, graph: ComputationGraph): string {
  const from = graph.nodes.find((n) => n.id === edge.from);
  const to = graph.nodes.find((n) => n.id === edge.to);
  const head = `${from?.label ?? edge.from} → ${to?.label ?? edge.to}${edge.loopCarried ? " (from an earlier iteration)" : ""}`;
  if (!graph.evaluation) return head;
  if (!edge.contributions) return `${head}\nnot read at these inputs`;
  const total = edge.contributions.reduce((a, b) => a + b, 0);
  const parts = edge.contributions.length > 1 ? edge.contributions.slice(0, 12).map((c, k) => `  from run ${from?.runs?.[k]?.at || k + 1}: ${c}`) : [];
  return [head, `adjoint flowing back: ${total}`, ...parts].join("\n");
}

function path(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? "M" : "L"}${round(p.x)},${round(p.y)}`).join(" ");
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

export function renderSvg(graph: ComputationGraph, layout: GraphLayout): string {
  const margin = 16;
  const width = Math.ceil(layout.width + 2 * margin);
  const height = Math.ceil(layout.height + 2 * margin + LINE_HEIGHT * 2);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const clusterKind = new Map(graph.clusters.map((c) => [c.id, c.kind]));
  const edgeById = new Map(graph.edges.map((e) => [e.id, e]));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="tsgrad-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT_FAMILY)}" font-size="${FONT_SIZE}">`,
    `<style>
  .cluster rect { fill: #f7f7f7; stroke: #9a9a9a; stroke-dasharray: 5 3; }
  .cluster.inlined rect { fill: #f1f6ee; stroke: #7d9a6a; }
  .cluster.then rect, .cluster.else rect { fill: #fbf8ef; stroke: #b8a878; }
  .cluster text { fill: #555; }
  .node rect { fill: #ffffff; stroke: #444; stroke-width: 1.2; }
  .node.input rect { fill: #e8f1fb; stroke: #3b7dd8; }
  .node.result rect { fill: #fdf2e0; stroke: #c27a12; stroke-width: 2.2; }
  .node .value { fill: #1d5fa8; }
  .node .adjoint { fill: #b03a2e; }
  .edge path { fill: none; stroke: #666; stroke-width: 1.2; }
  .edge.idle path { stroke: #bbb; stroke-dasharray: 4 3; }
  .edge.carried path { stroke: #8a6db1; }
  .edge text { fill: #b03a2e; }
  .edge .label-bg { fill: #ffffff; opacity: 0.85; }
</style>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>`,
    `<g transform="translate(${margin},${margin})">`,
  );
  for (const c of layout.clusters) {
    out.push(
      `<g class="cluster ${clusterKind.get(c.id) ?? ""}" data-cluster="${c.id}"><rect x="${round(c.x)}" y="${round(c.y)}" width="${round(c.width)}" height="${round(c.height)}" rx="6"/>` +
        `<text x="${round(c.x + PADDING)}" y="${round(c.y + PADDING + FONT_SIZE)}">${escapeXml(c.label)}</text></g>`,
    );
  }
  for (const placed of layout.edges) {
    const edge = edgeById.get(placed.id);
    if (!edge) continue;
    const idle = graph.evaluation !== undefined && !edge.contributions;
    const classes = ["edge", idle ? "idle" : "", edge.loopCarried ? "carried" : ""].filter(Boolean).join(" ");
    const text = edgeText(edge);
    out.push(`<g class="${classes}" data-edge="${edge.id}" data-from="${edge.from}" data-to="${edge.to}"><title>${escapeXml(edgeTitle(edge, graph))}</title>`);
    out.push(`<path d="${path(placed.points)}" marker-end="url(#arrow)"/>`);
    if (placed.label && text) {
      const l = placed.label;
      out.push(
        `<rect class="label-bg" x="${round(l.x)}" y="${round(l.y)}" width="${round(l.width)}" height="${round(l.height)}"/>` +
          `<text class="adjoint-flow" x="${round(l.x + 2)}" y="${round(l.y + FONT_SIZE)}">${escapeXml(text)}</text>`,
      );
    }
    out.push(`</g>`);
  }
  for (const placed of layout.nodes) {
    const node = byId.get(placed.id);
    if (!node) continue;
    out.push(`<g class="node ${node.kind}" data-node="${node.id}"><title>${escapeXml(nodeTitle(node))}</title>`);
    out.push(`<rect x="${round(placed.x)}" y="${round(placed.y)}" width="${round(placed.width)}" height="${round(placed.height)}" rx="${node.kind === "input" ? 14 : 4}"/>`);
    placed.lines.forEach((line, i) => {
      const cls = line.startsWith("v̄") || line.startsWith("last v̄") ? "adjoint" : line.startsWith("v =") || line.startsWith("ran ") ? "value" : "label";
      out.push(`<text class="${cls}" x="${round(placed.x + PADDING)}" y="${round(placed.y + PADDING + FONT_SIZE + i * LINE_HEIGHT - 2)}" textLength="${round([...line].length * CHAR_WIDTH)}" lengthAdjust="spacingAndGlyphs">${escapeXml(line)}</text>`);
    });
    out.push(`</g>`);
  }
  const caption = graph.evaluation
    ? `${graph.function}(…) = ${Array.isArray(graph.evaluation.result) ? `[${graph.evaluation.result.map(formatNumber).join(", ")}]` : formatNumber(graph.evaluation.result)}; seed ${graph.evaluation.seed}; v̄ = ∂result/∂v, edges: v̄ⱼ·∂vⱼ/∂vᵢ`
    : `${graph.function}: computation graph of the forward pass`;
  out.push(`<text class="caption" x="0" y="${round(layout.height + LINE_HEIGHT * 1.5)}" fill="#555">${escapeXml(caption)}</text>`);
  out.push(`</g></svg>`);
  return out.join("\n");
}
