/**
 * A generator of random programs in the language tsgrad accepts, for differential testing
 * (check.ts) and shrinking (shrink.ts). The constructs are the forms of forms.ts; this
 * file holds the generator's state (scope, names, helpers used) and the program's frame:
 *
 *   export function f<id>(x: number[], w: Float64Array, y: number, p: Params, idx: Int32Array): number
 *
 * differentiated with respect to x, w, y and p (Params: { a: number; v: number[] }); idx is
 * a permutation used for indexing. Every array has the length of x. A program is a tree
 * (ast.ts): `printProgram` gives its source, and the shrinker edits the tree.
 *
 * Program k of seed s depends only on (s, k): `run.ts --only k` regenerates it alone.
 */
import { makeRng } from "../harness/rng.ts";
import { type Expr, indent, leaf, printExpr, printStmts, simple, type Stmt } from "./ast.ts";
import { COND_FORMS, EXPR_FORMS, type Gen, HELPERS, PARAMS_INTERFACE, type Scope, STMT_FORMS, bounded } from "./forms.ts";

export interface Program {
  /** The annotated function's name. */
  name: string;
  /** Helpers the body calls, by name (HELPERS), printed before the function. */
  helpers: string[];
  body: Stmt[];
  /** The terms of the returned sum. */
  result: Expr[];
  /** Annotations on the function. */
  tags: string[];
  /**
   * Also an array-valued twin `<name>Rows` with the same body returning the result's terms
   * as an array (tagged @jacobian and @vjp); the function then also gets @hessian. Only
   * for bodies without an early return (whose value is a number).
   */
  rows: boolean;
  /** The forms (forms.ts) the generator picked, with repetitions (coverage). */
  forms: string[];
}

export interface GenerateOptions {
  /**
   * The body ends with a two-level loop nest followed by work that does not depend on it
   * (its own scalar, a loop over x) and a declaration the result reads once: the shape
   * lastLoop.ts moves the nest last for (ADBench's GMM: likelihood, then prior).
   */
  heavyLoopFirst?: boolean;
  /**
   * The body ends with a time-stepping loop under a `// @checkpoint` directive (or none, for
   * the automatic policy): loop-carried array state (a stencil update of buf or fb every
   * step), random statements with inner loops and branches, sometimes an early exit (`break`,
   * which makes the schedule online), a `while` form, a checkpointed loop nested inside
   * (directly, or in a loop that is not checkpointed), or a loop of rounds around it.
   * Building it with and without the directives (`withoutCheckpoints`) must give the same bits.
   */
  timeStepping?: boolean;
}

/** The differentiated parameters, in declaration order. */
export const WRT = ["x", "w", "y", "p"] as const;

export function programRng(seed: number, id: number): () => number {
  const r = makeRng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(id + 1, 0x85ebca6b)) >>> 0);
  return () => r.next();
}

/** The stream the check of program k of seed s draws its points from (its own, so a shrunk program is checked at the same point). */
export function pointRng(seed: number, id: number): () => number {
  return programRng(seed ^ 0x5bd1e995, id);
}

function pickWeighted<T extends { weight: number }>(next: () => number, forms: readonly T[]): T {
  const total = forms.reduce((s, f) => s + f.weight, 0);
  let r = next() * total;
  for (const f of forms) {
    r -= f.weight;
    if (r < 0) return f;
  }
  return forms[forms.length - 1]!;
}

class Generator implements Gen {
  private counter = 0;
  readonly used = new Set<string>();
  readonly picked: string[] = [];
  readonly extraResults: string[] = [];
  scope: Scope = {
    scalars: ["s0", "s1", "s2"],
    reads: [],
    arrays: [
      { name: "x", writable: false },
      { name: "w", writable: false, typed: true },
      { name: "p.v", writable: false },
      { name: "buf", writable: true },
      { name: "fb", writable: true, typed: true },
    ],
    intArrays: ["idx"],
    indices: [],
    loopDepth: 0,
    loop: null,
    inputsOnly: false,
    noReturn: false,
    noCalls: false,
    inCondition: false,
    topLevel: true,
  };

