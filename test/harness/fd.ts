/**
 * Finite differences of a scalar function over named parameters of any shape tsgrad
 * supports (number, number[], Float64Array, number[][], plain objects of these), returning
 * a gradient record of the same shapes, like a generated `fGrad`.
 *
 * Stencil: the fourth-order central formula
 *   f'(x) ≈ (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / (12 h),
 * with h = relStep · max(1, |x|), relStep = 2e-5 by default. Error: truncation
 * h⁴/30 · |f⁽⁵⁾| (≈ 5e-21 |f⁽⁵⁾| at |x| ≤ 1) plus rounding about 1.5 · eps · |f| / h (≈ 2e-11 |f|), so
 * small gradient entries of an O(1) function are still resolved to ~1e-8 relative. Keep
 * inputs at least 2h away from kinks.
 */
import { deepClone } from "./shapes.ts";

export interface FdOptions {
  /** Relative step; default 2e-5. */
  relStep?: number;
}

export const DEFAULT_REL_STEP = 2e-5;

/** A writable scalar slot inside a (cloned) argument list. */
interface Slot {
  get(): number;
  set(x: number): void;
}

function slotsOf(container: Record<string | number, unknown> | Float64Array, key: string | number, out: Slot[]): void {
  const box = container as Record<string | number, unknown>;
  const v = box[key];
  if (typeof v === "number") {
    out.push({ get: () => box[key] as number, set: (x) => void (box[key] = x) });
  } else if (v instanceof Float64Array || Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) slotsOf(v as Record<number, unknown>, i, out);
  } else if (v !== null && typeof v === "object") {
    for (const k of Object.keys(v)) slotsOf(v as Record<string, unknown>, k, out);
  } else {
    throw new TypeError(`finite differences: unsupported parameter value ${String(v)}`);
  }
}

/** Rebuilds the shape of `template` from a row-major list of numbers. */
function unflatten(template: unknown, flat: readonly number[], pos: { k: number }): unknown {
  if (typeof template === "number") return flat[pos.k++]!;
  if (template instanceof Float64Array) {
    const out = new Float64Array(template.length);
    for (let i = 0; i < out.length; i++) out[i] = flat[pos.k++]!;
    return out;
  }
  if (Array.isArray(template)) return template.map((x) => unflatten(x, flat, pos));
  if (template !== null && typeof template === "object") {
    return Object.fromEntries(Object.entries(template).map(([k, x]) => [k, unflatten(x, flat, pos)]));
  }
  throw new TypeError("finite differences: unsupported parameter shape");
}

/**
 * ∂f/∂p for every named parameter p (looked up in `paramNames` to find its position),
 * by fourth-order central differences. `f` is called on a private copy of `args`; the caller's values
 * are never touched.
 */
export function centralDifferences<A extends readonly unknown[]>(
  f: (...args: A) => number,
  args: A,
  paramNames: readonly string[],
  wrt: readonly string[],
  options: FdOptions = {},
): Record<string, unknown> {
  const relStep = options.relStep ?? DEFAULT_REL_STEP;
  const work = deepClone([...args]) as unknown[];
  const grad: Record<string, unknown> = {};
  for (const name of wrt) {
    const index = paramNames.indexOf(name);
    if (index < 0) throw new Error(`finite differences: no parameter named ${name}`);
    const slots: Slot[] = [];
    slotsOf(work as unknown as Record<number, unknown>, index, slots);
    const flat = slots.map((slot) => {
      const x = slot.get();
      const h = relStep * Math.max(1, Math.abs(x));
      const at = (t: number) => {
        slot.set(x + t * h);
        return f(...(work as unknown as A));
      };
      const value = (at(-2) - 8 * at(-1) + 8 * at(1) - at(2)) / (12 * h);
      slot.set(x);
      return value;
    });
    grad[name] = unflatten(args[index], flat, { k: 0 });
  }
  return grad;
}
