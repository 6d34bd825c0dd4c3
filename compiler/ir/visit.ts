/** Generic read-only queries over IR trees, shared by analyses and transforms. */
import { assertNever, type Expr, type LValue, type Stmt } from "./nodes.ts";

/** Calls `visit` on `e` and every sub-expression, parents first. */
export function walkExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.kind) {
    case "number": case "boolean": case "string": case "var": case "pop": case "stackSize": case "stackBuffer": case "cursorMove": return;
    case "sameObject": walkExpr(e.left, visit); walkExpr(e.right, visit); return;
    case "stackReserve": walkExpr(e.top, visit); walkExpr(e.count, visit); return;
    case "popBlock": walkExpr(e.count, visit); return;
    case "index": walkExpr(e.object, visit); walkExpr(e.index, visit); return;
    case "length": case "field": walkExpr(e.object, visit); return;
    case "unary": walkExpr(e.operand, visit); return;
    case "binary": walkExpr(e.left, visit); walkExpr(e.right, visit); return;
    case "call": case "userCall": for (const a of e.args) walkExpr(a, visit); return;
    case "conditional": walkExpr(e.test, visit); walkExpr(e.whenTrue, visit); walkExpr(e.whenFalse, visit); return;
    case "zeros": walkExpr(e.length, visit); return;
    case "zerosLike": walkExpr(e.like, visit); return;
    case "arrayLiteral": for (const x of e.elements) walkExpr(x, visit); return;
    case "record": for (const f of e.fields) walkExpr(f.value, visit); return;
    default: assertNever(e);
  }
}

/** Names of the variables an expression reads (in walkExpr's order). */
export function exprReads(e: Expr, into = new Set<string>()): Set<string> {
  addReads(e, into);
  return into;
}

/** exprReads without a callback per node: it runs over every expression many times. */
function addReads(e: Expr, into: Set<string>): void {
  switch (e.kind) {
    case "var": into.add(e.name); return;
    case "number": case "boolean": case "string": case "pop": case "stackSize": case "stackBuffer": case "cursorMove": return;
    case "sameObject": addReads(e.left, into); addReads(e.right, into); return;
    case "stackReserve": addReads(e.top, into); addReads(e.count, into); return;
    case "popBlock": addReads(e.count, into); return;
    case "index": addReads(e.object, into); addReads(e.index, into); return;
    case "length": case "field": addReads(e.object, into); return;
    case "unary": addReads(e.operand, into); return;
    case "binary": addReads(e.left, into); addReads(e.right, into); return;
    case "call": case "userCall": for (const a of e.args) addReads(a, into); return;
    case "conditional": addReads(e.test, into); addReads(e.whenTrue, into); addReads(e.whenFalse, into); return;
    case "zeros": addReads(e.length, into); return;
    case "zerosLike": addReads(e.like, into); return;
    case "arrayLiteral": for (const x of e.elements) addReads(x, into); return;
    case "record": for (const f of e.fields) addReads(f.value, into); return;
    default: assertNever(e);
  }
}

/** Whether `e` reads the variable `name` (`exprReads(e).has(name)` without building the set). */
export function readsVariable(e: Expr, name: string): boolean {
  switch (e.kind) {
    case "var": return e.name === name;
    case "number": case "boolean": case "string": case "pop": case "stackSize": case "stackBuffer": case "cursorMove": return false;
    case "sameObject": case "binary": return readsVariable(e.left, name) || readsVariable(e.right, name);
    case "stackReserve": return readsVariable(e.top, name) || readsVariable(e.count, name);
    case "popBlock": return readsVariable(e.count, name);
    case "index": return readsVariable(e.object, name) || readsVariable(e.index, name);
    case "length": case "field": return readsVariable(e.object, name);
    case "unary": return readsVariable(e.operand, name);
    case "call": case "userCall": return e.args.some((a) => readsVariable(a, name));
    case "conditional": return readsVariable(e.test, name) || readsVariable(e.whenTrue, name) || readsVariable(e.whenFalse, name);
    case "zeros": return readsVariable(e.length, name);
    case "zerosLike": return readsVariable(e.like, name);
    case "arrayLiteral": return e.elements.some((x) => readsVariable(x, name));
    case "record": return e.fields.some((f) => readsVariable(f.value, name));
    default: return assertNever(e);
  }
}

/** The variable at the root of an lvalue (`a` for `a[i][j]`). */
export function rootName(target: LValue | Expr): string | null {
  let e: LValue | Expr = target;
  while (e.kind === "index" || e.kind === "field") e = e.object;
  return e.kind === "var" ? e.name : null;
}

