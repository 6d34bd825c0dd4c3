/**
 * The checks `tsgrad verify` and the playground's run panel make at one point: each
 * generated derivative against central differences of the function itself (or of its
 * generated gradient, for second derivatives), and forward against reverse mode.
 *
 *   grad      fGrad's gradient vs differences of f, entry by entry and along a random direction
 *   vjp       fVjp(w) vs differences of ⟨w, f⟩ (w random)
 *   jvp       fJvp(v) vs the difference of f along v (v random)
 *   jvp·vjp   the dot-product test ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ (both generated; exact up to rounding)
 *   hvp       fHvp(v) vs the difference of its gradient along v; that gradient vs differences of f
 *   hessian   fHessian's columns vs differences of its gradient; symmetry; that gradient
 *   jacobian  fJacobian's columns vs differences of f
 *   sparse hessian, sparse jacobian  the same checks of fHessianSparse, fJacobianSparse's
 *             compressed rows made dense: an entry left out of the detected pattern reads 0
 *   @vjpOf    a user's rule(params, c, grad) vs c · differences of its primal
 *
 * Relative errors use the denominator max(|expected|, 10⁻³ · the largest |expected| of
 * the vector), so entries near zero by cancellation are judged at the vector's scale. An
 * entry whose difference estimates never settle (finite differences' own error estimate
 * above the tolerance: a kink or a branch within the step) is counted as unresolved, not
 * as a mismatch; a mismatch also has to exceed four times that estimate.
 */
import { centralDerivative } from "./differences.ts";
import { cloneValue, dot, entryLabels, flatten, randomLike, unflattenLike } from "./values.ts";

export type CheckMode = "grad" | "vjp" | "jvp" | "jvp·vjp" | "hvp" | "hessian" | "jacobian" | "sparse hessian" | "sparse jacobian" | "@vjpOf";

type Fn = (...args: unknown[]) => unknown;

/** A function, its parameters and what tsgrad generated for it (whatever its tags asked for). */
export interface CheckSubject {
  name: string;
  params: readonly string[];
  /** Parameters differentiated, in declaration order. */
  wrt: readonly string[];
  f: Fn;
  grad?: Fn;
  vjp?: Fn;
  jvp?: Fn;
  hvp?: Fn;
  hessian?: Fn;
  jacobian?: Fn;
}

/** One comparison of a derivative entry with its reference. */
export interface Entry {
  label: string;
  /** What the generated code (or rule) gave. */
  actual: number;
  /** Finite differences (or, for jvp·vjp, the other mode). */
  expected: number;
  /** Finite differences' own error estimate (0 when the reference is exact). */
  uncertainty: number;
  relError: number;
  /** The differences never settled here: not judged. */
  unresolved: boolean;
}

export interface CheckResult {
  mode: CheckMode;
  entries: Entry[];
  /** Largest relative error among judged entries. */
  worst: number;
  /** Label of the worst entry. */
  worstAt: string;
  ok: boolean;
  /** The random direction v of a JVP or HVP check (flat, over the differentiated parameters). */
  direction?: number[];
}

export interface CheckOptions {
  tolerance: number;
  random: () => number;
  /** Entries compared one by one at most (a random subset beyond), besides one random direction. Default 12. */
  maxEntries?: number;
}

const FLOOR = 1e-3;

function judge(mode: CheckMode, entries: Entry[], tolerance: number): CheckResult {
  let worst = 0;
  let worstAt = "";
  let ok = true;
  for (const e of entries) {
    if (e.unresolved) continue;
    if (e.relError > worst || Number.isNaN(e.relError)) {
      worst = Number.isNaN(e.relError) ? Infinity : e.relError;
      worstAt = e.label;
    }
    if (!(e.relError <= tolerance) && !(Math.abs(e.actual - e.expected) <= 4 * e.uncertainty)) ok = false;
  }
  return { mode, entries, worst, worstAt, ok };
}

