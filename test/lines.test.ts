/**
 * backend/lines.ts writes runs of one-line statements itself and lets prettier format only
 * the rest of a generated file: the result must be byte-identical to prettier formatting
 * the whole file. Checked on random functions (random expressions of every operator, at
 * widths near the limit, under several prettier styles) against prettier itself, on
 * samples compiled both ways, and on the fallback when the skeleton is not as expected;
 * sums too long for a line (one term a line) likewise.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import * as prettier from "prettier";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BinaryOp, Expr, FunctionIR, ModuleIR, Stmt } from "../compiler/ir/nodes.ts";
import { Printer } from "../compiler/backend/print.ts";
import { lineStyleOf, printAndFormat, type LineStyle } from "../compiler/backend/lines.ts";
import { formatTypeScript } from "../compiler/backend/format.ts";
import { copyHelpers } from "../compiler/backend/helpers.ts";
import { compileSources } from "../compiler/pipeline.ts";

const OPS: BinaryOp[] = ["+", "-", "*", "/", "%", "**", "<", "<=", ">", ">=", "===", "!==", "==", "!=", "&&", "||"];
const NAMES = ["a", "b", "x_bar", "theta", "aVeryLongVariableNameForWidth", "grad"];

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.constantFrom(...NAMES).map((name): Expr => ({ kind: "var", name })),
  fc.constantFrom(0, 1, 2.5, 0.001, 1e-7, 1e21, 123456789, -3, -0.5).map((value): Expr => ({ kind: "number", value })),
  fc.boolean().map((value): Expr => ({ kind: "boolean", value })),
);

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ op: fc.constantFrom(...OPS), left: tie("expr"), right: tie("expr") }).map((x): Expr => ({ kind: "binary", ...x })),
    fc.record({ op: fc.constantFrom("-" as const, "!" as const), operand: tie("expr") }).map((x): Expr => ({ kind: "unary", ...x })),
    fc.record({ object: fc.constantFrom(...NAMES).map((name): Expr => ({ kind: "var", name })), index: tie("expr") }).map((x): Expr => ({ kind: "index", ...x })),
    fc.array(tie("expr"), { minLength: 1, maxLength: 3 }).map((args): Expr => ({ kind: "call", callee: "Math.max", args })),
    fc.record({ test: tie("expr"), whenTrue: tie("expr"), whenFalse: tie("expr") }).map((x): Expr => ({ kind: "conditional", ...x })),
    fc.record({ left: tie("expr"), right: tie("expr") }).map((x): Expr => ({ kind: "sameObject", ...x })),
    fc.array(tie("expr"), { maxLength: 2 }).map((es): Expr => ({ kind: "record", fields: es.map((value, k) => ({ name: `f${k}`, value })) })),
    fc.array(tie("expr"), { maxLength: 3 }).map((elements): Expr => ({ kind: "arrayLiteral", elements })),
    fc.constantFrom("it's", 'say "hi"', "plain").map((value): Expr => ({ kind: "string", value })),
    fc.constantFrom(...NAMES).map((name): Expr => ({ kind: "length", object: { kind: "var", name } })),
  ),
}));

const simple: fc.Arbitrary<Stmt> = fc.oneof(
  fc.record({ name: fc.constantFrom(...NAMES), value: expr }).map(({ name, value }): Stmt => ({ kind: "assign", target: { kind: "var", name }, value })),
  fc.record({ name: fc.constantFrom(...NAMES), index: expr, value: expr }).map(({ name, index, value }): Stmt => ({ kind: "assign", target: { kind: "index", object: { kind: "var", name }, index }, value })),
  // x = x + e prints as x += e
  fc.record({ name: fc.constantFrom(...NAMES), op: fc.constantFrom("+" as const, "*" as const), value: expr }).map(({ name, op, value }): Stmt => ({
    kind: "assign",
    target: { kind: "var", name },
    value: { kind: "binary", op, left: { kind: "var", name }, right: value },
  })),
  fc.record({ name: fc.constantFrom("t0", "longerLocalName"), init: expr, mutable: fc.boolean(), annotation: fc.constantFrom(undefined, "number", "Array<number>", "number[]") }).map(
    ({ annotation, ...d }): Stmt => ({ kind: "declare", type: { kind: "number" }, ...d, ...(annotation !== undefined && { annotation }) }),
  ),
  expr.map((value): Stmt => ({ kind: "push", stack: "values", value })),
  fc.constantFrom("line 3: s += Math.sin(x[0]);", "trailing space ", "", "prettier-ignore", "θ = 2", "x".repeat(120)).map((text): Stmt => ({ kind: "comment", text })),
  fc.array(expr, { maxLength: 3 }).map((args): Stmt => ({ kind: "call", callee: "record", args })),
);

const { stmt } = fc.letrec<{ stmt: Stmt }>((tie) => ({
  stmt: fc.oneof(
    { depthSize: "small" },
    simple,
    simple,
    fc.record({ test: expr, then: fc.array(tie("stmt"), { maxLength: 4 }), else: fc.array(tie("stmt"), { maxLength: 2 }) }).map((x): Stmt => ({ kind: "if", ...x })),
    fc.array(tie("stmt"), { maxLength: 4 }).map((body): Stmt => ({
      kind: "loop",
      form: "for",
      init: [{ kind: "declare", name: "i", type: { kind: "number" }, init: { kind: "number", value: 0 }, mutable: true }],
      test: { kind: "binary", op: "<", left: { kind: "var", name: "i" }, right: { kind: "var", name: "n" } },
      update: [{ kind: "assign", target: { kind: "var", name: "i" }, value: { kind: "binary", op: "+", left: { kind: "var", name: "i" }, right: { kind: "number", value: 1 } } }],
      body,
    })),
  ),
}));

/** A term of a sum: anything arithmetic, a call, an index, a parenthesized sum, a unary minus. */
const term: fc.Arbitrary<Expr> = fc.oneof(
  leaf,
  fc.record({ op: fc.constantFrom<BinaryOp>("*", "/", "%", "**"), left: leaf, right: leaf }).map((x): Expr => ({ kind: "binary", ...x })),
  fc.record({ op: fc.constantFrom<BinaryOp>("+", "-"), left: leaf, right: leaf }).map((x): Expr => ({ kind: "binary", ...x })),
  fc.record({ object: fc.constantFrom(...NAMES).map((name): Expr => ({ kind: "var", name })), index: leaf }).map((x): Expr => ({ kind: "index", ...x })),
  fc.array(leaf, { minLength: 1, maxLength: 2 }).map((args): Expr => ({ kind: "call", callee: "Math.sin", args })),
  leaf.map((operand): Expr => ({ kind: "unary", op: "-", operand })),
  // Not written here (prettier formats the statement): a conditional or a comparison in a term.
  fc.record({ test: leaf, whenTrue: leaf, whenFalse: leaf }).map((x): Expr => ({ kind: "conditional", ...x })),
);

