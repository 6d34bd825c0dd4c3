/**
 * Checks one generated program at one random point: the gradient against central
 * differences (two step sizes must agree first, otherwise the point is near a kink or a
 * jump and that comparison is skipped) and against the tape; the JVP against ⟨grad, v⟩;
 * the HVP against differences of the gradient and the tape's reverse-over-reverse HVP;
 * every value against the primal, bit for bit; the Into forms from buffers full of NaN.
 *
 * A problem has a `kind` (which comparison failed): the shrinker keeps a candidate only
 * if it fails the same way.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Built } from "../harness/build.ts";
import { differenceAlong, maxRelError } from "../harness/numeric.ts";
import { deepClone, flatten, mapShape } from "../harness/shapes.ts";
import { WRT } from "./programs.ts";
import { laneOf, nanLanes, toLanes } from "../harness/lanes.ts";

const tapeEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../runtime/tape/index.ts");

export interface Problem {
  kind: string;
  message: string;
}

export interface Outcome {
  problem?: Problem;
  /** The gradient was compared with finite differences (the point was smooth). */
  fdCompared: boolean;
}

/** What a checked function takes: its differentiated parameters (first, in order) and how to draw its arguments. */
export interface Frame {
  wrt: readonly string[];
  args: (next: () => number) => unknown[];
}

/** The generated programs' frame (programs.ts): f(x, w, y, p, idx) with respect to x, w, y, p. */
export const FUZZ_FRAME: Frame = { wrt: WRT, args: (next) => argumentsFor(next) };

/** The program's arguments: x (number[4]), w (Float64Array(4)), y, p = { a, v: number[4] }, idx (a permutation). */
/** The frame of the first generator's programs, f(x: number[], y: number), for regressions it found. */
export const LEGACY_FRAME: Frame = {
  wrt: ["x", "y"],
  args: (next) => [Array.from({ length: 4 }, () => 2 * next() - 1), 2 * next() - 1],
};

export function argumentsFor(next: () => number, n = 4): unknown[] {
  const r = () => 2 * next() - 1;
  const perm = Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(next() * (k + 1));
    [perm[k], perm[j]] = [perm[j]!, perm[k]!];
  }
  return [Array.from({ length: n }, r), Float64Array.from({ length: n }, r), r(), { a: r(), v: Array.from({ length: n }, r) }, Int32Array.from(perm)];
}

type Fn = (...args: unknown[]) => unknown;
type Grad = { value: number; grad: Record<string, unknown> };

/** args with the k-th differentiated number (flattened in wrt order) moved by h. */
function moved(wrt: readonly string[], args: readonly unknown[], k: number, h: number): unknown[] {
  let at = 0;
  return args.map((a, i) => (i < wrt.length ? mapShape(deepClone(a), (v) => (at++ === k ? v + h : v)) : deepClone(a)));
}

/** args moved by t along the direction record v. */
function along(wrt: readonly string[], args: readonly unknown[], v: Record<string, unknown>, t: number): unknown[] {
  return args.map((a, i) => {
    if (i >= wrt.length) return deepClone(a);
    const d = flatten(v[wrt[i]!]);
    let at = 0;
    return mapShape(deepClone(a), (x) => x + t * d[at++]!);
  });
}

const problem = (kind: string, message: string, fdCompared: boolean): Outcome => ({ problem: { kind, message }, fdCompared });
const show = (xs: readonly number[]) => JSON.stringify(xs.map((x) => Number(x.toPrecision(6))));