/** Variables read by evaluating an lvalue's address (indices, not the root). */
export function lvalueReads(target: LValue, into = new Set<string>()): Set<string> {
  if (target.kind === "index") {
    exprReads(target.index, into);
    if (target.object.kind !== "var") lvalueReads(target.object as LValue, into);
  } else if (target.kind === "field") {
    if (target.object.kind !== "var") lvalueReads(target.object as LValue, into);
  }
  return into;
}

/** Calls `visit` on every statement, parents first, descending into nested bodies. */
export function walkStmts(stmts: Stmt[], visit: (s: Stmt) => void): void {
  for (const s of stmts) {
    visit(s);
    switch (s.kind) {
      case "if": walkStmts(s.then, visit); walkStmts(s.else, visit); break;
      case "loop": walkStmts(s.init, visit); walkStmts(s.update, visit); walkStmts(s.body, visit); break;
      case "block": walkStmts(s.body, visit); break;
      default: break;
    }
  }
}

/** Every expression directly held by a statement (not by nested statements). */
export function stmtExprs(s: Stmt): Expr[] {
  switch (s.kind) {
    case "declare": return [s.init];
    case "assign": return [s.target as Expr, s.value];
    case "if": return [s.test];
    case "loop": return s.test ? [s.test] : [];
    case "return": return s.value ? [s.value] : [];
    case "push": case "append": return [s.value];
    case "rewind": case "stackSizeSet": return [s.size];
    case "fillZero": return [s.array];
    case "shrink": case "drop": return [];
    case "call": return s.args;
    case "check": return [s.failsWhen];
    case "break": case "continue": case "block": case "comment": return [];
    default: return assertNever(s);
  }
}

/** Names a statement (nested bodies included) mentions: declares, reads, writes, pushes onto or pops. */
export function mentionedNames(s: Stmt, into = new Set<string>()): Set<string> {
  addMentioned(s, into);
  return into;
}

/** mentionedNames in walkStmts' order, without a callback per statement. */
function addMentioned(x: Stmt, into: Set<string>): void {
  if (x.kind === "declare") into.add(x.name);
  if (x.kind === "append" || x.kind === "shrink") into.add(x.array);
  for (const e of stmtExprs(x)) addReads(e, into);
  if (x.kind === "if") {
    for (const c of x.then) addMentioned(c, into);
    for (const c of x.else) addMentioned(c, into);
  } else if (x.kind === "loop") {
    for (const c of x.init) addMentioned(c, into);
    for (const c of x.update) addMentioned(c, into);
    for (const c of x.body) addMentioned(c, into);
  } else if (x.kind === "block") {
    for (const c of x.body) addMentioned(c, into);
  }
}

/**
 * Variables one statement (not its nested statements) may change, besides what it
 * declares: an assignment's root, the array a push or pop resizes, the arrays a clear or
 * a call is given, and the arrays a record literal holds (a pullback adds into the arrays
 * of the record `{ x: x_bar }` it is passed).
 */
export function writtenBy(s: Stmt, into = new Set<string>()): Set<string> {
  const roots = (e: Expr) =>
    walkExpr(e, (x) => {
      if (x.kind === "var" || x.kind === "index" || x.kind === "field") into.add(rootName(x)!);
    });
  if (s.kind === "assign") into.add(rootName(s.target)!);
  if (s.kind === "append" || s.kind === "shrink") into.add(s.array);
  if (s.kind === "fillZero") roots(s.array);
  if (s.kind === "call") s.args.forEach(roots);
  if (s.kind === "declare" && s.init.kind === "record") roots(s.init);
  return into;
}

/** Variables statements (nested bodies included) declare or may change (writtenBy). */
export function definedIn(stmts: Stmt[], into = new Set<string>()): Set<string> {
  walkStmts(stmts, (x) => {
    if (x.kind === "declare") into.add(x.name);
    writtenBy(x, into);
  });
  return into;
}

/** True if any statement in the tree satisfies `pred` (asked in walkStmts' order, up to the first that does). */
export function someStmt(stmts: Stmt[], pred: (s: Stmt) => boolean): boolean {
  for (const s of stmts) {
    if (pred(s)) return true;
    switch (s.kind) {
      case "if": if (someStmt(s.then, pred) || someStmt(s.else, pred)) return true; break;
      case "loop": if (someStmt(s.init, pred) || someStmt(s.update, pred) || someStmt(s.body, pred)) return true; break;
      case "block": if (someStmt(s.body, pred)) return true; break;
      default: break;
    }
  }
  return false;
}

