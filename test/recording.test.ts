/**
 * What reverse mode records: a scratch buffer overwritten more often than its adjoint
 * reads it has its reads recorded (pushed where they happen) instead of its writes
 * restored; any other array keeps restore-at-write. Both strategies, and the
 * to-be-recorded analysis switched off, must give the same derivatives to the last bit,
 * and those must match the tape and finite differences.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pendingStackEntries } from "../runtime/stack.ts";
import { build, buildProject, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { clone, flatten, randomMatrix, randomVector, rng } from "./harness/numeric.ts";
import { REPO_ROOT } from "./harness/discover.ts";

type Grad = (...a: unknown[]) => { value: number; grad: Record<string, unknown> };

/** Like the GMM inner loop: `buf` is rebuilt per (i, k) by two loops, then read once per entry. */
const scratchBuffer = `/**
 * @grad w, c
 * @hvp w, c
 */
export function scratch(w: readonly number[], c: readonly (readonly number[])[], x: readonly number[]): number {
  const D = w.length;
  const buf = new Array(D).fill(0);
  let total = 0;
  for (let k = 0; k < c.length; k++) {
    for (let j = 0; j < D; j++) buf[j] = Math.exp(w[j]) * (x[j] - c[k][j]);
    for (let col = 0; col < D; col++) {
      for (let row = col + 1; row < D; row++) buf[row] += w[row] * w[col] * (x[col] - c[k][col]);
    }
    let sq = 0;
    for (let j = 0; j < D; j++) sq += buf[j] * buf[j];
    total += Math.log(1 + sq);
  }
  return total;
}
`;

/** A buffer whose every entry is written once per outer step and read by a nonlinear update. */
const writeOnceReadMany = `/** @grad x */
export function smooth(x: readonly number[], steps: number): number {
  const n = x.length;
  const y = new Array(n).fill(0);
  for (let i = 0; i < n; i++) y[i] = x[i];
  for (let s = 0; s < steps; s++) {
    for (let i = 1; i < n - 1; i++) y[i] = y[i] + 0.25 * Math.sin(y[i - 1] * y[i + 1]);
  }
  let out = 0;
  for (let i = 0; i < n; i++) out += y[i] * y[i] * y[i];
  return out;
}
`;

const next = rng(20261129);
const D = 5;
const scratchArgs = () => [randomVector(D, next, 0.5), randomMatrix(4, D, next), randomVector(D, next)];

