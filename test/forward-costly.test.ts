/**
 * Forward mode evaluates each costly call (sqrt, exp, sin, …) once: a call nested in a
 * larger expression is bound to a const with its own tangent before the statement, where
 * before it was evaluated again for its tangent and for every partial of its parents that
 * names it (particle's inner JVP ran four square roots per charge; issue 24). The value
 * and tangent are the same doubles; reverse over forward then saves the one bound value.
 */
import { describe, expect, it } from "vitest";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { differenceAlong, randomVector, rng } from "./harness/numeric.ts";

const source = `/**
 * @jvp x y
 * @grad x y
 * @hvp x y
 */
export function field(x: number, y: number): number {
  const r = 1 / Math.sqrt(x * x + y * y) + Math.exp(x) * Math.sin(y);
  const s = y > 0 ? Math.cos(x) / y : Math.cos(y);
  return r * s + (x > 0 && Math.log(1 + x * x) > 0.5 ? 1 : 0);
}
`;

describe("forward mode binds costly nested calls", () => {
  it("evaluates each nested call once for its value, its tangent and its parents' partials, with the same numbers", async () => {
    const built = await build(source);
    // The snapshot shows: one square root and one exponential, each bound once (with its tangent)
    // and read for the quotient's partial and the product's; sin(y) bound with its tangent
    // cos(y) * y_dot; cos(x) in a conditional's branch bound under the branch's condition
    // (`y > 0 ? Math.cos(x) : 0`), so it runs only when its branch does; cos(y)'s tangent in the
    // other branch reads sin(y) from _t2; a call on the right of && is left in place.
    expect(generatedFunction(built.text, "fieldJvp")).toMatchInlineSnapshot(`
      "export function fieldJvp(
        x: number,
        y: number,
        tangent: FieldGradient,
      ): { value: number; tangent: number } {
        const x_dot = tangent.x;
        const y_dot = tangent.y;
        const _t0 = Math.sqrt(x * x + y * y);
        const _t0_dot = (0.5 / _t0) * (2 * x * x_dot + 2 * y * y_dot);
        const _t1 = Math.exp(x);
        const _t1_dot = _t1 * x_dot;
        const _t2 = Math.sin(y);
        const _t2_dot = Math.cos(y) * y_dot;
        const r = 1 / _t0 + _t1 * _t2;
        const r_dot = -((1 / (_t0 * _t0)) * _t0_dot) + (_t2 * _t1_dot + _t1 * _t2_dot);
        const _t3 = y > 0 ? Math.cos(x) : 0;
        const _t3_dot = y > 0 ? -(Math.sin(x) * x_dot) : 0;
        const s = y > 0 ? _t3 / y : Math.cos(y);
        const s_dot = y > 0 ? (1 / y) * _t3_dot - (_t3 / (y * y)) * y_dot : -(_t2 * y_dot);
        return {
          value: r * s + (x > 0 && Math.log(1 + x * x) > 0.5 ? 1 : 0),
          tangent: s * r_dot + r * s_dot,
        };
      }
      "
    `);
    const f = built.source.field as (x: number, y: number) => number;
    const jvp = built.generated.fieldJvp as (x: number, y: number, t: { x: number; y: number }) => { value: number; tangent: number };
    const grad = built.generated.fieldGrad as (x: number, y: number) => { value: number; grad: { x: number; y: number } };
    const next = rng(24);
    for (const [x, y] of [[0.7, 1.3], [-0.4, 0.9], [1.2, -0.6], [0.3, -2.1]] as [number, number][]) {
      const [vx, vy] = randomVector(2, next);
      const out = jvp(x, y, { x: vx!, y: vy! });
      expect(out.value).toBe(f(x, y));
      // Forward and reverse meet: the tangent is <∇f, v> to the last bits.
      const g = grad(x, y).grad;
      const dot = g.x * vx! + g.y * vy!;
      expect(Math.abs(out.tangent - dot)).toBeLessThan(1e-14 * Math.max(1, Math.abs(dot)));
      const [fd] = differenceAlong((t) => [f(x + t * vx!, y + t * vy!)], 1e-6);
      expect(Math.abs(out.tangent - fd!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd!)));
      await checkGradientAndHvp(built, "field", [x, y], ["x", "y"], { x: vx, y: vy });
    }
  });
});

