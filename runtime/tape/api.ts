/**
 * The oracle's public face: a `TapeModule` runs the rewritten twin of a source module and
 * differentiates its functions by parameter name. Arguments are deep-copied before
 * tracing (the caller's values are never touched); results come back as plain numbers in
 * each parameter's own shape.
 *
 *   grad      one trace, one reverse sweep
 *   vjp       one trace, one reverse sweep seeded with the cotangent
 *   jacobian  one trace, one reverse sweep per output number
 *   jvp       the Jacobian times the tangent
 *   hvp       reverse over reverse: the reverse sweep of f runs on boxes of an outer trace,
 *             and a second reverse sweep differentiates ⟨∇f, v⟩ on that outer trace
 *   hessian   as hvp, one outer sweep per gradient entry
 */
import { type Box, type Value, isValue, leaf, newTrace, primal } from "./box.ts";
import { ModuleLoader, type LoadedModule, type TracedFunction } from "./loader.ts";
import { add } from "./ops.ts";
import { backward } from "./trace.ts";
import { isDifferentiable, leaves, leavesLike, shapeFrom, toPlain, toTraced } from "./values.ts";

export interface TapeModule {
  /** Plain evaluation through the rewritten code. */
  call(fn: string, args: unknown[]): unknown;
  grad(fn: string, args: unknown[], wrt?: string[]): { value: number; grad: Record<string, unknown> };
  vjp(fn: string, args: unknown[], cotangent: unknown, wrt?: string[]): { value: unknown; grad: Record<string, unknown> };
  jvp(fn: string, args: unknown[], tangent: Record<string, unknown>, wrt?: string[]): { value: unknown; tangent: unknown };
  hvp(fn: string, args: unknown[], v: Record<string, unknown>, wrt?: string[]): { value: number; grad: Record<string, unknown>; hvp: Record<string, unknown> };
  /** Dense, over the wrt parameters flattened in declaration order, row-major. */
  hessian(fn: string, args: unknown[], wrt?: string[]): number[][];
  /** Rows are the flattened outputs, columns the flattened wrt parameters. */
  jacobian(fn: string, args: unknown[], wrt?: string[]): number[][];
  /** Parameter names of a top-level function, as declared. */
  params(fn: string): readonly string[];
  /** The rewritten TypeScript of the entry module (for debugging). */
  readonly rewritten: string;
}

/** The wrt parameters of one call: their positions, names and boxed leaves. */
interface Traced {
  readonly args: unknown[];
  readonly wrt: readonly { index: number; name: string; leaves: Box[] }[];
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  return v === null ? "null" : typeof v;
}

/** Copies `args`, replacing every number of the wrt parameters by a fresh leaf of `trace`. */
function boxArgs(args: readonly unknown[], wrt: readonly { index: number; name: string }[], trace: number): Traced {
  const out = wrt.map((w) => ({ ...w, leaves: [] as Box[] }));
  const copied = args.map((a, i) => {
    const w = out.find((x) => x.index === i);
    if (!w) return toTraced(a);
    return toTraced(a, (x: Value) => {
      const b = leaf(x, trace);
      w.leaves.push(b);
      return b;
    });
  });
  return { args: copied, wrt: out };
}

function cotangentOf(grads: ReadonlyMap<Box, Value>, b: Box): Value {
  return grads.get(b) ?? 0;
}

class Tape implements TapeModule {
  constructor(private readonly module: LoadedModule) {}

  get rewritten(): string {
    return this.module.rewritten.typescript;
  }

  params(fn: string): readonly string[] {
    this.fn(fn);
    return this.module.params.get(fn)!;
  }

  private fn(name: string): TracedFunction {
    const f = this.module.functions.get(name);
    if (typeof f !== "function") {
      throw new Error(`tape: ${this.module.file} has no top-level function ${name} (found: ${[...this.module.functions.keys()].join(", ")})`);
    }
    return f;
  }

  /** Resolves wrt names to positions; by default every parameter holding differentiable numbers. */
  private wrtOf(fn: string, args: readonly unknown[], wrt?: readonly string[]): { index: number; name: string }[] {
    const params = this.params(fn);
    if (wrt === undefined) return params.flatMap((name, index) => (index < args.length && isDifferentiable(args[index]) ? [{ index, name }] : []));
    return wrt.map((name) => {
      const index = params.indexOf(name);
      if (index < 0) throw new Error(`tape: ${fn} has no parameter ${name} (parameters: ${params.join(", ")})`);
      return { index, name };
    });
  }

  private scalar(fn: string, y: unknown): Value {
    if (!isValue(y)) throw new Error(`tape: ${fn} returned ${describe(y)}, not a number`);
    return y;
  }

  /** Checks that a direction record names only wrt parameters; flattens it along them (missing = 0). */
  private direction(fn: string, args: readonly unknown[], wrt: readonly { index: number; name: string }[], dir: Record<string, unknown>, what: string): number[] {
    for (const k of Object.keys(dir)) {
      if (!wrt.some((w) => w.name === k)) throw new Error(`tape: ${what} names ${k}, which is not among the wrt parameters of ${fn} (${wrt.map((w) => w.name).join(", ")})`);
    }
    return wrt.flatMap((w) => leavesLike(args[w.index], dir[w.name], `${what}.${w.name}`));
  }

