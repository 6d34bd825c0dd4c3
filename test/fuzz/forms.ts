/**
 * The forms the fuzzer writes programs from: expressions, conditions and statements, each
 * with a weight and a test of when it applies. The generator (programs.ts) picks among
 * the forms that apply; adding a construct to the fuzzer is adding a form here (or
 * `registerForm` from another file): nothing else changes.
 *
 * Every primitive of the compiler's rule table is a form of its own, derived from the
 * table: a new primitive is fuzzed without touching this file. Its arguments are mapped
 * into its domain when it is not finite on [-3, 3] (DOMAINS of the primitive test) and
 * bounded when it grows fast (exp, cosh…).
 *
 * Values stay bounded (scalars are updated by contractions plus bounded terms), so finite
 * differences stay meaningful; every array has the length of x, and every index
 * expression stays inside it.
 */
import { PRIMITIVES } from "../../compiler/ir/primitives.ts";
import { applyPrimitive, DEFAULT, DOMAINS, type Interval } from "../harness/primitive-cases.ts";
import { type Expr, indent, leaf, node, simple, type Stmt } from "./ast.ts";

/** An array in scope: every one has the length of x. */
export interface ArrayVar {
  name: string;
  /** A local the program may write (`buf[i] = …`). */
  writable: boolean;
  /** A Float64Array, which a helper's `readonly number[]` parameter does not accept. */
  typed?: boolean;
}

export interface Scope {
  /** Number variables a statement may assign. */
  scalars: string[];
  /** Number expressions that may only be read (block constants, for…of values, y, p.a). */
  reads: string[];
  arrays: ArrayVar[];
  /** Int32Array variables holding indices in range (idx, local orders). */
  intArrays: string[];
  /** Loop variables (and locals read from index arrays) in [0, x.length - 1]. */
  indices: string[];
  loopDepth: number;
  /** Innermost enclosing loop: `continue` is safe only in a `for` (its update runs). */
  loop: "for" | "while" | null;
  /** Leaves are inputs only (a loop nest reverse mode can fuse). */
  inputsOnly: boolean;
  /** No early `return` (the heavy-loop-first shape: nothing may end up under a flag). */
  noReturn: boolean;
  /** No calls of the program's functions (the right of `&&`/`||`, which may not run). */
  noCalls: boolean;
  /** Directly in the function's body (not in a block, branch or loop). */
  topLevel: boolean;
  /** Inside a comparison: no Math.fround (`fround(s) <= s` flips at every float32 step, so no step size sees a derivative). */
  inCondition: boolean;
}

export interface Gen {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  /** A fresh identifier with this prefix, unique in the program. */
  fresh(prefix: string): string;
  scope: Scope;
  /** Runs `f` in a copy of the scope changed by `change`; the outer scope is untouched. */
  nested<T>(change: (s: Scope) => void, f: () => T): T;
  expr(depth: number): Expr;
  cond(depth: number): Expr;
  stmts(depth: number, count: number): Stmt[];
  /** An integer expression in [0, x.length - 1]. */
  index(): Expr;
  /** A helper function the program calls (printed before the annotated function). */
  use(helper: string): void;
  /** Adds a term to the returned sum (a variable the form declares at the top level). */
  addResult(term: string): void;
  /** Whether a form was already picked in this program. */
  hasPicked(form: string): boolean;
}

export interface ExprForm {
  name: string;
  weight: number;
  when?: (g: Gen) => boolean;
  make: (g: Gen, depth: number) => Expr;
}

export interface CondForm {
  name: string;
  weight: number;
  make: (g: Gen, depth: number) => Expr;
}

export interface StmtForm {
  name: string;
  weight: number;
  /** Only as the body's last statement (a loop reverse mode fuses with its reverse). */
  last?: boolean;
  /** `depth` is how much nesting is left; compound forms need depth > 0. */
  when?: (g: Gen, depth: number) => boolean;
  make: (g: Gen, depth: number) => Stmt[];
}

export const EXPR_FORMS: ExprForm[] = [];
export const COND_FORMS: CondForm[] = [];
export const STMT_FORMS: StmtForm[] = [];

