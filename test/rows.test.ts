/**
 * fVjpRowsInto (split mode): one forward sweep, then one reverse sweep per cotangent, each
 * popping the same saved values again after the stacks are rewound. It must give exactly
 * what one fVjpInto per cotangent gives (the same reverse statements run on the same
 * values), leave the stacks as it found them (also with zero rows, and with values of an
 * enclosing computation below), and fall back to one fVjpInto per row where the reverse
 * sweep cannot be replayed (it restores overwritten values, or is fused with the last loop).
 */
import { describe, expect, it } from "vitest";
import { allStacks, IntStack, NumberStack, pendingStackEntries } from "../runtime/stack.ts";
import { baReprojectionErrorInputs } from "../samples/ba.ts";
import { baReprojectionErrorVjpInto, baReprojectionErrorVjpRowsInto, type BaReprojectionErrorVjpGradient } from "../samples/ba.grad.ts";
import { build, generatedFunction, type Built } from "./harness/build.ts";
import { randomVector, rng } from "./harness/numeric.ts";

const next = rng(23);

type Grad = Record<string, number | number[] | Float64Array>;
type Into = (...args: unknown[]) => number[];

/**
 * Checks `rows(...args, cotangents, grads)` against one `into(...args, cotangent, grad)` per
 * cotangent, bit for bit: values, and gradients added into buffers that were not zero.
 */
function expectRowsEqualStacked(rows: Into, into: Into, args: unknown[], cotangents: number[][], zeroGrad: () => Grad): void {
  const mine = cotangents.map(() => randomized(zeroGrad()));
  const theirs = mine.map((g) => structuredClone(g));
  const value = rows(...args, cotangents, mine);
  expect(pendingStackEntries()).toBe(0);
  const values = cotangents.map((c, r) => into(...args, c, theirs[r]));
  expect(pendingStackEntries()).toBe(0);
  for (const v of values) expect(value).toEqual(v);
  expect(mine).toEqual(theirs);
}

/** A gradient record with random entries. */
function randomized(g: Grad): Grad {
  for (const [k, v] of Object.entries(g)) g[k] = typeof v === "number" ? next() : (v as number[]).map(() => next());
  return g;
}

function cotangentRows(count: number, length: number): number[][] {
  return Array.from({ length: count }, () => randomVector(length, next));
}

const source = `
/**
 * Both stacks: a branch on a loop local (values), a data-dependent while loop (its trip
 * count on the control stack).
 *
 * @vjp x, s
 * @jvp x
 * @jacobian x
 */
export function mix(x: number[], s: number): number[] {
  const out = [0, 0];
  for (let i = 0; i < x.length; i++) {
    const t = Math.tanh(x[i] * s);
    if (t > 0.1) {
      out[0] += t * t;
    } else {
      out[1] += Math.exp(t) * x[i];
    }
  }
  let u = s;
  while (u < 4) u = u * 2 + 0.5;
  out[1] += u * x[0];
  return out;
}

/**
 * An overwritten variable the reverse sweep restores: no replay.
 *
 * @vjp x
 * @jacobian x
 */
export function overwrite(x: number[]): number[] {
  let t = x[0];
  t = Math.sin(t) * t;
  t = t * x[1];
  return [t * x[1], t + x[2]];
}

/**
 * The last loop runs fused with its reverse: no replay.
 *
 * @vjp x
 */
export function sums(x: number[]): number[] {
  let s = 0;
  let q = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i];
    q += x[i] * x[i];
  }
  return [s, q];
}
`;

let built: Promise<Built> | null = null;
const load = () => (built ??= build(source));
const fn = (b: Built, name: string) => b.generated[name] as unknown as Into;