  constructor(readonly next: () => number) {}

  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }
  use(helper: string): void {
    this.used.add(helper);
  }
  addResult(term: string): void {
    this.extraResults.push(term);
  }
  hasPicked(form: string): boolean {
    return this.picked.includes(form);
  }

  nested<T>(change: (s: Scope) => void, f: () => T): T {
    const outer = this.scope;
    const inner: Scope = {
      ...outer,
      scalars: [...outer.scalars],
      reads: [...outer.reads],
      arrays: [...outer.arrays],
      intArrays: [...outer.intArrays],
      indices: [...outer.indices],
    };
    change(inner);
    this.scope = inner;
    try {
      return f();
    } finally {
      this.scope = outer;
    }
  }

  private choose<T extends { name: string; weight: number }>(forms: readonly T[]): T {
    const form = pickWeighted(this.next, forms);
    this.picked.push(form.name);
    return form;
  }

  expr(depth: number): Expr {
    const leafForm = EXPR_FORMS.find((f) => f.name === "leaf")!;
    if (depth <= 0 || this.chance(0.25)) return this.choose([leafForm]).make(this, 0);
    return this.choose(EXPR_FORMS.filter((f) => !f.when || f.when(this))).make(this, depth);
  }

  cond(depth: number): Expr {
    const forms = depth <= 0 ? COND_FORMS.filter((f) => f.name === "compare") : COND_FORMS;
    return this.choose(forms).make(this, Math.max(depth, 1));
  }

  stmts(depth: number, count: number): Stmt[] {
    const out: Stmt[] = [];
    for (let k = 0; k < count; k++) out.push(...this.choose(STMT_FORMS.filter((f) => !f.last && (!f.when || f.when(this, depth)))).make(this, depth));
    return out;
  }

  /** Sometimes a form that ends the body (a last loop reverse mode can fuse). */
  last(): Stmt[] {
    const forms = STMT_FORMS.filter((f) => f.last && (!f.when || f.when(this, 1)));
    return forms.length > 0 && this.chance(0.35) ? this.choose(forms).make(this, 1) : [];
  }

  index(): Expr {
    const s = this.scope;
    const options: (() => Expr)[] = [() => leaf("0", "number", "index"), () => leaf("x.length - 1", "number", "index")];
    if (s.indices.length > 0) {
      const i = () => this.pick(s.indices);
      options.push(
        () => leaf(i(), "number", "index"),
        () => leaf(i(), "number", "index"),
        () => leaf(`x.length - 1 - ${i()}`, "number", "index"),
        () => leaf(`(${i()} + 1) % x.length`, "number", "index"),
        () => leaf(`${this.pick(s.intArrays)}[${i()}]`, "number", "index"),
      );
    }
    return this.pick(options)();
  }
}

/** The locals every program starts with (separate statements, so the shrinker can drop the unused). */
function prelude(): Stmt[] {
  const declare = (text: string, init: Expr) => simple("prelude", [init], ([e]) => `${text} = ${e};`);
  return [
    declare("let s0", leaf("x[0] * y")),
    declare("let s1", leaf("Math.sin(w[1])")),
    declare("let s2", leaf("0.1 + p.a")),
    declare("const buf", leaf("new Array(x.length).fill(0)", "number", "index")),
    declare("const fb", leaf("new Float64Array(x.length)", "number", "index")),
    declare("const acc: number[]", leaf("[y]", "number", "index")),
  ];
}

