/**
 * transform/inline.ts's hasCallsToInline: the inline pass skips a function only when
 * inlineCalls would give back the same statements (no user call anywhere, as an
 * expression or a statement, and no field read off a record literal).
 */
import { describe, expect, it } from "vitest";
import type { Expr, Stmt } from "../compiler/ir/nodes.ts";
import { hasCallsToInline } from "../compiler/transform/inline.ts";

const v = (name: string): Expr => ({ kind: "var", name });
const call: Expr = { kind: "userCall", callee: "g", args: [v("x")] };
const declare = (init: Expr): Stmt => ({ kind: "declare", name: "y", type: { kind: "number" }, init, mutable: false });
const loop = (body: Stmt[], test: Expr = { kind: "binary", op: "<", left: v("i"), right: v("n") }): Stmt => ({ kind: "loop", form: "for", init: [], test, update: [], body });

describe("hasCallsToInline", () => {
  it("is false for a body of Math calls, element reads and nested blocks", () => {
    const body: Stmt[] = [
      declare({ kind: "call", callee: "Math.sin", args: [{ kind: "index", object: v("x"), index: v("i") }] }),
      { kind: "if", test: v("c"), then: [loop([{ kind: "assign", target: { kind: "var", name: "s" }, value: v("y") }])], else: [{ kind: "block", body: [{ kind: "return", value: v("s") }] }] },
    ];
    expect(hasCallsToInline(body)).toBe(false);
  });

  it("finds a user call anywhere: an initializer, an index, a nested body, a loop's test, a call statement", () => {
    expect(hasCallsToInline([declare({ kind: "binary", op: "*", left: v("a"), right: call })])).toBe(true);
    expect(hasCallsToInline([{ kind: "assign", target: { kind: "index", object: v("a"), index: call }, value: v("b") }])).toBe(true);
    expect(hasCallsToInline([{ kind: "if", test: v("c"), then: [], else: [loop([{ kind: "return", value: call }])] }])).toBe(true);
    expect(hasCallsToInline([loop([], { kind: "binary", op: "<", left: v("i"), right: call })])).toBe(true);
    expect(hasCallsToInline([{ kind: "call", callee: "fill", args: [v("a")] }])).toBe(true);
    expect(hasCallsToInline([{ kind: "append", array: "a", value: { kind: "call", callee: "Math.exp", args: [call] } }])).toBe(true);
  });

  it("finds a field read off a record literal (inlineCalls takes the field)", () => {
    const field: Expr = { kind: "field", object: { kind: "record", fields: [{ name: "w", value: v("a") }] }, name: "w" };
    expect(hasCallsToInline([declare(field)])).toBe(true);
  });
});
