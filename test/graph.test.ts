/**
 * The computation graph (compiler/graph): its structure, and the values and adjoints it
 * shows, checked three ways:
 *
 *   (a) the lecture notes' neuron (z = wx + b, y = σ(z), L = ½(y − t)², R = ½w²,
 *       𝓛 = L + λR): every node, edge, value and adjoint against the notes' forward and
 *       backward pass, at samples/neuron.ts's inputs;
 *   (b) every @grad sample: the graph's result is the function's value bit for bit, its
 *       input adjoints are the generated gradient and the tape's (runtime/tape, which
 *       shares no code with the graph), and every node's adjoint is the sum of what flows
 *       back along its outgoing edges;
 *   (c) loops, branches, inlined helpers and errors on small programs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { computationGraph, edgeTotal, type ComputationGraph, type GraphNode } from "../compiler/graph/index.ts";
import { discoverAnnotated, listSampleSources, SAMPLES_DIR } from "./harness/discover.ts";
import { getFn, loadGenerated, loadSource, loadTape, type GradResult } from "./harness/load.ts";
import { flatten } from "./harness/shapes.ts";

function graphOf(text: string, args?: unknown[], functionName?: string, extra: Record<string, string> = {}): ComputationGraph {
  const inputs = [{ path: "/input.ts", text }, ...Object.entries(extra).map(([p, t]) => ({ path: p, text: t }))];
  const result = computationGraph({ inputs, file: "/input.ts", functionName, args });
  if (!result.ok) throw new Error(JSON.stringify(result));
  return result.graph;
}

function node(graph: ComputationGraph, label: string): GraphNode {
  const found = graph.nodes.find((n) => n.label === label);
  if (!found) throw new Error(`no node '${label}' among ${graph.nodes.map((n) => n.label).join(" | ")}`);
  return found;
}

function edgeBetween(graph: ComputationGraph, from: string, to: string) {
  const a = node(graph, from).id;
  const b = node(graph, to).id;
  const found = graph.edges.find((e) => e.from === a && e.to === b);
  if (!found) throw new Error(`no edge ${from} → ${to}`);
  return found;
}

function expectClose(actual: number | undefined, expected: number, rel = 1e-12): void {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
}

const NEURON = readFileSync(path.join(SAMPLES_DIR, "neuron.ts"), "utf8");

describe("the lecture notes' neuron", () => {
  // samples/neuron.ts's neuronInputs(): w, b, x, t, λ.
  const [w, b, x, t, lambda] = [0.8, -0.3, 1.5, 0.2, 0.01];
  // Forward pass of the notes: z = wx + b, y = σ(z), L = ½(y − t)², R = ½w², 𝓛 = L + λR.
  const z = w * x + b;
  const y = 1 / (1 + Math.exp(-z));
  const L = 0.5 * (y - t) * (y - t);
  const R = 0.5 * w * w;
  // Backward pass of the notes: 𝓛̄ = 1, R̄ = λ, L̄ = 1, ȳ = L̄(y − t), z̄ = ȳσ'(z),
  // w̄ = z̄x + R̄w, b̄ = z̄, x̄ = z̄w (and t̄ = t − y, λ̄ = R for the other inputs).
  const yBar = y - t;
  const zBar = yBar * y * (1 - y);
  const graph = graphOf(NEURON, [w, b, x, t, lambda]);

  it("has the notes' nodes, labelled with the source expressions", () => {
    expect(graph.nodes.map((n) => [n.kind, n.label])).toEqual([
      ["input", "w"],
      ["input", "b"],
      ["input", "x"],
      ["input", "t"],
      ["input", "lambda"],
      ["value", "z = w * x + b"],
      ["value", "y = 1 / (1 + Math.exp(-z))"],
      ["value", "L = 0.5 * (y - t) * (y - t)"],
      ["value", "R = 0.5 * w * w"],
      ["result", "return L + lambda * R"],
    ]);
    expect(graph.clusters).toEqual([]);
    expect(node(graph, "z = w * x + b").sourceLine).toBe("  const z = w * x + b;");
  });

  it("has the notes' edges, and no other", () => {
    const pairs = graph.edges.map((e) => `${graph.nodes.find((n) => n.id === e.from)!.label} → ${graph.nodes.find((n) => n.id === e.to)!.label}`);
    expect(pairs.sort()).toEqual(
      [
        "w → z = w * x + b",
        "x → z = w * x + b",
        "b → z = w * x + b",
        "z = w * x + b → y = 1 / (1 + Math.exp(-z))",
        "y = 1 / (1 + Math.exp(-z)) → L = 0.5 * (y - t) * (y - t)",
        "t → L = 0.5 * (y - t) * (y - t)",
        "w → R = 0.5 * w * w",
        "L = 0.5 * (y - t) * (y - t) → return L + lambda * R",
        "lambda → return L + lambda * R",
        "R = 0.5 * w * w → return L + lambda * R",
      ].sort(),
    );
  });

  it("shows the forward values of the notes on the nodes", () => {
    const value = (label: string) => node(graph, label).runs![0]!.value;
    expectClose(value("z = w * x + b"), z);
    expectClose(value("z = w * x + b"), 0.9);
    expectClose(value("y = 1 / (1 + Math.exp(-z))"), y);
    expectClose(value("y = 1 / (1 + Math.exp(-z))"), 0.710949502625004);
    expectClose(value("L = 0.5 * (y - t) * (y - t)"), L);
    expectClose(value("L = 0.5 * (y - t) * (y - t)"), 0.13053469711636945);
    expectClose(value("R = 0.5 * w * w"), 0.32);
    expect(value("return L + lambda * R")).toBe(L + lambda * R);
    expect(graph.evaluation?.result).toBe(0.13373469711636946);
  });

  it("shows the notes' adjoints on the nodes and their parts on the edges", () => {
    const adjoint = (label: string) => node(graph, label).runs![0]!.adjoint;
    expect(adjoint("return L + lambda * R")).toBe(1); // 𝓛̄ = 1
    expectClose(adjoint("R = 0.5 * w * w"), lambda); // R̄ = 𝓛̄ λ
    expectClose(adjoint("L = 0.5 * (y - t) * (y - t)"), 1); // L̄ = 𝓛̄
    expectClose(adjoint("y = 1 / (1 + Math.exp(-z))"), yBar); // ȳ = L̄ (y − t)
    expectClose(adjoint("y = 1 / (1 + Math.exp(-z))"), 0.5109495026250039);
    expectClose(adjoint("z = w * x + b"), zBar); // z̄ = ȳ σ'(z)
    expectClose(adjoint("z = w * x + b"), 0.10500027982581495);
    expectClose(adjoint("w"), zBar * x + lambda * w); // w̄ = z̄ x + R̄ w
    expectClose(adjoint("w"), 0.16550041973872243);
    expectClose(adjoint("b"), zBar); // b̄ = z̄
    expectClose(adjoint("x"), zBar * w); // x̄ = z̄ w
    expectClose(adjoint("t"), t - y);
    expectClose(adjoint("lambda"), R);
    // w̄ is the sum of its two edges: z̄ · ∂z/∂w = z̄ x and R̄ · ∂R/∂w = R̄ w.
    expectClose(edgeTotal(edgeBetween(graph, "w", "z = w * x + b")), zBar * x);
    expectClose(edgeTotal(edgeBetween(graph, "w", "R = 0.5 * w * w")), lambda * w);
    expectClose(edgeTotal(edgeBetween(graph, "z = w * x + b", "y = 1 / (1 + Math.exp(-z))")), zBar);
    expectClose(edgeTotal(edgeBetween(graph, "L = 0.5 * (y - t) * (y - t)", "return L + lambda * R")), 1);
    expectClose(edgeTotal(edgeBetween(graph, "R = 0.5 * w * w", "return L + lambda * R")), lambda);
  });

  it("without values, draws the same graph with no runs", () => {
    const bare = graphOf(NEURON);
    expect(bare.nodes.map((n) => n.label)).toEqual(graph.nodes.map((n) => n.label));
    expect(bare.nodes.every((n) => n.runs === undefined)).toBe(true);
    expect(bare.edges.every((e) => e.contributions === undefined)).toBe(true);
    expect(bare.evaluation).toBeUndefined();
  });
});

/** Every node's adjoint, run by run, is the sum of the contributions on its outgoing edges. */
function expectAdjointsAreEdgeSums(graph: ComputationGraph): void {
  for (const n of graph.nodes) {
    if (n.kind === "result" || !n.runs) continue;
    const outgoing = graph.edges.filter((e) => e.from === n.id && e.contributions);
    n.runs.forEach((run, k) => {
      const sum = outgoing.reduce((acc, e) => acc + e.contributions![k]!, 0);
      const scale = Math.max(1e-300, ...outgoing.map((e) => Math.abs(e.contributions![k]!)), Math.abs(run.adjoint));
      expect(Math.abs(sum - run.adjoint) / scale, `${n.label} run ${k}`).toBeLessThanOrEqual(1e-12);
    });
  }
}