const loopsIn = new WeakMap<Stmt[], boolean>();

/**
 * Whether a statement list holds a loop, at any depth. Remembered per list (the IR is never
 * mutated): each pass after reverse that only rewrites loops asks it of the same body, and
 * a look at every statement of a large straight-line body is not free.
 */
export function containsLoop(stmts: Stmt[]): boolean {
  let known = loopsIn.get(stmts);
  if (known === undefined) loopsIn.set(stmts, (known = someStmt(stmts, (s) => s.kind === "loop")));
  return known;
}

/** True if `e` or any expression inside it satisfies `pred`. */
export function someExpr(e: Expr, pred: (x: Expr) => boolean): boolean {
  let found = false;
  walkExpr(e, (x) => {
    if (!found && pred(x)) found = true;
  });
  return found;
}

/**
 * Rebuilds `e` top-down: where `replace` returns an expression it takes the place of that
 * subtree (which is not visited further); elsewhere the children are mapped.
 */
export function mapExpr(e: Expr, replace: (e: Expr) => Expr | undefined): Expr {
  const hit = replace(e);
  if (hit) return hit;
  // A subtree nothing was replaced in is kept, not copied (the IR is never mutated): most
  // maps change a few leaves of large functions. Children are mapped in order, by direct
  // recursion (no closure per node: this runs over whole reverse sweeps).
  switch (e.kind) {
    case "index": {
      const object = mapExpr(e.object, replace);
      const index = mapExpr(e.index, replace);
      return object === e.object && index === e.index ? e : { ...e, object, index };
    }
    case "length": case "field": {
      const object = mapExpr(e.object, replace);
      return object === e.object ? e : { ...e, object };
    }
    case "unary": {
      const operand = mapExpr(e.operand, replace);
      return operand === e.operand ? e : { ...e, operand };
    }
    case "binary": case "sameObject": {
      const left = mapExpr(e.left, replace);
      const right = mapExpr(e.right, replace);
      return left === e.left && right === e.right ? e : { ...e, left, right };
    }
    case "call": case "userCall": {
      const args = mapList(e.args, replace);
      return args === e.args ? e : { ...e, args };
    }
    case "conditional": {
      const test = mapExpr(e.test, replace);
      const whenTrue = mapExpr(e.whenTrue, replace);
      const whenFalse = mapExpr(e.whenFalse, replace);
      return test === e.test && whenTrue === e.whenTrue && whenFalse === e.whenFalse ? e : { ...e, test, whenTrue, whenFalse };
    }
    case "zeros": {
      const length = mapExpr(e.length, replace);
      return length === e.length ? e : { ...e, length };
    }
    case "zerosLike": {
      const like = mapExpr(e.like, replace);
      return like === e.like ? e : { ...e, like };
    }
    case "arrayLiteral": {
      const elements = mapList(e.elements, replace);
      return elements === e.elements ? e : { ...e, elements };
    }
    case "record": {
      const values = e.fields.map((f) => f.value);
      const mapped = mapList(values, replace);
      return mapped === values ? e : { ...e, fields: e.fields.map((f, k) => ({ ...f, value: mapped[k]! })) };
    }
    case "stackReserve": {
      const top = mapExpr(e.top, replace);
      const count = mapExpr(e.count, replace);
      return top === e.top && count === e.count ? e : { ...e, top, count };
    }
    case "popBlock": {
      const count = mapExpr(e.count, replace);
      return count === e.count ? e : { ...e, count };
    }
    default: return e;
  }
}

/** `list` with each element mapped in order, or `list` itself when every element maps to itself. */
function mapList(list: Expr[], replace: (e: Expr) => Expr | undefined): Expr[] {
  let out: Expr[] | undefined;
  for (let k = 0; k < list.length; k++) {
    const x = mapExpr(list[k]!, replace);
    if (out) out.push(x);
    else if (x !== list[k]) {
      out = list.slice(0, k);
      out.push(x);
    }
  }
  return out ?? list;
}

/**
 * Rebuilds statements with every held expression passed through `mapExpr(e, replace)`,
 * descending into nested bodies. An assignment's target is mapped as an expression (so its
 * indices are), and must stay an lvalue. `rebuilt` then sees each rebuilt statement (its
 * nested bodies already mapped), for changes that are not expressions (names, spans).
 * A statement nothing was replaced in is kept, not copied (as mapExpr keeps subtrees; the
 * IR is never mutated): most maps change a few statements of a whole sweep. The list
 * returned is always a new array.
 */
