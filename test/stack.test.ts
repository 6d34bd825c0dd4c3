/**
 * The runtime stacks' rewind: after `rewind(mark)`, pops return again what they returned
 * after the mark was taken (fVjpRowsInto replays one forward sweep's values for every
 * cotangent row), also across a growth of the buffer. Their memory: given back after a
 * large call (the policy in runtime/stack.ts), kept for a repeated one. The stacks of a
 * generated gradient (copies of these): test/runtime-helpers.test.ts. Nothing here compiles,
 * so mutation testing can run it against runtime/stack.ts (test/mutation/).
 */
import { describe, expect, it } from "vitest";
import { IntStack, NumberStack, pendingStackEntries, stackBytes } from "../runtime/stack.ts";

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

describe.each([
  ["NumberStack", () => new NumberStack()],
  ["IntStack", () => new IntStack()],
] as const)("%s memory", (_, make) => {
  /** One call: `n` pushes (through push, or a loop's reserve and local top), then as many pops. */
  const call = (stack: NumberStack | IntStack, n: number, cursor = false) => {
    if (cursor) {
      let top = stack.size;
      const buffer = stack.reserve(top, n);
      for (let k = 0; k < n; k++) buffer[top++] = k;
      stack.size = top;
    } else for (let k = 0; k < n; k++) stack.push(k);
    for (let k = n - 1; k >= 0; k--) if (stack.pop() !== k) throw new Error(`pop ${k} of ${n}: wrong value`);
  };

  it("gives the memory of one large call back after smaller calls, in steps, down to the initial buffer", () => {
    const stack = make();
    call(stack, 1_000_000);
    expect(stack.capacity).toBe(1 << 20);
    const capacities: number[] = [];
    for (let k = 0; k < 80; k++) {
      call(stack, 100, k % 2 === 1);
      capacities.push(stack.capacity);
    }
    // Kept through the first calls (a large call may come again), then given back by quarters.
    expect(capacities.slice(0, 10).every((c) => c === 1 << 20)).toBe(true);
    expect(capacities.findIndex((c) => c < 1 << 20)).toBeLessThan(20);
    expect(capacities.at(-1)).toBe(1024);
    for (let k = 1; k < capacities.length; k++) expect(capacities[k]! === capacities[k - 1] || capacities[k]! <= capacities[k - 1]! / 4).toBe(true);
  });

  it("keeps its buffer for a repeated call, and for mixed sizes keeps what the large calls need", () => {
    const stack = make();
    call(stack, 50_000);
    const buffer = stack.buffer;
    for (let k = 0; k < 100; k++) call(stack, 50_000, k % 3 === 0);
    expect(stack.buffer).toBe(buffer);
    // One large call in every eight: never given back, never grown again.
    for (let k = 0; k < 100; k++) call(stack, k % 8 === 0 ? 50_000 : 10);
    expect(stack.buffer).toBe(buffer);
  });

  it("never gives back a buffer whose values a rewind can still replay", () => {
    const stack = make();
    for (let k = 0; k < 100; k++) call(stack, 10);
    for (let k = 0; k < 200_000; k++) stack.push(k % 1000);
    const top = stack.size;
    for (let replay = 0; replay < 30; replay++) {
      stack.rewind(top);
      for (let k = 199_999; k >= 0; k--) if (stack.pop() !== k % 1000) throw new Error(`replay ${replay}: value ${k} lost`);
    }
    expect(stack.size).toBe(0);
  });
});

describe("the registry tests and the bench read", () => {
  it("counts the values every stack holds and the bytes of their buffers", () => {
    const [entries, bytes] = [pendingStackEntries(), stackBytes()];
    const [a, b] = [new NumberStack(), new IntStack()];
    expect(stackBytes() - bytes).toBe(1024 * 8 + 1024 * 4); // the initial buffers: Float64, Int32
    for (let k = 0; k < 3; k++) a.push(k);
    b.push(7);
    expect(pendingStackEntries() - entries).toBe(4);
    a.pop();
    expect(pendingStackEntries() - entries).toBe(3);
    a.rewind(0);
    b.pop();
    expect(pendingStackEntries()).toBe(entries);
  });
});
