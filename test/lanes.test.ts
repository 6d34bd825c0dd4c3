/**
 * The vector (width-k) sweeps (compiler/modes/lanes.ts, transform/lanes.ts) on every sample
 * tagged @hessian or @jacobian:
 *
 *   fHvpLanesInto   lane d of one sweep equals fHvpInto along direction d bit for bit
 *                   (value, gradient and H·v), at widths 1, 3 and 8, into NaN-filled buffers
 *   fHessian        the same matrix bit for bit at every width, equal to the one assembled
 *                   here from fHvpInto columns (the one-direction driver), and the tape's
 *   fJacobian       the same matrix bit for bit at every width; columns equal fJvp's bit for
 *                   bit where the sample has @jvp; the tape's (1e-12)
 *
 * Plus the tag option `width=K` (the drivers' default) and its diagnostics.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { discoverAnnotated, listSampleSources, type AnnotatedFunction } from "./harness/discover.ts";
import { getFn, loadGenerated, loadSource, loadTape } from "./harness/load.ts";
import { maxRelError, rng } from "./harness/numeric.ts";
import { mapShape, zerosLike } from "./harness/shapes.ts";
import { laneOf, nanLanes, toLanes } from "./harness/lanes.ts";
import { compileSources } from "../compiler/pipeline.ts";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import * as b from "../compiler/ir/build.ts";
import type { Stmt } from "../compiler/ir/nodes.ts";
import { rebuiltTangents } from "../compiler/transform/forward.ts";

type Fn = (...args: unknown[]) => unknown;
const annotated = discoverAnnotated(listSampleSources());
const next = rng(23);

const options = (a: AnnotatedFunction) => a.wrt.filter((w) => w.includes("=") || w === "diagonal");
const wrtOf = (a: AnnotatedFunction) => a.wrt.filter((w) => !w.includes("=") && w !== "diagonal" && w !== "sparse");

/** Every number of a value (typed arrays of any kind, arrays, records), row-major. */
function flat(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (ArrayBuffer.isView(v)) out.push(...Array.from(v as unknown as ArrayLike<number>));
  else if (Array.isArray(v)) for (const x of v) flat(x, out);
  else for (const x of Object.values(v as object)) flat(x, out);
  return out;
}

/** Bit for bit (NaN equals NaN, and 0 is not -0). */
function expectSameBits(got: number[], want: number[], what: string) {
  expect(got.length, what).toBe(want.length);
  const differs = got.findIndex((x, k) => !Object.is(x, want[k]));
  expect(differs, `${what}: entry ${differs}: ${got[differs]} vs ${want[differs]}`).toBe(-1);
}

async function load(a: AnnotatedFunction) {
  const source = await loadSource(a.file);
  const generated = await loadGenerated(a.file);
  const args = (getFn(source, `${a.name}Inputs`, a.file) as () => unknown[])();
  const wrt = wrtOf(a);
  const like = Object.fromEntries(wrt.map((p) => [p, args[a.params.indexOf(p)]]));
  return { generated, args, wrt, like, gen: (suffix: string) => getFn(generated, `${a.name}${suffix}`, a.file) as Fn };
}

// The dense drivers (a `sparse` tag generates the compressed ones instead: test/sparse.test.ts).
const hessians = annotated.filter((a) => a.tag === "hessian" && !a.wrt.includes("sparse"));
const jacobians = annotated.filter((a) => a.tag === "jacobian" && !a.wrt.includes("sparse"));

