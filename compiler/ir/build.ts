/**
 * Constructors for IR nodes. The arithmetic builders fold the trivial cases
 * (`0 + e`, `1 * e`, `-(-e)`, constant folding of literals) so that transforms can
 * write the textbook rule and still get the code a careful human would write.
 */
import type { SourceSpan } from "../diagnostics.ts";
import type { BinaryOp, Expr, LValue, StackName, Stmt, ValueType } from "./nodes.ts";

export const NUMBER: ValueType = { kind: "number" };
export const BOOLEAN: ValueType = { kind: "boolean" };

export const num = (value: number): Expr => ({ kind: "number", value });
export const bool = (value: boolean): Expr => ({ kind: "boolean", value });
export const v = (name: string): Expr => ({ kind: "var", name });
export const index = (object: Expr, i: Expr): Expr => ({ kind: "index", object, index: i });
export const field = (object: Expr, name: string): Expr => ({ kind: "field", object, name });
export const call = (callee: string, args: Expr[]): Expr => ({ kind: "call", callee, args });
export const pop = (stack: StackName): Expr => ({ kind: "pop", stack });

/** True if `e` is the literal `value`. (Not a type guard: a failed test must not narrow `e`.) */
export function isNumber(e: Expr, value: number): boolean {
  return e.kind === "number" && e.value === value;
}

export function neg(e: Expr): Expr {
  if (e.kind === "number") return num(-e.value);
  if (e.kind === "unary" && e.op === "-") return e.operand;
  return { kind: "unary", op: "-", operand: e };
}

export function add(a: Expr, b: Expr): Expr {
  if (isNumber(a, 0)) return b;
  // (e ± c1) + c2 → e ± (c1 + c2): keeps `n - 1 + 1` out of generated loop bounds.
  if (b.kind === "number" && a.kind === "binary" && (a.op === "+" || a.op === "-") && a.right.kind === "number") {
    const c = a.op === "+" ? a.right.value + b.value : -a.right.value + b.value;
    return c >= 0 ? add(a.left, num(c)) : sub(a.left, num(-c));
  }
  if (isNumber(b, 0)) return a;
  if (a.kind === "number" && b.kind === "number") return num(a.value + b.value);
  if (b.kind === "unary" && b.op === "-") return sub(a, b.operand);
  if (b.kind === "number" && b.value < 0) return sub(a, num(-b.value));
  return bin("+", a, b);
}

export function sub(a: Expr, b: Expr): Expr {
  if (isNumber(b, 0)) return a;
  if (b.kind === "number" && a.kind === "binary" && (a.op === "+" || a.op === "-") && a.right.kind === "number") {
    return add(a, num(-b.value));
  }
  if (isNumber(a, 0)) return neg(b);
  if (a.kind === "number" && b.kind === "number") return num(a.value - b.value);
  if (b.kind === "unary" && b.op === "-") return add(a, b.operand);
  return bin("-", a, b);
}

export function mul(a: Expr, b: Expr): Expr {
  if (isNumber(a, 1)) return b;
  if (isNumber(b, 1)) return a;
  if (isNumber(a, -1)) return neg(b);
  if (isNumber(b, -1)) return neg(a);
  if (a.kind === "number" && b.kind === "number") return num(a.value * b.value);
  // Pull signs out so `g * -x` prints as `-(g * x)`.
  if (a.kind === "unary" && a.op === "-") return neg(mul(a.operand, b));
  if (b.kind === "unary" && b.op === "-") return neg(mul(a, b.operand));
  return bin("*", a, b);
}

export function div(a: Expr, b: Expr): Expr {
  if (isNumber(b, 1)) return a;
  if (a.kind === "unary" && a.op === "-") return neg(div(a.operand, b));
  return bin("/", a, b);
}

export function bin(op: BinaryOp, left: Expr, right: Expr): Expr {
  return { kind: "binary", op, left, right };
}

export function not(e: Expr): Expr {
  if (e.kind === "boolean") return bool(!e.value);
  if (e.kind === "unary" && e.op === "!") return e.operand;
  return { kind: "unary", op: "!", operand: e };
}

export function and(a: Expr, b: Expr): Expr {
  if (a.kind === "boolean") return a.value ? b : a;
  if (b.kind === "boolean" && b.value) return a;
  return bin("&&", a, b);
}

export function or(a: Expr, b: Expr): Expr {
  if (a.kind === "boolean") return a.value ? a : b;
  if (b.kind === "boolean" && !b.value) return a;
  return bin("||", a, b);
}

export function declare(name: string, init: Expr, mutable = false, type: ValueType = NUMBER): Stmt {
  return { kind: "declare", name, type, init, mutable };
}

export function assign(target: LValue, value: Expr): Stmt {
  return { kind: "assign", target, value };
}

/** `target += value`, folded away when value is literally zero. */
export function increment(target: LValue, value: Expr): Stmt[] {
  if (isNumber(value, 0)) return [];
  return [assign(target, add(target, value))];
}

/** What `t += e` (`e`) or `t -= e` (`-e`) adds to its target; null for any other statement. */
export function addedBy(s: Stmt): Expr | null {
  if (s.kind !== "assign" || s.value.kind !== "binary" || (s.value.op !== "+" && s.value.op !== "-") || !sameExpr(s.value.left, s.target as Expr)) return null;
  return s.value.op === "+" ? s.value.right : neg(s.value.right);
}

/** `for (let i = from; i < bound; i++) body`: the counted loop generated code and desugarings build. */
export function countUp(i: string, from: Expr, bound: Expr, body: Stmt[], span?: SourceSpan): Stmt {
  return {
    kind: "loop",
    form: "for",
    init: [declare(i, from, true)],
    test: bin("<", v(i), bound),
    update: [assign({ kind: "var", name: i }, add(v(i), num(1)))],
    body,
    ...(span && { span }),
  };
}

export function push(stack: StackName, value: Expr): Stmt {
  return { kind: "push", stack, value };
}

export function comment(text: string): Stmt {
  return { kind: "comment", text };
}

/** True when evaluating `e` twice is as cheap as reading a variable (so no temporary is needed). */
export function isTrivial(e: Expr): boolean {
  return e.kind === "number" || e.kind === "var" || e.kind === "boolean";
}

/** The same expression: equal as JSON (what it always meant), compared without writing either out. */
export function sameExpr(a: Expr, b: Expr): boolean {
  // Different kinds (always written) or variable names are different JSON: the usual answer, found without listing keys.
  if (a.kind !== b.kind || (a.kind === "var" && a.name !== (b as { name: string }).name)) return false;
  return sameJson(a, b);
}

/** Whether JSON.stringify(a) === JSON.stringify(b), without building either string. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return jsonValue(a) === jsonValue(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(inArray(a[i]), inArray(other[i]))) return false;
    return true;
  }
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const keys = writtenKeys(x);
  const otherKeys = writtenKeys(y);
  if (keys.length !== otherKeys.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== otherKeys[i] || !sameJson(x[keys[i]!], y[keys[i]!])) return false;
  return true;
}

/** What JSON writes for a value that is not an object: non-finite numbers as null. */
function jsonValue(x: unknown): unknown {
  return typeof x === "number" && !Number.isFinite(x) ? null : x;
}

/** In an array, JSON writes undefined and functions as null. */
function inArray(x: unknown): unknown {
  return x === undefined || typeof x === "function" || typeof x === "symbol" ? null : x;
}

/** The keys JSON writes, in its order. */
function writtenKeys(o: Record<string, unknown>): string[] {
  const keys: string[] = [];
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v !== undefined && typeof v !== "function" && typeof v !== "symbol") keys.push(k);
  }
  return keys;
}
