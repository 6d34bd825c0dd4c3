/**
 * transform/tidy.ts on hand-built functions: dead locals go in rounds (dropping one can
 * leave another unread), and `const` is decided on the function as it is after the last
 * round, nested blocks included. A round that drops only whole statements takes their reads
 * back instead of resolving the function again: checked against resolving afresh after
 * every round on random functions.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Expr, FunctionIR, Stmt } from "../compiler/ir/nodes.ts";
import { tidy } from "../compiler/transform/tidy.ts";
import { rng } from "./harness/numeric.ts";

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

  it("drops a source-line comment that repeats the one before it or stands right before a return, in nested lists too", () => {
    const c = (text: string): Stmt => ({ kind: "comment", text });
    const positive: Expr = { kind: "binary", op: ">", left: v("x"), right: { kind: "number", value: 0 } };
    const body: Stmt[] = [
      c("line 1"),
      declare("a", mul(v("x"), v("x"))),
      c("line 1"),
      declare("b", mul(v("a"), v("x"))),
      c("note"),
      c("note"),
      { kind: "if", test: positive, then: [c("line 2"), declare("t", mul(v("b"), v("x"))), c("line 2"), declare("u", mul(v("t"), v("x"))), c("line 3"), ret(v("u"))], else: [c("line 4"), ret(v("a"))] },
      { kind: "block", body: [c("line 5"), declare("w", mul(v("b"), v("b"))), c("line 6"), c("line 5"), ret(v("w"))] },
    ];
    /** The comments of each list, nested lists after their statement's. */
    const comments = (list: Stmt[]): unknown[] =>
      list.flatMap((s): unknown[] => (s.kind === "comment" ? [s.text] : s.kind === "if" ? [comments(s.then), comments(s.else)] : s.kind === "block" ? [comments(s.body)] : []));
    const out = tidy(fn(body)).body;
    expect(comments(out)).toEqual(["line 1", "note", "note", ["line 2"], [], ["line 5", "line 6"]]);
    // The declarations are all marked const in the same walk.
    expect(out.filter((s) => s.kind === "declare").map((s) => (s as { mutable: boolean }).mutable)).toEqual([false, false]);
  });

  it("decides const in a loop's header too", () => {
    const i = v("i");
    const loop: Stmt = {
      kind: "loop",
      form: "for",
      init: [declare("i", { kind: "number", value: 0 }), declare("n", v("x"))],
      test: { kind: "binary", op: "<", left: i, right: v("n") },
      update: [{ kind: "assign", target: { kind: "var", name: "i" }, value: { kind: "binary", op: "+", left: i, right: { kind: "number", value: 1 } } }],
      body: [{ kind: "push", stack: "values", value: i }],
    };
    const out = tidy(fn([loop, ret(v("x"))])).body[0] as Extract<Stmt, { kind: "loop" }>;
    expect(out.init.map((d) => (d as Extract<Stmt, { kind: "declare" }>).mutable)).toEqual([true, false]);
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

  it("ends as resolving the function afresh after every round would, on random functions", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const f = randomFunction(seed);
        expect(tidy(f)).toEqual(tidy(f, { settle: false }));
      }),
      { numRuns: 400, seed: 20261207 },
    );
  });
});

/**
 * A function of locals that read one another in chains (some left unread), overwritten
 * (`v = v * c` too), shadowed in nested branches, loops and blocks, with values that have
 * effects (pops, a stack cursor's move, a call of a custom rule), loops left empty, and
 * an assigned parameter.
 */
function randomFunction(seed: number): FunctionIR {
  const next = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const num = (value: number): Expr => ({ kind: "number", value });
  const names = ["a", "b", "c", "d", "e"];
  const expr = (visible: string[], depth: number): Expr => {
    const r = next();
    if (depth > 2 || r < 0.3) return visible.length > 0 && next() < 0.8 ? v(pick(visible)) : num(Math.floor(next() * 3));
    if (r < 0.6) return { kind: "binary", op: pick(["+", "*", "-"] as const), left: expr(visible, depth + 1), right: expr(visible, depth + 1) };
    if (r < 0.7) return { kind: "call", callee: "Math.sin", args: [expr(visible, depth + 1)] };
    if (r < 0.78) return { kind: "binary", op: "+", left: { kind: "pop", stack: "values" }, right: expr(visible, depth + 1) };
    if (r < 0.84) return { kind: "index", object: v("buf"), index: { kind: "cursorMove", name: "top", move: "postIncrement" } };
    if (r < 0.9) return { kind: "userCall", callee: "rule", args: [expr(visible, depth + 1)], rule: { name: "ruleVjp", file: "r.ts", generated: false } as never };
    return { kind: "conditional", test: expr(visible, depth + 1), whenTrue: expr(visible, depth + 1), whenFalse: expr(visible, depth + 1) };
  };
  const list = (visible: string[], depth: number): Stmt[] => {
    const out: Stmt[] = [];
    const seen = [...visible];
    const length = Math.floor(next() * (depth === 0 ? 10 : 4));
    for (let k = 0; k < length; k++) {
      const r = next();
      if (r < 0.35) {
        const name = pick(names);
        out.push({ kind: "declare", name, type: { kind: "number" }, init: expr(seen, 0), mutable: next() < 0.5 });
        if (!seen.includes(name)) seen.push(name);
      } else if (r < 0.6 && seen.length > 0) {
        const name = pick(seen);
        const value = next() < 0.3 ? mul(v(name), num(2)) : expr(seen, 0);
        out.push({ kind: "assign", target: { kind: "var", name }, value });
      } else if (r < 0.66) {
        out.push({ kind: "push", stack: "values", value: expr(seen, 0) });
      } else if (r < 0.76 && depth < 2) {
        out.push({ kind: "if", test: expr(seen, 0), then: list(seen, depth + 1), else: list(seen, depth + 1) });
      } else if (r < 0.86 && depth < 2) {
        const i = v("i");
        out.push({
          kind: "loop",
          form: "for",
          init: [{ kind: "declare", name: "i", type: { kind: "number" }, init: num(0), mutable: true }],
          test: { kind: "binary", op: "<", left: i, right: v("n") },
          update: [{ kind: "assign", target: { kind: "var", name: "i" }, value: { kind: "binary", op: "+", left: i, right: num(1) } }],
          body: list([...seen, "i"], depth + 1),
        });
      } else if (r < 0.92 && depth < 2) {
        out.push({ kind: "block", body: list(seen, depth + 1) });
      } else {
        out.push({ kind: "assign", target: { kind: "var", name: "x" }, value: expr(seen, 0) });
      }
    }
    return out;
  };
  const params = ["x", "n", "buf", "top"];
  const body = list(params, 0);
  body.push(ret(expr([...params, ...names.filter((n) => body.some((s) => s.kind === "declare" && s.name === n))], 1)));
  return {
    ...fn(body),
    params: params.map((name) => ({ name, type: { kind: "number" }, typeText: "number" })),
  };
}