describe("recorded reads", () => {
  it("record a scratch buffer's reads instead of restoring its writes", async () => {
    const { text } = await build(scratchBuffer);
    // The snapshot shows: buf[j] saved where it is read (sq += buf[j] * buf[j]), once per read, and
    // the reverse sweep reading it back into a local, never restoring buf's entries.
    expect(generatedFunction(text, "scratchGradInto")).toMatchInlineSnapshot(`
      "export function scratchGradInto(
        w: readonly number[],
        c: readonly (readonly number[])[],
        x: readonly number[],
        grad: ScratchGradient,
      ): number {
        const w_bar = grad.w;
        const c_bar = grad.c;
        // forward sweep
        const D = w.length;
        const buf = new Array<number>(D).fill(0);
        let total = 0;
        const buf_bar = new Array<number>(buf.length).fill(0);
        w_bar.fill(0);
        for (let i = 0; i < c_bar.length; i++) {
          c_bar[i].fill(0);
        }
        // the last loop's forward and reverse sweeps, fused: its iterations only add into adjoints
        {
          const savedPerTrip = Math.max(0, D) + Math.max(0, D);
          let savedTop = valueStack.size;
          let saved = valueStack.reserve(savedTop, savedPerTrip);
          for (let k = 0; k < c.length; k++) {
            if (savedTop + savedPerTrip > saved.length) {
              saved = valueStack.reserve(savedTop, savedPerTrip);
            }
            const c_k = c[k];
            {
              let j = 0;
              for (; j + 1 < D; j += 2) {
                const _t1 = Math.exp(w[j]);
                saved[savedTop++] = _t1;
                buf[j] = _t1 * (x[j] - c_k[j]);
                const j_1 = j + 1;
                const _t1_1 = Math.exp(w[j_1]);
                saved[savedTop++] = _t1_1;
                buf[j_1] = _t1_1 * (x[j_1] - c_k[j_1]);
              }
              if (j < D) {
                const _t1 = Math.exp(w[j]);
                saved[savedTop++] = _t1;
                buf[j] = _t1 * (x[j] - c_k[j]);
              }
            }
            {
              let col = 0;
              for (; col < D - 1 && col + 1 < D - 1; col += 2) {
                const col_1 = col + 1;
                const c_k2 = c[k];
                let row = col + 1;
                if (row < D) {
                  buf[row] += w[row] * w[col] * (x[col] - c_k2[col]);
                }
                row++;
                for (; row < D; row++) {
                  buf[row] += w[row] * w[col] * (x[col] - c_k2[col]);
                  buf[row] += w[row] * w[col_1] * (x[col_1] - c_k2[col_1]);
                }
              }
              if (col < D - 1) {
                const c_k2 = c[k];
                {
                  let row = col + 1;
                  for (; row + 1 < D; row += 2) {
                    buf[row] += w[row] * w[col] * (x[col] - c_k2[col]);
                    const row_1 = row + 1;
                    buf[row_1] += w[row_1] * w[col] * (x[col] - c_k2[col]);
                  }
                  if (row < D) {
                    buf[row] += w[row] * w[col] * (x[col] - c_k2[col]);
                  }
                }
              }
            }
            let sq = 0;
            {
              let j = 0;
              for (; j + 1 < D; j += 2) {
                saved[savedTop++] = buf[j];
                sq += buf[j] * buf[j];
                const j_2 = j + 1;
                saved[savedTop++] = buf[j_2];
                sq += buf[j_2] * buf[j_2];
              }
              if (j < D) {
                saved[savedTop++] = buf[j];
                sq += buf[j] * buf[j];
              }
            }
            total += Math.log(1 + sq);
            // its reverse, in the same iteration
            // line 16: total += Math.log(1 + sq);
            const sq_bar = 1 / (1 + sq);
            // line 15: for (let j = 0; j < D; j++) sq += buf[j] * buf[j];
            {
              let j = D - 1;
              for (; j - 1 >= 0; j -= 2) {
                const buf_j = saved[--savedTop];
                buf_bar[j] += sq_bar * (2 * buf_j);
                const j_3 = j - 1;
                const buf_j_1 = saved[--savedTop];
                buf_bar[j_3] += sq_bar * (2 * buf_j_1);
              }
              if (j >= 0) {
                const buf_j = saved[--savedTop];
                buf_bar[j] += sq_bar * (2 * buf_j);
              }
            }
            // line 11: for (let col = 0; col < D; col++) {
            for (let col = D - 2; col >= 0; col--) {
              // line 12: for (let row = col + 1; row < D; row++) buf[row] += w[row] * w[col] * (x[col] - c[k][col]);
              const c_k2 = c[k];
              const c_bar_k = c_bar[k];
              {
                let row = D - 1;
                for (; row - 1 >= col + 1; row -= 2) {
                  const _t2 = buf_bar[row];
                  w_bar[row] += _t2 * (w[col] * (x[col] - c_k2[col]));
                  w_bar[col] += _t2 * (w[row] * (x[col] - c_k2[col]));
                  c_bar_k[col] -= _t2 * (w[row] * w[col]);
                  const row_2 = row - 1;
                  const _t2_1 = buf_bar[row_2];
                  w_bar[row_2] += _t2_1 * (w[col] * (x[col] - c_k2[col]));
                  w_bar[col] += _t2_1 * (w[row_2] * (x[col] - c_k2[col]));
                  c_bar_k[col] -= _t2_1 * (w[row_2] * w[col]);
                }
                if (row >= col + 1) {
                  const _t2 = buf_bar[row];
                  w_bar[row] += _t2 * (w[col] * (x[col] - c_k2[col]));
                  w_bar[col] += _t2 * (w[row] * (x[col] - c_k2[col]));
                  c_bar_k[col] -= _t2 * (w[row] * w[col]);
                }
              }
            }
            // line 10: for (let j = 0; j < D; j++) buf[j] = Math.exp(w[j]) * (x[j] - c[k][j]);
            const c_bar_k = c_bar[k];
            for (let j = D - 1; j >= 0; j--) {
              const _t1 = saved[--savedTop];
              const _t0 = buf_bar[j];
              w_bar[j] += _t0 * (x[j] - c_k[j]) * _t1;
              c_bar_k[j] -= _t0 * _t1;
              buf_bar[j] = 0;
            }
          }
          valueStack.size = savedTop;
        }
        return total;
      }
      "
    `);
  });

  it("give gradients and HVPs (forward over the recording reverse sweep) that match the tape, finite differences and gradient differences", async () => {
    const v = { w: randomVector(D, next), c: randomMatrix(4, D, next) };
    await checkGradientAndHvp(await build(scratchBuffer), "scratch", scratchArgs(), ["w", "c"], v);
  });

  it("leave an array written no more often than it is read to restore-at-write", async () => {
    const { text } = await build(writeOnceReadMany);
    // The snapshot shows: y[i] saved before its overwrite (y[i] += 0.25 * …) and restored in place
    // by the reverse sweep, never read back into a local.
    expect(generatedFunction(text, "smoothGradInto")).toMatchInlineSnapshot(`
      "export function smoothGradInto(x: readonly number[], steps: number, grad: SmoothGradient): number {
        const x_bar = grad.x;
        // forward sweep
        const n = x.length;
        const y = new Array<number>(n).fill(0);
        for (let i = 0; i < n; i++) {
          y[i] = x[i];
        }
        {
          let savedTop = valueStack.size;
          const saved = valueStack.reserve(savedTop, Math.ceil(steps) * (n - 2));
          for (let s = 0; s < steps; s++) {
            {
              let i = 1;
              for (; i + 1 < n - 1; i += 2) {
                saved[savedTop++] = y[i];
                y[i] += 0.25 * Math.sin(y[i - 1] * y[i + 1]);
                const i_1 = i + 1;
                saved[savedTop++] = y[i_1];
                y[i_1] += 0.25 * Math.sin(y[i_1 - 1] * y[i_1 + 1]);
              }
              if (i < n - 1) {
                saved[savedTop++] = y[i];
                y[i] += 0.25 * Math.sin(y[i - 1] * y[i + 1]);
              }
            }
          }
          valueStack.size = savedTop;
        }
        let out = 0;
        const y_bar = new Array<number>(y.length).fill(0);
        // the last loop's forward and reverse sweeps, fused: its iterations only add into adjoints
        for (let i = 0; i < n; i++) {
          out += y[i] * y[i] * y[i];
          // its reverse, in the same iteration
          y_bar[i] += 3 * y[i] ** 2;
        }
        // reverse sweep
        // line 6: for (let s = 0; s < steps; s++) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let s = Math.ceil(steps) - 1; s >= 0; s--) {
            // line 7: for (let i = 1; i < n - 1; i++) y[i] = y[i] + 0.25 * Math.sin(y[i - 1] * y[i + 1]);
            for (let i = n - 2; i >= 1; i--) {
              y[i] = saved[--savedTop];
              const _t0 = y_bar[i];
              const _t1 = _t0 * 0.25 * Math.cos(y[i - 1] * y[i + 1]);
              y_bar[i - 1] += _t1 * y[i + 1];
              y_bar[i + 1] += _t1 * y[i - 1];
            }
          }
          valueStack.size = savedTop;
        }
        x_bar.fill(0);
        // line 5: for (let i = 0; i < n; i++) y[i] = x[i];
        for (let i = n - 1; i >= 0; i--) {
          x_bar[i] += y_bar[i];
        }
        return out;
      }
      "
    `);
  });
});

