/**
 * A value reverse mode would save but the reverse sweep never reads is not saved (issue 17,
 * item 6): a loop with `break` becomes a while loop whose counter's final value the reverse
 * loop overwrites (it restores the counter at the top of each iteration) before reading it.
 * analysis/entryValue.ts decides; its cases below.
 */
import { describe, expect, it } from "vitest";
import { readsEntryValue } from "../compiler/analysis/entryValue.ts";
import * as b from "../compiler/ir/build.ts";
import type { Stmt } from "../compiler/ir/nodes.ts";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";

describe("a while loop's counter", () => {
  it("is pushed in the loop, where each iteration overwrites it, and not after it", async () => {
    const built = await build(`/**
 * @grad x
 * @hvp x
 */
export function f(x: number[], p: number): number {
  let s = 0;
  for (let i = x.length - 1; i >= 0; i--) {
    s = 0.7 * s + Math.sin(x[i]);
    if (x[i] < p) break;
  }
  return s;
}
`);
    // The snapshot shows: i pushed once per iteration (through the loop's stack cursor), where
    // each iteration overwrites it, and never after the loop (no pop before the reverse loop,
    // which restores i at the top of each iteration: let i = 0 before it). fGradInto's code is
    // the same sweep without tangents: test/golden.test.ts's "a loop with break" (this function).
    expect(generatedFunction(built.text, "fHvpInto")).toMatchInlineSnapshot(`
      "export function fHvpInto(
        x: number[],
        p: number,
        v: FGradient,
        grad: FGradient,
        hvp: FGradient,
      ): number {
        const x_dot = v.x;
        const x_bar = grad.x;
        const x_bar_dot = hvp.x;
        // forward sweep
        let s = 0;
        {
          let broke = false;
          {
            let i = x.length - 1;
            let trips = 0;
            {
              let savedTop = valueStack.size;
              let saved = valueStack.reserve(savedTop, 1);
              while (!broke && i >= 0) {
                if (savedTop + 1 > saved.length) {
                  saved = valueStack.reserve(savedTop, 1);
                }
                s = 0.7 * s + Math.sin(x[i]);
                if (x[i] < p) {
                  broke = true;
                }
                saved[savedTop++] = i;
                i--;
                trips++;
              }
              valueStack.size = savedTop;
            }
            controlStack.push(trips);
          }
        }
        // reverse sweep
        let s_bar = 1;
        x_bar.fill(0);
        x_bar_dot.fill(0);
        {
          let i = 0;
          // line 7: for (let i = x.length - 1; i >= 0; i--) {
          {
            let savedTop = valueStack.size;
            const saved = valueStack.buffer;
            for (let trips = controlStack.pop(); trips > 0; trips--) {
              i = saved[--savedTop];
              // line 8: s = 0.7 * s + Math.sin(x[i]);
              const _t1 = Math.cos(x[i]);
              const _t1_dot = -(Math.sin(x[i]) * x_dot[i]);
              x_bar_dot[i] += s_bar * _t1_dot;
              x_bar[i] += s_bar * _t1;
              s_bar *= 0.7;
            }
            valueStack.size = savedTop;
          }
        }
        return s;
      }
      "
    `);
    await checkGradientAndHvp(built, "f", [[0.3, -1.2, 0.8, 2.1], 0.5], ["x"], { x: [1, -0.5, 0.25, 2] });
    await checkGradientAndHvp(built, "f", [[0.3, -1.2, 0.8, 2.1], -5], ["x"], { x: [1, -0.5, 0.25, 2] });
  });
});

describe("readsEntryValue", () => {
  const i = b.v("i");
  const set = (value = b.num(1)): Stmt => b.assign(i as never, value);
  const use: Stmt = b.assign(b.v("y") as never, b.add(i, b.num(1)));
  const loop = (body: Stmt[], form: "while" | "doWhile" = "while"): Stmt => ({ kind: "loop", form, init: [], test: b.bin("<", b.v("k"), b.num(3)), update: [], body });
  const branch = (then: Stmt[], otherwise: Stmt[]): Stmt => ({ kind: "if", test: b.v("c"), then, else: otherwise });

  it("a read before any write reads it; a write before any read does not", () => {
    expect(readsEntryValue([use, set()], "i")).toBe(true);
    expect(readsEntryValue([set(), use], "i")).toBe(false);
    expect(readsEntryValue([set(b.add(i, b.num(1)))], "i")).toBe(true); // i = i + 1
    expect(readsEntryValue([], "i")).toBe(false);
  });
  it("a loop may run zero times: what follows it may read the value", () => {
    expect(readsEntryValue([loop([set(), use])], "i")).toBe(false);
    expect(readsEntryValue([loop([set(), use]), use], "i")).toBe(true);
    expect(readsEntryValue([loop([use, set()])], "i")).toBe(true);
    expect(readsEntryValue([loop([set()], "doWhile"), use], "i")).toBe(false);
  });
  it("a branch overwrites it only if both arms do", () => {
    expect(readsEntryValue([branch([set()], [set()]), use], "i")).toBe(false);
    expect(readsEntryValue([branch([set()], []), use], "i")).toBe(true);
    expect(readsEntryValue([branch([use], [set()])], "i")).toBe(true);
  });
  it("break ends a path without writing; a declaration of the same name counts as a read", () => {
    expect(readsEntryValue([loop([{ kind: "break" }, set()]), use], "i")).toBe(true);
    expect(readsEntryValue([{ kind: "block", body: [b.declare("i", b.num(0))] }, set()], "i")).toBe(true);
  });
});
