/**
 * The longer differential-fuzzing run (not part of the test suite):
 *
 *   npx tsx test/fuzz/run.ts [count=500] [seed=1] [--heavy-loop-first] [--no-tape]
 *                            [--only <id>] [--no-shrink] [--coverage] [--idioms] [--checkpointed]
 *
 * Prints each failing program's source (and, unless --no-shrink, a minimal program that
 * fails the same way) and exits 1 if any failed. `--only k` regenerates and checks program
 * k of the seed alone. `--coverage` prints which IR forms, rules and generated-code
 * features the corpus reached (coverage.ts). `--idioms` runs the programs written with idioms
 * (idioms.ts: callbacks, closures, destructuring, switch, labels, spread) instead, without
 * shrinking. `--checkpointed` runs the time-stepping programs of the checkpointing mode
 * (checkpointed.ts: built with and without their `@checkpoint` directives, the same bits
 * required), shrunk like the others. Every generated file must also pass `tsc --strict --noUnusedLocals
 * --noUnusedParameters` and declare `const` what it never reassigns, or the run exits 1.
 */
import { build } from "../harness/build.ts";
import { rng } from "../harness/numeric.ts";
import { needlessLetsIn } from "../harness/constness.ts";
import { takeRecorded, typecheckGenerated } from "../harness/typecheck.ts";
import { checkProgram, LEGACY_FRAME } from "./check.ts";
import { Coverage } from "./coverage.ts";
import { generateIdiomProgram } from "./idioms.ts";
import { checkCheckpointed, checkCheckpointedProgram } from "./checkpointed.ts";
import { generateProgram, pointRng, printProgram, type Program } from "./programs.ts";
import { shrink } from "./shrink.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const valueOf = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const only = valueOf("--only");
const [countArg, seedArg] = args.filter((a, k) => !a.startsWith("--") && args[k - 1] !== "--only");
const count = Number(countArg ?? 500);
const seed = Number(seedArg ?? 1);
const options = { heavyLoopFirst: flag("--heavy-loop-first") };
const useTape = !flag("--no-tape");
const coverage = flag("--coverage") ? new Coverage() : undefined;

/** Compiles and checks a program; the check's random point is drawn from the program's own stream. */
async function evaluate(program: Program, id: number): Promise<{ kind?: string; message?: string; fdCompared: boolean; text?: string }> {
  const source = printProgram(program);
  try {
    const built = await build(source, coverage ? { observe: coverage.observer() } : {});
    const outcome = await checkProgram(program.name, built, pointRng(seed, id), useTape);
    return { ...outcome.problem, fdCompared: outcome.fdCompared, text: built.text };
  } catch (error) {
    const message = String(error instanceof Error ? error.message : error);
    // The kind keeps the diagnostic's message (without its place), so shrinking keeps the same complaint about the same names.
    const diagnostic = /TSG(\d{4}) (.*)/.exec(message);
    return { kind: diagnostic ? `diagnostic TSG${diagnostic[1]} ${diagnostic[2]}` : `exception ${message.split("\n")[0]}`, message: message.slice(0, 800), fdCompared: false };
  }
}

let failed = 0;
let compared = 0;

/** The idiom programs: one random stream for the whole run, as idioms.ts draws them. */
async function runIdioms(): Promise<void> {
  const next = rng(seed);
  for (let id = 0; id < count; id++) {
    const program = generateIdiomProgram(next, id);
    try {
      const outcome = await checkProgram(program.name, await build(program.source), next, useTape, LEGACY_FRAME);
      if (outcome.fdCompared) compared++;
      if (!outcome.problem) continue;
      failed++;
      console.log(`--- idiom program ${id} of seed ${seed}: ${outcome.problem.kind}: ${outcome.problem.message}\n${program.source}`);
    } catch (error) {
      failed++;
      console.log(`--- idiom program ${id} of seed ${seed}: ${String(error).slice(0, 800)}\n${program.source}`);
    }
  }
}

/** The checkpointing mode's programs (checkpointed.ts). */
async function runCheckpointed(ids: number[]): Promise<void> {
  const shapes = { schedules: 0, online: 0, nested: 0, replayed: 0, arrayState: 0 };
  for (const id of ids) {
    const outcome = await checkCheckpointed(seed, id, useTape).catch((error: unknown) => ({ problem: { kind: "exception", message: String(error).slice(0, 800) }, source: printProgram(generateProgram(seed, id, { timeStepping: true })), fdCompared: false }));
    if (outcome.fdCompared) compared++;
    if ("schedules" in outcome) for (const k of Object.keys(shapes) as (keyof typeof shapes)[]) shapes[k] += Number(Boolean(outcome[k]));
    if (!outcome.problem) continue;
    failed++;
    console.log(`--- checkpointed program ${id} of seed ${seed}: ${outcome.problem.kind}: ${outcome.problem.message}\n${outcome.source}`);
    if (flag("--no-shrink")) continue;
    // A candidate fails the same way only while it still checkpoints (a build error, or bits the store-all build does not give).
    const kind = outcome.problem.kind;
    const program = generateProgram(seed, id, { timeStepping: true });
    const small = await shrink(program, async (candidate) => (await checkCheckpointedProgram(candidate, seed, id, useTape).catch(() => null))?.problem?.kind === kind, (n) => process.stderr.write(`\rshrinking: ${n} candidates tried`));
    process.stderr.write("\n");
    console.log(`--- checkpointed program ${id}, shrunk (still fails with ${kind}):\n${printProgram(small)}`);
  }
  // How many programs reached each shape (with a schedule, online, nested, inside a loop that is not checkpointed, an array in the state).
  console.log(`shapes: ${JSON.stringify(shapes)}`);
}

const ids = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, k) => k);
const idioms = flag("--idioms");
const checkpointed = flag("--checkpointed");
if (idioms) await runIdioms();
if (checkpointed) await runCheckpointed(ids);
for (const id of idioms || checkpointed ? [] : ids) {
  const program = generateProgram(seed, id, options);
  const result = await evaluate(program, id);
  if (result.fdCompared) compared++;
  if (result.text && coverage) coverage.addGenerated(result.text);
  if (coverage) coverage.addProgram(program);
  if (!result.kind) continue;
  failed++;
  console.log(`--- program ${id} of seed ${seed}${options.heavyLoopFirst ? " (--heavy-loop-first)" : ""}: ${result.kind}: ${result.message}\n${printProgram(program)}`);
  if (!flag("--no-shrink")) {
    const small = await shrink(program, async (candidate) => (await evaluate(candidate, id)).kind === result.kind, (n) => process.stderr.write(`\rshrinking: ${n} candidates tried`));
    process.stderr.write("\n");
    console.log(`--- program ${id}, shrunk (still fails with ${result.kind}):\n${printProgram(small)}`);
  }
}
const recorded = takeRecorded();
const typeErrors = recorded ? typecheckGenerated(recorded.files, recorded.root) : [];
const lets = recorded ? needlessLetsIn(recorded.files) : [];
for (const line of [...typeErrors, ...lets]) console.log(line);
console.log(`${idioms ? count : ids.length} programs, ${compared} compared with finite differences, ${failed} failed, ${typeErrors.length} type errors in generated files, ${lets.length} needless lets`);
if (coverage) console.log(coverage.report());
process.exitCode = failed || typeErrors.length || lets.length ? 1 : 0;