export function registerForm(kind: "expr", form: ExprForm): void;
export function registerForm(kind: "cond", form: CondForm): void;
export function registerForm(kind: "stmt", form: StmtForm): void;
export function registerForm(kind: "expr" | "cond" | "stmt", form: ExprForm | CondForm | StmtForm): void {
  const list = (kind === "expr" ? EXPR_FORMS : kind === "cond" ? COND_FORMS : STMT_FORMS) as (typeof form)[];
  if (list.some((f) => f.name === form.name)) throw new Error(`fuzz form '${form.name}' registered twice`);
  list.push(form);
}

// ---------------------------------------------------------------------------------------
// helpers the programs may call

export const PARAMS_INTERFACE = ["export interface Params {", "  a: number;", "  v: number[];", "}"];

/** Helper functions by name, in the order they are printed. */
export const HELPERS: Readonly<Record<string, readonly string[]>> = {
  // Small and branchy: inlined.
  helper: [
    "function helper(u: number): number {",
    "  if (u > 0.5) return Math.sin(u) * u;",
    "  return 0.5 * u * u - u;",
    "}",
  ],
  // Tagged: one shared pullback, called from every site.
  shared: [
    "/** @noinline */",
    "function shared(u: number, v: readonly number[]): number {",
    "  let t = 0;",
    "  for (let i = 0; i < v.length; i++) {",
    "    if (v[i] > u) continue;",
    "    t = 0.8 * t + Math.tanh(v[i] * u);",
    "  }",
    "  return t;",
    "}",
  ],
  // More than 12 statements: shared by size, without a tag.
  big: [
    "function big(u: number, v: number): number {",
    "  let a = u * v;",
    "  let b = Math.cos(u) + v;",
    "  const c = Math.tanh(a - b);",
    "  a = 0.5 * a + c;",
    "  b = 0.5 * b - c * u;",
    "  let d = a * b;",
    "  if (d > 1) d = 1 + Math.log(d);",
    "  let e = 0;",
    "  for (let k = 0; k < 3; k++) e = 0.7 * e + Math.sin(d + k * u);",
    "  const f = e * e + a;",
    "  const g = Math.atan(f - b);",
    "  const h = g * v + e;",
    "  return 0.5 * h + 0.25 * Math.sin(a);",
    "}",
  ],
  // Writes into an array argument: always inlined.
  scaleInto: [
    "function scaleInto(out: number[], a: readonly number[], u: number): void {",
    "  for (let i = 0; i < out.length; i++) out[i] = 0.5 * out[i] + Math.sin(a[i] * u);",
    "}",
  ],
  // An object parameter.
  pscore: [
    "function pscore(q: Params, u: number): number {",
    "  let t = q.a * u;",
    "  for (let i = 0; i < q.v.length; i++) t = 0.6 * t + Math.tanh(q.v[i] - u);",
    "  return t;",
    "}",
  ],
  // A custom reverse-mode rule (reverse mode calls it; forward modes and the tape use the body).
  softplus: [
    "export function softplus(u: number): number {",
    "  return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));",
    "}",
    "",
    "/** @vjpOf softplus */",
    "export function softplusVjp(u: number, cotangent: number, grad: { u: number }): number {",
    "  const e = Math.exp(-Math.abs(u));",
    "  grad.u += cotangent * (u > 0 ? 1 / (1 + e) : e / (1 + e));",
    "  return Math.max(u, 0) + Math.log1p(e);",
    "}",
  ],
};

// ---------------------------------------------------------------------------------------
// expressions

const fmt = (n: number) => String(Number(n.toFixed(2)));
const literal = (g: Gen) => leaf(fmt(g.next() * 2 - 1), "number", "literal");
const wrap = (form: string, template: (k: readonly string[]) => string, ...kids: Expr[]) => node(form, kids, template);

/** e mapped into a bounded value: sin, tanh, atan or cos of it. */
export function bounded(g: Gen, e: Expr): Expr {
  const f = g.pick(["sin", "tanh", "atan", "cos"]);
  return wrap(`bounded`, ([a]) => `Math.${f}(${a})`, e);
}

/** e mapped into [lo, hi] (strictly inside): lo + (hi − lo)(0.5 + 0.4 sin e). */
function into([lo, hi]: Interval, e: Expr): Expr {
  return wrap("into", ([a]) => `(${fmt(lo)} + ${fmt(hi - lo)} * (0.5 + 0.4 * Math.sin(${a})))`, e);
}

