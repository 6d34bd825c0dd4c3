/** One check of a generated gradient and HVP against every oracle the suite has. */
import { expect } from "vitest";
import { pendingStackEntries } from "../../runtime/stack.ts";
import type { Built } from "./build.ts";
import { centralDifferences, clone, differenceAlong, flatten, maxRelError } from "./numeric.ts";
import { loadTape } from "./load.ts";
import { mapShape } from "./shapes.ts";

type Grad = (...a: unknown[]) => { value: number; grad: Record<string, unknown> };
type Hvp = (...a: unknown[]) => { value: number; hvp: Record<string, unknown> };

/**
 * `fn`'s generated gradient against its primal value, the tape (1e-12) and central
 * differences (1e-6), and its HVP along `v` against differences of the gradient (1e-6).
 * `wrt` names the leading parameters, in order; the stacks must balance after each call.
 * The Into forms, called with buffers full of NaN, must overwrite them with the same numbers.
 */
export async function checkGradientAndHvp(built: Built, fn: string, args: unknown[], wrt: string[], v: Record<string, unknown>): Promise<void> {
  const f = built.source[fn] as (...a: unknown[]) => number;
  const grad = built.generated[`${fn}Grad`] as Grad;
  const flat = (record: Record<string, unknown>) => wrt.flatMap((name) => flatten(record[name]));
  const result = grad(...clone(args));
  expect(pendingStackEntries()).toBe(0);
  expect(result.value).toBe(f(...clone(args)));
  const tape = await loadTape(built.sourcePath);
  const oracle = await tape.grad(fn, clone(args), wrt);
  expect(maxRelError(flat(result.grad), flat(oracle.grad))).toBeLessThan(1e-12);
  const nanGrad = () => Object.fromEntries(wrt.map((name) => [name, mapShape(result.grad[name], () => NaN)]));
  const into = nanGrad();
  (built.generated[`${fn}GradInto`] as (...a: unknown[]) => number)(...clone(args), into);
  expect(flat(into)).toEqual(flat(result.grad));
  const fd = centralDifferences(f, args, wrt.map((_, k) => k));
  expect(maxRelError(flat(result.grad), fd.flat())).toBeLessThan(1e-6);
  const hvp = (built.generated[`${fn}Hvp`] as Hvp)(...clone(args), v);
  expect(pendingStackEntries()).toBe(0);
  const [hg, hh] = [nanGrad(), nanGrad()];
  (built.generated[`${fn}HvpInto`] as (...a: unknown[]) => number)(...clone(args), v, hg, hh);
  expect(flat(hh)).toEqual(flat(hvp.hvp));
  const along = (t: number) => {
    const moved = args.map((arg, k) => {
      if (k >= wrt.length) return arg;
      const direction = flatten(v[wrt[k]!]);
      let at = 0;
      return mapShape(arg, (x) => x + t * direction[at++]!);
    });
    return flat(grad(...moved).grad);
  };
  expect(maxRelError(flat(hvp.hvp), differenceAlong(along, 1e-5))).toBeLessThan(1e-6);
}
