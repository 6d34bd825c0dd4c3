/** Helpers that generated code may import. Nothing here depends on the compiler. */
export { NumberStack, IntStack, allStacks, pendingStackEntries, stackBytes } from "./stack.ts";
export { flatSize, recordSize, setFlat, readFlat, zeroRecord } from "./records.ts";
export type { FlatRecord, FlatValue } from "./records.ts";
export { CheckpointAction, CheckpointSchedule, binomialSteps, minimalAdvances, repetitions, snapshotsFor, splitPoint } from "./checkpoint.ts";
