/**
 * Common subexpression elimination before differentiating (compiler/transform/cse.ts): a
 * pure `const` computed again from the same values, typically by two inlined calls of one
 * helper at the same point (GradBench particle's two inner JVPs, one per direction), is
 * read from its first copy. Every mode then differentiates it once, and reverse mode saves
 * it once. A part of any expression that an earlier `const` holds (`Math.log(x / y)` beside
 * `const q = x / y`) is read from it likewise. Values are the same doubles; derivatives match the tape, central differences,
 * the dot product of forward and reverse mode and the build with the pass off
 * (`{ cse: false }`), which keeps both copies.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { BinaryOp, Expr, FunctionIR, LValue, Stmt, ValueType } from "../compiler/ir/nodes.ts";
import { changedIn, eliminateCommonSubexpressions, writesMemory, writesOf, type ValueKeys } from "../compiler/transform/cse.ts";
import { walkStmts } from "../compiler/ir/visit.ts";
import { build, diagnose, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { maxRelError } from "./harness/numeric.ts";

/** A particle pulled by a charge at (1, w): the pull along x and along y are two calls of one helper at one position. */
const orbit = `function pull(w: number, x: number, y: number, dx: number, dy: number): number {
  const ax = x - 1;
  const ay = y - w;
  const r = Math.sqrt(ax * ax + ay * ay);
  return (ax * dx + ay * dy) / (r * r * r);
}

/**
 * @grad w
 * @jvp w
 * @hvp w
 */
export function orbit(w: number, steps: number): number {
  let x = 0.5;
  let y = 2;
  let vx = 0.3;
  let vy = 0;
  for (let s = 0; s < steps; s++) {
    const fx = pull(w, x, y, 1, 0);
    const fy = pull(w, x, y, 0, 1);
    x += 0.1 * vx;
    y += 0.1 * vy;
    vx -= 0.1 * fx;
    vy -= 0.1 * fy;
  }
  return x * x + y;
}
`;

/**
 * Pairs of equal expressions that must stay two computations: a variable written between
 * them, a loop writing what an outer value read, a branch's own declaration, an element
 * read after the element changed. And pairs that may merge: nothing they read changed.
 */
const hazards = `/**
 * @grad a b
 * @jvp a b
 * @hvp a b
 */
export function hazards(a: number, b: number, xs: readonly number[]): number {
  let c = a;
  const r1 = Math.sin(c * b);
  c = b;
  const r2 = Math.sin(c * b);
  let t = r1 + 2 * r2;
  const d3 = Math.exp(a * 0.5);
  for (let i = 0; i < xs.length; i++) {
    const r3 = Math.sin(c * b);
    const e3 = Math.exp(a * 0.5);
    t += r3 * e3 * d3 * xs[i];
    c = c + xs[i];
  }
  if (a > 0) {
    const m = Math.cos(a * b);
    t += m;
  }
  const m2 = Math.cos(a * b);
  const buf = new Array(2).fill(0);
  buf[0] = a * b;
  const e1 = Math.sqrt(1 + buf[0] * buf[0]);
  buf[0] = a + b;
  const e2 = Math.sqrt(1 + buf[0] * buf[0]);
  let p = a;
  const q1 = p * p;
  p += b;
  const q2 = p * p;
  return t + 3 * m2 + e1 * e2 + q1 * q2;
}
`;

/**
 * Parts of expressions an earlier `const` holds, read from it: a quotient inside two calls,
 * a call inside a product, an element product, a loop-invariant call and a loop body's own
 * difference. And parts that must be computed again: a variable written, an element
 * written, a loop writing what the holder read, a holder declared in a branch.
 */
const parts = `/**
 * @grad a, b
 * @jvp a, b
 * @hvp a, b
 */
export function parts(a: number, b: number, xs: readonly number[]): number {
  const q = a / b;
  const r = Math.log(a / b) + Math.sqrt(1 + a / b);
  let c = a * b;
  const w = Math.sin(c + 1);
  let t = q * r + w * Math.sin(c + 1);
  c = c * 0.5;
  t += Math.cos(Math.sin(c + 1));
  const buf = new Array(2).fill(0);
  buf[0] = a - b;
  const e = buf[0] * buf[0];
  t += Math.exp(buf[0] * buf[0]);
  buf[0] = a + b;
  t += Math.exp(buf[0] * buf[0]);
  const h = Math.tanh(a * b + 1);
  const g = Math.exp(c * 0.1);
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - q;
    t += h * Math.tanh(a * b + 1) * d / (xs[i] - q + 2);
    t += Math.exp(c * 0.1) * xs[i];
    c += xs[i];
  }
  if (a > 0) {
    const m = Math.cos(a + b);
    t += m * Math.cos(a + b);
  }
  return t + e + g + Math.cos(a + b) / (a / b);
}
`;

