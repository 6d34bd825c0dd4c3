/**
 * Conventions at singular points (README, "Conventions at singular points"): at each point
 * of the table, the generated gradient and JVP give the documented derivative, and the
 * tape (whose rule table is written independently) gives the same. JAX's value is recorded
 * beside each row; where it is finite and tsgrad's differs, `reason` says why.
 *
 * Second derivatives: where the function is smooth around the point although a rule has a
 * special case there (x ** y at y = 0), the HVP must be the true one, from the generated
 * code and from the tape. At a singular point the conventions make the mixed partials
 * unequal (∂/∂y of ∂f/∂x ≠ ∂/∂x of ∂f/∂y), so forward-over-reverse (H·v) and the tape's
 * reverse-over-reverse (vᵀH) need not agree there; only the HVP's gradient is checked.
 */
import { describe, expect, it } from "vitest";
import { tapeModuleFromSource } from "../runtime/tape/index.ts";
import { build } from "./harness/build.ts";

interface Row {
  /** The README's name for the point. */
  point: string;
  /** A function body of x and y (both differentiated). */
  expr: string;
  at: [number, number];
  /** [∂/∂x, ∂/∂y] as tsgrad gives them. */
  grad: [number, number];
  /** JAX's [∂/∂x, ∂/∂y] (jax.grad of the jax.numpy/lax equivalent), read from its rules. */
  jax: [number, number];
  /** Why tsgrad differs from a finite JAX value. */
  reason?: string;
  /** The function is smooth around the point: the Hessian there, if the HVP is checked. */
  hessian?: [[number, number], [number, number]];
}

const ROWS: Row[] = [
  { point: "x ** y, x = 0, y > 1", expr: "x ** y", at: [0, 2.5], grad: [0, 0], jax: [0, 0] },
  { point: "x ** y, x = 0, y = 1", expr: "x ** y", at: [0, 1], grad: [1, 0], jax: [1, 0] },
  { point: "x ** y, x = 0, 0 < y < 1", expr: "x ** y", at: [0, 0.5], grad: [Infinity, 0], jax: [Infinity, 0] },
  {
    point: "x ** y, x = 0, y = 0",
    expr: "x ** y",
    at: [0, 0],
    grad: [0, 0],
    jax: [NaN, 0],
    reason: "x ** 0 is 1 for every x; JAX's integer_pow (a literal integer exponent) also gives 0",
  },
  // Smooth: f_xx = y(y-1)x^(y-2) = 0, f_xy = x^(y-1)(1 + y ln x) = 1/x, f_yy = x^y ln² x.
  { point: "x ** y, y = 0, x ≠ 0", expr: "x ** y", at: [1.7, 0], grad: [0, Math.log(1.7)], jax: [0, Math.log(1.7)], hessian: [[0, 1 / 1.7], [1 / 1.7, Math.log(1.7) ** 2]] },
  { point: "x ** y, x = 0, y < 0 (value Infinity)", expr: "x ** y", at: [0, -1.5], grad: [-Infinity, 0], jax: [-Infinity, NaN] },
  { point: "x ** y, x < 0 (∂/∂y needs ln x)", expr: "x ** y", at: [-2, 3], grad: [12, NaN], jax: [12, NaN] },
  { point: "x ** 0 (literal), x = 0", expr: "x ** 0 + y", at: [0, 0.3], grad: [0, 1], jax: [0, 1] },
  // A literal base decides the case while compiling (primitives.ts, exponentPartial): 0 ** y has ∂/∂y = 0, not 0 · ln 0.
  { point: "0 ** y (literal base), y > 0", expr: "0 ** y + x", at: [0.3, 2], grad: [1, 0], jax: [1, 0] },
  { point: "Math.pow(x, y), x = 0, y > 1", expr: "Math.pow(x, y)", at: [0, 3], grad: [0, 0], jax: [0, 0] },
  { point: "Math.hypot(x, y) at the origin", expr: "Math.hypot(x, y)", at: [0, 0], grad: [0, 0], jax: [0.5, 0.5], reason: "hypot is even in each argument, so a consistent derivative is odd: 0 at 0; the minimum-norm subgradient of the norm; what central differences give" },
  { point: "Math.hypot(x, y, 0) at the origin", expr: "Math.hypot(x, y, 0)", at: [0, 0], grad: [0, 0], jax: [0.5, 0.5], reason: "as above" },
  { point: "Math.sqrt(x) at 0", expr: "Math.sqrt(x) + y", at: [0, 1], grad: [Infinity, 1], jax: [Infinity, 1] },
  { point: "Math.log(x) at 0", expr: "Math.log(x) + y", at: [0, 1], grad: [Infinity, 1], jax: [Infinity, 1] },
  { point: "Math.cbrt(x) at 0", expr: "Math.cbrt(x) + y", at: [0, 1], grad: [Infinity, 1], jax: [Infinity, 1] },
  {
    point: "Math.abs(x) at 0",
    expr: "Math.abs(x) + y",
    at: [0, 1],
    grad: [0, 1],
    jax: [1, 1],
    reason: "abs is even, so a consistent derivative is odd: 0 at 0 (the minimum-norm subgradient, what central differences give, and sign(0) as in PyTorch and TensorFlow)",
  },
  { point: "Math.max(x, y) at x = y", expr: "Math.max(x, y)", at: [0.4, 0.4], grad: [0.5, 0.5], jax: [0.5, 0.5] },
  { point: "Math.min(x, y) at x = y", expr: "Math.min(x, y)", at: [0.4, 0.4], grad: [0.5, 0.5], jax: [0.5, 0.5] },
  { point: "Math.max(x, 0) at x = 0", expr: "Math.max(x, 0) + y", at: [0, 1], grad: [0.5, 1], jax: [0.5, 1] },
  { point: "Math.max(x, y, x) at x = y (three-way tie)", expr: "Math.max(x, y, x)", at: [1, 1], grad: [2 / 3, 1 / 3], jax: [2 / 3, 1 / 3] },
  { point: "Math.min(x, y, 0.5) with x = y = 0.5", expr: "Math.min(x, y, 0.5)", at: [0.5, 0.5], grad: [1 / 3, 1 / 3], jax: [1 / 3, 1 / 3] },
  { point: "Math.atan2(y, x) at the origin", expr: "Math.atan2(y, x)", at: [0, 0], grad: [NaN, NaN], jax: [NaN, NaN] },
  { point: "x % y: ∂/∂y = -trunc(x / y)", expr: "x % y", at: [-7.5, 2], grad: [1, 3], jax: [1, 3], hessian: [[0, 0], [0, 0]] },
  { point: "x % y at a jump (x / y an integer)", expr: "x % y", at: [6, 2], grad: [1, -3], jax: [1, -3] },
  { point: "x % y, y = 0 (value NaN)", expr: "x % y", at: [1, 0], grad: [1, -Infinity], jax: [1, -Infinity] },
  { point: "Math.sign, floor, ceil, round, trunc at a jump", expr: "Math.sign(x) + Math.floor(y) + Math.ceil(y) + Math.round(x + 0.5) + Math.trunc(y)", at: [0, 2], grad: [0, 0], jax: [0, 0] },
];

