/**
 * Checkpointing schedules for reverse-mode loops: reverse n steps of a loop in bounded
 * memory by saving the loop's state (a snapshot) at a few steps only and recomputing the
 * rest forward from the nearest snapshot when the reverse sweep needs it.
 *
 * A schedule is a small state machine. The generated loop asks it what to do next
 * (`next()`) and does it:
 *
 *   ADVANCE  run steps from … to − 1 plainly (the primal body: nothing recorded)
 *   SAVE     copy the loop's state, which is at step `from`, into `snapshots` at `at`
 *   RESTORE  copy the loop's state at step `from` back from `snapshots` at `at`
 *   RECORD   run steps from … to − 1 as the forward sweep does (pushing what the
 *            reverse sweep will pop)
 *   REVERSE  run the reverse sweep of steps to − 1 down to from (popping it)
 *   DONE     the phase is over
 *
 * Every RECORD is followed by the REVERSE of the same steps, before anything else is
 * recorded, so the value stacks stay LIFO; each step is reversed exactly once, last step
 * first. A state saved in a snapshot is copied exactly (a Float64Array holds every number,
 * int32 and boolean bit for bit), and a recorded step starts from exactly the state the
 * step had the first time, so a checkpointed gradient does the same operations in the same
 * order as a store-all one: the result is bit-identical.
 *
 * Two ways to start:
 *
 * - `start(steps, snapshots, width, block)`, trip count known on entry: Griewank and
 *   Walther's binomial schedule (revolve). The forward phase (ADVANCE/SAVE, then the
 *   RECORD of the last block, then DONE) replaces the forward loop; the rest of the function
 *   runs forward and backward; the reverse phase (REVERSE of that block first) replaces the
 *   reverse loop. With s snapshots (the one of the loop's entry state included) and l
 *   steps, the schedule advances t(l, s) = r·l − C(s + r, r − 1) steps in all, where r is
 *   the repetition number, the least r with C(s + r, s) ≥ l: the fewest possible
 *   (Griewank, "Achieving logarithmic growth of temporal and spatial complexity in reverse
 *   automatic differentiation", 1992; Griewank and Walther, ACM TOMS 26, 2000). A `block`
 *   of k > 1 steps makes each RECORD/REVERSE cover k steps (their pushes must fit in
 *   memory) and the schedule works over ⌈steps / k⌉ blocks; `block = steps` is store-all.
 *
 * - `startOnline(snapshots, width)`, trip count known only when the loop ends: the loop
 *   runs as written and calls `beforeStep()` at the start of every iteration, which says
 *   where to save the state before the step (or −1); `endOnline()` then turns to the
 *   reverse phase, which reverses the stretches between the snapshots held from last to
 *   first, each with the binomial schedule over the snapshots then free. The forward loop
 *   runs every step before it knows which is the last, so the reverse phase must reach the
 *   last step again from a snapshot; what can be guaranteed is then: every step computed at
 *   most r times (the forward loop's run included) with r the least number with
 *   C(s + r, s) > n, the repetition number offline revolve needs for n + 1 steps, i.e. the
 *   same as offline revolve's for n steps except when n is exactly C(s + r, s). This
 *   schedule reaches it for every n without knowing n (as Wang, Moin and Iaccarino's
 *   dynamic checkpointing does, SIAM J. Sci. Comput. 31(4), 2009), and spends its
 *   snapshots so that the total recomputation stays close to the offline optimum t(n, s)
 *   (within 1.5% from 10^3 to 10^7 steps with 10 to 1000 snapshots: bench/README.md):
 *   - while the loop is in its r-th phase, C(s + r − 1, s) ≤ n < C(s + r, s), the states at
 *     0, C(s + r − 1, s), then each further C(s − j + 1, r − 1) steps (j = 2 … s) are
 *     pinned: alone they keep every stretch within the steps its snapshots reverse with
 *     r − 1 recomputations (stretch j from the oldest, reversed with s − j + 1 snapshots,
 *     at most C(s − j + 1 + r − 1, r − 1) steps), and at the phase's last step,
 *     n = C(s + r, s) − 1, they are the only placement that reaches r;
 *   - a free snapshot is used on the next step, except ⌊√s⌋ − 1 kept spare: with f
 *     snapshots free the newest stretch may hold C(f + r, r − 1) steps before a save, so
 *     the forward loop copies the state 3–60× less often than with none spare (every 2.5
 *     to 16 steps then), for at most 0.5% more recomputation;
 *   - when the newest stretch outgrows its bound, or a pinned state needs a snapshot, the
 *     newest unpinned snapshot whose removal keeps every stretch within its bound is
 *     dropped (the newest unpinned one when none does, repeated).
 *   `beforeStep()` costs an increment and a comparison on the steps between those events;
 *   an event saves at most one state and drops one snapshot or a few, looking back over
 *   the newest few (bench/README.md's table has the saves per step).
 *
 * Cost of driving a loop this way: one `next()` call per action. Revolve's actions are
 * one RECORD and one REVERSE per step plus O(r) others per step on average, so a step
 * pays a few calls and one `switch` besides its own work; snapshots cost `width` numbers
 * copied per SAVE and per RESTORE (about one RESTORE per step reversed).
 *
 * Self-contained on purpose: the build copies this file into each generated file that
 * uses it (runtime helpers need nothing of tsgrad at run time).
 */

