/**
 * The online checkpointing schedule tsgrad used before 2026-12-07 (runtime/checkpoint.ts
 * at c79ef23), kept for bench/checkpoint/online.ts and the `online-old:` variants of
 * bench/checkpoint/run.ts, which compare it with the schedule that replaced it. Online
 * rule: snapshots at every d-th step, d = 1 at first; when all are in use every other one
 * is dropped and d doubles; the reverse phase reverses the segments between snapshots from
 * last to first with revolve over the snapshots still free. Same interface as
 * `CheckpointSchedule` (the generated driver runs it unchanged); the counted-loop part is
 * the same revolve as today's.
 */
import { snapshotsFor, splitPoint } from "../../runtime/checkpoint.ts";

const DONE = 0;
const ADVANCE = 1;
const SAVE = 2;
const RESTORE = 3;
const RECORD = 4;
const REVERSE = 5;

const IDLE = 0;
const FORWARD = 1;
const ONLINE = 2;
const BACKWARD = 3;

export class DoublingSchedule {
  /** ADVANCE, RECORD, REVERSE: the first step. SAVE, RESTORE: the step the state is at. */
  from = 0;
  /** ADVANCE, RECORD, REVERSE: one past the last step. */
  to = 0;
  /** SAVE, RESTORE: where the snapshot starts in `snapshots`. */
  at = 0;
  /** The snapshots, `width` numbers each (read it after `next()` or `beforeStep()`: it may grow). */
  snapshots = new Float64Array(0);

  /** Statistics of the current run, for tests and benchmarks: steps advanced, recorded, snapshots taken, restores. */
  advanced = 0;
  recorded = 0;
  saves = 0;
  restores = 0;
  /** The most snapshots held at once in this run. */
  peakSnapshots = 0;

  private phase = IDLE;
  private width = 0;
  private slots = 1;
  private steps = 0;
  private block = 1;
  private blocks = 0;
  /** Positions (block indices) of the snapshots held, oldest first; snapshot j is in slot j. */
  private positions = new Int32Array(16);
  private held = 0;
  /** Blocks at and after `end` are reversed (forward phase: the goal). */
  private end = 0;
  /** The block the loop's state is at, or −1 when unknown (after a REVERSE). */
  private current = 0;
  /** A recorded block whose REVERSE comes next, or −1. */
  private pending = -1;
  /** Online: the save interval and the next step to save. */
  private interval = 1;
  private nextSave = 0;

  /**
   * Starts a loop of `steps` iterations known on entry, with at most `snapshots` saved
   * states of `width` numbers each, recording `block` steps at a time (1 for revolve over
   * single steps; `steps` records them all, store-all).
   */
  start(steps: number, snapshots: number, width: number, block = 1): void {
    this.reset(width, snapshots);
    this.steps = Math.max(0, Math.ceil(steps));
    this.block = Math.max(1, Math.floor(block));
    this.blocks = Math.ceil(this.steps / this.block);
    this.end = this.blocks;
    this.current = 0;
    this.phase = FORWARD;
  }

  /**
   * Starts a loop of `steps` iterations known on entry within `budget` bytes for the values
   * its steps save and for its snapshots: when all the steps' values fit (`steps ·
   * bytesPerStep ≤ budget`) they are recorded at once, exactly as store-all does, with no
   * snapshot and nothing recomputed; otherwise blocks of as many steps as fit in half the
   * budget are recorded at a time, with the fewest snapshots reaching the smallest
   * repetition number in the other half (`snapshotsFor`). `bytesPerStep` 0 means unknown:
   * single steps, snapshots from the whole budget.
   */
  startWithin(steps: number, budget: number, width: number, bytesPerStep: number): void {
    const n = Math.max(0, Math.ceil(steps));
    if (bytesPerStep > 0 && n * bytesPerStep <= budget) {
      this.start(n, 1, width, Math.max(1, n));
      return;
    }
    const block = bytesPerStep > 0 ? Math.max(1, Math.floor(budget / 2 / bytesPerStep)) : 1;
    const forSnapshots = bytesPerStep > 0 ? budget / 2 : budget;
    this.start(n, snapshotsFor(Math.ceil(n / block), width, forSnapshots), width, block);
  }

  /** Starts a loop whose trip count is known only at its end, with as many snapshots as fit in `budget` bytes (at least 2). */
  startOnlineWithin(budget: number, width: number): void {
    this.startOnline(Math.max(2, Math.floor(budget / (8 * Math.max(1, width)))), width);
  }