describe("vector forward-over-reverse (fHvpLanesInto) on every @hessian sample", () => {
  it("covers the samples", () => expect(hessians.length).toBeGreaterThanOrEqual(5));
  for (const a of hessians) {
    it(`${a.module}: ${a.name}: each lane is the one-direction HVP, bit for bit`, async () => {
      const c = await load(a);
      for (const k of [1, 3, 8]) {
        const directions = Array.from({ length: k }, () => mapShape(c.like, () => 2 * next() - 1));
        const grad = mapShape(c.like, () => NaN);
        const hvp = nanLanes(c.like, k);
        const value = c.gen("HvpLanesInto")(...c.args, toLanes(directions), grad, hvp, k);
        for (let d = 0; d < k; d++) {
          const [g1, h1] = [zerosLike(c.like), zerosLike(c.like)];
          const value1 = c.gen("HvpInto")(...c.args, directions[d], g1, h1);
          expect(Object.is(value, value1)).toBe(true);
          expectSameBits(flat(grad), flat(g1), `gradient, width ${k}`);
          expectSameBits(flat(laneOf(hvp, c.like, k, d)), flat(h1), `lane ${d} of width ${k}`);
        }
      }
    });

    it(`${a.module}: ${a.name}: fHessian is the same at every width, the one-direction driver's, and the tape's`, async () => {
      const c = await load(a);
      const hessianAt = (...width: number[]) => (c.gen("Hessian")(...c.args, ...width) as { value: number; grad: unknown; hessian: number[][] });
      const dense = hessianAt();
      for (const k of [1, 2, 5, 1000]) expectSameBits(hessianAt(k).hessian.flat(), dense.hessian.flat(), `width ${k}`);
      // The one-direction driver, written out here: one fHvpInto per colour, then (H + Hᵀ)/2.
      const n = flat(c.like).length;
      const band = options(a).includes("diagonal") ? 0 : Number(options(a).find((o) => o.startsWith("bandwidth="))?.slice(10) ?? n);
      const colors = Math.min(n, 2 * band + 1);
      const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
      for (let color = 0; color < colors; color++) {
        let flatIndex = 0;
        const v = mapShape(c.like, () => (flatIndex++ % colors === color ? 1 : 0));
        const [g, h] = [zerosLike(c.like), zerosLike(c.like)];
        const value = c.gen("HvpInto")(...c.args, v, g, h);
        expect(Object.is(value, dense.value)).toBe(true);
        const column = flat(h);
        for (let k = color; k < n; k += colors) for (let i = Math.max(0, k - band); i <= Math.min(n - 1, k + band); i++) H[i]![k] = column[i]!;
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) {
          const mean = 0.5 * (H[i]![j]! + H[j]![i]!);
          H[i]![j] = H[j]![i] = mean;
        }
      }
      expectSameBits(dense.hessian.flat(), H.flat(), "against the one-direction driver");
      const tape = (await loadTape(a.file)) as unknown as { hessian: (f: string, args: unknown[], wrt: string[]) => number[][] };
      const want = tape.hessian(a.name, c.args, c.wrt).flat();
      const scale = Math.max(1e-8, 1e-3 * Math.max(...want.map(Math.abs)));
      if (band >= n) expect(maxRelError(dense.hessian.flat(), want, scale)).toBeLessThan(1e-12);
    });
  }
});

describe("vector forward mode (fJacobian's sweeps) on every @jacobian sample", () => {
  it("covers the samples", () => expect(jacobians.length).toBeGreaterThanOrEqual(3));
  for (const a of jacobians) {
    it(`${a.module}: ${a.name}: the same Jacobian at every width, fJvp's columns bit for bit, the tape's`, async () => {
      const c = await load(a);
      const jacobianAt = (...width: number[]) => (c.gen("Jacobian")(...c.args, ...width) as { jacobian: number[][] }).jacobian;
      const J = jacobianAt();
      for (const k of [1, 2, 3, 64]) expectSameBits(jacobianAt(k).flat(), J.flat(), `width ${k}`);
      const n = flat(c.like).length;
      const m = J.length;
      if (n <= m && annotated.some((x) => x.file === a.file && x.name === a.name && x.tag === "jvp" && wrtOf(x).join() === c.wrt.join())) {
        for (let col = 0; col < n; col++) {
          let flatIndex = 0;
          const e = mapShape(c.like, () => (flatIndex++ === col ? 1 : 0));
          const { tangent } = c.gen("Jvp")(...c.args, e) as { tangent: unknown };
          expectSameBits(J.map((row) => row[col]!), flat(tangent), `column ${col} against fJvp`);
        }
      }
      const tape = (await loadTape(a.file)) as unknown as { jacobian: (f: string, args: unknown[], wrt: string[]) => number[][] };
      const want = tape.jacobian(a.name, c.args, c.wrt).flat();
      const scale = Math.max(1e-8, 1e-3 * Math.max(...want.map(Math.abs)));
      expect(maxRelError(J.flat(), want, scale)).toBeLessThan(1e-12);
    });
  }
});