describe("the to-be-recorded analysis switched off", () => {
  const sources: { name: string; files: Record<string, string>; main: string; fn: string; args: () => unknown[] }[] = [
    { name: "scratch buffer", files: { "input.ts": scratchBuffer }, main: "input.ts", fn: "scratch", args: scratchArgs },
    { name: "write once, read many", files: { "input.ts": writeOnceReadMany }, main: "input.ts", fn: "smooth", args: () => [randomVector(7, next), 3] },
    ...["samples/gmm.ts", "samples/rk4.ts", "bench/gradbench/det.ts"].map((file) => {
      const name = path.basename(file);
      const fn = { "gmm.ts": "gmmObjective", "rk4.ts": "rk4", "det.ts": "det" }[name]!;
      const args = {
        "gmm.ts": () => [randomVector(3, next), randomMatrix(3, 2, next), randomMatrix(3, 3, next, 0.5), randomMatrix(6, 2, next), 1, 0],
        "rk4.ts": () => [[1.1, 0.8], [0.9, 0.4, 0.3, 0.7], 0.01, 50],
        "det.ts": () => [randomVector(16, next), 4],
      }[name]!;
      return { name: file, files: { [name]: readFileSync(path.join(REPO_ROOT, file), "utf8") }, main: name, fn, args };
    }),
  ];
  for (const c of sources) {
    it(`gives the same gradient to the last bit: ${c.name}`, async () => {
      const on = await buildProject(c.files, c.main, { toBeRecorded: true });
      const off = await buildProject(c.files, c.main, { toBeRecorded: false });
      expect(off.text).not.toBe(on.text); // the switch changes what is saved...
      const args = c.args();
      const a = (on.generated[`${c.fn}Grad`] as Grad)(...clone(args));
      const b = (off.generated[`${c.fn}Grad`] as Grad)(...clone(args));
      expect(b.value).toBe(a.value);
      expect(flatten(Object.values(b.grad) as never)).toEqual(flatten(Object.values(a.grad) as never)); // ...never the result
      expect(pendingStackEntries()).toBe(0);
    });
  }
});

