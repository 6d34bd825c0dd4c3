/**
 * A straight-line function's statements are swept once for every round of reverse mode's
 * to-be-recorded fixpoint (transform/reverse/body.ts, generateOnce; each round only decides
 * which assignments save the value they overwrite). The bodies must be exactly the ones
 * generated afresh in every round: checked on random straight-line functions (scalars
 * overwritten and read later, a local array written at a variable index, so that a restore
 * reads the index and the fixpoint needs a third round, costly calls, quotients, ?:, source
 * comments), with and without to-be-recorded analysis, comparing everything reverse mode
 * gives and the names it took.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { Expr, FunctionIR, LValue, Stmt, ValueType } from "../compiler/ir/nodes.ts";
import { analyzeActivity } from "../compiler/analysis/activity.ts";
import { analyzeVariables } from "../compiler/analysis/variables.ts";
import { Namer } from "../compiler/transform/naming.ts";
import { normalizeControlFlow } from "../compiler/transform/normalize.ts";
import { reverseMode } from "../compiler/transform/reverse/strategy.ts";
import { completeBody, generateBody, generateOnce, type Completion, type Generated } from "../compiler/transform/reverse/body.ts";
import { newGeneration } from "../compiler/transform/reverse/context.ts";
import { exprReads, stmtExprs, walkStmts } from "../compiler/ir/visit.ts";
import type { ReverseInput } from "../compiler/transform/reverse/types.ts";
import { Printer } from "../compiler/backend/print.ts";

const ARRAY: ValueType = { kind: "array", element: b.NUMBER, container: "array", readonly: false };
const READONLY_ARRAY: ValueType = { kind: "array", element: b.NUMBER, container: "array", readonly: true };
const at = (line: number, s: Stmt): Stmt => ({ ...s, span: { file: "f.ts", line, column: 3, length: 1 } }) as Stmt;
const locals = ["s", "u", "w"];
const params = ["x", "y", "k"];

interface Program {
  body: Stmt[];
  result: Expr;
}

/** Expressions over the parameters, the locals declared so far and the local array `a`. */
function expr(names: string[]): fc.Arbitrary<Expr> {
  return fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom(...names).map(b.v),
      fc.constantFrom(0, 1, 2.5).map(b.num),
      fc.constantFrom(b.index(b.v("a"), b.v("k")), b.index(b.v("a"), b.num(1)), b.index(b.v("p"), b.v("k")), b.index(b.v("q"), b.v("k"))),
      fc.tuple(fc.constantFrom("+", "-", "*", "/") as fc.Arbitrary<"+" | "-" | "*" | "/">, tie("e"), tie("e")).map(([op, l, r]) => b.bin(op, l, r)),
      fc.tuple(fc.constantFrom("Math.sin", "Math.exp", "Math.tanh", "Math.sqrt"), tie("e")).map(([f, a]) => b.call(f, [a])),
      fc.tuple(tie("e"), tie("e"), tie("e")).map(([t, l, r]): Expr => ({ kind: "conditional", test: b.bin("<", t, b.num(1)), whenTrue: l, whenFalse: r })),
    ),
  })).e;
}

type Step = { kind: "local" | "assign" | "element" | "inactive" | "const" | "comment"; pick: number; value: Expr; op: "=" | "+=" | "*=" };

const step = (names: string[]): fc.Arbitrary<Step> =>
  fc.record({
    kind: fc.constantFrom("local", "assign", "assign", "element", "inactive", "const", "comment") as fc.Arbitrary<Step["kind"]>,
    pick: fc.nat(),
    value: expr(names),
    op: fc.constantFrom("=", "+=", "*=") as fc.Arbitrary<Step["op"]>,
  });

