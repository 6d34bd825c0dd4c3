/**
 * `tsgrad verify`'s engine: for every target (targets.ts), seeded points (points.ts), the
 * checks of checks.ts at each, and per function and mode the worst relative error over
 * all points. Modules are loaded by the caller (the CLI imports files; a browser would
 * evaluate them), so nothing here needs Node.
 */
import { checkAt, checkRule, type CheckMode, type CheckSubject } from "./checks.ts";
import { pointsFor, type InputsFunction } from "./points.ts";
import type { FunctionTarget, Mode, RuleTarget, Target } from "./targets.ts";
import { cloneValue, seededRandom } from "./values.ts";

export { findTargets, type Target, type FunctionTarget, type RuleTarget } from "./targets.ts";
export { checkAt, checkRule, type CheckResult, type CheckSubject, type Entry, type CheckMode } from "./checks.ts";
export { seededRandom } from "./values.ts";

export interface VerifyOptions {
  /** Points per function (default 3). */
  points: number;
  seed: number;
  tolerance: number;
  /** Entries compared one by one per check (a random subset beyond). */
  maxEntries?: number;
}

export interface VerifyRow {
  file: string;
  /** The function (for a rule: the rule's name). */
  function: string;
  line: number;
  mode: CheckMode | "-";
  /** Points at which the check ran. */
  points: number;
  /** Worst relative error over those points (0 when none ran). */
  worst: number;
  /** The entry and point of the worst error, or why the row failed. */
  note: string;
  status: "ok" | "mismatch" | "error";
}

export type Module = Record<string, unknown>;

export interface ModuleLoader {
  /** The module of a source file. */
  source(file: string): Promise<Module>;
  /** The module of a source file's generated `X.grad.ts`. */
  generated(file: string): Promise<Module>;
}

type Fn = (...args: unknown[]) => unknown;

const GENERATED: Record<string, string> = { grad: "Grad", vjp: "Vjp", jvp: "Jvp", hvp: "Hvp", hessian: "Hessian", jacobian: "Jacobian" };

function fnOf(module: Module, name: string): Fn | undefined {
  const f = module[name];
  if (typeof f === "function") return f as Fn;
  // A CommonJS module loaded as ESM: its exports object is the default export.
  const exports = module.default;
  if (exports !== null && typeof exports === "object" && typeof (exports as Module)[name] === "function") return (exports as Module)[name] as Fn;
  return undefined;
}

/**
 * A method as a function of its generated functions' parameters: the receiver first (a
 * record of the class's fields, given the class's prototype so the method can call its
 * other methods), unless it is static.
 */
function methodOf(module: Module, className: string, method: { name: string; isStatic: boolean }): Fn | undefined {
  const cls = fnOf(module, className) as (Fn & { prototype: Record<string, unknown> }) | undefined;
  if (!cls) return undefined;
  const own = (method.isStatic ? (cls as unknown as Record<string, unknown>) : cls.prototype)[method.name];
  if (typeof own !== "function") return undefined;
  if (method.isStatic) return (...args: unknown[]) => (own as Fn).apply(cls, args);
  return (fields: unknown, ...args: unknown[]) => (own as Fn).apply(Object.assign(Object.create(cls.prototype) as object, fields), args);
}