describe("width=K", () => {
  const source = (tags: string) => `/**\n * ${tags}\n */\nexport function f(x: Float64Array): number {\n  let s = 0;\n  for (let i = 0; i < x.length; i++) s += Math.sin(x[i]) * x[(i + 1) % x.length];\n  return s;\n}\n`;
  it("sets the drivers' default, which a call can still override", async () => {
    const { files, diagnostics } = await compileSources([{ path: "/p/f.ts", text: source("@hessian x width=3") }]);
    expect(diagnostics).toEqual([]);
    expect(files[0]!.text).toMatch(/export function fHessian\(\s*x: Float64Array,\s*width: number = 3,?\s*\)/);
    const plain = await compileSources([{ path: "/p/f.ts", text: source("@hessian x") }]);
    expect(plain.files[0]!.text).toMatch(/width: number = 8/);
  });
  it("is known to @hessian and @jacobian only, and must be a positive integer", async () => {
    for (const [tags, message] of [
      ["@grad x width=3", "@grad does not take the option 'width=3'"],
      ["@hessian x width=0", "known: bandwidth=K, diagonal, sparse, width=K"],
    ] as const) {
      const { diagnostics } = await compileSources([{ path: "/p/f.ts", text: source(tags) }]);
      expect(diagnostics.map((d) => d.message).join("\n")).toContain(message);
    }
  });
});

