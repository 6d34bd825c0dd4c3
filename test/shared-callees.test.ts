/**
 * Shared callee derivatives: a large helper (or one tagged @noinline) is not inlined; reverse
 * mode calls one generated pullback per activity pattern, emitted once per generated file
 * and reused by every caller, and the forward sweep calls a private copy of the primal.
 */
import { describe, expect, it } from "vitest";
import { buildProject } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { centralDifferences, differenceAlong, maxRelError } from "./harness/numeric.ts";

const lib = `
/** @noinline */
export function weightedNorm(v: readonly number[], w: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += w[i] * v[i] * v[i];
  return Math.sqrt(s + 1);
}
`;

const model = `
import { weightedNorm } from "./lib.ts";

/** @grad x, w */
export function both(x: number[], w: number[]): number {
  let total = 0;
  for (let k = 0; k < 3; k++) total += weightedNorm(x, w) * (k + 1);
  return total;
}

/** @grad x, w */
export function alsoBoth(x: number[], w: number[]): number {
  return Math.exp(-weightedNorm(x, w));
}

/**
 * @grad x
 * @hvp x
 */
export function onlyX(x: number[], w: number[]): number {
  return weightedNorm(x, w) * weightedNorm(w, x) + Math.sin(x[0]);
}
`;

describe("shared callee derivatives", () => {
  it("one pullback per activity pattern, used by every caller, with correct gradients", async () => {
    const { source, generated, text } = await buildProject({ "lib.ts": lib, "model.ts": model }, "model.ts");
    // Defined once each: the pullback w.r.t. both arguments, the one w.r.t. v only (the data
    // argument w of \`onlyX\` is inactive there), and the private primal copy.
    expect(text.match(/function weightedNormPullback\(/g)).toHaveLength(1);
    expect(text.match(/function weightedNormPullback_v\(/g)).toHaveLength(1);
    expect(text.match(/function weightedNorm\(/g)).toHaveLength(1);
    // …and the first one is called from both \`both\` and \`alsoBoth\`.
    expect((text.match(/weightedNormPullback\(/g) ?? []).length).toBe(3);
    // The adjoint record a call in a loop passes is built once, before the loop, not per iteration.
    const both = text.slice(text.indexOf("export function bothGradInto"));
    expect(both.indexOf("{ v: x_bar, w: w_bar }")).toBeGreaterThan(0);
    expect(both.indexOf("{ v: x_bar, w: w_bar }")).toBeLessThan(both.indexOf("for (let k"));
    const x = [0.3, -1.2, 0.7];
    const w = [1.5, 0.4, 2];
    for (const name of ["both", "alsoBoth", "onlyX"]) {
      const f = source[name] as (...a: unknown[]) => number;
      const g = (generated[`${name}Grad`] as (...a: unknown[]) => { value: number; grad: Record<string, number[]> })(x, w);
      expect(g.value).toBe(f(x, w));
      const wrt = name === "onlyX" ? [0] : [0, 1];
      const fd = centralDifferences(f, [x, w], wrt);
      expect(maxRelError(g.grad.x!, fd[0]!)).toBeLessThan(1e-6);
      if (name !== "onlyX") expect(maxRelError(g.grad.w!, fd[1]!)).toBeLessThan(1e-6);
    }
    // Forward-over-reverse still sees through the helper.
    const v = [0.2, 0.1, -0.4];
    const hvp = (generated.onlyXHvp as (x: number[], w: number[], v: { x: number[] }) => { hvp: { x: number[] } })(x, w, { x: v });
    const h = 1e-6;
    const grad = (t: number) => (generated.onlyXGrad as (x: number[], w: number[]) => { grad: { x: number[] } })(x.map((xi, i) => xi + t * v[i]!), w).grad.x;
    expect(maxRelError(hvp.hvp.x, differenceAlong(grad, h))).toBeLessThan(1e-6);
  });
});

describe("a pullback call between a local's adjoint and what it reads", () => {
  it("keeps the adjoint after the call that adds into the array it reads (fuzz seed 301, --heavy-loop-first, program 181)", async () => {
    const source = `/** @noinline */
function total(v: readonly number[]): number {
  let t = 0;
  for (let i = 0; i < v.length; i++) t += Math.tanh(v[i]);
  return t;
}

/**
 * @grad x
 * @hvp x
 */
export function f(x: readonly number[]): number {
  const buf = new Array(x.length).fill(0);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const w = Math.sin(x[i]);
    buf[i] += w * w;
    for (let j = 0; j < 2; j++) s = 0.5 * s + total(buf);
  }
  return s + buf[0];
}
`;
    const built = await buildProject({ "f.ts": source }, "f.ts");
    // The pullback adds into buf_bar through its record; w's adjoint reads buf_bar[i] after it.
    await checkGradientAndHvp(built, "f", [[0.4, -0.3, 0.9]], ["x"], { x: [0.2, 0.5, -0.1] });
  });
});