type Jvp = (...a: unknown[]) => { value: number; tangent: number };
type Grad = (...a: unknown[]) => { value: number; grad: Record<string, number> };

describe("common subexpression elimination", () => {
  it("computes what two inlined calls at one point share once, in every mode, and reverse mode saves it once", async () => {
    const on = await build(orbit);
    const off = await build(orbit, { cse: false });
    const count = (text: string, fn: string, pattern: RegExp) => generatedFunction(text, fn, false).match(pattern)?.length ?? 0;
    // One square root per step in the forward sweeps (was two: one per call).
    for (const fn of ["orbitGradInto", "orbitJvp", "orbitHvpInto"]) {
      expect(count(on.text, fn, /Math\.sqrt\(/g), fn).toBe(1);
      expect(count(off.text, fn, /Math\.sqrt\(/g), fn).toBe(2);
    }
    // The step's saved values: ax, ay and r once (off: each twice).
    const pushes = (text: string) => count(text, "orbitGradInto", /saved\[savedTop\+\+\] = /g);
    expect(pushes(on.text)).toBeLessThan(pushes(off.text));
    expect(generatedFunction(on.text, "orbitGradInto")).not.toMatch(/const ax_1 = /);
  });

  it("gives derivatives that match the tape, differences, forward mode and the build without it", async () => {
    const on = await build(orbit);
    const off = await build(orbit, { cse: false });
    for (const w of [0.3, -0.8, 1.7]) {
      const args = [w, 25];
      await checkGradientAndHvp(on, "orbit", args, ["w"], { w: 0.6 });
      const g = (on.generated.orbitGrad as Grad)(...args);
      const gOff = (off.generated.orbitGrad as Grad)(...args);
      expect(g.value).toBe(gOff.value);
      expect(maxRelError([g.grad.w!], [gOff.grad.w!])).toBeLessThan(1e-14);
      // Forward and reverse meet: the tangent along 0.6 is 0.6 dE/dw.
      const jvp = (on.generated.orbitJvp as Jvp)(...args, { w: 0.6 });
      expect(jvp.value).toBe(g.value);
      expect(maxRelError([jvp.tangent], [0.6 * g.grad.w!])).toBeLessThan(1e-14);
      expect(maxRelError([jvp.tangent], [(off.generated.orbitJvp as Jvp)(...args, { w: 0.6 }).tangent])).toBeLessThan(1e-14);
    }
  });

  it("keeps two computations where a write, a loop, a branch or an element change comes between them", async () => {
    const on = await build(hazards);
    const off = await build(hazards, { cse: false });
    const primal = generatedFunction(on.text, "hazardsJvp", false);
    // Merged: the loop's exp(a * 0.5) (a is not written in the loop) is the one before it.
    expect(primal.match(/Math\.exp\(a \* 0\.5\)/g)?.length).toBe(1);
    expect(primal.match(/Math\.sin\(c \* b\)/g)?.length).toBe(3);
    expect(primal.match(/Math\.cos\(a \* b\)/g)?.length).toBe(2);
    expect(primal.match(/Math\.sqrt\(1 \+ buf\[0\] \* buf\[0\]\)/g)?.length).toBe(2);
    expect(primal).toMatch(/const q2 = p \* p/);
    const xs = [0.4, -0.7, 1.1, 0.25];
    for (const [a, b] of [[0.6, -0.3], [-0.9, 0.45], [1.3, 0.8]] as [number, number][]) {
      const args = [a, b, xs];
      await checkGradientAndHvp(on, "hazards", args, ["a", "b"], { a: 0.3, b: -0.5 });
      const g = (on.generated.hazardsGrad as Grad)(...args);
      const gOff = (off.generated.hazardsGrad as Grad)(...args);
      expect(g.value).toBe(gOff.value);
      expect(maxRelError([g.grad.a!, g.grad.b!], [gOff.grad.a!, gOff.grad.b!])).toBeLessThan(1e-14);
      const jvp = (on.generated.hazardsJvp as Jvp)(...args, { a: 0.3, b: -0.5 });
      expect(jvp.value).toBe((on.source.hazards as (...a: unknown[]) => number)(...args));
      expect(maxRelError([jvp.tangent], [0.3 * g.grad.a! - 0.5 * g.grad.b!])).toBeLessThan(1e-13);
    }
  });

  it("reads a part of an expression an earlier const holds from it, in every mode, and computes again what changed in between", async () => {
    const on = await build(parts);
    const off = await build(parts, { cse: false });
    const count = (text: string, fn: string, pattern: RegExp) => generatedFunction(text, fn, false).match(pattern)?.length ?? 0;
    for (const fn of ["partsGradInto", "partsJvp", "partsHvpInto"]) {
      // a / b divided once (q), in the primal and in every partial; tanh(a·b + 1) taken once (h).
      expect(count(on.text, fn, /a \/ b/g), fn).toBe(1);
      expect(count(off.text, fn, /a \/ b/g), fn).toBeGreaterThanOrEqual(4);
      expect(count(on.text, fn, /Math\.tanh\(/g), fn).toBe(1);
      expect(count(off.text, fn, /Math\.tanh\(/g), fn).toBe(2);
    }
    const jvp = generatedFunction(on.text, "partsJvp", false);
    expect(jvp).toMatch(/Math\.log\(q\)/);
    expect(jvp).toMatch(/Math\.sqrt\(1 \+ q\)/);
    expect(jvp).toMatch(/let t = q \* r \+ w \* w;/);
    expect(jvp).toMatch(/const _t\d+ = Math\.exp\(e\);/);
    expect(jvp).toMatch(/\(h \* h \* d\) \/ \(d \+ 2\)/);
    // Computed again: c written (sin(c + 1)), buf[0] written (exp(buf[0]²)), c written by
    // the loop (exp(c · 0.1)), m declared in the branch (cos(a + b) after it).
    expect(jvp.match(/ = Math\.sin\(c \+ 1\)/g)?.length).toBe(2);
    expect(jvp.match(/Math\.exp\(buf\[0\] \* buf\[0\]\)/g)?.length).toBe(1);
    expect(jvp.match(/ = Math\.exp\(c \* 0\.1\)/g)?.length).toBe(2);
    expect(jvp.match(/ = Math\.cos\(a \+ b\)/g)?.length).toBe(2);
  });

  it("gives the same values and derivatives that match the tape, differences, forward mode and the build without it", async () => {
    const on = await build(parts);
    const off = await build(parts, { cse: false });
    const xs = [0.4, -0.7, 1.1, 0.25];
    const f = on.source.parts as (...a: unknown[]) => number;
    // a / b > 0 for the logarithm; both signs of a for the branch.
    for (const [a, b] of [[0.6, 0.3], [-0.9, -1.7], [1.3, 0.8]] as [number, number][]) {
      const args = [a, b, xs];
      await checkGradientAndHvp(on, "parts", args, ["a", "b"], { a: 0.3, b: -0.5 });
      const g = (on.generated.partsGrad as Grad)(...args);
      const gOff = (off.generated.partsGrad as Grad)(...args);
      expect(g.value).toBe(f(...args));
      expect(g.value).toBe(gOff.value);
      expect(maxRelError([g.grad.a!, g.grad.b!], [gOff.grad.a!, gOff.grad.b!])).toBeLessThan(1e-14);
      const jvp = (on.generated.partsJvp as Jvp)(...args, { a: 0.3, b: -0.5 });
      expect(jvp.value).toBe(f(...args));
      expect(maxRelError([jvp.tangent], [0.3 * g.grad.a! - 0.5 * g.grad.b!])).toBeLessThan(1e-13);
    }
  });

  it("never meets an element written through another name: a write through a row of a parameter is refused", async () => {
    // CSE forgets every element read at any element write; the one way to write an element
    // under another name, a row of an array parameter, is refused at the write (the
    // derivative could not follow it), so this program never reaches the passes.
    const diagnostics = await diagnose(`/** @grad a, b */
export function throughRow(a: number, b: number, grid: number[][]): number {
  const row = grid[0];
  row[1] = 2;
  const e = grid[0][1] + a;
  row[1] = 3;
  return Math.exp(e) + b * Math.exp(grid[0][1] + a);
}
`);
    expect(diagnostics.map((d) => [d.code, d.message.split(":")[0]])).toEqual([
      [3008, "'row' is a row of the parameter 'grid'"],
      [3008, "'row' is a row of the parameter 'grid'"],
    ]);
  });
});

/**
 * The keys the pass told values apart by before value numbering: text built from the parts'
 * text, equal exactly when the expressions are equal (a `.length` and a field `length` alike).
 */
const textKeys: ValueKeys<string> = {
  number: (value) => (Object.is(value, -0) ? "-0" : String(value)),
  variable: (name) => `$${name}`,
  unary: (op, operand) => `(${op}${operand})`,
  binary: (op, left, right) => `(${left}${op}${right})`,
  call: (callee, args) => `${callee}(${args.join(",")})`,
  index: (object, index) => `${object}[${index}]`,
  field: (object, name) => `${object}:${name}`,
};

const ARRAY: ValueType = { kind: "array", element: b.NUMBER, container: "array", readonly: false };
const RECORD: ValueType = { kind: "record", fields: [{ name: "w", type: b.NUMBER }, { name: "length", type: b.NUMBER }] } as ValueType;

const CONSTS = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"];

/** Random functions full of repeated pure expressions: consts, reassigned locals, element writes, calls, branches, loops and blocks. */
function randomFunction(): fc.Arbitrary<FunctionIR> {
  const leaf = fc.oneof(
    fc.constantFrom("x", "y", "s", "u", "i", ...CONSTS).map(b.v),
    fc.constantFrom(0, -0, 1, 2.5, NaN, -1).map(b.num),
    fc.constantFrom<Expr>(b.index(b.v("a"), b.num(0)), b.index(b.v("a"), b.v("i")), { kind: "length", object: b.v("a") }, b.field(b.v("p"), "w"), b.field(b.v("p"), "length"), { kind: "length", object: b.v("p") }),
  );
  const expr = fc.letrec<{ e: Expr }>((tie) => ({
    // Shallow, over few leaves: the same expression comes up again and again.
    e: fc.oneof(
      { maxDepth: 2, withCrossShrink: true },
      { arbitrary: leaf, weight: 3 },
      { arbitrary: fc.tuple(fc.constantFrom("+", "-", "*", "/", "**", "<") as fc.Arbitrary<BinaryOp>, tie("e"), tie("e")).map(([op, l, r]) => b.bin(op, l, r)), weight: 4 },
      { arbitrary: fc.tuple(fc.constantFrom("-", "+", "!") as fc.Arbitrary<"-" | "+" | "!">, tie("e")).map(([op, operand]): Expr => ({ kind: "unary", op, operand })), weight: 1 },
      { arbitrary: fc.tuple(fc.constantFrom("Math.sin", "Math.exp", "Math.max", "Math.hypot", "Math.nope"), tie("e"), tie("e")).map(([f, x, y]) => b.call(f, f === "Math.sin" || f === "Math.exp" ? [x] : [x, y])), weight: 2 },
      { arbitrary: fc.tuple(tie("e"), tie("e"), tie("e")).map(([t, l, r]): Expr => ({ kind: "conditional", test: t, whenTrue: l, whenFalse: r })), weight: 1 },
      { arbitrary: fc.tuple(tie("e")).map(([x]): Expr => ({ kind: "userCall", callee: "g", args: [x] }) as Expr), weight: 1 },
    ),
  })).e;
  const stmts = fc.letrec<{ top: Stmt[]; list: Stmt[]; s: Stmt }>((tie) => ({
    top: fc.array(tie("s"), { minLength: 4, maxLength: 12 }),
    list: fc.array(tie("s"), { maxLength: 5 }),
    s: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      { arbitrary: fc.tuple(fc.constantFrom(...CONSTS), expr).map(([name, init]) => b.declare(name, init)), weight: 6 },
      fc.tuple(fc.constantFrom("s", "u"), expr).map(([name, value]) => b.assign(b.v(name) as LValue, value)),
      fc.tuple(fc.constantFrom<LValue>(b.index(b.v("a"), b.num(0)) as LValue, b.index(b.v("a"), b.v("i")) as LValue, b.field(b.v("p"), "w") as LValue), expr).map(([target, value]) => b.assign(target, value)),
      expr.map((value): Stmt => ({ kind: "append", array: "a", value })),
      expr.map((x): Stmt => ({ kind: "call", callee: "log", args: [x] })),
      fc.tuple(expr, tie("list"), tie("list")).map(([test, then, otherwise]): Stmt => ({ kind: "if", test, then, else: otherwise })),
      fc.tuple(expr, tie("list")).map(([bound, body]) => b.countUp("i", b.num(0), bound, body)),
      tie("list").map((body): Stmt => ({ kind: "block", body })),
    ),
  })).top;
  return fc.tuple(stmts, expr).map(([body, result]) => {
    // Each const is declared once (the pass's candidates); later declarations of a name become plain ones.
    const seen = new Set<string>();
    const once = (list: Stmt[]): Stmt[] =>
      list.map((s) => {
        if (s.kind === "declare") {
          if (seen.has(s.name)) return b.assign(b.v("u") as LValue, s.init);
          seen.add(s.name);
          return s;
        }
        if (s.kind === "if") return { ...s, then: once(s.then), else: once(s.else) };
        if (s.kind === "loop") return { ...s, body: once(s.body) };
        if (s.kind === "block") return { ...s, body: once(s.body) };
        return s;
      });
    const declared = once(body);
    const prologue = [b.declare("s", b.v("x"), true), b.declare("u", b.v("y"), true), b.declare("a", { kind: "arrayLiteral", elements: [b.v("x"), b.v("y")] } as Expr, false, ARRAY)];
    return {
      name: "f",
      params: [{ name: "x", type: b.NUMBER, typeText: "number" }, { name: "y", type: b.NUMBER, typeText: "number" }, { name: "p", type: RECORD, typeText: "P" }],
      returnType: b.NUMBER,
      returnTypeText: "number",
      body: [...prologue, ...declared, { kind: "return", value: result }],
      exported: true,
      span: { file: "f.ts", line: 1, column: 1, length: 1 },
    } as FunctionIR;
  });
}

describe("value numbering", () => {
  it("tells values apart exactly as the textual keys did: the same function out, on random functions", () => {
    let merged = 0;
    fc.assert(
      fc.property(randomFunction(), (fn) => {
        const numbered = eliminateCommonSubexpressions(fn);
        expect(numbered).toEqual(eliminateCommonSubexpressions(fn, textKeys));
        if (numbered !== fn) merged++;
      }),
      { numRuns: 1500, seed: 19 },
    );
    // The programs exercise the pass: over a hundred of them have something read from a holder.
    expect(merged).toBeGreaterThan(100);
  });

  it("keeps the textual keys' corners: a length and a field 'length', -x and x - x, 0 and -0, NaN, calls of one callee with other arguments", () => {
    const length: Expr = { kind: "length", object: b.v("p") };
    const neg = (x: Expr): Expr => ({ kind: "unary", op: "-", operand: x });
    const corners: Stmt[][] = [
      [b.declare("c0", b.field(b.v("p"), "length")), b.declare("c1", b.add(length, b.num(1))), b.declare("c2", length)],
      [b.declare("c0", b.bin("-", b.v("x"), b.v("x"))), b.declare("c1", neg(b.v("x"))), b.declare("c2", b.bin("*", neg(b.v("x")), b.v("y")))],
      [b.declare("c0", b.bin("*", b.v("x"), b.num(0))), b.declare("c1", b.bin("*", b.v("x"), b.num(-0))), b.declare("c2", b.bin("*", b.v("x"), b.num(NaN))), b.declare("c3", b.bin("*", b.v("x"), b.num(NaN)))],
      [b.declare("c0", b.call("Math.max", [b.v("x"), b.v("y")])), b.declare("c1", b.call("Math.max", [b.v("x")])), b.declare("c2", b.call("Math.max", [b.v("x"), b.v("y"), b.v("x")])), b.declare("c3", b.call("Math.max", [b.v("x"), b.v("y")]))],
    ];
    for (const body of corners) {
      const fn = { name: "f", params: [{ name: "x", type: b.NUMBER, typeText: "number" }, { name: "y", type: b.NUMBER, typeText: "number" }, { name: "p", type: RECORD, typeText: "P" }], returnType: b.NUMBER, returnTypeText: "number", body: [...body, { kind: "return", value: b.v("c0") }], exported: true, span: { file: "f.ts", line: 1, column: 1, length: 1 } } as FunctionIR;
      const numbered = eliminateCommonSubexpressions(fn);
      expect(numbered).not.toBe(fn);
      expect(numbered).toEqual(eliminateCommonSubexpressions(fn, textKeys));
    }
  });
});

describe("values told apart", () => {
  it("never merges values whose operands come in another order: x - y and y - x, x ** y and y ** x, Math.max(x, y) and Math.max(y, x), a[x] and a[y]", () => {
    const pairs: [Expr, Expr][] = [
      [b.bin("-", b.v("x"), b.v("y")), b.bin("-", b.v("y"), b.v("x"))],
      [b.bin("**", b.v("x"), b.v("y")), b.bin("**", b.v("y"), b.v("x"))],
      [b.bin("/", b.add(b.v("x"), b.num(1)), b.v("y")), b.bin("/", b.v("y"), b.add(b.v("x"), b.num(1)))],
      [b.call("Math.max", [b.v("x"), b.v("y")]), b.call("Math.max", [b.v("y"), b.v("x")])],
      [b.call("Math.hypot", [b.v("x"), b.num(2)]), b.call("Math.hypot", [b.num(2), b.v("x")])],
      [b.index(b.v("a"), b.v("x")), b.index(b.v("a"), b.v("y"))],
    ];
    for (const [first, second] of pairs) {
      const fn = {
        name: "f",
        params: [{ name: "x", type: b.NUMBER, typeText: "number" }, { name: "y", type: b.NUMBER, typeText: "number" }, { name: "a", type: ARRAY, typeText: "number[]" }],
        returnType: b.NUMBER,
        returnTypeText: "number",
        body: [b.declare("c0", first), b.declare("c1", second), { kind: "return", value: b.add(b.v("c0"), b.v("c1")) }],
        exported: true,
        span: { file: "f.ts", line: 1, column: 1, length: 1 },
      } as FunctionIR;
      expect(eliminateCommonSubexpressions(fn)).toBe(fn);
      expect(eliminateCommonSubexpressions(fn, textKeys)).toBe(fn);
    }
  });
});

describe("what a statement may change", () => {
  /** writesOf against the walks it stands for, on one statement. */
  const agrees = (s: Stmt) => {
    const changed = new Set<string>(["before"]);
    const memory = writesOf(s, changed);
    expect([...changed].sort()).toEqual(["before", ...changedIn([s])].sort());
    expect(memory).toBe(writesMemory([s]));
  };

  it("read directly from a statement without nested ones, it is what the walks find, on every statement of random functions", () => {
    let direct = 0;
    fc.assert(
      fc.property(randomFunction(), (fn) => {
        walkStmts(fn.body, (s) => {
          agrees(s);
          if (s.kind !== "if" && s.kind !== "loop" && s.kind !== "block") direct++;
        });
      }),
      { numRuns: 300, seed: 19 },
    );
    expect(direct).toBeGreaterThan(2000);
  });

  it("and on the statements random functions lack: fills, pops, pushes, rewinds, checks, a record declared, a user call in a return", () => {
    const a = b.v("a");
    const statements: Stmt[] = [
      { kind: "fillZero", array: b.field(b.v("p"), "w") },
      { kind: "shrink", array: "a" },
      { kind: "push", stack: "values", value: b.v("x") },
      { kind: "push", stack: "values", value: { kind: "userCall", callee: "g", args: [b.v("x")] } as Expr },
      { kind: "drop", stack: "values" },
      { kind: "rewind", stack: "values", size: b.v("n") },
      { kind: "stackSizeSet", stack: "control", size: b.num(0) },
      { kind: "check", failsWhen: b.bin("<", b.v("x"), b.num(0)), message: "x" },
      b.declare("r", { kind: "record", fields: [{ name: "w", value: a }] } as Expr),
      { kind: "return", value: b.add(b.v("x"), { kind: "userCall", callee: "g", args: [a] } as Expr) },
      { kind: "comment", text: "line 1" },
      { kind: "break" },
    ];
    for (const s of statements) agrees(s);
  });
});
