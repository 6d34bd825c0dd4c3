/**
 * Checkpointed loops in reverse mode (transform/checkpoint.ts, README "Long loops in bounded
 * memory"). Each program is built twice, with its `@checkpoint` directive and without it,
 * and every generated entry point (gradient, HVP, VJP, Jacobian) must give the same bits
 * for several trip counts, including 0, 1 and counts past the snapshots; the checkpointed
 * build is also checked against the tape, central differences and gradient differences
 * (harness/check.ts). The text must call the schedule, so a test cannot pass because the
 * directive was ignored.
 */
import { describe, expect, it } from "vitest";
import { build, diagnose, generatedFunction, type Built } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { pendingStackEntries } from "../runtime/stack.ts";
import { Codes } from "../compiler/diagnostics.ts";
import { parseArgs } from "../compiler/cli/args.ts";
import { loadConfig } from "../compiler/cli/config.ts";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { nestFunction } from "./harness/large-sources.ts";
import os from "node:os";
import path from "node:path";

/** A 1-D heat equation with a cubic reaction (samples/heat.ts): a typed-array state read around each point. */
const HEAT = `/**
 * @grad u0, kappa
 * @hvp u0, kappa
 */
export function heat(u0: Float64Array, kappa: number, dt: number, steps: number): number {
  const n = u0.length;
  const u = Float64Array.from(u0);
  const next = new Float64Array(n);
  //CHECKPOINT
  for (let s = 0; s < steps; s++) {
    for (let i = 1; i + 1 < n; i++) {
      const curvature = u[i - 1] - 2 * u[i] + u[i + 1];
      next[i] = u[i] + dt * (kappa * curvature - u[i] * u[i] * u[i]);
    }
    for (let i = 1; i + 1 < n; i++) u[i] = next[i];
  }
  let loss = 0;
  for (let i = 0; i < n; i++) loss += (u[i] - 0.5) * (u[i] - 0.5);
  return loss;
}
`;

/** RK4 on Lotka–Volterra (samples/rk4.ts): an inlined helper writing into arrays, stage values saved. */
const RK4 = `function lotkaVolterra(state: readonly number[], rates: readonly number[], out: number[]): void {
  out[0] = rates[0] * state[0] - rates[1] * state[0] * state[1];
  out[1] = rates[2] * state[0] * state[1] - rates[3] * state[1];
}
/**
 * @grad state0, rates
 * @hvp state0, rates
 */
export function rk4(state0: readonly number[], rates: readonly number[], h: number, steps: number): number {
  const y = [state0[0], state0[1]];
  const k1 = new Array(2).fill(0);
  const k2 = new Array(2).fill(0);
  const k3 = new Array(2).fill(0);
  const k4 = new Array(2).fill(0);
  const stage = new Array(2).fill(0);
  //CHECKPOINT
  for (let s = 0; s < steps; s++) {
    lotkaVolterra(y, rates, k1);
    for (let i = 0; i < 2; i++) stage[i] = y[i] + 0.5 * h * k1[i];
    lotkaVolterra(stage, rates, k2);
    for (let i = 0; i < 2; i++) stage[i] = y[i] + 0.5 * h * k2[i];
    lotkaVolterra(stage, rates, k3);
    for (let i = 0; i < 2; i++) stage[i] = y[i] + h * k3[i];
    lotkaVolterra(stage, rates, k4);
    for (let i = 0; i < 2; i++) y[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  const dx = y[0] - 1;
  const dy = y[1] - 0.5;
  return dx * dx + dy * dy;
}
`;

/** RK4 with its gradient only (the HVP is checked once, within a budget). */
const RK4_GRAD = RK4.replace(" * @hvp state0, rates\n", "");

/** A branch in the body, a scalar running sum and an early exit. */
const BRANCHY = `/**
 * @grad x, p
 * @hvp x, p
 */
export function branchy(x: number[], p: number, steps: number): number {
  const y = [x[0], x[1]];
  let acc = 0;
  //CHECKPOINT
  for (let k = 0; k < steps; k++) {
    if (y[0] > y[1]) {
      y[0] = y[0] - 0.05 * Math.sin(p * y[1]);
    } else {
      y[1] = y[1] * (1 - 0.01 * p) + 0.02 * y[0];
    }
    acc = acc + y[0] * y[1];
    if (acc > 5) break;
  }
  return y[0] * y[0] + 3 * y[1] + acc;
}
`;

/** The same with a vector result: VJPs and the Jacobian's reverse sweeps (rows). */
const BRANCHY_VECTOR = `/**
 * @vjp x, p
 * @jacobian x, p
 */
export function branchyVector(x: number[], p: number, steps: number): number[] {
  const y = [x[0], x[1]];
  let acc = 0;
  let flips = 0;
  //CHECKPOINT
  for (let k = 0; k < steps; k++) {
    if (y[0] > y[1]) {
      y[0] = y[0] - 0.05 * Math.sin(p * y[1]);
      flips = flips + 1;
    } else {
      y[1] = y[1] * (1 - 0.01 * p) + 0.02 * y[0];
    }
    acc = acc + y[0] * y[1];
    if (acc > 5) break;
  }
  return [y[0] * y[0] + 3 * y[1] + acc, flips * p, acc * y[1]];
}
`;