/** A left-nested sum of 2 to 40 terms (as the compiler builds them). */
const sumExpr: fc.Arbitrary<Expr> = fc
  .tuple(fc.array(term, { minLength: 2, maxLength: 40 }), fc.array(fc.constantFrom<BinaryOp>("+", "+", "-"), { minLength: 40, maxLength: 40 }))
  .map(([terms, ops]) => terms.reduce((a, b, k): Expr => ({ kind: "binary", op: ops[k]!, left: a, right: b })));

const sumStatement: fc.Arbitrary<Stmt> = fc.oneof(
  fc.record({ name: fc.constantFrom("value", "aVeryLongVariableNameForWidth"), init: sumExpr, mutable: fc.boolean() }).map((d): Stmt => ({ kind: "declare", type: { kind: "number" }, ...d })),
  fc.record({ name: fc.constantFrom(...NAMES), value: sumExpr }).map(({ name, value }): Stmt => ({ kind: "assign", target: { kind: "var", name }, value })),
  fc.record({ name: fc.constantFrom(...NAMES), index: leaf, value: sumExpr }).map(({ name, index, value }): Stmt => ({ kind: "assign", target: { kind: "index", object: { kind: "var", name }, index }, value })),
  // x = x + (sum) prints as x += sum
  fc.record({ name: fc.constantFrom(...NAMES), op: fc.constantFrom<BinaryOp>("+", "-", "*"), value: sumExpr }).map(({ name, op, value }): Stmt => ({
    kind: "assign",
    target: { kind: "var", name },
    value: { kind: "binary", op, left: { kind: "var", name }, right: value },
  })),
  sumExpr.map((value): Stmt => ({ kind: "return", value })),
);

