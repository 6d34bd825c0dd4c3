/**
 * The compiler's rule table (compiler/ir/primitives.ts) and the tape's own table
 * (runtime/tape/rules.ts) are written independently, so that a wrong rule shows up as a
 * disagreement; this checks they at least cover the same primitives, and that every
 * compiler rule agrees with the tape on a few points (value and first derivative).
 */
import { describe, expect, it } from "vitest";
import {
  PRIMITIVES as COMPILER,
  isCheapCall,
  isCostlyOtherwise,
  isDifferentiableOperator,
  isIntegerValuedCall,
  isPiecewiseConstant,
  reusesCostlyResult,
} from "../compiler/ir/primitives.ts";
import { RULES as TAPE, tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build } from "./harness/build.ts";
import { num, v } from "../compiler/ir/build.ts";
import type { Expr } from "../compiler/ir/nodes.ts";

/** Compiler primitive name → tape primitive name. */
function tapeName(name: string): string {
  const operators: Record<string, string> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow", neg: "neg" };
  return operators[name] ?? name.replace(/^Math\./, "");
}

describe("the primitives table", () => {
  /** The partials for symbolic arguments (a variadic primitive with two and with three). */
  const probe = (name: string) => {
    const p = COMPILER[name]!;
    let readsResult = false;
    const partials = (p.arity === "variadic" ? [2, 3] : [p.arity]).flatMap((n) =>
      p.partials(Array.from({ length: n }, (_, k) => v(`a${k}`)), () => ((readsResult = true), v("ans"))),
    );
    return { p, readsResult, partials };
  };

  it("says which primitives' partials read the result, as the partials do", () => {
    for (const name of Object.keys(COMPILER)) {
      const { p, readsResult } = probe(name);
      expect(p.reusesResult === true, name).toBe(readsResult);
    }
  });

  it("calls exactly the primitives whose partials are all zero piecewise constant", () => {
    for (const name of Object.keys(COMPILER)) {
      const { p, partials } = probe(name);
      expect(p.piecewiseConstant === true, name).toBe(partials.every((x) => x === null));
    }
  });
});

describe("the two rule tables", () => {
  it("cover the same primitives", () => {
    const fromCompiler = new Set(Object.keys(COMPILER).map(tapeName));
    expect([...fromCompiler].sort()).toEqual(Object.keys(TAPE).sort());
  });

  it("agree on every primitive's derivative in reverse mode, forward mode and forward over reverse", async () => {
    const unary = Object.keys(COMPILER).filter((n) => n.startsWith("Math.") && COMPILER[n]!.arity === 1);
    const binary = Object.keys(COMPILER).filter((n) => n.startsWith("Math.") && COMPILER[n]!.arity !== 1);
    // Points inside every domain (acosh needs > 1, asin/atanh need |x| < 1).
    const body = [
      ...unary.map((n) => `  s += ${n}(${n === "Math.acosh" ? "1.5 + x * x" : "0.3 + 0.2 * x * x - 0.1 * x"}) * ${unary.indexOf(n) + 1};`),
      ...binary.map((n) => `  s += ${n}(0.3 + x * x, 0.2 + y * y) * ${binary.indexOf(n) + 2};`),
    ].join("\n");
    // The operators too, with both arguments active, and unary minus.
    const operators = ["+", "-", "*", "/", "%", "**"].map((op, k) => `  s += (0.3 + x * x) ${op} (0.2 + y * y) * ${k + 3};`).join("\n");
    const source = `/**\n * @grad\n * @jvp\n * @hvp\n */\nexport function f(x: number, y: number): number {\n  let s = 0;\n${body}\n${operators}\n  s += -(x * y) * s;\n  return s;\n}\n`;
    const { generated } = await build(source);
    const tape = tapeModuleFromSource(source, "rules.ts");
    const close = (mine: number, theirs: number) => expect(Math.abs(mine - theirs) / Math.max(1, Math.abs(theirs))).toBeLessThan(1e-12);
    for (const [x, y, vx, vy] of [[0.7, -0.3, 0.4, -1.1], [-0.9, 1.4, -0.6, 0.3], [0.2, 0.05, 1.2, 0.7]] as [number, number, number, number][]) {
      // reverse mode
      const g = (generated.fGrad as (x: number, y: number) => { grad: { x: number; y: number } })(x, y);
      const t = tape.grad("f", [x, y]).grad as { x: number; y: number };
      close(g.grad.x, t.x);
      close(g.grad.y, t.y);
      // forward mode
      const j = (generated.fJvp as (x: number, y: number, v: { x: number; y: number }) => { tangent: number })(x, y, { x: vx, y: vy });
      close(j.tangent, tape.jvp("f", [x, y], { x: vx, y: vy }).tangent as number);
      // forward over reverse
      const h = (generated.fHvp as (x: number, y: number, v: { x: number; y: number }) => { hvp: { x: number; y: number } })(x, y, { x: vx, y: vy });
      const th = tape.hvp("f", [x, y], { x: vx, y: vy }).hvp as { x: number; y: number };
      close(h.hvp.x, th.x);
      close(h.hvp.y, th.y);
    }
  });
});

