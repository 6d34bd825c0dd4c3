/**
 * Common subexpression elimination over `const` declarations, before any derivative pass:
 * a `const b = e` whose `e` an earlier, still visible `const a = e` computed from the same
 * variable values is dropped and `b` read as `a`.
 *
 * The duplicates come from inlining: two calls of one function at the same point (particle's
 * two `potentialJvp` of one position, one per direction) each compute the same offsets and
 * square roots. Left alone, every derivative pass differentiates both copies, and reverse
 * mode saves both (rf saved 12 values per Euler step for 5 distinct ones).
 *
 * Only expressions whose value is fixed by the variables they read take part: numbers,
 * variables, arithmetic and the primitives' Math calls (no element or field reads, whose
 * arrays a statement may change without naming them). An entry stops being available where
 * a variable it reads may be written (an assignment, a redeclaration, a call's record
 * argument), at the end of the block that declared it, and inside a loop that writes one of
 * its variables (the next iteration would read another value). Values are those the
 * duplicate computed, bit for bit; derivatives may change in the last bit (the two copies'
 * adjoints are now summed before they flow on).
 */
import type { Expr, FunctionIR, Stmt } from "../ir/nodes.ts";
import { PRIMITIVES } from "../ir/primitives.ts";
import { renameVariable } from "../ir/rewrite.ts";
import { exprReads, walkStmts, writtenBy } from "../ir/visit.ts";

const ARITHMETIC = new Set(["+", "-", "*", "/", "%", "**"]);

interface Available {
  /** The variable holding the value. */
  name: string;
  /** The variables the value was computed from. */
  reads: Set<string>;
}

/** `fn` with repeated pure `const` computations read from their first variable. */
export function eliminateCommonSubexpressions(fn: FunctionIR): FunctionIR {
  const declared = new Map<string, number>();
  const constants = new Set<string>();
  for (const p of fn.params) declared.set(p.name, 2); // never a holder nor a duplicate: a parameter may be reassigned
  walkStmts(fn.body, (s) => {
    if (s.kind !== "declare") return;
    declared.set(s.name, (declared.get(s.name) ?? 0) + 1);
    if (!s.mutable) constants.add(s.name);
  });
  const once = (name: string) => declared.get(name) === 1;
  // A copy of a constant (`const ax_dot = x_dot`) costs nothing and names the value better than its twin would.
  const candidate = (s: Stmt & { kind: "declare" }) =>
    !s.mutable && s.type.kind === "number" && once(s.name) && s.init.kind !== "number" && !(s.init.kind === "var" && once(s.init.name) && constants.has(s.init.name));
  const renames: { from: string; to: string }[] = [];
  const body = block(fn.body, new Map(), candidate, renames);
  if (renames.length === 0) return fn;
  let renamed = body;
  for (const { from, to } of renames) renamed = renameVariable(renamed, from, to);
  return { ...fn, body: renamed };
}

/**
 * One statement list: drops the duplicates it declares (recording each rename) and returns
 * the rest. `available` maps a value's key to its holder; it is this list's own copy.
 */
function block(stmts: Stmt[], outer: Map<string, Available>, candidate: (s: Stmt & { kind: "declare" }) => boolean, renames: { from: string; to: string }[]): Stmt[] {
  const available = new Map(outer);
  const out: Stmt[] = [];
  // Renames found earlier in this pass apply to the keys of later expressions.
  const alias = new Map(renames.map((r) => [r.from, r.to]));
  for (const s of stmts) {
    if (s.kind === "declare" && candidate(s)) {
      const key = keyOf(s.init, (n) => alias.get(n) ?? n);
      if (key !== null) {
        const hit = available.get(key);
        if (hit) {
          renames.push({ from: s.name, to: hit.name });
          alias.set(s.name, hit.name);
          continue;
        }
        kill(available, new Set([s.name]));
        const reads = new Set([...exprReads(s.init)].map((n) => alias.get(n) ?? n));
        available.set(key, { name: s.name, reads });
        out.push(s);
        continue;
      }
    }
    if (s.kind === "if") {
      const then = block(s.then, available, candidate, renames);
      const otherwise = block(s.else, available, candidate, renames);
      for (const r of renames) alias.set(r.from, r.to);
      out.push({ ...s, then, else: otherwise });
    } else if (s.kind === "block") {
      const body = block(s.body, available, candidate, renames);
      for (const r of renames) alias.set(r.from, r.to);
      out.push({ ...s, body });
    } else if (s.kind === "loop") {
      // Inside, only what no part of the loop changes is the same on every iteration.
      const inside = new Map(available);
      kill(inside, changedIn([s]));
      const body = block(s.body, inside, candidate, renames);
      for (const r of renames) alias.set(r.from, r.to);
      out.push({ ...s, body });
    } else {
      out.push(s);
    }
    kill(available, changedIn([s]));
  }
  return out;
}

/** Variables the statements (nested bodies included) declare or may change. */
function changedIn(stmts: Stmt[]): Set<string> {
  const changed = new Set<string>();
  walkStmts(stmts, (x) => {
    if (x.kind === "declare") changed.add(x.name);
    writtenBy(x, changed);
  });
  return changed;
}

/** Forgets every value that reads (or is held in) a changed variable. */
function kill(available: Map<string, Available>, changed: Set<string>): void {
  if (changed.size === 0) return;
  for (const [key, entry] of available) {
    if (changed.has(entry.name) || [...entry.reads].some((n) => changed.has(n))) available.delete(key);
  }
}

/** A key equal for equal pure expressions (variables read through `name`), or null when `e` is not pure arithmetic. */
function keyOf(e: Expr, name: (n: string) => string): string | null {
  switch (e.kind) {
    case "number":
      return Object.is(e.value, -0) ? "-0" : String(e.value);
    case "var":
      return `$${name(e.name)}`;
    case "unary":
      if (e.op === "!") return null;
      {
        const operand = keyOf(e.operand, name);
        return operand === null ? null : `(${e.op}${operand})`;
      }
    case "binary":
      if (!ARITHMETIC.has(e.op)) return null;
      {
        const left = keyOf(e.left, name);
        const right = left === null ? null : keyOf(e.right, name);
        return right === null ? null : `(${left}${e.op}${right})`;
      }
    case "call": {
      if (!e.callee.startsWith("Math.") || !PRIMITIVES[e.callee]) return null;
      const args: string[] = [];
      for (const a of e.args) {
        const k = keyOf(a, name);
        if (k === null) return null;
        args.push(k);
      }
      return `${e.callee}(${args.join(",")})`;
    }
    default:
      return null;
  }
}
