/**
 * Growable typed stacks used by generated reverse-mode code to carry values from the
 * forward sweep to the backward sweep. One instance lives at module scope in each
 * generated file and is reused across calls, so a steady-state gradient call allocates
 * nothing. Push and pop are strictly LIFO; every generated push has exactly one pop, except
 * that a rewind to an earlier size lets several reverse sweeps pop one forward sweep's
 * values again (fVjpRowsInto). A generated loop may bypass push and pop: it takes `size`
 * and `buffer` (or `reserve(size, count)`, which makes room for all the loop's pushes),
 * moves a local top over the buffer, and sets `size` when the loop ends
 * (compiler/transform/cursors.ts).
 *
 * NumberStack and IntStack are written out twice on purpose: one class generic over its
 * typed array would make push and pop polymorphic on the generated code's hot path.
 *
 * Memory: a stack grows by doubling and gives memory back when it is no longer needed.
 * When a push (or a loop's `reserve`) finds the stack empty, a new call begins and nothing
 * in the buffer can be read again; the stack then compares its capacity with what recent
 * calls needed: the largest size each call reached, kept as a running maximum that decays
 * by 1/8 per call. If the capacity is at least four times the power of two above twice
 * that need (and above the initial 1024 values), the buffer is replaced by one of that
 * size. So a workload that repeats a call keeps its buffer and allocates nothing, calls
 * of mixed sizes keep what the large ones need, and after one large call about twenty
 * calls needing a sixteenth of it (or less) give the memory back, in steps, down to the
 * initial buffer.
 */

/**
 * Where a stack registers when it is created, if a test or tool has set up the registry
 * (tsgrad's runtime/stack.ts, watchStacks) to check that pushes and pops balance. A global
 * symbol, because every generated file has its own copy of these classes; without the
 * registry nothing is kept.
 */
const stackRegistry = Symbol.for("tsgrad.stacks");

function registerStack(stack: object): void {
  (globalThis as unknown as Record<symbol, object[] | undefined>)[stackRegistry]?.push(stack);
}

/** What tests and tools read of a registered stack. */
export interface WatchedStack {
  readonly size: number;
  readonly capacity: number;
  readonly buffer: { readonly BYTES_PER_ELEMENT: number };
}

/**
 * Every stack created from now on, by this module or by any generated file's copy of it
 * (tests check that pushes and pops balance; the bench reports their memory). Call it
 * before generated files are loaded; importing this module calls it.
 */
export function watchStacks(): WatchedStack[] {
  const global = globalThis as unknown as Record<symbol, WatchedStack[] | undefined>;
  return (global[stackRegistry] ??= []);
}

/** Every stack created since the first `watchStacks()`. */
export const allStacks: readonly WatchedStack[] = watchStacks();

/** Total values held by all stacks: 0 between calls when generated code is correct. */
export function pendingStackEntries(): number {
  return allStacks.reduce((sum, s) => sum + s.size, 0);
}

/** Peak memory of all stacks in bytes (their current capacities). */
export function stackBytes(): number {
  return allStacks.reduce((sum, s) => sum + s.capacity * s.buffer.BYTES_PER_ELEMENT, 0);
}

const INITIAL_CAPACITY = 1024;

/** The capacity kept for calls that need `recent` values (and `count` now): a power of two above twice that, at least the initial. */
function keptCapacity(recent: number, count: number): number {
  let length = INITIAL_CAPACITY;
  while (length < 2 * recent || length < count) length *= 2;
  return length;
}

/** A LIFO stack of float64 values (overwritten numbers). */
export class NumberStack {
  private data = new Float64Array(INITIAL_CAPACITY);
  private top = 0;
  /** The largest size this call has reached so far (a call begins when the stack is pushed while empty). */
  private peak = 0;
  /** What recent calls needed: the running maximum of their peaks, decaying by 1/8 per call. */
  private recent = 0;

  constructor() {
    registerStack(this);
  }

  push(value: number): void {
    const top = this.top;
    if (top >= this.peak) {
      this.peak = top + 1;
      if (top === this.data.length) this.climb(top, 1);
    } else if (top === 0) this.climb(0, 1);
    this.data[top] = value;
    this.top = top + 1;
  }

