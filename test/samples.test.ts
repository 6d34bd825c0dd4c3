/**
 * Samples register themselves: every `@grad` function found in `samples/*.ts` (by
 * test/support/discover, not by the compiler) is loaded with its generated `.grad.ts`
 * and checked on its `fInputs()` arguments:
 *
 *   (a) fGrad against the tape runtime (an independent oracle): 1e-12 relative;
 *   (b) fGrad against fourth-order central differences, step h = 2e-5·max(1, |x|):
 *       1e-6 relative;
 *   (c) fGrad(...).value === f(...), bit for bit;
 *   (d) fGradInto into zeroed buffers gives fGrad's gradient, and a second call adds
 *       the same gradient again (2×), returning f's value both times;
 *   (e) none of these calls mutates its inputs.
 *
 * Relative errors use the denominator max(|expected_k|, FLOOR · max_j |expected_j|), so
 * entries that are near zero by cancellation are judged against the gradient's scale.
 * Also: the generated files in samples/ are exactly the sources that have annotations.
 */
import { describe, expect, it } from "vitest";
import {
  discoverAnnotated,
  generatedPathFor,
  listGeneratedFiles,
  listSampleSources,
  SAMPLES_DIR,
  type AnnotatedFunction,
} from "./support/discover.ts";
import { centralDifferences, DEFAULT_REL_STEP } from "./support/fd.ts";
import { getFn, loadGenerated, loadSource, loadTape, type GradResult, type Module } from "./support/load.ts";
import { compareRecords, deepClone, describeShape, exactlyEqual, mapShape, zerosLike } from "./support/shapes.ts";

const TAPE_TOL = { rel: 1e-12, floorScale: 1e-3 };
const FD_TOL = { rel: 1e-6, floorScale: 1e-3 };
const INTO_TOL = { rel: 1e-14, floorScale: 1e-3 };

const annotated = discoverAnnotated(listSampleSources());
const gradFunctions = annotated.filter((a) => a.tag === "grad");

interface Loaded {
  f: (...args: unknown[]) => number;
  grad: (...args: unknown[]) => GradResult;
  gradInto: (...args: unknown[]) => number;
  inputs: () => unknown[];
}

const cache = new Map<string, Promise<{ source: Module; generated: Module }>>();
function modulesOf(file: string) {
  let p = cache.get(file);
  if (!p) {
    p = (async () => ({ source: await loadSource(file), generated: await loadGenerated(file) }))();
    cache.set(file, p);
  }
  return p;
}

async function load(fn: AnnotatedFunction): Promise<Loaded> {
  const { source, generated } = await modulesOf(fn.file);
  const src = `samples/${fn.module}.ts`;
  const gen = `samples/${fn.module}.grad.ts`;
  return {
    f: getFn(source, fn.name, src) as Loaded["f"],
    inputs: getFn(source, `${fn.name}Inputs`, src) as Loaded["inputs"],
    grad: getFn(generated, `${fn.name}Grad`, gen) as Loaded["grad"],
    gradInto: getFn(generated, `${fn.name}GradInto`, gen) as Loaded["gradInto"],
  };
}

/** Zeroed buffers of the wrt parameters' shapes, as fGradInto expects. */
function zeroGrad(fn: AnnotatedFunction, args: unknown[]): Record<string, unknown> {
  return Object.fromEntries(fn.wrt.map((name) => [name, zerosLike(args[fn.params.indexOf(name)])]));
}

describe("sample registry", () => {
  it("finds annotated samples, each with example inputs", async () => {
    expect(gradFunctions.length).toBeGreaterThan(0);
    for (const fn of gradFunctions) {
      const source = await loadSource(fn.file);
      expect(typeof source[`${fn.name}Inputs`], `${fn.module}.${fn.name}Inputs`).toBe("function");
      for (const w of fn.wrt) expect(fn.params, `${fn.name}: @grad names ${w}`).toContain(w);
    }
  });

  it("the generated files are exactly the sources that have annotations", () => {
    const expected = [...new Set(annotated.map((a) => generatedPathFor(a.file)))].sort();
    expect(listGeneratedFiles(SAMPLES_DIR)).toEqual(expected);
  });
});

for (const fn of gradFunctions) {
  describe(`${fn.module}: ${fn.name} (@grad ${fn.wrt.join(", ")})`, () => {
    it("value equals the primal exactly", async () => {
      const { f, grad, inputs } = await load(fn);
      const args = inputs();
      const value = f(...deepClone(args));
      expect(Number.isFinite(value)).toBe(true);
      expect(Object.is(grad(...deepClone(args)).value, value)).toBe(true);
    });

    it("gradient has one field per wrt parameter, of that parameter's shape", async () => {
      const { grad, inputs } = await load(fn);
      const args = inputs();
      const g = grad(...deepClone(args)).grad;
      expect(Object.keys(g).sort()).toEqual([...fn.wrt].sort());
      for (const name of fn.wrt) {
        expect(describeShape(g[name]), name).toBe(describeShape(args[fn.params.indexOf(name)]));
      }
    });

    it(`matches the tape runtime (rel ${TAPE_TOL.rel})`, async () => {
      const { grad, inputs } = await load(fn);
      const args = inputs();
      const tape = await loadTape(fn.file);
      const oracle = await tape.grad(fn.name, deepClone(args), [...fn.wrt]);
      const mine = grad(...deepClone(args));
      expect(Object.is(mine.value, oracle.value) || Math.abs(mine.value - oracle.value) <= 1e-12 * Math.abs(oracle.value)).toBe(true);
      const c = compareRecords(mine.grad, oracle.grad, TAPE_TOL);
      expect(c.ok, c.message).toBe(true);
    });

    it(`matches central differences (h = ${DEFAULT_REL_STEP}·max(1,|x|), rel ${FD_TOL.rel})`, async () => {
      const { f, grad, inputs } = await load(fn);
      const args = inputs();
      const fd = centralDifferences(f, args, fn.params, fn.wrt);
      const c = compareRecords(grad(...deepClone(args)).grad, fd, FD_TOL);
      expect(c.ok, c.message).toBe(true);
    });

    it("GradInto adds the gradient into the caller's buffers", async () => {
      const { f, grad, gradInto, inputs } = await load(fn);
      const args = inputs();
      const value = f(...deepClone(args));
      const reference = grad(...deepClone(args)).grad;
      const buffers = zeroGrad(fn, args);
      const held = { ...buffers };
      expect(Object.is(gradInto(...deepClone(args), buffers), value)).toBe(true);
      const once = compareRecords(buffers, reference, INTO_TOL);
      expect(once.ok, `first call: ${once.message}`).toBe(true);
      // Array buffers are filled in place, not replaced.
      for (const name of fn.wrt) if (typeof held[name] !== "number") expect(buffers[name]).toBe(held[name]);
      expect(Object.is(gradInto(...deepClone(args), buffers), value)).toBe(true);
      const doubled = Object.fromEntries(Object.entries(reference).map(([k, v]) => [k, mapShape(v, (x) => 2 * x)]));
      const twice = compareRecords(buffers, doubled, INTO_TOL);
      expect(twice.ok, `second call: ${twice.message}`).toBe(true);
    });

    it("does not mutate its inputs", async () => {
      const { f, grad, gradInto, inputs } = await load(fn);
      const args = inputs();
      const before = deepClone(args);
      f(...args);
      grad(...args);
      gradInto(...args, zeroGrad(fn, args));
      args.forEach((a, i) => {
        if (typeof a === "number") return;
        expect(exactlyEqual(a, before[i]), `${fn.params[i]} was modified`).toBe(true);
      });
    });
  });
}
