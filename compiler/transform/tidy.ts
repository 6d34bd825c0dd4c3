/**
 * Tidy, the last pass over every generated function: what a reviewer would strike out of
 * generated code before accepting it.
 *
 * - **Dead locals.** A local whose value nothing reads (only its own updates, `v = v * c`,
 *   read it) goes, with every assignment to it. What its initial value or an assignment
 *   did besides computing a number stays: a pop becomes a discarded pop, a stack cursor's
 *   move stays as `top--`, a call stays as a call statement. Repeated until nothing more
 *   goes (dropping `row_dot` can leave `row` unread), so the file passes `tsc
 *   --noUnusedLocals`. A counted loop left with nothing in its body goes too.
 * - **Dead element resets.** `a_bar[i] = 0;` in the last loop that touches a buffer the
 *   function allocated (deadResets.ts).
 * - **`const` where possible.** A local nothing assigns after its declaration is `const`
 *   (ESLint's `prefer-const`); passes declare `let` freely and leave the choice to this one.
 * - **Unused parameters.** A parameter the body never reads (the API shape needs it: a
 *   `@grad` of a function that ignores an argument) is printed `_name`, TypeScript's
 *   convention for an intentionally unused parameter, so `--noUnusedParameters` passes.
 *
 * Bindings are resolved by scope (blocks, branches, loop headers and bodies), so a name
 * declared in two sibling blocks is two variables.
 *
 * Takes a finished function (after hoisting and cursors); gives the same function with the
 * same results, bit for bit, and no dead locals. Nothing downstream analyses its output.
 */
import { assertNever, type Expr, type FunctionIR, type LValue, type Stmt } from "../ir/nodes.ts";
import * as b from "../ir/build.ts";
import { mapNestedLists, mapStmtList, someExpr, stmtExprs, walkStmts } from "../ir/visit.ts";
import { namesIn } from "./naming.ts";
import { withoutDeadResets } from "./deadResets.ts";

export function tidy(fn: FunctionIR, { settle = true }: { settle?: boolean } = {}): FunctionIR {
  let body = withoutDeadResets(fn.body);
  let uses = resolve(fn, body);
  // Each round drops at least one statement, so this ends; most functions need one or two.
  // A round that leaves `uses` counting the new body as a fresh resolve would, and nothing
  // more to drop, is the last (dropDead says when).
  while (uses.mayDrop) {
    const round = dropDead(body, uses, settle);
    if (round.body === body) break;
    body = round.body;
    if (round.settled) break;
    uses = resolve(fn, body);
  }
  return { ...fn, params: unusedParamsMarked(fn, uses), body: finished(body, uses) };
}

/**
 * The last touches, in one walk of the body (it has every statement of the function):
 *
 * - `const` where possible: every declaration nothing assigns again is marked immutable
 *   (printed `const`), every one assigned mutable;
 * - source-line comments a reader needs once: one right before the function's return
 *   points at nothing (its statements went: a loop of dead resets), and one repeating the
 *   comment before it in the same list, with no other comment between, says nothing new
 *   (the statements of an inlined helper's line, one after another). Before another
 *   comment a comment may still name a statement moved above it; at the end of a branch it
 *   says which source line the branch is.
 *
 * Unchanged lists (most) are returned as they are: no copy of a function that needs nothing.
 */
function finished(body: Stmt[], uses: Uses): Stmt[] {
  const list = (stmts: Stmt[]): Stmt[] => {
    const bound = uses.lists.get(stmts);
    let out: Stmt[] | undefined;
    let last: string | null = null;
    for (let k = 0; k < stmts.length; k++) {
      const s = stmts[k]!;
      let kept: Stmt | null = s;
      if (s.kind === "comment") {
        const repeated = s.text.startsWith("line ") && s.text === last;
        last = s.text;
        if (repeated || (s.text.startsWith("line ") && stmts[k + 1]?.kind === "return")) kept = null;
      } else kept = marked(s, bound?.[k]);
      if (out) {
        if (kept) out.push(kept);
      } else if (kept !== s) {
        out = stmts.slice(0, k);
        if (kept) out.push(kept);
      }
    }
    return out ?? stmts;
  };
  // A loop header's declarations are marked; it holds no comments.
  const header = (stmts: Stmt[]): Stmt[] => {
    const bound = uses.lists.get(stmts);
    return mapStmtList(stmts, (s, k) => marked(s, bound?.[k]));
  };
  const marked = (s: Stmt, binding: Binding | undefined): Stmt => {
    switch (s.kind) {
      case "declare": return binding && binding.assigns > 0 !== s.mutable ? { ...s, mutable: binding.assigns > 0 } : s;
      case "loop": {
        const init = header(s.init);
        const update = header(s.update);
        const loopBody = list(s.body);
        return init === s.init && update === s.update && loopBody === s.body ? s : { ...s, init, body: loopBody, update };
      }
      default: return mapNestedLists(s, list);
    }
  };
  return list(body);
}