/**
 * An element of one of `arrays` at an index in range. Every choice is made here, never in a
 * printer: printing must be a pure function of the tree (the shrinker prints it again).
 */
function element(g: Gen, arrays: readonly ArrayVar[]): Expr {
  const array = g.pick(arrays).name;
  return node("element", [g.index()], ([i]) => `${array}[${i}]`);
}

/** A leaf: a variable, an input, an array element, a literal. */
function leafExpr(g: Gen): Expr {
  const s = g.scope;
  const arrays = s.arrays.filter((a) => !s.inputsOnly || !a.writable);
  if (s.inputsOnly) {
    const options: (() => Expr)[] = [() => leaf("y"), () => literal(g), () => leaf("p.a")];
    if (s.indices.length > 0) options.push(() => element(g, arrays));
    return g.pick(options)();
  }
  const options: (() => Expr)[] = [
    () => leaf(g.pick(s.scalars), "number", "scalar"),
    () => leaf(g.pick(["y", "p.a", ...s.reads]), "number", "input"),
    () => literal(g),
    () => element(g, arrays),
    () => leaf("acc[acc.length - 1]", "number", "element"),
  ];
  if (s.reads.length > 0) options.push(() => leaf(g.pick(s.reads), "number", "local"));
  return g.pick(options)();
}

registerForm("expr", { name: "leaf", weight: 6, make: (g) => leafExpr(g) });
registerForm("expr", { name: "add", weight: 3, make: (g, d) => wrap("add", ([a, b]) => `(${a} + ${b})`, g.expr(d - 1), g.expr(d - 1)) });
registerForm("expr", { name: "sub", weight: 2, make: (g, d) => wrap("sub", ([a, b]) => `(${a} - ${b})`, g.expr(d - 1), g.expr(d - 1)) });
registerForm("expr", { name: "mul", weight: 3, make: (g, d) => wrap("mul", ([a, b]) => `(${a} * ${b})`, g.expr(d - 1), g.expr(d - 1)) });
registerForm("expr", { name: "neg", weight: 1, make: (g, d) => wrap("neg", ([a]) => `-(${a})`, g.expr(d - 1)) });
registerForm("expr", {
  name: "div",
  weight: 2,
  make: (g, d) =>
    g.chance(0.5)
      ? wrap("div", ([a, b]) => `(${a} / (1.5 + Math.sin(${b})))`, g.expr(d - 1), g.expr(d - 1))
      : wrap("div", ([a, b]) => `(${a} / (1 + ${b} * ${b}))`, g.expr(d - 1), g.expr(d - 1)),
});
registerForm("expr", {
  name: "mod",
  weight: 1,
  make: (g, d) =>
    g.chance(0.5)
      ? wrap("mod", ([a]) => `(${a} % 0.7)`, g.expr(d - 1))
      : wrap("mod", ([a, b]) => `(${a} % (0.6 + 0.3 * Math.cos(${b})))`, g.expr(d - 1), g.expr(d - 1)),
});
// `**` with a literal exponent: 2 and 3 on any base; 0.5, 1.5, -1, -0.5, 0, 1 on a positive one.
registerForm("expr", {
  name: "powLiteral",
  weight: 2,
  make: (g, d) => {
    const k = g.pick([2, 3, 0.5, 1.5, -1, -0.5, 0, 1]);
    const base = k === 2 || k === 3 ? wrap("scaled", ([a]) => `(0.5 * ${a})`, g.expr(d - 1)) : into([0.4, 1.6], g.expr(d - 1));
    return g.chance(0.7) ? wrap("powLiteral", ([a]) => `${a} ** ${k}`, base) : wrap("powLiteral", ([a]) => `Math.pow(${a}, ${k})`, base);
  },
});
// `**` with a variable exponent, on a positive base or a literal one.
registerForm("expr", {
  name: "powVariable",
  weight: 2,
  make: (g, d) => {
    const exponent = bounded(g, g.expr(d - 1));
    if (g.chance(0.3)) {
      const base = g.pick(["2", "0.5", "1.5"]);
      return wrap("powVariable", ([e]) => `${base} ** ${e}`, exponent);
    }
    const base = into([0.4, 1.6], g.expr(d - 1));
    return g.chance(0.7) ? wrap("powVariable", ([a, e]) => `${a} ** ${e}`, base, exponent) : wrap("powVariable", ([a, e]) => `Math.pow(${a}, ${e})`, base, exponent);
  },
});
registerForm("expr", {
  name: "conditional",
  weight: 2,
  make: (g, d) => node("conditional", [g.cond(d - 1), g.expr(d - 1), g.expr(d - 1)], ([c, a, b]) => `(${c} ? ${a} : ${b})`),
});
registerForm("expr", {
  name: "call",
  weight: 3,
  when: (g) => !g.scope.inputsOnly && !g.scope.noCalls,
  make: (g, d) => {
    const which = g.pick(["helper", "shared", "big", "pscore", "softplus"]);
    g.use(which);
    if (which === "shared") {
      const array = g.pick(g.scope.arrays.filter((a) => !a.typed)).name;
      return node("call:shared", [g.expr(d - 1)], ([a]) => `shared(${a}, ${array})`);
    }
    if (which === "big") return node("call:big", [bounded(g, g.expr(d - 1)), bounded(g, g.expr(d - 1))], ([a, b]) => `big(${a}, ${b})`);
    if (which === "pscore") return node("call:pscore", [bounded(g, g.expr(d - 1))], ([a]) => `pscore(p, ${a})`);
    return node(`call:${which}`, [g.expr(d - 1)], ([a]) => `${which}(${a})`);
  },
});

