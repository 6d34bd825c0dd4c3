/**
 * The heat sample's gradient (samples/heat.ts), checkpointed by hand in the shape issue
 * 21's compiler work will generate: the store-all code of samples/heat.grad.ts with the
 * step loop driven by runtime/checkpoint.ts. The loop's state is u (n numbers per
 * snapshot): `next` is written before it is read, and only u's old values are saved.
 */
import { CheckpointAction, CheckpointSchedule } from "../../runtime/checkpoint.ts";
import { NumberStack } from "../../runtime/stack.ts";

const valueStack = new NumberStack();
const schedule = new CheckpointSchedule();
const { Done, Advance, Save, Restore, Record, Reverse } = CheckpointAction;

export const heatSchedule = schedule;

export function heatGradCheckpointedInto(
  u0: Float64Array,
  target: Float64Array,
  kappa: number,
  dt: number,
  steps: number,
  grad: { u0: Float64Array; kappa: number },
  snapshots: number,
  block = 1,
): number {
  const u0_bar = grad.u0;
  const n = u0.length;
  const u = new Float64Array(u0.length);
  for (let u_i = 0; u_i < u0.length; u_i++) u[u_i] = u0[u_i]!;
  const next = new Float64Array(n);
  const dx2 = 1 / ((n - 1) * (n - 1));
  schedule.start(Math.ceil(steps), snapshots, n, block);
  for (let action = schedule.next(); action !== Done; action = schedule.next()) {
    if (action === Advance) advance(schedule.from, schedule.to, u, next, kappa, dt, dx2);
    else if (action === Save) schedule.snapshots.set(u, schedule.at);
    else record(schedule.from, schedule.to, u, next, kappa, dt, dx2);
  }
  let loss = 0;
  const u_bar = new Float64Array(u.length);
  const next_bar = new Float64Array(next.length);
  const loss_bar = 1;
  for (let i = 0; i < n; i++) {
    const d = u[i]! - target[i]!;
    loss += d * d;
    const d_bar = loss_bar * (2 * d);
    u_bar[i]! += d_bar;
  }
  const kappa_bar = { value: 0 };
  for (let action = schedule.next(); action !== Done; action = schedule.next()) {
    switch (action) {
      case Advance:
        advance(schedule.from, schedule.to, u, next, kappa, dt, dx2);
        break;
      case Save:
        schedule.snapshots.set(u, schedule.at);
        break;
      case Restore:
        u.set(schedule.snapshots.subarray(schedule.at, schedule.at + n));
        break;
      case Record:
        record(schedule.from, schedule.to, u, next, kappa, dt, dx2);
        break;
      case Reverse:
        reverse(schedule.from, schedule.to, n, u, u_bar, next_bar, kappa, kappa_bar, dt, dx2);
        break;
    }
  }
  for (let u_i = u0.length - 1; u_i >= 0; u_i--) {
    u0_bar[u_i] = u_bar[u_i]!;
    u_bar[u_i] = 0;
  }
  grad.kappa = kappa_bar.value;
  return loss;
}

function advance(from: number, to: number, u: Float64Array, next: Float64Array, kappa: number, dt: number, dx2: number): void {
  const n = u.length;
  for (let s = from; s < to; s++) {
    for (let i = 1; i + 1 < n; i++) {
      const curvature = (u[i - 1]! - 2 * u[i]! + u[i + 1]!) / dx2;
      next[i] = u[i]! + dt * (kappa * curvature - u[i]! * u[i]! * u[i]!);
    }
    for (let i = 1; i + 1 < n; i++) u[i] = next[i]!;
  }
}

function record(from: number, to: number, u: Float64Array, next: Float64Array, kappa: number, dt: number, dx2: number): void {
  const n = u.length;
  for (let s = from; s < to; s++) {
    {
      let savedTop = valueStack.size;
      const saved = valueStack.reserve(savedTop, n - 2);
      for (let i = 1; i + 1 < n; i++) {
        const curvature = (u[i - 1]! - 2 * u[i]! + u[i + 1]!) / dx2;
        next[i] = u[i]! + dt * (kappa * curvature - u[i]! * u[i]! * u[i]!);
        saved[savedTop++] = curvature;
      }
      valueStack.size = savedTop;
    }
    {
      let savedTop = valueStack.size;
      const saved = valueStack.reserve(savedTop, n - 2);
      for (let i = 1; i + 1 < n; i++) {
        saved[savedTop++] = u[i]!;
        u[i] = next[i]!;
      }
      valueStack.size = savedTop;
    }
  }
}

function reverse(
  from: number,
  to: number,
  n: number,
  u: Float64Array,
  u_bar: Float64Array,
  next_bar: Float64Array,
  kappa: number,
  kappa_bar: { value: number },
  dt: number,
  dx2: number,
): void {
  let savedTop = valueStack.size;
  const saved = valueStack.buffer;
  let kb = kappa_bar.value;
  for (let s = to - 1; s >= from; s--) {
    for (let i = n - 2; i >= 1; i--) {
      u[i] = saved[--savedTop]!;
      next_bar[i]! += u_bar[i]!;
      u_bar[i] = 0;
    }
    for (let i = n - 2; i >= 1; i--) {
      const curvature = saved[--savedTop]!;
      const _t1 = next_bar[i]!;
      u_bar[i]! += _t1;
      const _t2 = _t1 * dt;
      kb += _t2 * curvature;
      const curvature_bar = _t2 * kappa;
      u_bar[i]! -= _t2 * (3 * u[i]! ** 2);
      next_bar[i] = 0;
      const _t0 = curvature_bar / dx2;
      u_bar[i - 1]! += _t0;
      u_bar[i]! -= _t0 * 2;
      u_bar[i + 1]! += _t0;
    }
  }
  kappa_bar.value = kb;
  valueStack.size = savedTop;
}
