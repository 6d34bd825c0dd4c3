/**
 * Checks one generated program: gradient against central differences (two steps must agree
 * first, otherwise the point is near a kink and the comparison is skipped) and against the
 * tape runtime; JVP against ⟨grad, v⟩; HVP against differences of the gradient and the
 * tape's reverse-over-reverse HVP; every value against the primal, bit for bit.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Built } from "../harness/build.ts";
import { differenceAlong, maxRelError } from "../harness/numeric.ts";
import type { Program } from "./programs.ts";

const tapeEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../runtime/tape/index.ts");

export async function checkProgram(program: Program, built: Built, next: () => number, useTape = true): Promise<{ problem?: string; fdCompared: boolean }> {
  const f = built.source[program.name] as (x: number[], y: number) => number;
  const grad = built.generated[`${program.name}Grad`] as (x: number[], y: number) => { value: number; grad: { x: number[]; y: number } };
  const x = Array.from({ length: 4 }, () => 2 * next() - 1);
  const y = 2 * next() - 1;
  const value = f(x, y);
  if (!Number.isFinite(value)) return { fdCompared: false };
  const g = grad(x, y);
  if (!Object.is(g.value, value)) return { problem: `value ${g.value} differs from the primal ${value}`, fdCompared: false };
  const got = [...g.grad.x, g.grad.y];
  // The Into forms overwrite their buffers: from NaN they must give the same numbers, bit for bit.
  const gradInto = built.generated[`${program.name}GradInto`] as (x: number[], y: number, g: { x: number[]; y: number }) => number;
  const filled = { x: x.map(() => NaN), y: NaN };
  gradInto(x, y, filled);
  if (![...filled.x, filled.y].every((gk, k) => Object.is(gk, got[k]))) return { problem: `GradInto into NaN buffers gave ${JSON.stringify(filled)}, Grad ${JSON.stringify(got)}`, fdCompared: false };
  const at = (k: number, h: number) => {
    const xs = x.slice();
    let yy = y;
    if (k < 4) xs[k]! += h;
    else yy += h;
    return f(xs, yy);
  };
  const fd = (h: number) => got.map((_, k) => (at(k, h) - at(k, -h)) / (2 * h));
  const coarse = fd(1e-5);
  const fine = fd(1e-6);
  let fdCompared = false;
  if (maxRelError(coarse, fine) < 1e-5) {
    fdCompared = true;
    const err = maxRelError(got, fine);
    if (!(err < 1e-5)) return { problem: `at x = ${JSON.stringify(x)}, y = ${y}: gradient ${JSON.stringify(got)} vs differences ${JSON.stringify(fine)} (rel ${err})`, fdCompared };
  }
  // JVP against the gradient (the dot-product identity for a scalar function), HVP against
  // differences of the gradient along v (only where the gradient is smooth there).
  const v = { x: Array.from({ length: 4 }, () => 2 * next() - 1), y: 2 * next() - 1 };
  const jvp = built.generated[`${program.name}Jvp`] as (x: number[], y: number, t: { x: number[]; y: number }) => { value: number; tangent: number };
  const j = jvp(x, y, v);
  if (!Object.is(j.value, value)) return { problem: `jvp value ${j.value} differs from the primal ${value}`, fdCompared };
  const dot = got.reduce((s, gk, k) => s + gk * (k < 4 ? v.x[k]! : v.y), 0);
  if (!(Math.abs(j.tangent - dot) <= 1e-11 * Math.max(1, Math.abs(dot)))) return { problem: `jvp ${j.tangent} vs ⟨grad, v⟩ ${dot}`, fdCompared };
  const hvpFn = built.generated[`${program.name}Hvp`] as (x: number[], y: number, v: { x: number[]; y: number }) => { grad: { x: number[]; y: number }; hvp: { x: number[]; y: number } };
  const hv = hvpFn(x, y, v);
  const hvpInto = built.generated[`${program.name}HvpInto`] as (x: number[], y: number, v: { x: number[]; y: number }, g: { x: number[]; y: number }, h: { x: number[]; y: number }) => number;
  const [hg, hh] = [{ x: x.map(() => NaN), y: NaN }, { x: x.map(() => NaN), y: NaN }];
  hvpInto(x, y, v, hg, hh);
  const same = (a: { x: number[]; y: number }, b: { x: number[]; y: number }) => [...a.x, a.y].every((ak, k) => Object.is(ak, k < 4 ? b.x[k] : b.y));
  if (!same(hg, hv.grad) || !same(hh, hv.hvp)) return { problem: `HvpInto into NaN buffers gave ${JSON.stringify({ hg, hh })}, Hvp ${JSON.stringify(hv)}`, fdCompared };
  const gradAlong = (h: number) => {
    const r = grad(x.map((xi, k) => xi + h * v.x[k]!), y + h * v.y).grad;
    return [...r.x, r.y];
  };
  const hvFd = (h: number) => differenceAlong(gradAlong, h);
  const hvCoarse = hvFd(1e-4);
  const hvFine = hvFd(1e-5);
  if (fdCompared && maxRelError(hvCoarse, hvFine) < 1e-4) {
    const err = maxRelError([...hv.hvp.x, hv.hvp.y], hvFine);
    if (!(err < 1e-4)) return { problem: `hvp ${JSON.stringify([...hv.hvp.x, hv.hvp.y])} vs differences ${JSON.stringify(hvFine)} (rel ${err})`, fdCompared };
  }
  if (useTape && existsSync(tapeEntry)) {
    const tape = (await import(tapeEntry)) as { loadTapeModule: (file: string) => { grad: (n: string, a: unknown[], w?: string[]) => { grad: { x: number[]; y: number } } } };
    const t = tape.loadTapeModule(built.sourcePath).grad(program.name, [x, y], ["x", "y"]);
    // Judged as the samples are: an entry that cancels to near zero is compared against the
    // gradient's scale (1e-3 of its largest entry), not its own size (seed 12, program 19:
    // 6.6e-5 from terms of 0.3, off by 1.1e-16).
    const tapeGrad = [...t.grad.x, t.grad.y];
    const err = maxRelError(got, tapeGrad, Math.max(1e-8, 1e-3 * Math.max(...tapeGrad.map(Math.abs))));
    if (!(err < 1e-12)) return { problem: `gradient ${JSON.stringify(got)} vs tape ${JSON.stringify([...t.grad.x, t.grad.y])} (rel ${err})`, fdCompared };
    const th = (tape.loadTapeModule(built.sourcePath) as unknown as { hvp: (n: string, a: unknown[], v: unknown, w?: string[]) => { hvp: { x: number[]; y: number } } }).hvp(program.name, [x, y], v, ["x", "y"]);
    const herr = maxRelError([...hv.hvp.x, hv.hvp.y], [...th.hvp.x, th.hvp.y], 1e-6);
    if (!(herr < 1e-10)) return { problem: `hvp ${JSON.stringify([...hv.hvp.x, hv.hvp.y])} vs tape ${JSON.stringify([...th.hvp.x, th.hvp.y])} (rel ${herr})`, fdCompared };
  }
  return { fdCompared };
}