/** Entries comparing `actual` with `expected` (with uncertainties), judged at the vector's scale. */
function compareVectors(labels: readonly string[], actual: readonly number[], expected: readonly number[], uncertainty: readonly number[], tolerance: number, scaleOf: readonly number[] = expected): Entry[] {
  const scale = Math.max(0, ...scaleOf.map(Math.abs), ...actual.map(Math.abs));
  return labels.map((label, i) => {
    const a = actual[i]!;
    const e = expected[i]!;
    const u = uncertainty[i] ?? 0;
    const denominator = Math.max(Math.abs(e), FLOOR * scale, 1e-300);
    const relError = a === e ? 0 : Math.abs(a - e) / denominator;
    return { label, actual: a, expected: e, uncertainty: u, relError, unresolved: u > tolerance * denominator };
  });
}

/** The arguments seen as one flat vector of the differentiated parameters. */
class WrtSpace {
  readonly base: number[];
  readonly labels: string[];
  private readonly indices: number[];

  constructor(
    readonly args: readonly unknown[],
    params: readonly string[],
    readonly wrt: readonly string[],
  ) {
    this.indices = wrt.map((w) => params.indexOf(w));
    this.base = this.indices.flatMap((i) => flatten(args[i]));
    this.labels = this.indices.flatMap((i, k) => entryLabels(wrt[k]!, args[i]));
  }

  /** A copy of the arguments with the differentiated ones moved to base + t·direction. */
  at(t: number, direction: readonly number[]): unknown[] {
    const args = this.args.map(cloneValue);
    let offset = 0;
    for (const i of this.indices) {
      const size = flatten(args[i]).length;
      const moved = this.base.slice(offset, offset + size).map((x, k) => x + t * direction[offset + k]!);
      args[i] = unflattenLike(args[i], moved);
      offset += size;
    }
    return args;
  }

  /** A record keyed by wrt name from a flat vector (tangents, HVP directions). */
  record(flat: readonly number[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let offset = 0;
    this.indices.forEach((i, k) => {
      const size = flatten(this.args[i]).length;
      out[this.wrt[k]!] = unflattenLike(cloneValue(this.args[i]), flat.slice(offset, offset + size));
      offset += size;
    });
    return out;
  }

  /** A record keyed by wrt name (a gradient) as a flat vector. */
  flat(record: Record<string, unknown>): number[] {
    return this.wrt.flatMap((w) => flatten(record[w]));
  }

  unit(k: number): number[] {
    return this.base.map((_, i) => (i === k ? 1 : 0));
  }

  get scale(): number {
    return Math.max(1, ...this.base.map(Math.abs));
  }
}

/** Which entries to compare one by one: all of them, or a random subset. */
function sample(n: number, max: number, random: () => number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (n <= max) return all;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, max).sort((a, b) => a - b);
}

function randomVector(n: number, random: () => number): number[] {
  return Array.from({ length: n }, () => 2 * random() - 1);
}

/**
 * A flat gradient `γ(args)` checked against differences of the scalar `phi`: entry by
 * entry (a sample) and along one random direction.
 */
function gradientEntries(space: WrtSpace, gradient: readonly number[], phi: (args: unknown[]) => number, options: CheckOptions, prefix = "∂/∂"): Entry[] {
  const n = space.base.length;
  const picked = sample(n, options.maxEntries ?? 12, options.random);
  const actual: number[] = [];
  const expected: number[] = [];
  const uncertainty: number[] = [];
  const labels: string[] = [];
  for (const k of picked) {
    const d = centralDerivative((t) => [phi(space.at(t, space.unit(k)))], Math.max(1, Math.abs(space.base[k]!)));
    labels.push(`${prefix}${space.labels[k]}`);
    actual.push(gradient[k]!);
    expected.push(d.value[0]!);
    uncertainty.push(d.error[0]!);
  }
  const entries = compareVectors(labels, actual, expected, uncertainty, options.tolerance, [...expected, ...gradient]);
  if (n > 0) {
    const direction = randomVector(n, options.random);
    const d = centralDerivative((t) => [phi(space.at(t, direction))], space.scale);
    const along = dot(gradient, direction);
    const scale = gradient.reduce((s, g, i) => s + Math.abs(g * direction[i]!), 0);
    entries.push(...compareVectors([`${prefix}(random direction)`], [along], d.value, d.error, options.tolerance, [scale]));
  }
  return entries;
}