/** Checks the generated derivatives of the function `name` of `built` at a point drawn from `next`. */
export async function checkProgram(name: string, built: Built, next: () => number, useTape = true, frame: Frame = FUZZ_FRAME): Promise<Outcome> {
  const { wrt } = frame;
  const flat = (record: Record<string, unknown>) => wrt.flatMap((p) => flatten(record[p]));
  const f = built.source[name] as Fn;
  const gen = (suffix: string) => built.generated[`${name}${suffix}`] as Fn;
  const args = frame.args(next);
  const value = f(...deepClone(args)) as number;
  if (!Number.isFinite(value)) return { fdCompared: false };
  const g = gen("Grad")(...deepClone(args)) as Grad;
  if (!Object.is(g.value, value)) return problem("value", `value ${g.value} differs from the primal ${value}`, false);
  const got = flat(g.grad);
  const zeros = () => Object.fromEntries(wrt.map((p, k) => [p, mapShape(deepClone(args[k]), () => NaN)]));
  const into = zeros();
  gen("GradInto")(...deepClone(args), into);
  if (!flat(into).every((x, k) => Object.is(x, got[k]))) return problem("gradInto", `GradInto into NaN buffers gave ${show(flat(into))}, Grad ${show(got)}`, false);

  const at = (k: number, h: number) => f(...moved(wrt, args, k, h)) as number;
  const fd = (h: number) => got.map((_, k) => (at(k, h) - at(k, -h)) / (2 * h));
  const [coarse, fine] = [fd(1e-5), fd(1e-6)];
  let fdCompared = false;
  // Math.fround moves in float32 steps: its derivative is taken as 1 (README), which no
  // difference quotient sees; such programs are judged by the tape and the other identities.
  const stepped = readFileSync(built.sourcePath, "utf8").includes("Math.fround(");
  if (!stepped && maxRelError(coarse, fine) < 1e-5) {
    fdCompared = true;
    const err = maxRelError(got, fine);
    if (!(err < 1e-5)) return problem("gradient-fd", `gradient ${show(got)} vs differences ${show(fine)} (rel ${err})`, fdCompared);
  }

  // JVP against ⟨grad, v⟩ (the dot-product identity for a scalar function).
  const vArgs = frame.args(next);
  const v = Object.fromEntries(wrt.map((p, k) => [p, vArgs[k]]));
  const dir = flat(v);
  const j = gen("Jvp")(...deepClone(args), v) as { value: number; tangent: number };
  if (!Object.is(j.value, value)) return problem("jvpValue", `jvp value ${j.value} differs from the primal ${value}`, fdCompared);
  const dot = got.reduce((s, gk, k) => s + gk * dir[k]!, 0);
  if (!(Math.abs(j.tangent - dot) <= 1e-11 * Math.max(1, Math.abs(dot)))) return problem("jvp", `jvp ${j.tangent} vs ⟨grad, v⟩ ${dot}`, fdCompared);

  // HVP: its gradient, its Into form, differences of the gradient along v.
  const hv = gen("Hvp")(...deepClone(args), v) as { grad: Record<string, unknown>; hvp: Record<string, unknown> };
  // The HVP's reverse sweep may be generated differently (it is differentiated again): the same numbers up to rounding.
  const gerr = maxRelError(flat(hv.grad), got);
  if (!(gerr < 1e-13)) return problem("hvpGrad", `the HVP's gradient ${show(flat(hv.grad))} differs from the gradient ${show(got)} (rel ${gerr})`, fdCompared);
  const [hg, hh] = [zeros(), zeros()];
  gen("HvpInto")(...deepClone(args), v, hg, hh);
  const sameBits = (a: number[], b: number[]) => a.length === b.length && a.every((x, k) => Object.is(x, b[k]));
  if (!sameBits(flat(hg), flat(hv.grad)) || !sameBits(flat(hh), flat(hv.hvp))) {
    return problem("hvpInto", `HvpInto into NaN buffers gave ${show(flat(hg))} and ${show(flat(hh))}, Hvp ${show(flat(hv.grad))} and ${show(flat(hv.hvp))}`, fdCompared);
  }
  const gradAlong = (t: number) => flat((gen("Grad")(...along(wrt, args, v, t)) as Grad).grad);
  const [hvCoarse, hvFine] = [differenceAlong(gradAlong, 1e-4), differenceAlong(gradAlong, 1e-5)];
  if (fdCompared && maxRelError(hvCoarse, hvFine) < 1e-4) {
    const err = maxRelError(flat(hv.hvp), hvFine);
    if (!(err < 1e-4)) return problem("hvp-fd", `hvp ${show(flat(hv.hvp))} vs differences ${show(hvFine)} (rel ${err})`, fdCompared);
  }

  if (useTape && existsSync(tapeEntry)) {
    type Tape = {
      grad: (n: string, a: unknown[], w: string[]) => Grad;
      hvp: (n: string, a: unknown[], v: unknown, w: string[]) => { hvp: Record<string, unknown> };
    };
    const { loadTapeModule } = (await import(tapeEntry)) as { loadTapeModule: (file: string) => Tape };
    const tape = loadTapeModule(built.sourcePath);
    const tapeGrad = flat(tape.grad(name, deepClone(args), [...wrt]).grad);
    // Judged as the samples are: an entry that cancels to near zero is compared against the
    // gradient's scale (1e-3 of its largest entry), not its own size.
    const err = maxRelError(got, tapeGrad, Math.max(1e-8, 1e-3 * Math.max(...tapeGrad.map(Math.abs))));
    if (!(err < 1e-12)) return problem("gradient-tape", `gradient ${show(got)} vs tape ${show(tapeGrad)} (rel ${err})`, fdCompared);
    const tapeHvp = flat(tape.hvp(name, deepClone(args), v, [...wrt]).hvp);
    // Judged as the gradient: an entry that cancels to near zero against the vector's scale
    // (seed 20261129 --heavy-loop-first, program 0: -1.1e-16 where the tape has 0, beside entries of 2).
    const herr = maxRelError(flat(hv.hvp), tapeHvp, Math.max(1e-6, 1e-3 * Math.max(...tapeHvp.map(Math.abs))));
    if (!(herr < 1e-10)) return problem("hvp-tape", `hvp ${show(flat(hv.hvp))} vs tape ${show(tapeHvp)} (rel ${herr})`, fdCompared);
  }
  const hessian = built.generated[`${name}Hessian`] as Fn | undefined;
  if (hessian) {
    const problemOf = (await checkHessian(name, built, args, hv.hvp, dir, flat, useTape, wrt)) ?? checkLanes(name, built, args, v, flat, wrt);
    if (problemOf) return problem("hessian", problemOf, fdCompared);
  }
  if (built.generated[`${name}RowsJacobian`]) {
    const problemOf = await checkRows(`${name}Rows`, built, args, dir, useTape, wrt);
    if (problemOf) return problem("rows", problemOf, fdCompared);
  }
  return { fdCompared };
}

