/**
 * Activity analysis: which variables carry a derivative.
 *
 * A variable is *varied* if its value depends differentiably on a wrt parameter, and
 * *useful* if the result depends differentiably on it; it is *active* if both. Only
 * active variables get adjoints or tangents. The analysis is flow-insensitive (a
 * variable is active if any assignment makes it so), which is conservative and simple.
 * Dependencies through comparisons, indices, `.length` and piecewise-constant functions
 * (floor, sign, …) carry no derivative and are cut.
 *
 * Switched off (`enabled: false`), every numeric variable is active: results must not change.
 */
import type { Expr, FunctionIR, Stmt } from "../ir/nodes.ts";
import { rootName, walkStmts, writtenBy } from "../ir/visit.ts";
import { isDifferentiableOperator, isPiecewiseConstant } from "../ir/primitives.ts";
import { leafPaths } from "../ir/types.ts";

export interface Activity {
  active: Set<string>;
  isActive(e: Expr): boolean;
}

/** Variables whose derivative flows into the value of `e`. */
export function differentiableReads(e: Expr, into = new Set<string>()): Set<string> {
  switch (e.kind) {
    case "var": into.add(e.name); break;
    case "index": differentiableReads(e.object, into); break;
    case "field": differentiableReads(e.object, into); break;
    case "unary": if (e.op !== "!") differentiableReads(e.operand, into); break;
    case "binary":
      if (isDifferentiableOperator(e.op)) {
        differentiableReads(e.left, into);
        differentiableReads(e.right, into);
      }
      break;
    case "call":
      if (!isPiecewiseConstant(e.callee)) for (const a of e.args) differentiableReads(a, into);
      break;
    case "userCall":
      for (const a of e.args) differentiableReads(a, into);
      break;
    case "conditional": differentiableReads(e.whenTrue, into); differentiableReads(e.whenFalse, into); break;
    case "arrayLiteral": for (const x of e.elements) differentiableReads(x, into); break;
    case "record": for (const f of e.fields) differentiableReads(f.value, into); break;
    case "pop": if (e.of) into.add(e.of); break;
    default: break;
  }
  return into;
}

/**
 * `isActive` of an Activity: whether a derivative of one of `names` flows into `e`
 * (differentiableReads, without building the set). Remembered per expression node: the
 * reverse sweep asks it at every level of an expression, so a sum of n terms would cost
 * n² otherwise. IR nodes are never changed in place, so a node's answer never changes.
 */
function activeReads(names: ReadonlySet<string>, fieldsOf: ReadonlyMap<string, string[]> = new Map()): (e: Expr) => boolean {
  const known = new WeakMap<Expr, boolean>();
  const reads = (e: Expr): boolean => {
    // Leaves, and an element or field of a variable, answer at once: only larger
    // expressions are remembered (most nodes are leaves; the memo costs more there).
    switch (e.kind) {
      // An object parameter read whole is active when one of its fields is.
      case "var": return names.has(e.name) || !!fieldsOf.get(e.name)?.some((f) => names.has(f));
      case "number": case "boolean": case "string": return false;
      case "index": case "field": if (e.object.kind === "var") return reads(e.object); break;
      default: break;
    }
    let answer = known.get(e);
    if (answer !== undefined) return answer;
    switch (e.kind) {
      case "index": case "field": answer = reads(e.object); break;
      case "unary": answer = e.op !== "!" && reads(e.operand); break;
      case "binary": answer = isDifferentiableOperator(e.op) && (reads(e.left) || reads(e.right)); break;
      case "call": answer = !isPiecewiseConstant(e.callee) && e.args.some(reads); break;
      case "userCall": answer = e.args.some(reads); break;
      case "conditional": answer = reads(e.whenTrue) || reads(e.whenFalse); break;
      case "arrayLiteral": answer = e.elements.some(reads); break;
      case "pop": answer = e.of !== undefined && names.has(e.of); break;
      default: answer = false;
    }
    known.set(e, answer);
    return answer;
  };
  return reads;
}