/** exp and tanh whose results their own derivatives reuse, in a loop and at the top level. */
const costlyCalls = `/**
 * @grad x, a
 * @hvp x, a
 */
export function costly(x: readonly number[], a: number): number {
  const top = Math.exp(0.3 * a);
  let s = Math.tanh(a) * top;
  for (let i = 0; i < x.length; i++) {
    const e = Math.exp(x[i] * a);
    s += e / (1 + e) + x[i] * Math.tanh(x[i] - a);
  }
  return s;
}
`;

describe("costly call results", () => {
  it("are computed once: the reverse sweep pops or reads them instead of calling exp or tanh again", async () => {
    const { text } = await build(costlyCalls);
    const gradInto = /export function costlyGradInto[\s\S]*?\n\}\n/.exec(text)![0].replace(/^\s*\/\/.*$/gm, "");
    expect(gradInto.match(/Math\.(exp|tanh)\(/g)?.length).toBe(4); // as many as the primal
    // The loop is fused with its reverse, so its locals are still in scope: nothing is pushed.
    expect(gradInto).not.toMatch(/valueStack/);
  });

  it("give gradients and HVPs that match the tape, finite differences and gradient differences", async () => {
    await checkGradientAndHvp(await build(costlyCalls), "costly", [randomVector(6, next), 0.7], ["x", "a"], { x: randomVector(6, next), a: 0.4 });
  });

  it("and their recomputation (to-be-recorded analysis off) agree to the last bit", async () => {
    const on = await build(costlyCalls, { toBeRecorded: true });
    const off = await build(costlyCalls, { toBeRecorded: false });
    expect(off.text).toMatch(/\/\/ reverse sweep[\s\S]*Math\.exp/);
    const x = randomVector(6, next);
    const a = (on.generated["costlyGrad"] as Grad)(x, -0.3);
    const b = (off.generated["costlyGrad"] as Grad)(x, -0.3);
    expect(b.value).toBe(a.value);
    expect([...flatten(b.grad["x"]), b.grad["a"]]).toEqual([...flatten(a.grad["x"]), a.grad["a"]]);
  });
});

