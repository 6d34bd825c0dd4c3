/**
 * Layout by ELK (elkjs, the Eclipse Layout Kernel's layered algorithm): inputs on the left,
 * the result on the right, loops and branches as nested boxes, orthogonal edges with their
 * labels placed by ELK. Nothing here picks a coordinate: node sizes come from their text
 * (a monospace font, so a line's width is its length times the character width) and ELK
 * places everything.
 */
import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api";
import type { ComputationGraph } from "./model.ts";
import { edgeText, nodeLines } from "./text.ts";

export const FONT_SIZE = 12;
/** Advance width of one character of the monospace font, in pixels (0.6 em). */
export const CHAR_WIDTH = FONT_SIZE * 0.6;
export const LINE_HEIGHT = 16;
export const PADDING = 8;
const CLUSTER_HEADER = 24;

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  lines: string[];
}

export interface PlacedCluster {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
}

export interface PlacedEdge {
  id: string;
  points: Point[];
  label?: { x: number; y: number; width: number; height: number; text: string };
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  clusters: PlacedCluster[];
  edges: PlacedEdge[];
}

function textWidth(lines: readonly string[]): number {
  return Math.max(...lines.map((l) => [...l].length)) * CHAR_WIDTH;
}

export async function layoutGraph(graph: ComputationGraph): Promise<GraphLayout> {
  const elk = new ELK();
  const elkNodes = new Map<string, ElkNode>();
  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.hierarchyHandling": "INCLUDE_CHILDREN",
      "elk.edgeRouting": "ORTHOGONAL",
      "elk.layered.spacing.nodeNodeBetweenLayers": "48",
      "elk.spacing.nodeNode": "24",
      "elk.spacing.edgeLabel": "4",
      "elk.edgeLabels.placement": "CENTER",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.json.shapeCoords": "ROOT",
      "elk.json.edgeCoords": "ROOT",
    },
    children: [],
    edges: [],
  };
  const containerOf = (cluster: string | undefined): ElkNode => (cluster ? elkNodes.get(cluster)! : root);
  // Boxes before their contents: a box's parent is declared before it (model.ts order).
  for (const c of graph.clusters) {
    const box: ElkNode = {
      id: c.id,
      labels: [{ text: c.label }],
      layoutOptions: {
        "elk.padding": `[top=${CLUSTER_HEADER + PADDING},left=${PADDING * 2},bottom=${PADDING * 2},right=${PADDING * 2}]`,
        "elk.nodeSize.constraints": "MINIMUM_SIZE",
        "elk.nodeSize.minimum": `(${textWidth([c.label]) + PADDING * 2}, ${CLUSTER_HEADER + PADDING * 2})`,
      },
      children: [],
    };
    elkNodes.set(c.id, box);
    containerOf(c.parent).children!.push(box);
  }
  for (const n of graph.nodes) {
    const lines = nodeLines(n);
    const node: ElkNode = { id: n.id, width: textWidth(lines) + PADDING * 2, height: lines.length * LINE_HEIGHT + PADDING * 2 };
    elkNodes.set(n.id, node);
    containerOf(n.cluster).children!.push(node);
  }
  for (const e of graph.edges) {
    const text = edgeText(e);
    const edge: ElkExtendedEdge = { id: e.id, sources: [e.from], targets: [e.to] };
    if (text) edge.labels = [{ text, width: textWidth([text]) + 4, height: LINE_HEIGHT }];
    root.edges!.push(edge);
  }
  const laid = await elk.layout(root);

  const nodes: PlacedNode[] = [];
  const clusters: PlacedCluster[] = [];
  const lineOf = new Map(graph.nodes.map((n) => [n.id, nodeLines(n)]));
  const labelOf = new Map(graph.clusters.map((c) => [c.id, c.label]));
  const visit = (n: ElkNode) => {
    for (const child of n.children ?? []) {
      const box = { id: child.id, x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0 };
      if (labelOf.has(child.id)) clusters.push({ ...box, label: labelOf.get(child.id)! });
      else nodes.push({ ...box, lines: lineOf.get(child.id) ?? [] });
      visit(child);
    }
  };
  visit(laid);
  const edges: PlacedEdge[] = [];
  const collect = (n: ElkNode) => {
    for (const e of (n.edges ?? []) as ElkExtendedEdge[]) {
      const points: Point[] = [];
      for (const s of e.sections ?? []) {
        points.push(s.startPoint, ...(s.bendPoints ?? []), s.endPoint);
      }
      const label = e.labels?.[0];
      edges.push({
        id: e.id,
        points,
        ...(label?.text && { label: { x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0, text: label.text } }),
      });
    }
    for (const child of n.children ?? []) collect(child);
  };
  collect(laid);
  return { width: laid.width ?? 0, height: laid.height ?? 0, nodes, clusters, edges };
}
