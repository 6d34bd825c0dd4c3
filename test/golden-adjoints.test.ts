/**
 * Golden tests of the adjoint generator's code-shape choices (compiler/transform/reverse/
 * expressions.ts): each gives the same values with longer code when it goes wrong, so the
 * value tests cannot see it (they survived mutation testing: docs/mutation.md). One small
 * function per choice, its reverse code pinned beside a comment saying what to look for,
 * and each checked against the tape, differences and its HVP.
 */
import { describe, expect, it } from "vitest";
import { build, buildProject, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";

/**
 * The held-quotient cases build without common subexpression elimination: with it, the
 * primal itself reads q for the repeated x / y (test/cse.test.ts), and the adjoint
 * generator's reuse across statements, which these pin, is not reached (it still serves
 * builds with `cse: false`, and a local's own adjoint either way).
 */
const NO_CSE = { cse: false };

describe("golden: the adjoint generator's code shapes", () => {
  it("a product of three factors: the cotangent bound once, each factor gets the product of the others", async () => {
    const built = await build(`/**
 * @grad x, y, z
 * @hvp x, y, z
 */
export function grouped(x: number, y: number, z: number): number {
  return Math.sin(x * y * z);
}
`);
    // Look for: cos(x·y·z) held in one temporary (not evaluated per factor); y·z, x·z, x·y.
    expect(generatedFunction(built.text, "groupedGradInto")).toMatchInlineSnapshot(`
      "export function groupedGradInto(x: number, y: number, z: number, grad: GroupedGradient): number {
        let x_bar = 0;
        let y_bar = 0;
        let z_bar = 0;
        // forward sweep
        const value = Math.sin(x * y * z);
        // reverse sweep
        const _t0 = Math.cos(x * y * z);
        x_bar += _t0 * (y * z);
        y_bar += _t0 * (x * z);
        z_bar += _t0 * (x * y);
        grad.x = x_bar;
        grad.y = y_bar;
        grad.z = z_bar;
        return value;
      }
      "
    `);
    await checkGradientAndHvp(built, "grouped", [0.7, -0.4, 1.3], ["x", "y", "z"], { x: 0.2, y: -0.5, z: 0.9 });
  });

  it("an argument the partials mention more than once is evaluated once", async () => {
    const built = await build(`/**
 * @grad x, y
 * @hvp x, y
 */
export function mentionedTwice(x: number, y: number): number {
  return Math.atan2(Math.sin(y), x * x + 1);
}
`);
    // Look for: atan2's partials x/(x² + y²) and -y/(x² + y²) read each argument from a
    // temporary (sin(y) from the forward sweep, x·x + 1 computed once), not written out four times.
    expect(generatedFunction(built.text, "mentionedTwiceGradInto")).toMatchInlineSnapshot(`
      "export function mentionedTwiceGradInto(x: number, y: number, grad: MentionedTwiceGradient): number {
        let x_bar = 0;
        let y_bar = 0;
        // forward sweep
        const _t0 = Math.sin(y);
        const value = Math.atan2(_t0, x * x + 1);
        // reverse sweep
        const _t1 = x * x + 1;
        y_bar += (_t1 / (_t1 * _t1 + _t0 * _t0)) * Math.cos(y);
        x_bar -= (_t0 / (_t1 * _t1 + _t0 * _t0)) * (2 * x);
        grad.x = x_bar;
        grad.y = y_bar;
        return value;
      }
      "
    `);
    await checkGradientAndHvp(built, "mentionedTwice", [0.7, -0.4], ["x", "y"], { x: 0.2, y: -0.5 });
  });

  it("a quotient held by a local: its adjoint reads the local instead of dividing again", async () => {
    const built = await build(`/**
 * @grad x, y
 * @hvp x, y
 */
export function heldQuotient(x: number, y: number): number {
  const q = x / y;
  return q * Math.log(x / y);
}
`, NO_CSE);
    // Look for: x / y read from q wherever an adjoint needs it, in the returned value's (the
    // log's partial 1 / q, y's share -t·q) as in q's own (t = q_bar / y, x gets t, y gets -t·q).
    expect(generatedFunction(built.text, "heldQuotientGradInto")).toMatchInlineSnapshot(`
      "export function heldQuotientGradInto(x: number, y: number, grad: HeldQuotientGradient): number {
        let x_bar = 0;
        let y_bar = 0;
        // forward sweep
        const q = x / y;
        const _t1 = Math.log(x / y);
        const value = q * _t1;
        // reverse sweep
        const q_bar = _t1;
        const _t2 = (q * (1 / q)) / y;
        x_bar += _t2;
        y_bar -= _t2 * q;
        // line 6: const q = x / y;
        const _t0 = q_bar / y;
        x_bar += _t0;
        y_bar -= _t0 * q;
        grad.x = x_bar;
        grad.y = y_bar;
        return value;
      }
      "
    `);
    await checkGradientAndHvp(built, "heldQuotient", [0.7, 1.9], ["x", "y"], { x: 0.2, y: -0.5 });
  });

  it("a quotient held by a loop's local, its divisor an expression: the adjoint reads the local", async () => {
    const built = await build(`/**
 * @grad x, y
 * @hvp x, y
 */
export function heldInLoop(x: number, y: number): number {
  let s = 0;
  for (let i = 0; i < 3; i++) {
    const q = x / (y + i);
    s += q * Math.sin(x / (y + i));
  }
  return s;
}
`, NO_CSE);
    // Look for: y + i bound once in the iteration's reverse (_t3, read by both quotients'
    // adjoints), and -t·q for y's share, not -t·(x / _t3): the division is the forward
    // sweep's, read from q (and cos(q) for the sine's partial).
    expect(generatedFunction(built.text, "heldInLoopGradInto")).toMatchInlineSnapshot(`
      "export function heldInLoopGradInto(x: number, y: number, grad: HeldInLoopGradient): number {
        let x_bar = 0;
        let y_bar = 0;
        // forward sweep
        let s = 0;
        const s_bar = 1;
        // the last loop's forward and reverse sweeps, fused: its iterations only add into adjoints
        for (let i = 0; i < 3; i++) {
          const q = x / (y + i);
          const _t2 = Math.sin(x / (y + i));
          s += q * _t2;
          // its reverse, in the same iteration
          const q_bar = s_bar * _t2;
          // line 9: s += q * Math.sin(x / (y + i));
          const _t3 = y + i;
          const _t4 = (s_bar * q * Math.cos(q)) / _t3;
          x_bar += _t4;
          y_bar -= _t4 * q;
          // line 8: const q = x / (y + i);
          const _t1 = q_bar / _t3;
          x_bar += _t1;
          y_bar -= _t1 * q;
        }
        grad.x = x_bar;
        grad.y = y_bar;
        return s;
      }
      "
    `);
    await checkGradientAndHvp(built, "heldInLoop", [0.7, 1.9], ["x", "y"], { x: 0.2, y: -0.5 });
  });

  it("a value several statements' adjoints bind is bound once in their block, unless it changes between them", async () => {
    const built = await build(`/**
 * @grad x, y
 * @hvp x, y
 */
export function boundOnce(x: number, y: number, n: number): number {
  const q = x / (y + 1);
  const r = Math.sin(x) / (y + 1);
  let s = q * r;
  for (let i = 0; i < n; i++) {
    const u = x / (y + i);
    const w = Math.cos(x) / (y + i);
    s = s * u + w;
  }
  let z = y;
  const a = x / (z + 2);
  z = z * x;
  const c = Math.exp(x) / (z + 2);
  return s + a * c;
}
`);
    // Look for: each divisor bound by the first quotient's adjoint and read by the other's,
    // at the top level (y + 1) and in the loop's reverse (y + i); z + 2 twice, z restored
    // between them. (A fused loop's iteration: heldInLoop above.)
    const grad = generatedFunction(built.text, "boundOnceGradInto", false);
    expect(grad.match(/const _t\d+ = y \+ 1;/g)).toHaveLength(1);
    expect(grad.match(/const _t\d+ = y \+ i;/g)).toHaveLength(1);
    expect(grad.match(/const _t\d+ = z \+ 2;/g)).toHaveLength(2);
    for (const [x, y] of [[0.7, 1.9], [-0.4, 0.6]]) {
      await checkGradientAndHvp(built, "boundOnce", [x, y, 4], ["x", "y"], { x: 0.2, y: -0.5 });
    }
  });

  it("a shared callee's pullback is specialized to the arguments active at each call, and named by them", async () => {
    const built = await buildProject(
      {
        "lib.ts": `/** @noinline */
export function blend(a: number, b: number, c: number): number {
  let s = 0;
  for (let k = 0; k < 3; k++) s += Math.sin(a * k) * b + c * c;
  return s;
}
`,
        "model.ts": `import { blend } from "./lib.ts";

/** @grad x, y */
export function specialized(x: number, y: number): number {
  return blend(x, 2, y) + blend(y, x, 3);
}
`,
      },
      "model.ts",
    );
    // Look for: blendPullback_a_c for the first call (b is the constant 2), blendPullback_a_b
    // for the second (c is 3), each given a record of just those adjoints.
    expect(generatedFunction(built.text, "specializedGradInto")).toMatchInlineSnapshot(`
      "export function specializedGradInto(x: number, y: number, grad: SpecializedGradient): number {
        let x_bar = 0;
        let y_bar = 0;
        // forward sweep
        const value = blend(x, 2, y) + blend(y, x, 3);
        // reverse sweep
        const _t0 = { a: 0, c: 0 };
        blendPullback_a_c(x, 2, y, 1, _t0);
        x_bar += _t0.a;
        y_bar += _t0.c;
        const _t1 = { a: 0, b: 0 };
        blendPullback_a_b(y, x, 3, 1, _t1);
        y_bar += _t1.a;
        x_bar += _t1.b;
        grad.x = x_bar;
        grad.y = y_bar;
        return value;
      }
      "
    `);
    expect(built.text.match(/^function blendPullback\w*/gm)).toEqual(["function blendPullback_a_b", "function blendPullback_a_c"]);
    const grad = built.generated.specializedGrad as (x: number, y: number) => { grad: { x: number; y: number } };
    const f = built.source.specialized as (x: number, y: number) => number;
    const [x, y, h] = [0.7, -0.4, 1e-6];
    const g = grad(x, y).grad;
    expect(Math.abs(g.x - (f(x + h, y) - f(x - h, y)) / (2 * h))).toBeLessThan(1e-7);
    expect(Math.abs(g.y - (f(x, y + h) - f(x, y - h)) / (2 * h))).toBeLessThan(1e-7);
  });
});
