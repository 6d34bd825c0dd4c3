/**
 * Names the lowering makes up (a shadowing local renamed `x_1`, a hoisted temporary) avoid
 * every identifier of the function, also those written after the point where the name is
 * made (the function's identifiers are gathered when a first name is asked for, not as the
 * lowering reaches them).
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../compiler/pipeline.ts";

async function lowered(text: string): Promise<string> {
  const result = await compileSources([{ path: "/names.ts", text }], { dumpAfter: "lower" });
  expect(result.diagnostics).toEqual([]);
  return result.dumps!.join("\n");
}

describe("names the lowering makes up", () => {
  it("a shadowing local is renamed past identifiers that come later in the function", async () => {
    const dump = await lowered(`/** @grad x */
export function f(x: number): number {
  let s = 0;
  {
    const x = 2;
    s += x * s;
  }
  const x_1 = 3 * x;
  return s + x_1;
}
`);
    expect(dump).toContain("const x_2 = 2;");
    expect(dump).toContain("s += x_2 * s;");
    expect(dump).toContain("const x_1 = 3 * x;");
  });

  it("a held value's name (k++ inside an expression) avoids a later identifier", async () => {
    const dump = await lowered(`/** @grad x */
export function f(x: number[]): number {
  let k = 0;
  let s = x[k++];
  const k_was = 2;
  return s + x[k] * k_was;
}
`);
    expect(dump).toContain("const k_was_1 = k;");
    expect(dump).toContain("const k_was = 2;");
  });
});