/**
 * A partial as the table builds it, evaluated on numbers: the arguments are `a0, a1, …`, the
 * result `ans`. Only the node kinds the table's partials use.
 */
function evaluate(e: Expr, env: Record<string, number>): number | boolean {
  switch (e.kind) {
    case "number": return e.value;
    case "var": {
      if (e.name.startsWith("Math.")) return Math[e.name.slice(5) as "LN2"];
      if (!(e.name in env)) throw new Error(`unbound ${e.name}`);
      return env[e.name]!;
    }
    case "unary": {
      const x = evaluate(e.operand, env);
      return e.op === "!" ? !x : e.op === "-" ? -(x as number) : +(x as number);
    }
    case "binary": {
      const a = evaluate(e.left, env) as number;
      const b = evaluate(e.right, env) as number;
      const ops: Record<string, () => number | boolean> = {
        "+": () => a + b, "-": () => a - b, "*": () => a * b, "/": () => a / b, "%": () => a % b, "**": () => a ** b,
        "===": () => a === b, "<": () => a < b, ">": () => a > b, "&&": () => (a as unknown as boolean) && (b as unknown as boolean),
      };
      if (!ops[e.op]) throw new Error(`operator ${e.op} in a partial`);
      return ops[e.op]!();
    }
    case "call": return (Math[e.callee.slice(5) as "sin"] as (...x: number[]) => number)(...e.args.map((a) => evaluate(a, env) as number));
    case "conditional": return evaluate(e.test, env) ? evaluate(e.whenTrue, env) : evaluate(e.whenFalse, env);
    default: throw new Error(`a '${e.kind}' node in a partial`);
  }
}

