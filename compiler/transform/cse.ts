/**
 * Common subexpression elimination, before any derivative pass: a `const b = e` whose `e` an
 * earlier, still visible `const a = e` computed from the same values is dropped and `b` read
 * as `a`; and inside any expression, a part an earlier `const` holds is read from it
 * (`const q = x / y; const r = Math.log(x / y)` → `Math.log(q)`). No temporary is
 * introduced: only what the user's (or inlining's) consts already hold is reused.
 *
 * The whole-`const` duplicates come from inlining: two calls of one function at the same
 * point (particle's two `potentialJvp` of one position, one per direction) each compute the
 * same offsets and square roots. Left alone, every derivative pass differentiates both
 * copies, and reverse mode saves both (rf saved 12 values per Euler step for 5 distinct
 * ones). The parts come from the user's code: a quotient named and then written out again.
 *
 * Only expressions whose value is fixed by what they read take part: numbers, variables,
 * arithmetic, the primitives' Math calls, and element, field and length reads. An entry stops
 * being available where a variable it reads may be written (an assignment, a redeclaration,
 * a call's record argument), where any element may be written (an element or field
 * assignment, push/pop, a call statement or a user call: arrays alias, so any write may
 * change any element) if it reads one, at the end of the block that declared it, and inside
 * a loop that writes what it reads (the next iteration would read another value). A part is
 * replaced by the holder computed by the same operations on the same doubles, so values are
 * the same bits (nothing is reassociated); derivatives may change in the last bit (the
 * copies' adjoints are now summed before they flow on).
 */
import { assertNever, type Expr, type FunctionIR, type Stmt } from "../ir/nodes.ts";
import { PRIMITIVES } from "../ir/primitives.ts";
import { renameVariable } from "../ir/rewrite.ts";
import { exprReads, mapExpr, stmtExprs, walkStmts, writtenBy } from "../ir/visit.ts";

const ARITHMETIC = new Set(["+", "-", "*", "/", "%", "**"]);

/**
 * How the pass tells values apart: a key for each pure expression, made from its parts'
 * keys, equal exactly when the expressions are equal (the `.length` of a value and a field
 * named `length` get one key, as when the keys were text). The pass uses ValueNumbers;
 * test/cse.test.ts checks them against the textual keys it used before.
 */
export interface ValueKeys<K> {
  number(value: number): K;
  variable(name: string): K;
  unary(op: string, operand: K): K;
  binary(op: string, left: K, right: K): K;
  call(callee: string, args: K[]): K;
  index(object: K, index: K): K;
  field(object: K, name: string): K;
}

/**
 * Keys as small integers (hash-consing): each distinct pure expression gets the next
 * number, found again through tables indexed by its parts' numbers, so no key grows with
 * the expression and no text is built for it.
 */
export class ValueNumbers implements ValueKeys<number> {
  private count = 0;
  private minusZero = -1;
  private readonly numbers = new Map<number, number>();
  private readonly names = new Map<string, number>();
  /** By operator (binary `op`, unary `op` + "u", index "[]"), then the two parts' numbers. */
  private readonly pairs = new Map<string, Map<number, Map<number, number>>>();
  /** By field name, then the object's number. */
  private readonly fields = new Map<string, Map<number, number>>();
  /** By `callee(n1,n2,…)`. */
  private readonly calls = new Map<string, number>();

  number(value: number): number {
    // The table's keys compare as SameValueZero (NaN equals NaN, but 0 equals -0).
    if (Object.is(value, -0)) return this.minusZero < 0 ? (this.minusZero = this.count++) : this.minusZero;
    return this.intern(this.numbers, value);
  }

  variable(name: string): number {
    return this.intern(this.names, name);
  }

  unary(op: string, operand: number): number {
    return this.pair(`${op}u`, operand, 0);
  }

  binary(op: string, left: number, right: number): number {
    return this.pair(op, left, right);
  }

  call(callee: string, args: number[]): number {
    return this.intern(this.calls, `${callee}(${args.join(",")})`);
  }

  index(object: number, index: number): number {
    return this.pair("[]", object, index);
  }

