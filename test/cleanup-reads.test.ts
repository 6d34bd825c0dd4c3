/**
 * Reverse mode's first fixpoint round skips the reverse sweep's top-level cleanup and asks
 * only which variables the sweep reads (transform/reverse/strategy.ts, firstRound). That is
 * sound because the cleanup (transform/cleanup.ts) never adds a read and keeps every read
 * readsKeptByCleanup names: checked here on random statement lists of the shapes the
 * cleanup rewrites (zero declarations and resets, increments, copies, array elements,
 * branches, pops), under both liveness rules the sweep is cleaned with.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { Expr, LValue, Stmt } from "../compiler/ir/nodes.ts";
import { exprReads, stmtExprs, walkStmts } from "../compiler/ir/visit.ts";
import { cleanupStraightLine, readsKeptByCleanup, statementNames } from "../compiler/transform/cleanup.ts";
import { definedIn, mentionedNames } from "../compiler/ir/visit.ts";
import { rawReadsAreFinal } from "../compiler/transform/reverse/strategy.ts";
import { sweepReads, type KeptReads } from "../compiler/transform/reverse/reads.ts";

const names = ["u", "v", "w", "g", "h"];

/** What reverse mode's fixpoint counts as read: every expression of every statement, targets included. */
function reads(list: Stmt[]): Set<string> {
  const found = new Set<string>();
  walkStmts(list, (s) => {
    for (const e of stmtExprs(s)) exprReads(e, found);
  });
  return found;
}

const name = fc.constantFrom(...names);
const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    name.map(b.v),
    fc.constantFrom(0, 1, 2.5).map(b.num),
    name.map((i) => b.index(b.v("a"), b.v(i))),
    fc.tuple(fc.constantFrom("+", "-", "*") as fc.Arbitrary<"+" | "-" | "*">, tie("e"), tie("e")).map(([op, l, r]) => b.bin(op, l, r)),
  ),
})).e;

const element = name.map((i) => b.index(b.v("a"), b.v(i)) as LValue);

const stmt: fc.Arbitrary<Stmt> = fc.letrec<{ s: Stmt; list: Stmt[] }>((tie) => ({
  s: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    name.map((n) => b.declare(n, b.num(0), true)),
    fc.tuple(name, expr, fc.boolean()).map(([n, e, mutable]) => b.declare(n, e, mutable)),
    fc.tuple(name, name).map(([g, v]) => b.declare(g, b.v(v))),
    name.map((n) => b.assign(b.v(n) as LValue, b.num(0))),
    fc.tuple(name, fc.constantFrom("+", "-") as fc.Arbitrary<"+" | "-">, expr).map(([n, op, e]) => b.assign(b.v(n) as LValue, b.bin(op, b.v(n), e))),
    fc.tuple(name, expr).map(([n, e]) => b.assign(b.v(n) as LValue, e)),
    name.map((n) => b.assign(b.v(n) as LValue, b.pop("values"))),
    fc.tuple(element, expr).map(([t, e]) => b.assign(t, e)),
    element.map((t) => b.assign(t, b.num(0))),
    fc.tuple(element, expr).map(([t, e]) => b.assign(t, b.add(t as Expr, e))),
    expr.map((e) => b.push("values", e)),
    fc.constant(b.comment("line 1: s += x")),
    fc.tuple(expr, tie("list"), tie("list")).map(([test, then, otherwise]): Stmt => ({ kind: "if", test, then, else: otherwise })),
  ),
  list: fc.array(tie("s"), { maxLength: 6 }),
})).s;

