/**
 * The RK4 sample's gradient (samples/rk4.ts), checkpointed by hand in the shape issue 21's
 * compiler work will generate: the store-all code of samples/rk4.grad.ts, with the step
 * loop driven by runtime/checkpoint.ts. The loop's state is y and stage (the forward sweep
 * reads stage's old value to save it); k1…k4 are written before they are read. The
 * bodies are module-level step functions here (advance, record, reverse); the generated
 * code may inline them. bench/checkpoint/child.ts checks it against the store-all gradient
 * bit for bit before timing it.
 */
import { CheckpointAction, CheckpointSchedule } from "../../runtime/checkpoint.ts";
import { NumberStack } from "../../runtime/stack.ts";

const valueStack = new NumberStack();
const schedule = new CheckpointSchedule();
const { Done, Advance, Save, Restore, Record, Reverse } = CheckpointAction;

/** The schedule of the last call, for its statistics. */
export const rk4Schedule = schedule;

export function rk4GradCheckpointedInto(
  state0: readonly number[],
  rates: readonly number[],
  h: number,
  steps: number,
  grad: { state0: number[]; rates: number[] },
  snapshots: number,
  block = 1,
): number {
  const state0_bar = grad.state0;
  const rates_bar = grad.rates;
  // forward sweep
  const y = [state0[0]!, state0[1]!];
  const k1 = new Array<number>(2).fill(0);
  const k2 = new Array<number>(2).fill(0);
  const k3 = new Array<number>(2).fill(0);
  const k4 = new Array<number>(2).fill(0);
  const stage = new Array<number>(2).fill(0);
  // line 20: the loop, checkpointed: its state is y and stage (4 numbers per snapshot)
  schedule.start(Math.ceil(steps), snapshots, 4, block);
  for (let action = schedule.next(); action !== Done; action = schedule.next()) {
    if (action === Advance) {
      for (let s = schedule.from; s < schedule.to; s++) advance(y, stage, k1, k2, k3, k4, rates, h);
    } else if (action === Save) {
      save(schedule.snapshots, schedule.at, y, stage);
    } else {
      record(schedule.from, schedule.to, y, stage, k1, k2, k3, k4, rates, h);
    }
  }
  const dx = y[0]! - 1;
  const dy = y[1]! - 0.5;
  const value = dx * dx + dy * dy;
  // reverse sweep
  const y_bar = new Array<number>(y.length).fill(0);
  const k1_bar = new Array<number>(k1.length).fill(0);
  const k2_bar = new Array<number>(k2.length).fill(0);
  const k3_bar = new Array<number>(k3.length).fill(0);
  const k4_bar = new Array<number>(k4.length).fill(0);
  const stage_bar = new Array<number>(stage.length).fill(0);
  let dx_bar = 2 * dx;
  let dy_bar = 2 * dy;
  y_bar[1]! += dy_bar;
  y_bar[0]! += dx_bar;
  rates_bar.fill(0);
  for (let action = schedule.next(); action !== Done; action = schedule.next()) {
    switch (action) {
      case Advance:
        for (let s = schedule.from; s < schedule.to; s++) advance(y, stage, k1, k2, k3, k4, rates, h);
        break;
      case Save:
        save(schedule.snapshots, schedule.at, y, stage);
        break;
      case Restore: {
        const snap = schedule.snapshots;
        const at = schedule.at;
        y[0] = snap[at]!;
        y[1] = snap[at + 1]!;
        stage[0] = snap[at + 2]!;
        stage[1] = snap[at + 3]!;
        break;
      }
      case Record:
        record(schedule.from, schedule.to, y, stage, k1, k2, k3, k4, rates, h);
        break;
      case Reverse:
        reverse(schedule.from, schedule.to, y, stage, y_bar, stage_bar, k1_bar, k2_bar, k3_bar, k4_bar, rates, rates_bar, h);
        break;
    }
  }
  state0_bar.fill(0);
  state0_bar[0]! += y_bar[0]!;
  state0_bar[1]! += y_bar[1]!;
  return value;
}

function save(snap: Float64Array, at: number, y: number[], stage: number[]): void {
  snap[at] = y[0]!;
  snap[at + 1] = y[1]!;
  snap[at + 2] = stage[0]!;
  snap[at + 3] = stage[1]!;
}