function moduleOf(body: Stmt[]): ModuleIR {
  const fn: FunctionIR = {
    name: "f",
    params: [{ name: "x", type: { kind: "number" }, typeText: "number" }],
    returnType: { kind: "number" },
    returnTypeText: "number",
    body,
    exported: true,
    span: { file: "f.ts", line: 1, column: 1, length: 1 },
    doc: "Generated.",
  };
  return { header: "// header\n", imports: [], stacks: [], functions: [fn], typeAliases: [] };
}

/** More with LINES_RUNS=N (and LINES_SEED) for a longer search. */
const RUNS = Number(process.env.LINES_RUNS ?? 25);
const SEED = Number(process.env.LINES_SEED ?? 20261206);

const STYLES: { name: string; options: Record<string, unknown>; style: LineStyle }[] = [
  { name: "tsgrad's", options: { printWidth: 100, trailingComma: "all", endOfLine: "lf" }, style: { printWidth: 100, tabWidth: 2, useTabs: false, semi: true, bracketSpacing: true } },
  { name: "narrow, tabs, no semicolons", options: { printWidth: 40, useTabs: true, tabWidth: 4, semi: false }, style: { printWidth: 40, tabWidth: 4, useTabs: true, semi: false, bracketSpacing: true } },
  { name: "prettier's defaults, no bracket spacing", options: { bracketSpacing: false, singleQuote: true }, style: { printWidth: 80, tabWidth: 2, useTabs: false, semi: true, bracketSpacing: false } },
];