  /** Starts a loop whose trip count is known only at its end; call `beforeStep()` in each iteration. */
  startOnline(snapshots: number, width: number): void {
    this.reset(width, snapshots);
    this.block = 1;
    this.interval = 1;
    this.nextSave = 0;
    this.phase = ONLINE;
  }

  /**
   * Online: called at the start of each iteration, before the body. Returns where in
   * `snapshots` to save the state before this step, or −1.
   */
  beforeStep(): number {
    const step = this.steps++;
    if (step !== this.nextSave) return -1;
    if (this.held === this.slots) {
      if (this.slots === 1) {
        this.nextSave = Infinity;
        return -1;
      }
      this.thin();
      this.nextSave = Math.ceil(step / this.interval) * this.interval;
      if (step !== this.nextSave) return -1;
    }
    this.nextSave = step + this.interval;
    return this.save(step);
  }

  /** Online: the loop has ended after the steps counted by `beforeStep()`; `next()` now drives the reverse phase. */
  endOnline(): void {
    this.blocks = this.steps;
    this.end = this.blocks;
    this.current = -1;
    this.phase = BACKWARD;
  }

  /** The next action (CheckpointAction); its operands are `from`, `to` and `at`. */
  next(): number {
    if (this.pending >= 0) {
      if (this.phase === FORWARD) {
        this.phase = BACKWARD; // the forward phase ends with the last block recorded
        return DONE;
      }
      const block = this.pending;
      this.pending = -1;
      this.end = block;
      this.current = -1;
      this.setSteps(block, block + 1);
      return REVERSE;
    }
    if (this.end === 0) {
      this.phase = IDLE;
      return DONE;
    }
    while (this.held > 0 && this.positions[this.held - 1]! >= this.end) this.held--;
    if (this.held === 0 && this.end > 1) return this.saveAction(0); // the entry state, when anything will return to it
    const base = this.held > 0 ? this.positions[this.held - 1]! : 0;
    if (this.current < base) {
      this.current = base;
      this.at = (this.held - 1) * this.width;
      this.from = base * this.block;
      this.restores++;
      return RESTORE;
    }
    if (this.current === this.end - 1) {
      this.pending = this.current;
      this.setSteps(this.current, this.current + 1);
      this.recorded += this.to - this.from;
      this.current = -1;
      return RECORD;
    }
    if (this.current > base) return this.saveAction(this.current);
    const length = this.end - base;
    const free = this.slots - this.held;
    const target = free === 0 ? this.end - 1 : base + splitPoint(length, free + 1);
    this.setSteps(base, target);
    this.advanced += this.to - this.from;
    this.current = target;
    return ADVANCE;
  }

  private reset(width: number, snapshots: number): void {
    this.width = Math.max(0, width);
    this.slots = Math.max(1, Math.floor(snapshots));
    this.steps = 0;
    this.held = 0;
    this.pending = -1;
    this.advanced = this.recorded = this.saves = this.restores = this.peakSnapshots = 0;
  }

  private setSteps(fromBlock: number, toBlock: number): void {
    this.from = fromBlock * this.block;
    this.to = Math.min(this.steps, toBlock * this.block);
  }

  private saveAction(block: number): number {
    this.save(block);
    this.from = block * this.block;
    return SAVE;
  }

  /** Takes the next slot for the state at `block`; returns its offset. */
  private save(block: number): number {
    const slot = this.held++;
    if (slot === this.positions.length) {
      const grown = new Int32Array(2 * slot);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[slot] = block;
    const need = (slot + 1) * this.width;
    if (need > this.snapshots.length) {
      const grown = new Float64Array(Math.min(this.slots * this.width, Math.max(need, 2 * this.snapshots.length)));
      grown.set(this.snapshots);
      this.snapshots = grown;
    }
    this.saves++;
    if (this.held > this.peakSnapshots) this.peakSnapshots = this.held;
    this.at = slot * this.width;
    return this.at;
  }

  /** Online: keeps every other snapshot (those at multiples of twice the interval), packed into the first slots. */
  private thin(): void {
    const width = this.width;
    let kept = 0;
    for (let j = 0; j < this.held; j += 2) {
      if (kept !== j) {
        this.snapshots.copyWithin(kept * width, j * width, (j + 1) * width);
        this.positions[kept] = this.positions[j]!;
      }
      kept++;
    }
    this.held = kept;
    this.interval *= 2;
  }
}