/** `const a = [x, y, 0]; const q = [k, 2, 3]; let s = x; …` then random steps (each reading only names declared before it), returning a local or an expression. */
const program: fc.Arbitrary<Program> = fc
  .tuple(fc.array(step([...params, ...locals]), { minLength: 1, maxLength: 14 }), fc.nat(), fc.boolean())
  .map(([steps, which, returnsLocal]) => {
    const body: Stmt[] = [
      b.declare("a", { kind: "arrayLiteral", elements: [b.v("x"), b.v("y"), b.num(0)] } as Expr, false, ARRAY),
      b.declare("q", { kind: "arrayLiteral", elements: [b.v("k"), b.num(2), b.num(3)] } as Expr, false, ARRAY),
      b.declare("s", b.v("x"), true),
    ];
    const declared = new Set(["s"]);
    const known = (e: Expr): boolean => {
      let ok = true;
      const visit = (x: Expr): void => {
        if (x.kind === "var" && !params.includes(x.name) && !declared.has(x.name) && !["a", "q", "p"].includes(x.name)) ok = false;
        for (const v of Object.values(x)) if (v && typeof v === "object" && "kind" in v) visit(v as Expr);
        if (x.kind === "call") x.args.forEach(visit);
      };
      visit(e);
      return ok;
    };
    let consts = 0;
    for (const [n, st] of steps.entries()) {
      const value = known(st.value) ? st.value : b.v("x");
      const local = locals[st.pick % locals.length]!;
      if (st.kind === "comment") body.push(b.comment(`line ${n + 3}`));
      else if (st.kind === "const") body.push(at(n + 3, b.declare(`c${consts++}`, value)));
      else if (st.kind === "local" && !declared.has(local)) {
        declared.add(local);
        body.push(at(n + 3, b.declare(local, value, true)));
      } else if (st.kind === "inactive") {
        // An array no derivative flows through, written at a local index: only its restore reads the index.
        const target = b.index(b.v("q"), b.v([...declared][st.pick % declared.size]!)) as LValue;
        body.push(at(n + 3, b.assign(target, b.mul(b.v("k"), b.num(st.pick % 5)))));
      } else if (st.kind === "element") {
        // At k, at a constant, or at a local (whose later overwrite must then be saved for the restore).
        const index = st.pick % 4 === 0 ? b.num(st.pick % 3) : st.pick % 4 === 1 ? b.v("k") : b.v([...declared][st.pick % declared.size]!);
        const target = b.index(b.v("a"), index) as LValue;
        body.push(at(n + 3, b.assign(target, st.op === "+=" ? b.add(target as Expr, value) : value)));
      } else {
        const target = [...declared][st.pick % declared.size]!;
        const update = st.op === "+=" ? b.add(b.v(target), value) : st.op === "*=" ? b.mul(b.v(target), value) : value;
        body.push(at(n + 3, b.assign(b.v(target) as LValue, update)));
      }
      for (let c = 0; c < consts; c++) declared.add(`c${c}`);
    }
    const names = [...declared];
    const result = returnsLocal ? b.v(names[which % names.length]!) : b.add(b.v(names[which % names.length]!), b.index(b.v("a"), b.v("k")));
    return { body: [...body, { kind: "return", value: result }], result };
  });

function fnOf(p: Program): FunctionIR {
  return {
    name: "f",
    params: [...params.map((name) => ({ name, type: b.NUMBER, typeText: "number" })), { name: "p", type: READONLY_ARRAY, typeText: "readonly number[]" }],
    returnType: b.NUMBER,
    returnTypeText: "number",
    body: p.body,
    exported: true,
    span: { file: "f.ts", line: 1, column: 1, length: 1 },
  };
}

/** reverseMode's input for `p`. */
function inputOf(p: Program, generateOnce: boolean, toBeRecorded: boolean): ReverseInput {
  const source = fnOf(p);
  const namer = Namer.forFunction(source);
  const { fn, result } = normalizeControlFlow(source, namer);
  return {
    fn,
    result,
    wrt: ["x", "y", "p"],
    activity: analyzeActivity(fn, result, ["x", "y", "p"]),
    info: analyzeVariables(fn),
    namer,
    gradName: "grad",
    seed: b.num(1),
    sourceLines: p.body.map((_, n) => `line ${n} source`),
    toBeRecorded,
    generateOnce,
  };
}

/** Everything reverseMode gives, printed, and the names it left taken. */
function reverse(p: Program, generateOnce: boolean, toBeRecorded: boolean): string {
  const input = inputOf(p, generateOnce, toBeRecorded);
  const { namer } = input;
  const out = reverseMode(input);
  const print = (list: Stmt[]) => new Printer().stmts(list);
  const split = out.split && [out.split.prologue, out.split.forward, out.split.reverse, out.split.epilogue].map(print);
  return JSON.stringify({ body: print(out.body), valueName: out.valueName, stacks: [...out.stacks], pullbacks: out.pullbacks, split, next: [namer.temp(), namer.fresh("value"), namer.fresh("s_bar"), namer.fresh("a_k")] });
}

