/**
 * transform/tidy.ts on hand-built functions: dead locals go in rounds (dropping one can
 * leave another unread), and `const` is decided on the function as it is after the last
 * round, nested blocks included.
 */
import { describe, expect, it } from "vitest";
import type { Expr, FunctionIR, Stmt } from "../compiler/ir/nodes.ts";
import { tidy } from "../compiler/transform/tidy.ts";

const v = (name: string): Expr => ({ kind: "var", name });
const mul = (left: Expr, right: Expr): Expr => ({ kind: "binary", op: "*", left, right });
const declare = (name: string, init: Expr): Stmt => ({ kind: "declare", name, type: { kind: "number" }, init, mutable: true });
const ret = (value: Expr): Stmt => ({ kind: "return", value });

function fn(body: Stmt[]): FunctionIR {
  return {
    name: "f",
    params: [{ name: "x", type: { kind: "number" }, typeText: "number" }],
    returnType: { kind: "number" },
    returnTypeText: "number",
    body,
    exported: true,
    span: { file: "f.ts", line: 1, column: 1, length: 1 },
  };
}

describe("tidy", () => {
  it("drops a local left unread by dropping another, until nothing more goes", () => {
    // c reads b reads a; nothing reads c: three rounds.
    const body = [declare("a", mul(v("x"), v("x"))), declare("b", mul(v("a"), v("x"))), declare("c", mul(v("b"), v("x"))), ret(v("x"))];
    expect(tidy(fn(body)).body).toEqual([ret(v("x"))]);
  });

  it("marks const after the last round, inside nested blocks too", () => {
    const body: Stmt[] = [
      declare("unread", v("x")),
      { kind: "if", test: { kind: "binary", op: ">", left: v("x"), right: { kind: "number", value: 0 } }, then: [declare("t", mul(v("x"), v("x"))), ret(v("t"))], else: [] },
      ret(v("x")),
    ];
    const out = tidy(fn(body)).body;
    expect(out).toHaveLength(2);
    const branch = out[0] as Extract<Stmt, { kind: "if" }>;
    expect(branch.then[0]).toMatchObject({ kind: "declare", name: "t", mutable: false });
  });

  it("drops an empty counted loop when no local is dead", () => {
    const i = v("i");
    const loop: Stmt = {
      kind: "loop",
      form: "for",
      init: [declare("i", { kind: "number", value: 0 })],
      test: { kind: "binary", op: "<", left: i, right: v("x") },
      update: [{ kind: "assign", target: { kind: "var", name: "i" }, value: { kind: "binary", op: "+", left: i, right: { kind: "number", value: 1 } } }],
      body: [],
    };
    expect(tidy(fn([loop, ret(v("x"))])).body).toEqual([ret(v("x"))]);
  });

  it("drops the assignments of a parameter nothing reads", () => {
    const body: Stmt[] = [{ kind: "assign", target: { kind: "var", name: "x" }, value: mul(v("x"), v("x")) }, ret({ kind: "number", value: 1 })];
    const out = tidy(fn(body));
    expect(out.body).toEqual([ret({ kind: "number", value: 1 })]);
    expect(out.params[0]!.name).toBe("_x");
  });

  it("leaves a function with nothing dead as it was, with const where nothing assigns", () => {
    const body = [declare("a", mul(v("x"), v("x"))), ret(v("a"))];
    expect(tidy(fn(body)).body).toEqual([{ ...body[0], mutable: false }, ret(v("a"))]);
  });
});
