/**
 * Names the lowering makes up (a shadowing local renamed `x_1`, a hoisted temporary) avoid
 * every identifier of the function, also those written after the point where the name is
 * made (the function's identifiers are gathered when a first name is asked for, not as the
 * lowering reaches them). The generated file's stacks avoid every name of every function
 * of the file.
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

describe("the stacks' names", () => {
  it("avoid the names of every function of the file: valueStack_2 beside valueStack and valueStack_1 in one, controlStack_1 beside controlStack in another", async () => {
    const text = `/** @grad x */
export function f(x: number[]): number {
  let valueStack = 0;
  const valueStack_1 = 2;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 0) valueStack = Math.sin(valueStack * x[i]);
    else valueStack = valueStack * valueStack_1;
  }
  return valueStack;
}

/** @grad x */
export function g(x: number[]): number {
  let controlStack = 1;
  let k = 0;
  while (controlStack < 100) {
    controlStack = controlStack * Math.exp(x[k % x.length]) + 1;
    k++;
  }
  return controlStack;
}
`;
    const result = await compileSources([{ path: "/stacks.ts", text }]);
    expect(result.diagnostics).toEqual([]);
    expect(result.files[0]!.text.match(/const \w+ = new (NumberStack|IntStack)\(\);/g)).toEqual(["const valueStack_2 = new NumberStack();", "const controlStack_1 = new IntStack();"]);
  });
});