describe("the shape of a vector sweep: one lane loop through saved blocks and branches", () => {
  // branchy: a branch whose primal part changes what its test reads (y crosses 0 at i = 1),
  // with tangent work inside it; saving: two tangents saved a step, popped as blocks, and a
  // branch on a saved decision (a's tangent reads y, which the step changes: not back where a
  // is popped; e's would need Math.pow again: costly); sigmoids: branches whose tangent work
  // reads a constant the branch declares (it stays in the branch); straight: blocks popped
  // outside any loop (through the stack's own size, no cursor); rebuilt: saved call results
  // whose tangents the reverse sweep rebuilds instead of saving them (a stable local, calls
  // inside a sum, a local assigned again).
  const SOURCE = `/**
 * @grad x
 * @hvp x
 * @hessian x
 */
export function branchy(x: Float64Array, p: number): number {
  let s = 0;
  let y = p;
  for (let i = 0; i < x.length; i++) {
    let z = x[i];
    if (y > 0) {
      y = y - 2;
      z = Math.exp(0.5 * x[i]) + y;
    }
    const a = Math.sqrt(1 + z * z);
    const e = Math.exp(0.3 * x[(i + 1) % x.length]);
    s += a * e;
  }
  return s;
}

/**
 * @grad x
 * @hvp x
 * @hessian x
 */
export function saving(x: Float64Array, p: number): number {
  let s = 0;
  let y = p;
  for (let i = 0; i < x.length; i++) {
    const a = Math.sqrt(1 + y * y * x[i] * x[i]);
    const e = Math.pow(1 + x[(i + 1) % x.length] * x[(i + 1) % x.length], 1.5);
    s += a * e;
    if (y > 0) {
      y = y - 2;
      s += Math.sin(x[i]) * y;
    } else {
      y = y + 1.5;
      s += x[i] * x[i] * x[i];
    }
  }
  return s;
}

/**
 * @grad x
 * @hvp x
 * @hessian x
 */
export function sigmoids(x: Float64Array, p: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const u = p * x[i];
    let q = 0;
    if (u >= 0) {
      q = 1 / (1 + Math.exp(-u));
    } else {
      const e = Math.exp(u);
      q = e / (1 + e);
    }
    s += Math.log(q) * x[(i + 1) % x.length];
  }
  return s;
}

/**
 * @grad x
 * @hvp x
 * @hessian x
 */
export function straight(x: Float64Array, p: number): number {
  let s = x[0] * x[1];
  s = Math.sin(s) * x[2];
  s = Math.exp(s) * x[3] + p;
  return s * s;
}

/**
 * @grad x
 * @hvp x
 * @hessian x
 */
export function rebuilt(x: Float64Array, p: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const u = p * x[i] - x[(i + 1) % x.length];
    const r = Math.sqrt(1 + u * u);
    s += r * Math.exp(0.5 * u) + Math.tanh(u);
    let q = Math.exp(-u);
    s += q * r;
    q = q * x[i];
    s += q;
  }
  return s * s;
}
`;
  const x = Float64Array.from([0.3, -0.7, 1.1, 0.2, -0.4, 0.9]);
  const v = { x: Float64Array.from([0.5, 0.25, -1, 0.75, -0.5, 1.5]) };

  for (const name of ["branchy", "saving", "sigmoids", "straight", "rebuilt"]) {
    it(`${name}: each lane is the one-direction HVP bit for bit, which is the tape's and the differences'`, async () => {
      const built = await build(SOURCE);
      await checkGradientAndHvp(built, name, [x, 3], ["x"], v);
      for (const k of [1, 3, 8]) {
        const directions = Array.from({ length: k }, (_, d) => ({ x: x.map((_, i) => Math.sin(3 * d + i + 1)) }));
        const grad = { x: new Float64Array(x.length).fill(NaN) };
        const hvp = nanLanes({ x }, k);
        const value = (built.generated[`${name}HvpLanesInto`] as Fn)(x, 3, toLanes(directions), grad, hvp, k);
        for (let d = 0; d < k; d++) {
          const [g1, h1] = [{ x: new Float64Array(x.length) }, { x: new Float64Array(x.length) }];
          const value1 = (built.generated[`${name}HvpInto`] as Fn)(x, 3, directions[d], g1, h1);
          expect(Object.is(value, value1)).toBe(true);
          expectSameBits(flat(grad), flat(g1), `gradient, width ${k}`);
          expectSameBits(flat(laneOf(hvp, { x }, k, d)), flat(h1), `lane ${d} of width ${k}`);
        }
      }
    });
  }

  it("runs one lane loop through a branch on a primal test, and pops a saved tangent's lanes with one move of the top", async () => {
    const { text } = await build(SOURCE);
    const branchy = generatedFunction(text, "branchyHvpLanesInto", false);
    // The branch's test is computed once, before the branch changes y; the lanes test that value.
    expect(branchy).toMatch(/const (_t\d+) = y > 0;\s*if \(\1\) \{\s*y -= 2;[^]*for \(let lane = 0; lane < width; lane\+\+\) \{[^}]*if \(\1\) \{/);
    const saving = generatedFunction(text, "savingHvpLanesInto", false);
    expect(saving).not.toMatch(/lane >= 0/);
    expect(saving.match(/savedTop -= width;\s*const (\w+Lanes) = savedTop;/g)).toHaveLength(2);
    expect(saving).toMatch(/a_dot\[lane\] = saved\[a_dotLanes \+ lane\];/);
    const straight = generatedFunction(text, "straightHvpLanesInto", false);
    expect(straight).toMatch(/const s_dotLanes\w* = \(valueStack\.size -= width\);\s*s = valueStack\.pop\(\);/);
    // A block whose lanes nobody reads is still popped; its lane loop, left empty, goes.
    expect(straight).toMatch(/valueStack\.size = valueStack\.size - width;\s*s = valueStack\.pop\(\);/);
    expect(straight).not.toMatch(/lane\+\+\) \{\}/);
  });

  it("rebuilds a saved call result's tangent in the reverse sweep instead of saving it too", async () => {
    const { text } = await build(SOURCE);
    const scalar = generatedFunction(text, "rebuiltHvpInto", false);
    // r, a stable local, is popped before the step's u is recomputed: its tangent follows u's.
    expect(scalar).toMatch(/const r = saved\[--savedTop\];[^]*const u_dot = [^;]*;\s*const r_dot = \(0\.5 \/ r\) \* \(2 \* u \* u_dot\);/);
    // The two calls of the sum, each where it is popped.
    expect(scalar).toMatch(/const _t2 = saved\[--savedTop\];\s*const _t2_dot = \(1 - _t2 \* _t2\) \* u_dot;\s*const _t1 = saved\[--savedTop\];\s*const _t1_dot = _t1 \* \(0\.5 \* u_dot\);/);
    // Only q's tangent stays saved: q is pushed twice (the call's result, and q's old value).
    expect(scalar.match(/saved\[savedTop\+\+\] = \w+_dot;/g)).toEqual(["saved[savedTop++] = q_dot;", "saved[savedTop++] = q_dot;"]);
    const lanes = generatedFunction(text, "rebuiltHvpLanesInto", false);
    expect(lanes.match(/const \w+Lanes = savedTop;/g)).toEqual(["const q_dotLanes = savedTop;", "const _t3_dotLanes = savedTop;"]);
    // Where the tangent's reads are not back (saving's a reads y, which the step changes) or it
    // needs a costly call again (e's Math.pow), it stays saved.
    const saving = generatedFunction(text, "savingHvpInto", false);
    expect(saving).toMatch(/const e_dot = saved\[--savedTop\];\s*const e = saved\[--savedTop\];\s*const a_dot = saved\[--savedTop\];\s*const a = saved\[--savedTop\];/);
    // The p-Laplacian's vector sweep (samples/pLaplacian.ts) saves only √s a cell: its forward sweep carries no lanes.
    const pLaplacian = generatedFunction(readFileSync(new URL("../samples/pLaplacian.grad.ts", import.meta.url), "utf8"), "pLaplacianHvpLanesInto");
    const forward = pLaplacian.slice(pLaplacian.indexOf("// forward sweep"), pLaplacian.indexOf("// reverse sweep"));
    expect(forward).toMatch(/saved\[savedTop\+\+\] = _t3;/);
    expect(forward).not.toMatch(/lane|_dot =/);
  });
});

describe("rebuiltTangents: which saved values' tangents forward-over-reverse rebuilds", () => {
  // The forward sweep's `const r = Math.sqrt(u); push(r)` and its reverse block, whose pop of r
  // comes before u is recomputed (a stable local saved at the end of its block).
  const sqrtU = b.call("Math.sqrt", [b.v("u")]);
  const forward: Stmt[] = [b.declare("u", b.mul(b.v("p"), b.num(2))), b.declare("r", sqrtU), b.push("values", b.v("r"))];
  const popR = b.declare("r", { kind: "pop", stack: "values", rebuild: sqrtU });
  const recomputeU = b.declare("u", b.mul(b.v("p"), b.num(2)));
  const loop = (body: Stmt[]): Stmt => ({ kind: "loop", form: "for", init: [b.declare("i", b.num(0), true)], test: b.bin("<", b.v("i"), b.num(3)), update: [], body });

  it("rebuilds after the pop once what the expression reads is declared", () => {
    const found = rebuiltTangents([loop(forward), loop([popR, recomputeU, b.declare("w", b.mul(b.v("r"), b.v("u")))])], ["p"]);
    expect(found).toEqual([{ pushed: "r", popped: "r", whole: sqrtU, after: recomputeU }]);
  });

  it("not where the popped value is read before that, where a read is never declared, or where the value is pushed twice", () => {
    const readFirst = b.declare("w", b.mul(b.v("r"), b.num(2)));
    expect(rebuiltTangents([loop(forward), loop([popR, readFirst, recomputeU])], ["p"])).toEqual([]);
    expect(rebuiltTangents([loop(forward), loop([popR, b.declare("w", b.v("r"))])], ["p"])).toEqual([]);
    expect(rebuiltTangents([loop([...forward, b.push("values", b.v("r"))]), loop([popR, recomputeU])], ["p"])).toEqual([]);
  });
});