/** What a schedule's `next()` returns. */
export const CheckpointAction = {
  Done: 0,
  Advance: 1,
  Save: 2,
  Restore: 3,
  Record: 4,
  Reverse: 5,
} as const;

const DONE = 0;
const ADVANCE = 1;
const SAVE = 2;
const RESTORE = 3;
const RECORD = 4;
const REVERSE = 5;

/** Which phase `next()` is in. */
const IDLE = 0;
const FORWARD = 1;
const ONLINE = 2;
const BACKWARD = 3;

/** Binomial coefficients beyond this are only ever compared with step counts (< 2^31). */
const SATURATED = 2 ** 40;

/**
 * β(s, r) = C(s + r, s): the most steps s snapshots reverse with r recomputation sweeps
 * (0 when r < 0), saturated at 2^40.
 */
export function binomialSteps(s: number, r: number): number {
  if (r < 0 || s < 0) return 0;
  let b = 1;
  for (let k = 1; k <= r; k++) {
    b = (b * (s + k)) / k; // C(s + k, k) from C(s + k − 1, k − 1): an exact integer
    if (b >= SATURATED) return SATURATED;
  }
  return b;
}

/** The repetition number: the least r with C(s + r, s) ≥ steps (s ≥ 1 snapshots). */
export function repetitions(steps: number, s: number): number {
  let r = 0;
  let b = 1; // β(s, r)
  while (b < steps) {
    r++;
    b = Math.min(SATURATED, (b * (s + r)) / r);
  }
  return r;
}

/**
 * t(l, s): the fewest steps a reversal of l steps with s snapshots advances (recording
 * each step once, not counted). t = r·l − β(s + 1, r − 1); t(l, 1) = l(l − 1)/2.
 */
export function minimalAdvances(steps: number, s: number): number {
  if (steps <= 1) return 0;
  const r = repetitions(steps, s);
  return r * steps - binomialSteps(s + 1, r - 1);
}

/**
 * Where to put the next snapshot when reversing l ≥ 2 steps with s ≥ 2 snapshots, the
 * first at the segment's start: m steps in. Any m for which the left part [0, m) needs
 * repetition number r − 1 with s snapshots and the right part [m, l) needs r with s − 1 is
 * optimal (their costs then add up to t(l, s) exactly, by Pascal's rule); this is the
 * largest such m.
 */
export function splitPoint(steps: number, s: number): number {
  const r = repetitions(steps, s);
  const upper = Math.min(steps - 1, binomialSteps(s, r - 1), steps - binomialSteps(s - 1, r - 1));
  return Math.max(1, upper);
}

/**
 * The fewest snapshots needed to reverse `steps` steps of a state of `width` numbers with
 * the smallest repetition number whose snapshots fit in `budgetBytes`: the memory goes
 * where it cuts recomputation by a whole sweep, not into extra snapshots that shave a few
 * steps. At least 1 (the entry state).
 */
