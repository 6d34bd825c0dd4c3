/**
 * The idiomatic suite (test/idioms/cases.ts): each function built on its own and checked
 * against the tape, central differences and, where tagged, its HVP and JVP (idioms/check.ts).
 */
import { describe, expect, it } from "vitest";
import { tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build } from "./harness/build.ts";
import { IDIOMS } from "./idioms/cases.ts";
import { checkIdiom } from "./idioms/check.ts";

describe("idiomatic TypeScript", () => {
  for (const idiom of IDIOMS) {
    it(idiom.name, async () => {
      await checkIdiom(idiom);
    });
  }
});

describe("Number predicates as guards", () => {
  it("take the branch the value calls for: an integer, an infinite and a NaN entry, against the tape", async () => {
    const idiom = IDIOMS.find((i) => i.name.startsWith("Number.isFinite"))!;
    const built = await build(idiom.source);
    const tape = tapeModuleFromSource(idiom.source, "/virtual/guarded.ts");
    for (const x of [[0.3, -1.2, 2, Infinity, 0.8], [NaN, 3, -4, 0.5], [1.5, -Infinity, 7]]) {
      const ours = (built.generated.guardedGrad as (x: number[]) => { value: number; grad: { x: number[] } })(x);
      const taped = tape.grad("guarded", [x], ["x"]);
      expect(ours.value).toEqual(taped.value);
      // Infinite and NaN entries get a zero derivative (skipped by the guard); the others agree to rounding.
      ours.grad.x.forEach((g, k) => expect(Math.abs(g - (taped.grad.x as number[])[k]!)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(g))));
    }
  });
});