/** A while loop: the trip count is known only when it ends (online checkpointing). */
const ONLINE = `/**
 * @grad x, p
 * @hvp x, p
 */
export function online(x: number, p: number, limit: number): number {
  let y = x;
  let t = 0;
  //CHECKPOINT
  while (t < limit) {
    y = y + 0.1 * Math.sin(p * y + t);
    t = t + 0.1 + 0.01 * y * y;
  }
  return y * t;
}
`;

/** A checkpointed loop inside a checkpointed loop. */
const NESTED = `/**
 * @grad x, p
 * @hvp x, p
 */
export function nested(x: number[], p: number, outer: number, inner: number): number {
  const y = Float64Array.from(x);
  let s = 0;
  //CHECKPOINT
  for (let a = 0; a < outer; a++) {
    //CHECKPOINT
    for (let k = 0; k < inner; k++) {
      for (let i = 0; i < y.length; i++) y[i] = y[i] + 0.01 * Math.sin(p * y[(i + 1) % y.length]);
    }
    s = s + y[0] * p;
  }
  return s + y[1];
}
`;

/**
 * A forced system: the body reads its counter (the time), and so does the loop nested in it;
 * an early exit. Each mode alone in its file (a mode's driver must keep the schedule's helper).
 * (The nested loop reads `force`, declared before the outer loop: declared in the outer body,
 * the nested loop's recomputation in the reverse phase could not see it: TSG2008, below.)
 */
const FORCED = `/**
 * @hessian x, p
 */
export function forced(x: number[], p: number, steps: number): number {
  const y = [x[0], x[1]];
  let force = 0;
  //CHECKPOINT
  for (let t = 0; t < steps; t++) {
    force = Math.sin(0.1 * t * p);
    //CHECKPOINT
    for (let k = 0; k < 3; k++) y[k % 2] = y[k % 2] + 0.01 * (force - y[(k + 1) % 2] * y[k % 2] + Math.cos(k + t));
    if (y[0] > 4) break;
  }
  return y[0] * y[1];
}
`;
const FORCED_ROWS = FORCED.replace("@hessian x, p", "@jacobian x, p").replace("steps: number): number {", "steps: number): number[] {").replace("return y[0] * y[1];", "return [y[0] * y[1], y[0] + p];");

/**
 * Rounds of a heat-like relaxation: the checkpointed time loop runs inside a loop that is
 * not checkpointed (each round: one run of its schedule, started from the entry state the
 * forward sweep saved), reads a constant of the round's body (`dt`) and carries an array
 * (`u`) and a number (`drift`) the round declares; the round writes the state after it.
 */
const ROUNDS = `/**
 * @grad u0, kappa
 * @hvp u0, kappa
 */
export function rounds(u0: Float64Array, kappa: number, count: number, steps: number): number {
  const n = u0.length;
  const u = Float64Array.from(u0);
  let loss = 0;
  for (let r = 0; r < count; r++) {
    const dt = 0.05 / (r + 1);
    let drift = 0;
    //CHECKPOINT
    for (let s = 0; s < steps; s++) {
      for (let i = 1; i + 1 < n; i++) u[i] = u[i] + dt * (kappa * (u[i - 1] - 2 * u[i] + u[i + 1]) - u[i] * u[i] * u[i]);
      drift = drift + u[1] * dt;
    }
    loss = loss + drift * drift + u[2] * kappa;
    u[0] = Math.sin(u[n - 2] * kappa);
  }
  return loss;
}
`;
const ROUNDS_VECTOR = ROUNDS.replace("@grad u0, kappa\n * @hvp u0, kappa", "@vjp u0, kappa\n * @jacobian u0, kappa").replace("steps: number): number {", "steps: number): number[] {").replace("return loss;", "return [loss, u[1] * kappa, drift];").replace("let drift = 0;\n", "").replace("  let loss = 0;\n", "  let loss = 0;\n  let drift = 0;\n").replace("    //CHECKPOINT", "    drift = 0;\n    //CHECKPOINT");

/**
 * A while loop (online schedule) with an early exit inside a loop that is not checkpointed;
 * its counter is declared by the round, and its test reads a bound the round changes after it.
 */
const RELAX = `/**
 * @grad x, p
 * @hvp x, p
 */
export function relax(x: number[], p: number, count: number, limit: number): number {
  const y = [x[0], x[1]];
  let total = 0;
  let span = limit;
  for (let r = 0; r < count; r++) {
    let t = 0;
    //CHECKPOINT
    while (t < span) {
      y[0] = y[0] + 0.1 * Math.sin(p * y[1] + t);
      y[1] = y[1] * (1 - 0.01 * p) + 0.02 * y[0];
      t = t + 0.1 + 0.01 * y[0] * y[0];
      if (y[1] > 3) break;
    }
    total = total + y[0] * t;
    span = span + 0.5;
  }
  return total + y[1];
}
`;

