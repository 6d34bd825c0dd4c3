/**
 * Every primitive of the rule table in every mode (test/harness/primitive-cases.ts derives
 * the cases from the table): each argument position active, a literal, or an inactive
 * parameter; the same expression in both positions; `**` with literal exponents and bases;
 * product trees and quotients. At each point, the generated gradient, JVP and HVP against
 * the tape (its own rule table, never the compiler's) and central differences; for the
 * all-active cases also the VJP, Hessian and Jacobian (with the array function's JVP and
 * VJP). The Into forms, given buffers full of NaN, must set every entry.
 */
import { describe, expect, it } from "vitest";
import { PRIMITIVES } from "../compiler/ir/primitives.ts";
import { loadTapeModule, type TapeModule } from "../runtime/tape/index.ts";
import { build, type Built } from "./harness/build.ts";
import { maxRelError } from "./harness/numeric.ts";
import { casesSource, POINTS, primitiveCases, type PrimitiveCase } from "./harness/primitive-cases.ts";

type Pair = { x: number; y: number };
type Fn<R> = (...args: never[]) => R;
const call = <R>(f: unknown, ...args: unknown[]): R => (f as Fn<R>)(...(args as never[]));
const pair = (p: Pair) => [p.x, p.y];

const CASES = primitiveCases(PRIMITIVES);
const V: Pair = { x: 0.3, y: -0.7 };
/** Central differences of a vector function of (x, y) along each axis (fourth order). */
function differences(f: (x: number, y: number) => number[], x: number, y: number): number[][] {
  const h = 1e-4;
  const along = (dx: number, dy: number) => {
    const [a, b, c, d] = [f(x + 2 * h * dx, y + 2 * h * dy), f(x + h * dx, y + h * dy), f(x - h * dx, y - h * dy), f(x - 2 * h * dx, y - 2 * h * dy)];
    return a.map((_, i) => (-a[i]! + 8 * b[i]! - 8 * c[i]! + d[i]!) / (12 * h));
  };
  const [dx, dy] = [along(1, 0), along(0, 1)];
  return dx.map((_, i) => [dx[i]!, dy[i]!]);
}

/**
 * Fourth-order differences with h = 1e-4 agree with an exact derivative to ~1e-10; fround's
 * derivative is taken as 1 while its value moves in float32 steps (2^-24 relative), which
 * differences over 1e-4 see as an error of ~1e-4.
 */
function differencesTolerance(c: PrimitiveCase): number {
  return c.primitive === "Math.fround" ? 1e-3 : 1e-7;
}

