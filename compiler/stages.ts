/**
 * Where the compile time goes: milliseconds per stage (project creation, parsing, lowering,
 * each pass of PIPELINES, printing, formatting), summed over a build. Times are exclusive:
 * a stage run inside another (the Jacobian's sweeps run passes of their own) is counted
 * once, under its own name. `tsgrad build --verbose` prints them; `npm run bench:compile`
 * tabulates them.
 */
export class StageClock {
  /** Milliseconds per stage, in the order stages first ran. */
  readonly totals = new Map<string, number>();
  /** Milliseconds taken by the stages running inside each open stage. */
  private readonly open: number[] = [];

  time<T>(stage: string, run: () => T): T {
    const started = performance.now();
    this.open.push(0);
    try {
      return run();
    } finally {
      this.close(stage, started);
    }
  }

  async timeAsync<T>(stage: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.open.push(0);
    try {
      return await run();
    } finally {
      this.close(stage, started);
    }
  }

  private close(stage: string, started: number): void {
    const elapsed = performance.now() - started;
    const nested = this.open.pop()!;
    if (this.open.length > 0) this.open[this.open.length - 1]! += elapsed;
    this.totals.set(stage, (this.totals.get(stage) ?? 0) + elapsed - nested);
  }
}

/** Runs `run`, timed under `stage` when there is a clock. */
export function timed<T>(clock: StageClock | undefined, stage: string, run: () => T): T {
  return clock ? clock.time(stage, run) : run();
}
