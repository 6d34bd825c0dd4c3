/**
 * Two-argument primitives (Math.pow, Math.atan2, `**`) in the forward modes: tangents,
 * HVPs and Hessians against closed forms. Forward mode once asked each rule for its
 * partials with a single argument to see whether it was identically zero, which crashed
 * on every two-argument rule.
 */
import { describe, expect, it } from "vitest";
import { build } from "./harness/build.ts";

type Fn = (...args: never[]) => unknown;

const source = `
/**
 * @jvp
 * @hvp
 * @hessian
 */
export function power(x: number, y: number): number {
  return Math.pow(x, y);
}

/** @jvp */
export function square(x: number): number {
  return Math.pow(x, 2);
}

/**
 * @jvp
 * @hvp
 */
export function angle(y: number, x: number): number {
  return Math.atan2(y, x);
}
`;

describe("two-argument primitives in forward mode", () => {
  it("Math.pow(x, y): JVP, HVP and Hessian equal the closed forms", async () => {
    const { generated } = await build(source);
    const [x, y] = [1.7, 2.3];
    const f = x ** y;
    const fx = y * x ** (y - 1);
    const fy = f * Math.log(x);
    const fxx = y * (y - 1) * x ** (y - 2);
    const fxy = x ** (y - 1) * (1 + y * Math.log(x));
    const fyy = f * Math.log(x) ** 2;
    const jvp = (generated.powerJvp as Fn)(...([x, y, { x: 0.3, y: -0.7 }] as never[])) as { value: number; tangent: number };
    expect(jvp.value).toBeCloseTo(f, 14);
    expect(jvp.tangent).toBeCloseTo(0.3 * fx - 0.7 * fy, 12);
    const hvp = (generated.powerHvp as Fn)(...([x, y, { x: 0.3, y: -0.7 }] as never[])) as { hvp: { x: number; y: number } };
    expect(hvp.hvp.x).toBeCloseTo(0.3 * fxx - 0.7 * fxy, 12);
    expect(hvp.hvp.y).toBeCloseTo(0.3 * fxy - 0.7 * fyy, 12);
    const { hessian } = (generated.powerHessian as Fn)(...([x, y] as never[])) as { hessian: number[][] };
    expect(hessian[0]![0]).toBeCloseTo(fxx, 12);
    expect(hessian[0]![1]).toBeCloseTo(fxy, 12);
    expect(hessian[1]![1]).toBeCloseTo(fyy, 12);
  });

  it("Math.pow(x, 2) and Math.atan2(y, x): JVP and HVP equal the closed forms", async () => {
    const { generated } = await build(source);
    const sq = (generated.squareJvp as Fn)(...([1.5, { x: 2 }] as never[])) as { tangent: number };
    expect(sq.tangent).toBe(6);
    const [y, x] = [0.4, -1.3];
    const r2 = x * x + y * y;
    const jvp = (generated.angleJvp as Fn)(...([y, x, { y: 1, x: 0 }] as never[])) as { tangent: number };
    expect(jvp.tangent).toBeCloseTo(x / r2, 14);
    const hvp = (generated.angleHvp as Fn)(...([y, x, { y: 1, x: 0 }] as never[])) as { hvp: { y: number; x: number } };
    // d²/dy² atan2(y, x) = -2xy / r⁴, d²/dxdy = (y² - x²) / r⁴
    expect(hvp.hvp.y).toBeCloseTo((-2 * x * y) / (r2 * r2), 12);
    expect(hvp.hvp.x).toBeCloseTo((y * y - x * x) / (r2 * r2), 12);
  });
});
