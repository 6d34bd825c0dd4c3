/**
 * `tsgrad graph`, driven in-process through `main(argv, io)` against temporary folders
 * (stdout/stderr captured, cwd injected), as test/cli.test.ts drives `build`.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.ts";
import type { ComputationGraph } from "../compiler/graph/index.ts";

const NEURON = `/** @grad w, b */
export function neuron(w: number, b: number, x: number, t: number, lambda: number): number {
  const z = w * x + b;
  const y = 1 / (1 + Math.exp(-z));
  const L = 0.5 * (y - t) * (y - t);
  const R = 0.5 * w * w;
  return L + lambda * R;
}

export function other(v: number[]): number {
  return v[0] * v[1];
}
`;

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-graph-"));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

async function run(cwd: string, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { cwd, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), color: false, pid: 4242 });
  return { code, stdout, stderr };
}

const AT = JSON.stringify({ w: 0.8, b: -0.3, x: 1.5, t: 0.2, lambda: 0.01 });

describe("tsgrad graph", () => {
  it("writes the graph with values as JSON, SVG and HTML", async () => {
    const root = project({ "src/neuron.ts": NEURON, "at.json": AT });
    const json = await run(root, "graph", "src/neuron.ts:neuron", "--at", "at.json", "-o", "out/g.json");
    expect(json).toMatchObject({ code: 1 }); // the output folder does not exist: reported, not thrown
    expect(json.stderr).toContain("cannot write g.json");
    mkdirSync(path.join(root, "out"));
    const ok = await run(root, "graph", "src/neuron.ts:neuron", "--at", "at.json", "-o", "out/g.json");
    expect(ok).toEqual({ code: 0, stdout: "wrote out/g.json (10 nodes, 10 edges, with values)\n", stderr: "" });
    const graph = JSON.parse(readFileSync(path.join(root, "out/g.json"), "utf8")) as ComputationGraph;
    expect(graph.file).toBe("src/neuron.ts");
    const z = graph.nodes.find((n) => n.label === "z = w * x + b")!;
    expect(z.runs![0]!.value).toBeCloseTo(0.9, 15);

    expect((await run(root, "graph", "src/neuron.ts", "--at", "at.json", "-o", "out/g.svg")).code).toBe(0);
    const svg = readFileSync(path.join(root, "out/g.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain(">z = w * x + b</text>");
    expect(svg).toContain(">v̄ = 0.105</text>");
    expect(svg).toContain("neuron.ts:3: const z = w * x + b;"); // the hover title: file:line and the source line

    expect((await run(root, "graph", "src/neuron.ts", "--at=at.json", "--out=out/g.html")).code).toBe(0);
    const html = readFileSync(path.join(root, "out/g.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("function attachGraphHover");
    expect(readdirSync(path.join(root, "out")).sort()).toEqual(["g.html", "g.json", "g.svg"]); // no temporary file left
  });

  it("prints the SVG on stdout without -o, and draws without values", async () => {
    const root = project({ "neuron.ts": NEURON });
    const { code, stdout } = await run(root, "graph", "neuron.ts:other");
    expect(code).toBe(0);
    expect(stdout).toContain(">return v[0] * v[1]</text>");
    expect(stdout).not.toContain("v̄ =");
  });

  it("accepts the arguments as an array in parameter order", async () => {
    const root = project({ "neuron.ts": NEURON, "args.json": "[[3, 4]]" });
    const { code, stdout } = await run(root, "graph", "neuron.ts:other", "--at", "args.json", "-o", "o.json");
    expect(code).toBe(0);
    expect(stdout).toContain("with values");
    const graph = JSON.parse(readFileSync(path.join(root, "o.json"), "utf8")) as ComputationGraph;
    expect(graph.nodes.find((n) => n.label === "v")!.runs!.map((r) => r.adjoint)).toEqual([4, 3]);
  });

  it("lets the values leave out parameters with a default or optional ones", async () => {
    const source = `/** @grad x */\nexport function power(x: number, scale = 2, opts?: { p?: number }): number {\n  return scale * x ** (opts?.p ?? 3);\n}\n`;
    const root = project({ "power.ts": source, "one.json": "[1.5]", "named.json": JSON.stringify({ x: 1.5, scale: 4 }), "none.json": "[]", "unnamed.json": JSON.stringify({ scale: 4 }) });
    for (const [file, value] of [["one.json", 2 * 1.5 ** 3], ["named.json", 4 * 1.5 ** 3]] as const) {
      const { code } = await run(root, "graph", "power.ts", "--at", file, "-o", "o.json");
      expect(code, file).toBe(0);
      expect((JSON.parse(readFileSync(path.join(root, "o.json"), "utf8")) as ComputationGraph).evaluation!.result).toBe(value);
    }
    expect(await run(root, "graph", "power.ts", "--at", "none.json")).toMatchObject({ code: 2, stderr: expect.stringContaining("none.json has 0 values; the function takes 1 to 3 (x, scale, opts)") });
    expect(await run(root, "graph", "power.ts", "--at", "unnamed.json")).toMatchObject({ code: 2, stderr: expect.stringContaining("unnamed.json has no value for 'x'") });
  });

  it("says what is wrong with the values, and writes nothing", async () => {
    const root = project({ "neuron.ts": NEURON, "bad.json": "{ w: 1 }", "short.json": "[1, 2]", "named.json": JSON.stringify({ w: 1, q: 2 }), "oob.json": "[[1]]" });
    expect(await run(root, "graph", "neuron.ts:neuron", "--at", "bad.json", "-o", "o.svg")).toMatchObject({ code: 2, stderr: expect.stringContaining("'bad.json' is not valid JSON") });
    expect(await run(root, "graph", "neuron.ts:neuron", "--at", "short.json")).toMatchObject({ code: 2, stderr: expect.stringContaining("short.json has 2 values; the function takes 5 (w, b, x, t, lambda)") });
    expect(await run(root, "graph", "neuron.ts:neuron", "--at", "named.json")).toMatchObject({ code: 2, stderr: expect.stringContaining("named.json has no value for 'b', 'x', 't', 'lambda'") });
    const oob = await run(root, "graph", "neuron.ts:other", "--at", "oob.json", "-o", "o.svg");
    expect(oob).toMatchObject({ code: 1, stderr: "error: cannot evaluate other at oob.json: index 1 is out of bounds for v (length 1)\n" });
    expect(existsSync(path.join(root, "o.svg"))).toBe(false);
  });

  it("reports usage errors with exit code 2", async () => {
    const root = project({ "neuron.ts": NEURON });
    expect(await run(root, "graph")).toMatchObject({ code: 2, stderr: expect.stringContaining("needs a file") });
    expect(await run(root, "graph", "missing.ts")).toMatchObject({ code: 2, stderr: expect.stringContaining("no such file: 'missing.ts'") });
    expect(await run(root, "graph", "neuron.ts", "-o", "g.png")).toMatchObject({ code: 2, stderr: expect.stringContaining("name it .svg, .html or .json") });
    expect(await run(root, "graph", "neuron.ts", "--bogus")).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--bogus'") });
    expect(await run(root, "graph", "neuron.ts", "other.ts")).toMatchObject({ code: 2 });
    expect((await run(root, "graph", "--help")).stdout).toContain("Usage: tsgrad graph FILE[:FUNCTION]");
  });

  it("reports the compiler's diagnostics with a code frame", async () => {
    const root = project({ "bad.ts": `/** @grad */\nexport function f(x: number): number {\n  return x * Math.random();\n}\n`, "neuron.ts": NEURON });
    const bad = await run(root, "graph", "bad.ts");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("bad.ts:3:14 - error TSG3004");
    expect(bad.stderr).toContain("~~~~~~~~~~~~~");
    const unknown = await run(root, "graph", "neuron.ts:nope");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no function 'nope' in");
    expect(unknown.stderr).toContain("(functions: neuron, other)");
  });
});