/** Where a Math primitive is finite on a grid of [-3, 3] (per argument), it takes raw arguments. */
function finiteOnGrid(primitive: string, arity: number): boolean {
  const f = (Math as unknown as Record<string, (...a: number[]) => number>)[primitive.slice("Math.".length)];
  if (typeof f !== "function") return false;
  const grid = [-3, -1.7, -1, -0.4, 0.3, 1, 1.9, 3];
  const points = arity === 1 ? grid.map((a) => [a]) : grid.flatMap((a) => grid.map((b) => [a, b, 0.5].slice(0, arity)));
  return points.every((p) => Number.isFinite(f(...p)));
}

/**
 * Continuous but with an infinite slope somewhere on the grid (cbrt at 0): its arguments are
 * mapped into its domain, away from that point. At an exact 0 (a zeroed local array's entry)
 * forward mode would multiply the infinite partial by a zero tangent: NaN, the documented
 * trap (README, "A known property of source transformation"), not a fault to report.
 */
function infiniteSlope(primitive: string, arity: number): boolean {
  const f = (Math as unknown as Record<string, (...a: number[]) => number>)[primitive.slice("Math.".length)];
  if (typeof f !== "function") return false;
  const at = (x: number, h: number) => f(...[x + h, 0.5, 0.5].slice(0, arity)) - f(...[x - h, 0.5, 0.5].slice(0, arity));
  return [-1, 0, 1].some((x) => Math.abs(at(x, 1e-9)) < 1e-2 && Math.abs(at(x, 1e-9)) / 2e-9 > 1e3 * Math.max(1, Math.abs(at(x, 1e-3)) / 2e-3));
}

/**
 * Jumps at the origin (atan2: from −π to π around it), where raw arguments often land (an
 * entry of a zeroed array, a loop counter at 0). Its partials there are NaN by the README's
 * conventions ("Conventions at singular points"): forward mode's tangent is NaN there, and a
 * gradient whose path never multiplies by them is not, so the modes would disagree on a
 * value that is undefined anyway. Its arguments are mapped into its region instead, away
 * from the origin and from the jump along the negative x axis.
 */
function jumpsAtOrigin(primitive: string, arity: number): boolean {
  const f = (Math as unknown as Record<string, (...a: number[]) => number>)[primitive.slice("Math.".length)];
  if (typeof f !== "function" || arity < 2) return false;
  const h = 1e-9;
  const near = [[h, h], [h, -h], [-h, h], [-h, -h]].map(([a, b]) => f(...[a!, b!, 0].slice(0, arity)));
  return Math.max(...near) - Math.min(...near) > 1;
}

/** Grows fast (|f(±3)| > 15): exp, sinh, cosh, expm1 take bounded arguments. */
function grows(primitive: string): boolean {
  const f = (Math as unknown as Record<string, (...a: number[]) => number>)[primitive.slice("Math.".length)];
  return typeof f === "function" && [3, -3].some((a) => !(Math.abs(f(a, a)) <= 15));
}

