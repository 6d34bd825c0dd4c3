/**
 * Arrays of parameter records (`layers: Dense[]`): the derivative in every mode comes
 * back in the user's shape (one record per element, same fields), the generated code
 * reads and writes the records themselves (no copies, no struct of arrays at the
 * boundary), and what remains unsupported is reported like a compiler error. The
 * numbers: the Jacobian of an array-valued function against the tape and central
 * differences, columns against fJvp and rows against fVjp (the dot-product test); the
 * gradients, HVPs and JVPs of the other forms are in test/idioms/cases.ts and
 * samples/mlp.ts (tape, differences, dot-product test).
 */
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "../compiler/cli.ts";
import { compileSources } from "../compiler/pipeline.ts";
import { tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build } from "./harness/build.ts";
import { centralDifferences, maxRelError } from "./harness/numeric.ts";
import { flatten, mapShape } from "./harness/shapes.ts";

const outputs = `
export interface Dense {
  w: number[][];
  b: number[];
}
/**
 * @jacobian layers
 * @jvp layers
 * @vjp layers
 */
export function outputs(layers: readonly Dense[], x: readonly number[]): number[] {
  const out = new Array(layers.length).fill(0);
  for (let l = 0; l < layers.length; l++) {
    let s = 0;
    for (let j = 0; j < x.length; j++) s += layers[l].w[0][j] * x[j] + layers[l].b[j] * layers[l].w[1][j];
    out[l] = Math.sin(s);
  }
  return out;
}
`;

type Dense = { w: number[][]; b: number[] };
const layers = (): Dense[] => [
  { w: [[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]], b: [0.1, -0.2, 0.05] },
  { w: [[0.3, 0.2, -0.4], [-0.5, 0.1, 0.2]], b: [0, 0.15, -0.1] },
  { w: [[-0.4, 0.25, 0.1], [0.2, -0.35, 0.5]], b: [0.05, 0, 0.2] },
  { w: [[0.6, -0.1, 0.3], [0.15, 0.45, -0.2]], b: [-0.3, 0.2, 0.1] },
];
const x = [0.9, -0.4, 0.6];
type Fn = (...args: unknown[]) => unknown;

