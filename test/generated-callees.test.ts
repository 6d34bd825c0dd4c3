/**
 * Nested derivatives: a source may call the code tsgrad generated for another source of
 * the same build (`import { gGradInto } from "./inner.grad.ts"`), and tsgrad differentiates
 * that call again. The importer is compiled after the file it imports from, whatever their
 * names; the generated inner code is inlined (object arguments and results included), so
 * every outer mode sees plain arithmetic.
 *
 * Closed form used throughout: g(a, x) = a·x³, ∂g/∂x = 3·a·x², and the outer function
 * h(a) = (∂g/∂x at x = 2)² = 144·a², so h'(a) = 288·a and h''(a) = 288.
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../compiler/pipeline.ts";
import { buildProject } from "./harness/build.ts";

const inner = `
/**
 * @grad x
 * @jvp x
 */
export function g(a: number, x: number): number {
  return a * x * x * x;
}
`;

// Named so it sorts before "inner.ts": the build must still compile inner.ts first.
const outer = `
import { gGrad, gGradInto, gJvp } from "./inner.grad.ts";

/** Inner reverse mode through the zero-allocation form and a local object literal. @grad a @jvp a @hvp a */
export function viaInto(a: number): number {
  const d = { x: 0 };
  gGradInto(a, 2, d);
  return d.x * d.x;
}

/** Inner reverse mode through the allocating wrapper's nested result. @grad a @jvp a */
export function viaGrad(a: number): number {
  const s = gGrad(a, 2).grad.x;
  return s * s;
}

/** Inner forward mode with an object literal tangent. @grad a @jvp a */
export function viaJvp(a: number): number {
  const s = gJvp(a, 2, { x: 1 }).tangent;
  return s * s;
}

/** A loop calling the inner derivative: h accumulated over three points. @grad a @jvp a */
export function inLoop(a: number): number {
  let total = 0;
  for (let i = 1; i <= 3; i++) {
    const d = { x: 0 };
    gGradInto(a, i, d);
    total += d.x;
  }
  return total * a;
}
`;

type Grad = (a: number) => { value: number; grad: { a: number } };
type Jvp = (a: number, t: { a: number }) => { value: number; tangent: number };

describe("calling generated derivative code (nested AD)", () => {
  it("differentiates a function that calls generated reverse- and forward-mode code, in both outer modes", async () => {
    const { generated, text } = await buildProject({ "a_outer.ts": outer, "inner.ts": inner }, "a_outer.ts");
    for (const name of ["viaInto", "viaGrad", "viaJvp"]) {
      for (const a of [0.5, -1.25, 3]) {
        const r = (generated[`${name}Grad`] as Grad)(a);
        const f = (generated[`${name}Jvp`] as Jvp)(a, { a: 1 });
        expect(r.value).toBeCloseTo(144 * a * a, 10);
        expect(r.grad.a).toBeCloseTo(288 * a, 9);
        expect(f.value).toBeCloseTo(144 * a * a, 10);
        expect(f.tangent).toBeCloseTo(288 * a, 9);
      }
    }
    // Σ_{i=1..3} 3·a·i² = 42·a, times a: 42·a², derivative 84·a.
    expect((generated.inLoopGrad as Grad)(1.5).grad.a).toBeCloseTo(84 * 1.5, 10);
    expect((generated.inLoopJvp as Jvp)(1.5, { a: 1 }).tangent).toBeCloseTo(84 * 1.5, 10);
    // Third order: forward over reverse over the inner reverse.
    const hvp = (generated.viaIntoHvp as (a: number, v: { a: number }) => { hvp: { a: number } })(0.7, { a: 1 });
    expect(hvp.hvp.a).toBeCloseTo(288, 9);
    // Everything is inlined: the generated outer file imports nothing from the inner one.
    expect(text).not.toMatch(/import[^\n]*inner\.grad/);
  });

  it("passes an array gradient buffer through a local object (inner loop fused, no stack)", async () => {
    const innerArray = `
/** @grad x */
export function energy(a: number, x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += a * x[i] * x[i];
  return s;
}
`;
    // ∂energy/∂x_i = 2·a·x_i; with x = (a, 1): k(a) = Σ_i (∂energy/∂x_i)·x_i = 2a·(a² + 1), k'(a) = 6a² + 2.
    const outerArray = `