/** One form per primitive of the rule table that is not an operator (operators have their own forms above). */
for (const [primitive, rule] of Object.entries(PRIMITIVES)) {
  if (!primitive.startsWith("Math.")) continue;
  const arities = rule.arity === "variadic" ? [2, 3] : [rule.arity];
  const raw = arities.every((n) => finiteOnGrid(primitive, n) && !infiniteSlope(primitive, n) && !jumpsAtOrigin(primitive, n));
  const fast = raw && grows(primitive);
  registerForm("expr", {
    name: primitive,
    // fround takes a program out of the comparison with differences (check.ts): rarer.
    weight: primitive === "Math.fround" ? 0.15 : 0.4,
    when: primitive === "Math.fround" ? (g) => !g.scope.inCondition : undefined,
    make: (g, d) => {
      const n = g.pick(arities);
      const region = DOMAINS[primitive]?.regions.find((r) => r.length === n) ?? Array.from({ length: n }, () => DEFAULT);
      const args = Array.from({ length: n }, (_, k) => {
        const e = g.expr(d - 1);
        if (fast) return bounded(g, e);
        return raw ? e : into(region[k] ?? DEFAULT, e);
      });
      return node(primitive, args, (a) => applyPrimitive(primitive, a));
    },
  });
}

// ---------------------------------------------------------------------------------------
// conditions

registerForm("cond", {
  name: "compare",
  weight: 5,
  make: (g, d) => {
    const op = g.pick(["<", "<=", ">", ">="]);
    const [left, right] = g.nested(
      (s) => (s.inCondition = true),
      () => [g.expr(d), g.chance(0.6) ? literal(g) : g.expr(d - 1)] as const,
    );
    return node("compare", [left, right], ([a, b]) => `${a} ${op} ${b}`, "boolean");
  },
});
// A call on the right of && or || may not run: tsgrad rejects it (TSG3003), so the right operand has none.
const rightOperand = (g: Gen, d: number) => g.nested((s) => (s.noCalls = true), () => g.cond(d - 1));
registerForm("cond", { name: "and", weight: 1, make: (g, d) => node("and", [g.cond(d - 1), rightOperand(g, d)], ([a, b]) => `(${a} && ${b})`, "boolean") });
registerForm("cond", { name: "or", weight: 1, make: (g, d) => node("or", [g.cond(d - 1), rightOperand(g, d)], ([a, b]) => `(${a} || ${b})`, "boolean") });
registerForm("cond", { name: "not", weight: 0.5, make: (g, d) => node("not", [g.cond(d - 1)], ([a]) => `!(${a})`, "boolean") });

// ---------------------------------------------------------------------------------------
// statements

const scalar = (g: Gen) => g.pick(g.scope.scalars);