describe("what the reverse sweep's cleanup keeps reading", () => {
  it("reads after the cleanup lie between readsKeptByCleanup and the reads before it", () => {
    fc.assert(
      fc.property(fc.array(stmt, { maxLength: 14 }), fc.boolean(), (list, allLive) => {
        const after = reads(cleanupStraightLine(list, allLive ? () => true : undefined));
        const before = reads(list);
        for (const n of readsKeptByCleanup(list)) expect(after.has(n), `kept ${n}`).toBe(true);
        for (const n of after) expect(before.has(n), `new read ${n}`).toBe(true);
      }),
      { numRuns: Number(process.env.CLEANUP_RUNS ?? 1500), seed: Number(process.env.CLEANUP_SEED ?? 19) },
    );
  });

  it("counts a sweep's reads as walking every expression of every statement does, in the same order", () => {
    const loop = (body: Stmt[]): Stmt => ({ kind: "loop", form: "for", init: [b.declare("i", b.v("u"), true)], test: b.bin("<", b.v("i"), b.v("h")), update: [b.assign(b.v("i") as LValue, b.v("w"))], body });
    fc.assert(
      fc.property(fc.array(fc.oneof(stmt, fc.array(stmt, { maxLength: 3 }).map(loop), fc.array(stmt, { maxLength: 3 }).map((body): Stmt => ({ kind: "block", body }))), { maxLength: 10 }), (list) => {
        expect([...sweepReads(list)]).toEqual([...reads(list)]);
      }),
      { numRuns: 1000, seed: 19 },
    );
  });

  it("gathers, in the same walk as the reads, exactly what readsKeptByCleanup keeps", () => {
    const loop = (body: Stmt[]): Stmt => ({ kind: "loop", form: "for", init: [b.declare("i", b.v("u"), true)], test: b.bin("<", b.v("i"), b.v("h")), update: [b.assign(b.v("i") as LValue, b.v("w"))], body });
    fc.assert(
      fc.property(fc.array(fc.oneof(stmt, fc.array(stmt, { maxLength: 3 }).map(loop)), { maxLength: 12 }), (list) => {
        const kept: KeptReads = { names: new Set(), copies: new Set() };
        expect([...sweepReads(list, new Set(), kept)]).toEqual([...reads(list)]);
        const gathered = [...kept.names].filter((n) => !kept.copies.has(n));
        expect(gathered.sort()).toEqual([...readsKeptByCleanup(list)].sort());
      }),
      { numRuns: 1500, seed: 19 },
    );
  });

  it("knows each statement's names as mentionedNames and definedIn do, each once", () => {
    const call: Stmt = { kind: "call", callee: "f_vjp", args: [b.v("u"), b.v("r")] };
    const record = b.declare("r", { kind: "record", fields: [{ name: "v", value: b.v("a_bar") }] } as Expr);
    fc.assert(
      fc.property(fc.oneof(stmt, fc.constant(call), fc.constant(record)), (s) => {
        const { mentions, defines } = statementNames(s);
        expect(new Set(mentions).size).toBe(mentions.length);
        expect(new Set(defines).size).toBe(defines.length);
        expect([...mentions].sort()).toEqual([...mentionedNames(s)].sort());
        expect([...defines].sort()).toEqual([...definedIn([s])].sort());
      }),
      { numRuns: 1000, seed: 19 },
    );
  });

  it("leaves out what the cleanup may drop: a reset's target, an increment's own read, a copy and its name", () => {
    const list = [
      b.declare("g", b.v("u")),
      b.assign(b.v("w") as LValue, b.add(b.v("w"), b.v("g"))),
      b.assign(b.v("h") as LValue, b.num(0)),
      b.assign(b.index(b.v("a"), b.v("i")) as LValue, b.v("k")),
    ];
    expect([...readsKeptByCleanup(list)].sort()).toEqual(["a", "i", "k"]);
  });
});

describe("the first round's shortcut", () => {
  // x_bar += s_bar * t, with t a primal variable: read after any cleanup.
  const kept = [b.assign(b.v("x_bar") as LValue, b.add(b.v("x_bar"), b.mul(b.v("s_bar"), b.v("t"))))];
  const primal = new Set(["x", "t", "s"]);

  it("takes the raw sweep's reads when the cleanup keeps every primal one", () => {
    expect(rawReadsAreFinal(kept, reads(kept), primal)).toBe(true);
    // An adjoint reset the cleanup may drop reads no primal variable: still final.
    const reset = [...kept, b.assign(b.v("s_bar") as LValue, b.num(0))];
    expect(rawReadsAreFinal(reset, reads(reset), primal)).toBe(true);
  });

  it("does not when a primal variable is read only where the cleanup may drop it", () => {
    // const g = s; x_bar += g: the cleanup reads s directly, then g no longer exists
    // (were g primal, its read would be gone); s read only by a copy that nothing uses.
    const copyOfPrimal = [b.declare("t", b.v("s")), ...kept];
    expect(rawReadsAreFinal(copyOfPrimal, reads(copyOfPrimal), primal)).toBe(false);
    const unusedCopy = [b.declare("g", b.v("s")), ...kept];
    expect(reads(cleanupStraightLine(unusedCopy)).has("s")).toBe(false);
    expect(rawReadsAreFinal(unusedCopy, reads(unusedCopy), primal)).toBe(false);
    const primalReset = [...kept, b.assign(b.v("s") as LValue, b.num(0))];
    expect(rawReadsAreFinal(primalReset, reads(primalReset), primal)).toBe(false);
  });
});
