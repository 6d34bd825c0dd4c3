/**
 * Forward mode (tangent code generation).
 *
 * Takes: any IR function body — a lowered primal (for `@jvp`) or a generated reverse-mode
 * body (for `@hvp`: forward-over-reverse) — and the set of variables that carry tangents.
 * Gives: the same statements, each active assignment preceded (or, for declarations,
 * followed) by the assignment of its tangent `v_dot`, using the same rule table as
 * reverse mode: dot(f(a, b)) = df/da dot(a) + df/db dot(b).
 *
 * Stack traffic of reverse-mode code is paired: a pushed value is followed by its
 * tangent on the same stack, and popped in the opposite order.
 * `return e` becomes `return { value: e, tangent: dot(e) }` unless the caller overrides it.
 */
import { Codes, fail, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { Expr, LValue, Stmt } from "../ir/nodes.ts";
import { exprReads, rootName } from "../ir/visit.ts";
import { substituteVar } from "../ir/rewrite.ts";
import type { Namer } from "./naming.ts";
import { isDifferentiableOperator, isPiecewiseConstant, PRIMITIVES } from "../ir/primitives.ts";
import { productFactors, productPartials } from "./products.ts";

export interface ForwardInput {
  /** Variables (and record roots) that carry a tangent. */
  active: Set<string>;
  namer: Namer;
  span: SourceSpan;
  /** Tangent names fixed by the caller, e.g. `grad` → `hvp`. */
  fixedNames?: Map<string, string>;
  /** How to rewrite `return e`; default: `{ value: e, tangent: dot(e) }`. */
  onReturn?: (value: Expr, tangent: Expr) => Stmt[];
}

const ANS = "\u0000ans";

export class ForwardGenerator {
  private readonly dots = new Map<string, string>();

  constructor(private readonly input: ForwardInput) {
    for (const [k, v] of input.fixedNames ?? []) this.dots.set(k, v);
  }

  dot(name: string): string {
    let found = this.dots.get(name);
    if (!found) {
      found = this.input.namer.fresh(`${name.replace(/\./g, "_")}_dot`);
      this.dots.set(name, found);
    }
    return found;
  }

  /** Every tangent variable named so far (sparsity detection re-types them: transform/indexSets.ts). */
  tangentNames(): Set<string> {
    return new Set(this.dots.values());
  }

  /** Every tangent name handed out so far, by the primal name (or record path) it is the tangent of. */
  tangents(): ReadonlyMap<string, string> {
    return this.dots;
  }

  isActive(e: Expr): boolean {
    switch (e.kind) {
      case "var": return this.input.active.has(e.name);
      case "index": case "field": return this.isActive(e.object);
      case "unary": return e.op !== "!" && this.isActive(e.operand);
      case "binary": return isDifferentiableOperator(e.op) && (this.isActive(e.left) || this.isActive(e.right));
      case "call": return PRIMITIVES[e.callee] !== undefined && e.args.some((a) => this.isActive(a)) && !isPiecewiseConstant(e.callee);
      case "conditional": return this.isActive(e.whenTrue) || this.isActive(e.whenFalse);
      case "arrayLiteral": return e.elements.some((x) => this.isActive(x));
      case "pop": return false; // handled at statement level
      default: return false;
    }
  }

  private dotOf(e: Expr | LValue): LValue {
    if (e.kind === "var") return { kind: "var", name: this.dot(e.name) };
    if (e.kind === "index") return { kind: "index", object: this.dotOf(e.object) as Expr, index: e.index };
    if (e.kind === "field") return { kind: "field", object: this.dotOf(e.object) as Expr, name: e.name };
    return fail(Codes.InternalError, `no tangent for ${e.kind}`, this.input.span);
  }

  /** The tangent of `e`; `ans` (if given) names a variable already holding e's value. */
  tangent(e: Expr, out: Stmt[], ans?: Expr): Expr {
    if (!this.isActive(e)) return e.kind === "arrayLiteral" ? { kind: "arrayLiteral", elements: e.elements.map(() => b.num(0)) } : b.num(0);
    switch (e.kind) {
      case "var": case "index": case "field":
        return this.dotOf(e) as Expr;
      case "unary":
        return e.op === "-" ? b.neg(this.tangent(e.operand, out)) : this.tangent(e.operand, out);
      case "binary": {
        const factors = productFactors(e);
        if (factors && (factors.length > 2 || b.sameExpr(e.left, e.right))) {
          let sum: Expr = b.num(0);
          for (const p of productPartials(factors)) {
            if (this.isActive(p.factor)) sum = b.add(sum, b.mul(p.partial, this.tangent(p.factor, out)));
          }
          return sum;
        }
        return this.applyRule(e.op, [e.left, e.right], e, out, ans);
      }
      case "call":
        return this.applyRule(e.callee, e.args, e, out, ans);
      case "conditional": {
        // Each branch's tangent runs only when its branch was taken, where `ans` holds that
        // branch's value; the temporaries it needs (a call's value) are computed under the
        // same condition rather than for both branches.
        return { kind: "conditional", test: e.test, ...eachBranch(e, out, (x, temps) => this.tangent(x, temps, ans)) };
      }
      case "arrayLiteral":
        return { kind: "arrayLiteral", elements: e.elements.map((x) => this.tangent(x, out)) };
      default:
        return fail(Codes.InternalError, `forward mode cannot differentiate a '${e.kind}' expression`, this.input.span);
    }
  }

  private applyRule(primitive: string, args: Expr[], whole: Expr, out: Stmt[], ans?: Expr): Expr {
    const rule = PRIMITIVES[primitive]!;
    const partials = rule.partials(args, () => b.v(ANS));
    let sum: Expr = b.num(0);
    let ansExpr: Expr | null = ans ?? null;
    for (let k = 0; k < args.length; k++) {
      let partial = partials[k];
      if (!partial || !this.isActive(args[k]!)) continue;
      if (exprReads(partial).has(ANS)) {
        if (!ansExpr) {
          const name = this.input.namer.temp();
          out.push(b.declare(name, whole));
          ansExpr = b.v(name);
        }
        partial = substituteVar(partial, ANS, ansExpr);
      }
      sum = b.add(sum, b.mul(partial, this.tangent(args[k]!, out)));
    }
    return sum;
  }

  stmts(list: Stmt[]): Stmt[] {
    return list.flatMap((s) => this.stmt(s));
  }

  /**
   * Binds each costly call (sqrt, exp, sin…) with an active argument that sits inside a
   * larger active expression to a `const` of its own, declared (with its tangent) before
   * the statement, and reads that const in its place. Otherwise the call is evaluated once
   * for the value, again for its own tangent (`ans`), and again wherever a parent's partial
   * names it (`1 / Math.sqrt(s)`: the quotient's partial is `-1 / (b · b)`). The value is
   * the same double either way. A call in a conditional's branch is bound under the
   * branch's condition (`const _t0 = c ? Math.exp(x) : 0`, its tangent likewise), so it
   * runs once, and only when its branch does; a branch that is itself the statement's
   * value keeps its own call, like any root. The right of `&&`/`||` is left alone.
   */
  private bindCostlyCalls(e: Expr, out: Stmt[], root = true): Expr {
    switch (e.kind) {
      case "conditional":
        return { ...e, ...eachBranch(e, out, (x, temps) => this.bindCostlyCalls(x, temps, root)) };
      case "unary":
        return { ...e, operand: this.bindCostlyCalls(e.operand, out, false) };
      case "binary":
        if (e.op === "&&" || e.op === "||") return e;
        return { ...e, left: this.bindCostlyCalls(e.left, out, false), right: this.bindCostlyCalls(e.right, out, false) };
      case "call": {
        const args = e.args.map((a) => this.bindCostlyCalls(a, out, false));
        const call: Expr = { ...e, args };
        if (root || PRIMITIVES[e.callee]?.cost !== "costly" || !this.isActive(call)) return call;
        const name = this.input.namer.temp();
        this.input.active.add(name);
        out.push(...this.stmt(b.declare(name, call)));
        return b.v(name);
      }
      default:
        return e;
    }
  }

  stmt(s: Stmt): Stmt[] {
    const bound: Stmt[] = [];
    const rebound = this.withCostlyCallsBound(s, bound);
    return bound.length === 0 ? this.stmtAsIs(s) : [...bound, ...this.stmtAsIs(rebound)];
  }

  /** `s` with its costly nested calls bound first (bindCostlyCalls), when `s` carries a tangent. */
  private withCostlyCallsBound(s: Stmt, out: Stmt[]): Stmt {
    switch (s.kind) {
      case "declare":
        return this.input.active.has(s.name) && s.type.kind === "number" && s.init.kind !== "pop" ? { ...s, init: this.bindCostlyCalls(s.init, out) } : s;
      case "assign": {
        const root = rootName(s.target);
        return root && this.input.active.has(root) && s.value.kind !== "pop" ? { ...s, value: this.bindCostlyCalls(s.value, out) } : s;
      }
      case "return":
        return s.value && this.isActive(s.value) ? { ...s, value: this.bindCostlyCalls(s.value, out) } : s;
      default:
        return s;
    }
  }

  private stmtAsIs(s: Stmt): Stmt[] {
    switch (s.kind) {
      case "declare": {
        if (!this.input.active.has(s.name)) return [s];
        if (s.init.kind === "pop") {
          return [b.declare(this.dot(s.name), b.pop(s.init.stack), s.mutable, s.type), s];
        }
        if (s.type.kind === "number" && !this.reads(s.init, s.name)) {
          // The primal first, so rules that use the result (exp, sqrt, tanh…) read it back.
          const post: Stmt[] = [];
          const t = this.tangent(s.init, post, b.v(s.name));
          return [...primalReusing(s, post), b.declare(this.dot(s.name), t, true, s.type)];
        }
        const pre: Stmt[] = [];
        const init = this.declarationTangent(s, pre);
        return [...pre, s, b.declare(this.dot(s.name), init, s.mutable || s.type.kind === "number", s.type)];
      }
      case "assign": {
        const root = rootName(s.target);
        if (!root || !this.input.active.has(root)) return [s];
        if (s.value.kind === "pop") return [b.assign(this.dotOf(s.target), b.pop(s.value.stack)), s];
        if (!this.reads(s.value, root)) {
          // The primal first, so rules that use the result (exp, sqrt, tanh…) read it back.
          const post: Stmt[] = [];
          const t = this.tangent(s.value, post, s.target as Expr);
          return [...primalReusing(s, post), b.assign(this.dotOf(s.target), t)];
        }
        const pre: Stmt[] = [];
        const t = this.tangent(s.value, pre);
        const target = this.dotOf(s.target);
        // `x_bar[i] += lin_bar * b[i]` with a constant increment: its tangent is unchanged.
        if (b.sameExpr(t, target as Expr)) return [...pre, s];
        return [...pre, b.assign(target, t), s];
      }
      case "if":
        return [{ ...s, then: this.stmts(s.then), else: this.stmts(s.else) }];
      case "loop": {
        // A checkpointed loop's primal step advances tangents too (forward over reverse).
        const mark = s.checkpointed?.primal ? { checkpointed: { ...s.checkpointed, primal: this.stmts(s.checkpointed.primal) } } : {};
        return [{ ...s, init: this.stmts(s.init), update: this.stmts(s.update), body: this.stmts(s.body), ...mark }];
      }
      case "block":
        return [{ kind: "block", body: this.stmts(s.body) }];
      case "append": {
        if (!this.input.active.has(s.array)) return [s];
        // The tangent first: it may read the array (`a[a.length - 1]`) as it was before the push.
        const pre: Stmt[] = [];
        const t = this.tangent(s.value, pre);
        return [...pre, { kind: "append", array: this.dot(s.array), value: t }, s];
      }
      case "shrink":
        return this.input.active.has(s.array) ? [s, { kind: "shrink", array: this.dot(s.array) }] : [s];
      case "push": {
        // A pushed value is the variable its pop restores, so both sides agree on activity.
        if (s.stack !== "values" || !this.isActive(s.value)) return [s];
        const pre: Stmt[] = [];
        const t = this.tangent(s.value, pre);
        return [...pre, s, b.push("values", t)];
      }
      case "return": {
        const pre: Stmt[] = [];
        const t = this.tangent(s.value ?? b.num(0), pre);
        // A temporary the tangent needed (`const _t0 = Math.exp(x)`) also serves the value.
        const value = reuseTemporaries(s.value ?? b.num(0), pre);
        if (this.input.onReturn) return [...pre, ...this.input.onReturn(value, t)];
        return [...pre, { kind: "return", value: { kind: "record", fields: [{ name: "value", value }, { name: "tangent", value: t }] }, span: s.span }];
      }
      default:
        return [s];
    }
  }

  /** Tangent of a declaration's initial value, including arrays (zeros, literals, row aliases). */
  private declarationTangent(s: Extract<Stmt, { kind: "declare" }>, pre: Stmt[]): Expr {
    const init = s.init;
    if (s.type.kind === "array") {
      switch (init.kind) {
        case "zeros": return init;
        case "zerosLike": return init;
        case "arrayLiteral": return { kind: "arrayLiteral", elements: init.elements.map((x) => this.tangent(x, pre)) };
        case "index": case "field": case "var": return this.dotOf(init) as Expr;
        default: return fail(Codes.UnsupportedExpression, `forward mode cannot differentiate this array initializer; declare the array with new Array(n).fill(0) (or new Float64Array(n)) and fill it in a loop`, s.span ?? this.input.span);
      }
    }
    if (init.kind === "field" || init.kind === "var") return this.isActive(init) ? (this.dotOf(init) as Expr) : b.num(0);
    return this.tangent(init, pre);
  }

  private reads(e: Expr, name: string): boolean {
    return exprReads(e).has(name);
  }
}

/**
 * The primal statement `s` and the temporaries its tangent needs (`temps`, computed from
 * parts of its value: `const _t0 = 2 ** y` for `2 ** y * Math.log(2) * y_dot`). When the
 * value contains one of them, the temporaries come first and the value reads them, so the
 * part runs once; otherwise they follow the primal as before.
 */
function primalReusing(s: Extract<Stmt, { kind: "declare" | "assign" }>, temps: Stmt[]): Stmt[] {
  const value = s.kind === "declare" ? s.init : s.value;
  const reused = reuseTemporaries(value, temps);
  if (reused === value) return [s, ...temps];
  return [...temps, s.kind === "declare" ? { ...s, init: reused } : { ...s, value: reused }];
}

/**
 * The branches of `e` mapped by `f`, the statements `f` emits for each (its temporaries)
 * computed only when that branch is taken.
 */
function eachBranch(e: Extract<Expr, { kind: "conditional" }>, out: Stmt[], f: (branch: Expr, temps: Stmt[]) => Expr): { whenTrue: Expr; whenFalse: Expr } {
  const branch = (x: Expr, taken: Expr) => {
    const temps: Stmt[] = [];
    const mapped = f(x, temps);
    out.push(...temps.map((d) => guarded(d, taken)));
    return mapped;
  };
  return { whenTrue: branch(e.whenTrue, e.test), whenFalse: branch(e.whenFalse, b.not(e.test)) };
}

/** `d` (a temporary's declaration) computed only when `taken` holds, 0 otherwise. */
function guarded(d: Stmt, taken: Expr): Stmt {
  return d.kind === "declare" ? { ...d, init: { kind: "conditional", test: taken, whenTrue: d.init, whenFalse: b.num(0) } } : d;
}

/**
 * `e` reading the temporaries declared in `temps` in place of the expressions they hold:
 * `const _t = E` anywhere, and `const _t = c ? E : 0` (guarded) inside a branch taken
 * exactly when `c` holds.
 */
function reuseTemporaries(e: Expr, temps: Stmt[]): Expr {
  const held = temps.flatMap((d) => (d.kind === "declare" ? [{ name: d.name, init: d.init }] : []));
  if (held.length === 0) return e;
  const visit = (x: Expr, conditions: Expr[]): Expr => {
    for (const t of held) {
      const init = t.init;
      if (b.sameExpr(x, init)) return b.v(t.name);
      if (init.kind === "conditional" && init.whenFalse.kind === "number" && b.sameExpr(x, init.whenTrue) && conditions.some((c) => b.sameExpr(c, init.test))) return b.v(t.name);
    }
    // Unchanged subtrees are returned as they are, so the caller can tell whether any was reused.
    switch (x.kind) {
      case "unary": {
        const operand = visit(x.operand, conditions);
        return operand === x.operand ? x : { ...x, operand };
      }
      case "binary": {
        if (x.op === "&&" || x.op === "||") return x;
        const left = visit(x.left, conditions);
        const right = visit(x.right, conditions);
        return left === x.left && right === x.right ? x : { ...x, left, right };
      }
      case "call": {
        const args = x.args.map((a) => visit(a, conditions));
        return args.every((a, k) => a === x.args[k]) ? x : { ...x, args };
      }
      case "conditional": {
        const whenTrue = visit(x.whenTrue, [...conditions, x.test]);
        const whenFalse = visit(x.whenFalse, [...conditions, b.not(x.test)]);
        return whenTrue === x.whenTrue && whenFalse === x.whenFalse ? x : { ...x, whenTrue, whenFalse };
      }
      default:
        return x;
    }
  };
  return visit(e, []);
}
