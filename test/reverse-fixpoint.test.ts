/**
 * Reverse mode finds what the reverse sweep reads by a fixpoint (transform/reverse/
 * strategy.ts): each round generates afresh from what the previous one read. One that has
 * not converged after its rounds is an internal error naming the function, never a body
 * built from a guess.
 */
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { FunctionIR } from "../compiler/ir/nodes.ts";
import { DiagnosticError, Codes } from "../compiler/diagnostics.ts";
import { analyzeActivity } from "../compiler/analysis/activity.ts";
import { analyzeVariables } from "../compiler/analysis/variables.ts";
import { Namer } from "../compiler/transform/naming.ts";
import { normalizeControlFlow } from "../compiler/transform/normalize.ts";
import { reverseMode } from "../compiler/transform/reverse/strategy.ts";
import { Printer } from "../compiler/backend/print.ts";

const span = { file: "square.ts", line: 1, column: 1, length: 1 };

/** `let s = x; s = s * s; return s;`: the old `s` is read by the adjoint of `s = s * s`, which the first round does not know yet. */
const square: FunctionIR = {
  name: "square",
  params: [{ name: "x", type: b.NUMBER, typeText: "number" }],
  returnType: b.NUMBER,
  returnTypeText: "number",
  body: [b.declare("s", b.v("x"), true), b.assign(b.v("s") as never, b.mul(b.v("s"), b.v("s"))), { kind: "return", value: b.v("s") }],
  exported: true,
  span,
};

function reverse(maxRounds?: number) {
  const namer = Namer.forFunction(square);
  const { fn, result } = normalizeControlFlow(square, namer);
  return reverseMode({
    fn,
    result,
    wrt: ["x"],
    activity: analyzeActivity(fn, result, ["x"]),
    info: analyzeVariables(fn),
    namer,
    gradName: "grad",
    seed: b.num(1),
    sourceLines: [],
    ...(maxRounds !== undefined && { maxRounds }),
  });
}

describe("the to-be-recorded fixpoint", () => {
  it("saves the overwritten value the second round finds the reverse sweep reads", () => {
    const text = new Printer().stmts(reverse().body);
    expect(text).toContain("valueStack.push(s);");
    expect(text).toContain("s = valueStack.pop();");
  });

  it("is an internal error (TSG9001) naming the function when it has not converged", () => {
    let error: unknown;
    try {
      reverse(1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DiagnosticError);
    const { code, message } = (error as DiagnosticError).diagnostic;
    expect(code).toBe(Codes.InternalError);
    expect(message).toMatch(/internal error while compiling 'square': .*did not converge in 1 rounds/);
  });
});
