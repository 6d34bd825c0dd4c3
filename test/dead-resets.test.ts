/**
 * Dead element resets (compiler/transform/deadResets.ts, run by tidy): the reverse sweep
 * zeroes an adjoint element after its last reader, which in the last loop touching a
 * buffer nobody reads again. Those stores go; the ones a later reader needs stay. Each
 * function is checked against the tape and, for the VJPs, forward against reverse.
 */
import { describe, expect, it } from "vitest";
import { tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build, generatedFunction } from "./harness/build.ts";
import { maxRelError } from "./harness/numeric.ts";

type Fn = (...args: unknown[]) => unknown;
/** `a_bar[i] = 0;` and the like: a reset of an adjoint element. */
const resets = (text: string) => text.match(/\w+_bar(_dot)?\[\w+\] = 0;/g) ?? [];

const source = `/** @vjp z */
export function elementwiseExp(z: number[]): number[] {
  const y = new Array<number>(z.length).fill(0);
  for (let i = 0; i < z.length; i++) y[i] = Math.exp(z[i]);
  return y;
}

/** @grad z */
export function overwritten(z: number[]): number {
  const y = new Array<number>(z.length).fill(0);
  for (let i = 0; i < z.length; i++) y[i] = 2 * z[i] * z[i];
  let s = 0;
  for (let i = 0; i < z.length; i++) s += y[i] * y[i];
  for (let i = 0; i < z.length; i++) y[i] = Math.exp(z[i]);
  for (let i = 0; i < z.length; i++) s += y[i];
  return s;
}

/**
 * @grad x
 * @hvp x
 */
export function twoPasses(x: number[]): number {
  const h = x.slice();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < h.length; i++) h[i] = Math.tanh(h[i] + 0.5 * x[i]);
  }
  let s = 0;
  for (let i = 0; i < h.length; i++) s += h[i] * h[i];
  return s;
}
`;

describe("dead element resets", () => {
  it("go from the last loop that touches a buffer, in a VJP and its rows", async () => {
    const built = await build(source);
    for (const name of ["elementwiseExpVjpInto", "elementwiseExpVjpRowsInto"]) expect(resets(generatedFunction(built.text, name, false))).toEqual([]);
    const z = [0.3, -1.2, 0.8];
    const cotangent = [0.5, -2, 1.5];
    const { grad } = (built.generated.elementwiseExpVjp as Fn)(z, cotangent) as { grad: { z: number[] } };
    const tape = tapeModuleFromSource(source, "/virtual/resets.ts").vjp("elementwiseExp", [z], cotangent, ["z"]);
    expect(maxRelError(grad.z, tape.grad.z as number[])).toBeLessThan(1e-15);
    const rows = [{ z: [0, 0, 0] }, { z: [0, 0, 0] }];
    (built.generated.elementwiseExpVjpRowsInto as Fn)(z, [cotangent, [1, 1, 1]], rows);
    expect(rows[0]!.z).toEqual(grad.z);
    expect(rows[1]!.z).toEqual(z.map(Math.exp));
  });

  it("stay where a later loop reads the buffer (the first value of an overwritten array)", async () => {
    const built = await build(source);
    // The exp loop's reverse zeroes y_bar[i]; the first loop's reverse reads what the middle loop adds after.
    expect(resets(generatedFunction(built.text, "overwrittenGradInto", false))).toHaveLength(1);
    const z = [0.3, -1.2, 0.8, 0.1];
    const { grad } = (built.generated.overwrittenGrad as Fn)(z) as { grad: { z: number[] } };
    const tape = tapeModuleFromSource(source, "/virtual/resets.ts").grad("overwritten", [z], ["z"]);
    expect(maxRelError(grad.z, tape.grad.z as number[])).toBeLessThan(1e-14);
  });

  it("stay where a later iteration of an enclosing loop reads the element again", async () => {
    const built = await build(source);
    const text = generatedFunction(built.text, "twoPassesGradInto", false);
    // The rounds' reverse runs h's update three times: each needs h_bar[i] zeroed by the one before.
    expect(resets(text).length).toBeGreaterThan(0);
    const x = [0.3, -1.2, 0.8, 0.1];
    const tape = tapeModuleFromSource(source, "/virtual/resets.ts");
    const { grad } = (built.generated.twoPassesGrad as Fn)(x) as { grad: { x: number[] } };
    expect(maxRelError(grad.x, tape.grad("twoPasses", [x], ["x"]).grad.x as number[])).toBeLessThan(1e-14);
    const v = [1, -0.5, 0.25, 2];
    const { hvp } = (built.generated.twoPassesHvp as Fn)(x, { x: v }) as { hvp: { x: number[] } };
    expect(maxRelError(hvp.x, tape.hvp("twoPasses", [x], { x: v }, ["x"]).hvp.x as number[])).toBeLessThan(1e-13);
  });
});