/** A rotation by θ per point, with cos θ and sin θ in locals, as camera models write it. */
const rotation = `/**
 * @grad p, t
 * @hvp p, t
 */
export function rotated(p: readonly number[], t: readonly number[]): number {
  let s = 0;
  for (let i = 0; i + 1 < p.length; i += 2) {
    const theta = t[i] * t[i + 1] + 0.1;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const x = cos * p[i] - sin * p[i + 1];
    const y = sin * p[i] + cos * p[i + 1];
    s += x * x * y + y;
  }
  return s;
}
`;

describe("locals that hold a call's value", () => {
  it("are read by the adjoints instead of calling sin and cos again", async () => {
    const { text } = await build(rotation);
    const gradInto = /export function rotatedGradInto[\s\S]*?\n\}\n/.exec(text)![0].replace(/^\s*\/\/.*$/gm, "");
    expect(gradInto.match(/Math\.(sin|cos)\(/g)?.length).toBe(2); // as many as the primal
  });

  it("give gradients and HVPs that match the tape, finite differences and gradient differences", async () => {
    const args = [randomVector(8, next), randomVector(8, next)];
    await checkGradientAndHvp(await build(rotation), "rotated", args, ["p", "t"], { p: randomVector(8, next), t: randomVector(8, next) });
  });
});

/** A quotient held in a local, as camera models divide by θ and by depth. */
const quotients = `/**
 * @grad r, t
 * @hvp r, t
 */
export function scaled(r: readonly number[], t: number): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const v = r[i] / t;
    s += Math.sin(v) * t + r[i] / (t + 1);
  }
  return s;
}
`;

