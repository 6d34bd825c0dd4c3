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
  /**
   * With `cpu`: CPU milliseconds per stage (the process's, its garbage collector's threads
   * included), which a machine shared with other work does not inflate as it does the wall
   * times.
   */
  readonly cpuTotals = new Map<string, number>();
  /** Milliseconds (wall, CPU) taken by the stages running inside each open stage. */
  private readonly open: [number, number][] = [];

  constructor(private readonly cpu = false) {}

  time<T>(stage: string, run: () => T): T {
    const started = this.now();
    this.open.push([0, 0]);
    try {
      return run();
    } finally {
      this.close(stage, started);
    }
  }

  async timeAsync<T>(stage: string, run: () => Promise<T>): Promise<T> {
    const started = this.now();
    this.open.push([0, 0]);
    try {
      return await run();
    } finally {
      this.close(stage, started);
    }
  }

  private now(): [number, number] {
    if (!this.cpu) return [performance.now(), 0];
    const { user, system } = process.cpuUsage();
    return [performance.now(), (user + system) / 1000];
  }

  private close(stage: string, started: [number, number]): void {
    const ended = this.now();
    const elapsed = ended[0] - started[0];
    const cpu = ended[1] - started[1];
    const [nested, nestedCpu] = this.open.pop()!;
    const outer = this.open[this.open.length - 1];
    if (outer) {
      outer[0] += elapsed;
      outer[1] += cpu;
    }
    this.totals.set(stage, (this.totals.get(stage) ?? 0) + elapsed - nested);
    if (this.cpu) this.cpuTotals.set(stage, (this.cpuTotals.get(stage) ?? 0) + cpu - nestedCpu);
  }
}

/** Runs `run`, timed under `stage` when there is a clock. */
export function timed<T>(clock: StageClock | undefined, stage: string, run: () => T): T {
  return clock ? clock.time(stage, run) : run();
}