export function generateProgram(seed: number, id: number, options: GenerateOptions = {}): Program {
  const g = new Generator(programRng(seed, id));
  const name = `f${id}`;
  let body: Stmt[];
  // Linear in the scalars for the heavy-loop-first shape: the seeding of adjoints then reads nothing the nest writes.
  const terms = options.heavyLoopFirst
    ? ["s0", "s1", "0.5 * s2", "buf[0]", "fb[x.length - 1]", "acc[acc.length - 1] * 0.3", "0.4 * u0", "0.2 * q"]
    : ["s0", "s1 * s2", "buf[0]", "fb[x.length - 1]", "acc[acc.length - 1] * 0.3"];
  if (options.timeStepping) {
    g.scope.noReturn = true;
    body = [...g.stmts(1, 1 + g.int(2)), ...(g.chance(0.3) ? rounds(g) : timeLoop(g))];
  } else if (options.heavyLoopFirst) {
    g.scope.noReturn = true;
    const before = g.stmts(1, 2);
    const { stmts, writes } = nest(g);
    body = [...before, ...stmts, ...tail(g, writes)];
  } else {
    body = [...g.stmts(3, 4 + g.int(3)), ...g.last()];
  }
  const result = [...terms, ...g.extraResults].map((t) => leaf(t, "number", "result"));
  // A quarter of the programs also go through the Hessian and the Jacobian (with its JVP and VJP) of an array twin.
  const rows = !g.picked.includes("earlyReturn") && g.chance(0.25);
  const tags = rows ? ["grad", "jvp", "hvp", "hessian"] : ["grad", "jvp", "hvp"];
  return { name, helpers: Object.keys(HELPERS).filter((h) => g.used.has(h)), body: [...prelude(), ...body], result, tags, rows, forms: g.picked };
}

/** `for (i0) { …; for (i1) { … } }` over the program's scalars; half the nests only accumulate functions of the inputs (fusable). */
function nest(g: Gen): { stmts: Stmt[]; writes: string } {
  const inputsOnly = g.chance(0.5);
  // An accumulating nest adds into one scalar, so the work after it can be independent of it.
  const target = g.pick(g.scope.scalars);
  const accumulate = () => simple("accumulate", [bounded(g, g.expr(3))], ([e]) => `${target} += 0.3 * ${e};`);
  const [outer, inner] = g.nested(
    (s) => {
      s.indices.push("i0");
      s.loopDepth = 1;
      s.loop = "for";
      s.inputsOnly = inputsOnly;
      s.topLevel = false;
    },
    () => {
      const outerBody = inputsOnly ? [accumulate()] : g.stmts(1, 1);
      const innerBody = g.nested(
        (s) => {
          s.indices.push("i1");
          s.loopDepth = 2;
        },
        () => (inputsOnly ? [accumulate(), accumulate()] : g.stmts(1, 2)),
      );
      return [outerBody, innerBody] as const;
    },
  );
  const stmts: Stmt[] = [
    {
      form: "nest",
      exprs: [],
      blocks: [outer, inner],
      print: (_, [o, i]) => ["for (let i0 = 0; i0 < x.length; i0++) {", ...indent(o!), "  for (let i1 = 0; i1 < x.length; i1++) {", ...indent(indent(i!)), "  }", "}"],
    },
  ];
  return { stmts, writes: inputsOnly ? target : "" };
}

/**
 * The time loop inside a loop of rounds, which is not checkpointed (a `while`; a counted
 * `for` is left to the automatic policy): each round declares a constant the time loop
 * reads, and the reverse sweep runs a checkpointed time loop again from the entry state the
 * forward sweep saved for that round.
 */
function rounds(g: Gen): Stmt[] {
  const r = g.fresh("r");
  const count = 2 + g.int(2);
  const asWhile = g.chance(0.5);
  const gain = g.fresh("gain");
  const init = bounded(g, g.expr(1));
  const inner = g.nested(
    (s) => {
      s.reads.push(r);
      s.loopDepth = 0;
      s.loop = asWhile ? "while" : "for";
      s.topLevel = false;
    },
    () => {
      const constant = simple("roundConstant", [init], ([e]) => `const ${gain} = 0.5 + 0.1 * ${r} + 0.1 * ${e};`);
      return [constant, ...g.nested((s) => s.reads.push(gain), () => timeLoop(g))];
    },
  );
  // Scratch rows the time loop declares stay at the function's top level (TSG3001).
  const scratch = inner.filter((x) => x.form === "scratch");
  const body = inner.filter((x) => x.form !== "scratch");
  return [
    ...scratch,
    {
      form: asWhile ? "roundsWhile" : "rounds",
      exprs: [],
      blocks: [body],
      print: (_, [b]) => (asWhile ? [`let ${r} = 0;`, `while (${r} < ${count}) {`, ...indent(b!), `  ${r}++;`, "}"] : [`for (let ${r} = 0; ${r} < ${count}; ${r}++) {`, ...indent(b!), "}"]),
    },
  ];
}