function scalar(value: unknown, what: string): number {
  if (typeof value !== "number") throw new Error(`${what} returned ${Array.isArray(value) ? "an array" : typeof value}, not a number`);
  return value;
}

function field(result: unknown, name: string, what: string): unknown {
  if (result === null || typeof result !== "object" || !(name in result)) throw new Error(`${what} returned no '${name}'`);
  return (result as Record<string, unknown>)[name];
}

/** Every check the subject's generated functions allow, at one point. */
export function checkAt(s: CheckSubject, args: readonly unknown[], options: CheckOptions): CheckResult[] {
  const space = new WrtSpace(args, s.params, s.wrt);
  const n = space.base.length;
  const results: CheckResult[] = [];
  const tol = options.tolerance;
  const f = (a: unknown[]) => s.f(...a);
  const output = f(space.at(0, space.base));
  const outputSize = flatten(output).length;

  if (s.grad) {
    const result = s.grad(...space.at(0, space.base));
    const gradient = space.flat(field(result, "grad", `${s.name}Grad`) as Record<string, unknown>);
    results.push(judge("grad", gradientEntries(space, gradient, (a) => scalar(f(a), s.name), options), tol));
  }
  let cotangent: unknown;
  if (s.vjp) {
    cotangent = typeof output === "number" ? 2 * options.random() - 1 : randomLike(output, options.random);
    const w = flatten(cotangent);
    const result = s.vjp(...space.at(0, space.base), cloneValue(cotangent));
    const gradient = space.flat(field(result, "grad", `${s.name}Vjp`) as Record<string, unknown>);
    results.push(judge("vjp", gradientEntries(space, gradient, (a) => dot(w, flatten(f(a))), options), tol));
  }
  if (s.jvp && n > 0) {
    const v = randomVector(n, options.random);
    const result = s.jvp(...space.at(0, space.base), space.record(v));
    const tangent = flatten(field(result, "tangent", `${s.name}Jvp`));
    const d = centralDerivative((t) => flatten(f(space.at(t, v))), space.scale);
    const labels = outputSize === 1 ? ["J·v"] : entryLabels("(J·v)", output);
    results.push({ ...judge("jvp", compareVectors(labels, tangent, d.value, d.error, tol), tol), direction: v });
    // The dot-product test: forward and reverse mode meet in ⟨J v, w⟩ = ⟨v, Jᵀ w⟩.
    const reverse = s.vjp ?? (outputSize === 1 ? s.grad : undefined);
    if (reverse) {
      const w = s.vjp ? randomLike(output, options.random) : 1;
      const pulled = space.flat(field(s.vjp ? reverse(...space.at(0, space.base), cloneValue(w)) : reverse(...space.at(0, space.base)), "grad", s.vjp ? `${s.name}Vjp` : `${s.name}Grad`) as Record<string, unknown>);
      const forwardSide = dot(tangent, flatten(w));
      const reverseSide = dot(v, pulled);
      const scale = Math.max(Math.abs(forwardSide), Math.abs(reverseSide), 1e-300);
      results.push(judge("jvp·vjp", [{ label: "⟨J v, w⟩ − ⟨v, Jᵀ w⟩", actual: forwardSide, expected: reverseSide, uncertainty: 0, relError: forwardSide === reverseSide ? 0 : Math.abs(forwardSide - reverseSide) / scale, unresolved: false }], tol));
    }
  }
  // Second derivatives against differences of the gradient the same generated function
  // returns (itself checked against differences of f): an fGrad that calls a wrong @vjpOf
  // rule must not make a right HVP look wrong.
  const phi = (a: unknown[]) => scalar(f(a), s.name);
  if (s.hvp && n > 0) {
    const v = randomVector(n, options.random);
    const name = `${s.name}Hvp`;
    const gradientOf = (a: unknown[]) => space.flat(field(s.hvp!(...a, space.record(v)), "grad", name) as Record<string, unknown>);
    const hv = space.flat(field(s.hvp(...space.at(0, space.base), space.record(v)), "hvp", name) as Record<string, unknown>);
    const d = centralDerivative((t) => gradientOf(space.at(t, v)), space.scale);
    const entries = compareVectors(space.labels.map((l) => `(H·v) at ${l}`), hv, d.value, d.error, tol);
    entries.push(...gradientEntries(space, gradientOf(space.at(0, space.base)), phi, options, "its gradient ∂/∂"));
    results.push({ ...judge("hvp", entries, tol), direction: v });
  }
  if (s.hessian && n > 0) {
    const name = `${s.name}Hessian`;
    const gradientOf = (a: unknown[]) => space.flat(field(s.hessian!(...a), "grad", name) as Record<string, unknown>);
    const H = field(s.hessian(...space.at(0, space.base)), "hessian", name) as number[][];
    const entries: Entry[] = gradientEntries(space, gradientOf(space.at(0, space.base)), phi, options, "its gradient ∂/∂");
    for (const k of sample(n, Math.min(options.maxEntries ?? 12, 6), options.random)) {
      const d = centralDerivative((t) => gradientOf(space.at(t, space.unit(k))), Math.max(1, Math.abs(space.base[k]!)));
      const column = H.map((row) => row[k]!);
      entries.push(...compareVectors(space.labels.map((l) => `H[${l}, ${space.labels[k]}]`), column, d.value, d.error, tol));
    }
    const scale = Math.max(1e-300, ...H.flat().map(Math.abs));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const gap = Math.abs(H[i]![j]! - H[j]![i]!);
        if (gap > 0) entries.push({ label: `symmetry H[${space.labels[i]}, ${space.labels[j]}]`, actual: H[i]![j]!, expected: H[j]![i]!, uncertainty: 0, relError: gap / Math.max(Math.abs(H[j]![i]!), FLOOR * scale), unresolved: false });
      }
    }
    results.push(judge("hessian", entries, tol));
  }
  if (s.jacobian && n > 0) {
    const J = field(s.jacobian(...space.at(0, space.base)), "jacobian", `${s.name}Jacobian`) as number[][];
    const rows = outputSize === 1 ? ["f"] : entryLabels("f", output);
    const entries: Entry[] = [];
    for (const k of sample(n, Math.min(options.maxEntries ?? 12, 6), options.random)) {
      const d = centralDerivative((t) => flatten(f(space.at(t, space.unit(k)))), Math.max(1, Math.abs(space.base[k]!)));
      entries.push(...compareVectors(rows.map((r) => `∂${r}/∂${space.labels[k]}`), J.map((row) => row[k]!), d.value, d.error, tol));
    }
    results.push(judge("jacobian", entries, tol));
  }
  return results;
}

/**
 * A user's `@vjpOf g` rule, `rule(params of g…, cotangent, grad)`: it must add
 * cotangent · ∂g/∂p into `grad.p` for every differentiable parameter p and return g's value.
 */
export function checkRule(primal: Fn, rule: Fn, params: readonly string[], differentiable: readonly string[], args: readonly unknown[], options: CheckOptions, ruleName = "rule"): CheckResult {
  const space = new WrtSpace(args, params, differentiable);
  const cotangent = 0.5 + options.random();
  const grad = space.record(space.base.map(() => 0));
  const value = rule(...space.at(0, space.base), cotangent, grad);
  const primalValue = scalar(primal(...space.at(0, space.base)), "the primal");
  const entries = gradientEntries(space, space.flat(grad).map((x) => x / cotangent), (a) => scalar(primal(...a), "the primal"), options);
  entries.unshift(...compareVectors([`${ruleName}'s returned value`], [scalar(value, ruleName)], [primalValue], [0], options.tolerance));
  return judge("@vjpOf", entries, options.tolerance);
}