function relativeError(actual: number[], expected: number[]): number {
  const scale = Math.max(1e-300, ...expected.map(Math.abs));
  return Math.max(0, ...expected.map((e, i) => Math.abs(actual[i]! - e) / Math.max(Math.abs(e), 1e-3 * scale)));
}

describe("every @grad sample: the graph's adjoints are the gradient", () => {
  const samples = discoverAnnotated(listSampleSources()).filter((a) => a.tag === "grad");
  it("finds the samples", () => expect(samples.length).toBeGreaterThan(5));
  for (const sample of samples) {
    it(`${sample.module}.${sample.name}`, async () => {
      const source = await loadSource(sample.file);
      const inputs = getFn(source, `${sample.name}Inputs`, sample.file)() as unknown[];
      const f = getFn(source, sample.name, sample.file);
      // The sample and every file beside it (helpers it imports).
      const build = listSampleSources().map((p) => ({ path: p, text: readFileSync(p, "utf8") }));
      const result = computationGraph({ inputs: build, file: sample.file, functionName: sample.name, args: inputs });
      if (!result.ok) throw new Error(JSON.stringify(result));
      const graph = result.graph;
      expect(Object.is(graph.evaluation!.result, f(...inputs)), "the function's value, bit for bit").toBe(true);
      expectAdjointsAreEdgeSums(graph);

      const adjointOf = (param: string) => graph.nodes.find((n) => n.kind === "input" && n.label === param)!.runs!.map((r) => r.adjoint);
      const generated = getFn(await loadGenerated(sample.file), `${sample.name}Grad`, sample.file)(...inputs) as GradResult;
      for (const p of sample.wrt) expect(relativeError(adjointOf(p), flatten(generated.grad[p])), `∂/∂${p} vs the generated gradient`).toBeLessThanOrEqual(1e-12);
      const tape = await loadTape(sample.file);
      const taped = (await tape.grad(sample.name, inputs, sample.wrt)) as GradResult;
      for (const p of sample.wrt) expect(relativeError(adjointOf(p), flatten(taped.grad[p])), `∂/∂${p} vs the tape`).toBeLessThanOrEqual(1e-12);
    });
  }
});