/** One step of the primal (samples/rk4.ts with lotkaVolterra inlined, as the generated forward sweep has it). */
function advance(y: number[], stage: number[], k1: number[], k2: number[], k3: number[], k4: number[], rates: readonly number[], h: number): void {
  k1[0] = rates[0]! * y[0]! - rates[1]! * y[0]! * y[1]!;
  k1[1] = rates[2]! * y[0]! * y[1]! - rates[3]! * y[1]!;
  for (let i = 0; i < 2; i++) stage[i] = y[i]! + 0.5 * h * k1[i]!;
  k2[0] = rates[0]! * stage[0]! - rates[1]! * stage[0]! * stage[1]!;
  k2[1] = rates[2]! * stage[0]! * stage[1]! - rates[3]! * stage[1]!;
  for (let i = 0; i < 2; i++) stage[i] = y[i]! + 0.5 * h * k2[i]!;
  k3[0] = rates[0]! * stage[0]! - rates[1]! * stage[0]! * stage[1]!;
  k3[1] = rates[2]! * stage[0]! * stage[1]! - rates[3]! * stage[1]!;
  for (let i = 0; i < 2; i++) stage[i] = y[i]! + h * k3[i]!;
  k4[0] = rates[0]! * stage[0]! - rates[1]! * stage[0]! * stage[1]!;
  k4[1] = rates[2]! * stage[0]! * stage[1]! - rates[3]! * stage[1]!;
  for (let i = 0; i < 2; i++) y[i]! += (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
}

/** Steps from … to − 1 as samples/rk4.grad.ts's forward sweep runs them (saving overwritten stage and y). */
function record(from: number, to: number, y: number[], stage: number[], k1: number[], k2: number[], k3: number[], k4: number[], rates: readonly number[], h: number): void {
  let savedTop = valueStack.size;
  const saved = valueStack.reserve(savedTop, 8 * (to - from));
  for (let s = from; s < to; s++) {
    k1[0] = rates[0]! * y[0]! - rates[1]! * y[0]! * y[1]!;
    k1[1] = rates[2]! * y[0]! * y[1]! - rates[3]! * y[1]!;
    for (let i = 0; i < 2; i++) {
      saved[savedTop++] = stage[i]!;
      stage[i] = y[i]! + 0.5 * h * k1[i]!;
    }
    k2[0] = rates[0]! * stage[0]! - rates[1]! * stage[0]! * stage[1]!;
    k2[1] = rates[2]! * stage[0]! * stage[1]! - rates[3]! * stage[1]!;
    for (let i = 0; i < 2; i++) {
      saved[savedTop++] = stage[i]!;
      stage[i] = y[i]! + 0.5 * h * k2[i]!;
    }
    k3[0] = rates[0]! * stage[0]! - rates[1]! * stage[0]! * stage[1]!;
    k3[1] = rates[2]! * stage[0]! * stage[1]! - rates[3]! * stage[1]!;
    for (let i = 0; i < 2; i++) {
      saved[savedTop++] = stage[i]!;
      stage[i] = y[i]! + h * k3[i]!;
    }
    k4[0] = rates[0]! * stage[0]! - rates[1]! * stage[0]! * stage[1]!;
    k4[1] = rates[2]! * stage[0]! * stage[1]! - rates[3]! * stage[1]!;
    for (let i = 0; i < 2; i++) {
      saved[savedTop++] = y[i]!;
      y[i]! += (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
    }
  }
  valueStack.size = savedTop;
}

/** The reverse of steps to − 1 down to from, as samples/rk4.grad.ts's reverse sweep. */
function reverse(
  from: number,
  to: number,
  y: number[],
  stage: number[],
  y_bar: number[],
  stage_bar: number[],
  k1_bar: number[],
  k2_bar: number[],
  k3_bar: number[],
  k4_bar: number[],
  rates: readonly number[],
  rates_bar: number[],
  h: number,
): void {
  let savedTop = valueStack.size;
  const saved = valueStack.buffer;
  for (let s = to - 1; s >= from; s--) {
    for (let i = 1; i >= 0; i--) {
      y[i] = saved[--savedTop]!;
      const _t19 = y_bar[i]! * (h / 6);
      k1_bar[i]! += _t19;
      k2_bar[i]! += _t19 * 2;
      k3_bar[i]! += _t19 * 2;
      k4_bar[i]! += _t19;
    }
    const _t17 = k4_bar[1]!;
    rates_bar[2]! += _t17 * (stage[0]! * stage[1]!);
    stage_bar[0]! += _t17 * (rates[2]! * stage[1]!);
    stage_bar[1]! += _t17 * (rates[2]! * stage[0]!);
    const _t18 = -_t17;
    rates_bar[3]! += _t18 * stage[1]!;
    stage_bar[1]! += _t18 * rates[3]!;
    k4_bar[1] = 0;
    const _t15 = k4_bar[0]!;
    rates_bar[0]! += _t15 * stage[0]!;
    stage_bar[0]! += _t15 * rates[0]!;
    const _t16 = -_t15;
    rates_bar[1]! += _t16 * (stage[0]! * stage[1]!);
    stage_bar[0]! += _t16 * (rates[1]! * stage[1]!);
    stage_bar[1]! += _t16 * (rates[1]! * stage[0]!);
    k4_bar[0] = 0;
    for (let i = 1; i >= 0; i--) {
      stage[i] = saved[--savedTop]!;
      const _t14 = stage_bar[i]!;
      y_bar[i]! += _t14;
      k3_bar[i]! += _t14 * h;
      stage_bar[i] = 0;
    }
    const _t12 = k3_bar[1]!;
    rates_bar[2]! += _t12 * (stage[0]! * stage[1]!);
    stage_bar[0]! += _t12 * (rates[2]! * stage[1]!);
    stage_bar[1]! += _t12 * (rates[2]! * stage[0]!);
    const _t13 = -_t12;
    rates_bar[3]! += _t13 * stage[1]!;
    stage_bar[1]! += _t13 * rates[3]!;
    k3_bar[1] = 0;
    const _t10 = k3_bar[0]!;
    rates_bar[0]! += _t10 * stage[0]!;
    stage_bar[0]! += _t10 * rates[0]!;
    const _t11 = -_t10;
    rates_bar[1]! += _t11 * (stage[0]! * stage[1]!);
    stage_bar[0]! += _t11 * (rates[1]! * stage[1]!);
    stage_bar[1]! += _t11 * (rates[1]! * stage[0]!);
    k3_bar[0] = 0;
    for (let i = 1; i >= 0; i--) {
      stage[i] = saved[--savedTop]!;
      const _t9 = stage_bar[i]!;
      y_bar[i]! += _t9;
      k2_bar[i]! += _t9 * (0.5 * h);
      stage_bar[i] = 0;
    }
    const _t7 = k2_bar[1]!;
    rates_bar[2]! += _t7 * (stage[0]! * stage[1]!);
    stage_bar[0]! += _t7 * (rates[2]! * stage[1]!);
    stage_bar[1]! += _t7 * (rates[2]! * stage[0]!);
    const _t8 = -_t7;
    rates_bar[3]! += _t8 * stage[1]!;
    stage_bar[1]! += _t8 * rates[3]!;
    k2_bar[1] = 0;
    const _t5 = k2_bar[0]!;
    rates_bar[0]! += _t5 * stage[0]!;
    stage_bar[0]! += _t5 * rates[0]!;
    const _t6 = -_t5;
    rates_bar[1]! += _t6 * (stage[0]! * stage[1]!);
    stage_bar[0]! += _t6 * (rates[1]! * stage[1]!);
    stage_bar[1]! += _t6 * (rates[1]! * stage[0]!);
    k2_bar[0] = 0;
    for (let i = 1; i >= 0; i--) {
      stage[i] = saved[--savedTop]!;
      const _t4 = stage_bar[i]!;
      y_bar[i]! += _t4;
      k1_bar[i]! += _t4 * (0.5 * h);
      stage_bar[i] = 0;
    }
    const _t2 = k1_bar[1]!;
    rates_bar[2]! += _t2 * (y[0]! * y[1]!);
    y_bar[0]! += _t2 * (rates[2]! * y[1]!);
    y_bar[1]! += _t2 * (rates[2]! * y[0]!);
    const _t3 = -_t2;
    rates_bar[3]! += _t3 * y[1]!;
    y_bar[1]! += _t3 * rates[3]!;
    k1_bar[1] = 0;
    const _t0 = k1_bar[0]!;
    rates_bar[0]! += _t0 * y[0]!;
    y_bar[0]! += _t0 * rates[0]!;
    const _t1 = -_t0;
    rates_bar[1]! += _t1 * (y[0]! * y[1]!);
    y_bar[0]! += _t1 * (rates[1]! * y[1]!);
    y_bar[1]! += _t1 * (rates[1]! * y[0]!);
    k1_bar[0] = 0;
  }
  valueStack.size = savedTop;
}