/** Checkpointed, then not, then checkpointed: the innermost loop runs again in each of its round's reverse sweeps, inside the outer loop's recorded steps. */
const SANDWICH = `/**
 * @grad x, p
 * @hvp x, p
 */
export function sandwich(x: number[], p: number, outer: number, inner: number): number {
  const y = Float64Array.from(x);
  let s = 0;
  //CHECKPOINT
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < 2; c++) {
      const w = p * (c + 1);
      //CHECKPOINT
      for (let k = 0; k < inner; k++) {
        for (let i = 0; i < y.length; i++) y[i] = y[i] + 0.01 * Math.sin(w * y[(i + 1) % y.length]);
      }
      s = s + y[c] * w;
    }
  }
  return s + y[1];
}
`;

type Fn = (...args: unknown[]) => unknown;

/** Same bits everywhere (numbers by Object.is, typed arrays and records field by field). */
function expectSameBits(a: unknown, b: unknown, where: string): void {
  if (typeof a === "number") {
    if (!Object.is(a, b)) expect.fail(`${where}: ${a} vs ${String(b)}`);
    return;
  }
  if (a && typeof a === "object") {
    const keys = Object.keys(a);
    expect(Object.keys(b as object), where).toEqual(keys);
    for (const k of keys) expectSameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
    return;
  }
  expect(a, where).toBe(b);
}

/**
 * Builds `program` (its last function is `name`) in one file with a twin: `name` with every
 * `//CHECKPOINT` line replaced by `directive`, `${name}StoreAll` without the directive.
 */