registerForm("stmt", {
  name: "assign",
  weight: 4,
  make: (g) => {
    const s = scalar(g);
    return [simple("assign", [bounded(g, g.expr(3))], ([e]) => `${s} = 0.7 * ${s} + ${e};`)];
  },
});
registerForm("stmt", {
  name: "accumulate",
  weight: 4,
  make: (g) => {
    const s = scalar(g);
    const op = g.pick(["+=", "-="]);
    return [simple("accumulate", [bounded(g, g.expr(3))], ([e]) => `${s} ${op} 0.3 * ${e};`)];
  },
});
registerForm("stmt", {
  name: "scale",
  weight: 1,
  make: (g) => {
    const s = scalar(g);
    const by = g.pick(["*= 0.9", "/= 1.25", "*= -0.8"]);
    return [simple("scale", [], () => `${s} ${by};`)];
  },
});
registerForm("stmt", {
  name: "powAssign",
  weight: 1,
  make: (g) => {
    const q = g.fresh("q");
    const s = scalar(g);
    const k = g.pick([2, 1.5, 0.5, -1]);
    return [simple("powAssign", [bounded(g, g.expr(2))], ([e]) => ["{", `  let ${q} = 1.1 + 0.5 * ${e};`, `  ${q} **= ${k};`, `  ${s} += 0.2 * ${q};`, "}"])];
  },
});
registerForm("stmt", {
  name: "arrayWrite",
  weight: 3,
  when: (g) => g.scope.indices.length > 0,
  make: (g) => {
    const target = g.pick(g.scope.arrays.filter((a) => a.writable)).name;
    const op = g.pick(["=", "+=", "-=", "+="]);
    return [simple("arrayWrite", [g.index(), bounded(g, g.expr(2))], ([i, e]) => `${target}[${i}] ${op} ${e};`)];
  },
});
registerForm("stmt", {
  name: "arrayScale",
  weight: 0.5,
  when: (g) => g.scope.indices.length > 0,
  make: (g) => {
    const target = g.pick(g.scope.arrays.filter((a) => a.writable)).name;
    return [simple("arrayScale", [g.index()], ([i]) => `${target}[${i}] *= 0.9;`)];
  },
});
registerForm("stmt", { name: "push", weight: 1.5, make: (g) => [simple("push", [bounded(g, g.expr(2))], ([e]) => `acc.push(${e});`)] });
registerForm("stmt", {
  name: "if",
  weight: 3,
  when: (_, d) => d > 0,
  make: (g, d) => {
    const test = g.cond(2);
    const then = g.nested((s) => (s.topLevel = false), () => g.stmts(d - 1, 2));
    const hasElse = g.chance(0.6);
    const otherwise = hasElse ? g.nested((s) => (s.topLevel = false), () => g.stmts(d - 1, 1)) : [];
    return [
      {
        form: hasElse ? "ifElse" : "if",
        exprs: [test],
        blocks: [then, otherwise],
        print: ([c], [t, e]) => (hasElse ? [`if (${c}) {`, ...indent(t!), "} else {", ...indent(e!), "}"] : [`if (${c}) {`, ...indent(t!), "}"]),
      },
    ];
  },
});
registerForm("stmt", {
  name: "earlyReturn",
  weight: 1,
  when: (g) => !g.scope.noReturn,
  make: (g) => [simple("earlyReturn", [g.cond(2), g.expr(2)], ([c, e]) => `if (${c}) return ${e};`)],
});
// A block local read by the block's statements (outside loops, reverse mode lifts it).
registerForm("stmt", {
  name: "blockConst",
  weight: 2,
  when: (_, d) => d > 0,
  make: (g, d) => {
    const t = g.fresh("t");
    const init = g.expr(2);
    const body = g.nested(
      (s) => {
        s.reads.push(t);
        s.topLevel = false;
      },
      () => g.stmts(d - 1, 1),
    );
    return [{ form: "blockConst", exprs: [init], blocks: [body], print: ([e], [b]) => ["{", `  const ${t} = ${e};`, ...indent(b!), "}"] }];
  },
});
// A local reassigned in a branch, then read.
registerForm("stmt", {
  name: "letBranch",
  weight: 1.5,
  make: (g) => {
    const t = g.fresh("t");
    const s = scalar(g);
    return [
      simple("letBranch", [g.expr(2), g.cond(1), g.expr(2)], ([init, c, other]) => [
        "{",
        `  let ${t} = ${init};`,
        `  if (${c}) ${t} = ${other};`,
        `  ${s} += 0.3 * Math.tanh(${t});`,
        "}",
      ]),
    ];
  },
});
// A block constant that shadows an outer scalar (its initializer may not read the name it declares).
registerForm("stmt", {
  name: "shadow",
  weight: 1,
  make: (g) => {
    const s = scalar(g);
    const other = g.pick(g.scope.scalars.filter((n) => n !== s).concat("y"));
    return [simple("shadow", [], () => ["{", `  const ${s} = Math.sin(${other} + y);`, `  acc.push(${s} * 0.5);`, "}"])];
  },
});
registerForm("stmt", {
  name: "callInto",
  weight: 0.7,
  make: (g) => {
    g.use("scaleInto");
    const out = g.pick(g.scope.arrays.filter((a) => a.writable && a.name !== "fb")).name;
    const from = g.pick(g.scope.arrays.filter((a) => a.name !== out && !a.typed)).name;
    return [simple("callInto", [bounded(g, g.expr(2))], ([e]) => `scaleInto(${out}, ${from}, ${e});`)];
  },
});

