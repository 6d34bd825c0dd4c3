/**
 * Sorting numbers (`xs.toSorted(cmp)`, `[...xs].sort(cmp)`): the generated code sorts the
 * indices with its own merge sort (compiler/frontend/callbacks.ts, sortedCopy), which must give
 * JavaScript's permutation exactly: the same order for ties (a stable sort), for comparators
 * that tie different values, for NaN from the comparator (read as 0), at every length around
 * the merge widths. Checked through values that depend on the order of ties: fGrad's value
 * against the function itself bit for bit, its gradient against the tape.
 */
import { describe, expect, it } from "vitest";
import { tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build } from "./harness/build.ts";
import { rng } from "./harness/numeric.ts";

const COMPARATORS = {
  ascending: "(a, b) => a - b",
  descending: "(a, b) => b - a",
  "ties by rounding": "(a, b) => Math.round(a) - Math.round(b)",
  "by magnitude, descending": "(a, b) => Math.abs(b) - Math.abs(a)",
  "NaN for some pairs": "(a, b) => (a > 1.5 && b > 1.5 ? NaN : a - b)",
};

const source = (compare: string) => `
/** @grad xs */
export function ranked(xs: number[]): number {
  // Each position weighs its element differently, so the value says which element went where.
  return xs.toSorted(${compare}).reduce((t, v, i) => t + v * (i + 1) + Math.sin(v * i), 0);
}
`;

describe("sorting numbers: JavaScript's permutation", () => {
  for (const [name, compare] of Object.entries(COMPARATORS)) {
    it(name, async () => {
      const text = source(compare);
      const built = await build(text);
      const tape = tapeModuleFromSource(text, "/virtual/ranked.ts");
      const f = built.source.ranked as (xs: number[]) => number;
      const grad = built.generated.rankedGrad as (xs: number[]) => { value: number; grad: { xs: number[] } };
      const random = rng(7);
      for (let n = 0; n <= 40; n++) {
        // Rounded to halves: many exact ties, and more under Math.round.
        const xs = Array.from({ length: n }, () => Math.round((random() * 6 - 3) * 2) / 2);
        const result = grad([...xs]);
        expect(Object.is(result.value, f([...xs])), `n = ${n}: ${JSON.stringify(xs)}`).toBe(true);
        const taped = tape.grad("ranked", [[...xs]], ["xs"]);
        result.grad.xs.forEach((g, k) => expect(Math.abs(g - (taped.grad.xs as number[])[k]!), `∂/∂xs[${k}], n = ${n}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(g))));
      }
    });
  }
});
