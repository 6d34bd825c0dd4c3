/**
 * Moving the heaviest loop last (compiler/transform/reverse/lastLoop.ts), so reverse mode fuses it
 * with its own reverse: statements after it that do not depend on it move before it, the
 * declarations left after it go into the result. Programs in their natural order are
 * checked against the tape, finite differences and the primal's value (bit for bit);
 * the rewrite itself is checked on IR.
 */
import { describe, expect, it } from "vitest";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { randomMatrix, randomVector, rng } from "./harness/numeric.ts";
import * as b from "../compiler/ir/build.ts";
import type { Stmt } from "../compiler/ir/nodes.ts";
import { heaviestLoopLast } from "../compiler/transform/reverse/lastLoop.ts";

const next = rng(20261129);
const FUSED = "the last loop's forward and reverse sweeps, fused";

/** GMM's shape in ADBench's order: the likelihood's loop over the points, then the prior (with a loop of its own). */
const MIXTURE = `function logSumExp(v: readonly number[]): number {
  let top = 0;
  for (let k = 1; k < v.length; k++) if (v[k] > v[top]) top = k;
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += Math.exp(v[k] - v[top]);
  return Math.log(sum) + v[top];
}
function likelihood(alphas: readonly number[], means: readonly number[], x: readonly number[]): number {
  const main = new Array(alphas.length).fill(0);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    for (let k = 0; k < alphas.length; k++) main[k] = alphas[k] - 0.5 * (x[i] - means[k]) ** 2;
    total += logSumExp(main);
  }
  return total - x.length * logSumExp(alphas);
}
function prior(means: readonly number[]): number {
  let squares = 0;
  for (let k = 0; k < means.length; k++) squares += Math.exp(means[k]);
  return 0.5 * squares;
}
/**
 * @grad alphas, means
 * @hvp alphas, means
 */
export function mixture(alphas: readonly number[], means: readonly number[], x: readonly number[]): number {
  const ll = likelihood(alphas, means, x);
  const p = prior(means);
  return ll - p;
}
`;

/** The seed's logistic loss: the data loop, then the regularizer's dot product. */
const LOGISTIC = `function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
/**
 * @grad w
 * @hvp w
 */
export function logistic(w: readonly number[], X: readonly (readonly number[])[], y: readonly number[], lambda: number): number {
  let loss = 0;
  for (let i = 0; i < X.length; i++) {
    const p = 1 / (1 + Math.exp(-dot(w, X[i])));
    loss -= y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p);
  }
  return loss + 0.5 * lambda * dot(w, w);
}
`;

describe("the heaviest loop moved last", () => {
  it("fuses GMM's loop over the points when the prior follows it", async () => {
    const built = await build(MIXTURE);
    for (const name of ["mixtureGradInto", "mixtureHvpInto"]) {
      const text = generatedFunction(built.text, name, true);
      expect(text).toContain(FUSED);
      // The fused loop is the one over the points: the prior's exp loop comes before it.
      expect(text.indexOf("Math.exp(means[")).toBeLessThan(text.indexOf(FUSED));
    }
    const [alphas, means, x] = [randomVector(3, next), randomVector(3, next), randomVector(8, next)];
    await checkGradientAndHvp(built, "mixture", [alphas, means, x], ["alphas", "means"], { alphas: randomVector(3, next), means: randomVector(3, next) });
  });

  it("fuses the logistic loss's loop over the data when the regularizer follows it", async () => {
    const built = await build(LOGISTIC);
    const text = generatedFunction(built.text, "logisticGradInto", true);
    expect(text).toContain(FUSED);
    expect(text.indexOf(FUSED)).toBeLessThan(text.indexOf("X.length"));
    expect(text).not.toMatch(/valueStack/);
    const labels = [1, 0, 1, 1, 0];
    await checkGradientAndHvp(built, "logistic", [randomVector(3, next), randomMatrix(5, 3, next), labels, 0.1], ["w"], { w: randomVector(3, next) });
  });
});