type TapeOf = {
  hessian: (n: string, a: unknown[], w: string[]) => number[][];
  jacobian: (n: string, a: unknown[], w: string[]) => number[][];
  vjp: (n: string, a: unknown[], c: unknown, w: string[]) => { grad: Record<string, unknown> };
};

async function tapeOf(built: Built): Promise<TapeOf> {
  const { loadTapeModule } = (await import(tapeEntry)) as { loadTapeModule: (file: string) => TapeOf };
  return loadTapeModule(built.sourcePath);
}

/** The Hessian: exactly symmetric, its product with v the HVP's, and the tape's. */
async function checkHessian(name: string, built: Built, args: unknown[], hvp: Record<string, unknown>, dir: number[], flat: (r: Record<string, unknown>) => number[], useTape: boolean, wrt: readonly string[]): Promise<string | undefined> {
  const { hessian } = (built.generated[`${name}Hessian`] as Fn)(...deepClone(args)) as { hessian: number[][] };
  for (let i = 0; i < hessian.length; i++) for (let j = 0; j < i; j++) if (!Object.is(hessian[i]![j], hessian[j]![i])) return `Hessian not symmetric at (${i}, ${j})`;
  const product = hessian.map((row) => row.reduce((s, h, k) => s + h * dir[k]!, 0));
  const scale = (xs: number[]) => Math.max(1e-6, 1e-3 * Math.max(...xs.map(Math.abs)));
  const perr = maxRelError(product, flat(hvp), scale(flat(hvp)));
  if (!(perr < 1e-10)) return `H·v ${show(product)} vs the HVP ${show(flat(hvp))} (rel ${perr})`;
  if (!useTape || !existsSync(tapeEntry)) return undefined;
  const tape = (await tapeOf(built)).hessian(name, deepClone(args), [...wrt]).flat();
  const err = maxRelError(hessian.flat(), tape, scale(tape));
  return err < 1e-10 ? undefined : `Hessian vs tape (rel ${err})`;
}

