/**
 * The idiomatic suite (test/idioms/cases.ts): each function built on its own and checked
 * against the tape, central differences and, where tagged, its HVP and JVP (idioms/check.ts).
 */
import { describe, expect, it } from "vitest";
import { tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build } from "./harness/build.ts";
import { IDIOMS } from "./idioms/cases.ts";
import { checkIdiom, clone, flatten, type Idiom } from "./idioms/check.ts";
import type { Built } from "./harness/build.ts";
import { computationGraph } from "../compiler/graph/index.ts";

describe("idiomatic TypeScript", () => {
  for (const idiom of IDIOMS) {
    it(idiom.name, async () => {
      const built = await checkIdiom(idiom);
      expectGraphAgrees(idiom, built);
    });
  }
});

/**
 * `tsgrad graph` of the case at its arguments: the result is the function's value bit for
 * bit, and each differentiated array or number parameter's input node holds the generated
 * gradient (checked above against the tape) as its adjoints.
 */
function expectGraphAgrees(idiom: Idiom, built: Built): void {
  if (idiom.call) return; // a method or a default export: the graph takes the function itself
  const file = idiom.file ?? "idiom.ts";
  const args = idiom.args(built.source);
  const result = computationGraph({ inputs: [{ path: `/${file}`, text: idiom.source }], file: `/${file}`, functionName: idiom.fn, args: clone(args) });
  if (!result.ok) throw new Error(`tsgrad graph: ${JSON.stringify(result)}`);
  const value = (built.source[idiom.fn] as (...a: unknown[]) => number)(...clone(args));
  expect(Object.is(result.graph.evaluation!.result, value), "the graph's result is the function's value").toBe(true);
  const grad = ((built.generated[`${idiom.fn}Grad`] as (...a: unknown[]) => { grad: Record<string, unknown> })(...clone(args))).grad;
  // Entries near zero by cancellation are judged at the whole gradient's scale, as check.ts does.
  const scale = Math.max(1e-300, ...Object.values(grad).flatMap((g) => flatten(g)).map(Math.abs));
  for (const [param, g] of Object.entries(grad)) {
    const input = result.graph.nodes.find((n) => n.kind === "input" && n.label === param);
    if (!input?.runs || !(typeof g === "number" || ArrayBuffer.isView(g) || (Array.isArray(g) && g.every((x) => typeof x === "number")))) continue;
    const expected = flatten(g);
    const adjoints = input.runs.map((r) => r.adjoint);
    const tolerance = idiom.single ? 1e-6 : 1e-12;
    expected.forEach((e, k) => expect(Math.abs(adjoints[k]! - e), `the graph's adjoint of ${param}[${k}]`).toBeLessThanOrEqual(tolerance * Math.max(Math.abs(e), 1e-3 * scale)));
  }
}

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
