/**
 * User-supplied derivatives: a function tagged `@vjpOf g` has the shape of a generated
 * `gVjpInto(params…, cotangent, grad)` and is called by reverse-mode code instead of
 * differentiating g's body. Forward modes see through g instead.
 */
import { describe, expect, it } from "vitest";
import { buildProject } from "./harness/build.ts";
import { centralDifferences, differenceAlong, maxRelError } from "./harness/numeric.ts";

const lse = `
/** log Σ exp(v), shifted by the maximum. */
export function logSumExp(v: readonly number[], scale: number): number {
  let max = v[0];
  for (let k = 1; k < v.length; k++) max = Math.max(max, v[k]);
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += Math.exp(v[k] - max);
  return (Math.log(sum) + max) * scale;
}

export let ruleCalls = 0;

/**
 * The hand-written rule: ∂/∂v_k = scale · softmax(v)_k, ∂/∂scale = lse(v).
 *
 * @vjpOf logSumExp
 */
export function logSumExpVjpInto(v: readonly number[], scale: number, cotangent: number, grad: { v: number[]; scale: number }): number {
  ruleCalls++;
  let max = v[0];
  for (let k = 1; k < v.length; k++) max = Math.max(max, v[k]);
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += Math.exp(v[k] - max);
  for (let k = 0; k < v.length; k++) grad.v[k] += cotangent * scale * Math.exp(v[k] - max) / sum;
  const value = Math.log(sum) + max;
  grad.scale += cotangent * value;
  return value * scale;
}
`;

const model = `
import { logSumExp } from "./lse.ts";

/**
 * @grad z, t
 * @hvp z
 */
export function loss(z: number[], data: number[], t: number): number {
  let s = 0;
  for (let i = 0; i < 3; i++) s += logSumExp(z, t) * (i + 1) - z[i] * data[i];
  return s + logSumExp(data, t * t);
}
`;

describe("custom derivatives", () => {
  it("reverse mode calls the @vjpOf rule and gets the right gradient", async () => {
    const { source, generated, sourcePath, text } = await buildProject({ "lse.ts": lse, "model.ts": model }, "model.ts");
    expect(text).toContain("logSumExpVjpInto(");
    const lseModule = await import(sourcePath.replace("model.ts", "lse.ts"));
    const before = lseModule.ruleCalls as number;
    const z = [0.3, -1.2, 2.2, 0.7];
    const data = [1, 0.5, -0.5];
    const f = source.loss as (z: number[], d: number[], t: number) => number;
    const g = (generated.lossGrad as (z: number[], d: number[], t: number) => { value: number; grad: { z: number[]; t: number } })(z, data, 1.3);
    expect(lseModule.ruleCalls - before).toBe(4);
    expect(g.value).toBe(f(z, data, 1.3));
    const fd = centralDifferences(f as (...a: unknown[]) => number, [z, data, 1.3], [0, 2]);
    expect(maxRelError(g.grad.z, fd[0]!)).toBeLessThan(1e-6);
    expect(maxRelError([g.grad.t], fd[1]!)).toBeLessThan(1e-6);
  });

  it("forward-over-reverse differentiates through the function's own body", async () => {
    const { generated } = await buildProject({ "lse.ts": lse, "model.ts": model }, "model.ts");
    const z = [0.3, -1.2, 2.2, 0.7];
    const v = [0.5, 0.1, -0.3, 0.2];
    const hvp = generated.lossHvp as (z: number[], d: number[], t: number, v: { z: number[] }) => { hvp: { z: number[] } };
    const grad = generated.lossGrad as (z: number[], d: number[], t: number) => { grad: { z: number[] } };
    const h = 1e-6;
    const gradAt = (t: number) => grad(z.map((x, i) => x + t * v[i]!), [1, 0.5, -0.5], 1.3).grad.z;
    expect(maxRelError(hvp(z, [1, 0.5, -0.5], 1.3, { z: v }).hvp.z, differenceAlong(gradAt, h))).toBeLessThan(1e-6);
  });
});