/** `target ← sources` for every statement that gives a variable (or an array's elements) a value. */
export function dependencyEdges(body: Stmt[], integers: Set<string> = new Set()): { target: string; sources: Set<string> }[] {
  const edges: { target: string; sources: Set<string> }[] = [];
  walkStmts(body, (s) => {
    // An Int32Array holds integers: what is stored in it carries no derivative.
    if ((s.kind === "declare" && integers.has(s.name)) || (s.kind === "assign" && integers.has(rootName(s.target) ?? ""))) return;
    if (s.kind === "declare") edges.push({ target: s.name, sources: differentiableReads(s.init) });
    else if (s.kind === "append") edges.push({ target: s.array, sources: differentiableReads(s.value) });
    else if (s.kind === "assign") {
      const root = rootName(s.target);
      if (root) edges.push({ target: root, sources: differentiableReads(s.value) });
    }
  });
  return edges;
}

/** Closes `seeds` under the edges: everything whose value depends on a seed. */
export function dependents(seeds: Iterable<string>, edges: { target: string; sources: Set<string> }[]): Set<string> {
  const varied = new Set(seeds);
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = 0; k < edges.length; k++) {
      const { target, sources } = edges[k]!;
      if (!varied.has(target) && someIn(sources, varied)) {
        varied.add(target);
        changed = true;
      }
    }
  }
  return varied;
}

/** Whether one of `names` is in `set`. */
function someIn(names: Set<string>, set: Set<string>): boolean {
  for (const n of names) if (set.has(n)) return true;
  return false;
}

export function analyzeActivity(fn: FunctionIR, result: Expr, wrt: string[], enabled = true): Activity {
  const numeric = new Set<string>();
  for (const p of fn.params) {
    for (const leaf of leafPaths(p.name, p.type)) if (leaf.type.kind === "number" || leaf.type.kind === "array") numeric.add(leaf.path);
  }
  wrt = wrt.flatMap((name) => {
    const p = fn.params.find((q) => q.name === name);
    return p ? leafPaths(p.name, p.type).map((l) => l.path) : [name];
  });
  walkStmts(fn.body, (s) => {
    if (s.kind === "declare" && (s.type.kind === "number" || s.type.kind === "array")) numeric.add(s.name);
  });
  const integers = integerArrays(fn);
  for (const n of integers) numeric.delete(n);
  // An object parameter read whole (`decay(p)`, a shared callee's argument) reads each of its fields.
  const fieldsOf = new Map(fn.params.filter((p) => p.type.kind === "record").map((p) => [p.name, leafPaths(p.name, p.type).map((l) => l.path)]));
  const expand = (names: Set<string>): Set<string> => {
    for (const n of names) if (fieldsOf.has(n)) return new Set([...names].flatMap((m) => fieldsOf.get(m) ?? [m]));
    return names;
  };
  const edges = dependencyEdges(fn.body, integers);
  if (fieldsOf.size > 0) for (const edge of edges) edge.sources = expand(edge.sources);
  if (!enabled) {
    const isParamLeaf = (n: string) => fn.params.some((p) => n === p.name || n.startsWith(`${p.name}.`));
    const all = new Set([...numeric].filter((n) => !isParamLeaf(n) || wrt.includes(n)));
    return { active: all, isActive: activeReads(all, fieldsOf) };
  }
  const varied = dependents(wrt, edges);
  const useful = expand(differentiableReads(result));
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = 0; k < edges.length; k++) {
      const { target, sources } = edges[k]!;
      if (!useful.has(target)) continue;
      for (const s of sources) {
        if (!useful.has(s)) {
          useful.add(s);
          changed = true;
        }
      }
    }
  }
  const active = new Set([...varied].filter((n) => useful.has(n) && numeric.has(n)));
  return { active, isActive: activeReads(active, fieldsOf) };
}

/** Parameters and locals that are Int32Arrays (never differentiated). */
export function integerArrays(fn: FunctionIR): Set<string> {
  const out = new Set<string>();
  const isInt = (t: import("../ir/nodes.ts").ValueType) => t.kind === "array" && t.container === "int32array";
  for (const p of fn.params) for (const leaf of leafPaths(p.name, p.type)) if (isInt(leaf.type)) out.add(leaf.path);
  walkStmts(fn.body, (s) => {
    if (s.kind === "declare" && isInt(s.type)) out.add(s.name);
  });
  return out;
}