/**
 * `for (let t = 0; t < STEPS; t++) { … }` (or the same as a `while`) under a checkpoint
 * directive. Its state always includes an array: a stencil step reads buf (or fb) around
 * each point before writing it. Inner loops, branches and random statements come from the
 * forms; an early exit sometimes ends the loop (an online schedule); sometimes a loop of its
 * own, checkpointed too, runs inside each step.
 */
function timeLoop(g: Gen): Stmt[] {
  const steps = 3 + g.int(8);
  const asWhile = g.chance(0.25);
  const directive = g.pick(["// @checkpoint snapshots=1", "// @checkpoint snapshots=2", "// @checkpoint snapshots=3", "// @checkpoint budget=64", "// @checkpoint", null]);
  const exit = g.chance(0.3);
  const t = g.fresh("t");
  // Local arrays the reverse sweep reads are declared at the function's top level (TSG3001).
  const scratch: Stmt[] = [];
  const body = g.nested(
    (s) => {
      s.reads.push(t);
      s.loopDepth = 0;
      s.loop = asWhile ? "while" : "for";
      s.topLevel = false;
    },
    () => {
      const out = [stencil(g, scratch), ...g.stmts(2, 1 + g.int(2))];
      // Inside a time loop that is checkpointed, or not (then the reverse sweep runs it again
      // from its entry state); sometimes inside a short loop that is not.
      if (g.chance(0.35)) out.push(g.chance(0.4) ? twice(g, () => innerCheckpointed(g)) : innerCheckpointed(g));
      if (g.chance(0.5)) out.splice(1 + g.int(out.length), 0, ...g.nested((s) => (s.loopDepth = 1), () => g.stmts(1, 1)));
      if (exit) out.push(simple("stepExit", [g.cond(2)], ([c]) => `if (${c}) break;`));
      return out;
    },
  );
  const header = directive ? [directive] : [];
  return [
    ...scratch,
    {
      form: asWhile ? "timeLoopWhile" : exit ? "timeLoopExit" : "timeLoop",
      exprs: [],
      blocks: [body],
      print: (_, [b]) =>
        asWhile
          ? [`let ${t} = 0;`, ...header, `while (${t} < ${steps}) {`, ...indent(b!), `  ${t}++;`, "}"]
          : [...header, `for (let ${t} = 0; ${t} < ${steps}; ${t}++) {`, ...indent(b!), "}"],
    },
  ];
}

/** One step of a 1-D stencil on a writable array: each point from its neighbours, read before written (loop-carried state). */
function stencil(g: Gen, scratch: Stmt[]): Stmt {
  const array = g.pick(["buf", "fb"]);
  const i = g.fresh("i");
  const term = g.nested(
    (s) => {
      s.indices.push(i);
      s.loopDepth++;
    },
    () => bounded(g, g.expr(2)),
  );
  // Half the time into a scratch row first (Jacobi), else in place (Gauss–Seidel).
  const jacobi = g.chance(0.5);
  const next = g.fresh("next");
  if (jacobi) scratch.push(simple("scratch", [], () => `const ${next} = new Array(x.length).fill(0);`));
  const update = `0.5 * ${array}[${i}] + 0.2 * (${array}[(${i} + 1) % x.length] - ${array}[(${i} + x.length - 1) % x.length])`;
  return simple(jacobi ? "stencilJacobi" : "stencil", [term], ([e]) =>
    jacobi
      ? [
          `for (let ${i} = 0; ${i} < x.length; ${i}++) ${next}[${i}] = ${update} + 0.3 * ${e};`,
          `for (let ${i} = 0; ${i} < x.length; ${i}++) ${array}[${i}] = ${next}[${i}];`,
        ]
      : [`for (let ${i} = 0; ${i} < x.length; ${i}++) ${array}[${i}] = ${update} + 0.3 * ${e};`],
  );
}

