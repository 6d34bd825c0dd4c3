/**
 * The reverse sweep's cleanup (compiler/transform/cleanup.ts) does in fewer walks what six
 * passes did one after the other (test/harness/cleanup-reference.ts keeps those): both
 * indexes of a pass built in one walk, the last reset merge and the declaration merge in
 * one walk, and no further round of copies once a round edited every copy. Checked here
 * statement for statement (as JSON) on random lists of the shapes a reverse sweep is made
 * of (adjoint declarations at 0, copies, resets, increments, pops, element updates,
 * source comments, branches), under both liveness rules the sweep is cleaned with.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { Expr, LValue, Stmt } from "../compiler/ir/nodes.ts";
import { cleanupBlock, cleanupStraightLine } from "../compiler/transform/cleanup.ts";
import * as reference from "./harness/cleanup-reference.ts";

const names = ["u", "v", "w", "g", "h", "k"];
const name = fc.constantFrom(...names);

const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    name.map(b.v),
    fc.constantFrom(0, 1, 2.5).map(b.num),
    name.map((i) => b.index(b.v("a"), b.v(i))),
    fc.constant(b.pop("values")),
    fc.tuple(fc.constantFrom("+", "-", "*") as fc.Arbitrary<"+" | "-" | "*">, tie("e"), tie("e")).map(([op, l, r]) => b.bin(op, l, r)),
    tie("e").map(b.neg),
  ),
})).e;

const element = name.map((i) => b.index(b.v("a"), b.v(i)) as LValue);

const stmt: fc.Arbitrary<Stmt> = fc.letrec<{ s: Stmt; list: Stmt[] }>((tie) => ({
  s: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    name.map((n) => b.declare(n, b.num(0), true)),
    name.map((n) => b.declare(n, b.num(0), true)),
    fc.tuple(name, expr, fc.boolean()).map(([n, e, mutable]) => b.declare(n, e, mutable)),
    fc.tuple(name, name).map(([g, v]) => b.declare(g, b.v(v))),
    fc.tuple(name, name).map(([g, v]) => b.declare(g, b.v(v))),
    name.map((n) => b.assign(b.v(n) as LValue, b.num(0))),
    fc.tuple(name, fc.constantFrom("+", "-") as fc.Arbitrary<"+" | "-">, expr).map(([n, op, e]) => b.assign(b.v(n) as LValue, b.bin(op, b.v(n), e))),
    fc.tuple(name, fc.constantFrom("+", "-") as fc.Arbitrary<"+" | "-">, expr).map(([n, op, e]) => b.assign(b.v(n) as LValue, b.bin(op, b.v(n), e))),
    fc.tuple(name, expr).map(([n, e]) => b.assign(b.v(n) as LValue, e)),
    name.map((n) => b.assign(b.v(n) as LValue, b.pop("values"))),
    fc.tuple(element, expr).map(([t, e]) => b.assign(t, e)),
    element.map((t) => b.assign(t, b.num(0))),
    fc.tuple(element, expr).map(([t, e]) => b.assign(t, b.add(t as Expr, e))),
    expr.map((e) => b.push("values", e)),
    fc.constantFrom(b.comment("line 1: s += x"), b.comment("line 2: t = s * x")),
    fc.tuple(expr, tie("list"), tie("list")).map(([test, then, otherwise]): Stmt => ({ kind: "if", test, then, else: otherwise })),
  ),
  list: fc.array(tie("s"), { maxLength: 5 }),
})).s;

/** A reverse sweep's shape: adjoints declared at 0 first, then statement adjoints, each under its source comment. */
const sweep: fc.Arbitrary<Stmt[]> = fc
  .tuple(fc.uniqueArray(name, { maxLength: 4 }), fc.array(fc.tuple(fc.boolean(), fc.array(stmt, { minLength: 1, maxLength: 5 })), { maxLength: 8 }))
  .map(([zeros, parts]) => [...zeros.map((n) => b.declare(n, b.num(0), true)), ...parts.flatMap(([commented, part]) => (commented ? [b.comment("line 3: y = f(x)"), ...part] : part))]);

describe("the fused cleanup", () => {
  it("gives what the six passes gave, statement for statement", () => {
    fc.assert(
      fc.property(fc.oneof(sweep, fc.array(stmt, { maxLength: 16 })), fc.boolean(), (list, allLive) => {
        const live = allLive ? () => true : undefined;
        expect(JSON.stringify(cleanupStraightLine(list, live))).toBe(JSON.stringify(reference.cleanupStraightLine(list, live)));
        expect(JSON.stringify(cleanupBlock(list))).toBe(JSON.stringify(reference.cleanupBlock(list)));
      }),
      { numRuns: Number(process.env.CLEANUP_RUNS ?? 2500), seed: Number(process.env.CLEANUP_SEED ?? 7) },
    );
    // (2,500 cleanups of two kinds each: ~2 s quiet, several times that under load.)
  }, 60_000);

  it("merges one increment into each declaration, as two walks did", () => {
    // let v = 0 merges the first; the reset-then-add gives a declaration its sum once.
    const list = [
      b.declare("v", b.v("u"), true),
      b.assign(b.v("v") as LValue, b.add(b.v("v"), b.v("w"))),
      b.assign(b.v("v") as LValue, b.add(b.v("v"), b.v("h"))),
      b.assign(b.v("k") as LValue, b.v("v")),
    ];
    expect(JSON.stringify(cleanupStraightLine(list, () => true))).toBe(JSON.stringify(reference.cleanupStraightLine(list, () => true)));
    expect(cleanupStraightLine(list, () => true)).toHaveLength(3);
  });
});