/** One variable: a parameter or a declaration. */
interface Binding {
  /** Reads of it (`v = v * c` does not count: it only serves v's later reads). */
  reads: number;
  /** Assignments after its declaration, and stack cursor moves (`top++`). */
  assigns: number;
}

/** The bindings a statement list sees, innermost last: its own declarations' scope, then the enclosing ones'. */
type Scopes = Map<string, Binding>[];

/** Every parameter's binding, and each declaration's and each assignment to a plain variable's. */
interface Uses {
  params: Map<string, Binding>;
  /** Every declaration's binding. */
  declared: Binding[];
  /**
   * For each statement list, by position: the binding its statement declares, or assigns
   * (a plain variable). Kept by list rather than by statement: one lookup per list, not one
   * per statement (this is built over every statement of the function).
   */
  lists: Map<Stmt[], (Binding | undefined)[]>;
  /** For each list of statements (a body or branch), the scopes its statements' names resolve in. */
  scopes: Map<Stmt[], Scopes>;
  /**
   * Whether dropDead can find anything: an unread declaration, an unread parameter
   * something assigns, or a loop with an empty body. When not, it would return the body as
   * it is.
   */
  mayDrop: boolean;
}

// A record leaf (`grad.w`, `params.W1`, `opts?.eps`) is a variable named by its path: it belongs to its root.
function lookup(scopes: Scopes, path: string): Binding | undefined {
  const dot = path.indexOf(".");
  const name = dot < 0 ? path : path.slice(0, path[dot - 1] === "?" ? dot - 1 : dot);
  for (let k = scopes.length - 1; k >= 0; k--) {
    const found = scopes[k]!.get(name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Counts what `x` reads (every sub-expression, as walkExpr visits them) into the bindings
 * its names resolve to in `scopes`, `delta` each (−1 takes the reads of a dropped statement
 * back); reads of `except` are not counted. No callback per node: this runs over every
 * expression of the function.
 */
function countReads(x: Expr, scopes: Scopes, delta: number, except?: Binding): void {
  switch (x.kind) {
    case "var": case "cursorMove": {
      const binding = lookup(scopes, x.name);
      if (binding && binding !== except) binding.reads += delta;
      if (binding && x.kind === "cursorMove") binding.assigns += delta;
      return;
    }
    case "number": case "boolean": case "string": case "pop": case "stackSize": case "stackBuffer": return;
    case "sameObject": countReads(x.left, scopes, delta, except); countReads(x.right, scopes, delta, except); return;
    case "stackReserve": countReads(x.top, scopes, delta, except); countReads(x.count, scopes, delta, except); return;
    case "popBlock": countReads(x.count, scopes, delta, except); return;
    case "index": countReads(x.object, scopes, delta, except); countReads(x.index, scopes, delta, except); return;
    case "length": case "field": countReads(x.object, scopes, delta, except); return;
    case "unary": countReads(x.operand, scopes, delta, except); return;
    case "binary": countReads(x.left, scopes, delta, except); countReads(x.right, scopes, delta, except); return;
    case "call": case "userCall":
      // A method call on a local (`snapshot.subarray(…)`) reads it.
      if (x.kind === "call" && x.callee.includes(".")) countNameRead(x.callee, scopes, delta);
      for (const a of x.args) countReads(a, scopes, delta, except);
      return;
    case "conditional": countReads(x.test, scopes, delta, except); countReads(x.whenTrue, scopes, delta, except); countReads(x.whenFalse, scopes, delta, except); return;
    case "zeros": countReads(x.length, scopes, delta, except); return;
    case "zerosLike": countReads(x.like, scopes, delta, except); return;
    case "arrayLiteral": for (const e of x.elements) countReads(e, scopes, delta, except); return;
    case "record": for (const f of x.fields) countReads(f.value, scopes, delta, except); return;
    default: assertNever(x);
  }
}

function countNameRead(name: string, scopes: Scopes, delta: number): void {
  const binding = lookup(scopes, name);
  if (binding) binding.reads += delta;
}

function resolve(fn: FunctionIR, body: Stmt[]): Uses {
  const params = new Map(fn.params.map((p) => [p.name, { reads: 0, assigns: 0 }]));
  const uses: Uses = { params, declared: [], lists: new Map(), scopes: new Map(), mayDrop: false };
  const scopes: Scopes = [params];
  const read = (x: Expr, except?: Binding) => countReads(x, scopes, 1, except);
  const readName = (name: string) => countNameRead(name, scopes, 1);
  /** The statements of `list` in order, each given the list's bindings by position to fill in. */
  const each = (list: Stmt[], bound: (Binding | undefined)[]) => {
    for (let k = 0; k < list.length; k++) stmt(list[k]!, bound, k);
  };
  /** `list`'s declarations in a new scope (visible from the start of the list, as `let` is), around `run`. */
  const scoped = (list: Stmt[], run: (bound: (Binding | undefined)[]) => void) => {
    const scope = new Map<string, Binding>();
    const bound: (Binding | undefined)[] = new Array(list.length);
    for (let k = 0; k < list.length; k++) {
      const s = list[k]!;
      if (s.kind === "declare") {
        const binding = { reads: 0, assigns: 0 };
        scope.set(s.name, binding);
        bound[k] = binding;
        uses.declared.push(binding);
      }
    }
    uses.lists.set(list, bound);
    scopes.push(scope);
    run(bound);
    scopes.pop();
  };
  const stmts = (list: Stmt[]) =>
    scoped(list, (bound) => {
      uses.scopes.set(list, scopes.slice());
      each(list, bound);
    });
  const stmt = (s: Stmt, bound: (Binding | undefined)[], k: number): void => {
    switch (s.kind) {
      case "declare": read(s.init); return;
      case "assign": {
        if (s.target.kind === "var" && !s.target.name.includes(".")) {
          const binding = lookup(scopes, s.target.name);
          if (binding) {
            binding.assigns++;
            bound[k] = binding;
          }
          // `v = v * c` does not count as reading v: it only serves v's later reads.
          read(s.value, binding);
        } else {
          read(s.target as Expr);
          read(s.value);
        }
        return;
      }
      case "if": read(s.test); stmts(s.then); stmts(s.else); return;
      case "loop":
        if (s.body.length === 0) uses.mayDrop = true;
        scoped(s.init, (bound) => {
          each(s.init, bound);
          if (s.test) read(s.test);
          stmts(s.body);
          const updates: (Binding | undefined)[] = new Array(s.update.length);
          uses.lists.set(s.update, updates);
          each(s.update, updates);
        });
        return;
      case "block": stmts(s.body); return;
      case "return": if (s.value) read(s.value); return;
      case "push": read(s.value); return;
      case "append": readName(s.array); read(s.value); return;
      case "shrink": readName(s.array); return;
      case "rewind": case "stackSizeSet": read(s.size); return;
      case "fillZero": read(s.array); return;
      case "call": if (s.callee.includes(".")) readName(s.callee); s.args.forEach((a) => read(a)); return;
      case "check": read(s.failsWhen); return;
      case "drop": case "break": case "continue": case "comment": return;
    }
  };
  stmts(body);
  if (uses.declared.some((d) => d.reads === 0) || [...params.values()].some((p) => p.assigns > 0 && p.reads === 0)) uses.mayDrop = true;
  return uses;
}

/**
 * `body` without the declarations and assignments of unread locals (the same array if there
 * were none), and whether `uses` still counts it as resolving it afresh would: when the
 * round dropped only whole statements (values without effects), their reads and
 * assignments are taken back from `uses` and the new lists entered in it, and if that
 * leaves no other binding unread, the next round would drop nothing. Otherwise (an effect
 * kept, a loop dropped, a binding left unread) the caller resolves the new body again.
 */
function dropDead(body: Stmt[], uses: Uses, settle = true): { body: Stmt[]; settled: boolean } {
  let changed = false;
  let settled = settle;
  const all = [...uses.declared, ...uses.params.values()];
  const readBefore = all.map((d) => d.reads);
  const list = (stmts: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    const outBound: (Binding | undefined)[] = [];
    const bound = uses.lists.get(stmts);
    const scopes = uses.scopes.get(stmts);
    for (let k = 0; k < stmts.length; k++) {
      const s = stmts[k]!;
      const binding = bound?.[k];
      if (binding && binding.reads === 0 && (s.kind === "declare" || s.kind === "assign")) {
        const kept = effectsOf(s.kind === "declare" ? s.init : s.value);
        if (kept) {
          out.push(...kept);
          for (let j = 0; j < kept.length; j++) outBound.push(undefined);
          changed = true;
          if (kept.length > 0 || !scopes) settled = false;
          else if (s.kind === "declare") countReads(s.init, scopes, -1);
          else {
            binding.assigns--;
            countReads(s.value, scopes, -1, binding);
          }
          continue;
        }
      }
      const kept = nested(s);
      if (emptyCountedLoop(kept)) {
        changed = true;
        settled = false;
        continue;
      }
      out.push(kept);
      outBound.push(binding);
    }
    uses.lists.set(out, outBound);
    if (scopes) uses.scopes.set(out, scopes);
    return out;
  };
  const nested = (s: Stmt): Stmt => {
    switch (s.kind) {
      case "if": return { ...s, then: list(s.then), else: list(s.else) };
      case "block": return { ...s, body: list(s.body) };
      // A loop header's own variables stay (a counter is read by its test).
      case "loop": return { ...s, body: list(s.body) };
      default: return s;
    }
  };
  const out = list(body);
  if (!changed) return { body, settled: true };
  // A binding the dropped statements held the last reads of: its own statements go next round.
  if (all.some((d, k) => d.reads === 0 && readBefore[k]! > 0)) settled = false;
  return { body: out, settled };
}

/**
 * A loop that does nothing: no body, and a header that only declares, tests and steps its own
 * counters (a lane loop whose statements all went as dead).
 */
function emptyCountedLoop(s: Stmt): boolean {
  if (s.kind !== "loop" || s.form !== "for" || s.body.length > 0 || !s.test || !isPure(s.test)) return false;
  const own = new Set(s.init.map((x) => (x.kind === "declare" && isPure(x.init) ? x.name : "")));
  return !own.has("") && s.update.every((x) => x.kind === "assign" && x.target.kind === "var" && own.has(x.target.name) && isPure(x.value));
}

/**
 * Statements that do what evaluating `e` does besides giving its value (left to right), or
 * null if that cannot be said without keeping `e` whole. Computing numbers, reading arrays
 * and allocating arrays do nothing else.
 */
function effectsOf(e: Expr): Stmt[] | null {
  if (isPure(e)) return [];
  switch (e.kind) {
    case "pop": return [{ kind: "drop", stack: e.stack }];
    // A block of lanes nobody reads (transform/lanes.ts) is still popped.
    case "popBlock": return isPure(e.count) ? [{ kind: "stackSizeSet", stack: e.stack, size: b.sub({ kind: "stackSize", stack: e.stack }, e.count) }] : null;
    case "cursorMove": {
      const top: LValue = { kind: "var", name: e.name };
      return [b.assign(top, e.move === "postIncrement" ? b.add(b.v(e.name), b.num(1)) : b.sub(b.v(e.name), b.num(1)))];
    }
    case "call": case "userCall": {
      if (!callHasEffects(e)) return e.args.reduce<Stmt[] | null>((kept, a) => both(kept, effectsOf(a)), []);
      return e.args.every(isPure) ? [{ kind: "call", callee: e.callee, args: e.args }] : null;
    }
    case "index": return both(effectsOf(e.object), effectsOf(e.index));
    case "binary": return both(effectsOf(e.left), effectsOf(e.right));
    case "unary": return effectsOf(e.operand);
    case "length": case "field": return effectsOf(e.object);
    default: return null;
  }
}

function both(a: Stmt[] | null, b2: Stmt[] | null): Stmt[] | null {
  return a && b2 ? [...a, ...b2] : null;
}

/** Calls of the runtime that only compute a value from their arguments (unionSets: sparsity detection's union of two index sets). */
const PURE_CALLS = new Set(["Array.from", "Float64Array.from", "unionSets"]);

/**
 * Math's functions compute a number; so do the user's functions a derivative calls (the
 * front end admits no side effects: a helper that writes into an array argument is always
 * inlined). A function behind a custom rule (`@vjpOf`) is a library tsgrad cannot see
 * into, and the runtime's helpers fill buffers: their calls stay.
 */
function callHasEffects(e: Extract<Expr, { kind: "call" | "userCall" }>): boolean {
  if (e.kind === "userCall") return e.rule !== undefined && !e.rule.generated;
  return !e.callee.startsWith("Math.") && !PURE_CALLS.has(e.callee);
}

function isPure(e: Expr): boolean {
  return !someExpr(e, (x) => {
    switch (x.kind) {
      case "pop": case "popBlock": case "cursorMove": case "stackReserve": return true;
      case "call": case "userCall": return callHasEffects(x);
      default: return false;
    }
  });
}

function unusedParamsMarked(fn: FunctionIR, uses: Uses): FunctionIR["params"] {
  let taken: Set<string> | undefined;
  return fn.params.map((p) => {
    const binding = uses.params.get(p.name);
    if (!binding || binding.reads > 0 || binding.assigns > 0) return p;
    taken ??= namesIn(fn);
    let name = `_${p.name}`;
    while (taken.has(name)) name = `_${name}`;
    taken.add(name);
    return { ...p, name };
  });
}

/**
 * The functions of a generated file without the private ones nothing calls any more (a
 * copy of a helper's primal whose only call was in a dead local).
 */
export function withoutUncalled(functions: FunctionIR[]): FunctionIR[] {
  // Every function exported: all are kept, and their bodies need not be walked.
  if (functions.every((f) => f.exported)) return functions;
  const called = new Set<string>();
  const byName = new Map(functions.map((f) => [f.name, f]));
  const visit = (f: FunctionIR) => {
    if (called.has(f.name)) return;
    called.add(f.name);
    for (const name of calleesOf(f)) {
      const callee = byName.get(name);
      if (callee) visit(callee);
    }
  };
  for (const f of functions) if (f.exported) visit(f);
  return functions.filter((f) => called.has(f.name));
}

/** The functions `fn` calls, by name. */
export function calleesOf(fn: FunctionIR): Set<string> {
  const names = new Set<string>();
  walkStmts(fn.body, (s) => {
    if (s.kind === "call") names.add(s.callee);
    for (const e of stmtExprs(s)) addCallees(e, names);
  });
  return names;
}

/** The callees of `e`'s calls (without a callback per node, like visit.ts's exprReads). */
function addCallees(e: Expr, into: Set<string>): void {
  switch (e.kind) {
    case "number": case "boolean": case "string": case "var": case "pop": case "stackSize": case "stackBuffer": case "cursorMove": return;
    case "sameObject": addCallees(e.left, into); addCallees(e.right, into); return;
    case "stackReserve": addCallees(e.top, into); addCallees(e.count, into); return;
    case "popBlock": addCallees(e.count, into); return;
    case "index": addCallees(e.object, into); addCallees(e.index, into); return;
    case "length": case "field": addCallees(e.object, into); return;
    case "unary": addCallees(e.operand, into); return;
    case "binary": addCallees(e.left, into); addCallees(e.right, into); return;
    case "call": case "userCall": into.add(e.callee); for (const a of e.args) addCallees(a, into); return;
    case "conditional": addCallees(e.test, into); addCallees(e.whenTrue, into); addCallees(e.whenFalse, into); return;
    case "zeros": addCallees(e.length, into); return;
    case "zerosLike": addCallees(e.like, into); return;
    case "arrayLiteral": for (const x of e.elements) addCallees(x, into); return;
    case "record": for (const f of e.fields) addCallees(f.value, into); return;
    default: assertNever(e);
  }
}