  private shaped(args: readonly unknown[], traced: Traced, value: (b: Box, k: number) => number): Record<string, unknown> {
    let k = 0;
    return Object.fromEntries(traced.wrt.map((w) => [w.name, shapeFrom(args[w.index], w.leaves.map((b) => value(b, k++)))]));
  }

  call(fn: string, args: unknown[]): unknown {
    const f = this.fn(fn);
    return toPlain(f(...args.map((a) => toTraced(a))));
  }

  grad(fn: string, args: unknown[], wrt?: string[]): { value: number; grad: Record<string, unknown> } {
    const f = this.fn(fn);
    const trace = newTrace();
    const traced = boxArgs(args, this.wrtOf(fn, args, wrt), trace);
    const y = this.scalar(fn, f(...traced.args));
    const grads = backward(trace, [[y, 1]], add);
    return { value: primal(y), grad: this.shaped(args, traced, (b) => primal(cotangentOf(grads, b))) };
  }

  vjp(fn: string, args: unknown[], cotangent: unknown, wrt?: string[]): { value: unknown; grad: Record<string, unknown> } {
    const f = this.fn(fn);
    const trace = newTrace();
    const traced = boxArgs(args, this.wrtOf(fn, args, wrt), trace);
    const y = f(...traced.args);
    const outs = leaves(y);
    const ct = leavesLike(y, cotangent, "cotangent");
    const grads = backward(trace, outs.map((o, k) => [o, ct[k]!] as const), add);
    return { value: toPlain(y), grad: this.shaped(args, traced, (b) => primal(cotangentOf(grads, b))) };
  }

  jacobian(fn: string, args: unknown[], wrt?: string[]): number[][] {
    return this.traceJacobian(fn, args, wrt).jacobian;
  }

  private traceJacobian(fn: string, args: unknown[], wrt?: string[]): { y: unknown; jacobian: number[][]; traced: Traced } {
    const f = this.fn(fn);
    const trace = newTrace();
    const traced = boxArgs(args, this.wrtOf(fn, args, wrt), trace);
    const y = f(...traced.args);
    const columns = traced.wrt.flatMap((w) => w.leaves);
    const jacobian = leaves(y).map((out) => {
      const grads = backward(trace, [[out, 1]], add);
      return columns.map((b) => primal(cotangentOf(grads, b)));
    });
    return { y, jacobian, traced };
  }

  jvp(fn: string, args: unknown[], tangent: Record<string, unknown>, wrt?: string[]): { value: unknown; tangent: unknown } {
    const { y, jacobian, traced } = this.traceJacobian(fn, args, wrt);
    const t = this.direction(fn, args, traced.wrt, tangent, "tangent");
    const jt = jacobian.map((row) => row.reduce((s, j, k) => s + j * t[k]!, 0));
    return { value: toPlain(y), tangent: shapeFrom(y, jt) };
  }

  /** The gradient of f on an inner trace, computed on boxes of an outer trace. */
  private nestedGrad(fn: string, args: unknown[], wrt?: string[]): { y: Value; outer: Traced; outerTrace: number; g: Value[] } {
    const f = this.fn(fn);
    const names = this.wrtOf(fn, args, wrt);
    const outerTrace = newTrace();
    const outer = boxArgs(args, names, outerTrace);
    const innerTrace = newTrace();
    const inner = boxArgs(outer.args, names, innerTrace);
    const y = this.scalar(fn, f(...inner.args));
    const grads = backward(innerTrace, [[y, 1]], add);
    const g = inner.wrt.flatMap((w) => w.leaves.map((b) => cotangentOf(grads, b)));
    return { y, outer, outerTrace, g };
  }

  hvp(fn: string, args: unknown[], v: Record<string, unknown>, wrt?: string[]): { value: number; grad: Record<string, unknown>; hvp: Record<string, unknown> } {
    const { y, outer, outerTrace, g } = this.nestedGrad(fn, args, wrt);
    const dir = this.direction(fn, args, outer.wrt, v, "v");
    // H v = ∇ ⟨∇f, v⟩: one reverse sweep of the outer trace seeded with v.
    const grads = backward(outerTrace, g.map((gk, k) => [gk, dir[k]!] as const), add);
    return {
      value: primal(y),
      grad: this.shaped(args, outer, (_, k) => primal(g[k]!)),
      hvp: this.shaped(args, outer, (b) => primal(cotangentOf(grads, b))),
    };
  }

  hessian(fn: string, args: unknown[], wrt?: string[]): number[][] {
    const { outer, outerTrace, g } = this.nestedGrad(fn, args, wrt);
    const columns = outer.wrt.flatMap((w) => w.leaves);
    return g.map((gk) => {
      const grads = backward(outerTrace, [[gk, 1]], add);
      return columns.map((b) => primal(cotangentOf(grads, b)));
    });
  }
}

/** The tape twin of a source file (and of the files it imports relatively). */
export function loadTapeModule(filePath: string): TapeModule {
  return new Tape(new ModuleLoader().load(filePath));
}

/** The tape twin of source text; relative imports resolve against `fileName`. */
export function tapeModuleFromSource(source: string, fileName = "tape-source.ts"): TapeModule {
  return new Tape(new ModuleLoader().load(fileName, source));
}