describe("one-line statements written without prettier", () => {
  for (const { name, options, style } of STYLES) {
    it(`are byte-identical to prettier formatting the whole file (${name})`, async () => {
      const format = (text: string) => prettier.format(text, { parser: "typescript", ...options });
      let spliced = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(stmt, { minLength: 1, maxLength: 12 }), async (body) => {
          const module = moduleOf(body);
          const whole = await format(new Printer().module(module));
          const fast = await printAndFormat(module, undefined, {}, format, style);
          if (fast !== whole) expect(fast).toBe(whole);
          if (!fast.includes("__tsgrad_run_")) spliced++;
        }),
        { numRuns: RUNS, seed: SEED },
      );
      expect(spliced).toBe(RUNS);
    });
  }

  // Sums too long for one line (a 5,000-term sum is what made prettier slow): written here
  // as prettier lays them out, in every statement form, at every width, nested in blocks.
  for (const { name, options, style } of STYLES) {
    it(`write sums too long for a line as prettier does (${name})`, async () => {
      const format = (text: string) => prettier.format(text, { parser: "typescript", ...options });
      let broken = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(sumStatement, { minLength: 1, maxLength: 4 }), fc.nat(2), async (body, depth) => {
          let nested = body;
          for (let k = 0; k < depth; k++) nested = [{ kind: "if", test: { kind: "var", name: "a" }, then: nested, else: [] }];
          const module = moduleOf(nested);
          const whole = await format(new Printer().module(module));
          const fast = await printAndFormat(module, undefined, {}, format, style);
          if (fast !== whole) expect(fast).toBe(whole);
          if (/=\n|return \(\n/.test(whole)) broken++;
        }),
        { numRuns: RUNS * 2, seed: SEED },
      );
      // Most runs held a sum prettier broke over lines (the case this is about).
      expect(broken).toBeGreaterThan(RUNS);
    });
  }

  it("write sums as prettier does at every width around its limits", async () => {
    // A name growing one character at a time moves the statement across each limit: one
    // line, the sum on the next line, one term a line (a term's line with its operator, the
    // last with the semicolon).
    const v = (name: string): Expr => ({ kind: "var", name });
    const plus = (terms: Expr[]): Expr => terms.reduce((a, b): Expr => ({ kind: "binary", op: "+", left: a, right: b }));
    const forms = (sum: Expr): Stmt[] => [
      { kind: "declare", name: "value", type: { kind: "number" }, init: sum, mutable: false },
      { kind: "assign", target: { kind: "var", name: "total" }, value: sum },
      { kind: "assign", target: { kind: "var", name: "total" }, value: { kind: "binary", op: "+", left: v("total"), right: sum } },
      { kind: "return", value: sum },
    ];
    const format = (text: string) => formatTypeScript(text);
    for (let length = 55; length <= 100; length++) {
      const long = v("n".repeat(length));
      const sums = [plus([long, v("b"), v("c")]), plus([v("a"), v("b"), { kind: "binary", op: "*", left: long, right: v("b") }, ...Array.from({ length: 20 }, (_, k) => v(`t${k}`))]), plus([v("a"), v("b"), long])];
      for (const sum of sums) {
        for (const s of forms(sum)) {
          const module = moduleOf([{ kind: "if", test: v("a"), then: [s], else: [] }]);
          const fast = await printAndFormat(module, undefined, {}, format, STYLES[0]!.style);
          const whole = await format(new Printer().module(module));
          if (fast !== whole) expect(fast).toBe(whole);
        }
      }
    }
  });

  it("write a long sum without prettier seeing it", async () => {
    const terms = Array.from({ length: 400 }, (_, k): Expr => ({ kind: "binary", op: "*", left: { kind: "number", value: (k % 7) + 1 }, right: { kind: "index", object: { kind: "var", name: "x" }, index: { kind: "number", value: k % 4 } } }));
    const sum = terms.reduce((a, b, k): Expr => ({ kind: "binary", op: k % 5 === 0 ? "-" : "+", left: a, right: b }));
    const module = moduleOf([{ kind: "declare", name: "value", type: { kind: "number" }, init: sum, mutable: false }, { kind: "return", value: { kind: "var", name: "value" } }]);
    const seen: string[] = [];
    const format = (text: string) => {
      seen.push(text);
      return formatTypeScript(text);
    };
    const fast = await printAndFormat(module, undefined, {}, format, STYLES[0]!.style);
    expect(seen.join("")).not.toContain("x[3]");
    expect(fast).toBe(await formatTypeScript(new Printer().module(module)));
  });

  it("prints the clarifying parentheses prettier prints", async () => {
    const v = (name: string): Expr => ({ kind: "var", name });
    const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: "binary", op, left, right });
    const cases: Expr[] = [
      bin("/", bin("*", v("a"), v("b")), v("c")),
      bin("*", bin("%", v("a"), v("b")), v("c")),
      bin("%", bin("%", v("a"), v("b")), v("c")),
      bin("+", v("a"), bin("%", v("b"), v("c"))),
      bin("||", bin("&&", v("a"), v("b")), v("c")),
      bin("**", v("a"), bin("**", v("b"), v("c"))),
      bin("===", bin("===", v("a"), v("b")), v("c")),
      bin("*", bin("*", v("a"), v("b")), v("c")),
    ];
    const printer = new Printer(undefined, { clarifyingParens: true });
    for (const e of cases) {
      const text = `x = ${printer.expr(e)};\n`;
      expect(await formatTypeScript(text)).toBe(text);
    }
  });

  it("parenthesizes every kind of operand exactly where its precedence needs it", () => {
    const v = (name: string): Expr => ({ kind: "var", name });
    const num = (value: number): Expr => ({ kind: "number", value });
    const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: "binary", op, left, right });
    const neg = (operand: Expr): Expr => ({ kind: "unary", op: "-", operand });
    const length = (object: Expr): Expr => ({ kind: "length", object });
    const printer = new Printer();
    const cases: [Expr, string][] = [
      [length(neg(v("a"))), "(-a).length"],
      [length(num(-1)), "(-1).length"],
      [length(num(-0)), "(-0).length"],
      [length(num(-Infinity)), "(-Infinity).length"],
      [length(num(Infinity)), "Infinity.length"],
      [length(num(NaN)), "NaN.length"],
      [length(bin("+", v("a"), v("b"))), "(a + b).length"],
      [length({ kind: "call", callee: "f", args: [v("a")] }), "f(a).length"],
      [length({ kind: "conditional", test: v("c"), whenTrue: v("a"), whenFalse: v("b") }), "(c ? a : b).length"],
      [length({ kind: "arrayLiteral", elements: [num(1)], asConst: true }), "([1] as const).length"],
      [length({ kind: "arrayLiteral", elements: [num(1)] }), "[1].length"],
      [length({ kind: "cursorMove", name: "top", move: "preDecrement" }), "(--top).length"],
      [length({ kind: "cursorMove", name: "top", move: "postIncrement" }), "top++.length"],
      [length({ kind: "popBlock", stack: "values", count: num(2) }), "(valueStack.size -= 2).length"],
      [length({ kind: "sameObject", left: v("a"), right: v("b") }), "((a as unknown) === (b as unknown)).length"],
      [length({ kind: "zeros", length: v("n"), container: "float64array" }), "new Float64Array(n).length"],
      [length({ kind: "stackSize", stack: "values" }), "valueStack.size.length"],
      [length({ kind: "string", value: "s" }), '"s".length'],
      [neg(neg(v("a"))), "-(-a)"],
      [neg(num(-1)), "-(-1)"],
      [neg(bin("*", v("a"), v("b"))), "-(a * b)"],
      [neg({ kind: "index", object: v("a"), index: v("i") }), "-a[i]"],
      [bin("**", neg(v("a")), v("b")), "(-a) ** b"],
      [bin("**", num(-2), v("b")), "(-2) ** b"],
      [bin("**", v("a"), bin("**", v("b"), v("c"))), "a ** b ** c"],
      [bin("**", bin("**", v("a"), v("b")), v("c")), "(a ** b) ** c"],
      [bin("-", v("a"), bin("-", v("b"), v("c"))), "a - (b - c)"],
      [bin("*", bin("+", v("a"), v("b")), neg(v("c"))), "(a + b) * -c"],
      [bin("&&", { kind: "sameObject", left: v("a"), right: v("b") }, v("c")), "(a as unknown) === (b as unknown) && c"],
      [bin("*", { kind: "conditional", test: v("c"), whenTrue: v("a"), whenFalse: v("b") }, v("d")), "(c ? a : b) * d"],
      [{ kind: "conditional", test: { kind: "conditional", test: v("c"), whenTrue: v("a"), whenFalse: v("b") }, whenTrue: v("a"), whenFalse: v("b") }, "(c ? a : b) ? a : b"],
      [{ kind: "index", object: v("a"), index: { kind: "cursorMove", name: "top", move: "preDecrement" } }, "a[--top]"],
    ];
    for (const [e, text] of cases) expect(printer.expr(e)).toBe(text);
  });

  it("leaves to prettier the statements it would print differently", async () => {
    const v = (name: string): Expr => ({ kind: "var", name });
    const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: "binary", op, left, right });
    const set = (value: Expr): Stmt => ({ kind: "assign", target: { kind: "var", name: "a" }, value });
    const module = moduleOf([
      set(bin("*", { kind: "number", value: 1e21 }, v("b"))),
      set({ kind: "call", callee: "f", args: [{ kind: "string", value: "it's" }] }),
      set({ kind: "call", callee: "f", args: [{ kind: "record", fields: [] }] }),
      set({ kind: "conditional", test: v("c"), whenTrue: { kind: "conditional", test: v("d"), whenTrue: v("a"), whenFalse: v("b") }, whenFalse: v("b") }),
      set({ kind: "sameObject", left: { kind: "index", object: v("a"), index: v("i") }, right: v("b") }),
      set(bin("&&", v("c"), bin("&&", v("d"), v("e")))),
    ]);
    const written: string[] = [];
    const format = (text: string) => {
      written.push(text);
      return formatTypeScript(text);
    };
    const fast = await printAndFormat(module, undefined, {}, format, STYLES[0]!.style);
    expect(fast).toBe(await formatTypeScript(new Printer().module(module)));
    // Every statement went to prettier: the skeleton holds no placeholder.
    expect(written.join("")).not.toContain("__tsgrad_run_");
  });

  it("formats a file's runtime helpers once per formatter, as prettier formats them in the file", async () => {
    const helpers = copyHelpers(["NumberStack", "IntStack"], new Set()).text;
    const body: Stmt[] = [
      { kind: "push", stack: "values", value: { kind: "var", name: "x" } },
      { kind: "return", value: { kind: "binary", op: "*", left: { kind: "pop", stack: "values" }, right: { kind: "number", value: 2 } } },
    ];
    const module: ModuleIR = { ...moduleOf(body), helpers, stacks: ["values"] };
    for (const { name, options, style } of STYLES) {
      const texts: string[] = [];
      const format = (text: string) => {
        texts.push(text);
        return prettier.format(text, { parser: "typescript", ...options });
      };
      const whole = await prettier.format(new Printer().module(module), { parser: "typescript", ...options });
      const key = `lines.test ${name}`;
      expect(await printAndFormat(module, undefined, {}, format, style, undefined, key)).toBe(whole);
      expect(await printAndFormat(module, undefined, {}, format, style, undefined, key)).toBe(whole);
      // Formatted once for the two files; the skeletons hold a placeholder in their place.
      expect(texts.filter((t) => t.includes("class NumberStack"))).toHaveLength(1);
      expect(texts.filter((t) => t.includes("__tsgrad_run_"))).toHaveLength(2);
    }
  });

  it("formats the whole file when the skeleton comes back in another shape", async () => {
    const module = moduleOf([{ kind: "assign", target: { kind: "var", name: "a" }, value: { kind: "var", name: "b" } }]);
    const reindent = async (text: string) => (await formatTypeScript(text)).replace(/^ {2}/gm, "    ");
    const fast = await printAndFormat(module, undefined, {}, reindent, { printWidth: 100, tabWidth: 2, useTabs: false, semi: true, bracketSpacing: true });
    expect(fast).toBe(await reindent(new Printer().module(module)));
    expect(fast).toContain("    a = b;");
  });

  it("are used only with prettier 3 and options it models", () => {
    expect(lineStyleOf("3.10.1", null)).toEqual({ printWidth: 80, tabWidth: 2, useTabs: false, semi: true, bracketSpacing: true });
    expect(lineStyleOf("3.0.0", { printWidth: 120, semi: false, singleQuote: true })).toMatchObject({ printWidth: 120, semi: false });
    expect(lineStyleOf("2.8.8", {})).toBeNull();
    expect(lineStyleOf("3.10.1", { plugins: ["prettier-plugin-x"] })).toBeNull();
    expect(lineStyleOf("3.10.1", { experimentalTernaries: true })).toBeNull();
    expect(lineStyleOf("3.10.1", { endOfLine: "crlf" })).toBeNull();
    expect(lineStyleOf("3.10.1", { parser: "babel" })).toBeNull();
    expect(lineStyleOf("3.10.1", { tabWidth: "4" })).toBeNull();
  });

  it("compile samples to the same text as prettier over the whole file", async () => {
    const dir = path.resolve(import.meta.dirname, "../samples");
    for (const name of ["heat.ts", "activations.ts"]) {
      const input = { path: `samples/${name}`, text: readFileSync(path.join(dir, name), "utf8") };
      const fast = await compileSources([input]);
      // A format function without a line style gets the whole file.
      const whole = await compileSources([input], { style: () => ({ format: (text) => formatTypeScript(text) }) });
      expect(fast.diagnostics).toEqual([]);
      expect(fast.files.length).toBe(1);
      expect(fast.files.map((f) => f.text)).toEqual(whole.files.map((f) => f.text));
    }
  });
});