async function both(program: string, name: string, directive: string, tagged = program): Promise<Built> {
  const twin = program.slice(program.lastIndexOf("/**", program.indexOf(`export function ${name}(`)));
  const text = `${tagged.replaceAll("//CHECKPOINT", directive)}\n${twin.replace(`export function ${name}(`, `export function ${name}StoreAll(`).replaceAll("//CHECKPOINT", "")}`;
  return build(text);
}

/** Every generated entry point of `name` against its store-all twin's, for each argument list; `extra` are the seeds a mode takes. */
function expectIdentical(built: Built, name: string, argLists: unknown[][], extra: (entry: string, args: unknown[]) => unknown[] = () => []): string[] {
  const checked: string[] = [];
  for (const [entry, fn] of Object.entries(built.generated)) {
    if (typeof fn !== "function" || !entry.startsWith(name) || entry.includes("StoreAll") || entry.endsWith("Into")) continue;
    for (const args of argLists) {
      const seeds = extra(entry, args);
      const a = (fn as Fn)(...structuredClone(args), ...structuredClone(seeds));
      expect(pendingStackEntries()).toBe(0);
      const b = (built.generated[entry.replace(name, `${name}StoreAll`)] as Fn)(...structuredClone(args), ...structuredClone(seeds));
      expectSameBits(a, b, `${entry}(${JSON.stringify(args)})`);
    }
    checked.push(entry);
  }
  return checked;
}

const hvpSeed = (v: Record<string, unknown>) => (name: string) => (name.endsWith("Hvp") ? [v] : []);

describe("checkpointed loops give the store-all derivatives, bit for bit", () => {
  it("heat equation (typed-array state), revolve with 3 snapshots", async () => {
    const pair = await both(HEAT, "heat", "// @checkpoint snapshots=3");
    expect(pair.text).toContain("heatGradIntoSchedule.start(");
    expect(pair.text).toMatch(/the state \(u\) is saved/);
    expect(generatedFunction(pair.text, "heatStoreAllGradInto")).not.toContain("Schedule");
    const u0 = Float64Array.from([0, 0.4, 0.9, 0.7, 0.2, 0]);
    const v = { u0: Float64Array.from([0, 1, -0.5, 0.25, 2, 0]), kappa: -0.7 };
    const checked = expectIdentical(pair, "heat", [0, 1, 2, 3, 4, 7, 40, 333].map((steps) => [u0, 0.2, 0.05, steps]), hvpSeed(v));
    expect(checked).toEqual(["heatGrad", "heatHvp"]);
    await checkGradientAndHvp(pair, "heat", [u0, 0.2, 0.05, 25], ["u0", "kappa"], v);
  });

  for (const snapshots of [1, 20]) {
    it(`RK4 Lotka–Volterra, ${snapshots} snapshot${snapshots === 1 ? " (every step recomputed from the start)" : "s"}`, async () => {
      const pair = await both(RK4_GRAD, "rk4", `// @checkpoint snapshots=${snapshots}`);
      expect(pair.text).toContain(`rk4GradIntoSchedule.start(Math.ceil(steps), ${snapshots}, `);
      const v = { state0: [0.3, -1], rates: [1, 0.5, -0.25, 2] };
      expectIdentical(pair, "rk4", [0, 1, 5, 64, 400].map((steps) => [[1.2, 0.8], [1.1, 0.4, 0.4, 0.9], 0.01, steps]), hvpSeed(v));
    });
  }

  it("RK4 within a budget, blocks of steps recorded at once", async () => {
    const pair = await both(RK4, "rk4", "// @checkpoint budget=1KB");
    expect(pair.text).toMatch(/rk4GradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*1024,/);
    const v = { state0: [0.3, -1], rates: [1, 0.5, -0.25, 2] };
    expectIdentical(pair, "rk4", [0, 1, 16, 17, 400, 3000].map((steps) => [[1.2, 0.8], [1.1, 0.4, 0.4, 0.9], 0.01, steps]), hvpSeed(v));
    await checkGradientAndHvp(pair, "rk4", [[1.2, 0.8], [1.1, 0.4, 0.4, 0.9], 0.01, 300], ["state0", "rates"], v);
  });

  it("a branch and an early exit in the body", async () => {
    const pair = await both(BRANCHY, "branchy", "// @checkpoint snapshots=2");
    expect(pair.text).toContain("CheckpointAction.Restore");
    const v = { x: [0.5, -0.25], p: -0.7 };
    const args = [0, 1, 5, 200, 2000].flatMap((steps) => [[[0.3, 0.5], 1.3, steps], [[0.9, 0.5], 1.3, steps]]);
    expectIdentical(pair, "branchy", args, hvpSeed(v));
    await checkGradientAndHvp(pair, "branchy", [[0.9, 0.5], 1.3, 60], ["x", "p"], v);
  });

  it("VJPs and the Jacobian's reverse sweeps", async () => {
    const pair = await both(BRANCHY_VECTOR, "branchyVector", "// @checkpoint snapshots=2");
    expect(pair.text).toContain("branchyVectorVjpIntoSchedule");
    const args = [0, 1, 5, 200, 2000].flatMap((steps) => [[[0.3, 0.5], 1.3, steps], [[0.9, 0.5], 1.3, steps]]);
    const checked = expectIdentical(pair, "branchyVector", args, (name) => (name.endsWith("Vjp") ? [[0.7, -1.1, 0.3]] : []));
    expect(checked).toEqual(expect.arrayContaining(["branchyVectorVjp", "branchyVectorJacobian"]));
  });

  it("a while loop (online schedule), 3 snapshots", async () => {
    const pair = await both(ONLINE, "online", "// @checkpoint snapshots=3");
    expect(pair.text).toContain("onlineGradIntoSchedule.startOnline(3, 2)");
    const v = { x: 0.5, p: -0.7 };
    expectIdentical(pair, "online", [0, 0.05, 1, 10, 100].map((limit) => [0.3, 1.2, limit]), hvpSeed(v));
    await checkGradientAndHvp(pair, "online", [0.3, 1.2, 10], ["x", "p"], v);
  });

  it("a checkpointed loop inside a checkpointed loop", async () => {
    // Within a budget the inner loop is recorded whole, while the outer one must go step by step.
    const pair = await both(NESTED, "nested", "// @checkpoint budget=1KB");
    expect(pair.text.match(/Schedule(_\d+)?\.startWithin\(/g)?.length).toBeGreaterThanOrEqual(4);
    const v = { x: [0.5, -0.25, 1], p: -0.7 };
    const x = [0.3, 0.5, 0.1];
    expectIdentical(pair, "nested", [[0, 3], [1, 1], [4, 3], [13, 7], [40, 2]].map(([outer, inner]) => [x, 1.3, outer, inner]), hvpSeed(v));
    await checkGradientAndHvp(pair, "nested", [x, 1.3, 6, 5], ["x", "p"], v);
  });

  it("@checkpoint on the function checkpoints its outermost loops", async () => {
    const tagged = RK4_GRAD.replace(" * @grad state0, rates\n", " * @grad state0, rates\n * @checkpoint snapshots=4\n");
    const pair = await both(RK4_GRAD, "rk4", "", tagged);
    expect(pair.text).toContain("rk4GradIntoSchedule.start(Math.ceil(steps), 4, ");
    expectIdentical(pair, "rk4", [0, 3, 100].map((steps) => [[1.2, 0.8], [1.1, 0.4, 0.4, 0.9], 0.01, steps]), hvpSeed({ state0: [1, 0], rates: [0, 1, 0, 1] }));
  });
});

const forcedArgs = [0, 1, 7, 120].flatMap((steps) => [[[0.3, 0.5], 1.3, steps], [[3.9, 0.5], 2.1, steps]]);

describe("a body that reads its counter, a nested loop that reads the outer one's, each mode alone", () => {
  const args = forcedArgs;
  for (const directive of ["// @checkpoint snapshots=2", "// @checkpoint budget=64"]) {
    it(`@hessian (its vector sweep carries the tangents through the snapshots), ${directive}`, async () => {
      const pair = await both(FORCED, "forced", directive);
      expect(pair.text).toMatch(/forcedHvpLanesIntoSchedule(_\d+)?\.start/);
      const checked = expectIdentical(pair, "forced", args, (entry) => (entry.endsWith("Hvp") ? [{ x: [0.5, -0.25], p: -0.7 }] : []));
      expect(checked).toEqual(expect.arrayContaining(["forcedHessian", "forcedHvp"]));
    });
    it(`@jacobian, ${directive}`, async () => {
      const pair = await both(FORCED_ROWS, "forced", directive);
      expect(pair.text).toMatch(/forcedJacobianVjpIntoSchedule(_\d+)?\.start/);
      expect(expectIdentical(pair, "forced", args)).toEqual(["forcedJacobian"]);
    });
  }
});

describe("a checkpointed loop inside a loop that is not: one run of its schedule per run of the loop, started from the entry state the forward sweep saved", () => {
  const u0 = Float64Array.from([0, 0.4, 0.9, 0.7, 0.2, 0]);
  const uv = { u0: Float64Array.from([0, 1, -0.5, 0.25, 2, 0]), kappa: -0.7 };
  const roundArgs = [[0, 5], [1, 0], [1, 1], [2, 3], [3, 4], [4, 40]].map(([count, steps]) => [u0, 0.2, count, steps]);
  for (const directive of ["// @checkpoint snapshots=2", "// @checkpoint budget=256"]) {
    it(`@grad and @hvp, an array state, a constant of the round's body, ${directive}`, async () => {
      const pair = await both(ROUNDS, "rounds", directive);
      expect(generatedFunction(pair.text, "roundsGradInto")).toMatch(/its entry state \(drift, dt, u\) is saved here/);
      expect(expectIdentical(pair, "rounds", roundArgs, hvpSeed(uv))).toEqual(["roundsGrad", "roundsHvp"]);
      await checkGradientAndHvp(pair, "rounds", [u0, 0.2, 3, 7], ["u0", "kappa"], uv);
    });
    it(`@vjp and @jacobian (its rows), ${directive}`, async () => {
      const pair = await both(ROUNDS_VECTOR, "rounds", directive);
      expect(pair.text).toContain("roundsVjpIntoSchedule");
      const checked = expectIdentical(pair, "rounds", roundArgs, (entry) => (entry.endsWith("Vjp") ? [[0.7, -1.1, 0.3]] : []));
      expect(checked).toEqual(["roundsVjp", "roundsJacobian"]);
    });
    it(`a while loop with an early exit (online schedule), ${directive}`, async () => {
      const pair = await both(RELAX, "relax", directive);
      expect(pair.text).toContain("relaxGradIntoSchedule.startOnline");
      const v = { x: [0.5, -0.25], p: -0.7 };
      const args = [[0, 1], [1, 0], [1, 0.05], [2, 1], [3, 4], [2, 30]].flatMap(([count, limit]) => [[[0.3, 0.5], 1.3, count, limit], [[0.9, 2.8], 0.4, count, limit]]);
      expect(expectIdentical(pair, "relax", args, hvpSeed(v))).toEqual(["relaxGrad", "relaxHvp"]);
      await checkGradientAndHvp(pair, "relax", [[0.3, 0.5], 1.3, 3, 2], ["x", "p"], v);
    });
    it(`checkpointed, then not, then checkpointed, ${directive}`, async () => {
      const pair = await both(SANDWICH, "sandwich", directive);
      expect(generatedFunction(pair.text, "sandwichGradInto")).toContain("checkpointed inside a loop that is not");
      const v = { x: [0.5, -0.25, 1], p: -0.7 };
      const x = [0.3, 0.5, 0.1];
      expect(expectIdentical(pair, "sandwich", [[0, 3], [1, 0], [1, 1], [3, 2], [5, 7]].map(([outer, inner]) => [x, 1.3, outer, inner]), hvpSeed(v))).toEqual(["sandwichGrad", "sandwichHvp"]);
      await checkGradientAndHvp(pair, "sandwich", [x, 1.3, 3, 4], ["x", "p"], v);
    });
  }
  it("a variable of the round's body that the loop carries, read by the reverse sweep on both sides of it: restored in place (rolled back to the loop's entry)", async () => {
    const ROLL = `/**
 * @grad x, p
 * @hvp x, p
 */
export function roll(x: number[], p: number, count: number, steps: number): number {
  const y = [x[0], x[1]];
  let s = 0;
  for (let r = 0; r < count; r++) {
    let w = 0.5 * p + y[0];
    const q = w * w;
    //CHECKPOINT
    for (let k = 0; k < steps; k++) {
      w = w * 0.9 + Math.sin(y[0] * w) * 0.1;
      y[0] = y[0] + 0.01 * w * y[1];
    }
    s = s + w * y[1] + q;
  }
  return s;
}
`;
    const pair = await both(ROLL, "roll", "// @checkpoint snapshots=2");
    expect(generatedFunction(pair.text, "rollGradInto")).toMatch(/its entry state \(w, y\) is saved here/);
    const v = { x: [0.2, -1], p: 0.5 };
    expect(expectIdentical(pair, "roll", [[0, 2], [1, 3], [3, 5], [2, 0], [4, 11]].map(([count, steps]) => [[0.3, 0.7], 1.1, count, steps]), hvpSeed(v))).toEqual(["rollGrad", "rollHvp"]);
    await checkGradientAndHvp(pair, "roll", [[0.3, 0.7], 1.1, 3, 5], ["x", "p"], v);
  });
  const inPlain = FORCED.replace("  //CHECKPOINT\n  for (let t", "  for (let t");
  it("@hessian and @jacobian of the forced system whose outer loop is not checkpointed", async () => {
    const pair = await both(inPlain, "forced", "// @checkpoint snapshots=1");
    expect(pair.text).toMatch(/forcedHvpLanesIntoSchedule(_\d+)?\.start/);
    expect(expectIdentical(pair, "forced", forcedArgs, (entry) => (entry.endsWith("Hvp") ? [{ x: [0.5, -0.25], p: -0.7 }] : []))).toEqual(expect.arrayContaining(["forcedHessian", "forcedHvp"]));
    const rows = await both(FORCED_ROWS.replace("  //CHECKPOINT\n  for (let t", "  for (let t"), "forced", "// @checkpoint snapshots=1");
    expect(expectIdentical(rows, "forced", forcedArgs)).toEqual(["forcedJacobian"]);
  });
});

describe("a checkpointed loop reading a constant the reverse sweep does not declare", () => {
  it("of a block around it (read only by a branch's test, so store-all's reverse never needs it): saved with its state", async () => {
    const GATED = `/**
 * @grad x, p
 * @hvp x, p
 */
export function gated(x: number[], p: number, steps: number): number {
  const y = [x[0], x[1]];
  if (p > 0) {
    const c = Math.cos(p) + 0.5;
    //CHECKPOINT
    for (let k = 0; k < steps; k++) {
      if (y[0] > c) y[0] = y[0] + 0.1 * Math.sin(y[1] * p);
      y[1] = y[1] - 0.05 * y[0] * y[0];
    }
  }
  return y[0] * y[1];
}
`;
    const pair = await both(GATED, "gated", "// @checkpoint snapshots=2");
    expect(generatedFunction(pair.text, "gatedGradInto")).toMatch(/the state \(c, y\) is saved/);
    const v = { x: [0.5, -0.25], p: -0.7 };
    const args = [0, 1, 6, 50].flatMap((steps) => [[[0.9, 0.5], 1.3, steps], [[0.9, 0.5], -1, steps], [[1.9, 0.2], 0.4, steps]]);
    expect(expectIdentical(pair, "gated", args, hvpSeed(v))).toEqual(["gatedGrad", "gatedHvp"]);
    await checkGradientAndHvp(pair, "gated", [[1.9, 0.2], 0.4, 9], ["x", "p"], v);
  });

  // A constant of the outer loop's body, not declared where the outer loop's reverse phase runs the nested loop again.
  const inBody = FORCED.replace("  let force = 0;\n", "").replace("    force = Math.sin", "    const force = Math.sin");
  for (const directive of ["// @checkpoint snapshots=2", "// @checkpoint budget=64"]) {
    it(`of the outer checkpointed loop's body: saved with its state, ${directive}`, async () => {
      const pair = await both(inBody, "forced", directive);
      expect(pair.text).toMatch(/the state \(force, [^)]*\) is saved/);
      expect(expectIdentical(pair, "forced", forcedArgs, (entry) => (entry.endsWith("Hvp") ? [{ x: [0.5, -0.25], p: -0.7 }] : []))).toEqual(expect.arrayContaining(["forcedHessian", "forcedHvp"]));
    });
  }
});

describe("what the loop reads and later code overwrites", () => {
  it("is part of the state: the recomputed steps see the values of the forward phase (fuzz seed 777, program 40)", async () => {
    // The second loop overwrites gate; store-all's reverse never needs its old values, so
    // nothing restores them before the checkpointed loop recomputes its steps.
    const LATER = `/** @grad x */
export function later(x: number[], steps: number): number {
  const gate = [0.5, 0.5];
  let s = x[0];
  //CHECKPOINT
  for (let k = 0; k < steps; k++) {
    if (gate[k % 2] > 0.3) s = Math.sin(s) * x[1];
    else s = s * 0.5;
  }
  for (let k = 0; k < 2; k++) gate[k] = Math.cos(s + k);
  return s + gate[0];
}
`;
    const pair = await both(LATER, "later", "// @checkpoint snapshots=1");
    expect(pair.text).toMatch(/the state \(s, gate\) is saved/);
    expectIdentical(pair, "later", [0, 1, 3, 10].map((steps) => [[0.3, 1.7], steps]));
  });
});

describe("a shared callee's checkpointed loop (its pullback), called in a loop", () => {
  const SHARED = `/** @noinline */
function integrate(u: number, v: readonly number[], steps: number): number {
  let y = u;
  //CHECKPOINT
  for (let t = 0; t < steps; t++) y = y + 0.01 * Math.sin(y * v[t % v.length]);
  return y;
}

/** @grad x */
export function twice(x: number[], steps: number): number {
  let s = 0;
  for (let k = 0; k < 2; k++) s += integrate(x[k], x, steps) * x[1 - k];
  return s * integrate(x[0] * x[1], x, steps);
}
`;
  it("@grad: each call's pullback runs its schedule whole, bit-identical to store-all", async () => {
    const [checkpointed, storeAll] = [await build(SHARED.replace("//CHECKPOINT", "// @checkpoint snapshots=2")), await build(SHARED.replace("//CHECKPOINT", ""))];
    expect(checkpointed.text).toContain("integratePullback_u_vSchedule.start(Math.ceil(steps), 2, 1)");
    for (const steps of [0, 1, 5, 60]) {
      expectSameBits((checkpointed.generated.twiceGrad as Fn)([0.3, 0.7], steps), (storeAll.generated.twiceGrad as Fn)([0.3, 0.7], steps), `twiceGrad at ${steps} steps`);
      expect(pendingStackEntries()).toBe(0);
    }
  });
  it("@grad: a pullback whose checkpointed loop is inside a loop of the callee runs one schedule per run, bit-identical to store-all", async () => {
    const inLoop = SHARED.replace("  let y = u;\n  //CHECKPOINT\n  for (let t = 0; t < steps; t++) y = y + 0.01 * Math.sin(y * v[t % v.length]);", "  let y = u;\n  for (let r = 0; r < 2; r++) {\n    const gain = 0.01 * (r + 1);\n    //CHECKPOINT\n    for (let t = 0; t < steps; t++) y = y + gain * Math.sin(y * v[t % v.length]);\n  }");
    expect(inLoop).toContain("const gain");
    const [checkpointed, storeAll] = [await build(inLoop.replace("//CHECKPOINT", "// @checkpoint snapshots=2")), await build(inLoop.replace("//CHECKPOINT", ""))];
    expect(checkpointed.text).toMatch(/function integratePullback_u_v\([^]*its entry state \(gain, y\) is saved here/);
    for (const steps of [0, 1, 5, 60]) {
      expectSameBits((checkpointed.generated.twiceGrad as Fn)([0.3, 0.7], steps), (storeAll.generated.twiceGrad as Fn)([0.3, 0.7], steps), `twiceGrad at ${steps} steps`);
      expect(pendingStackEntries()).toBe(0);
    }
  });
  it("@hvp inlines the callee into the caller's loop: its schedule runs once per call in the reverse sweep, bit-identical to store-all", async () => {
    const hvp = (text: string) => build(text.replace("/** @grad x */", "/** @hvp x */"));
    const [checkpointed, storeAll] = [await hvp(SHARED.replace("//CHECKPOINT", "// @checkpoint snapshots=2")), await hvp(SHARED.replace("//CHECKPOINT", ""))];
    expect(generatedFunction(checkpointed.text, "twiceHvpInto")).toContain("checkpointed inside a loop that is not");
    for (const steps of [0, 1, 5, 60]) {
      const v = { x: [0.4, -1.3] };
      expectSameBits((checkpointed.generated.twiceHvp as Fn)([0.3, 0.7], steps, v), (storeAll.generated.twiceHvp as Fn)([0.3, 0.7], steps, v), `twiceHvp at ${steps} steps`);
      expect(pendingStackEntries()).toBe(0);
    }
  });
});

describe("the automatic policy (checkpointBudget)", () => {
  it("checkpoints an untagged counted loop that saves values, bit-identical to the sample's store-all gradient", async () => {
    const built = await build(RK4_GRAD.replaceAll("//CHECKPOINT", ""), { checkpointBudget: 2048 });
    expect(built.text).toMatch(/rk4GradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*2048,/);
    const sample = await import("../samples/rk4.grad.ts");
    for (const steps of [0, 1, 31, 32, 33, 1000]) {
      const args = [[1.2, 0.8], [1.1, 0.4, 0.4, 0.9], 0.01, steps] as const;
      expectSameBits((built.generated.rk4Grad as Fn)(...structuredClone(args)), sample.rk4Grad(...structuredClone(args)), `rk4Grad at ${steps} steps`);
      expect(pendingStackEntries()).toBe(0);
    }
  });

  it("--checkpoint-budget and the config's checkpointBudget take sizes", () => {
    expect(parseArgs(["build", "src", "--checkpoint-budget", "256MB"])).toMatchObject({ kind: "build", paths: ["src"], checkpointBudget: 256 * 2 ** 20 });
    expect(parseArgs(["build", "--checkpoint-budget=4096"])).toMatchObject({ checkpointBudget: 4096 });
    expect(() => parseArgs(["build", "--checkpoint-budget", "lots"])).toThrow("needs a size");
    const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-budget-"));
    writeFileSync(path.join(dir, "tsgrad.config.json"), JSON.stringify({ checkpointBudget: "1GB" }));
    expect(loadConfig(dir)?.checkpointBudget).toBe(2 ** 30);
    writeFileSync(path.join(dir, "tsgrad.config.json"), JSON.stringify({ checkpointBudget: "some" }));
    expect(() => loadConfig(dir)).toThrow("'checkpointBudget' must be a size");
  });

  it("--dump-after shows what the budget does (--checkpoint-budget, else the config's)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-budget-"));
    writeFileSync(path.join(dir, "package.json"), `{ "type": "module" }\n`);
    writeFileSync(path.join(dir, "loop.ts"), `/** @grad */\nexport function f(x: number, steps: number): number {\n  let y = x;\n  for (let s = 0; s < steps; s++) y = Math.sin(y) * 1.5 + x;\n  return y;\n}\n`);
    const dump = (...budget: string[]) => spawnSync(process.execPath, [fileURLToPath(new URL("../bin/tsgrad.js", import.meta.url)), "build", "loop.ts", "--dump-after", "checkpoints", ...budget], { cwd: dir, encoding: "utf8" }).stdout;
    expect(dump("--checkpoint-budget", "64")).toMatch(/fGradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*64,/);
    expect(dump()).not.toContain("Schedule");
    // The config's budget, as a build reads it; the option wins over it.
    writeFileSync(path.join(dir, "tsgrad.config.json"), JSON.stringify({ checkpointBudget: "2KB" }));
    expect(dump()).toMatch(/fGradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*2048,/);
    expect(dump("--checkpoint-budget", "64")).toMatch(/fGradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*64,/);
  }, 60_000);

  it("the build's retry in a large-stack worker (a source too deep for the main thread) keeps --checkpoint-budget", () => {
    // 1,500 nested parentheses run out of the main thread's stack (compiler/cli/largeStack.ts).
    const loop = `/** @grad */\nexport function f(x: number, steps: number): number {\n  let y = x;\n  for (let s = 0; s < steps; s++) y = Math.sin(y) * 1.5 + x;\n  return y;\n}\n`;
    const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-budget-"));
    writeFileSync(path.join(dir, "package.json"), `{ "type": "module" }\n`);
    writeFileSync(path.join(dir, "deep.ts"), loop + nestFunction(1500));
    const cli = (env: Record<string, string>) =>
      spawnSync(process.execPath, [fileURLToPath(new URL("../bin/tsgrad.js", import.meta.url)), "build", "deep.ts", "--no-cache", "--checkpoint-budget", "64", "--format", "json"], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });
    // With a worker stack no larger than the main thread's, the nest fails: the retry is what compiles it.
    expect(JSON.parse(cli({ TSGRAD_STACK_MB: "1" }).stdout).diagnostics.map((d: { code: string }) => d.code)).toContain("TSG1006");
    const report = JSON.parse(cli({}).stdout) as { diagnostics: unknown[]; written: string[] };
    expect(report).toMatchObject({ diagnostics: [], written: ["deep.grad.ts"] });
    expect(readFileSync(path.join(dir, "deep.grad.ts"), "utf8")).toMatch(/fGradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*64,/);
  }, 120_000);
});

