/**
 * Differential fuzzing (bounded run, fixed seeds): random programs in the differentiable
 * subset are compiled; each generated gradient is compared with central finite differences
 * (when two step sizes agree, i.e. away from kinks) and with the tape runtime, and each HVP
 * with differences of the gradient. A longer run: `npx tsx test/fuzz/run.ts <count> <seed>`.
 */
import { describe, expect, it } from "vitest";
import { build } from "../harness/build.ts";
import { rng } from "../harness/numeric.ts";
import { checkProgram } from "./check.ts";
import { generateProgram } from "./programs.ts";

describe("differential fuzzing", () => {
  it("40 random programs: gradients agree with finite differences and the tape", async () => {
    const next = rng(20261128);
    let compared = 0;
    for (let id = 0; id < 40; id++) {
      const program = generateProgram(next, id);
      const built = await build(program.source);
      const outcome = await checkProgram(program, built, next);
      if (outcome.problem) throw new Error(`program ${id}: ${outcome.problem}\n${program.source}`);
      compared += outcome.fdCompared ? 1 : 0;
    }
    // Most programs are smooth at the random point; if almost none were, the check would be vacuous.
    expect(compared).toBeGreaterThan(25);
  }, 120_000);
});