function checkCase(c: PrimitiveCase, k: number, built: Built, tape: TapeModule): void {
  const g = built.generated;
  const f = built.source[`p${k}`] as (x: number, y: number, c: number) => number;
  for (const [x, y, p] of POINTS) {
    const at = `${c.label} at (${x}, ${y}, c = ${p}): ${c.expr}`;
    const value = f(x, y, p);
    expect(Number.isFinite(value), `${at} is ${value}: give ${c.primitive} a domain in test/harness/primitive-cases.ts`).toBe(true);

    // Reverse mode.
    const grad = call<{ value: number; grad: Pair }>(g[`p${k}Grad`], x, y, p);
    expect(Object.is(grad.value, value), `${at}: value`).toBe(true);
    const tapeGrad = tape.grad(`p${k}`, [x, y, p], ["x", "y"]).grad as Pair;
    expect(maxRelError(pair(grad.grad), pair(tapeGrad)), `${at}: gradient ${pair(grad.grad)} vs tape ${pair(tapeGrad)}`).toBeLessThan(1e-12);
    const fd = differences((a, b) => [f(a, b, p)], x, y)[0]!;
    expect(maxRelError(pair(grad.grad), fd), `${at}: gradient ${pair(grad.grad)} vs differences ${fd}`).toBeLessThan(differencesTolerance(c));
    const into = { x: NaN, y: NaN };
    call(g[`p${k}GradInto`], x, y, p, into);
    expect(pair(into), `${at}: GradInto`).toEqual(pair(grad.grad));

    // Forward mode: the tape's J·v and ⟨∇f, v⟩.
    const jvp = call<{ value: number; tangent: number }>(g[`p${k}Jvp`], x, y, p, V);
    expect(Object.is(jvp.value, value), `${at}: JVP value`).toBe(true);
    const tapeJvp = tape.jvp(`p${k}`, [x, y, p], V, ["x", "y"]).tangent as number;
    expect(maxRelError([jvp.tangent], [tapeJvp]), `${at}: JVP ${jvp.tangent} vs tape ${tapeJvp}`).toBeLessThan(1e-12);

    // Forward over reverse: against the tape's reverse over reverse and differences of the gradient.
    const hvp = call<{ value: number; grad: Pair; hvp: Pair }>(g[`p${k}Hvp`], x, y, p, V);
    expect(pair(hvp.grad), `${at}: HVP's gradient`).toEqual(pair(grad.grad));
    const tapeHvp = tape.hvp(`p${k}`, [x, y, p], V, ["x", "y"]).hvp as Pair;
    expect(maxRelError(pair(hvp.hvp), pair(tapeHvp)), `${at}: HVP ${pair(hvp.hvp)} vs tape ${pair(tapeHvp)}`).toBeLessThan(1e-11);
    const gradAt = (a: number, b: number) => pair(call<{ grad: Pair }>(g[`p${k}Grad`], a, b, p).grad);
    const hfd = differences(gradAt, x, y).map((row) => row[0]! * V.x + row[1]! * V.y);
    expect(maxRelError(pair(hvp.hvp), hfd), `${at}: HVP ${pair(hvp.hvp)} vs differences ${hfd}`).toBeLessThan(1e-6);
    const [hg, hh] = [{ x: NaN, y: NaN }, { x: NaN, y: NaN }];
    call(g[`p${k}HvpInto`], x, y, p, V, hg, hh);
    expect([...pair(hg), ...pair(hh)], `${at}: HvpInto`).toEqual([...pair(hvp.grad), ...pair(hvp.hvp)]);
    if (!c.allModes) continue;

    const vjp = call<{ value: number; grad: Pair }>(g[`p${k}Vjp`], x, y, p, 0.7);
    const tapeVjp = tape.vjp(`p${k}`, [x, y, p], 0.7, ["x", "y"]).grad as Pair;
    expect(maxRelError(pair(vjp.grad), pair(tapeVjp)), `${at}: VJP ${pair(vjp.grad)} vs tape ${pair(tapeVjp)}`).toBeLessThan(1e-12);
    const { hessian } = call<{ hessian: number[][] }>(g[`p${k}Hessian`], x, y, p);
    const tapeHessian = tape.hessian(`p${k}`, [x, y, p], ["x", "y"]);
    expect(maxRelError(hessian.flat(), tapeHessian.flat()), `${at}: Hessian ${JSON.stringify(hessian)} vs tape ${JSON.stringify(tapeHessian)}`).toBeLessThan(1e-11);
    expect(hessian[0]![1]).toBe(hessian[1]![0]);

    // The array function: Jacobian (and its JVP and VJP) against the tape and differences.
    const rows = built.source[`p${k}Rows`] as (x: number, y: number, c: number) => number[];
    const { jacobian } = call<{ jacobian: number[][] }>(g[`p${k}RowsJacobian`], x, y, p);
    const tapeJacobian = tape.jacobian(`p${k}Rows`, [x, y, p], ["x", "y"]);
    expect(maxRelError(jacobian.flat(), tapeJacobian.flat()), `${at}: Jacobian ${JSON.stringify(jacobian)} vs tape ${JSON.stringify(tapeJacobian)}`).toBeLessThan(1e-12);
    expect(maxRelError(jacobian.flat(), differences((a, b) => rows(a, b, p), x, y).flat()), `${at}: Jacobian vs differences`).toBeLessThan(differencesTolerance(c));
    const rowsJvp = call<{ tangent: number[] }>(g[`p${k}RowsJvp`], x, y, p, V).tangent;
    expect(maxRelError(Array.from(rowsJvp), tapeJacobian.map((r) => r[0]! * V.x + r[1]! * V.y)), `${at}: rows' JVP`).toBeLessThan(1e-12);
    const cotangent = tapeJacobian.map((_, i) => 0.5 - 0.4 * i);
    const rowsVjp = call<{ grad: Pair }>(g[`p${k}RowsVjp`], x, y, p, cotangent).grad;
    const tapeRowsVjp = tape.vjp(`p${k}Rows`, [x, y, p], cotangent, ["x", "y"]).grad as Pair;
    expect(maxRelError(pair(rowsVjp), pair(tapeRowsVjp)), `${at}: rows' VJP`).toBeLessThan(1e-12);
  }
}

describe("every primitive in every mode", () => {
  it("covers every primitive of the rule table with each argument position active, and each in every mode", () => {
    for (const [primitive, rule] of Object.entries(PRIMITIVES)) {
      const mine = CASES.filter((c) => c.primitive === primitive);
      const arity = rule.arity === "variadic" ? 2 : rule.arity;
      for (let k = 0; k < arity; k++) {
        expect(mine.some((c) => c.pattern[k] === "A"), `${primitive}: position ${k} active`).toBe(true);
        expect(mine.some((c) => c.pattern[k] === "L" || c.pattern[k] === "P"), `${primitive}: position ${k} inactive`).toBe(true);
      }
      expect(mine.some((c) => c.allModes), `${primitive}: every mode`).toBe(true);
    }
  });

  // One build per primitive, inside its test: a test compiles what it checks, so mutation
  // testing (test/mutation/) knows which tests run which compiler code; one build in a
  // beforeAll would make every mutant rerun every test. Costs no more than one large build.
  for (const primitive of new Set(CASES.map((c) => c.primitive))) {
    const mine = [...CASES.entries()].filter(([, c]) => c.primitive === primitive);
    it(`${primitive}: ${mine.length} cases`, async () => {
      const built = await build(casesSource(mine));
      const tape = loadTapeModule(built.sourcePath);
      for (const [k, c] of mine) checkCase(c, k, built, tape);
    });
  }
});