describe("what a user sees", () => {
  it("a tagged loop that saves nothing is left as it is (no schedule in the file)", async () => {
    const built = await build(`/** @grad x */\nexport function sum(x: number[], steps: number): number {\n  let s = 0;\n  // @checkpoint snapshots=2\n  for (let k = 0; k < steps; k++) s += Math.sin(x[k % 2]) * x[1];\n  return s * s;\n}\n`);
    expect(built.text).not.toContain("CheckpointSchedule");
    const { grad } = (built.generated.sumGrad as Fn)([0.3, 0.7], 5) as { grad: { x: number[] } };
    const s = 3 * Math.sin(0.3) * 0.7 + 2 * Math.sin(0.7) * 0.7;
    expect(grad.x[0]).toBeCloseTo(2 * s * 3 * Math.cos(0.3) * 0.7, 12);
  });


  it("a directive not above a loop, a bad option, a state that cannot be saved, an array the reverse sweep cannot see: TSG2008 at the line", async () => {
    const misplaced = await diagnose(`/** @grad x */\nexport function f(x: number): number {\n  // @checkpoint\n  const y = x * 2;\n  return y;\n}\n`);
    expect(misplaced.map((d) => [d.code, d.line])).toEqual([[Codes.BadCheckpoint, 4]]);
    expect(misplaced[0]!.message).toContain("directly above a loop");
    const option = await diagnose(`/** @grad x */\nexport function f(x: number): number {\n  let y = x;\n  // @checkpoint snapshots=0\n  for (let i = 0; i < 3; i++) y = Math.sin(y);\n  return y;\n}\n`);
    expect(option.map((d) => [d.code, d.line])).toEqual([[Codes.BadCheckpoint, 4]]);
    const unsaveable = await diagnose(
      `/** @grad x */\nexport function f(x: number): number {\n  const hist: number[] = [];\n  let y = x;\n  // @checkpoint\n  for (let i = 0; i < 3; i++) {\n    hist.push(y);\n    hist[0] = y * 2;\n    y = Math.sin(y) * hist[hist.length - 1];\n  }\n  return y + hist[0];\n}\n`,
    );
    expect(unsaveable.map((d) => [d.code, d.line])).toEqual([[Codes.BadCheckpoint, 6]]);
    expect(unsaveable[0]!.message).toContain("both appends to 'hist' and writes its elements");
    // A number of such a block joins the state (above); an array cannot be declared again without its length.
    const blockArray = await diagnose(
      `/** @grad x, p */\nexport function f(x: number[], p: number, steps: number): number {\n  const y = [x[0], x[1]];\n  if (p > 0) {\n    const gate = [0.5, 0.2];\n    // @checkpoint snapshots=2\n    for (let k = 0; k < steps; k++) {\n      if (y[0] > gate[k % 2]) y[0] = y[0] + 0.1 * Math.sin(y[1] * p);\n      y[1] = y[1] - 0.05 * y[0] * y[0];\n    }\n  }\n  return y[0] * y[1];\n}\n`,
    );
    expect(blockArray.map((d) => [d.code, d.line])).toEqual([[Codes.BadCheckpoint, 7]]);
    expect(blockArray[0]!.message).toContain("its steps use the array 'gate', declared in a block around it where the reverse sweep cannot see it; declare it at the function's top level");
  });
});