  pop(): number {
    return this.data[--this.top]!;
  }

  /**
   * Sets the size back to `size` (at most the current size). The values above it stay in
   * the buffer, so pops after a rewind to a mark return what they returned before: one
   * forward sweep's values replayed for several reverse sweeps.
   */
  rewind(size: number): void {
    this.top = size;
  }

  /** Number of values currently held (0 between calls when pushes and pops balance). */
  get size(): number {
    return this.top;
  }

  /**
   * Sets the size after a loop that pushed or popped through `buffer` with its own local
   * top (generated code; compiler/transform/cursors.ts).
   */
  set size(size: number) {
    this.top = size;
    if (size > this.peak) this.peak = size;
  }

  /** The buffer behind the stack, for a loop that keeps the top in a local. */
  get buffer(): Float64Array {
    return this.data;
  }

  /** The buffer, with room for `count` more values above `top` (a loop's local top); it may be a new one. */
  reserve(top: number, count: number): Float64Array {
    this.climb(top, count);
    return this.data;
  }

  /** Capacity in values: the peak memory this stack has needed so far. */
  get capacity(): number {
    return this.data.length;
  }

  /** Room for `count` values above `top`: a new call's accounting when `top` is 0, the peak, growth by doubling. */
  private climb(top: number, count: number): void {
    if (top === 0) {
      this.recent = Math.max(this.peak, this.recent - (this.recent >>> 3));
      this.peak = 0;
      const kept = keptCapacity(this.recent, count);
      if (this.data.length >= 4 * kept) this.data = new Float64Array(kept);
    }
    if (top + count > this.peak) this.peak = top + count;
    if (top + count > this.data.length) {
      let length = this.data.length;
      while (top + count > length) length *= 2;
      const next = new Float64Array(length);
      next.set(this.data);
      this.data = next;
    }
  }
}

/** A LIFO stack of int32 values (branch decisions, loop trip counts, indices). */
export class IntStack {
  private data = new Int32Array(INITIAL_CAPACITY);
  private top = 0;
  /** The largest size this call has reached so far (a call begins when the stack is pushed while empty). */
  private peak = 0;
  /** What recent calls needed: the running maximum of their peaks, decaying by 1/8 per call. */
  private recent = 0;

  constructor() {
    registerStack(this);
  }

  push(value: number): void {
    const top = this.top;
    if (top >= this.peak) {
      this.peak = top + 1;
      if (top === this.data.length) this.climb(top, 1);
    } else if (top === 0) this.climb(0, 1);
    this.data[top] = value;
    this.top = top + 1;
  }

  pop(): number {
    return this.data[--this.top]!;
  }

  rewind(size: number): void {
    this.top = size;
  }

  get size(): number {
    return this.top;
  }

  /** As NumberStack's: after a loop that kept its own top (compiler/transform/cursors.ts). */
  set size(size: number) {
    this.top = size;
    if (size > this.peak) this.peak = size;
  }

  /** The buffer behind the stack, for a loop that keeps the top in a local. */
  get buffer(): Int32Array {
    return this.data;
  }

  /** The buffer, with room for `count` more values above `top`; it may be a new one. */
  reserve(top: number, count: number): Int32Array {
    this.climb(top, count);
    return this.data;
  }

  get capacity(): number {
    return this.data.length;
  }

  /** Room for `count` values above `top`: a new call's accounting when `top` is 0, the peak, growth by doubling. */
  private climb(top: number, count: number): void {
    if (top === 0) {
      this.recent = Math.max(this.peak, this.recent - (this.recent >>> 3));
      this.peak = 0;
      const kept = keptCapacity(this.recent, count);
      if (this.data.length >= 4 * kept) this.data = new Int32Array(kept);
    }
    if (top + count > this.peak) this.peak = top + count;
    if (top + count > this.data.length) {
      let length = this.data.length;
      while (top + count > length) length *= 2;
      const next = new Int32Array(length);
      next.set(this.data);
      this.data = next;
    }
  }
}