describe("forward mode in a conditional's branches", () => {
  it("computes a branch's temporaries (a result its partial reads) only when the branch is taken", async () => {
    const built = await build(`/**
 * @jvp x y
 * @grad x y
 */
export function branches(x: number, y: number): number {
  return y > 0 ? Math.exp(x * y) * y : Math.sqrt(1 + x * x) - y;
}
`);
    // The snapshot shows: exp(x * y) and sqrt(1 + x * x), whose partials read their results,
    // each held in a temporary computed under its branch's condition (0 otherwise), so the
    // branch not taken costs nothing and its call never runs; the value and the tangent both
    // read the temporary, so the taken branch's call runs once.
    expect(generatedFunction(built.text, "branchesJvp")).toMatchInlineSnapshot(`
      "export function branchesJvp(
        x: number,
        y: number,
        tangent: BranchesGradient,
      ): { value: number; tangent: number } {
        const x_dot = tangent.x;
        const y_dot = tangent.y;
        const _t0 = y > 0 ? Math.exp(x * y) : 0;
        const _t0_dot = y > 0 ? _t0 * (y * x_dot + x * y_dot) : 0;
        const _t1 = !(y > 0) ? Math.sqrt(1 + x * x) : 0;
        const _t1_dot = !(y > 0) ? (0.5 / _t1) * (2 * x * x_dot) : 0;
        return {
          value: y > 0 ? _t0 * y : _t1 - y,
          tangent: y > 0 ? y * _t0_dot + _t0 * y_dot : _t1_dot - y_dot,
        };
      }
      "
    `);
    const jvpText = generatedFunction(built.text, "branchesJvp");
    expect(jvpText.match(/Math\.exp\(/g)).toHaveLength(1);
    expect(jvpText.match(/Math\.sqrt\(/g)).toHaveLength(1);
    const jvp = built.generated.branchesJvp as (x: number, y: number, t: { x: number; y: number }) => { tangent: number };
    const grad = built.generated.branchesGrad as (x: number, y: number) => { grad: { x: number; y: number } };
    for (const [x, y] of [[0.7, 1.3], [-0.4, -0.9]] as [number, number][]) {
      const g = grad(x, y).grad;
      // Forward and reverse meet on both branches.
      expect(Math.abs(jvp(x, y, { x: 0.3, y: -0.8 }).tangent - (0.3 * g.x - 0.8 * g.y))).toBeLessThan(1e-14 * (1 + Math.abs(g.x) + Math.abs(g.y)));
    }
  });
});

describe("forward mode computes each costly call of a taken branch or a returned value once", () => {
  const shapes = `/**
 * @jvp x y
 * @grad x y
 */
export function returned(x: number, y: number): number {
  return Math.exp(x * y);
}

/**
 * @jvp x y
 * @grad x y
 */
export function declared(x: number, y: number): number {
  const z = y > 0 ? Math.exp(x * y) * y : Math.sqrt(1 + x * x) - y;
  return z * z;
}

/**
 * @jvp x y
 * @grad x y
 */
export function picked(x: number, y: number): number {
  return y > 0 ? Math.exp(x) : Math.sqrt(1 + y * y);
}

/**
 * @jvp x y
 * @grad x y
 */
export function inner(x: number, y: number): number {
  return 2 * (y > 0 ? Math.exp(x) : Math.log(1 + x * x)) + Math.sin(x * y) * y;
}

/**
 * @jvp x y
 * @grad x y
 */
export function powered(x: number, y: number): number {
  const p = x * x + 2 ** y;
  let acc = 0;
  acc = Math.tanh(x) + 3 ** y;
  return p * acc;
}
`;
  // What each function computes that costs more than a multiplication.
  const costly: Record<string, string[]> = {
    returned: ["Math.exp("],
    declared: ["Math.exp(", "Math.sqrt("],
    picked: ["Math.exp(", "Math.sqrt("],
    inner: ["Math.exp(", "Math.log(", "Math.sin("],
    powered: ["2 ** y", "3 ** y", "Math.tanh("],
  };
  it("has as many calls of each costly function as the primal, with the primal's value and the gradient's tangent", async () => {
    const built = await build(shapes);
    for (const name of Object.keys(costly)) {
      const primal = shapes.slice(shapes.indexOf(`function ${name}(`)).split("\n}")[0]!;
      const jvpText = generatedFunction(built.text, `${name}Jvp`);
      for (const call of costly[name]!) {
        const count = (text: string) => text.split(call).length - 1;
        expect(count(jvpText), `${name}Jvp: ${call}`).toBe(count(primal));
      }
      const f = built.source[name] as (x: number, y: number) => number;
      const jvp = built.generated[`${name}Jvp`] as (x: number, y: number, t: { x: number; y: number }) => { value: number; tangent: number };
      const grad = built.generated[`${name}Grad`] as (x: number, y: number) => { grad: { x: number; y: number } };
      for (const [x, y] of [[0.7, 1.3], [-0.4, -0.9], [1.1, 0.4]] as [number, number][]) {
        const out = jvp(x, y, { x: 0.3, y: -0.8 });
        expect(out.value).toBe(f(x, y));
        const g = grad(x, y).grad;
        const dot = 0.3 * g.x - 0.8 * g.y;
        expect(Math.abs(out.tangent - dot)).toBeLessThan(1e-14 * Math.max(1, Math.abs(dot)));
        const [fd] = differenceAlong((t) => [f(x + 0.3 * t, y - 0.8 * t)], 1e-6);
        expect(Math.abs(out.tangent - fd!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd!)));
      }
    }
  });

  it("a tangent reads a call an earlier const holds (the user's, or the reverse body's in an HVP) instead of calling again", async () => {
    const held = `/**
 * @jvp theta u
 * @grad theta u
 * @hvp theta u
 */
export function held(theta: number, u: number, xs: readonly number[]): number {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  let total = 0;
  for (let i = 0; i < xs.length; i++) {
    const z = u * xs[i];
    total += xs[i] > 0 ? z / (1 + Math.exp(-z)) : z;
  }
  return (c - s) * total * total;
}
`;
    const on = await build(held);
    const off = await build(held, { cse: false });
    const count = (text: string, fn: string, call: string) => generatedFunction(text, fn, false).split(call).length - 1;
    // sin's tangent cos(θ)·θ̇ reads c: one cosine (two without).
    expect(count(on.text, "heldJvp", "Math.cos(theta)")).toBe(1);
    expect(count(off.text, "heldJvp", "Math.cos(theta)")).toBe(2);
    // In the loop's reverse, the branch's exp(-z) is computed again (it was not saved) and
    // bound for the quotient's partial; the HVP's tangent of 1 + exp(-z) had bound it too:
    // one exponential there (two without), besides the forward sweep's.
    expect(count(on.text, "heldHvpInto", "Math.exp(-z)")).toBe(2);
    expect(count(off.text, "heldHvpInto", "Math.exp(-z)")).toBe(3);
    const xs = [0.5, -1.2, 0.8, 2.0];
    const f = on.source.held as (theta: number, u: number, xs: number[]) => number;
    type Jvp = (theta: number, u: number, xs: number[], t: { theta: number; u: number }) => { value: number; tangent: number };
    type Grad = (theta: number, u: number, xs: number[]) => { grad: { theta: number; u: number } };
    for (const [theta, u] of [[0.7, 1.3], [-0.4, -0.9], [2.1, 0.4]] as [number, number][]) {
      await checkGradientAndHvp(on, "held", [theta, u, xs], ["theta", "u"], { theta: 0.3, u: -0.8 });
      const out = (on.generated.heldJvp as Jvp)(theta, u, xs, { theta: 0.3, u: -0.8 });
      expect(out.value).toBe(f(theta, u, xs));
      expect(out.tangent).toBe((off.generated.heldJvp as Jvp)(theta, u, xs, { theta: 0.3, u: -0.8 }).tangent);
      const g = (on.generated.heldGrad as Grad)(theta, u, xs).grad;
      const dot = 0.3 * g.theta - 0.8 * g.u;
      expect(Math.abs(out.tangent - dot)).toBeLessThan(1e-14 * Math.max(1, Math.abs(dot)));
    }
  });
});
