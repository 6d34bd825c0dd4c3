/**
 * The online checkpointing schedule (a loop whose trip count is known only when it ends)
 * in counts, not time: for n steps and s snapshots, the steps computed per step (the
 * forward loop's n included, recording not counted), the repetition number (how often
 * the most computed step is computed) and the states saved per step by the forward loop,
 * for runtime/checkpoint.ts's schedule beside offline revolve knowing n in advance
 * (t(n, s) = r·n − C(s + r + 1, r − 1), its forward phase included). (The doubling rule
 * this schedule replaced, and its columns in bench/README, ran at commit 983dd07.)
 *
 *   npx tsx bench/checkpoint/online.ts [--steps 1e3,1e4,…] [--snapshots 10,100,1000]
 *
 * Each schedule is driven through both phases as a generated loop would, with a state of
 * width 0 (only the schedule's own bookkeeping runs), so the counts are exact. Deterministic:
 * no machine load matters except for how long it takes (a few minutes at 10^7 steps).
 */
import { CheckpointAction, CheckpointSchedule, minimalAdvances, repetitions } from "../../runtime/checkpoint.ts";
import { table } from "../timing.ts";

const args = process.argv.slice(2);
const list = (name: string, fallback: number[]) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1]!.split(",").map(Number) : fallback;
};
const stepCounts = list("--steps", [1e3, 1e4, 1e5, 1e6, 1e7]);
const snapshotCounts = list("--snapshots", [10, 100, 1000]);

/** Runs n steps online, then the reverse phase; counts what every step cost. */
function drive(schedule: CheckpointSchedule, steps: number, slots: number): { computed: number; repetition: number; saves: number } {
  const delta = new Int32Array(steps + 1);
  delta[0] = 1;
  delta[steps] = -1;
  schedule.startOnline(slots, 0);
  let saves = 0;
  for (let step = 0; step < steps; step++) if (schedule.beforeStep() >= 0) saves++;
  schedule.endOnline();
  let computed = steps;
  for (let action = schedule.next(); action !== CheckpointAction.Done; action = schedule.next()) {
    if (action !== CheckpointAction.Advance) continue;
    computed += schedule.to - schedule.from;
    delta[schedule.from]!++;
    delta[schedule.to]!--;
  }
  let repetition = 0;
  for (let step = 0, k = 0; step < steps; step++) {
    k += delta[step]!;
    if (k > repetition) repetition = k;
  }
  return { computed, repetition, saves };
}

const perStep = (x: number, n: number) => (x / n).toFixed(x / n >= 100 ? 0 : 3);
for (const slots of snapshotCounts) {
  const rows: (string | number)[][] = [];
  for (const steps of stepCounts) {
    const now = drive(new CheckpointSchedule(), steps, slots);
    rows.push([
      steps.toExponential(0),
      perStep(now.computed, steps),
      perStep(minimalAdvances(steps, slots), steps),
      `${now.repetition} / ${repetitions(steps, slots)}`,
      (now.saves / steps).toFixed(3),
    ]);
  }
  table(`online schedule, s = ${slots} snapshots`, ["n", "computed / n", "offline t(n, s) / n", "repetition: online / offline", "forward saves / n"], rows);
}