// Loops. Every loop variable stays in [0, x.length - 1], so it indexes every array.
type LoopHeader = (i: string) => string;
const FOR_HEADERS: Readonly<Record<string, LoopHeader>> = {
  forUp: (i) => `for (let ${i} = 0; ${i} < x.length; ${i}++)`,
  forDown: (i) => `for (let ${i} = x.length - 1; ${i} >= 0; ${i}--)`,
  forStep2: (i) => `for (let ${i} = 0; ${i} < x.length; ${i} += 2)`,
  forStep3Down: (i) => `for (let ${i} = x.length - 1; ${i} >= 0; ${i} -= 3)`,
  forHalf: (i) => `for (let ${i} = 0; ${i} < x.length / 2; ${i}++)`,
  forThirdInclusive: (i) => `for (let ${i} = 0; ${i} <= x.length / 3; ${i}++)`,
  forFromOne: (i) => `for (let ${i} = 1; ${i} < x.length - 0.5; ${i}++)`,
};
for (const [name, header] of Object.entries(FOR_HEADERS)) {
  registerForm("stmt", {
    name,
    weight: name === "forUp" ? 2 : 0.6,
    when: (g, d) => d > 0 && g.scope.loopDepth < 2,
    make: (g, d) => {
      const i = g.fresh("i");
      const body = g.nested(
        (s) => {
          s.indices.push(i);
          s.loopDepth++;
          s.topLevel = false;
          s.loop = "for";
        },
        () => {
          // The continue test is made before the body, whose declarations it may not read.
          const skip = g.chance(0.3) ? [simple("continue", [g.cond(2)], ([c]) => `if (${c}) continue;`)] : [];
          const b = [...skip, ...g.stmts(d - 1, 2)];
          if (g.chance(0.2)) b.push(simple("break", [g.cond(2)], ([c]) => `if (${c}) break;`));
          return b;
        },
      );
      return [{ form: name, exprs: [], blocks: [body], print: (_, [b]) => [`${header(i)} {`, ...indent(b!), "}"] }];
    },
  });
}
registerForm("stmt", {
  name: "forOf",
  weight: 0.8,
  when: (g, d) => d > 0 && g.scope.loopDepth < 2,
  make: (g, d) => {
    const v = g.fresh("v");
    // A variable (for…of over a field is not in the language: name the field first).
    const over = g.pick(g.scope.arrays.filter((a) => !a.writable && !a.name.includes("."))).name;
    const body = g.nested(
      (s) => {
        s.reads.push(v);
        s.loopDepth++;
        s.loop = "for";
        s.topLevel = false;
      },
      () => g.stmts(d - 1, 2),
    );
    return [{ form: "forOf", exprs: [], blocks: [body], print: (_, [b]) => [`for (const ${v} of ${over}) {`, ...indent(b!), "}"] }];
  },
});
registerForm("stmt", {
  name: "whileCounted",
  weight: 0.8,
  when: (g, d) => d > 0 && g.scope.loopDepth < 2,
  make: (g, d) => {
    const k = g.fresh("k");
    const body = g.nested(
      (s) => {
        s.loopDepth++;
        s.loop = "while";
        s.topLevel = false;
      },
      () => {
        const b = g.stmts(d - 1, 1);
        if (g.chance(0.2)) b.push(simple("break", [g.cond(2)], ([c]) => `if (${c}) break;`));
        return b;
      },
    );
    return [{ form: "whileCounted", exprs: [], blocks: [body], print: (_, [b]) => [`let ${k} = 0;`, `while (${k} < 3) {`, ...indent(b!), `  ${k}++;`, "}"] }];
  },
});
registerForm("stmt", {
  name: "doWhile",
  weight: 0.8,
  when: (g, d) => d > 0 && g.scope.loopDepth < 2,
  make: (g, d) => {
    const k = g.fresh("k");
    const s = scalar(g);
    // Half the time the trip count depends on a value too.
    const valued = g.chance(0.5);
    const body = g.nested(
      (sc) => {
        sc.loopDepth++;
        sc.loop = "while";
        sc.topLevel = false;
      },
      () => g.stmts(d - 1, 1),
    );
    return [
      {
        form: valued ? "doWhileValued" : "doWhile",
        exprs: [],
        blocks: [body],
        print: (_, [b]) => [`let ${k} = 0;`, "do {", ...indent(b!), `  ${k}++;`, `} while (${k} < 2${valued ? ` || (${k} < 4 && ${s} > 0.2)` : ""});`],
      },
    ];
  },
});
// A fixed-point iteration run until it stops moving (or 60 steps): a trip count set by values.
registerForm("stmt", {
  name: "whileConverge",
  weight: 0.8,
  make: (g) => {
    const s = scalar(g);
    const [dv, it, prev] = [g.fresh("d"), g.fresh("it"), g.fresh("prev")];
    // The driving term does not read s, so the map is a contraction (|∂/∂s| ≤ 0.9).
    const drive = g.nested((sc) => (sc.scalars = sc.scalars.filter((n) => n !== s)), () => g.expr(2));
    return [
      simple("whileConverge", [drive], ([e]) => [
        "{",
        `  let ${dv} = 1;`,
        `  let ${it} = 0;`,
        `  while (Math.abs(${dv}) > 1e-13 && ${it} < 60) {`,
        `    const ${prev} = ${s};`,
        `    ${s} = 0.5 * ${s} + 0.4 * Math.cos(${s} + ${e});`,
        `    ${dv} = ${s} - ${prev};`,
        `    ${it}++;`,
        "  }",
        "}",
      ]),
    ];
  },
});
// Names an object field without copying it; reads it as an array.
registerForm("stmt", {
  name: "fieldAlias",
  weight: 0.5,
  when: (g) => !g.scope.arrays.some((a) => a.name.startsWith("pv")),
  make: (g) => {
    const name = g.fresh("pv");
    g.scope.arrays.push({ name, writable: false });
    return [simple("fieldAlias", [], () => `const ${name} = p.v;`)];
  },
});
// An Int32Array of indices built by the program, then used to index.
registerForm("stmt", {
  name: "int32Local",
  weight: 0.5,
  // At the top level, before any early return (which puts what follows in a branch): a local
  // array the reverse sweep reads must be declared there (TSG3001 otherwise).
  when: (g) => g.scope.intArrays.length < 2 && g.scope.topLevel && !g.hasPicked("earlyReturn"),
  make: (g) => {
    const name = g.fresh("order");
    const i = g.fresh("i");
    g.scope.intArrays.push(name);
    const shift = 1 + g.int(3);
    return [
      simple("int32Local", [], () => [
        `const ${name} = new Int32Array(x.length);`,
        `for (let ${i} = 0; ${i} < x.length; ${i}++) ${name}[${i}] = (${i} + ${shift}) % x.length;`,
      ]),
    ];
  },
});

