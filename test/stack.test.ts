/**
 * The runtime stacks' rewind: after `rewind(mark)`, pops return again what they returned
 * after the mark was taken (fVjpRowsInto replays one forward sweep's values for every
 * cotangent row), also across a growth of the buffer.
 */
import { describe, expect, it } from "vitest";
import { IntStack, NumberStack, pendingStackEntries } from "../runtime/stack.ts";

describe.each([
  ["NumberStack", () => new NumberStack(), (k: number) => k + 0.5],
  ["IntStack", () => new IntStack(), (k: number) => 3 * k - 7],
] as const)("%s.rewind", (_, make, valueAt) => {
  it("replays the values above a mark, as often as asked", () => {
    const stack = make();
    stack.push(valueAt(-1));
    const mark = stack.size;
    for (let k = 0; k < 3000; k++) stack.push(valueAt(k)); // past the initial capacity
    const top = stack.size;
    for (let replay = 0; replay < 3; replay++) {
      stack.rewind(top);
      for (let k = 2999; k >= 0; k--) expect(stack.pop()).toBe(valueAt(k));
      expect(stack.size).toBe(mark);
    }
    stack.rewind(0);
    expect(stack.size).toBe(0);
    expect(pendingStackEntries()).toBe(0);
  });

  it("rewinding to the current size changes nothing; pushes after a rewind overwrite what was above", () => {
    const stack = make();
    stack.push(valueAt(1));
    stack.push(valueAt(2));
    stack.rewind(2);
    expect(stack.size).toBe(2);
    stack.rewind(1);
    stack.push(valueAt(5));
    expect(stack.pop()).toBe(valueAt(5));
    expect(stack.pop()).toBe(valueAt(1));
    expect(stack.size).toBe(0);
  });
});