/** A short loop inside a step, checkpointed on its own: its schedule runs within each outer step. */
function innerCheckpointed(g: Gen): Stmt {
  const k = g.fresh("k");
  const count = 2 + g.int(3);
  const snapshots = 1 + g.int(2);
  const s = g.pick(g.scope.scalars);
  const body = g.nested(
    (sc) => {
      sc.reads.push(k);
      sc.loopDepth = 1;
      sc.loop = "for";
    },
    () => [simple("innerStep", [bounded(g, g.expr(2))], ([e]) => `${s} = 0.6 * ${s} + 0.4 * ${e};`), ...g.stmts(1, 1)],
  );
  return { form: "innerCheckpointed", exprs: [], blocks: [body], print: (_, [b]) => [`// @checkpoint snapshots=${snapshots}`, `for (let ${k} = 0; ${k} < ${count}; ${k}++) {`, ...indent(b!), "}"] };
}

/** `for (let j = 0; j < 2; j++) { … }`: a loop that is not checkpointed around `inner`. */
function twice(g: Gen, inner: () => Stmt): Stmt {
  const j = g.fresh("j");
  const body = g.nested(
    (s) => {
      s.reads.push(j);
      s.loopDepth++;
      s.loop = "for";
    },
    inner,
  );
  return { form: "twice", exprs: [], blocks: [[body]], print: (_, [b]) => [`for (let ${j} = 0; ${j} < 2; ${j}++) {`, ...indent(b!), "}"] };
}

/** The source without its checkpoint directives: the store-all program a checkpointed build must equal bit for bit. */
export function withoutCheckpoints(source: string): string {
  return source.replace(/^[ \t]*\/\/ @checkpoint\b.*\n/gm, "");
}

/** Independent of the nest: reads only inputs, writes only u0; then a declaration the result reads once. */
function tail(g: Gen, nestWrites: string): Stmt[] {
  const c = (g.next() * 2 - 1).toFixed(2);
  const linear = g.chance(0.5);
  // Half the time a scalar the nest does not write (then the nest can move after this).
  const others = g.scope.scalars.filter((s) => s !== nestWrites);
  const s1 = g.pick(g.chance(0.5) ? others : g.scope.scalars);
  const s2 = g.pick(g.chance(0.5) ? others : g.scope.scalars);
  return [
    simple("tail", [bounded(g, leaf("y + x[0]")), bounded(g, leaf(`x[j] * ${c} + u0 * y`)), bounded(g, leaf(linear ? "u0 + y" : `${s2} + y`))], ([a, b, q]) => [
      `let u0 = ${a};`,
      `for (let j = 0; j < x.length; j++) u0 = 0.6 * u0 + ${b};`,
      // Linear in the scalars half the time: then the seeding reads nothing the nest writes, and the nest can fuse.
      linear ? `const q = 0.5 * ${s1} + ${q};` : `const q = ${s1} * ${q};`,
    ]),
  ];
}

/** The program's source text. */
export function printProgram(program: Program): string {
  const helpers = program.helpers.flatMap((h) => [...HELPERS[h]!, ""]);
  const tags = program.tags.map((t) => ` * @${t} ${WRT.join(", ")}`);
  return [
    ...PARAMS_INTERFACE,
    "",
    ...helpers,
    "/**",
    ...tags,
    " */",
    `export function ${program.name}(${PARAMETERS}): number {`,
    ...indent(printStmts(program.body)),
    `  return ${program.result.map(printExpr).join(" + ") || "0"};`,
    "}",
    "",
    ...(program.rows
      ? [
          "/**",
          ...["jacobian", "vjp"].map((t) => ` * @${t} ${WRT.join(", ")}`),
          " */",
          `export function ${program.name}Rows(${PARAMETERS}): number[] {`,
          ...indent(printStmts(program.body)),
          `  return [${program.result.map(printExpr).join(", ") || "0"}];`,
          "}",
          "",
        ]
      : []),
  ].join("\n");
}

const PARAMETERS = "x: number[], w: Float64Array, y: number, p: Params, idx: Int32Array";

/** The helpers a program's text calls (the shrinker drops the others). */
export function helpersCalled(program: Program): string[] {
  const text = [...printStmts(program.body), ...program.result.map(printExpr)].join("\n");
  return program.helpers.filter((h) => new RegExp(`\\b${h}\\(`).test(text));
}
