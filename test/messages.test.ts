/**
 * Every rejection says what to do, in the user's words: no syntax-tree kinds
 * (`SpreadElement`, `ForInStatement`, `TypeOfExpression`), and a second clause that tells
 * what to write instead. Each snippet is a function a user might write.
 */
import { describe, expect, it } from "vitest";
import { diagnose } from "./harness/build.ts";

const fn = (body: string, params = "x: number[]") => `/** @grad */\nexport function f(${params}): number {\n${body}\n}\n`;

const REJECTED: Record<string, string> = {
  try: fn("  try {\n    return x[0];\n  } catch {\n    return 0;\n  }"),
  throw: fn("  if (x.length === 0) throw new Error('empty');\n  return x[0];"),
  var: fn("  var s = 0;\n  return s + x[0];"),
  "nested class": fn("  class A {}\n  return x[0];"),
  typeof: fn("  return typeof x[0] === 'number' ? x[0] : 0;"),
  delete: fn("  const o = { a: x[0] };\n  return delete o.a ? 1 : 0;"),
  null: fn("  const m = null;\n  return x[0];"),
  string: fn("  const label = 'loss';\n  return x[0];"),
  bitwise: fn("  return x[0] | 0;"),
  in: fn("  return 'length' in x ? x[0] : 0;"),
  async: `/** @grad */\nexport async function f(x: number): Promise<number> {\n  return x;\n}\n`,
  generator: `/** @grad */\nexport function* f(x: number) {\n  yield x;\n}\n`,
  "Math.random": fn("  return x[0] * Math.random();"),
  "unknown Math function": fn("  return Math.gamma(x[0]);"),
  "method of a number": fn("  return Number(x[0].toFixed(2));"),
  "unknown name": fn("  return x[0] * scale;"),
  "mutable module state": `let scale = 2;\n${fn("  return x[0] * scale;")}`,
  "module constant that is not a number": `const NAMES = ['a', 'b'];\n${fn("  return x[0] * NAMES.length;")}`,
  "any parameter": fn("  return x;", "x: any"),
  "untyped parameter": fn("  return x;", "x"),
  "rest parameter": fn("  return x[0];", "...x: number[]"),
  "write into a parameter": fn("  x[0] = 1;\n  return x[0];"),
  "missing return": fn("  if (x[0] > 0) return x[0];"),
  recursion: `function fact(n: number): number {\n  return n <= 1 ? 1 : n * fact(n - 1);\n}\n${fn("  return x[0] * fact(3);")}`,
  "local recursion": fn("  const g = (n: number): number => (n <= 0 ? 0 : x[0] + g(n - 1));\n  return g(3);"),
  "conditional between arrays": fn("  const y = x[0] > 0 ? x : [1, 2];\n  return y[0];"),
  "spread into a call": `function sum(a: number, b: number): number {\n  return a + b;\n}\n${fn("  return sum(...x);")}`,
  "function as a value": fn("  const fs = [(t: number) => t];\n  return x[0];"),
  "await": `/** @grad */\nexport async function f(x: number): Promise<number> {\n  return await Promise.resolve(x);\n}\n`,
  "for…in over an object": fn("  const o = { a: 1 };\n  let s = 0;\n  for (const k in o) s += x[0];\n  return s;"),
  "arithmetic on a for…in key": fn("  let s = 0;\n  for (const i in x) s += x[i] * (i + 1);\n  return s;"),
  "optional parameter used directly": fn("  return x[0] * eps;", "x: number[], eps?: number"),
  "tag on an overload signature": `/** @grad */\nexport function f(x: number): number;\nexport function f(x: number[]): number;\nexport function f(x: number | number[]): number {\n  return typeof x === "number" ? x : x[0];\n}\n`,
  "new of a class holding an array": `class Layer {\n  w: number[] = [];\n}\n${fn("  const l = new Layer();\n  return x[0] * l.w.length;")}`,
  "new of a library class": fn("  const d = new Date();\n  return x[0];"),
  "local matrix with rows built in a block": fn("  const m: number[][] = Array.from({ length: 2 }, () => {\n    return new Array<number>(2).fill(0);\n  });\n  return x[0] * m.length;"),
  "local matrix from map with a block": fn("  const m = x.map((v) => {\n    return [v, 2 * v];\n  });\n  return x[0] * m.length;"),
  "push onto a row of a local matrix": fn("  const m = Array.from({ length: 2 }, () => new Array<number>(2).fill(0));\n  const row = m[0];\n  row.push(x[0]);\n  return m[0][0];"),
  "filter over the rows of a local matrix": fn("  const m = Array.from({ length: 2 }, () => new Array<number>(2).fill(0));\n  m[0][0] = x[0];\n  const n = m.filter((row) => row[0] > 0);\n  return n.length;"),
  "named row of a local matrix reassigned in the helper": `function g(a: number[]): number {\n  a = [1];\n  return a[0];\n}\n${fn("  const m = Array.from({ length: 2 }, () => new Array<number>(2).fill(0));\n  m[0][0] = x[0];\n  const row = m[0];\n  return g(row);")}`,
  "local matrix used as a value": fn("  const m = Array.from({ length: 2 }, () => new Array<number>(2).fill(0));\n  m[0][0] = x[0];\n  const copy = m;\n  return copy[0][0];"),
  "flat() of a matrix of Float64Array rows": fn("  const m = Array.from({ length: 2 }, () => new Float64Array(2));\n  m[0][0] = x[0];\n  return m.flat().length;"),
  "local matrix declared with let": fn("  let m = Array.from({ length: 2 }, () => new Array<number>(2).fill(0));\n  m[0][0] = x[0];\n  return m[0][0];"),
  "row pushed from outside the loop": fn("  const m: number[][] = [];\n  const row = [0, 0];\n  for (let i = 0; i < 2; i++) {\n    row[0] = x[i];\n    m.push(row);\n  }\n  return m[0][0];"),
  "row changed after its push": fn("  const m: number[][] = [];\n  for (let i = 0; i < 2; i++) {\n    const row = new Array<number>(2).fill(0);\n    m.push(row);\n    row[0] = x[i];\n  }\n  return m[0][0];"),
  "another row pushed while a row grows": fn("  const m: number[][] = [];\n  for (let i = 0; i < 2; i++) {\n    const row: number[] = [];\n    row.push(x[i]);\n    m.push([x[0]]);\n    m.push(row);\n  }\n  return m[0][0];"),
  "pushed matrix declared with let": fn("  let m: number[][] = [];\n  m.push([x[0]]);\n  return m[0][0];"),
  "push onto a matrix of fixed rows": fn("  const m = Array.from({ length: 2 }, () => new Array<number>(2).fill(0));\n  m.push([x[0], 1]);\n  return m[0][0];"),
  "pushed row that is a conditional between arrays": fn("  const m: number[][] = [];\n  for (let i = 0; i < 2; i++) m.push(i === 0 ? [x[0]] : [x[1], 1]);\n  return m[0][0];"),
  "buffer parameter written with a derivative": fn("  buf[0] = x[0] * 2;\n  return buf[0] * x[1];", "x: number[], buf: number[]"),
  "buffer parameter written with a derivative (jvp)": `/** @jvp x */\nexport function f(x: number[], buf: number[]): number {\n  buf[0] = x[0] * 2;\n  return buf[0] * x[1];\n}\n`,
  "write through a row of a parameter": fn("  const row = m[0];\n  row[1] = x[0] * 2;\n  return m[0][1] * x[1];", "x: number[], m: number[][]"),
  "optional field used directly": fn("  return x[0] * opts.eps;", "x: number[], opts: { eps?: number }"),
  "differentiating an options object": `/** @grad opts */\nexport function f(x: number[], opts: { p: number; eps?: number }): number {\n  return x[0] * opts.p;\n}\n`,
  "package function without a rule": `import { lse } from "some-package";\n${fn("  return lse(x);")}`,
  "optional options object named in the tag": `/** @grad x opts */\nexport function f(x: number[], opts?: { a: number }): number {\n  return x[0] * (opts?.a ?? 1);\n}\n`,
  "optional options object used whole": `function g(o: { a: number }): number {\n  return o.a;\n}\n/** @grad */\nexport function f(x: number[], opts?: { a: number }): number {\n  return x[0] * g(opts!);\n}\n`,
  "optional options field read directly": fn("  return x[0] * (opts?.a as number);", "x: number[], opts?: { a: number }"),
  "local array of objects from a block callback returning in two places": fn("  const ps = x.map((v, i) => {\n    if (v < 0) return { a: 0, b: i };\n    return { a: v, b: i };\n  });\n  return ps.length;"),
  "find read without ?? or !": fn("  const v = x.find((t) => t > 0);\n  return v === undefined ? 0 : v;"),
  "find over an array of objects": fn("  const p = ps.find((q) => q.a > 0) ?? ps[0];\n  return x[0] * p.a;", "x: number[], ps: { a: number }[]"),
  "Math.hypot of a spread array": fn("  return Math.hypot(...x);"),
  "array spread into an object literal": fn("  const o = { ...x, a: 1 };\n  return o.a;"),
  "a slice's callback reading the array": fn("  return x.slice(1).reduce((s, v, i, all) => s + v * all[0], 0);"),
  "sort without a comparator": fn("  const s = x.toSorted();\n  return s[0];"),
  "sort of a parameter in place": fn("  x.sort((a, b) => a - b);\n  return x[0];"),
  "comparator returning a boolean": fn("  const s = x.slice().sort((a, b) => (a > b) as unknown as number);\n  return s[0];"),
  "sort of an array of objects": fn("  const s = ps.toSorted((p, q) => p.a - q.a);\n  return x[0] * s[0].a;", "x: number[], ps: { a: number }[]"),
  "local matrix literal of computed values": fn("  const m = [[x[0], 1], [2, x[1]]];\n  return m[0][0] * m[1][1];"),
  "update read again in its statement": fn("  let i = 0;\n  return x[i++] * x[i];"),
  "update on the right of &&": fn("  let i = 0;\n  const big = x[0] > 0 && x[i++] > 1;\n  return big ? x[i] : 0;"),
  "update in a branch of ?:": fn("  let i = 0;\n  const v = x[0] > 0 ? x[i++] : 0;\n  return v * x[i];"),
  "update in a callback": fn("  let k = 0;\n  return x.map((v) => v * k++).reduce((s, v) => s + v, 0);"),
  "update of an element": fn("  const c = [0, 0];\n  const v = x[c[0]++];\n  return v;"),
  "array result for @grad": `/** @grad */\nexport function f(x: number[]): number[] {\n  return [x[0], x[1]];\n}\n`,
};

