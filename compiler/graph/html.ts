/**
 * A self-contained HTML page of the graph (no network, no dependency): the SVG, and a
 * small script that shows, when the pointer is over a node, its source line, its value
 * and its adjoint (every run), and over an edge the adjoint that flowed back along it.
 * The playground uses the same script (hover.ts).
 */
import type { ComputationGraph } from "./model.ts";
import { HOVER_CSS, HOVER_SCRIPT } from "./hover.ts";
import { edgeTitle, escapeXml, nodeTitle } from "./svg.ts";

/** Per node and edge id: the hover text (first line is the heading). */
export function hoverTexts(graph: ComputationGraph): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of graph.nodes) out[n.id] = nodeTitle(n);
  for (const e of graph.edges) out[e.id] = edgeTitle(e, graph);
  return out;
}

export function renderHtml(graph: ComputationGraph, svg: string): string {
  const texts = JSON.stringify(hoverTexts(graph)).replace(/</g, "\\u003c");
  const data = JSON.stringify(graph).replace(/</g, "\\u003c");
  const title = `${graph.function} — computation graph`;
  const where = `${graph.file}`;
  const summary = graph.evaluation
    ? "Forward values v on the nodes, adjoints v̄ = ∂result/∂v below them; each edge carries the adjoint that flows back along it (v̄ⱼ · ∂vⱼ/∂vᵢ). Hover a node for its source line and every run."
    : "The forward pass of the function. Draw it with values: tsgrad graph FILE:FUNCTION --at values.json. Hover a node for its source line.";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px; }
p { margin: 0 0 12px; color: #555; max-width: 900px; }
.canvas { overflow: auto; border: 1px solid #ddd; background: #fff; }
${HOVER_CSS}
</style>
</head>
<body>
<h1>${escapeXml(graph.function)}</h1>
<p>${escapeXml(where)}. ${escapeXml(summary)}</p>
<div class="canvas" id="canvas">
${svg}
</div>
<div class="tsgrad-hover" id="hover"></div>
<script type="application/json" id="graph-data">${data}</script>
<script>
${HOVER_SCRIPT}
attachGraphHover(document.getElementById("canvas"), document.getElementById("hover"), ${texts});
</script>
</body>
</html>
`;
}