/**
 * The vector sweep @hessian generates (compiler/modes/lanes.ts): present, each of its three
 * lanes the one-direction HVP bit for bit (into NaN buffers), and the Hessian the same at
 * width 1 and at the default width.
 */
function checkLanes(name: string, built: Built, args: unknown[], v: Record<string, unknown>, flat: (r: Record<string, unknown>) => number[], wrt: readonly string[]): string | undefined {
  const lanesInto = built.generated[`${name}HvpLanesInto`] as Fn | undefined;
  if (!lanesInto) return `no vector sweep: ${/no vector sweep here \(([^)]*)\)/.exec(built.text)?.[1] ?? "not generated"}`;
  const nan = () => Object.fromEntries(wrt.map((p, k) => [p, mapShape(deepClone(args[k]), () => NaN)]));
  const directions = [v, mapShape(v, (x) => 0.5 - x), mapShape(v, (x) => x * x - 0.25)];
  const [grad, hvp] = [nan(), nanLanes(nan(), directions.length)];
  const value = lanesInto(...deepClone(args), toLanes(directions), grad, hvp, directions.length);
  for (let d = 0; d < directions.length; d++) {
    const [g1, h1] = [nan(), nan()];
    const value1 = (built.generated[`${name}HvpInto`] as Fn)(...deepClone(args), directions[d], g1, h1);
    const lane = laneOf(hvp, h1, directions.length, d) as Record<string, unknown>;
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, k) => Object.is(x, b[k]));
    if (!Object.is(value, value1) || !same(flat(grad), flat(g1)) || !same(flat(lane), flat(h1))) {
      return `lane ${d} of the vector sweep (value ${value}, H·v ${show(flat(lane))}) differs from the one-direction HVP (value ${value1}, H·v ${show(flat(h1))})`;
    }
  }
  const hessian = built.generated[`${name}Hessian`] as Fn;
  const [one, wide] = [1, undefined].map((width) => ((hessian(...deepClone(args), width) as { hessian: number[][] }).hessian.flat()));
  if (!one!.every((x, k) => Object.is(x, wide![k]))) return `the Hessian at width 1 differs from the one at the default width`;
  return undefined;
}

/** The array twin: its Jacobian against the tape's, its JVP against J·v, its VJP against cᵀJ. */
async function checkRows(rows: string, built: Built, args: unknown[], dir: number[], useTape: boolean, wrt: readonly string[]): Promise<string | undefined> {
  const value = (built.source[rows] as Fn)(...deepClone(args)) as number[];
  if (!value.every(Number.isFinite)) return undefined;
  const { value: jv, jacobian } = (built.generated[`${rows}Jacobian`] as Fn)(...deepClone(args)) as { value: number[]; jacobian: number[][] };
  if (!jv.every((v, k) => Object.is(v, value[k]))) return `Jacobian's value ${show(jv)} differs from the primal ${show(value)}`;
  const cotangent = value.map((_, k) => 0.5 - 0.3 * k);
  const vjp = (built.generated[`${rows}Vjp`] as Fn)(...deepClone(args), cotangent) as { grad: Record<string, unknown> };
  const got = wrt.flatMap((p) => flatten(vjp.grad[p]));
  const expected = dir.map((_, k) => jacobian.reduce((s, row, r) => s + cotangent[r]! * row[k]!, 0));
  const scale = (xs: number[]) => Math.max(1e-8, 1e-3 * Math.max(...xs.map(Math.abs)));
  const verr = maxRelError(got, expected, scale(expected));
  if (!(verr < 1e-12)) return `rows' VJP ${show(got)} vs cᵀJ ${show(expected)} (rel ${verr})`;
  if (!useTape || !existsSync(tapeEntry)) return undefined;
  const tape = (await tapeOf(built)).jacobian(rows, deepClone(args), [...wrt]).flat();
  const jerr = maxRelError(jacobian.flat(), tape, scale(tape));
  return jerr < 1e-12 ? undefined : `Jacobian vs tape (rel ${jerr})`;
}