export function snapshotsFor(steps: number, width: number, budgetBytes: number): number {
  const fit = Math.max(1, Math.floor(budgetBytes / (8 * Math.max(1, width))));
  if (steps <= 1) return 1;
  for (let r = 1; ; r++) {
    let low = 1; // the least s with β(s, r) ≥ steps, by bisection on s
    let high = Math.max(1, steps - 1);
    while (low < high) {
      const mid = (low + high) >> 1;
      if (binomialSteps(mid, r) >= steps) high = mid;
      else low = mid + 1;
    }
    if (low <= fit) return low;
    if (r > 64) return fit;
  }
}

/**
 * One checkpointed loop's schedule and snapshot storage. A generated file keeps one per
 * checkpointed loop at module scope and restarts it on every call, so a steady-state call
 * allocates nothing once the snapshot buffer has grown to its size.
 */
export class CheckpointSchedule {
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
  /** Positions (block indices) of the snapshots held, oldest first, and where each is in `snapshots` (slot · width). */
  private positions = new Int32Array(16);
  private slotOf = new Int32Array(16);
  /** Online: whether a held snapshot is pinned by the phase's pattern (never dropped). */
  private pinned = new Uint8Array(16);
  private held = 0;
  /** Slots given back (reused first) and the next slot never used. */
  private released = new Int32Array(16);
  private releasedCount = 0;
  private fresh = 0;
  /** Blocks at and after `end` are reversed (forward phase: the goal). */
  private end = 0;
  /** The block the loop's state is at, or −1 when unknown (after a REVERSE). */
  private current = 0;
  /** A recorded block whose REVERSE comes next, or −1. */
  private pending = -1;
  /** Online: the phase r (the repetition number guaranteed), C(s + r, s) (the step count that ends it), the next pinned step and how many are placed, and the next step `beforeStep()` acts on. */
  private reps = 1;
  private phaseEnd = 0;
  private nextPinned = 0;
  private pinnedPlaced = 0;
  private nextEvent = 0;
  /** Online: snapshots kept free for the pinned states and the newest stretch, ⌊√s⌋ − 1 (see the header). */
  private spare = 0;

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
    this.reps = 1;
    this.phaseEnd = this.slots + 1; // C(s + 1, s)
    this.nextPinned = 0;
    this.pinnedPlaced = 0;
    this.nextEvent = 0;
    this.spare = Math.floor(Math.sqrt(this.slots)) - 1;
    this.phase = ONLINE;
  }

  /**
   * Online: called at the start of each iteration, before the body. Returns where in
   * `snapshots` to save the state before this step, or −1.
   */
  beforeStep(): number {
    const step = this.steps++;
    return step < this.nextEvent ? -1 : this.onlineEvent(step);
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
    while (this.held > 0 && this.positions[this.held - 1]! >= this.end) this.removeHeld(this.held - 1);
    if (this.held === 0 && this.end > 1) return this.saveAction(0); // the entry state, when anything will return to it
    const base = this.held > 0 ? this.positions[this.held - 1]! : 0;
    if (this.current < base) {
      this.current = base;
      this.at = this.slotOf[this.held - 1]! * this.width;
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
    this.releasedCount = 0;
    this.fresh = 0;
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

  /** Takes a slot for the state at `block`, held after every other; returns its offset in `snapshots`. */
  private save(block: number): number {
    this.hold(block);
    return this.assignSlot(this.held - 1);
  }

  /** Appends `block` to the snapshots held (its slot is assigned by `assignSlot`). */
  private hold(block: number): void {
    const index = this.held++;
    if (index === this.positions.length) {
      const positions = new Int32Array(2 * index);
      const slotOf = new Int32Array(2 * index);
      const pinned = new Uint8Array(2 * index);
      positions.set(this.positions);
      slotOf.set(this.slotOf);
      pinned.set(this.pinned);
      this.positions = positions;
      this.slotOf = slotOf;
      this.pinned = pinned;
    }
    this.positions[index] = block;
    this.pinned[index] = 0;
  }

  /** Gives held snapshot `index` a free slot (one given back first, else the next never used); returns its offset. */
  private assignSlot(index: number): number {
    const slot = this.releasedCount > 0 ? this.released[--this.releasedCount]! : this.fresh++;
    this.slotOf[index] = slot;
    this.saves++;
    if (this.held > this.peakSnapshots) this.peakSnapshots = this.held;
    const need = (slot + 1) * this.width;
    if (need > this.snapshots.length) {
      const grown = new Float64Array(Math.min(this.slots * this.width, Math.max(need, 2 * this.snapshots.length)));
      grown.set(this.snapshots);
      this.snapshots = grown;
    }
    this.at = slot * this.width;
    return this.at;
  }

  /** Drops held snapshot `index` (the later ones move down) and gives its slot back. */
  private removeHeld(index: number): void {
    if (this.releasedCount === this.released.length) {
      const grown = new Int32Array(2 * this.releasedCount);
      grown.set(this.released);
      this.released = grown;
    }
    this.released[this.releasedCount++] = this.slotOf[index]!;
    this.held--;
    if (index < this.held) {
      // not the newest (online drops only): the later ones move down
      this.positions.copyWithin(index, index + 1, this.held + 1);
      this.slotOf.copyWithin(index, index + 1, this.held + 1);
      this.pinned.copyWithin(index, index + 1, this.held + 1);
    }
  }

  /** Online: the most steps a stretch reversed with `c` snapshots may hold in the current phase, C(c + r − 1, c) (0 without a snapshot). */
  private bound(c: number): number {
    return c >= 1 ? binomialSteps(c, this.reps - 1) : 0;
  }

  /** Online: what `beforeStep()` does at `step` when it is an event (see the header). */
  private onlineEvent(step: number): number {
    const n = step + 1; // the steps run if the loop ends after this one
    if (n >= this.phaseEnd) this.nextPhase(n);
    const pinned = step === this.nextPinned;
    if (pinned || this.held < this.slots - this.spare) {
      this.hold(step);
      if (pinned) {
        this.pinned[this.held - 1] = 1;
        this.placePinned();
      }
    }
    while (!this.openFits(n)) this.dropExtra(n);
    const at = this.positions[this.held - 1] === step ? this.assignSlot(this.held - 1) : -1;
    const open = this.held < this.slots - this.spare ? n : this.positions[this.held - 1]! + this.bound(this.slots - this.held + 1);
    this.nextEvent = this.slots === 1 ? Infinity : Math.min(this.nextPinned, this.phaseEnd - 1, open);
    return at;
  }

  /** Online: whether the newest stretch, from the newest snapshot to step n, is within its bound. */
  private openFits(n: number): boolean {
    return n - this.positions[this.held - 1]! <= this.bound(this.slots - this.held + 1);
  }

  /**
   * Online: drops the newest unpinned snapshot whose removal keeps the stretches within
   * their bounds, or else the newest unpinned one (the pinned ones alone are within them).
   */
  private dropExtra(n: number): void {
    const k = this.held;
    const openAfter = n - this.positions[k - 1]! <= this.bound(this.slots - k + 2);
    let newest = -1;
    for (let x = k - 1; x >= 1; x--) {
      if (this.pinned[x]) continue;
      if (newest < 0) newest = x;
      // dropping x merges the stretches on both sides of it, reversed with the older one's snapshots
      const end = x === k - 1 ? n : this.positions[x + 1]!;
      if (end - this.positions[x - 1]! <= this.bound(this.slots - x + 1) && (x === k - 1 || openAfter)) {
        this.removeHeld(x);
        return;
      }
    }
    if (newest < 0) throw new Error("CheckpointSchedule: every snapshot is pinned, none can make room"); // unreachable: the pinned ones alone fit
    this.removeHeld(newest);
  }

  /** Online: enters the phase whose repetition number covers n steps; only the entry state stays pinned. */
  private nextPhase(n: number): void {
    while (n >= this.phaseEnd) {
      this.reps++;
      this.phaseEnd = binomialSteps(this.slots, this.reps);
    }
    this.pinned.fill(0, 1, this.held);
    this.pinnedPlaced = 1;
    this.nextPinned = binomialSteps(this.slots, this.reps - 1);
  }

  /** Online: the state at `nextPinned` is held; the next pinned step is C(s − j + 1, r − 1) later (j pinned so far). */
  private placePinned(): void {
    this.pinnedPlaced++;
    this.nextPinned = this.pinnedPlaced < this.slots ? this.nextPinned + this.bound(this.slots - this.pinnedPlaced + 1) : Infinity;
  }
}
