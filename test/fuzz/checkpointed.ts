/**
 * The fuzzer's checkpointing mode: a time-stepping program (programs.ts, `timeStepping`)
 * is built twice, as written (its `// @checkpoint` directives, and the automatic policy
 * with an 8-byte budget for every other outermost counted loop) and without any directive
 * or budget (store-all). Every generated entry point must give the same bits in both
 * builds (the schedule only replays the same operations on restored bits); the
 * checkpointed build must also pass the usual checks (check.ts: the tape, differences,
 * JVP against the gradient, HVP against gradient differences and the tape's).
 */
import { build, generatedFunction, type Built } from "../harness/build.ts";
import { deepClone } from "../harness/shapes.ts";
import { argumentsFor, checkProgram, type Problem } from "./check.ts";
import { generateProgram, pointRng, printProgram, withoutCheckpoints, WRT, type Program } from "./programs.ts";

export interface CheckpointOutcome {
  program: Program;
  source: string;
  problem?: Problem;
  /** What the checkpointed build's text shows: schedules, online ones, nested ones, arrays in the state. */
  schedules: number;
  online: boolean;
  nested: boolean;
  /** A checkpointed loop inside a loop that is not (run again by the reverse sweep from its saved entry state). */
  replayed: boolean;
  arrayState: boolean;
  fdCompared: boolean;
}

type Fn = (...args: unknown[]) => unknown;

/** Same numbers bit for bit (Object.is: -0 and NaN too), in the same shape. */
export function sameBits(a: unknown, b: unknown): boolean {
  if (typeof a === "number") return Object.is(a, b);
  if (a === null || typeof a !== "object") return a === b;
  if (b === null || typeof b !== "object") return false;
  const [ka, kb] = [Object.keys(a), Object.keys(b)];
  return ka.length === kb.length && ka.every((k) => sameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The seeds an entry point takes after the function's arguments (a direction, a cotangent), by its name. */
function seedsFor(entry: string, built: Built, args: unknown[], direction: Record<string, unknown>): unknown[] {
  if (entry.endsWith("Hvp") || entry.endsWith("Jvp")) return [direction];
  if (entry.endsWith("Vjp")) {
    const rows = (built.source[entry.slice(0, -"Vjp".length)] as unknown as Fn)(...deepClone(args)) as number[];
    return [[0.5, -0.3, 0.2, 0.7, -0.9, 0.4, 0.1, -0.6].slice(0, rows.length)];
  }
  return [];
}

/** Entry points of `checkpointed` that differ from `storeAll`'s at the program's point (names and first difference). */
export function differences(checkpointed: Built, storeAll: Built, next: () => number): string[] {
  const args = argumentsFor(next);
  const direction = Object.fromEntries(WRT.map((p, k) => [p, argumentsFor(next)[k]]));
  const found: string[] = [];
  for (const [entry, fn] of Object.entries(checkpointed.generated)) {
    // The Into forms are what these call; called directly they need their buffers.
    if (typeof fn !== "function" || entry.endsWith("Into")) continue;
    const seeds = seedsFor(entry, checkpointed, args, direction);
    const a = (fn as unknown as Fn)(...deepClone(args), ...deepClone(seeds));
    const b = (storeAll.generated[entry] as unknown as Fn)(...deepClone(args), ...deepClone(seeds));
    if (!sameBits(a, b)) found.push(`${entry}: ${JSON.stringify(a).slice(0, 300)} vs store-all ${JSON.stringify(b).slice(0, 300)}`);
  }
  return found;
}

/** Builds program `id` of `seed` both ways and checks it; a problem says which check failed. */
export async function checkCheckpointed(seed: number, id: number, useTape = true): Promise<CheckpointOutcome> {
  const program = generateProgram(seed, id, { timeStepping: true });
  return checkCheckpointedProgram(program, seed, id, useTape);
}

export async function checkCheckpointedProgram(program: Program, seed: number, id: number, useTape = true): Promise<CheckpointOutcome> {
  const source = printProgram(program);
  const [checkpointed, storeAll] = [await build(source, { checkpointBudget: 8 }), await build(withoutCheckpoints(source))];
  // What the gradient's function shows (the other modes expand the same loops).
  const gradient = generatedFunction(checkpointed.text, `${program.name}GradInto`);
  const schedules = new Set(gradient.match(/\w+Schedule(?:_\d+)?(?=\.start)/g) ?? []).size;
  const outcome: CheckpointOutcome = {
    program,
    source,
    schedules,
    online: /Schedule(?:_\d+)?\.startOnline/.test(gradient),
    // A directive inside the loop another directive is on (programs.ts: innerCheckpointed), and both expanded.
    nested: schedules >= 2 && /\/\/ @checkpoint.*\n\s*(?:for|while) [^]*\n\s+\/\/ @checkpoint/.test(source.split(`export function ${program.name}Rows`)[0]!),
    replayed: gradient.includes("checkpointed inside a loop that is not"),
    arrayState: [...gradient.matchAll(/the state \(([^)]*)\) is saved/g)].some(([, state]) => /\b(?:buf|fb)\b/.test(state!)),
    fdCompared: false,
  };
  const checked = await checkProgram(program.name, checkpointed, pointRng(seed, id), useTape);
  outcome.fdCompared = checked.fdCompared;
  if (checked.problem) return { ...outcome, problem: checked.problem };
  const differ = differences(checkpointed, storeAll, pointRng(seed ^ 0x2545f491, id));
  if (differ.length > 0) return { ...outcome, problem: { kind: "differs from store-all", message: differ.join("\n") } };
  return outcome;
}
