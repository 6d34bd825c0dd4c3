/**
 * The idiomatic suite's checker. Each case is a small file of the TypeScript people write
 * (arrow consts, callbacks, classes, destructuring, switch, …), built on its own, then:
 *
 *   fGrad(...).value === f(...)                       bit for bit
 *   fGrad  against the tape (runtime/tape)            rel 1e-12 (Float32Array: 1e-6)
 *   fGrad  against central differences                rel 1e-6
 *   fGradInto into buffers full of NaN                the same numbers
 *   fHvp   (when tagged) against differences of fGrad along v, and the tape's hvp
 *   fJvp   (when tagged) against differences of f along v, and the tape's jvp
 *
 * Shapes: numbers, arrays, typed arrays (Float64Array, Float32Array), plain objects and
 * class instances (their own fields). Relative errors are taken against max(|expected|,
 * 1e-3 · the largest expected entry), so entries near zero by cancellation are judged at
 * the gradient's scale.
 */
import { expect } from "vitest";
import { buildProject, type Built } from "../harness/build.ts";
import { pendingStackEntries } from "../../runtime/stack.ts";
import { tapeModuleFromSource, type TapeModule } from "../../runtime/tape/index.ts";

export interface Idiom {
  /** The test's title. */
  name: string;
  /** The file's source text. */
  source: string;
  /** The generated functions' base name (`f` for fGrad). */
  fn: string;
  /** Example arguments (as the generated function takes them); `module` is the loaded source (to construct its classes). */
  args: (module: Record<string, unknown>) => unknown[];
  /** Positions of the differentiated arguments; default: every argument holding numbers. */
  wrt?: number[];
  /** The file name (an anonymous default export is named after it). */
  file?: string;
  /** How to call the primal, when it is not the module's export `fn` (a method, a default export). */
  call?: (module: Record<string, unknown>, args: unknown[]) => number;
  /** The tape's view: the function it differentiates and its arguments (a class instance made by the tape's module). */
  tape?: { fn: string; args?: (tape: TapeModule) => unknown[] };
  /** Float32Array arithmetic rounds on every store: compare at single precision. */
  single?: boolean;
}

type Fn = (...args: unknown[]) => unknown;

/** Builds the case and checks every derivative it generated. */
export async function checkIdiom(idiom: Idiom): Promise<Built> {
  const file = idiom.file ?? "idiom.ts";
  const built = await buildProject({ [file]: idiom.source }, file);
  const args = idiom.args(built.source);
  const f = (...a: unknown[]) => (idiom.call ? idiom.call(built.source, a) : (built.source[idiom.fn] as (...x: unknown[]) => number)(...a));
  const wrt = idiom.wrt ?? args.flatMap((a, k) => (holdsNumbers(a) ? [k] : []));
  const tol = idiom.single ? { tape: 1e-6, fd: 1e-5 } : { tape: 1e-12, fd: 1e-6 };
  const generated = (name: string) => built.generated[`${idiom.fn}${name}`] as Fn | undefined;

  const grad = generated("Grad");
  expect(grad, `${idiom.fn}Grad is generated`).toBeTypeOf("function");
  const result = grad!(...clone(args)) as { value: number; grad: Record<string, unknown> };
  expect(pendingStackEntries()).toBe(0);
  expect(Object.is(result.value, f(...clone(args))), "value is the primal's").toBe(true);
  const keys = Object.keys(result.grad);
  expect(keys.length, `one gradient field per differentiated argument (${keys.join(", ")})`).toBe(wrt.length);
  const mine = keys.flatMap((k) => flatten(result.grad[k]));

  // The tape (an independent oracle), on the same function or on its stated view.
  const tape = tapeModuleFromSource(idiom.source, `/virtual/${file}`);
  const tapeFn = idiom.tape?.fn ?? idiom.fn;
  const tapeArgs = idiom.tape?.args ? idiom.tape.args(tape) : clone(args);
  const names = tape.params(tapeFn);
  const tapeWrt = wrt.map((k) => names[k]!);
  const oracle = tape.grad(tapeFn, asTapeValues(tapeArgs), tapeWrt);
  expectClose(mine, tapeWrt.flatMap((n) => flatten(oracle.grad[n])), tol.tape, "gradient against the tape");

  // Central differences of the real function (Float32Array arguments widened to Float64Array first).
  expectClose(mine, centralDifferences(f, idiom.single ? asTapeValues(args) : args, wrt), tol.fd, "gradient against central differences");

  // The Into form overwrites buffers full of NaN.
  const into = generated("GradInto")!;
  const buffers = Object.fromEntries(keys.map((k) => [k, mapShape(result.grad[k], () => NaN)]));
  expect(Object.is(into(...clone(args), buffers), result.value)).toBe(true);
  expect(keys.flatMap((k) => flatten(buffers[k]))).toEqual(mine);

  const direction = (seed: number) => {
    let s = seed;
    return Object.fromEntries(keys.map((k, i) => [k, mapShape(args[wrt[i]!], () => Math.sin((s += 1.7)))]));
  };
  const moved = (v: Record<string, unknown>, t: number) =>
    args.map((a, k) => {
      const at = wrt.indexOf(k);
      if (at < 0) return clone(a);
      const d = flatten(v[keys[at]!]);
      let i = 0;
      return mapShape(a, (x) => x + t * d[i++]!);
    });
  const tapeDirection = (v: Record<string, unknown>) => Object.fromEntries(keys.map((k, i) => [tapeWrt[i]!, asTapeValues(v[k])]));

  const hvp = generated("Hvp");
  if (hvp) {
    const v = direction(1);
    const out = hvp(...clone(args), v) as { hvp: Record<string, unknown> };
    expect(pendingStackEntries()).toBe(0);
    const h = keys.flatMap((k) => flatten(out.hvp[k]));
    const gradAt = (t: number) => {
      const g = (grad!(...moved(v, t)) as { grad: Record<string, unknown> }).grad;
      return keys.flatMap((k) => flatten(g[k]));
    };
    expectClose(h, along(gradAt, 1e-5), 10 * tol.fd, "HVP against differences of the gradient");
    const t = tape.hvp(tapeFn, asTapeValues(tapeArgs), tapeDirection(v), tapeWrt);
    expectClose(h, tapeWrt.flatMap((n) => flatten(t.hvp[n])), 1e3 * tol.tape, "HVP against the tape");
  }

  const jvp = generated("Jvp");
  if (jvp) {
    const v = direction(2);
    const out = jvp(...clone(args), v) as { value: unknown; tangent: unknown };
    expect(flatten(out.value)).toEqual(flatten(f(...clone(args))));
    expectClose(flatten(out.tangent), along((t) => flatten(f(...moved(v, t))), 1e-6), tol.fd, "JVP against differences");
    const t = tape.jvp(tapeFn, asTapeValues(tapeArgs), tapeDirection(v), tapeWrt);
    expectClose(flatten(out.tangent), flatten(t.tangent), tol.tape, "JVP against the tape");
  }
  return built;
}