describe("arrays of parameter records", () => {
  it("the Jacobian of an array result over Dense[]: the tape, differences, fJvp columns, fVjp rows", async () => {
    const built = await build(outputs);
    const f = built.source.outputs as Fn;
    const { value, jacobian } = (built.generated.outputsJacobian as Fn)(layers(), x) as { value: number[]; jacobian: number[][] };
    expect(value).toEqual(f(layers(), x));
    const n = flatten(layers()).length;
    expect(jacobian.map((row) => row.length)).toEqual([n, n, n, n]);
    // Rows flatten the array as the user holds it: record after record, fields in order, arrays row-major.
    const tape = tapeModuleFromSource(outputs, "/virtual/outputs.ts").jacobian("outputs", [layers(), x], ["layers"]);
    expect(maxRelError(jacobian.flat(), tape.flat())).toBeLessThan(1e-12);
    const columns = centralDifferences((v) => (f(unflatten(v as number[]), x) as number[])[0]!, [flatten(layers())], [0])[0]!;
    expect(maxRelError(jacobian[0]!, columns)).toBeLessThan(1e-6);
    // The dot-product test: ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ with the generated fJvp and fVjp.
    const v = mapShape(layers(), (t) => Math.sin(7 * t + 1));
    const w = [0.3, -1.1, 0.7, 0.2];
    const jv = (built.generated.outputsJvp as Fn)(layers(), x, { layers: v }) as { tangent: number[] };
    const jtw = (built.generated.outputsVjp as Fn)(layers(), x, w) as { grad: { layers: Dense[] } };
    const left = jv.tangent.reduce((s, t, i) => s + t * w[i]!, 0);
    const right = flatten(v).reduce((s, t, i) => s + t * flatten(jtw.grad.layers)[i]!, 0);
    expect(Math.abs(left - right)).toBeLessThan(1e-12 * Math.max(1, Math.abs(left)));
    expect(maxRelError(jv.tangent, jacobian.map((row) => row.reduce((s, j, k) => s + j * flatten(v)[k]!, 0)))).toBeLessThan(1e-12);
  });

  it("the dense Hessian over Dense[]: exactly symmetric, H·v is fHvp, columns are differences of the gradient", async () => {
    const built = await build(`
export interface Dense {
  w: number[][];
  b: number[];
}
/**
 * @grad layers
 * @hvp layers
 * @hessian layers
 */
export function energy(layers: Dense[], x: readonly number[]): number {
  let s = 0;
  for (const { w, b } of layers) for (let i = 0; i < w.length; i++) s += b[i] * Math.tanh(w[i][0] * x[0] + w[i][1] * x[1] + b[i]);
  return s;
}
`);
    const { hessian } = (built.generated.energyHessian as Fn)(layers(), x) as { hessian: number[][] };
    const n = flatten(layers()).length;
    expect(hessian).toHaveLength(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(hessian[i]![j]).toBe(hessian[j]![i]);
    const v = mapShape(layers(), (t) => Math.cos(3 * t + 0.5));
    const hv = flatten(((built.generated.energyHvp as Fn)(layers(), x, { layers: v }) as { hvp: { layers: Dense[] } }).hvp.layers);
    expect(maxRelError(hv, hessian.map((row) => row.reduce((s, h, k) => s + h * flatten(v)[k]!, 0)))).toBeLessThan(1e-12);
    const gradAt = (values: number[]) => flatten(((built.generated.energyGrad as Fn)(unflatten(values), x) as { grad: { layers: Dense[] } }).grad.layers);
    const base = flatten(layers());
    for (const k of [0, 5, n - 1]) {
      const h = 1e-6;
      const column = gradAt(base.map((t, i) => (i === k ? t + h : t))).map((g, i) => (g - gradAt(base.map((t, j) => (j === k ? t - h : t)))[i]!) / (2 * h));
      expect(maxRelError(hessian.map((row) => row[k]!), column)).toBeLessThan(1e-6);
    }
  });

  it("gives the gradient as the user's array of records and writes into the caller's buffers in place", async () => {
    const built = await build(`
export interface Dense {
  w: number[][];
  b: number[];
}
/** @grad layers */
export function energy(layers: Dense[], x: readonly number[]): number {
  let s = 0;
  for (const { w, b } of layers) for (let i = 0; i < w.length; i++) s += b[i] * Math.tanh(w[i][0] * x[0] + w[i][1] * x[1]);
  return s;
}
`);
    const grad = { layers: layers().map((l) => ({ w: l.w.map((r) => r.map(() => NaN)), b: l.b.map(() => NaN) })) };
    const rows = grad.layers.map((l) => [l, l.w, l.w[0], l.b]);
    const value = (built.generated.energyGradInto as Fn)(layers(), x, grad);
    expect(value).toBe((built.source.energy as Fn)(layers(), x));
    // The same objects, now holding the gradient: nothing was reallocated or copied.
    grad.layers.forEach((l, k) => [l, l.w, l.w[0], l.b].forEach((o, j) => expect(o).toBe(rows[k]![j])));
    const fresh = (built.generated.energyGrad as Fn)(layers(), x) as { grad: { layers: Dense[] } };
    expect(fresh.grad.layers).toEqual(grad.layers);
    expect(Object.keys(fresh.grad.layers[0]!)).toEqual(["w", "b"]);
    const fd = centralDifferences((v) => (built.source.energy as Fn)(unflatten(v as number[]), x) as number, [flatten(layers())], [0])[0]!;
    expect(maxRelError(flatten(fresh.grad.layers), fd)).toBeLessThan(1e-6);
    // Reads like hand-written code: the records' own fields, the user's type in the signature.
    expect(built.text).toMatch(/export function energyGradInto\(\s*layers: Dense\[\],\s*x: readonly number\[\],\s*grad: EnergyGradient,?\s*\): number \{/);
    expect(built.text).toContain("export type EnergyGradient = { layers: { w: number[][]; b: number[] }[] };");
    expect(built.text).toMatch(/const w = layers\[layer_i\]\.w;/);
    expect(built.text).toMatch(/const b_bar = layers_bar\[layer_i\]\.b;/);
    expect(built.text).not.toMatch(/layers\.w|layers_w_bar|grad\.layers\.w/);
  });

  it("reports records with other fields, nested objects and arrays of arrays at the parameter, with what to do", async () => {
    const text = `export interface Layer {
  w: number[];
  name: string;
}
export interface Block {
  inner: { w: number[] };
}
/** @grad layers */
export function named(layers: Layer[], x: number[]): number {
  return layers[0].w[0] * x[0];
}
/** @grad blocks */
export function nested(blocks: Block[]): number {
  return blocks[0].inner.w[0];
}
/** @grad grid */
export function grid(grid: { w: number }[][]): number {
  return grid[0][0].w;
}
`;
    const { diagnostics, files } = await compileSources([{ path: "bad.ts", text }]);
    expect(files).toEqual([]);
    expect(diagnostics.map((d) => `${d.line}:${d.column} TSG${d.code} ${d.message}`)).toEqual([
      "9:23 TSG2002 @grad names 'layers', an array of objects that cannot be differentiated: field 'name' of its objects is a string; objects in an array may hold only numbers and numeric arrays (pass the other fields as a separate parameter)",
      "13:24 TSG2002 @grad names 'blocks', an array of objects that cannot be differentiated: field 'inner' of its objects is an object; objects in an array may hold only numbers and numeric arrays (move the fields of 'inner' into the object itself)",
      "17:22 TSG2002 @grad names 'grid', an array of objects that cannot be differentiated: it is an array of arrays of objects; pass one array of objects (flatten the outer array into it, or pass each as a parameter)",
    ]);
  });

  it("says that the sparse drivers do not take arrays of records yet, at the parameter", async () => {
    const text = `type Neuron = { w: number[]; bias: number };
/** @hessian neurons sparse */
export function f(neurons: Neuron[]): number {
  return neurons[0].bias * neurons[0].w[0];
}
`;
    const { diagnostics } = await compileSources([{ path: "sparse.ts", text }]);
    expect(diagnostics.map((d) => `${d.line}:${d.column} TSG${d.code} ${d.message}`)).toEqual([
      "3:19 TSG2002 @hessian sparse does not take 'neurons', an array of objects, yet; drop 'sparse' (the dense @hessian takes it) or leave 'neurons' out of the tag",
    ]);
  });

  it("debug builds check that the gradient's array of records is not the parameter itself", async () => {
    const source = `export interface Dense {
  w: number[];
  b: number;
}
/** @grad layers */
export function f(layers: Dense[], x: number): number {
  let s = 0;
  for (const { w, b } of layers) s += Math.sin(w[0] * x + b);
  return s;
}
`;
    const debug = await build(source, { debug: true });
    const release = await build(source);
    const args = () => [[{ w: [0.5, 1], b: 0.2 }, { w: [-0.3, 2], b: 0.1 }], 0.7];
    expect((debug.generated.fGrad as Fn)(...args())).toEqual((release.generated.fGrad as Fn)(...args()));
    const [layers, x] = args();
    expect(() => (debug.generated.fGradInto as Fn)(layers, x, { layers })).toThrow("tsgrad: 'layers' and 'grad.layers' are the same array");
  });

  it("says which reads of an array of records it supports", async () => {
    const text = `export interface Dense {
  w: number[];
  b: number;
}
/** @grad layers */
export function f(layers: Dense[]): number {
  return layers.w[0];
}
`;
    const { diagnostics } = await compileSources([{ path: "at.ts", text }]);
    expect(diagnostics.map((d) => `${d.line}:${d.column} TSG${d.code}`)).toEqual(["7:17 TSG3002"]);
    expect(diagnostics[0]!.message).toBe("'.w' of an array of objects cannot be read here: tsgrad reads its '.length', its elements ('layers[i].w') and loops over it ('for (const { w, b } of layers)')");
  });
});

describe("tsgrad verify on an array of records", () => {
  it("guesses an array of records when there is no <name>Inputs, and checks every mode", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-records-"));
    try {
      mkdirSync(path.join(root, "src"));
      writeFileSync(
        path.join(root, "src", "net.ts"),
        `export interface Neuron {
  w: number[];
  bias: number;
}
/**
 * @grad
 * @hvp neurons
 * @jvp neurons
 * @vjp neurons
 */
export function net(neurons: Neuron[], x: number[]): number {
  let s = 0;
  for (const { w, bias } of neurons) {
    let z = bias;
    for (let k = 0; k < x.length; k++) z += w[k] * x[k];
    s += Math.log1p(Math.exp(z));
  }
  return s;
}
`,
      );
      let stdout = "";
      const run = (...argv: string[]) => main(argv, { cwd: root, stdout: (t) => void (stdout += t), stderr: (t) => void (stdout += t), color: false, pid: 4242 });
      expect(await run("build", "src")).toBe(0);
      expect(await run("verify", "src")).toBe(0);
      for (const mode of ["grad", "hvp", "jvp·vjp"]) expect(stdout).toMatch(new RegExp(`net\\s+${mode}\\s+3\\s+\\S+\\s+ok`));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** The Dense[] of `layers()`'s shape holding `values` in flat order. */
function unflatten(values: number[]): Dense[] {
  let k = 0;
  return mapShape(layers(), () => values[k++]!);
}
