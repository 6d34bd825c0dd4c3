/**
 * Recording and replaying: `record` applies a primitive, boxing the result on the innermost
 * trace among its arguments; `backward` walks one trace's graph in reverse topological
 * order and accumulates cotangents with traced additions (so an enclosing trace records
 * the backward pass too, for second derivatives).
 */
import { Box, type Parent, type Value, isValue, primal } from "./box.ts";

/** A VJP: the cotangent `g` of the result, the result `ans`, the arguments `xs` and the index `i` of the one it is for. */
export type Vjp = (g: Value, ans: Value, xs: readonly Value[], i: number) => Value;

/** What `record` applies: a primitive's primal and its VJPs (one entry of rules.ts's table). */
export interface Rule {
  /** The primitive on plain numbers. */
  readonly primal: (...xs: number[]) => number;
  /** One VJP per argument (a single one for every argument when `variadic`); null: zero derivative. */
  readonly vjps: readonly Vjp[] | null;
  /** Takes any number of arguments (Math.max, Math.min, Math.hypot). */
  readonly variadic?: boolean;
}

/** Applies `rule` to `args`, recording it on the innermost trace present among them. */
export function record(rule: Rule, args: readonly unknown[]): Value {
  if (!args.every(isValue)) {
    // Not arithmetic on numbers (e.g. Math.sqrt("4")): plain JavaScript semantics.
    return rule.primal(...(args as number[]));
  }
  let top = 0;
  for (const a of args) if (a instanceof Box && a.trace > top) top = a.trace;
  if (top === 0) return rule.primal(...(args as number[]));
  if (rule.vjps === null) return rule.primal(...args.map(primal));
  const xs = args.map((a) => (a instanceof Box && a.trace === top ? a.value : a));
  const ans = record(rule, xs);
  const vjps = rule.vjps;
  const parents: Parent[] = [];
  args.forEach((a, i) => {
    if (a instanceof Box && a.trace === top) {
      const vjp = rule.variadic ? vjps[0]! : vjps[i]!;
      parents.push({ box: a, vjp: (g) => vjp(g, ans, xs, i) });
    }
  });
  return new Box(ans, top, parents);
}

/**
 * Reverse sweep over `trace` from the given seeds (output box, its cotangent). Returns the
 * cotangent of every box of that trace the seeds depend on. Seeds that are not boxes of
 * `trace` contribute nothing.
 */
export function backward(trace: number, seeds: readonly (readonly [Value, Value])[], sum: (a: Value, b: Value) => Value): Map<Box, Value> {
  const grads = new Map<Box, Value>();
  const roots: Box[] = [];
  for (const [out, g] of seeds) {
    if (!(out instanceof Box) || out.trace !== trace) continue;
    const prev = grads.get(out);
    grads.set(out, prev === undefined ? g : sum(prev, g));
    roots.push(out);
  }
  // Iterative post-order DFS: parents before children, so the reverse visits children first.
  const order: Box[] = [];
  const seen = new Set<Box>();
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    const stack: [Box, number][] = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [box, k] = top;
      if (k < box.parents.length) {
        top[1] = k + 1;
        const p = box.parents[k]!.box;
        if (!seen.has(p)) {
          seen.add(p);
          stack.push([p, 0]);
        }
      } else {
        stack.pop();
        order.push(box);
      }
    }
  }
  for (let n = order.length - 1; n >= 0; n--) {
    const box = order[n]!;
    const g = grads.get(box);
    if (g === undefined) continue;
    for (const { box: parent, vjp } of box.parents) {
      const c = vjp(g);
      const prev = grads.get(parent);
      grads.set(parent, prev === undefined ? c : sum(prev, c));
    }
  }
  return grads;
}
