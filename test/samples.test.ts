/**
 * Samples register themselves: every `@grad` function found in `samples/*.ts` (by
 * test/harness/discover, not by the compiler) is loaded with its generated `.grad.ts`
 * and checked on its `fInputs()` arguments:
 *
 *   (a) fGrad against the tape runtime (an independent oracle): 1e-12 relative;
 *   (b) fGrad against fourth-order central differences, step h = 2e-5·max(1, |x|):
 *       1e-6 relative;
 *   (c) fGrad(...).value === f(...), bit for bit;
 *   (d) fGradInto into buffers full of NaN gives fGrad's gradient (it overwrites them),
 *       and so does a second call, returning f's value both times;
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
} from "./harness/discover.ts";
import { centralDifferences, DEFAULT_REL_STEP } from "./harness/fd.ts";
import { getFn, loadGenerated, loadSource, loadTape, type GradResult, type Module } from "./harness/load.ts";
import { compareRecords, deepClone, describeShape, exactlyEqual, mapShape, zerosLike } from "./harness/shapes.ts";

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

/** Buffers of the wrt parameters' shapes full of NaN: whatever an overwriting entry point fails to set shows. */
function garbage(record: Record<string, unknown>): Record<string, unknown> {
  return mapShape(record, () => NaN);
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

    it("GradInto overwrites the caller's buffers, whatever they held", async () => {
      const { f, grad, gradInto, inputs } = await load(fn);
      const args = inputs();
      const value = f(...deepClone(args));
      const reference = grad(...deepClone(args)).grad;
      // NaN everywhere: any element the generated code adds into instead of setting stays NaN.
      const buffers = garbage(zeroGrad(fn, args));
      const held = { ...buffers };
      expect(Object.is(gradInto(...deepClone(args), buffers), value)).toBe(true);
      const once = compareRecords(buffers, reference, INTO_TOL);
      expect(once.ok, `first call: ${once.message}`).toBe(true);
      // Array buffers are filled in place, not replaced.
      for (const name of fn.wrt) if (typeof held[name] !== "number") expect(buffers[name]).toBe(held[name]);
      // A second call into the same (now full) buffers gives the same gradient, not twice it.
      expect(Object.is(gradInto(...deepClone(args), buffers), value)).toBe(true);
      const again = compareRecords(buffers, reference, INTO_TOL);
      expect(again.ok, `second call: ${again.message}`).toBe(true);
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

// fHvpInto overwrites `grad` and `hvp` too: into NaN-filled buffers it gives fHvp's result.
for (const fn of annotated.filter((a) => a.tag === "hvp")) {
  describe(`${fn.module}: ${fn.name} (@hvp ${fn.wrt.join(", ")})`, () => {
    it("HvpInto overwrites the caller's grad and hvp buffers", async () => {
      const { source, generated } = await modulesOf(fn.file);
      const gen = `samples/${fn.module}.grad.ts`;
      const inputs = getFn(source, `${fn.name}Inputs`, `samples/${fn.module}.ts`) as () => unknown[];
      const hvp = getFn(generated, `${fn.name}Hvp`, gen) as (...args: unknown[]) => { value: number; grad: unknown; hvp: unknown };
      const hvpInto = getFn(generated, `${fn.name}HvpInto`, gen) as (...args: unknown[]) => number;
      const args = inputs();
      let k = 0;
      const v = mapShape(zeroGrad(fn, args), () => Math.sin(++k));
      const reference = hvp(...deepClone(args), deepClone(v));
      for (let call = 0; call < 2; call++) {
        const [g, h] = [garbage(zeroGrad(fn, args)), garbage(zeroGrad(fn, args))];
        if (call === 1) Object.assign(g, deepClone(reference.grad as object)), Object.assign(h, deepClone(reference.hvp as object));
        expect(Object.is(hvpInto(...deepClone(args), deepClone(v), g, h), reference.value)).toBe(true);
        for (const [mine, theirs, what] of [[g, reference.grad, "grad"], [h, reference.hvp, "hvp"]] as const) {
          const c = compareRecords(mine, theirs as Record<string, unknown>, INTO_TOL);
          expect(c.ok, `call ${call + 1}, ${what}: ${c.message}`).toBe(true);
        }
      }
    });
  });
}
