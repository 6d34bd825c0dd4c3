/**
 * Samples register themselves for every mode, not only @grad: each function tagged
 * @jvp, @vjp, @jacobian, @hvp or @hessian in samples/*.ts is checked on its fInputs():
 *
 *   @jvp       value === f(...) bit for bit; J·v against central differences of f along v
 *              (h = 1e-6, rel 1e-6) and against the tape runtime (rel 1e-12)
 *   @vjp       the dot-product test ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ against fJvp (rel 1e-12), or against
 *              central differences of ⟨f, w⟩ when there is no fJvp (rel 1e-6); the tape (1e-12)
 *   @jacobian  columns against fJvp / rows against fVjp when they exist (1e-12), and
 *              against central differences (1e-6)
 *   @hvp       H·v against central differences of fGrad along v (1e-6) and the tape (1e-12)
 *   @hessian   exactly symmetric; H·v equals fHvp(v) (1e-12); columns against central
 *              differences of the gradient (1e-6); `sparse`: the same of fHessianSparse's
 */
import { describe, expect, it } from "vitest";
import { discoverAnnotated, listSampleSources, type AnnotatedFunction } from "./harness/discover.ts";
import { getFn, loadGenerated, loadSource, loadTape, type Module } from "./harness/load.ts";
import { differenceAlong, flatten, maxRelError, rng } from "./harness/numeric.ts";
import { mapShape, zerosLike } from "./harness/shapes.ts";

type Fn = (...args: unknown[]) => unknown;
const annotated = discoverAnnotated(listSampleSources());
const modes = ["jvp", "vjp", "jacobian", "hvp", "hessian"] as const;
const next = rng(2026);

/** The wrt names of a tag, without options such as bandwidth=1 or diagonal. */
function wrtOf(a: AnnotatedFunction): string[] {
  return a.wrt.filter((w) => !w.includes("=") && w !== "diagonal" && w !== "sparse");
}

/** A compressed sparse matrix (fHessianSparse, fJacobianSparse) as a dense one. */
function densified(m: { rows: number; columns: number; rowPointers: Int32Array; columnIndices: Int32Array; values: Float64Array }): number[][] {
  const out = Array.from({ length: m.rows }, () => new Array<number>(m.columns).fill(0));
  for (let i = 0; i < m.rows; i++) for (let k = m.rowPointers[i]!; k < m.rowPointers[i + 1]!; k++) out[i]![m.columnIndices[k]!] = m.values[k]!;
  return out;
}

/** The dense Hessian of a sample: fHessian, or fHessianSparse's densified for `@hessian x sparse`. */
function hessianOf(a: AnnotatedFunction, generated: Module, args: unknown[]): number[][] {
  if (!a.wrt.includes("sparse")) return ((getFn(generated, `${a.name}Hessian`, a.file) as Fn)(...args) as { hessian: number[][] }).hessian;
  return densified(((getFn(generated, `${a.name}HessianSparse`, a.file) as Fn)(...args) as { hessian: Parameters<typeof densified>[0] }).hessian);
}

function randomLike<T>(v: T): T {
  return mapShape(v, () => 2 * next() - 1);
}

/** x + t·d, shape by shape. */
function step(x: unknown, d: unknown, t: number): unknown {
  if (typeof x === "number") return x + t * (d as number);
  if (x instanceof Float64Array) return x.map((xi, i) => xi + t * (d as Float64Array)[i]!);
  if (Array.isArray(x)) return x.map((xi, i) => step(xi, (d as unknown[])[i], t));
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, xi]) => [k, step(xi, (d as Record<string, unknown>)[k], t)]));
  return x;
}

function dot(a: unknown, b: unknown): number {
  const fa = flatten(a);
  const fb = flatten(b);
  return fa.reduce((s, x, i) => s + x * fb[i]!, 0);
}

const H = 1e-6;

/** Central difference of g along the direction record (wrt params moved by ±h·dir). */
function directional(g: (args: unknown[]) => unknown, args: unknown[], params: string[], dir: Record<string, unknown>): number[] {
  const moved = (t: number) => args.map((a, i) => (params[i]! in dir ? step(a, dir[params[i]!], t) : a));
  return differenceAlong((t) => flatten(g(moved(t))), H);
}

interface Case {
  a: AnnotatedFunction;
  source: Module;
  generated: Module;
  args: unknown[];
  wrt: string[];
}

async function load(a: AnnotatedFunction): Promise<Case> {
  const source = await loadSource(a.file);
  const generated = await loadGenerated(a.file);
  const args = (getFn(source, `${a.name}Inputs`, a.file) as () => unknown[])();
  return { a, source, generated, args, wrt: wrtOf(a) };
}

