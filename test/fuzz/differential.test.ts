/**
 * Differential fuzzing, the bounded run of `npm test` (fixed seeds): random programs of the
 * language tsgrad accepts (programs.ts, forms.ts) are compiled; each generated gradient is
 * compared with central finite differences (when two step sizes agree, i.e. away from kinks)
 * and with the tape runtime, the JVP with ⟨grad, v⟩, and each HVP with differences of the
 * gradient and the tape's; a quarter of the programs also go through their Hessian and the
 * Jacobian, JVP and VJP of an array-valued twin. The corpus must reach every primitive of the rule table and
 * every loop form. A failure names the program; `npx tsx test/fuzz/run.ts --only <id>
 * <seed>` regenerates it and prints a minimal program that fails the same way.
 *
 * Longer runs: `npx tsx test/fuzz/run.ts <count> <seed> [--heavy-loop-first] [--coverage] [--checkpointed]`.
 */
import { describe, expect, it } from "vitest";
import { PRIMITIVES } from "../../compiler/ir/primitives.ts";
import { build } from "../harness/build.ts";
import { rng } from "../harness/numeric.ts";
import { checkProgram, LEGACY_FRAME } from "./check.ts";
import { generateIdiomProgram } from "./idioms.ts";
import { Coverage } from "./coverage.ts";
import { generateProgram, pointRng, printProgram } from "./programs.ts";
import { checkCheckpointed } from "./checkpointed.ts";