describe("the heaviest loop moved last, for an array result", () => {
  it("is not chosen when it would cost the rows their single forward sweep (split mode)", async () => {
    const built = await build(`/** @vjp x */
export function rows(x: readonly number[]): number[] {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = 0; j < x.length; j++) s += Math.sin(x[i] * x[j]);
  }
  let t = 0;
  for (let k = 0; k < x.length; k++) t = 0.5 * t + Math.cos(x[k]);
  return [s, t];
}
`);
    // Moving the nest last would fuse it and leave fVjpRowsInto one fVjpInto per row.
    expect(built.text).not.toContain(FUSED);
    expect(generatedFunction(built.text, "rowsVjpRowsInto", true)).toContain("// forward sweep");
    const x = randomVector(4, next);
    const cotangents = [randomVector(2, next), randomVector(2, next)];
    const grads = [{ x: [0, 0, 0, 0] }, { x: [0, 0, 0, 0] }];
    (built.generated.rowsVjpRowsInto as (x: number[], c: number[][], g: { x: number[] }[]) => number[])(x, cotangents, grads);
    for (let r = 0; r < 2; r++) {
      const one = (built.generated.rowsVjp as (x: number[], c: number[]) => { grad: { x: number[] } })(x, cotangents[r]!);
      expect(grads[r]!.x).toEqual(one.grad.x);
    }
  });
});

const v = b.v;
const loopOver = (i: string, body: Stmt[], bound = "n"): Stmt => b.countUp(i, b.num(0), v(bound), body);
const add = (name: string, e: import("../compiler/ir/nodes.ts").Expr) => b.increment({ kind: "var", name }, e);
/** `for (i) { for (j) s += x[i] * x[j]; }`: the heaviest loop. */
const nest = loopOver("i", [loopOver("j", add("s", b.mul(b.index(v("x"), v("i")), b.index(v("x"), v("j")))))]);
const light = loopOver("k", add("t", b.index(v("x"), v("k"))));

describe("heaviestLoopLast", () => {
  it("moves independent statements before the nest and substitutes what stays into the result", () => {
    const body = [b.declare("s", b.num(0), true), b.declare("t", b.num(0), true), nest, b.declare("q", b.mul(v("s"), b.num(2))), light];
    const out = heaviestLoopLast(body, b.add(v("q"), v("t")))!;
    expect(out).not.toBeNull();
    expect(out.body.at(-1)).toBe(nest);
    expect(out.body).toContain(light);
    expect(out.body.some((s) => s.kind === "declare" && s.name === "q")).toBe(false);
    expect(b.sameExpr(out.result, b.add(b.mul(v("s"), b.num(2)), v("t")))).toBe(true);
  });

  it("keeps the comments that introduce the nest right before it", () => {
    const note = b.comment("inlined likelihood(…) from gmm.ts:31");
    const body = [b.declare("s", b.num(0), true), b.declare("t", b.num(0), true), note, nest, light];
    const out = heaviestLoopLast(body, b.add(v("s"), v("t")))!;
    expect(out.body.slice(-2)).toEqual([note, nest]);
  });

  it("leaves the function alone when the nest is last already, or when nothing can move", () => {
    expect(heaviestLoopLast([b.declare("s", b.num(0), true), light, nest], v("s"))).toBeNull();
    // `t += s` reads what the nest computes: it cannot move, and it is no declaration to substitute.
    expect(heaviestLoopLast([b.declare("s", b.num(0), true), nest, ...add("t", v("s")), light], v("t"))).toBeNull();
  });

  it("never reorders two additions into the same variable (floating point would change the last bits)", () => {
    // The light loop adds into s too: s would sum in another order.
    const intoS = loopOver("k", add("s", b.index(v("x"), v("k"))));
    expect(heaviestLoopLast([b.declare("s", b.num(0), true), nest, intoS], v("s"))).toBeNull();
  });

  it("keeps a declaration after the nest that the result reads twice as is (no repeated work)", () => {
    const body = [b.declare("s", b.num(0), true), b.declare("t", b.num(0), true), nest, b.declare("q", b.mul(v("s"), v("s"))), light];
    expect(heaviestLoopLast(body, b.mul(v("q"), v("q")))).toBeNull();
  });
});