// The body's last loop, accumulating functions of the inputs only: reverse mode runs each
// iteration's reverse right after it (fusion), and the inner loop's reverse inside the
// inner loop when the adjoints it reads are known before it (½ xᵀAx's row).
registerForm("stmt", {
  name: "lastReduction",
  weight: 1,
  last: true,
  make: (g) => {
    const [i, j, row, r] = [g.fresh("i"), g.fresh("j"), g.fresh("row"), g.fresh("r")];
    const [a, b] = [g.pick(["x", "w", "p.v"]), g.pick(["x", "w"])];
    const inner = g.chance(0.6);
    const term = g.nested(
      (sc) => {
        sc.indices.push(i);
        sc.inputsOnly = true;
      },
      () => bounded(g, g.expr(2)),
    );
    // A fresh accumulator the result reads linearly, so nothing the loop writes is read before its reverse.
    g.addResult(`0.5 * ${r}`);
    return [
      simple(inner ? "lastReductionNest" : "lastReduction", [term], ([e]) =>
        inner
          ? [
              `let ${r} = 0;`,
              `for (let ${i} = 0; ${i} < x.length; ${i}++) {`,
              `  let ${row} = 0;`,
              `  for (let ${j} = 0; ${j} < x.length; ${j}++) ${row} += ${a}[${j}] * ${b}[(${i} + ${j}) % x.length];`,
              `  ${r} += 0.5 * ${b}[${i}] * ${row} + 0.3 * ${e};`,
              "}",
            ]
          : [`let ${r} = 0;`, `for (let ${i} = 0; ${i} < x.length; ${i}++) ${r} += 0.3 * ${e};`],
      ),
    ];
  },
});