describe("quotients", () => {
  it("divide once per adjoint (t = g/b; a gets t, b gets -t·(a/b)) and read a/b from the local holding it", async () => {
    const { text } = await build(quotients);
    // The snapshot shows: no t * t and no 1 / t; t's adjoint from r[i] / t is t_bar -= _t * v, v
    // the local holding the quotient; sin(v), t's partial in sin(v)·t, is computed once, in the
    // forward sweep, kept in a local (no stack).
    expect(generatedFunction(text, "scaledGradInto")).toMatchInlineSnapshot(`
      "export function scaledGradInto(r: readonly number[], t: number, grad: ScaledGradient): number {
        const r_bar = grad.r;
        let t_bar = 0;
        // forward sweep
        let s = 0;
        r_bar.fill(0);
        // the last loop's forward and reverse sweeps, fused: its iterations only add into adjoints
        for (let i = 0; i < r.length; i++) {
          const v = r[i] / t;
          const _t1 = Math.sin(v);
          s += _t1 * t + r[i] / (t + 1);
          // its reverse, in the same iteration
          const v_bar = t * Math.cos(v);
          // line 9: s += Math.sin(v) * t + r[i] / (t + 1);
          t_bar += _t1;
          const _t2 = t + 1;
          const _t3 = 1 / _t2;
          r_bar[i] += _t3;
          t_bar -= _t3 * (r[i] / _t2);
          // line 8: const v = r[i] / t;
          const _t0 = v_bar / t;
          r_bar[i] += _t0;
          t_bar -= _t0 * v;
        }
        grad.t = t_bar;
        return s;
      }
      "
    `);
  });

  it("give gradients and HVPs that match the tape, finite differences and gradient differences", async () => {
    await checkGradientAndHvp(await build(quotients), "scaled", [randomVector(5, next), 1.3], ["r", "t"], { r: randomVector(5, next), t: -0.6 });
  });

  it("read a/b from the declared local even when its numerator is overwritten later (det's elimination factor)", async () => {
    const built = await build(overwrittenNumerator);
    // The snapshot shows: the divisor's adjoint multiplies by f (buf_bar[0] -= _t * f): two
    // divisions by buf[0] (the forward one, and t = f_bar / buf[0]), not a third for buf[i] / buf[0].
    expect(generatedFunction(built.text, "ratiosGradInto")).toMatchInlineSnapshot(`
      "export function ratiosGradInto(x: readonly number[], grad: RatiosGradient): number {
        const x_bar = grad.x;
        // forward sweep
        const buf = new Array<number>(x.length).fill(0);
        for (let buf_i = 0; buf_i < x.length; buf_i++) {
          buf[buf_i] = x[buf_i];
        }
        let s = 0;
        {
          let savedTop = valueStack.size;
          let saved = valueStack.reserve(savedTop, 2);
          for (let i = 1; i < buf.length; i++) {
            if (savedTop + 2 > saved.length) {
              saved = valueStack.reserve(savedTop, 2);
            }
            const f = buf[i] / buf[0];
            saved[savedTop++] = buf[i];
            buf[i] = f * f;
            s += Math.sin(f) + buf[i];
            saved[savedTop++] = f;
          }
          valueStack.size = savedTop;
        }
        // reverse sweep
        const buf_bar = new Array<number>(buf.length).fill(0);
        // line 8: for (let i = 1; i < buf.length; i++) {
        {
          let savedTop = valueStack.size;
          const saved = valueStack.buffer;
          for (let i = buf.length - 1; i >= 1; i--) {
            const f = saved[--savedTop];
            let f_bar = Math.cos(f);
            // line 11: s += Math.sin(f) + buf[i];
            buf_bar[i] += 1;
            // line 10: buf[i] = f * f;
            buf[i] = saved[--savedTop];
            f_bar += buf_bar[i] * (2 * f);
            buf_bar[i] = 0;
            // line 9: const f = buf[i] / buf[0];
            const _t0 = f_bar / buf[0];
            buf_bar[i] += _t0;
            buf_bar[0] -= _t0 * f;
          }
          valueStack.size = savedTop;
        }
        // line 6: const buf = x.slice();
        for (let buf_i = x.length - 1; buf_i >= 0; buf_i--) {
          x_bar[buf_i] = buf_bar[buf_i];
        }
        return s;
      }
      "
    `);
    await checkGradientAndHvp(built, "ratios", [randomVector(5, next).map((v) => v + 2)], ["x"], { x: randomVector(5, next) });
  });
});

/** `f = buf[i] / buf[0]`, then buf[i] overwritten: f, not buf[i], survives to the reverse sweep. */
const overwrittenNumerator = `/**
 * @grad x
 * @hvp x
 */
export function ratios(x: readonly number[]): number {
  const buf = x.slice();
  let s = 0;
  for (let i = 1; i < buf.length; i++) {
    const f = buf[i] / buf[0];
    buf[i] = f * f;
    s += Math.sin(f) + buf[i];
  }
  return s;
}
`;

describe("costly calls inside a branch of ?:", () => {
  // The stable softplus: each branch's exp is computed once, under its branch's condition,
  // and read again by the reverse sweep and by the HVP's tangents (it used to be evaluated
  // again in the reverse sweep, and the HVP evaluated both branches' exps).
  const softplus = `/** @grad w @hvp w */
export function softplusLoss(w: readonly number[], a: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += a[i] * w[i];
  return s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
}
`;
  it("computes each branch's exp once, in the gradient and in the HVP, on both sides of the kink", async () => {
    const built = await build(softplus);
    for (const name of ["softplusLossGradInto", "softplusLossHvpInto"]) {
      const text = generatedFunction(built.text, name, false);
      expect(text.match(/Math\.exp\(-s\)/g)?.length, name).toBe(1);
      expect(text.match(/Math\.exp\(s\)/g)?.length, name).toBe(1);
    }
    const next = rng(77);
    for (const sign of [1, -1]) {
      const a = randomVector(5, next);
      const w = a.map((x) => sign * x); // aᵀw = ±‖a‖², on either side of 0
      await checkGradientAndHvp(built, "softplusLoss", [w, a], ["w"], { w: randomVector(5, next) });
    }
  });
});