describe("samples in every mode", () => {
  for (const mode of modes) {
    for (const a of annotated.filter((x) => x.tag === mode)) {
      const has = (tag: string) => annotated.some((x) => x.file === a.file && x.name === a.name && x.tag === tag);
      describe(`${a.module}: ${a.name} (@${mode} ${wrtOf(a).join(", ")})`, () => {
        if (mode === "jvp") {
          it("J·v matches central differences and the tape; value is the primal", async () => {
            const c = await load(a);
            const dir = Object.fromEntries(c.wrt.map((w) => [w, randomLike(c.args[a.params.indexOf(w)])]));
            const out = (getFn(c.generated, `${a.name}Jvp`, a.file) as Fn)(...c.args, dir) as { value: unknown; tangent: unknown };
            const f = getFn(c.source, a.name, a.file) as Fn;
            expect(flatten(out.value)).toEqual(flatten(f(...c.args)));
            expect(maxRelError(flatten(out.tangent), directional((x) => f(...x), c.args, a.params, dir))).toBeLessThan(1e-6);
            const tape = await loadTape(a.file);
            const t = (await (tape as unknown as { jvp: Fn }).jvp(a.name, c.args, dir, c.wrt)) as { tangent: unknown };
            expect(maxRelError(flatten(out.tangent), flatten(t.tangent), 1e-3)).toBeLessThan(1e-12);
          });
        }
        if (mode === "vjp") {
          it("Jᵀ·w passes the dot-product test and matches the tape", async () => {
            const c = await load(a);
            const f = getFn(c.source, a.name, a.file) as Fn;
            const w = randomLike(f(...c.args));
            const out = (getFn(c.generated, `${a.name}Vjp`, a.file) as Fn)(...c.args, w) as { value: unknown; grad: Record<string, unknown> };
            const dir = Object.fromEntries(c.wrt.map((p) => [p, randomLike(c.args[a.params.indexOf(p)])]));
            const rhs = c.wrt.reduce((s, p) => s + dot(dir[p], out.grad[p]), 0);
            if (has("jvp")) {
              const jv = (getFn(c.generated, `${a.name}Jvp`, a.file) as Fn)(...c.args, dir) as { tangent: unknown };
              const lhs = dot(jv.tangent, w);
              expect(Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs))).toBeLessThan(1e-12);
            } else {
              const lhs = directional((x) => dot(f(...x), w), c.args, a.params, dir)[0]!;
              expect(Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs))).toBeLessThan(1e-6);
            }
            const tape = await loadTape(a.file);
            const t = (await (tape as unknown as { vjp: Fn }).vjp(a.name, c.args, w, c.wrt)) as { grad: Record<string, unknown> };
            for (const p of c.wrt) expect(maxRelError(flatten(out.grad[p]), flatten(t.grad[p]), 1e-3)).toBeLessThan(1e-12);
          });
        }
        if (mode === "jacobian") {
          it("columns match fJvp and central differences", async () => {
            const c = await load(a);
            const f = getFn(c.source, a.name, a.file) as Fn;
            const { jacobian, value } = (getFn(c.generated, `${a.name}Jacobian`, a.file) as Fn)(...c.args) as { jacobian: number[][]; value: unknown };
            expect(flatten(value)).toEqual(flatten(f(...c.args)));
            const sizes = c.wrt.map((p) => flatten(c.args[a.params.indexOf(p)]).length);
            expect(jacobian[0]!.length).toBe(sizes.reduce((s, n) => s + n, 0));
            // Column k against the central difference along e_k.
            let k = 0;
            for (const p of c.wrt) {
              const x = c.args[a.params.indexOf(p)];
              for (let j = 0; j < flatten(x).length; j++, k++) {
                let u = 0;
                const unit = mapShape(x, () => (u++ === j ? 1 : 0));
                const dir = Object.fromEntries(c.wrt.map((q) => [q, q === p ? unit : zerosLike(c.args[a.params.indexOf(q)])]));
                const column = jacobian.map((row) => row[k]!);
                expect(maxRelError(column, directional((args) => f(...args), c.args, a.params, dir))).toBeLessThan(1e-6);
              }
            }
          });
        }
        if (mode === "hvp") {
          it("H·v matches central differences of the gradient and the tape", async () => {
            const c = await load(a);
            const v = Object.fromEntries(c.wrt.map((p) => [p, randomLike(c.args[a.params.indexOf(p)])]));
            const out = (getFn(c.generated, `${a.name}Hvp`, a.file) as Fn)(...c.args, v) as { hvp: Record<string, unknown>; grad: Record<string, unknown> };
            const hvpFn = getFn(c.generated, `${a.name}Hvp`, a.file) as Fn;
            const gradAt = (args: unknown[]) => c.wrt.map((p) => ((hvpFn(...args, v) as { grad: Record<string, unknown> }).grad[p]));
            const fd = directional(gradAt, c.args, a.params, v);
            expect(maxRelError(c.wrt.flatMap((p) => flatten(out.hvp[p])), fd)).toBeLessThan(1e-6);
            const tape = await loadTape(a.file);
            const t = (await (tape as unknown as { hvp: Fn }).hvp(a.name, c.args, v, c.wrt)) as { hvp: Record<string, unknown> };
            for (const p of c.wrt) expect(maxRelError(flatten(out.hvp[p]), flatten(t.hvp[p]), 1e-3)).toBeLessThan(1e-12);
          });
        }
        if (mode === "hessian") {
          it("is symmetric and agrees with HVPs and central differences of the gradient", async () => {
            const c = await load(a);
            const hessian = hessianOf(a, c.generated, c.args);
            const n = hessian.length;
            for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(hessian[i]![j]).toBe(hessian[j]![i]);
            const v = Object.fromEntries(c.wrt.map((p) => [p, randomLike(c.args[a.params.indexOf(p)])]));
            const flatV = c.wrt.flatMap((p) => flatten(v[p]));
            const Hv = hessian.map((row) => row.reduce((s, h, j) => s + h * flatV[j]!, 0));
            if (has("hvp")) {
              const out = (getFn(c.generated, `${a.name}Hvp`, a.file) as Fn)(...c.args, v) as { hvp: Record<string, unknown> };
              expect(maxRelError(c.wrt.flatMap((p) => flatten(out.hvp[p])), Hv, 1e-3)).toBeLessThan(1e-12);
            }
            if (has("grad")) {
              const gradFn = getFn(c.generated, `${a.name}Grad`, a.file) as Fn;
              const gradAt = (args: unknown[]) => c.wrt.map((p) => (gradFn(...args) as { grad: Record<string, unknown> }).grad[p]);
              expect(maxRelError(Hv, directional(gradAt, c.args, a.params, v))).toBeLessThan(1e-6);
            }
          });
        }
      });
    }
  }
});