  field(object: number, name: string): number {
    let byObject = this.fields.get(name);
    if (!byObject) this.fields.set(name, (byObject = new Map()));
    return this.intern(byObject, object);
  }

  private pair(op: string, a: number, b: number): number {
    let byFirst = this.pairs.get(op);
    if (!byFirst) this.pairs.set(op, (byFirst = new Map()));
    let bySecond = byFirst.get(a);
    if (!bySecond) byFirst.set(a, (bySecond = new Map()));
    return this.intern(bySecond, b);
  }

  private intern<T>(table: Map<T, number>, key: T): number {
    const known = table.get(key);
    if (known !== undefined) return known;
    table.set(key, this.count);
    return this.count++;
  }
}

interface Available {
  /** The variable holding the value. */
  name: string;
  /** The variables the value was computed from. */
  reads: Set<string>;
  /** It reads an element, field or length, which any element write may change. */
  memory: boolean;
}

/** What one run of the pass carries through the blocks. */
interface Scan<K> {
  keys: ValueKeys<K>;
  candidate: (s: Stmt & { kind: "declare" }) => boolean;
  renames: { from: string; to: string }[];
  /** Each dropped duplicate's holder (a key reads a variable through it). */
  alias: Map<string, string>;
  /** The key of the expression `rewrite` returned last (null: not pure arithmetic of fixed values). */
  key: K | null;
}

/** `fn` with repeated pure computations read from the `const` that first held them. */
export function eliminateCommonSubexpressions(fn: FunctionIR, keys: ValueKeys<unknown> = new ValueNumbers()): FunctionIR {
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
  const scan: Scan<unknown> = { keys, candidate, renames: [], alias: new Map(), key: null };
  let changed = false;
  const body = block(fn.body, new Map(), scan, () => (changed = true));
  if (!changed && scan.renames.length === 0) return fn;
  let renamed = body;
  for (const { from, to } of scan.renames) renamed = renameVariable(renamed, from, to);
  return { ...fn, body: renamed };
}

/**
 * One statement list: drops the duplicates it declares (recording each rename), reads the
 * parts of its expressions that holders have from them, and returns the rest. `available`
 * maps a value's key to its holder; it is this list's own copy.
 */
function block<K>(stmts: Stmt[], outer: Map<K, Available>, scan: Scan<K>, rewritten: () => void): Stmt[] {
  const available = new Map(outer);
  const out: Stmt[] = [];
  const changed = new Set<string>();
  const parts = (e: Expr, within = available) => {
    const r = rewrite(e, within, scan);
    if (r !== e) rewritten();
    return r;
  };
  for (const s of stmts) {
    if (s.kind === "declare" && scan.candidate(s)) {
      // The initializer's own value is not replaced by a holder: a duplicate is dropped instead.
      const init = rewrite(s.init, available, scan, false);
      const key = scan.key;
      if (key !== null) {
        const hit = available.get(key);
        if (hit) {
          scan.renames.push({ from: s.name, to: hit.name });
          scan.alias.set(s.name, hit.name);
          continue;
        }
        if (init !== s.init) rewritten();
        kill(available, new Set([s.name]), false);
        let reads = exprReads(init);
        if (scan.alias.size > 0) reads = new Set([...reads].map((n) => scan.alias.get(n) ?? n));
        available.set(key, { name: s.name, reads, memory: readsMemory(init) });
        out.push(init === s.init ? s : { ...s, init });
        continue;
      }
    }
    if (s.kind === "if") {
      const test = parts(s.test);
      const then = block(s.then, available, scan, rewritten);
      const otherwise = block(s.else, available, scan, rewritten);
      out.push({ ...s, test, then, else: otherwise });
    } else if (s.kind === "block") {
      out.push({ ...s, body: block(s.body, available, scan, rewritten) });
    } else if (s.kind === "loop") {
      // Inside, only what no part of the loop changes is the same on every iteration.
      const init = block(s.init, available, scan, rewritten);
      const inside = new Map(available);
      kill(inside, changedIn([s]), writesMemory([s]));
      const test = s.test && parts(s.test, inside);
      const update = block(s.update, inside, scan, rewritten);
      const body = block(s.body, inside, scan, rewritten);
      out.push({ ...s, init, test, update, body });
    } else {
      out.push(withParts(s, parts));
    }
    changed.clear();
    const memory = writesOf(s, changed);
    kill(available, changed, memory);
  }
  return out;
}

