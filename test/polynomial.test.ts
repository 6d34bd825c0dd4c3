/**
 * Index expressions as polynomials (compiler/analysis/polynomial.ts): what unroll-and-jam
 * uses to prove that two columns of a packed triangle add into different elements.
 */
import { describe, expect, it } from "vitest";
import * as b from "../compiler/ir/build.ts";
import type { Expr } from "../compiler/ir/nodes.ts";
import { constantOf, plus, polynomialOf, reads, variable, type Polynomial } from "../compiler/analysis/polynomial.ts";

/** GMM's first element of column `col` in a packed lower triangle: D + col (2D - col - 1) / 2 - col - 1. */
const first = (col: Expr): Expr =>
  b.sub(b.sub(b.add(b.v("D"), b.bin("/", b.mul(col, b.sub(b.sub(b.mul(b.num(2), b.v("D")), col), b.num(1))), b.num(2))), col), b.num(1));

const names = (n: string): Polynomial => variable(n);

describe("polynomials of index expressions", () => {
  it("shows that column c's last element, first(c) + D - 1, lies one below column c + 1's first, first(c + 1) + c + 2", () => {
    const last = polynomialOf(b.add(first(b.v("c")), b.sub(b.v("D"), b.num(1))), names)!;
    const next = polynomialOf(b.add(first(b.add(b.v("c"), b.num(1))), b.add(b.v("c"), b.num(2))), names)!;
    expect(constantOf(plus(next, last, -1)!)).toBe(1);
    // Evaluated: the same numbers as the expression's own arithmetic.
    for (const [D, c] of [[5, 0], [7, 3], [64, 62]]) {
      const at = (p: Polynomial) => [...p].reduce((s, [m, k]) => s + k * (m ? m.split("*").reduce((x, n) => x * (n === "D" ? D : c), 1) : 1), 0);
      expect(at(last)).toBe(D + (c * (2 * D - c - 1)) / 2 - c - 1 + D - 1);
    }
  });

  it("reads only whole literals, +, -, * and division by a power of two", () => {
    expect(polynomialOf(b.bin("/", b.v("x"), b.num(3)), names)).toBeNull();
    expect(polynomialOf(b.mul(b.num(0.1), b.v("x")), names)).toBeNull();
    expect(polynomialOf(b.call("Math.floor", [b.v("x")]), names)).toBeNull();
    expect(polynomialOf(b.v("x"), () => null)).toBeNull();
    const p = polynomialOf(b.bin("/", b.mul(b.v("x"), b.v("x")), b.num(4)), names)!;
    expect(p.get("x*x")).toBe(0.25);
    expect(reads(p, "x")).toBe(true);
    expect(constantOf(p)).toBeNull();
    expect(constantOf(plus(p, p, -1)!)).toBe(0);
  });
});