describe("fVjpRowsInto", () => {
  it("BA (sqtheta ≠ 0 pushes θ, cos, sin; r = 0 pushes nothing) equals one VjpInto per cotangent, bit for bit", () => {
    const [cams, ...rest] = baReprojectionErrorInputs();
    const zero = (): BaReprojectionErrorVjpGradient => ({ cams: new Float64Array(cams.length), X: new Float64Array(rest[1].length), w: 0 });
    for (const rotation of ["nonzero", "zero"]) {
      const camsHere = Float64Array.from(cams);
      if (rotation === "zero") camsHere.fill(0, 11, 14); // observation 3 sees camera 1
      for (const count of [1, 2, 3]) {
        const cotangents = count === 2 ? [[1, 0], [0, 1]] : cotangentRows(count, 2);
        expectRowsEqualStacked(baReprojectionErrorVjpRowsInto as Into, baReprojectionErrorVjpInto as Into, [camsHere, ...rest], cotangents, zero);
      }
    }
  });

  it("replays both stacks (a loop local and a while loop's trip count) and equals one VjpInto per cotangent", async () => {
    const b = await load();
    expect(generatedFunction(b.text, "mixVjpRowsInto")).toContain("controlStack.rewind(");
    expect(generatedFunction(b.text, "mixVjpRowsInto")).toContain("valueStack.rewind(");
    // Some entries take each branch.
    const x = [0.9, -0.7, 0.05, 1.3, -0.2, 0.6];
    for (const count of [1, 2, 4]) {
      expectRowsEqualStacked(fn(b, "mixVjpRowsInto"), fn(b, "mixVjpInto"), [x, 0.8], cotangentRows(count, 2), () => ({ x: x.map(() => 0), s: 0 }));
    }
  });

  it("falls back to one VjpInto per cotangent where the reverse sweep restores values or is fused", async () => {
    const b = await load();
    for (const name of ["overwrite", "sums"]) {
      const text = generatedFunction(b.text, `${name}VjpRowsInto`);
      expect(text).toContain(`${name}VjpInto(`);
      expect(text).not.toContain("rewind");
      const x = randomVector(5, next);
      for (const count of [1, 3]) {
        expectRowsEqualStacked(fn(b, `${name}VjpRowsInto`), fn(b, `${name}VjpInto`), [x], cotangentRows(count, 2), () => ({ x: x.map(() => 0) }));
      }
    }
  });

  it("with no cotangents returns the value, touches no gradient and leaves the stacks balanced", async () => {
    const b = await load();
    const x = [0.9, -0.7, 0.05, 1.3];
    for (const name of ["mix", "overwrite", "sums"]) {
      const args = name === "mix" ? [x, 0.8] : [x];
      const value = fn(b, `${name}VjpRowsInto`)(...args, [], []);
      expect(pendingStackEntries()).toBe(0);
      expect(value).toEqual((b.source[name] as unknown as Into)(...args));
    }
    const [cams, ...rest] = baReprojectionErrorInputs();
    const value = (baReprojectionErrorVjpRowsInto as (...a: unknown[]) => number[])(cams, ...rest, [], []);
    expect(pendingStackEntries()).toBe(0);
    expect(value).toEqual((baReprojectionErrorVjpInto as (...a: unknown[]) => number[])(cams, ...rest, [0, 0], { cams: new Float64Array(cams.length), X: new Float64Array(rest[1].length), w: 0 }));
  });

  it("leaves values already on the stacks (an enclosing computation's) where they were", async () => {
    const b = await load();
    const stacks = allStacks as (NumberStack | IntStack)[];
    stacks.forEach((s, k) => s.push(k + 7));
    const x = [0.9, -0.7, 0.05, 1.3];
    const mine = [{ x: [0, 0, 0, 0], s: 0 }, { x: [0, 0, 0, 0], s: 0 }];
    fn(b, "mixVjpRowsInto")(x, 0.8, [[1, 0], [0, 1]], mine);
    fn(b, "mixVjpRowsInto")(x, 0.8, [], []);
    expect(pendingStackEntries()).toBe(stacks.length);
    stacks.forEach((s, k) => expect(s.pop()).toBe(k + 7));
    const theirs = [{ x: [0, 0, 0, 0], s: 0 }, { x: [0, 0, 0, 0], s: 0 }];
    fn(b, "mixVjpInto")(x, 0.8, [1, 0], theirs[0]);
    fn(b, "mixVjpInto")(x, 0.8, [0, 1], theirs[1]);
    expect(mine).toEqual(theirs);
  });
});