/**
 * Everything `seeds` depend on (the reverse of `dependents`), where an array declared as a
 * path into another (`const x_bar = grad.x`, `const q_bar = icf_bar[k]`) aliases it: the
 * root is useful when the alias is, and the alias when the root is if anything writes
 * through the alias (writing one writes the other); a row that is only read is useful only
 * through its reads. A popped value pairs with what its push saved: each of such a pair is
 * as useful as the other.
 */
export function dependencies(seeds: Iterable<string>, body: Stmt[], edges: { target: string; sources: Set<string> }[]): Set<string> {
  const useful = new Set(seeds);
  const aliases: [string, string][] = [];
  const writtenThrough = new Set<string>();
  const pairs: [string, string][] = [];
  walkStmts(body, (s) => {
    // A pop and the push it pairs with (`of`) must agree on carrying a tangent, or the
    // tangent stack falls out of step: they are as useful as each other.
    const popped = s.kind === "declare" ? s.init : s.kind === "assign" ? s.value : null;
    const target = s.kind === "declare" ? s.name : s.kind === "assign" ? rootName(s.target) : null;
    if (popped?.kind === "pop" && popped.of && target) pairs.push([target, popped.of]);
    // What may change an array's elements (a pullback adds into its record's arrays too).
    writtenBy(s, writtenThrough);
    if (s.kind !== "declare" || s.type.kind !== "array") return;
    if (s.init.kind !== "var" && s.init.kind !== "field" && s.init.kind !== "index") return;
    const root = rootName(s.init);
    if (root) aliases.push([s.name, root]);
  });
  // Writing through a row of a row writes through the row too (`c_bar` → `centroids_bar` → `grad`).
  for (let grew = true; grew; ) {
    grew = false;
    for (const [alias, root] of aliases) {
      if (writtenThrough.has(alias) && !writtenThrough.has(root)) {
        writtenThrough.add(root);
        grew = true;
      }
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    const add = (name: string) => {
      if (!useful.has(name)) {
        useful.add(name);
        changed = true;
      }
    };
    for (const { target, sources } of edges) if (useful.has(target)) for (const n of sources) add(n);
    for (const [alias, root] of aliases) {
      // A row only read (`const c = centroids[j]`) is useful when something reads it; one
      // written through changes its root, so it is useful whenever the root is.
      if (useful.has(root) && writtenThrough.has(alias)) add(alias);
      if (useful.has(alias)) add(root);
    }
    for (const [popped, pushed] of pairs) {
      if (useful.has(pushed)) add(popped);
      if (useful.has(popped)) add(pushed);
    }
  }
  return useful;
}

/**
 * An array parameter outside `wrt` whose elements the body writes with values that carry
 * a derivative (`buf[0] = x[0] * 2` for a buffer passed in), if any: it would need a tangent
 * or adjoint of its own, which the caller's array does not have. The modes refuse it.
 */
export function activeWrittenParameter(fn: FunctionIR, wrt: readonly string[], active: ReadonlySet<string>): FunctionIR["params"][number] | undefined {
  const written = new Set<string>();
  walkStmts(fn.body, (s) => {
    if (s.kind === "assign" && s.target.kind === "index") written.add(rootName(s.target)!);
  });
  return fn.params.find((p) => p.type.kind === "array" && !wrt.includes(p.name) && written.has(p.name) && active.has(p.name));
}

/** The message for activeWrittenParameter's parameter. */
export function activeWrittenMessage(p: FunctionIR["params"][number], wrt: readonly string[]): string {
  const copy = p.type.kind === "array" && p.type.element.kind === "number" ? `copy it into a local array first ('const work = ${p.name}.slice();') or write those values into a local` : "write those values into a local array instead";
  return `'${p.name}' is a parameter written with values that depend on ${wrt.map((w) => `'${w}'`).join(", ")}; ${copy}`;
}
