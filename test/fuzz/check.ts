/**
 * Checks one generated program: gradient against central differences (two steps must agree
 * first, otherwise the point is near a kink and the comparison is skipped) and against the
 * tape runtime when it exists; the value against the primal, bit for bit.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Built } from "../harness/build.ts";
import { maxRelError } from "../harness/numeric.ts";
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
    if (!(err < 1e-5)) return { problem: `gradient ${JSON.stringify(got)} vs differences ${JSON.stringify(fine)} (rel ${err})`, fdCompared };
  }
  if (useTape && existsSync(tapeEntry)) {
    const tape = (await import(tapeEntry)) as { loadTapeModule: (file: string) => { grad: (n: string, a: unknown[], w?: string[]) => { grad: { x: number[]; y: number } } } };
    const t = tape.loadTapeModule(built.sourcePath).grad(program.name, [x, y], ["x", "y"]);
    const err = maxRelError(got, [...t.grad.x, t.grad.y], 1e-8);
    if (!(err < 1e-12)) return { problem: `gradient ${JSON.stringify(got)} vs tape ${JSON.stringify([...t.grad.x, t.grad.y])} (rel ${err})`, fdCompared };
  }
  return { fdCompared };
}