/** A statement without nested bodies, its expressions' held parts read from their holders. */
function withParts(s: Stmt, parts: (e: Expr) => Expr): Stmt {
  switch (s.kind) {
    case "declare": {
      const init = parts(s.init);
      return init === s.init ? s : { ...s, init };
    }
    case "assign": {
      const value = parts(s.value);
      // The target's indices (never the target itself: it is written, not read).
      const target = s.target.kind === "var" ? s.target : (mapExpr(s.target, (x) => (x === s.target ? undefined : parts(x))) as typeof s.target);
      return value === s.value && target === s.target ? s : { ...s, target, value };
    }
    case "return": {
      const value = s.value && parts(s.value);
      return value === s.value ? s : { ...s, value };
    }
    case "append": {
      const value = parts(s.value);
      return value === s.value ? s : { ...s, value };
    }
    case "call": {
      const args = s.args.map((a) => parts(a));
      return args.every((a, k) => a === s.args[k]) ? s : { ...s, args };
    }
    default:
      return s;
  }
}

/** Variables the statements (nested bodies included) declare or may change. */
export function changedIn(stmts: Stmt[]): Set<string> {
  const changed = new Set<string>();
  walkStmts(stmts, (x) => {
    if (x.kind === "declare") changed.add(x.name);
    writtenBy(x, changed);
  });
  return changed;
}

/** Whether the statements may write an element or field of some array or record (through any alias). */
export function writesMemory(stmts: Stmt[]): boolean {
  let writes = false;
  walkStmts(stmts, (x) => {
    if (writes) return;
    if ((x.kind === "assign" && x.target.kind !== "var") || x.kind === "append" || x.kind === "shrink" || x.kind === "fillZero" || x.kind === "call") writes = true;
    else if (stmtExprs(x).some((e) => hasExpr(e, isUserCall))) writes = true;
  });
  return writes;
}

/**
 * What `s` may change: the variables it (nested bodies included) declares or may change,
 * added to `changed` (changedIn), and whether it may write memory (writesMemory, returned).
 * A statement without nested ones (most) is read without a walk: this runs on every statement.
 */
export function writesOf(s: Stmt, changed: Set<string>): boolean {
  if (s.kind === "if" || s.kind === "block" || s.kind === "loop") {
    for (const name of changedIn([s])) changed.add(name);
    return writesMemory([s]);
  }
  if (s.kind === "declare") changed.add(s.name);
  writtenBy(s, changed);
  if ((s.kind === "assign" && s.target.kind !== "var") || s.kind === "append" || s.kind === "shrink" || s.kind === "fillZero" || s.kind === "call") return true;
  for (const e of stmtExprs(s)) if (hasExpr(e, isUserCall)) return true;
  return false;
}

const isUserCall = (x: Expr) => x.kind === "userCall";
const readsElement = (x: Expr) => x.kind === "index" || x.kind === "field" || x.kind === "length";

function readsMemory(e: Expr): boolean {
  return hasExpr(e, readsElement);
}

/** someExpr, stopping at the first match (it runs on every statement). */
function hasExpr(e: Expr, pred: (x: Expr) => boolean): boolean {
  if (pred(e)) return true;
  switch (e.kind) {
    case "number": case "boolean": case "string": case "var": case "pop": case "stackSize": case "stackBuffer": case "cursorMove": return false;
    case "sameObject": case "binary": return hasExpr(e.left, pred) || hasExpr(e.right, pred);
    case "stackReserve": return hasExpr(e.top, pred) || hasExpr(e.count, pred);
    case "popBlock": return hasExpr(e.count, pred);
    case "index": return hasExpr(e.object, pred) || hasExpr(e.index, pred);
    case "length": case "field": return hasExpr(e.object, pred);
    case "unary": return hasExpr(e.operand, pred);
    case "call": case "userCall": return e.args.some((a) => hasExpr(a, pred));
    case "conditional": return hasExpr(e.test, pred) || hasExpr(e.whenTrue, pred) || hasExpr(e.whenFalse, pred);
    case "zeros": return hasExpr(e.length, pred);
    case "zerosLike": return hasExpr(e.like, pred);
    case "arrayLiteral": return e.elements.some((x) => hasExpr(x, pred));
    case "record": return e.fields.some((f) => hasExpr(f.value, pred));
    default: return assertNever(e);
  }
}

