/**
 * Timing for side-by-side ratios on a noisy machine: each measurement runs the function
 * in a batch long enough to dwarf timer resolution, repeats the batch, and reports the
 * median time per call. Variants are interleaved round-robin so drift hits all equally.
 * Each variant gets its own batch loop (a separate function, so its own type feedback):
 * one loop shared by every variant calls through a megamorphic site, which at n = 10
 * costs more than the work and skews ratios by whichever variant V8 happens to inline.
 */

export interface Measured {
  name: string;
  /** Median seconds per call. */
  median: number;
}

const WARMUP_MS = 150;

/** Times each variant; returns medians in the same order. */
/**
 * `clock: "cpu"` times batches in this process's CPU time (user + system) instead of wall
 * time: on a machine shared by many processes, time slicing then does not count, though
 * the caches they share still do.
 */
export function measure(variants: { name: string; run: () => unknown }[], options: { rounds?: number; minBatchMs?: number; clock?: "wall" | "cpu" } = {}): Measured[] {
  const rounds = options.rounds ?? 9;
  const minBatchMs = options.minBatchMs ?? 20;
  const loops = variants.map(() => batchLoop(options.clock === "cpu" ? cpuMs : wallMs));
  // Warm up (long enough for V8 to optimize a long function even when its background
  // compiler thread shares a busy machine) and pick a batch size per variant.
  const batch = variants.map((v, i) => {
    const warm = performance.now();
    for (let k = 0; k < 3 || performance.now() - warm < WARMUP_MS; k++) v.run();
    let n = 1;
    for (;;) {
      const ms = loops[i]!(v.run, n);
      if (ms >= minBatchMs || n >= 1 << 24) return n;
      n *= ms < minBatchMs / 8 ? 8 : 2;
    }
  });
  const samples: number[][] = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    variants.forEach((v, i) => {
      const n = batch[i]!;
      samples[i]!.push(loops[i]!(v.run, n) / 1000 / n);
    });
  }
  return variants.map((v, i) => ({ name: v.name, median: median(samples[i]!) }));
}

/** What the timing loops add their calls' results into, so that no call's work is dead. */
const sink = { value: 0 };

const wallMs = () => performance.now();
const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

/**
 * A fresh `(run, n) => ms` timing loop, compiled separately so its call site sees one
 * function only. It keeps what `run` returns (a value, or undefined as NaN) alive.
 */
function batchLoop(now: () => number): (run: () => unknown, n: number) => number {
  const loop = new Function(
    "run", "n", "sink", "now",
    "let kept = 0; const t0 = now(); for (let k = 0; k < n; k++) kept += +run(); const ms = now() - t0; sink.value += kept; return ms;",
  ) as (run: () => unknown, n: number, into: { value: number }, now: () => number) => number;
  return (run, n) => loop(run, n, sink, now);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/** Prints a table with aligned columns. */
export function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? formatRatio(c) : c)))];
  const widths = header.map((_, k) => Math.max(...cells.map((r) => String(r[k] ?? "").length)));
  console.log(`\n${title}`);
  for (const [i, row] of cells.entries()) {
    console.log(row.map((c, k) => String(c).padStart(widths[k]!)).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

export function formatRatio(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