describe("every entry of the primitives table, on numbers", () => {
  const operatorPrimal: Record<string, (...x: number[]) => number> = {
    "+": (a, b) => a! + b!, "-": (a, b) => a! - b!, "*": (a, b) => a! * b!, "/": (a, b) => a! / b!, "%": (a, b) => a! % b!,
    "**": (a, b) => a! ** b!, neg: (a) => -a!,
  };
  const primalOf = (name: string) => operatorPrimal[name] ?? (Math[name.slice(5) as "sin"] as (...x: number[]) => number);
  // Inside every domain, plus the singular points the README's conventions table names
  // (0 ** y, hypot at the origin, ties of max and min, abs at 0).
  const points: Record<number, number[][]> = {
    1: [[0.3], [-0.45], [0.8], [0]],
    2: [[0.7, -0.3], [-0.9, 1.4], [0.35, 0.35], [0, 2.5], [0, 0], [2, 3]],
    3: [[0.2, -0.6, 0.9], [0.5, 0.5, -0.1], [0.4, 0.4, 0.4], [0, 0, 0]],
  };
  const arities = (name: string): number[] => {
    const p = COMPILER[name]!;
    // A variadic primitive with one argument too (Math.max(...[x]) reaches it through a spread).
    return p.arity === "variadic" ? [1, 2, 3] : [p.arity];
  };

  it("gives the partials the tape's VJPs give (value, every argument, every arity), the conventions' points included", () => {
    let compared = 0;
    for (const name of Object.keys(COMPILER)) {
      const rule = TAPE[tapeName(name) as keyof typeof TAPE] as { vjps: readonly ((g: number, ans: number, xs: number[], i: number) => number)[] | null };
      for (const n of arities(name)) {
        for (const point of points[n]!) {
          const xs = name === "Math.acosh" ? point.map((x) => 1.5 + x * x) : point;
          if (["Math.asin", "Math.acos", "Math.atanh"].includes(name) && xs.some((x) => Math.abs(x) >= 1)) continue;
          if (["Math.log", "Math.log2", "Math.log10", "Math.sqrt"].includes(name) && xs[0]! <= 0) continue;
          const ans = primalOf(name)(...xs);
          if (!Number.isFinite(ans)) continue;
          const env = Object.fromEntries([...xs.map((x, k) => [`a${k}`, x]), ["ans", ans]]);
          const partials = COMPILER[name]!.partials(xs.map((_, k) => v(`a${k}`)), () => v("ans"));
          expect(partials.length, name).toBe(n);
          partials.forEach((p, i) => {
            const mine = p === null ? 0 : (evaluate(p, env) as number);
            const vjp = rule.vjps === null ? null : rule.vjps[Math.min(i, rule.vjps.length - 1)]!;
            const tape = vjp === null ? 0 : vjp(1, ans, xs, i);
            const where = `${name}(${xs.join(", ")}) ∂/∂a${i}`;
            expect(Number.isFinite(mine), where).toBe(Number.isFinite(tape));
            if (Number.isFinite(tape)) expect(Math.abs(mine - tape), `${where}: ${mine} vs ${tape}`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(tape)));
            compared++;
          });
        }
      }
    }
    expect(compared).toBeGreaterThan(150);
  });

  it("gives the tape's partials through the special cases for a literal exponent or base (x ** 2, x ** 0.5, x ** -1, 2 ** x, 0 ** x)", () => {
    const pow = TAPE.pow as unknown as { vjps: ((g: number, ans: number, xs: number[], i: number) => number)[] };
    let compared = 0;
    for (const name of ["**", "Math.pow"]) {
      for (const x of [0.3, 1.7, 0]) {
        for (const k of [0, 1, 2, 0.5, 3, -1, -2.5]) {
          // x ** k with k written as a literal (-1 as a unary minus of 1, as the front end gives it),
          // and k ** x with the base written as one.
          const literal: Expr = k < 0 ? { kind: "unary", op: "-", operand: num(-k) } : num(k);
          for (const [args, xs, i] of [[[v("a0"), literal], [x, k], 0], [[literal, v("a1")], [k, x], 1]] as [Expr[], number[], number][]) {
            const ans = xs[0]! ** xs[1]!;
            if (!Number.isFinite(ans)) continue;
            const p = COMPILER[name]!.partials(args, () => v("ans"))[i];
            const mine = p === null ? 0 : (evaluate(p, { a0: xs[0]!, a1: xs[1]!, ans }) as number);
            const tape = pow.vjps[i]!(1, ans, xs, i);
            const where = `${name}: ${xs[0]} ** ${xs[1]} ∂/∂a${i} (${i === 0 ? "literal exponent" : "literal base"})`;
            expect(Number.isFinite(mine), where).toBe(Number.isFinite(tape));
            if (Number.isFinite(tape)) expect(Math.abs(mine - tape), `${where}: ${mine} vs ${tape}`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(tape)));
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(60);
  });
});

/**
 * The table's readings, as decided (the README's cost model): the rest of the compiler asks
 * these questions and nothing else lists primitives, so each answer is written out here by
 * hand. A change to a class is a decision about generated code (what reverse mode recomputes,
 * what it saves, what activity cuts), and shows up here first.
 */
describe("what the compiler asks the table", () => {
  const all = [...Object.keys(COMPILER), "Math.random", "myHelper", "<", "===", "&&"];
  const math = (...names: string[]) => names.map((n) => `Math.${n}`);
  const answers = (query: (name: string) => boolean) => all.filter(query).sort();

  it("differentiable operators: + - * / % ** (not comparisons, &&, unary minus, or Math calls)", () => {
    expect(answers(isDifferentiableOperator)).toEqual(["%", "*", "**", "+", "-", "/"].sort());
  });
  it("piecewise constant and integer valued: floor, ceil, round, trunc, sign", () => {
    const steps = math("ceil", "floor", "round", "sign", "trunc").sort();
    expect(answers(isPiecewiseConstant)).toEqual(steps);
    expect(answers(isIntegerValuedCall)).toEqual(steps);
  });
  it("cheap (recomputed rather than saved): the arithmetic operators but **, abs, min, max, fround and the steps", () => {
    expect(answers(isCheapCall)).toEqual(["%", "*", "+", "-", "/", "neg", ...math("abs", "ceil", "floor", "fround", "max", "min", "round", "sign", "trunc")].sort());
  });
  it("costly, with partials that read the result (kept from the forward sweep): **, pow, tan, tanh, exp, expm1, sqrt, cbrt, hypot", () => {
    expect(answers(reusesCostlyResult)).toEqual(["**", ...math("cbrt", "exp", "expm1", "hypot", "pow", "sqrt", "tan", "tanh")].sort());
  });
  it("costly otherwise (a local holding the value is read instead of calling again): the other Math functions", () => {
    expect(answers(isCostlyOtherwise)).toEqual(
      math("acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cos", "cosh", "log", "log10", "log1p", "log2", "sin", "sinh").sort(),
    );
  });
});
