/**
 * The product rule over a tree of `*` (compiler/transform/products.ts), directly: which
 * factors a product has, and one partial per distinct factor with the constants folded
 * (`100 * u * u` gets `200 * u`, not two product-rule terms). Forward and reverse mode both
 * rely on it; a wrong grouping gives the same derivative values through longer code, so
 * only a direct test sees it. The values are checked against central differences.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bin, num, v } from "../compiler/ir/build.ts";
import type { Expr } from "../compiler/ir/nodes.ts";
import { productFactors, productPartials } from "../compiler/transform/products.ts";

/** Evaluates the few IR forms a product and its partials are made of. */
function evaluate(e: Expr, env: Record<string, number>): number {
  switch (e.kind) {
    case "number":
      return e.value;
    case "var":
      return env[e.name]!;
    case "unary":
      if (e.op === "-") return -evaluate(e.operand, env);
      break;
    case "binary": {
      const [a, b] = [evaluate(e.left, env), evaluate(e.right, env)];
      if (e.op === "*") return a * b;
      if (e.op === "**") return a ** b;
      if (e.op === "+") return a + b;
      break;
    }
  }
  throw new Error(`unexpected ${e.kind}`);
}

/** Prints the IR in the generated code's notation (fully parenthesized where nested). */
function show(e: Expr): string {
  if (e.kind === "number") return String(e.value);
  if (e.kind === "var") return e.name;
  if (e.kind === "binary") return `(${show(e.left)} ${e.op} ${show(e.right)})`;
  if (e.kind === "unary") return `${e.op}${show(e.operand)}`;
  return e.kind;
}

const times = (...es: Expr[]) => es.reduce((a, b) => bin("*", a, b));
const [u, w, x] = [v("u"), v("w"), v("x")];

describe("productFactors", () => {
  it("is null for anything but a product", () => {
    for (const e of [u, num(2), bin("+", u, w), bin("/", u, w), bin("**", u, num(2)), { kind: "unary", op: "-", operand: times(u, w) } as Expr]) {
      expect(productFactors(e), show(e)).toBeNull();
    }
  });

  it("flattens nested products left to right, and stops at any other operator", () => {
    expect(productFactors(bin("*", times(u, num(3)), bin("*", w, times(x, u))))).toEqual([u, num(3), w, x, u]);
    const sum = bin("+", u, w);
    expect(productFactors(times(sum, bin("/", x, u)))).toEqual([sum, bin("/", x, u)]);
  });
});

describe("productPartials", () => {
  it("gives one partial per distinct factor, constants folded, as a careful human writes it", () => {
    const partials = (...fs: Expr[]) => productPartials(fs).map((p) => `${show(p.factor)}: ${show(p.partial)}`);
    expect(partials(num(100), u, u)).toEqual(["u: (200 * u)"]);
    expect(partials(u, u, u)).toEqual(["u: (3 * (u ** 2))"]);
    expect(partials(num(2), u, num(3))).toEqual(["u: 6"]);
    expect(partials(u, w)).toEqual(["u: w", "w: u"]);
    expect(partials(num(0.5), u, w, u)).toEqual(["u: (u * w)", "w: ((0.5 * u) * u)"]);
    const sum = bin("+", u, w);
    expect(partials(sum, bin("+", u, w), x)).toEqual(["(u + w): ((2 * (u + w)) * x)", "x: ((u + w) * (u + w))"]);
  });

  /** Random products of u, w, x, (u + w) and small constants, with values for the variables. */
  const factor = fc.oneof(fc.constantFrom(u, w, x, bin("+", u, w)), fc.integer({ min: -3, max: 3 }).map((k) => num(k / 2)));
  const env = fc.record({ u: fc.double({ min: 0.5, max: 2, noNaN: true }), w: fc.double({ min: -2, max: -0.5, noNaN: true }), x: fc.double({ min: 0.5, max: 2, noNaN: true }) });

  it("partials are the derivatives with respect to each distinct factor (central differences), one each", () => {
    fc.assert(
      fc.property(fc.array(factor, { minLength: 1, maxLength: 6 }), env, (factors, at) => {
        const parts = productPartials(factors);
        const distinct = new Set(factors.filter((f) => f.kind !== "number").map((f) => JSON.stringify(f)));
        expect(parts.map((p) => JSON.stringify(p.factor)).sort()).toEqual([...distinct].sort());
        for (const { factor: f, partial } of parts) {
          // The product as a function of this factor's value, every occurrence replaced by t.
          const product = (t: number) => factors.reduce((acc, g) => acc * (JSON.stringify(g) === JSON.stringify(f) ? t : evaluate(g, at)), 1);
          const t0 = evaluate(f, at);
          const h = 1e-4;
          const fd = (-product(t0 + 2 * h) + 8 * product(t0 + h) - 8 * product(t0 - h) + product(t0 - 2 * h)) / (12 * h);
          expect(Math.abs(evaluate(partial, at) - fd)).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(fd)));
        }
      }),
    );
  });
});
