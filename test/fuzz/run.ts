/**
 * The longer differential-fuzzing run (not part of the test suite):
 *   npx tsx test/fuzz/run.ts [count=500] [seed=1] [--no-tape] [--heavy-loop-first] [--idioms]
 * Prints each failing program's source and exits 1 if any failed, or if a generated file
 * fails `tsc --strict --noUnusedLocals --noUnusedParameters`.
 */
import { build } from "../harness/build.ts";
import { rng } from "../harness/numeric.ts";
import { takeRecorded, typecheckGenerated } from "../harness/typecheck.ts";
import { checkProgram } from "./check.ts";
import { generateProgram } from "./programs.ts";
import { generateIdiomProgram } from "./idioms.ts";

const [countArg, seedArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const count = Number(countArg ?? 500);
const next = rng(Number(seedArg ?? 1));
const useTape = !process.argv.includes("--no-tape");
/** Programs shaped for lastLoop.ts (programs.ts). */
const heavyLoopFirst = process.argv.includes("--heavy-loop-first");
/** Programs written with idioms the front end lowers (idioms.ts). */
const idioms = process.argv.includes("--idioms");
let failed = 0;
let compared = 0;
for (let id = 0; id < count; id++) {
  const program = idioms ? generateIdiomProgram(next, id) : generateProgram(next, id, heavyLoopFirst);
  try {
    const built = await build(program.source);
    const outcome = await checkProgram(program, built, next, useTape);
    if (outcome.fdCompared) compared++;
    if (outcome.problem) {
      failed++;
      console.log(`--- program ${id}: ${outcome.problem}\n${program.source}\n`);
    }
  } catch (error) {
    failed++;
    console.log(`--- program ${id}: ${String(error).slice(0, 500)}\n${program.source}\n`);
  }
}
const recorded = takeRecorded();
const typeErrors = recorded ? typecheckGenerated(recorded.files, recorded.root) : [];
for (const line of typeErrors) console.log(line);
console.log(`${count} programs, ${compared} compared with finite differences, ${failed} failed, ${typeErrors.length} type errors in generated files`);
process.exitCode = failed || typeErrors.length ? 1 : 0;