import { energyGradInto } from "./energy.grad.ts";
/** @grad a @jvp a */
export function k(a: number): number {
  const x = [a, 1];
  const d = new Array(2).fill(0);
  const g = { x: d };
  energyGradInto(a, x, g);
  return d[0] * x[0] + d[1] * x[1];
}
`;
    const { generated } = await buildProject({ "energy.ts": innerArray, "k.ts": outerArray }, "k.ts");
    for (const a of [0.5, -2]) {
      expect((generated.kGrad as Grad)(a).grad.a).toBeCloseTo(6 * a * a + 2, 10);
      expect((generated.kJvp as Jvp)(a, { a: 1 }).tangent).toBeCloseTo(6 * a * a + 2, 10);
    }
  });

  it("differentiates an inner GradInto that clears its buffer with .fill(0), over a buffer that held other values", async () => {
    // The inner loop skips x[0], so its gradient buffer is cleared rather than set.
    const innerTail = `
/** @grad x */
export function tail(a: number, x: readonly number[]): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += a * x[i] * x[i];
  return s;
}
`;
    // d = (0, 2a·x_1) whatever d held before; x = (a, a): k(a) = d_0 + d_1·a = 2a³, k'(a) = 6a².
    const outerTail = `
import { tailGradInto } from "./tail.grad.ts";
/** @grad a @jvp a */
export function k(a: number): number {
  const x = [a, a];
  const d = [a, 5];
  tailGradInto(a, x, { x: d });
  return d[0] + d[1] * a;
}
`;
    const { generated, text } = await buildProject({ "tail.ts": innerTail, "k.ts": outerTail }, "k.ts");
    expect(text).toMatch(/_i\] = 0;/);
    for (const a of [0.5, -2]) {
      expect((generated.kGrad as Grad)(a).value).toBeCloseTo(2 * a ** 3, 12);
      expect((generated.kGrad as Grad)(a).grad.a).toBeCloseTo(6 * a * a, 10);
      expect((generated.kJvp as Jvp)(a, { a: 1 }).tangent).toBeCloseTo(6 * a * a, 10);
    }
  });

  it("says why generated code that uses its module's stacks cannot be differentiated again", async () => {
    const stacked = `
/** @grad x */
export function chain(x: number[]): number {
  let s = 1;
  for (let i = 0; i < x.length; i++) s = Math.sin(s * x[i]);
  return s;
}
`;
    const caller = `
import { chainGradInto } from "./chain.grad.ts";
/** @grad a */
export function f(a: number): number {
  const x = [a, 2 * a];
  const d = new Array(2).fill(0);
  chainGradInto(x, { x: d });
  return d[0];
}
`;
    const result = await compileSources([
      { path: "/virtual/chain.ts", text: stacked },
      { path: "/virtual/caller.ts", text: caller },
    ]);
    expect(result.diagnostics.map((d) => d.message).join("\n")).toContain("cannot be differentiated again");
  });

  it("a write into a temporary object literal argument does not reach the caller's variables", async () => {
    const temp = `
import { gGradInto } from "./inner.grad.ts";
/** @grad a @jvp a */
export function f(a: number): number {
  const s = 2 * a;
  let t = a;
  gGradInto(a, 2, { x: s });
  gGradInto(a, 2, { x: t });
  const d = { x: 0 };
  const e = d;
  gGradInto(a, 1, e);
  return s * s + t + d.x - 3 * a;
}
`;
    // The gradients go into temporaries: f(a) = 4a² + a, f'(a) = 8a + 1.
    // (And a second name for a local object is the same object: e.x written, d.x read.)
    const { source, generated } = await buildProject({ "inner.ts": inner, "temp.ts": temp }, "temp.ts");
    for (const a of [0.5, -3]) {
      expect((source.f as (a: number) => number)(a)).toBeCloseTo(4 * a * a + a, 12);
      expect((generated.fGrad as Grad)(a).value).toBeCloseTo(4 * a * a + a, 12);
      expect((generated.fGrad as Grad)(a).grad.a).toBeCloseTo(8 * a + 1, 12);
      expect((generated.fJvp as Jvp)(a, { a: 1 }).tangent).toBeCloseTo(8 * a + 1, 12);
    }
  });

  it("rejects an annotated function writing a field of its own object parameter", async () => {
    const result = await compileSources([
      { path: "/virtual/w.ts", text: `/** @grad a */\nexport function f(a: number, o: { x: number }): number {\n  o.x = a;\n  return a;\n}\n` },
    ]);
    expect(result.diagnostics.map((d) => d.message).join("\n")).toContain("only number fields of a local object literal");
  });
});