/** Equal as numbers, NaN equal to NaN, 0 equal to -0, otherwise within 1e-14 relative. */
function same(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-14 * Math.max(1, Math.abs(b));
}

const show = (xs: readonly number[]) => `[${xs.join(", ")}]`;

const rowSource = (row: Row, k: number) => `/**\n * @grad\n * @jvp\n * @hvp\n */\nexport function f${k}(x: number, y: number): number {\n  return ${row.expr};\n}\n`;
const source = ROWS.map(rowSource).join("\n");

type Pair = { x: number; y: number };

describe("conventions at singular points", () => {
  const tape = tapeModuleFromSource(source, "conventions.ts");

  it("the README's table has a row for each point, and differs from a finite JAX value only with a reason", () => {
    for (const row of ROWS) {
      const differs = row.grad.some((g, k) => Number.isFinite(row.jax[k]) && !same(g, row.jax[k]!));
      expect(differs ? row.reason : "agrees", row.point).toBeTruthy();
    }
  });

  for (const [k, row] of ROWS.entries()) {
    it(`${row.point}: gradient ${show(row.grad)}, JVP and tape agree`, async () => {
      // Each row compiles its own function: mutation testing (test/mutation/) then knows which
      // row checks which rule, where one shared build would credit the first row with all.
      const { generated: g } = await build(rowSource(row, k));
      const [x, y] = row.at;
      const grad = (g[`f${k}Grad`] as (x: number, y: number) => { value: number; grad: Pair })(x, y).grad;
      expect([grad.x, grad.y].every((d, i) => same(d, row.grad[i]!)), `gradient ${show([grad.x, grad.y])}`).toBe(true);
      const t = tape.grad(`f${k}`, [x, y]).grad as Pair;
      expect([t.x, t.y].every((d, i) => same(d, row.grad[i]!)), `tape ${show([t.x, t.y])}`).toBe(true);
      // Forward mode, along each axis and along (1, 1): the partials times the tangent, as the tape's J·t.
      const jvp = g[`f${k}Jvp`] as (x: number, y: number, t: Pair) => { tangent: number };
      for (const dir of [{ x: 1, y: 0 }, { x: 0, y: 1 }, { x: 1, y: 1 }]) {
        const expected = row.grad[0] * dir.x + row.grad[1] * dir.y;
        const got = jvp(x, y, dir).tangent;
        expect(same(got, expected), `JVP along ${JSON.stringify(dir)}: ${got}, expected ${expected}`).toBe(true);
        expect(same(tape.jvp(`f${k}`, [x, y], dir).tangent as number, expected)).toBe(true);
      }
      const v = { x: 0.3, y: -0.7 };
      const hvp = (g[`f${k}Hvp`] as (x: number, y: number, v: Pair) => { grad: Pair; hvp: Pair })(x, y, v);
      expect(same(hvp.grad.x, grad.x) && same(hvp.grad.y, grad.y)).toBe(true);
      if (row.hessian) {
        const [[hxx, hxy], [hyx, hyy]] = row.hessian;
        const expected = [hxx * v.x + hxy * v.y, hyx * v.x + hyy * v.y];
        const th = tape.hvp(`f${k}`, [x, y], v).hvp as Pair;
        for (const [what, got] of [["HVP", hvp.hvp], ["tape HVP", th]] as const) {
          expect([got.x, got.y].every((h, i) => same(h, expected[i]!)), `${what} ${show([got.x, got.y])}, expected ${show(expected)}`).toBe(true);
        }
      }
    });
  }
});
