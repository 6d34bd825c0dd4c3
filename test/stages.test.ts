/** compiler/stages.ts: exclusive times per stage, wall always, CPU when asked for. */
import { describe, expect, it } from "vitest";
import { StageClock, timed } from "../compiler/stages.ts";

describe("StageClock", () => {
  it("counts a nested stage once, under its own name", () => {
    const clock = new StageClock();
    const value = clock.time("outer", () => timed(clock, "inner", () => 7) + timed(clock, "inner", () => 1));
    expect(value).toBe(8);
    expect([...clock.totals.keys()]).toEqual(["inner", "outer"]);
    expect(clock.cpuTotals.size).toBe(0);
  });

  it("also keeps CPU milliseconds per stage when asked for, for the same stages", async () => {
    const clock = new StageClock(true);
    await clock.timeAsync("format", async () => clock.time("print", () => "text"));
    expect([...clock.cpuTotals.keys()]).toEqual([...clock.totals.keys()]);
    for (const ms of clock.cpuTotals.values()) expect(Number.isFinite(ms)).toBe(true);
  });
});