/**
 * ∂f/∂(every number of the arguments at `wrt`), row-major, by the fourth-order central
 * stencil (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / 12h, h = 2e-5 · max(1, |x|).
 */
function centralDifferences(f: (...a: unknown[]) => number, args: unknown[], wrt: number[]): number[] {
  const out: number[] = [];
  for (const k of wrt) {
    const count = flatten(args[k]).length;
    for (let i = 0; i < count; i++) {
      const x = flatten(args[k])[i]!;
      const h = 2e-5 * Math.max(1, Math.abs(x));
      const at = (t: number) => f(...args.map((a, j) => (j === k ? setNth(a, i, x + t) : clone(a))));
      out.push((at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h));
    }
  }
  return out;
}

/** A copy of `v` with its n-th number (row-major) set to x. */
function setNth(v: unknown, n: number, x: number): unknown {
  let k = 0;
  return mapShape(v, (y) => (k++ === n ? x : y));
}

function along(g: (t: number) => number[], h: number): number[] {
  const plus = g(h);
  const minus = g(-h);
  return plus.map((p, i) => (p - minus[i]!) / (2 * h));
}

function expectClose(actual: number[], expected: number[], rel: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const scale = Math.max(0, ...expected.map(Math.abs));
  let worst = 0;
  let at = -1;
  for (let k = 0; k < actual.length; k++) {
    const err = Math.abs(actual[k]! - expected[k]!) / Math.max(Math.abs(expected[k]!), 1e-3 * scale, 1e-300);
    if (!(err <= worst)) {
      worst = Number.isNaN(err) ? Infinity : err;
      at = k;
    }
  }
  expect(worst, `${what}: worst relative error at entry ${at} (${actual[at]} vs ${expected[at]})`).toBeLessThanOrEqual(rel);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

export function holdsNumbers(v: unknown): boolean {
  if (typeof v === "number") return true;
  if (v instanceof Float64Array || v instanceof Float32Array) return true;
  if (Array.isArray(v)) return v.length > 0 && v.every(holdsNumbers);
  if (isRecord(v)) return Object.values(v).some(holdsNumbers) && Object.values(v).every((x) => holdsNumbers(x) || typeof x === "string" || typeof x === "function");
  return false;
}

/** All numbers of a value, row-major, object fields in key order. */
export function flatten(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) for (const x of v as Float64Array) out.push(x);
  else if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else if (isRecord(v)) for (const x of Object.values(v)) if (holdsNumbers(x)) flatten(x, out);
  return out;
}

/** A deep copy that keeps typed arrays' types and class instances' prototypes. */
export function clone<T>(v: T): T {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return (v as unknown as Float64Array).slice() as T;
  if (Array.isArray(v)) return v.map(clone) as T;
  if (isRecord(v)) {
    const out = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v)) out[k] = clone(x);
    return out as T;
  }
  return v;
}

function mapShape(v: unknown, f: (x: number) => number): unknown {
  if (typeof v === "number") return f(v);
  if (v instanceof Float64Array || v instanceof Float32Array) return v.map(f);
  if (Array.isArray(v)) return v.map((x) => mapShape(x, f));
  if (isRecord(v)) {
    const out = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v)) out[k] = holdsNumbers(x) ? mapShape(x, f) : x;
    return out;
  }
  return v;
}

/** The tape holds boxes in plain arrays: a Float32Array argument goes in as a Float64Array of the same values. */
function asTapeValues<T>(v: T): T {
  if (v instanceof Float32Array) return Float64Array.from(v) as T;
  if (Array.isArray(v)) return v.map(asTapeValues) as T;
  if (isRecord(v)) {
    const out = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v)) out[k] = asTapeValues(x);
    return out as T;
  }
  return v;
}