describe("a straight-line body swept once for every fixpoint round", () => {
  it("gives exactly the bodies of sweeping afresh in every round", () => {
    let saves = 0;
    let restoresReadingAnIndex = 0;
    let restoresAtALocal = 0;
    fc.assert(
      fc.property(program, fc.boolean(), (p, tbr) => {
        const fresh = reverse(p, false, tbr);
        expect(reverse(p, true, tbr)).toBe(fresh);
        if (fresh.includes("valueStack.push(")) saves++;
        if (/[aq]\[[a-z]\] = valueStack.pop\(\)/.test(fresh)) restoresReadingAnIndex++;
        if (/[aq]\[[suw]\] = valueStack.pop\(\)/.test(fresh)) restoresAtALocal++;
      }),
      { numRuns: Number(process.env.REVERSE_ONCE_RUNS ?? 300), seed: 19 },
    );
    // The cases that matter were generated: saves, and restores that take a third round.
    expect(saves).toBeGreaterThan(20);
    expect(restoresReadingAnIndex).toBeGreaterThan(3);
    expect(restoresAtALocal).toBeGreaterThan(3);
  }, 60_000);

  it("saves an index that only a restore reads, when it is overwritten later (the third round)", () => {
    // q[u] = k * 2 is restored in the reverse sweep (s's adjoint reads q later), reading u;
    // u = 2 comes after it, so u is restored too, before.
    const q = b.v("q");
    const u = b.v("u");
    const p: Program = {
      body: [
        b.declare("q", { kind: "arrayLiteral", elements: [b.v("k"), b.num(2), b.num(3)] } as Expr, false, ARRAY),
        b.declare("s", b.v("x"), true),
        b.declare("u", b.num(0), true),
        b.assign(b.v("s") as LValue, b.mul(b.v("s"), b.index(q, b.v("k")))),
        b.assign(b.index(q, u) as LValue, b.mul(b.v("k"), b.num(2))),
        b.assign(u as LValue, b.num(2)),
        { kind: "return", value: b.add(b.v("s"), b.index(q, b.num(1))) },
      ],
      result: b.add(b.v("s"), b.index(q, b.num(1))),
    };
    const once = reverse(p, true, true);
    expect(once).toBe(reverse(p, false, true));
    const text = JSON.parse(once).body as string;
    expect(text).toContain("u = valueStack.pop();\nq[u] = valueStack.pop();");
  });

  it("saves the overwritten value the second round finds the reverse sweep reads", () => {
    const p: Program = {
      body: [b.declare("s", b.v("x"), true), b.assign(b.v("s") as LValue, b.mul(b.v("s"), b.v("s"))), { kind: "return", value: b.v("s") }],
      result: b.v("s"),
    };
    const text = JSON.parse(reverse(p, true, true)).body as string;
    expect(text).toContain("valueStack.push(s);");
    expect(text).toContain("s = valueStack.pop();");
  });
});

describe("the first fixpoint round's reads-only generation", () => {
  /** What the fixpoint takes from a round: the variables of the function its reverse sweep reads, its read log, and the adjoint names. */
  const taken = (input: ReverseInput, generated: Generated, names: Map<string, string>): string => {
    const reads = new Set<string>();
    walkStmts(generated.reverseSweep, (s) => {
      for (const e of stmtExprs(s)) exprReads(e, reads);
    });
    const primal = [...reads].filter((n) => input.info.types.has(n)).sort();
    return JSON.stringify({ primal, log: [...generated.attempt.readLog], names: [...names], stacks: [...generated.attempt.stacks] });
  };

  it("reads what the whole generation reads (body and constant seed left out), swept once or afresh", () => {
    let folded = 0;
    fc.assert(
      fc.property(program, fc.boolean(), fc.boolean(), (p, cleanup, neededAll) => {
        const input = inputOf(p, true, true);
        const needed = neededAll ? new Set(input.info.types.keys()) : new Set<string>();
        const plan = { needed, priorReads: null, recorded: new Set<string>(), tbr: true };
        const readsOnly: Completion = { cleanup, readsOnly: true };
        const whole: Completion = { cleanup, readsOnly: false };
        const gen = (names: Map<string, string>) => newGeneration(input, plan, names);
        const [a, b2] = [new Map<string, string>(), new Map<string, string>()];
        const fresh = generateBody(gen(a), input.namer.clone(), readsOnly);
        const fullFresh = generateBody(gen(b2), input.namer.clone(), whole);
        expect(taken(input, fresh, a)).toBe(taken(input, fullFresh, b2));
        const seed = input.result.kind === "var" ? b2.get(input.result.name) : undefined;
        if (seed && !fullFresh.output.body.some((s) => s.kind === "declare" && s.name === seed)) folded++;
        const [c, d] = [new Map<string, string>(), new Map<string, string>()];
        const once = generateOnce(gen(new Map()), input.namer.clone());
        expect(taken(input, completeBody(once, plan, c, readsOnly), c)).toBe(taken(input, completeBody(once, plan, d, whole), d));
      }),
      { numRuns: Number(process.env.REVERSE_ONCE_RUNS ?? 200), seed: 23 },
    );
    // The constant seed was folded (its declaration gone) in some of the whole generations.
    expect(folded).toBeGreaterThan(10);
  }, 60_000);
});