describe("structure", () => {
  it("draws a loop as a box holding its body, with the accumulation loop-carried", () => {
    const g = graphOf(
      `/** @grad x */\nexport function f(x: number[]): number {\n  let s = 0;\n  for (let i = 0; i < x.length; i++) {\n    s += x[i] * x[i];\n  }\n  return Math.sqrt(s);\n}\n`,
      [[3, 4]],
    );
    expect(g.clusters.map((c) => [c.kind, c.label])).toEqual([["loop", "for (let i = 0; i < x.length; i++)"]]);
    expect(g.nodes.map((n) => n.label)).toEqual(["x", "s = 0", "s += x[i] * x[i]", "return Math.sqrt(s)"]); // no counter nodes
    const body = node(g, "s += x[i] * x[i]");
    expect(body.cluster).toBe(g.clusters[0]!.id);
    expect(body.runs!.map((r) => r.value)).toEqual([9, 25]);
    expect(g.edges.find((e) => e.from === body.id && e.to === body.id)?.loopCarried).toBe(true);
    expect(node(g, "x").runs!.map((r) => r.at)).toEqual(["[0]", "[1]"]);
    expectClose(node(g, "x").runs![0]!.adjoint, 3 / 5, 1e-15);
    expectClose(node(g, "x").runs![1]!.adjoint, 4 / 5, 1e-15);
    // s = 0 reaches the return only when the loop runs zero times: an edge never taken here.
    expect(edgeBetween(g, "s = 0", "return Math.sqrt(s)").contributions).toBeUndefined();
  });

  it("draws both arms of a branch, values only on the one taken", () => {
    const text = `/** @grad x */\nexport function f(x: number): number {\n  let y = 0;\n  if (x > 0) {\n    y = x * x;\n  } else {\n    y = -x;\n  }\n  return 3 * y;\n}\n`;
    const g = graphOf(text, [2]);
    expect(g.clusters.map((c) => [c.kind, c.label])).toEqual([["then", "if (x > 0)"], ["else", "else (not x > 0)"]]);
    expect(node(g, "y = x * x").runs!.map((r) => [r.value, r.adjoint])).toEqual([[4, 3]]);
    expect(node(g, "y = -x").runs).toEqual([]);
    expect(node(g, "x").runs![0]!.adjoint).toBe(12);
    expect(edgeBetween(g, "x", "y = -x").contributions).toBeUndefined();
  });

  it("keeps a desugared statement one node (slice, fill), and reads through a row alias go to the array", () => {
    const text = `/** @grad A */\nexport function f(A: number[][]): number {\n  const r = A[1].slice();\n  const row = A[0];\n  let s = 0;\n  for (let j = 0; j < row.length; j++) s += row[j] * r[j];\n  return s;\n}\n`;
    const g = graphOf(text, [[[1, 2], [3, 4]]]);
    expect(g.nodes.map((n) => n.label)).toEqual(["A", "r = A[1].slice()", "s = 0", "s += row[j] * r[j]", "return s"]);
    expect(node(g, "r = A[1].slice()").runs!.map((r) => [r.at, r.value])).toEqual([["[0]", 3], ["[1]", 4]]);
    edgeBetween(g, "A", "s += row[j] * r[j]");
    expect(node(g, "A").runs!.map((r) => r.adjoint)).toEqual([3, 4, 1, 2]);
  });

  it("boxes an inlined helper, named, with its statements labelled from its own source", () => {
    const helper = `export function sq(v: number): number {\n  const u = v * v;\n  return u;\n}\n`;
    const text = `import { sq } from "./helper.js";\n/** @grad x */\nexport function f(x: number): number {\n  const a = sq(x) + 1;\n  return a * 2;\n}\n`;
    const g = graphOf(text, [3], undefined, { "/helper.ts": helper });
    const box = g.clusters.find((c) => c.kind === "inlined");
    expect(box?.label).toBe("sq(…) inlined");
    const inner = node(g, "u = v * v");
    expect(inner.cluster).toBe(box!.id);
    expect(inner.span?.file).toBe("/helper.ts");
    expect(inner.runs![0]!.value).toBe(9);
    expect(node(g, "x").runs![0]!.adjoint).toBe(12);
  });

  it("draws functions in every form the front end accepts: a const arrow function, a method (its receiver an input)", () => {
    const arrow = graphOf(`/** @grad x */\nexport const sq = (x: number): number => {\n  const y = x * x;\n  return y;\n};\n`, [3]);
    expect(arrow.nodes.map((n) => [n.label, n.runs![0]!.value, n.runs![0]!.adjoint])).toEqual([["x", 3, 6], ["y = x * x", 9, 1], ["return y", 9, 1]]);
    const method = graphOf(`export class Model {\n  /** @grad x */\n  loss(x: number[]): number {\n    let s = 0;\n    for (let i = 0; i < x.length; i++) s += x[i] * x[i];\n    return s;\n  }\n}\n`);
    expect(method.nodes.map((n) => n.label)).toEqual(["model", "x", "s = 0", "s += x[i] * x[i]", "return s"]);
    expect(method.clusters.map((c) => c.kind)).toEqual(["loop"]); // its own body is not taken for an inlined helper
  });

  it("takes parameters left out as the function does: a default (scale = 2) and an optional options object", () => {
    const text = `/** @grad x */\nexport function f(x: number, scale = 2, opts?: { power?: number }): number {\n  return scale * x ** (opts?.power ?? 3);\n}\n`;
    const at = (args: unknown[]) => {
      const result = computationGraph({ inputs: [{ path: "/input.ts", text }], file: "/input.ts", args });
      if (!result.ok) throw new Error(JSON.stringify(result));
      const x = result.graph.nodes.find((n) => n.label === "x")!.runs![0]!;
      return [result.graph.evaluation!.result, x.adjoint];
    };
    expect(at([1.5])).toEqual([2 * 1.5 ** 3, 2 * 3 * 1.5 ** 2]);
    expect(at([1.5, 4])).toEqual([4 * 1.5 ** 3, 4 * 3 * 1.5 ** 2]);
    expect(at([1.5, 4, null])).toEqual([4 * 1.5 ** 3, 4 * 3 * 1.5 ** 2]); // JSON's null: left out
    expect(at([1.5, 4, {}])).toEqual([4 * 1.5 ** 3, 4 * 3 * 1.5 ** 2]);
    expect(at([1.5, 4, { power: 2 }])).toEqual([4 * 1.5 ** 2, 4 * 2 * 1.5]);
    const missing = computationGraph({ inputs: [{ path: "/input.ts", text }], file: "/input.ts", args: [] });
    expect(missing).toMatchObject({ ok: false, evaluationError: "f takes 1 to 3 arguments (x, scale, opts), got 0" });
    // A default naming a module-level constant: its value, as the generated code has it.
    const named = `const EPS = 0.5;\n/** @grad x */\nexport function g(x: number, eps = EPS): number {\n  return x * x + eps;\n}\n`;
    const withConstant = computationGraph({ inputs: [{ path: "/input.ts", text: named }], file: "/input.ts", args: [1.5] });
    expect(withConstant.ok && withConstant.graph.evaluation!.result).toBe(1.5 * 1.5 + 0.5);
  });

  it("reports an out-of-bounds read at the given values instead of drawing garbage", () => {
    const text = `/** @grad x */\nexport function f(x: number[]): number {\n  return x[0] * x[2];\n}\n`;
    const result = computationGraph({ inputs: [{ path: "/input.ts", text }], file: "/input.ts", args: [[1, 2]] });
    expect(result).toMatchObject({ ok: false, evaluationError: "index 2 is out of bounds for x (length 2)" });
  });

  it("reports the front end's diagnostic for code outside the differentiable subset", () => {
    const text = `/** @grad x */\nexport function f(x: number): number {\n  return x * Math.random();\n}\n`;
    const result = computationGraph({ inputs: [{ path: "/input.ts", text }], file: "/input.ts" });
    expect(result.ok).toBe(false);
    expect("diagnostics" in result && result.diagnostics[0]!.code).toBe(3004);
  });

  it("names the functions when the file has several and none was chosen", () => {
    const text = `/** @grad */\nexport function f(x: number): number {\n  return x;\n}\n/** @grad */\nexport function g(x: number): number {\n  return x;\n}\n`;
    const result = computationGraph({ inputs: [{ path: "/input.ts", text }], file: "/input.ts" });
    expect("diagnostics" in result && result.diagnostics[0]!.message).toContain("several annotated functions (f, g)");
    expect(graphOf(text, [2], "g").nodes.map((n) => n.label)).toEqual(["x", "return x"]);
  });
});


