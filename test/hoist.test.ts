/**
 * Row hoisting (compiler/transform/hoist.ts): `A[i]` read once before a loop that indexes
 * it while neither A nor i changes there, and left alone otherwise.
 */
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { Expr, FunctionIR, Stmt } from "../compiler/ir/nodes.ts";
import { hoistRowsIn } from "../compiler/transform/hoist.ts";
import { stackCursorsIn } from "../compiler/transform/cursors.ts";
import { build } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { randomMatrix, randomVector, rng } from "./harness/numeric.ts";

const at = (a: string, ...ix: Expr[]) => ix.reduce<Expr>((o, i) => b.index(o, i), b.v(a));
const j = b.v("j");

function loopOver(body: Stmt[], counter = "j"): Stmt {
  const c = b.v(counter);
  return {
    kind: "loop",
    form: "for",
    init: [b.declare(counter, b.num(0), true)],
    test: b.bin("<", c, b.v("n")),
    update: [b.assign({ kind: "var", name: counter }, b.add(c, b.num(1)))],
    body,
  };
}

function fn(body: Stmt[]): FunctionIR {
  return {
    name: "f",
    params: ["A", "x", "n", "i"].map((name) => ({ name, type: b.NUMBER, typeText: "number" })),
    returnType: b.NUMBER,
    returnTypeText: "number",
    body,
    exported: true,
    span: { file: "f.ts", line: 1, column: 1, length: 1 },
  };
}

/** The names of the rows declared before each top-level statement, in order. */
const declared = (body: Stmt[]) => body.flatMap((s) => (s.kind === "declare" ? [`${s.name} = ${JSON.stringify(s.init)}`] : []));

describe("row hoisting", () => {
  it("reads an invariant row once, before the loop, and indexes the local in it", () => {
    const body = hoistRowsIn(fn([loopOver(b.increment({ kind: "var", name: "s" }, b.mul(at("A", b.v("i"), j), at("x", j))))])).body;
    expect(declared(body)).toEqual([`A_i = ${JSON.stringify(at("A", b.v("i")))}`]);
    expect(JSON.stringify(body[1])).not.toContain(JSON.stringify(at("A", b.v("i"))));
  });

  it("keeps a function without a loop as it is, as the stack cursors do (nothing to rewrite; no walk for its names)", () => {
    const straight = fn([
      b.push("values", at("A", b.v("i"), b.num(0))),
      { kind: "if", test: b.v("n"), then: [b.assign({ kind: "var", name: "s" }, b.pop("values"))], else: [] },
    ]);
    expect(hoistRowsIn(straight)).toBe(straight);
    expect(stackCursorsIn(straight)).toBe(straight);
  });

  it("leaves a row whose index the loop changes, or whose array it replaces rows of or pushes onto", () => {
    const reads = b.increment({ kind: "var", name: "s" }, at("A", b.v("k"), j));
    for (const extra of [
      [b.assign({ kind: "var", name: "k" }, b.v("j"))],
      [b.assign({ kind: "index", object: b.v("A"), index: b.v("j") }, b.v("x"))],
      [{ kind: "append", array: "A", value: b.v("x") } as Stmt],
      [{ kind: "call", callee: "g", args: [b.v("A")] } as Stmt],
    ]) {
      expect(declared(hoistRowsIn(fn([loopOver([...reads, ...extra])])).body)).toEqual([]);
    }
  });

  it("hoists a row indexed through another array (c[assignment[i]]) unless the loop writes that array or its index", () => {
    const row = at("A", at("p", b.v("i")));
    const reads = b.increment({ kind: "var", name: "s" }, b.index(row, j));
    expect(declared(hoistRowsIn(fn([loopOver(reads)])).body)).toEqual([`A_p_i = ${JSON.stringify(row)}`]);
    for (const extra of [
      [b.assign({ kind: "index", object: b.v("p"), index: b.v("j") }, b.num(0))],
      [b.assign({ kind: "var", name: "i" }, b.v("j"))],
    ]) {
      expect(declared(hoistRowsIn(fn([loopOver([...reads, ...extra])])).body)).toEqual([]);
    }
  });

  it("hoists a row at an offset from an invariant index (sequence[t + 1]) unless the loop changes the index", () => {
    const row = at("A", b.add(b.v("i"), b.num(1)));
    const reads = b.increment({ kind: "var", name: "s" }, b.index(row, j));
    expect(declared(hoistRowsIn(fn([loopOver(reads)])).body)).toEqual([`A_i_1 = ${JSON.stringify(row)}`]);
    expect(declared(hoistRowsIn(fn([loopOver([...reads, b.assign({ kind: "var", name: "i" }, b.v("j"))])])).body)).toEqual([]);
  });

  it("keeps one name for the same row in sibling scopes, reads it once per list, and takes a fresh name where one would clash", () => {
    const use = (counter: string) => loopOver(b.increment({ kind: "var", name: "s" }, at("A", b.v("i"), b.v(counter))), counter);
    const siblings = hoistRowsIn(fn([{ kind: "block", body: [use("j")] }, { kind: "block", body: [use("k")] }])).body;
    const names = siblings.map((s) => ((s as { body: Stmt[] }).body[0] as { name: string }).name);
    expect(names).toEqual(["A_i", "A_i"]);
    // In one list the second loop reads the row the first one's hoisting already read...
    const sameList = hoistRowsIn(fn([b.declare("A_i", b.num(0)), use("j"), use("k")])).body;
    expect(declared(sameList).map((d) => d.split(" ")[0])).toEqual(["A_i", "A_i2"]);
    expect(JSON.stringify(sameList[3])).toContain('"name":"A_i2"');
    // ...unless its index changed in between.
    const moved = hoistRowsIn(fn([use("j"), b.assign({ kind: "var", name: "i" }, b.num(1)), use("k")])).body;
    expect(declared(moved).map((d) => d.split(" ")[0])).toEqual(["A_i", "A_i2"]);
  });

  it("gives gradients that match the oracles (a row of the primal and a row of an adjoint hoisted)", async () => {
    const built = await build(`/**
 * @grad x, A
 * @hvp x, A
 */
export function bilinear(x: readonly number[], A: readonly (readonly number[])[], y: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) {
    let t = 0;
    for (let j = 0; j < x.length; j++) t += A[i][j] * Math.sin(x[j]);
    s += y[i] * t * t;
  }
  return s;
}
`);
    expect(built.text).toMatch(/const A_i = A\[i\];/);
    expect(built.text).toMatch(/const A_bar_i = A_bar\[i\];/);
    const next = rng(7);
    await checkGradientAndHvp(built, "bilinear", [randomVector(4, next), randomMatrix(3, 4, next), randomVector(3, next)], ["x", "A"], {
      x: randomVector(4, next),
      A: randomMatrix(3, 4, next),
    });
  });
});
