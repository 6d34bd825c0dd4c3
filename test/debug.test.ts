/**
 * The no-aliasing assumption: a differentiated array argument must not share storage with
 * another argument or a gradient buffer. Debug builds check it (and stack balance);
 * release builds contain no checks.
 */
import { describe, expect, it } from "vitest";
import { build } from "./harness/build.ts";

const source = `
/**
 * @grad x
 * @hvp x
 */
export function weighted(x: number[], w: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += w[i] * x[i] * x[i];
  return s;
}
`;

describe("debug builds", () => {
  it("reject aliased arguments and aliased gradient buffers at run time", async () => {
    const { generated, text } = await build(source, { debug: true });
    expect(text).toContain("must not alias");
    const grad = generated.weightedGrad as (x: number[], w: number[]) => { grad: { x: number[] } };
    const into = generated.weightedGradInto as (x: number[], w: number[], g: { x: number[] }) => number;
    const x = [1, 2, 3];
    expect(grad(x, [1, 1, 1]).grad.x).toEqual([2, 4, 6]);
    expect(() => grad(x, x)).toThrow(/'x' and 'w' are the same array/);
    expect(() => into(x, [1, 1, 1], { x })).toThrow(/'x' and 'grad.x' are the same array/);
    const hvp = generated.weightedHvp as (x: number[], w: number[], v: { x: number[] }) => unknown;
    expect(() => hvp(x, [1, 1, 1], { x })).toThrow(/'x' and 'v.x' are the same array/);
  });

  it("release builds carry no checks", async () => {
    const { text } = await build(source);
    expect(text).not.toContain("must not alias");
    expect(text).not.toContain("stackDepthOnEntry");
  });
});
