/**
 * ir/visit.ts: readsVariable answers as exprReads does, on random expressions of every
 * kind; mapStmtExprs keeps the statements it replaced nothing in; build.ts sameExpr is
 * equality as JSON; someStmt answers as a walk of every statement does, asking nothing after
 * the first match; containsLoop answers whether a walk meets a loop, asked once or again.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { Expr, LValue, Stmt } from "../compiler/ir/nodes.ts";
import { containsLoop, exprReads, mapStmtExprs, readsVariable, someStmt, walkStmts } from "../compiler/ir/visit.ts";

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

describe("mapStmtExprs", () => {
  /** Statements of every kind that hold expressions or statement lists, over `expr`. */
  const { stmt } = fc.letrec<{ stmt: Stmt }>((tie) => ({
    stmt: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.record({ name, init: expr }).map(({ name, init }) => b.declare(`${name}1`, init, true)),
      fc.record({ target: fc.oneof(name.map(b.v), fc.record({ object: name.map(b.v), index: expr }).map((x): Expr => ({ kind: "index", ...x }))), value: expr }).map(({ target, value }) => b.assign(target as LValue, value)),
      fc.record({ test: expr, then: fc.array(tie("stmt"), { maxLength: 2 }), else: fc.array(tie("stmt"), { maxLength: 2 }) }).map((x): Stmt => ({ kind: "if", ...x })),
      fc.record({ init: fc.array(tie("stmt"), { maxLength: 1 }), test: fc.option(expr), update: fc.array(tie("stmt"), { maxLength: 1 }), body: fc.array(tie("stmt"), { maxLength: 2 }) }).map((x): Stmt => ({ kind: "loop", form: "for", ...x })),
      fc.array(tie("stmt"), { maxLength: 2 }).map((body): Stmt => ({ kind: "block", body })),
      expr.map((value) => b.push("values", value)),
      fc.array(expr, { maxLength: 2 }).map((args): Stmt => ({ kind: "call", callee: "f", args })),
      fc.option(expr).map((value): Stmt => ({ kind: "return", value })),
      fc.constant(b.comment("c")),
    ),
  }));
  /** `a` read as `b` (the map's one replacement). */
  const aAsB = (e: Expr) => (e.kind === "var" && e.name === "a" ? b.v("b") : undefined);
  const readsA = (s: Stmt) => JSON.stringify(s).includes('"kind":"var","name":"a"');

  it("gives what rebuilding every statement gives, and keeps each statement it replaced nothing in (nested ones too)", () => {
    fc.assert(
      fc.property(fc.array(stmt, { maxLength: 4 }), (stmts) => {
        const mapped = mapStmtExprs(stmts, aAsB);
        expect(mapped).not.toBe(stmts);
        // The same JSON as every variable a written b.
        expect(JSON.stringify(mapped)).toBe(JSON.stringify(stmts).replaceAll('"kind":"var","name":"a"', '"kind":"var","name":"b"'));
        const kept = (before: Stmt, after: Stmt): void => {
          if (!readsA(before)) expect(after).toBe(before);
          else expect(after).not.toBe(before);
          if (before.kind === "if" && after.kind === "if") {
            before.then.forEach((s, k) => kept(s, after.then[k]!));
            before.else.forEach((s, k) => kept(s, after.else[k]!));
          } else if ((before.kind === "block" || before.kind === "loop") && after.kind === before.kind) {
            before.body.forEach((s, k) => kept(s, (after as { body: Stmt[] }).body[k]!));
          }
        };
        stmts.forEach((s, k) => kept(s, mapped[k]!));
      }),
      { numRuns: 1000, seed: 20261207 },
    );
  });

  it("gives `rebuilt` every statement, nested ones too, and keeps what it returns", () => {
    const inner = b.assign(b.v("x") as LValue, b.v("y"));
    const loop: Stmt = { kind: "loop", form: "for", init: [], test: null, update: [], body: [inner] };
    const seen: Stmt[] = [];
    const renamed = mapStmtExprs([loop], () => undefined, (s) => {
      seen.push(s);
      return s.kind === "assign" ? b.assign(b.v("z") as LValue, s.value) : s;
    });
    expect(seen[0]).toBe(inner);
    expect(JSON.stringify(renamed)).toBe(JSON.stringify([{ ...loop, body: [b.assign(b.v("z") as LValue, b.v("y"))] }]));
  });
});

describe("sameExpr", () => {
  it("is equality as JSON, for every kind of expression (random pairs, copies and subtrees)", () => {
    const pairs = fc.oneof(
      fc.tuple(expr, expr),
      expr.map((e) => [e, JSON.parse(JSON.stringify(e)) as Expr] as const),
      expr.map((e): readonly [Expr, Expr] => [e, e.kind === "binary" ? e.left : e]),
      fc.tuple(name, name).map(([x, y]) => [b.v(x), b.v(y)] as const),
    );
    fc.assert(
      fc.property(pairs, ([x, y]) => b.sameExpr(x, y) === (JSON.stringify(x) === JSON.stringify(y))),
      { numRuns: 3000, seed: 20261207 },
    );
  });
});

const one = (value: number): Expr => ({ kind: "number", value });
const { stmts } = fc.letrec<{ stmts: Stmt[] }>((tie) => ({
  stmts: fc.array(
    fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.nat(9).map((k): Stmt => ({ kind: "comment", text: `c${k}` })),
      fc.record({ then: tie("stmts"), else: tie("stmts") }).map((x): Stmt => ({ kind: "if", test: one(1), ...x })),
      fc.record({ init: tie("stmts"), update: tie("stmts"), body: tie("stmts") }).map((x): Stmt => ({ kind: "loop", form: "for", test: null, ...x })),
      tie("stmts").map((body): Stmt => ({ kind: "block", body })),
    ),
    { maxLength: 4 },
  ),
}));

describe("someStmt", () => {
  it("is whether walkStmts visits a match, and asks about no statement after the first", () => {
    fc.assert(
      fc.property(stmts, fc.nat(9), (list, k) => {
        const matches = (s: Stmt) => s.kind === "comment" && s.text === `c${k}`;
        const walked: Stmt[] = [];
        walkStmts(list, (s) => walked.push(s));
        const asked: Stmt[] = [];
        const found = someStmt(list, (s) => {
          asked.push(s);
          return matches(s);
        });
        const first = walked.findIndex(matches);
        expect(found).toBe(first >= 0);
        expect(asked).toEqual(first >= 0 ? walked.slice(0, first + 1) : walked);
      }),
      { numRuns: 1000, seed: 20261207 },
    );
  });
});

describe("containsLoop", () => {
  it("is whether walkStmts visits a loop, the first time and when asked again", () => {
    fc.assert(
      fc.property(stmts, (list) => {
        let loop = false;
        walkStmts(list, (s) => (loop ||= s.kind === "loop"));
        expect(containsLoop(list)).toBe(loop);
        expect(containsLoop(list)).toBe(loop);
      }),
      { numRuns: 1000, seed: 20261207 },
    );
  });
});