function finiteValue(value: unknown): boolean {
  return typeof value === "number" ? Number.isFinite(value) : true;
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/** Folds per-point results into one row per mode. */
class Rows {
  private readonly byMode = new Map<string, VerifyRow>();
  constructor(private readonly base: Pick<VerifyRow, "file" | "function" | "line">) {}

  add(mode: CheckMode, worst: number, at: string, point: number, ok: boolean): void {
    const row = this.byMode.get(mode) ?? { ...this.base, mode, points: 0, worst: 0, note: "", status: "ok" as VerifyRow["status"] };
    row.points++;
    if (worst > row.worst || row.points === 1) {
      row.worst = worst;
      row.note = at ? `${at}, point ${point + 1}` : "";
    }
    if (!ok && row.status === "ok") row.status = "mismatch";
    this.byMode.set(mode, row);
  }

  error(mode: CheckMode | "-", note: string): void {
    const row = this.byMode.get(mode) ?? { ...this.base, mode, points: 0, worst: 0, note: "", status: "error" as const };
    row.status = "error";
    row.note = note;
    this.byMode.set(mode, row);
  }

  list(): VerifyRow[] {
    return [...this.byMode.values()];
  }
}

export async function verify(targets: readonly Target[], load: ModuleLoader, options: VerifyOptions): Promise<VerifyRow[]> {
  const rows: VerifyRow[] = [];
  for (const target of targets) {
    rows.push(...(target.kind === "function" ? await verifyFunction(target, load, options) : await verifyRule(target, load, options)));
  }
  return rows;
}

async function verifyFunction(target: FunctionTarget, load: ModuleLoader, options: VerifyOptions): Promise<VerifyRow[]> {
  const rows = new Rows({ file: target.file, function: target.name, line: target.line });
  let source: Module;
  let generated: Module;
  try {
    source = await load.source(target.file);
    generated = await load.generated(target.file);
  } catch (error) {
    rows.error("-", `cannot load: ${message(error)}`);
    return rows.list();
  }
  const f = target.exportName === undefined ? undefined : target.method ? methodOf(source, target.exportName, target.method) : fnOf(source, target.exportName);
  if (!f) {
    rows.error("-", `'${target.exportName ?? target.name}' is not exported, so verify cannot call it`);
    return rows.list();
  }
  const random = seededRandom(options.seed);
  const wrtAll = [...new Set(target.groups.flatMap((g) => g.wrt))];
  let points;
  try {
    const prototypeOf = (className: string) => (fnOf(source, className) as { prototype?: object } | undefined)?.prototype;
    points = pointsFor(target.name, target.params, wrtAll, fnOf(source, `${target.name}Inputs`) as InputsFunction | undefined, options.points, random, prototypeOf);
  } catch (error) {
    rows.error("-", message(error));
    return rows.list();
  }
  if ("error" in points) {
    rows.error("-", points.error);
    return rows.list();
  }
  if (points.source === "inferred") {
    // A guessed point the function is not finite at (a number parameter used as an index,
    // a log of a difference) says nothing about the derivative: ask for the inputs instead.
    // One that throws there (`new Array(n * k)` of a guessed k: "Invalid array length") likewise.
    let thrown: unknown;
    const bad = points.points.findIndex((args) => {
      try {
        return !finiteValue(f(...args.map(cloneValue)));
      } catch (error) {
        thrown = error;
        return true;
      }
    });
    if (bad >= 0) {
      const what = thrown === undefined ? "is not finite" : `throws (${message(thrown)})`;
      rows.error("-", `'${target.exportName}' ${what} at the guessed point ${bad + 1} (a number parameter used as an index or a size?): export ${target.name}Inputs(random) returning arguments where it is defined`);
      return rows.list();
    }
  }
  for (const group of target.groups) {
    const subject: CheckSubject = { name: target.name, params: target.params.map((p) => p.name), wrt: group.wrt, f };
    // The sparse forms are checked as the dense ones are, their compressed rows made dense.
    const label = (mode: CheckMode): CheckMode => {
      const matrix = sparseMatrix(mode, group.sparse);
      return matrix ? `sparse ${matrix}` : mode;
    };
    for (const mode of group.modes) {
      const { name, fn } = generatedFunction(generated, target.name, mode, group.sparse);
      if (!fn) {
        rows.error(label(mode), `the generated file has no '${name}': run 'tsgrad build'`);
        continue;
      }
      subject[mode] = fn;
    }
    points.points.forEach((args, k) => {
      try {
        for (const result of checkAt(subject, args, { tolerance: options.tolerance, random, maxEntries: options.maxEntries })) {
          rows.add(label(result.mode), result.worst, result.worstAt, k, result.ok);
        }
      } catch (error) {
        rows.error("-", `at point ${k + 1}: ${message(error)}`);
      }
    });
  }
  return rows.list();
}

/**
 * The generated function of one mode (`loss` → lossGrad; a sparse Hessian → lossHessianSparse,
 * as a function returning a dense `hessian` like lossHessian's), or its name when the module
 * does not have it.
 */
export function generatedFunction(generated: Module, name: string, mode: Mode, sparse: boolean): { name: string; fn?: Fn } {
  const matrix = sparseMatrix(mode, sparse);
  const full = `${name}${GENERATED[mode]}${matrix ? "Sparse" : ""}`;
  const fn = fnOf(generated, full);
  return { name: full, ...(fn && { fn: matrix ? withDenseMatrix(fn, matrix) : fn }) };
}

/** The matrix a mode of a sparse group gives in compressed rows (`@hessian x sparse`), else null. */
function sparseMatrix(mode: string, sparse: boolean): "hessian" | "jacobian" | null {
  return sparse && (mode === "hessian" || mode === "jacobian") ? mode : null;
}

/** Compressed sparse rows, as fHessianSparse and fJacobianSparse return them. */
interface CompressedRows {
  rows: number;
  columns: number;
  rowPointers: Int32Array;
  columnIndices: Int32Array;
  values: Float64Array;
}

/** The matrix of compressed rows as rows of numbers, zero outside the pattern. */
function denseRows(m: CompressedRows): number[][] {
  const dense = Array.from({ length: m.rows }, () => new Array<number>(m.columns).fill(0));
  for (let i = 0; i < m.rows; i++) {
    for (let e = m.rowPointers[i]!; e < m.rowPointers[i + 1]!; e++) dense[i]![m.columnIndices[e]!] = m.values[e]!;
  }
  return dense;
}

/** fHessianSparse (fJacobianSparse) as fHessian (fJacobian): the same result with its matrix field dense. */
function withDenseMatrix(fn: Fn, field: "hessian" | "jacobian"): Fn {
  return (...args) => {
    const result = fn(...args) as Record<string, unknown>;
    return { ...result, [field]: denseRows(result[field] as CompressedRows) };
  };
}

async function verifyRule(target: RuleTarget, load: ModuleLoader, options: VerifyOptions): Promise<VerifyRow[]> {
  const rows = new Rows({ file: target.file, function: target.name, line: target.line });
  if (!target.primalFile || !target.primalName) {
    rows.error("@vjpOf", `'${target.primal}' is not a function of the checked sources (from a package?): its rule cannot be compared with it`);
    return rows.list();
  }
  let ruleModule: Module;
  let primalModule: Module;
  try {
    ruleModule = await load.source(target.file);
    primalModule = await load.source(target.primalFile);
  } catch (error) {
    rows.error("@vjpOf", `cannot load: ${message(error)}`);
    return rows.list();
  }
  const rule = fnOf(ruleModule, target.name);
  const primal = fnOf(primalModule, target.primalName);
  if (!rule || !primal) {
    rows.error("@vjpOf", `'${!rule ? target.name : target.primalName}' is not exported, so verify cannot call it`);
    return rows.list();
  }
  const random = seededRandom(options.seed);
  const inputs = (fnOf(primalModule, `${target.primalName}Inputs`) ?? fnOf(ruleModule, `${target.name}Inputs`)) as InputsFunction | undefined;
  let points;
  try {
    points = pointsFor(target.primalName, target.params, target.differentiable, inputs, options.points, random);
  } catch (error) {
    rows.error("@vjpOf", message(error));
    return rows.list();
  }
  if ("error" in points) {
    rows.error("@vjpOf", points.error);
    return rows.list();
  }
  points.points.forEach((args, k) => {
    try {
      const result = checkRule(primal, rule, target.params.map((p) => p.name), target.differentiable, args, { tolerance: options.tolerance, random, maxEntries: options.maxEntries }, target.name);
      rows.add("@vjpOf", result.worst, result.worstAt, k, result.ok);
    } catch (error) {
      rows.error("@vjpOf", `at point ${k + 1}: ${message(error)}`);
    }
  });
  return rows.list().map((r) => ({ ...r, note: r.note || `rule of ${target.primal}` }));
}