/** Checks programs 0 … count-1 of `seed`; returns how many were compared with differences, fused their nest, and the coverage. */
async function fuzz(seed: number, count: number, heavyLoopFirst: boolean) {
  const coverage = new Coverage();
  let compared = 0;
  let nestFused = 0;
  let rows = 0;
  for (let id = 0; id < count; id++) {
    const program = generateProgram(seed, id, { heavyLoopFirst });
    const source = printProgram(program);
    const built = await build(source, { observe: coverage.observer() });
    coverage.addProgram(program);
    const outcome = await checkProgram(program.name, built, pointRng(seed, id));
    if (outcome.problem) {
      const rerun = `npx tsx test/fuzz/run.ts 1 ${seed} --only ${id}${heavyLoopFirst ? " --heavy-loop-first" : ""}`;
      throw new Error(`program ${id} of seed ${seed}: ${outcome.problem.kind}: ${outcome.problem.message}\n(shrink it with: ${rerun})\n${source}`);
    }
    compared += outcome.fdCompared ? 1 : 0;
    rows += program.rows ? 1 : 0;
    // (The fused loop may sit in a block that keeps the stacks' tops in locals: cursors.ts.)
    if (/fused: its iterations only add into adjoints\s*(?:\{[^{}]*?)?for \(let i0 /.test(built.text)) nestFused++;
  }
  return { compared, nestFused, rows, coverage };
}

describe("the generator", () => {
  it("prints a program the same every time (every choice is made while generating, so the shrinker's candidates print what they are)", () => {
    for (let id = 0; id < 200; id++) {
      const program = generateProgram(7, id, { heavyLoopFirst: id % 2 === 1 });
      expect(printProgram(program)).toBe(printProgram(program));
    }
  });
});

describe("differential fuzzing", () => {
  it("30 random programs written with idioms (callbacks, closures, destructuring, switch, labels, spread: idioms.ts)", async () => {
    const next = rng(20261130);
    let compared = 0;
    for (let id = 0; id < 30; id++) {
      const program = generateIdiomProgram(next, id);
      const built = await build(program.source);
      const outcome = await checkProgram(program.name, built, next, true, LEGACY_FRAME);
      if (outcome.problem) throw new Error(`idiom program ${id}: ${outcome.problem.kind}: ${outcome.problem.message}\n${program.source}`);
      compared += outcome.fdCompared ? 1 : 0;
    }
    expect(compared).toBeGreaterThan(20);
  }, 120_000);

  it("30 random programs: gradients, JVPs, HVPs, Hessians and Jacobians agree with finite differences and the tape; the corpus reaches every rule and loop form", async () => {
    const { compared, rows, coverage } = await fuzz(20261128, 30, false);
    // Most programs are smooth at the random point; if almost none were, the check would be vacuous.
    expect(compared).toBeGreaterThan(25);
    // Some went through the Hessian and an array twin's Jacobian, JVP and VJP.
    expect(rows).toBeGreaterThan(3);
    const reached = coverage.reached();
    expect(Object.keys(PRIMITIVES).filter((r) => !reached.rules.has(r)), "rules never applied").toEqual([]);
    expect(["for", "while", "doWhile"].filter((f) => !reached.loops.has(f)), "loop forms never lowered").toEqual([]);
  }, 300_000);

  it("12 random time-stepping programs, checkpointed (directives and the automatic policy): the same bits as store-all in every mode, and the checks above", async () => {
    // checkpointed.ts: loop-carried arrays, inner loops, branches, early exits, while loops, nested checkpointed loops, checkpointed loops inside loops that are not.
    const seed = 20261207;
    const seen = { schedules: 0, online: 0, nested: 0, replayed: 0, arrayState: 0 };
    for (let id = 0; id < 12; id++) {
      const outcome = await checkCheckpointed(seed, id);
      if (outcome.problem) throw new Error(`checkpointed program ${id} of seed ${seed}: ${outcome.problem.kind}: ${outcome.problem.message}\n(rerun: npx tsx test/fuzz/run.ts 1 ${seed} --checkpointed --only ${id})\n${outcome.source}`);
      seen.schedules += outcome.schedules > 0 ? 1 : 0;
      seen.online += outcome.online ? 1 : 0;
      seen.nested += outcome.nested ? 1 : 0;
      seen.replayed += outcome.replayed ? 1 : 0;
      seen.arrayState += outcome.arrayState ? 1 : 0;
    }
    // What the mode must reach, or it tests store-all against itself (counts of this seed: see the notes of issue 21).
    expect(seen.schedules).toBeGreaterThanOrEqual(10);
    expect(seen.arrayState).toBeGreaterThanOrEqual(9);
    expect(seen.online).toBeGreaterThanOrEqual(2);
    expect(seen.nested).toBeGreaterThanOrEqual(2);
    expect(seen.replayed).toBeGreaterThanOrEqual(2);
  }, 300_000);

  it("20 random programs whose loop nest is followed by independent work (lastLoop.ts moves the nest last)", async () => {
    const { compared, nestFused } = await fuzz(20261129, 20, true);
    expect(compared).toBeGreaterThan(13);
    // Some nests were moved last and fused, or this would only test the original order
    // (about 28% of such programs: 17 of 60 of seed 99).
    expect(nestFused).toBeGreaterThan(1);
  }, 300_000);
});


/**
 * Program 107 of `run.ts 200 9090`: its HVP pushed a recorded read's tangent that the pop
 * did not take back (the pop's target was not useful, the pushed array was), so the tangent
 * stack fell out of step and the HVP had NaN entries. Kept as found.
 */
const popPairing = `function helper(u: number): number {
  if (u > 0.5) return Math.sin(u) * u;
  return 0.5 * u * u - u;
}

/** @noinline */
function shared(u: number, v: readonly number[]): number {
  let t = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] > u) continue;
    t = 0.8 * t + Math.tanh(v[i] * u);
  }
  return t;
}

/**
 * @grad x, y
 * @jvp x, y
 * @hvp x, y
 */
export function f107(x: number[], y: number): number {
  let s0 = x[0] * y;
  let s1 = Math.sin(x[1]);
  let s2 = 0.1;
  const buf = new Array(x.length).fill(0);
  const acc: number[] = [y];
  s0 -= 0.2 * Math.sin(Math.hypot(Math.tanh(s1), x[0], 0.5));
  for (let i0 = 0; i0 < x.length; i0++) {
  if (((-0.64 * x[i0]) + s1) >= 0.10) {
  s1 -= 0.2 * Math.sin((0.5 * Math.sqrt(1.5 + Math.sin(-0.43))) ** 2);
  s2 += 0.3 * Math.cos(Math.tanh(Math.atan(y)));
  } else {
  if (((s0 / (1.5 + Math.sin(s0) * Math.cos(y))) - (y / (1.5 + Math.sin(s1) * Math.cos(x[i0])))) <= 0.30) {
  s2 = 0.7 * s2 + Math.sin((Math.hypot(Math.cos(s0), (0.5 * x[1]) ** 2, 0.5) + s0));
  s1 -= 0.2 * Math.cos(((-0.64 * acc[acc.length - 1]) > (acc[acc.length - 1] + buf[i0]) ? x[1] : (-0.49 + s0)));
  } else {
  s2 = 0.7 * s2 + Math.sin(Math.sqrt(1.5 + Math.sin(((0.20 - buf[i0]) + (s1 * x[0])))));
  }
  }
  s2 -= 0.2 * Math.tanh(s2);
  }
  s1 = 0.7 * s1 + Math.cos(Math.atan(Math.sqrt(1.5 + Math.sin(x[2]))));
  s1 = 0.7 * s1 + Math.sin((Math.tanh(shared(y, buf)) + (0.5 * s0) ** 2));
  for (let i0 = 0; i0 < x.length; i0++) {
  if (shared(Math.atan(x[i0]), x) > 0.78) continue;
  {
  const t863944 = Math.hypot(Math.atan(s2), x[0], 0.5);
  s1 -= 0.2 * Math.tanh(x[0]);
  }
  let k697487 = 0;
  while (k697487 < 3) {
  acc.push(Math.tanh(Math.hypot((s0 + acc[acc.length - 1]), (s0 / (1.5 + Math.sin(x[i0]) * Math.cos(acc[acc.length - 1]))), 0.5)));
  k697487++;
  }
  }
  for (let i0 = 0; i0 < x.length; i0++) {
  let k922344 = 0;
  while (k922344 < 3) {
  buf[i0] += Math.cos(Math.atan((x[1] / (1.5 + Math.sin(x[0]) * Math.cos(acc[acc.length - 1])))));
  k922344++;
  }
  s1 -= 0.2 * Math.sin(x[i0]);
  if (Math.max(0.90, Math.log(2 + Math.sin(-0.70))) >= 0.21) break;
  }
  return s0 + s1 * s2 + buf[0] + buf[x.length - 1] + acc[acc.length - 1] * 0.3;
}
`;

describe("fuzz regressions", () => {
  it("atan2's arguments stay away from the origin, where its partials are NaN by convention (checkpointed program 24, seed 2026)", async () => {
    // It was Math.atan2(shared(…), t1) at shared(…) = t1 = 0: the JVP was NaN where the
    // gradient's path never multiplied by the partials (forms.ts, jumpsAtOrigin).
    const outcome = await checkCheckpointed(2026, 24);
    expect(outcome.problem?.message).toBeUndefined();
    expect(outcome.source).toMatch(/Math\.atan2\(\(/);
  }, 120_000);

  it("a pop and its push agree on carrying a tangent (HVP of program 107, seed 9090)", async () => {
    const built = await build(popPairing);
    const next = rng(9090);
    for (let k = 0; k < 5; k++) {
      const outcome = await checkProgram("f107", built, next, true, LEGACY_FRAME);
      expect(outcome.problem).toBeUndefined();
    }
  }, 60_000);
});