/** Forgets every value that reads (or is held in) a changed variable, and with `memory` every value that reads an element. */
function kill<K>(available: Map<K, Available>, changed: Set<string>, memory: boolean): void {
  if (changed.size === 0 && !memory) return;
  for (const [key, entry] of available) {
    if ((memory && entry.memory) || changed.has(entry.name) || readsAny(entry.reads, changed)) available.delete(key);
  }
}

function readsAny(reads: Set<string>, changed: Set<string>): boolean {
  for (const name of reads) if (changed.has(name)) return true;
  return false;
}

/**
 * `e` with each largest part a holder has read from it (the root too, unless `replaceRoot`
 * is false); the key of the result is left in `scan.key`: equal for equal pure expressions
 * (variables read through the scan's aliases), or null when `e` is not pure arithmetic of
 * fixed values. (A key slot rather than a result object per node: this runs on every node.)
 */
function rewrite<K>(e: Expr, available: Map<K, Available>, scan: Scan<K>, replaceRoot = true): Expr {
  const { keys } = scan;
  let expr: Expr = e;
  let key: K | null;
  switch (e.kind) {
    case "number":
      scan.key = keys.number(e.value);
      return expr;
    case "var":
      scan.key = keys.variable(scan.alias.get(e.name) ?? e.name);
      return expr;
    case "unary": {
      const operand = rewrite(e.operand, available, scan);
      if (operand !== e.operand) expr = { ...e, operand };
      key = e.op === "!" || scan.key === null ? null : keys.unary(e.op, scan.key);
      break;
    }
    case "binary": {
      const left = rewrite(e.left, available, scan);
      const leftKey = scan.key;
      const right = rewrite(e.right, available, scan);
      const rightKey = scan.key;
      if (left !== e.left || right !== e.right) expr = { ...e, left, right };
      key = ARITHMETIC.has(e.op) && leftKey !== null && rightKey !== null ? keys.binary(e.op, leftKey, rightKey) : null;
      break;
    }
    case "call": {
      const args: Expr[] = [];
      const argKeys: K[] = [];
      let pure = e.callee.startsWith("Math.") && PRIMITIVES[e.callee] !== undefined;
      for (const a of e.args) {
        args.push(rewrite(a, available, scan));
        if (scan.key === null) pure = false;
        else argKeys.push(scan.key);
      }
      if (args.some((a, k) => a !== e.args[k])) expr = { ...e, args };
      key = pure ? keys.call(e.callee, argKeys) : null;
      break;
    }
    case "index": {
      const object = rewrite(e.object, available, scan);
      const objectKey = scan.key;
      const index = rewrite(e.index, available, scan);
      const indexKey = scan.key;
      if (object !== e.object || index !== e.index) expr = { ...e, object, index };
      key = objectKey !== null && indexKey !== null ? keys.index(objectKey, indexKey) : null;
      break;
    }
    case "length": case "field": {
      const object = rewrite(e.object, available, scan);
      if (object !== e.object) expr = { ...e, object };
      key = scan.key === null ? null : keys.field(scan.key, e.kind === "length" ? "length" : e.name);
      break;
    }
    default:
      // Not pure arithmetic itself (a conditional, a user call…); its parts may still be held.
      expr = mapExpr(e, (x) => (x === e ? undefined : rewrite(x, available, scan)));
      scan.key = null;
      return expr;
  }
  const hit = replaceRoot && key !== null ? available.get(key) : undefined;
  if (hit) {
    scan.key = keys.variable(hit.name);
    return { kind: "var", name: hit.name };
  }
  scan.key = key;
  return expr;
}
