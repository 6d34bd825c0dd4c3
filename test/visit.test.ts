/** ir/visit.ts: readsVariable answers as exprReads does, on random expressions of every kind. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Expr } from "../compiler/ir/nodes.ts";
import { exprReads, readsVariable } from "../compiler/ir/visit.ts";

const NAMES = ["a", "b", "grad", "top"];
const name = fc.constantFrom(...NAMES);

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    name.map((n): Expr => ({ kind: "var", name: n })),
    fc.constantFrom<Expr>({ kind: "number", value: 1 }, { kind: "boolean", value: true }, { kind: "string", value: "a" }, { kind: "pop", stack: "values" }, { kind: "stackSize", stack: "values" }, { kind: "stackBuffer", stack: "values" }),
    name.map((n): Expr => ({ kind: "cursorMove", name: n, move: "postIncrement" })),
    fc.record({ left: tie("expr"), right: tie("expr") }).map((x): Expr => ({ kind: "binary", op: "+", ...x })),
    fc.record({ left: tie("expr"), right: tie("expr") }).map((x): Expr => ({ kind: "sameObject", ...x })),
    fc.record({ top: tie("expr"), count: tie("expr") }).map((x): Expr => ({ kind: "stackReserve", stack: "values", ...x })),
    tie("expr").map((count): Expr => ({ kind: "popBlock", stack: "values", count })),
    fc.record({ object: tie("expr"), index: tie("expr") }).map((x): Expr => ({ kind: "index", ...x })),
    tie("expr").map((object): Expr => ({ kind: "length", object })),
    fc.record({ object: tie("expr"), name }).map((x): Expr => ({ kind: "field", ...x })),
    tie("expr").map((operand): Expr => ({ kind: "unary", op: "-", operand })),
    fc.array(tie("expr"), { maxLength: 3 }).map((args): Expr => ({ kind: "call", callee: "Math.max", args })),
    fc.array(tie("expr"), { maxLength: 3 }).map((args): Expr => ({ kind: "userCall", callee: "g", args })),
    fc.record({ test: tie("expr"), whenTrue: tie("expr"), whenFalse: tie("expr") }).map((x): Expr => ({ kind: "conditional", ...x })),
    tie("expr").map((length): Expr => ({ kind: "zeros", length, container: "float64array" })),
    tie("expr").map((like): Expr => ({ kind: "zerosLike", like, type: { kind: "number" } })),
    fc.array(tie("expr"), { maxLength: 3 }).map((elements): Expr => ({ kind: "arrayLiteral", elements })),
    fc.array(tie("expr"), { maxLength: 2 }).map((values): Expr => ({ kind: "record", fields: values.map((value, k) => ({ name: `f${k}`, value })) })),
  ),
}));

describe("readsVariable", () => {
  it("is exprReads(e).has(name), for every kind of expression", () => {
    fc.assert(
      fc.property(expr, name, (e, n) => readsVariable(e, n) === exprReads(e).has(n)),
      { numRuns: 2000, seed: 20261207 },
    );
  });

  it("does not count a stack cursor's move as a read (as exprReads does not)", () => {
    expect(readsVariable({ kind: "cursorMove", name: "top", move: "preDecrement" }, "top")).toBe(false);
  });
});