export function mapStmtExprs(stmts: Stmt[], replace: (e: Expr) => Expr | undefined, rebuilt: (s: Stmt) => Stmt = (s) => s): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmts) out.push(rebuilt(mapStmt(s, replace, rebuilt)));
  return out;
}

/** A nested statement list mapped as mapStmtExprs does, or `list` itself when every statement maps to itself. */
function mapNested(list: Stmt[], replace: (e: Expr) => Expr | undefined, rebuilt: (s: Stmt) => Stmt): Stmt[] {
  let out: Stmt[] | undefined;
  for (let k = 0; k < list.length; k++) {
    const x = rebuilt(mapStmt(list[k]!, replace, rebuilt));
    if (out) out.push(x);
    else if (x !== list[k]) {
      out = list.slice(0, k);
      out.push(x);
    }
  }
  return out ?? list;
}

/** One statement with its expressions (and nested lists) mapped, or `s` itself when none changed. */
function mapStmt(s: Stmt, replace: (e: Expr) => Expr | undefined, rebuilt: (s: Stmt) => Stmt): Stmt {
  switch (s.kind) {
    case "declare": {
      const init = mapExpr(s.init, replace);
      return init === s.init ? s : { ...s, init };
    }
    case "assign": {
      const target = mapExpr(s.target as Expr, replace) as LValue;
      const value = mapExpr(s.value, replace);
      return target === s.target && value === s.value ? s : { ...s, target, value };
    }
    case "if": {
      const test = mapExpr(s.test, replace);
      const then = mapNested(s.then, replace, rebuilt);
      const otherwise = mapNested(s.else, replace, rebuilt);
      return test === s.test && then === s.then && otherwise === s.else ? s : { ...s, test, then, else: otherwise };
    }
    case "loop": {
      const init = mapNested(s.init, replace, rebuilt);
      const test = s.test ? mapExpr(s.test, replace) : null;
      const update = mapNested(s.update, replace, rebuilt);
      const body = mapNested(s.body, replace, rebuilt);
      return init === s.init && test === s.test && update === s.update && body === s.body ? s : { ...s, init, test, update, body };
    }
    case "return": {
      const value = s.value ? mapExpr(s.value, replace) : null;
      return value === s.value ? s : { ...s, value };
    }
    case "push": case "append": {
      const value = mapExpr(s.value, replace);
      return value === s.value ? s : { ...s, value };
    }
    case "rewind": case "stackSizeSet": {
      const size = mapExpr(s.size, replace);
      return size === s.size ? s : { ...s, size };
    }
    case "fillZero": {
      const array = mapExpr(s.array, replace);
      return array === s.array ? s : { ...s, array };
    }
    case "call": {
      const args = mapList(s.args, replace);
      return args === s.args ? s : { ...s, args };
    }
    case "check": {
      const failsWhen = mapExpr(s.failsWhen, replace);
      return failsWhen === s.failsWhen ? s : { ...s, failsWhen };
    }
    case "block": {
      const body = mapNested(s.body, replace, rebuilt);
      return body === s.body ? s : { ...s, body };
    }
    case "shrink": case "drop": case "break": case "continue": case "comment": return s;
    default: return assertNever(s);
  }
}

/** `list` with each statement mapped by `f`, or `list` itself when every one maps to itself (no copy of a list nothing changes). */
export function mapStmtList(list: Stmt[], f: (s: Stmt, k: number) => Stmt): Stmt[] {
  let out: Stmt[] | undefined;
  for (let k = 0; k < list.length; k++) {
    const s = f(list[k]!, k);
    if (out) out.push(s);
    else if (s !== list[k]) {
      out = list.slice(0, k);
      out.push(s);
    }
  }
  return out ?? list;
}

/** `s` with each statement list nested directly in it (a loop's or block's body, an if's branches) mapped by `f`; `s` itself when none changed. */
export function mapNestedLists(s: Stmt, f: (list: Stmt[]) => Stmt[]): Stmt {
  switch (s.kind) {
    case "loop":
    case "block": {
      const body = f(s.body);
      return body === s.body ? s : { ...s, body };
    }
    case "if": {
      const then = f(s.then);
      const otherwise = f(s.else);
      return then === s.then && otherwise === s.else ? s : { ...s, then, else: otherwise };
    }
    default:
      return s;
  }
}
