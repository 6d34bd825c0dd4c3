/** The `@checkpoint` directive's text: options, sizes, and what is not a directive. */
import { describe, expect, it } from "vitest";
import { checkpointDirective, parseCheckpointOptions, parseSize } from "../compiler/frontend/checkpointTag.ts";

describe("@checkpoint", () => {
  it("sizes are bytes with an optional unit in powers of 1024", () => {
    expect(parseSize("65536")).toBe(65536);
    expect(parseSize("256MB")).toBe(256 * 2 ** 20);
    expect(parseSize("1.5gb")).toBe(1.5 * 2 ** 30);
    expect(parseSize("64MiB")).toBe(64 * 2 ** 20);
    expect(parseSize("12kb")).toBe(12 * 1024);
    for (const bad of ["", "MB", "-1MB", "0", "1TB", "1 MB x", "1e9"]) expect(parseSize(bad), bad).toBeNull();
  });

  it("options", () => {
    expect(parseCheckpointOptions("")).toEqual({ options: {} });
    expect(parseCheckpointOptions("  snapshots=1000 ")).toEqual({ options: { snapshots: 1000 } });
    expect(parseCheckpointOptions("budget=256MB")).toEqual({ options: { budget: 256 * 2 ** 20 } });
  });

  it("says what is wrong", () => {
    expect(parseCheckpointOptions("snapshots=0")).toEqual({ error: expect.stringContaining("at least 1") });
    expect(parseCheckpointOptions("snapshots=2.5")).toEqual({ error: expect.stringContaining("whole number") });
    expect(parseCheckpointOptions("budget=lots")).toEqual({ error: expect.stringContaining("256MB") });
    expect(parseCheckpointOptions("snapshot=10")).toEqual({ error: "@checkpoint does not take 'snapshot=10' (known: snapshots=K, budget=SIZE)" });
    expect(parseCheckpointOptions("snapshots=10 budget=1GB")).toEqual({ error: expect.stringContaining("not both") });
    expect(parseCheckpointOptions("snapshots=10 snapshots=20")).toEqual({ error: "@checkpoint gives snapshots= twice" });
  });

  it("finds the directive at the start of a comment only", () => {
    expect(checkpointDirective("// @checkpoint")).toBe("");
    expect(checkpointDirective("//   @checkpoint snapshots=8")).toBe("snapshots=8");
    expect(checkpointDirective("/* @checkpoint budget=1GB */")).toBe("budget=1GB");
    expect(checkpointDirective("/**\n * @checkpoint snapshots=3\n */")).toBe("snapshots=3");
    expect(checkpointDirective("// see @checkpoint in the README")).toBeNull();
    expect(checkpointDirective("// @checkpointed")).toBeNull();
    expect(checkpointDirective("// a loop")).toBeNull();
  });
});
