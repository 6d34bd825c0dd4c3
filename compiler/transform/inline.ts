/**
 * Inlining: replaces every call to a user function by the callee's body.
 *
 * Takes: a lowered function whose expressions may contain `userCall` nodes, and a way to
 * get any callee's lowered IR (same file or imported). Gives: a function without calls,
 * so every transform (reverse, forward, forward-over-reverse) and every analysis sees one
 * body. The callee's locals are renamed apart; array parameters are replaced by the
 * argument expression (callees never write their parameters, so sharing is safe);
 * scalar parameters are bound once. `const y = g(x)` takes the callee's result directly,
 * so a helper that builds and returns a local array fills `y` itself.
 *
 * Why inline small helpers: the callee's forward values then fall under the caller's
 * save-or-recompute policy (to-be-recorded analysis), activity is specialized per call
 * site, and there is no call overhead or record allocation in hot loops. The cost is code
 * size, so reverse mode keeps calls to large helpers (or `@noinline` ones) that the
 * `custom` finder names: they get a shared generated pullback (see pipeline.ts), exactly
 * as a user-supplied `@vjpOf` rule is called. Recursion cannot be inlined and is rejected.
 */
import { baseName, Codes, fail, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import { assertNever, type Expr, type FunctionIR, type LValue, type Stmt, type ValueType } from "../ir/nodes.ts";
import { mapExpr, mapStmtExprs, rootName, someExpr, walkExpr } from "../ir/visit.ts";
import type { Namer } from "./naming.ts";
import { normalizeControlFlow } from "./normalize.ts";
import { namesIn } from "./naming.ts";
import { Namer as NamerClass } from "./naming.ts";

export type CalleeResolver = (name: string, span: SourceSpan) => FunctionIR;

/** Finds a user-supplied VJP for a callee; calls to it are kept (not inlined) when asked. */
export type CustomRuleFinder = (
  name: string,
  span: SourceSpan,
) => { rule: string; ruleFile: string; primalFile: string; generated?: boolean; params?: { name: string; type: ValueType }[] } | undefined;

export function inlineCalls(fn: FunctionIR, resolve: CalleeResolver, namer: Namer, custom?: CustomRuleFinder): FunctionIR {
  return { ...fn, body: new Inliner(resolve, namer, [fn.name], custom).stmts(fn.body) };
}

/**
 * Whether inlineCalls has anything to do in `stmts`: a call of a user function (as an
 * expression or a statement), or a field read off a record literal. Without one it would
 * give back a copy of the same statements.
 */
export function hasCallsToInline(stmts: Stmt[]): boolean {
  for (const s of stmts) {
    switch (s.kind) {
      case "call": return true;
      case "declare": if (exprHasCall(s.init)) return true; break;
      case "assign": if (exprHasCall(s.value) || exprHasCall(s.target as Expr)) return true; break;
      case "return": if (s.value && exprHasCall(s.value)) return true; break;
      case "append": if (exprHasCall(s.value)) return true; break;
      case "if": if (exprHasCall(s.test) || hasCallsToInline(s.then) || hasCallsToInline(s.else)) return true; break;
      case "loop": if ((s.test && exprHasCall(s.test)) || hasCallsToInline(s.init) || hasCallsToInline(s.update) || hasCallsToInline(s.body)) return true; break;
      case "block": if (hasCallsToInline(s.body)) return true; break;
      default: break;
    }
  }
  return false;
}

/** A user call or a field of a record literal in `e` (no callback per node: this runs over every expression of a function). */
function exprHasCall(e: Expr): boolean {
  switch (e.kind) {
    case "userCall": return true;
    case "number": case "boolean": case "string": case "var": case "pop": case "stackSize": case "stackBuffer": case "cursorMove": return false;
    case "field": return e.object.kind === "record" || exprHasCall(e.object);
    case "sameObject": case "binary": return exprHasCall(e.left) || exprHasCall(e.right);
    case "stackReserve": return exprHasCall(e.top) || exprHasCall(e.count);
    case "popBlock": return exprHasCall(e.count);
    case "index": return exprHasCall(e.object) || exprHasCall(e.index);
    case "length": return exprHasCall(e.object);
    case "unary": return exprHasCall(e.operand);
    case "call": return e.args.some(exprHasCall);
    case "conditional": return exprHasCall(e.test) || exprHasCall(e.whenTrue) || exprHasCall(e.whenFalse);
    case "zeros": return exprHasCall(e.length);
    case "zerosLike": return exprHasCall(e.like);
    case "arrayLiteral": return e.elements.some(exprHasCall);
    case "record": return e.fields.some((f) => exprHasCall(f.value));
    default: return assertNever(e);
  }
}

class Inliner {
  constructor(
    private readonly resolve: CalleeResolver,
    private readonly namer: Namer,
    private readonly stack: string[],
    private readonly custom?: CustomRuleFinder,
  ) {}

  /** A call the user supplied a rule for stays a call, carrying the rule. */
  private keep(call: Extract<Expr, { kind: "userCall" }>, pre: Stmt[]): Expr | null {
    const found = this.custom?.(call.callee, call.span!);
    if (!found) return null;
    // A user rule carries the primal's parameters (its body may be out of sight, in a package).
    const callee = found.params ? { params: found.params, returnType: b.NUMBER } : this.resolve(call.callee, call.span!);
    if (callee.returnType.kind !== "number") {
      fail(Codes.UnsupportedCall, `@vjpOf rules are supported for functions returning a number; '${call.callee}' returns an array`, call.span!);
    }
    return {
      ...call,
      args: call.args.map((a) => this.expr(a, pre)),
      rule: {
        name: found.rule,
        params: callee.params.map((p) => ({ name: p.name, type: p.type })),
        primalFile: found.primalFile,
        ruleFile: found.ruleFile,
        generated: found.generated,
      },
    };
  }

  stmts(list: Stmt[]): Stmt[] {
    return list.flatMap((s) => this.stmt(s));
  }

  /**
   * A record argument with every leaf a variable or a constant: other leaves are bound to
   * fresh constants, and a number field the callee writes gets a fresh variable of its own
   * unless the record is a local object passed by reference (writes into a temporary
   * literal `{ x: a }` must not reach `a`). Array fields stay the caller's arrays, as in JS.
   */
  private bindFields(arg: Extract<Expr, { kind: "record" }>, type: ValueType, path: string, written: Set<string>, bindings: Stmt[]): Expr {
    return {
      kind: "record",
      fields: arg.fields.map((f) => {
        const v = f.value;
        const fieldType = (type.kind === "record" ? type.fields.find((x) => x.name === f.name)?.type : undefined) ?? b.NUMBER;
        const at = `${path}.${f.name}`;
        if (v.kind === "record") return { name: f.name, value: this.bindFields(v, fieldType, at, written, bindings) };
        const copy = fieldType.kind === "number" && written.has(at) && !arg.byReference;
        if ((v.kind === "var" || v.kind === "number") && !copy) return f;
        const name = this.namer.fresh(at.replace(/\./g, "_"));
        bindings.push(b.declare(name, v, copy, fieldType));
        return { name: f.name, value: b.v(name) };
      }),
    };
  }

  private stmt(s: Stmt): Stmt[] {
    switch (s.kind) {
      case "declare": {
        const call = s.init;
        if (call.kind === "userCall" && !this.custom?.(call.callee, call.span!)) return this.inline(call, s.name, s);
        const pre: Stmt[] = [];
        const init = this.expr(s.init, pre);
        return [...pre, { ...s, init }];
      }
      case "assign": {
        const pre: Stmt[] = [];
        const value = this.expr(s.value, pre);
        const target = this.lvalue(s.target, pre);
        return [...pre, { ...s, target, value }];
      }
      case "return": {
        if (!s.value) return [s];
        const pre: Stmt[] = [];
        const value = this.expr(s.value, pre);
        return [...pre, { ...s, value }];
      }
      case "if": {
        const pre: Stmt[] = [];
        const test = this.expr(s.test, pre);
        return [...pre, { ...s, test, then: this.stmts(s.then), else: this.stmts(s.else) }];
      }
      case "loop": {
        if (s.test && hasCall(s.test)) {
          fail(Codes.UnsupportedCall, "calls in a loop condition are not supported; compute the value in the loop body", callSpan(s.test) ?? s.span!);
        }
        return [{ ...s, init: this.stmts(s.init), update: this.stmts(s.update), body: this.stmts(s.body) }];
      }
      case "block":
        return [{ kind: "block", body: this.stmts(s.body) }];
      case "append": {
        const pre: Stmt[] = [];
        const value = this.expr(s.value, pre);
        return [...pre, { ...s, value }];
      }
      case "call": {
        // The result is discarded; only the callee's writes into array arguments remain.
        const pre: Stmt[] = [];
        this.inline({ kind: "userCall", callee: s.callee, args: s.args, span: s.span }, null, null, pre, true);
        return pre;
      }
      default:
        return [s];
    }
  }

  private lvalue(t: LValue, pre: Stmt[]): LValue {
    if (t.kind === "index") return { ...t, object: this.lvalue(t.object as LValue, pre) as Expr, index: this.index(t.index, pre) };
    return t;
  }

  /**
   * An index is bound to a constant when a kept call computes it (`m[closestIndex(p, m)]`):
   * reverse mode repeats index expressions (the adjoint row `m_bar[…]`), and the call must
   * run once.
   */
  private index(e: Expr, pre: Stmt[]): Expr {
    const index = this.expr(e, pre);
    if (!hasCall(index)) return index;
    const name = this.namer.fresh("at");
    pre.push(b.declare(name, index));
    return b.v(name);
  }

  /** Rewrites calls inside `e` (innermost first), appending the inlined bodies to `pre`. */
  private expr(e: Expr, pre: Stmt[]): Expr {
    switch (e.kind) {
      case "userCall":
        return this.keep(e, pre) ?? this.inline(e, null, null, pre);
      case "index": return { ...e, object: this.expr(e.object, pre), index: this.index(e.index, pre) };
      case "length": return { ...e, object: this.expr(e.object, pre) };
      case "field": {
        // `g(x).tangent`: the inlined call's result is a record literal; take the field.
        const object = this.expr(e.object, pre);
        const field = object.kind === "record" ? object.fields.find((f) => f.name === e.name) : undefined;
        return field ? field.value : { ...e, object };
      }
      case "record": return { ...e, fields: e.fields.map((f) => ({ name: f.name, value: this.expr(f.value, pre) })) };
      case "unary": return { ...e, operand: this.expr(e.operand, pre) };
      case "binary":
        if ((e.op === "&&" || e.op === "||") && hasCall(e.right)) {
          fail(Codes.UnsupportedCall, `a call on the right of '${e.op}' may not run; compute it in its own statement`, callSpan(e.right)!);
        }
        return { ...e, left: this.expr(e.left, pre), right: this.expr(e.right, pre) };
      case "call": return { ...e, args: e.args.map((a) => this.expr(a, pre)) };
      case "conditional": {
        const test = this.expr(e.test, pre);
        if (!hasCall(e.whenTrue) && !hasCall(e.whenFalse)) return { ...e, test };
        // A call may only run on its own branch: `c ? g(a) : b` becomes an if/else.
        const name = this.namer.fresh("choice");
        const whenTrue: Stmt[] = [];
        const whenFalse: Stmt[] = [];
        const t = this.expr(e.whenTrue, whenTrue);
        const f = this.expr(e.whenFalse, whenFalse);
        pre.push(b.declare(name, b.num(0), true), {
          kind: "if",
          test,
          then: [...whenTrue, b.assign({ kind: "var", name }, t)],
          else: [...whenFalse, b.assign({ kind: "var", name }, f)],
        });
        return b.v(name);
      }
      case "arrayLiteral": return { ...e, elements: e.elements.map((x) => this.expr(x, pre)) };
      default: return e;
    }
  }

  /**
   * Inlines one call. With `into` set (a declaration `const into = g(…)`), the callee's
   * result becomes that declaration and [] + body is returned as statements; otherwise the
   * body goes to `pre` and the result expression is returned.
   */
  private inline(call: Extract<Expr, { kind: "userCall" }>, into: null, decl: null, pre: Stmt[], discard?: boolean): Expr;
  private inline(call: Extract<Expr, { kind: "userCall" }>, into: string, decl: Extract<Stmt, { kind: "declare" }>): Stmt[];
  private inline(
    call: Extract<Expr, { kind: "userCall" }>,
    into: string | null,
    decl: Extract<Stmt, { kind: "declare" }> | null,
    pre: Stmt[] = [],
    discard = false,
  ): Expr | Stmt[] {
    const span = call.span!;
    if (this.stack.includes(call.callee)) {
      fail(Codes.Recursion, `'${call.callee}' is recursive (${[...this.stack, call.callee].join(" → ")}); recursion cannot be differentiated here, write it as a loop`, span);
    }
    const out: Stmt[] = [];
    const args = call.args.map((a) => this.expr(a, out));
    const callee = this.resolve(call.callee, span);
    if (callee.params.length !== args.length) {
      fail(Codes.UnsupportedCall, `'${call.callee}' takes ${callee.params.length} argument(s), got ${args.length}`, span);
    }
    // Inline the callee's own calls first, then remove its jumps.
    const calleeNamer = new NamerClass(namesIn(callee));
    const flat = new Inliner(this.resolve, calleeNamer, [...this.stack, call.callee], this.custom).stmts(callee.body);
    const normalized = normalizeControlFlow({ ...callee, body: flat }, calleeNamer);

    const rename = new Map<string, Expr>();
    const bindings: Stmt[] = [];
    callee.params.forEach((p, k) => {
      const arg = args[k]!;
      if (p.type.kind === "record" && arg.kind === "record") {
        // An object argument (a literal, or a local record split into variables): the
        // callee's `p.f` becomes the field's expression, bound once unless it is a variable
        // or a constant; a written field must be a variable (the caller's local record).
        rename.set(p.name, this.bindFields(arg, p.type, p.name, writtenPaths(normalized.fn.body), bindings));
        return;
      }
      // A row `A[i]` gets a name of its own, so loops in the callee index it once, not A[i][j] each time.
      const substitutable = arg.kind === "var" || arg.kind === "number";
      if (p.type.kind === "array" && isPath(arg) && !substitutable) {
        const name = this.namer.fresh(p.name);
        rename.set(p.name, b.v(name));
        bindings.push(b.declare(name, arg, false, p.type));
        return;
      }
      if ((p.type.kind === "array" || p.type.kind === "record") && !substitutable) {
        fail(Codes.UnsupportedCall, `pass an array variable (or a row a[i]) as argument '${p.name}' of '${call.callee}'`, span);
      }
      if (substitutable) rename.set(p.name, arg);
      else {
        const name = this.namer.fresh(p.name);
        rename.set(p.name, b.v(name));
        bindings.push(b.declare(name, arg, false, p.type));
      }
    });
    const result = normalized.result;
    const resultVar = result.kind === "var" && !callee.params.some((p) => p.name === result.name) ? result.name : null;
    const locals = new Set<string>();
    collectDeclared(normalized.fn.body, locals);
    for (const name of [...locals].sort()) {
      if (into && name === resultVar) rename.set(name, b.v(into));
      else rename.set(name, b.v(this.namer.fresh(name)));
    }
    const body = renameStmts(normalized.fn.body, rename, span.file === normalized.fn.span.file ? undefined : normalized.fn.span.file);
    walkTargets(body, (target) => {
      if (target.kind !== "var" && target.kind !== "index" && target.kind !== "field") {
        fail(Codes.UnsupportedCall, `'${call.callee}' writes into a field of an object argument; pass a local object literal ('const g = { x: 0 }') there`, span);
      }
    });
    out.push(b.comment(`inlined ${call.callee}(…) from ${baseName(normalized.fn.span.file)}:${normalized.fn.span.line}`), ...bindings, ...body);
    const value = renameExpr(result, rename);
    if (into && decl) {
      if (resultVar) return out; // the callee's result variable was declared as `into`
      if (decl.type.kind === "array") fail(Codes.UnsupportedCall, `'${call.callee}' must return a local array to be assigned here`, span);
      return [...out, { ...decl, init: value }];
    }
    if (callee.returnType.kind === "array" && !discard) {
      fail(Codes.UnsupportedCall, `assign the array returned by '${call.callee}' to a new constant: 'const y = ${call.callee}(…)'`, span);
    }
    pre.push(...out);
    return value;
  }
}

/** Every field path a body writes through a dotted variable (`grad.x`, `p.a.b`), and its prefixes. */
function writtenPaths(stmts: Stmt[]): Set<string> {
  const out = new Set<string>();
  walkTargets(stmts, (target) => {
    const root = rootName(target) ?? "";
    const parts = root.split(".");
    for (let k = 2; k <= parts.length; k++) out.add(parts.slice(0, k).join("."));
  });
  return out;
}

function walkTargets(stmts: Stmt[], f: (target: Expr) => void): void {
  for (const s of stmts) {
    if (s.kind === "assign") f(s.target as Expr);
    if (s.kind === "if") {
      walkTargets(s.then, f);
      walkTargets(s.else, f);
    }
    if (s.kind === "loop") {
      walkTargets(s.init, f);
      walkTargets(s.update, f);
      walkTargets(s.body, f);
    }
    if (s.kind === "block") walkTargets(s.body, f);
  }
}

/** The value at field path `fields` (`["grad", "x"]`) of a record literal, if it is one. */
function fieldAt(e: Expr, fields: string[]): Expr | undefined {
  let at: Expr = e;
  for (const [k, f] of fields.entries()) {
    if (at.kind === "var") return b.v(`${at.name}.${fields.slice(k).join(".")}`);
    if (at.kind !== "record") return undefined;
    const next = at.fields.find((x) => x.name === f);
    if (!next) return undefined;
    at = next.value;
  }
  return at;
}

function isPath(e: Expr): boolean {
  return e.kind === "var" || (e.kind === "index" && isPath(e.object));
}

function hasCall(e: Expr): boolean {
  return someExpr(e, (x) => x.kind === "userCall");
}

function callSpan(e: Expr): SourceSpan | undefined {
  let span: SourceSpan | undefined;
  walkExpr(e, (x) => {
    if (x.kind === "userCall" && !span) span = x.span;
  });
  return span;
}

function collectDeclared(stmts: Stmt[], into: Set<string>): void {
  for (const s of stmts) {
    if (s.kind === "declare") into.add(s.name);
    if (s.kind === "if") {
      collectDeclared(s.then, into);
      collectDeclared(s.else, into);
    }
    if (s.kind === "loop") {
      collectDeclared(s.init, into);
      collectDeclared(s.body, into);
    }
    if (s.kind === "block") collectDeclared(s.body, into);
  }
}

function renameExpr(e: Expr, map: Map<string, Expr>): Expr {
  return mapExpr(e, renamer(map));
}

/** The `mapExpr` replacement that renames variables by `map`. */
function renamer(map: Map<string, Expr>): (e: Expr) => Expr | undefined {
  return (x) => {
    if (x.kind !== "var") return undefined;
    const direct = map.get(x.name);
    if (direct) return direct;
    // A field path of an object parameter follows its root: q.W → p.W, or the field of an
    // object literal argument: tangent.x → 1.
    const dot = x.name.indexOf(".");
    const root = dot > 0 && !x.name.startsWith("Math.") ? map.get(x.name.slice(0, dot)) : undefined;
    if (root?.kind === "record") return fieldAt(root, x.name.slice(dot + 1).split(".")) ?? x;
    return root?.kind === "var" ? b.v(`${root.name}${x.name.slice(dot)}`) : x;
  };
}

function renameName(name: string, map: Map<string, Expr>): string {
  const to = map.get(name);
  return to && to.kind === "var" ? to.name : name;
}

/** Renames variables; statements from another file keep their file in their span. */
function renameStmts(stmts: Stmt[], map: Map<string, Expr>, otherFile?: string): Stmt[] {
  const span = <T extends { span?: SourceSpan }>(s: T): T => (otherFile && s.span ? { ...s, span: { ...s.span, file: otherFile } } : s);
  return mapStmtExprs(stmts, renamer(map), (s) => {
    switch (s.kind) {
      case "declare": return span({ ...s, name: renameName(s.name, map) });
      case "append": return span({ ...s, array: renameName(s.array, map) });
      case "assign": case "if": case "loop": case "return": case "call": return span(s);
      default: return s;
    }
  });
}
