/**
 * The traced value. A `Box` wraps a value (a plain number, or a box of an enclosing trace)
 * and records how it was computed: its parents in the same trace and, for each, the VJP
 * that maps this box's cotangent to the parent's contribution.
 *
 * Traces are numbered by a global counter. A derivative opened inside another one (grad of
 * grad) gets a higher number, so a primitive only ever records on the innermost trace among
 * its arguments and computes on the unwrapped values, which may still be boxes of outer
 * traces. That is what makes the VJPs themselves differentiable (autograd's trace ids).
 */

export type Value = number | Box;

/** One incoming edge of the computation graph. */
export interface Parent {
  readonly box: Box;
  /** The parent's share of this box's cotangent `g`. */
  readonly vjp: (g: Value) => Value;
}

export class Box {
  constructor(
    /** The value one trace down: a number, or a box of an enclosing trace. */
    readonly value: Value,
    /** The trace this box belongs to (higher = more deeply nested). */
    readonly trace: number,
    /** Parents in the same trace; empty for an independent variable. */
    readonly parents: readonly Parent[] = [],
  ) {}

  /** Non-traced JavaScript (indexing, template strings, `|0`) sees the primal number. */
  [Symbol.toPrimitive](hint: string): number | string {
    const v = primal(this);
    return hint === "string" ? String(v) : v;
  }

  toString(): string {
    return `Box(${primal(this)} @${this.trace})`;
  }
}

let lastTrace = 0;

/** A fresh trace id, higher than every id handed out before. */
export function newTrace(): number {
  return ++lastTrace;
}

/** The plain number under any number of boxes. */
export function primal(v: Value): number {
  let x: Value = v;
  while (x instanceof Box) x = x.value;
  return x;
}

/** A number or a box: what arithmetic primitives trace. */
export function isValue(v: unknown): v is Value {
  return typeof v === "number" || v instanceof Box;
}

/** An independent variable of `trace` holding `v`. */
export function leaf(v: Value, trace: number): Box {
  return new Box(v, trace);
}