describe("fJacobian's reverse branch", () => {
  it("uses fVjpRowsInto where it replays, and its rows equal separate VJPs and (to rounding) the forward-mode columns", async () => {
    const b = await load();
    expect(generatedFunction(b.text, "mixJacobian")).toContain("mixJacobianVjpRowsInto(");
    const x = [0.9, -0.7, 0.05, 1.3, -0.2, 0.6];
    const { value, jacobian } = (b.generated.mixJacobian as unknown as (x: number[], s: number) => { value: number[]; jacobian: number[][] })(x, 0.8);
    expect(pendingStackEntries()).toBe(0);
    expect(jacobian).toHaveLength(2);
    const vjp = b.generated.mixVjp as unknown as (x: number[], s: number, c: number[]) => { value: number[]; grad: { x: number[] } };
    const jvp = b.generated.mixJvp as unknown as (x: number[], s: number, t: { x: number[] }) => { tangent: number[] };
    for (let r = 0; r < 2; r++) {
      const row = vjp(x, 0.8, r === 0 ? [1, 0] : [0, 1]);
      expect(row.value).toEqual(value);
      expect(jacobian[r]).toEqual(row.grad.x);
    }
    for (let k = 0; k < x.length; k++) {
      const column = jvp(x, 0.8, { x: x.map((_, j) => (j === k ? 1 : 0)) }).tangent;
      for (let r = 0; r < 2; r++) expect(Math.abs(jacobian[r]![k]! - column[r]!)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(column[r]!)));
    }
  });

  it("keeps one VjpInto per row where the reverse sweep cannot be replayed", async () => {
    const b = await load();
    const text = generatedFunction(b.text, "overwriteJacobian");
    // the @vjp entry point, which the Jacobian's own copy would duplicate (modes/dedupe.ts)
    expect(text).toContain("overwriteVjpInto(");
    expect(b.text).not.toContain("overwriteJacobianVjpRowsInto");
    const x = randomVector(4, next);
    const { jacobian } = (b.generated.overwriteJacobian as unknown as (x: number[]) => { jacobian: number[][] })(x);
    const vjp = b.generated.overwriteVjp as unknown as (x: number[], c: number[]) => { grad: { x: number[] } };
    expect(jacobian).toEqual([vjp(x, [1, 0]).grad.x, vjp(x, [0, 1]).grad.x]);
    expect(pendingStackEntries()).toBe(0);
  });
});

describe("fVjpRowsInto in a debug build", () => {
  it("checks each row's gradient buffer for aliasing and each reverse sweep's stack balance, and agrees with the release build", async () => {
    const debug = await build(source, { debug: true });
    const text = generatedFunction(debug.text, "mixVjpRowsInto");
    expect(text).toContain("must not alias");
    expect(text).toContain("unbalanced stacks");
    const release = await load();
    const x = [0.9, -0.7, 0.05, 1.3];
    const grads = () => [{ x: [0, 0, 0, 0], s: 0 }, { x: [0, 0, 0, 0], s: 0 }];
    const [a, b] = [grads(), grads()];
    expect(fn(debug, "mixVjpRowsInto")(x, 0.8, [[1, 0], [0, 1]], a)).toEqual(fn(release, "mixVjpRowsInto")(x, 0.8, [[1, 0], [0, 1]], b));
    expect(a).toEqual(b);
    expect(() => fn(debug, "mixVjpRowsInto")(x, 0.8, [[1, 0], [0, 1]], [{ x: [0, 0, 0, 0], s: 0 }, { x, s: 0 }])).toThrow(/'x' and 'grad.x' are the same array/);
    expect(pendingStackEntries()).toBe(0);
  });
});