/** Names of TypeScript's syntax kinds, which a user never wrote. */
const SYNTAX_KIND = /\b[A-Z][A-Za-z]*(Expression|Statement|Element|Declaration|Literal|Keyword|Token|Assignment|Clause|Signature)\b/;
/** A clause that tells the user what to do. */
const WHAT_TO_DO = /\b(write|use|pass|remove|declare|give|call|return|copy|add|move|compute|make|name|keep|take|choose|draw|fix|supply|rename|read|assign|check|validate|build)\b/i;

describe("every rejection says what to do", () => {
  for (const [what, text] of Object.entries(REJECTED)) {
    it(what, async () => {
      const diagnostics = (await diagnose(text)).filter((d) => d.severity !== "warning");
      expect(diagnostics.length, `${what}: rejected`).toBeGreaterThan(0);
      for (const d of diagnostics) {
        expect(d.message, what).not.toMatch(SYNTAX_KIND);
        expect(d.message, what).toMatch(WHAT_TO_DO);
        expect(d.code, what).not.toBe(9001);
      }
    });
  }

  it("does not name the wrong cause", async () => {
    // A destructured parameter is differentiable (it used to say "has no differentiable parameter").
    expect(await diagnose(`/** @grad */\nexport function f({ w, b }: { w: number[]; b: number }): number {\n  return w[0] * b;\n}\n`)).toEqual([]);
    // A module-level array is a table (it used to say "is not … a module-level numeric constant").
    expect(await diagnose(`const C = [1, 2, 3];\n${fn("  return x[0] * C[1];")}`)).toEqual([]);
    // An array of strings is a constant that is not numbers: the message says so.
    const [names] = await diagnose(`const NAMES = ['a', 'b'];\n${fn("  return x[0] * NAMES.length;")}`);
    expect(names!.message).toMatch(/'NAMES' is a module-level constant, but .*numbers/);
  });
});
