/**
 * Counted loops: their headers, the variables that always hold integers, and the index a
 * loop really ended at. Read by reverse mode (which runs counted loops backwards), inner-loop
 * fusion (which recognizes a loop and its reverse), scratch arrays, the overwrite pass and
 * stack cursors. A reverse loop must start at the index the forward loop really ended at,
 * which is `bound - 1` only when both ends are whole numbers.
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, Stmt } from "../ir/nodes.ts";
import { walkStmts } from "../ir/visit.ts";
import { isIntegerValuedCall } from "../ir/primitives.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;
type Declare = Extract<Stmt, { kind: "declare" }>;
export type Comparison = "<" | "<=" | ">" | ">=";

/** `for (let i = a; …; i = i ± k)` with a literal whole k: the counter, its declaration and its step. */
function counterOf(s: Loop): { i: string; init: Declare; update: Stmt; step: number; up: boolean } | null {
  if (s.form !== "for" || s.init.length !== 1 || s.update.length !== 1) return null;
  const [init, update] = [s.init[0]!, s.update[0]!];
  if (init.kind !== "declare" || update.kind !== "assign" || update.target.kind !== "var" || update.target.name !== init.name) return null;
  const step = update.value;
  if (step.kind !== "binary" || (step.op !== "+" && step.op !== "-") || !b.sameExpr(step.left, b.v(init.name))) return null;
  if (step.right.kind !== "number" || !Number.isInteger(step.right.value)) return null;
  return { i: init.name, init, update, step: step.right.value, up: step.op === "+" };
}

/**
 * A counted loop's header: `for (let i = a; i < n; i += k)` (or `<=`; `>`, `>=` counting
 * down) with a literal whole stride k ≥ 1; `i + c < n` is read as `i < n - c`. Whether the
 * body leaves `i` alone and the bounds never change is the caller's to check.
 */
export function countedHeader(s: Loop): { i: string; init: Declare; up: boolean; stride: number; op: Comparison; bound: Expr } | null {
  const counter = counterOf(s);
  if (!counter || counter.step < 1 || !s.test) return null;
  const { i, init, up, step: stride } = counter;
  let test = s.test;
  if (test.kind === "binary" && test.left.kind === "binary" && test.left.op === "+" && b.sameExpr(test.left.left, b.v(i)) && test.left.right.kind === "number") {
    test = { ...test, left: b.v(i), right: b.sub(test.right, test.left.right) };
  }
  if (test.kind !== "binary" || !b.sameExpr(test.left, b.v(i))) return null;
  const op = test.op;
  if (up ? op !== "<" && op !== "<=" : op !== ">" && op !== ">=") return null;
  return { i, init, up, stride, op: op as Comparison, bound: test.right };
}

/** Whether a variable always holds an integer (see integerVariables). */
export type IntegerTest = (name: string) => boolean;

/**
 * Variables that always hold integers: counters of `for` loops that start at an integer and
 * step by a whole number, and variables declared once (never assigned) from an integer
 * expression. Parameters are never known to be integers.
 */
export function integerVariables(fn: FunctionIR): IntegerTest {
  const inits = new Map<string, Expr[]>();
  const assigned = new Set<string>();
  const steps = new Set<Stmt>();
  walkStmts(fn.body, (s) => {
    const counter = s.kind === "loop" ? counterOf(s) : null;
    if (counter) steps.add(counter.update);
  });
  walkStmts(fn.body, (s) => {
    if (s.kind === "declare") inits.set(s.name, [...(inits.get(s.name) ?? []), s.init]);
    // A counter's own integer step keeps it an integer; any other assignment may not.
    if (s.kind === "assign" && s.target.kind === "var" && !steps.has(s)) assigned.add(s.target.name);
  });
  const visiting = new Set<string>();
  const test: IntegerTest = (name) => {
    if (visiting.has(name)) return false;
    const list = inits.get(name);
    if (!list) return false;
    visiting.add(name);
    try {
      return !assigned.has(name) && list.every((e) => integerValued(e, test));
    } finally {
      visiting.delete(name);
    }
  };
  return test;
}

/** Whether `e` always evaluates to an integer (literals, lengths, integer variables and their sums, products and remainders). */
export function integerValued(e: Expr, isInteger: IntegerTest): boolean {
  switch (e.kind) {
    case "number": return Number.isInteger(e.value);
    case "length": return true;
    case "field": return e.integer === true;
    case "var": return isInteger(e.name);
    case "unary": return (e.op === "-" || e.op === "+") && integerValued(e.operand, isInteger);
    case "binary": return (e.op === "+" || e.op === "-" || e.op === "*" || e.op === "%") && integerValued(e.left, isInteger) && integerValued(e.right, isInteger);
    case "call": return isIntegerValuedCall(e.callee);
    default: return false;
  }
}

/**
 * The last index `for (let i = first; i op bound; i++)` (`i--` for > and >=; `i += stride`)
 * visits when it runs at all: `bound - 1` for `i < bound` when both ends are integers, and counted in whole
 * steps otherwise (`i < n / 2` with n = 5 ends at 2, not 1.5).
 */
export function lastIndex(first: Expr, op: Comparison, bound: Expr, isInteger: IntegerTest, stride = 1): Expr {
  const M = (name: string, x: Expr) => b.call(`Math.${name}`, [x]);
  if (stride === 1 && integerValued(first, isInteger) && integerValued(bound, isInteger)) {
    return op === "<" ? b.sub(bound, b.num(1)) : op === ">" ? b.add(bound, b.num(1)) : bound;
  }
  if (stride === 1 && integerValued(first, isInteger)) {
    // first + ⌈bound − first⌉ − 1 = ⌈bound⌉ − 1 for an integer first, and so on.
    return op === "<" ? b.sub(M("ceil", bound), b.num(1)) : op === "<=" ? M("floor", bound) : op === ">" ? b.add(M("floor", bound), b.num(1)) : M("ceil", bound);
  }
  // first ± stride · (the number of further whole steps that stay within the bound)
  const span = op === "<" || op === "<=" ? b.sub(bound, first) : b.sub(first, bound);
  const quotient = b.div(span, b.num(stride));
  const steps = op === "<" || op === ">" ? b.sub(M("ceil", quotient), b.num(1)) : M("floor", quotient);
  return op === "<" || op === "<=" ? b.add(first, b.mul(b.num(stride), steps)) : b.sub(first, b.mul(b.num(stride), steps));
}

type Assign = Extract<Stmt, { kind: "assign" }>;

/**
 * The one statement of a counted loop's body that `touches` an array, when it is a
 * top-level assignment to `array[i]` (i the counter) that runs in every iteration: the
 * body never leaves an iteration early nor writes i. (Whether its value reads the array is
 * the caller's to check.) Serves the overwrite pass (a first write that covers a buffer)
 * and scratch arrays (an iteration that overwrites one in full).
 */
export function soleElementWrite(loop: Loop, i: string, array: Expr, touches: (s: Stmt) => boolean): Assign | null {
  const touching = loop.body.filter(touches);
  if (touching.length !== 1 || touching[0]!.kind !== "assign") return null;
  let leaves = false;
  walkStmts(loop.body, (x) => {
    if (x.kind === "break" || x.kind === "continue" || x.kind === "return") leaves = true;
    if ((x.kind === "assign" && x.target.kind === "var" && x.target.name === i) || (x.kind === "declare" && x.name === i)) leaves = true;
  });
  const write = touching[0] as Assign;
  return !leaves && b.sameExpr(write.target as Expr, b.index(array, b.v(i))) ? write : null;
}
