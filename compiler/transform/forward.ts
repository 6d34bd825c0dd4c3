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
 * tangent on the same stack, and popped in the opposite order, except a tangent that the
 * reverse sweep can rebuild cheaply from the popped value (rebuiltTangents).
 * `return e` becomes `return { value: e, tangent: dot(e) }` unless the caller overrides it.
 */
import { Codes, fail, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { Expr, LValue, Stmt } from "../ir/nodes.ts";
import { exprReads, mentionedNames, rootName, someExpr, walkExpr } from "../ir/visit.ts";
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
  /** Saved values whose tangent the pop may rebuild instead of popping it (rebuiltTangents). */
  rebuilds?: readonly Rebuild[];
}

/**
 * A value pushed as `pushed` and popped into `popped`, which equals `whole` in the reverse
 * sweep; the reads of `whole` are all declared once `after` (the pop itself, or a later
 * statement of its block) has run, and nothing between the pop and `after` reads `popped`.
 */
export interface Rebuild {
  pushed: string;
  popped: string;
  whole: Expr;
  after: Stmt;
}

/** At most this many operations in a rebuilt tangent: about what saving and reloading it costs. */
const REBUILD_OPERATIONS = 8;

const ANS = "\u0000ans";

export class ForwardGenerator {
  private readonly dots = new Map<string, string>();
  /** Per saved value of `input.rebuilds`: its tangent rebuilt where it is popped, or null where it stays saved. */
  private readonly rebuilt = new Map<Rebuild, Expr | null>();
  private readonly rebuildsByPush = new Map<string, Rebuild>();
  private readonly rebuildsByPop = new Map<string, Rebuild>();
  private readonly rebuildsAfter = new Map<Stmt, Rebuild[]>();

  constructor(private readonly input: ForwardInput) {
    for (const [k, v] of input.fixedNames ?? []) this.dots.set(k, v);
    for (const r of input.rebuilds ?? []) {
      this.rebuildsByPush.set(r.pushed, r);
      this.rebuildsByPop.set(r.popped, r);
      this.rebuildsAfter.set(r.after, [...(this.rebuildsAfter.get(r.after) ?? []), r]);
    }
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
      case "record": return e.fields.some((f) => this.isActive(f.value));
      case "pop": return false; // handled at statement level
      default: return false;
    }
  }

  /**
   * The tangent of saved value `name`, rebuilt from its popped value and the tangents of its
   * `rebuild` expression's reads, or null where the tangent is saved as well: a rebuilt
   * tangent must be cheap (no costly call, at most REBUILD_OPERATIONS operations) and need
   * no temporary. The forward sweep computes the same expression for the same doubles
   * (`(0.5 / _t3) * s_dot` for `_t3 = Math.sqrt(s)`), so either way the bits are the same.
   */
  private rebuiltTangent(saved: Rebuild | undefined): Expr | null {
    if (!saved) return null;
    const known = this.rebuilt.get(saved);
    if (known !== undefined) return known;
    const { whole, popped } = saved;
    let tangent: Expr | null = null;
    if (whole.kind === "call" && PRIMITIVES[whole.callee]?.cost === "costly" && whole.args.every(needsNoTemporary)) {
      const temps: Stmt[] = [];
      const t = this.tangent(whole, temps, b.v(popped));
      if (temps.length === 0 && operations(t) <= REBUILD_OPERATIONS && !someExpr(t, (x) => x.kind === "call" && PRIMITIVES[x.callee]?.cost === "costly")) tangent = t;
    }
    this.rebuilt.set(saved, tangent);
    return tangent;
  }

  private dotOf(e: Expr | LValue): LValue {
    if (e.kind === "var") return { kind: "var", name: this.dot(e.name) };
    if (e.kind === "index") return { kind: "index", object: this.dotOf(e.object) as Expr, index: e.index };
    if (e.kind === "field") return { kind: "field", object: this.dotOf(e.object) as Expr, name: e.name };
    return fail(Codes.InternalError, `no tangent for ${e.kind}`, this.input.span);
  }

  /** The tangent of `e`; `ans` (if given) names a variable already holding e's value. */
  tangent(e: Expr, out: Stmt[], ans?: Expr): Expr {
    if (!this.isActive(e)) {
      if (e.kind === "arrayLiteral") return { kind: "arrayLiteral", elements: e.elements.map(() => b.num(0)) };
      if (e.kind === "record") return { kind: "record", fields: e.fields.map((f) => ({ name: f.name, value: b.num(0) })) };
      return b.num(0);
    }
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
      case "record":
        // An object of numbers returned by @jvp's function: its tangent has the same fields.
        return { kind: "record", fields: e.fields.map((f) => ({ name: f.name, value: this.tangent(f.value, out) })) };
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
    return list.flatMap((s) => {
      const out = this.stmt(s);
      // The tangents of saved values rebuilt here, now that everything they read is declared.
      for (const r of this.rebuildsAfter.get(s) ?? []) {
        const tangent = this.rebuiltTangent(r);
        if (tangent) out.push(b.declare(this.dot(r.popped), tangent, false, b.NUMBER));
      }
      return out;
    });
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
          // A rebuilt tangent is declared once what it reads is (stmts).
          if (this.rebuiltTangent(this.rebuildsByPop.get(s.name))) return [s];
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
        if (s.value.kind === "var" && this.rebuiltTangent(this.rebuildsByPush.get(s.value.name))) return [s];
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
      case "arrayLiteral": {
        const elements = x.elements.map((el) => visit(el, conditions));
        return elements.every((el, k) => el === x.elements[k]) ? x : { ...x, elements };
      }
      case "record": {
        const fields = x.fields.map((f) => ({ ...f, value: visit(f.value, conditions) }));
        return fields.every((f, k) => f.value === x.fields[k]!.value) ? x : { ...x, fields };
      }
      default:
        return x;
    }
  };
  return visit(e, []);
}

/** True if the tangent of `e` needs no temporary: no call and no `**` (whose partials read the result). */
function needsNoTemporary(e: Expr): boolean {
  return !someExpr(e, (x) => x.kind === "call" || x.kind === "userCall" || (x.kind === "binary" && x.op === "**"));
}

/** The arithmetic operations `e` performs. */
function operations(e: Expr): number {
  let count = 0;
  walkExpr(e, (x) => {
    if (x.kind === "binary" || x.kind === "unary" || x.kind === "conditional") count++;
  });
  return count;
}

/**
 * The saved values of reverse-mode code (`body`) whose tangent forward-over-reverse may
 * rebuild in the reverse sweep instead of saving it, with the expression each equals there
 * (the pop's `rebuild`, which reverse mode sets where every value it reads is back in the
 * reverse sweep once declared). Taken only where the value is pushed once and popped once,
 * so the push and the pop agree, and where every variable the expression reads is declared
 * around the pop (or is a parameter) or later in the pop's block before anything reads the
 * popped value (a local recomputed after the block's pops); a local the reverse sweep left
 * out is not there to read. ForwardGenerator then decides by cost (rebuiltTangent).
 */
export function rebuiltTangents(body: Stmt[], params: readonly string[]): Rebuild[] {
  const pushes = new Map<string, number>();
  const pops = new Map<string, number>();
  const candidates: Rebuild[] = [];
  const popped = (pushed: string) => pops.set(pushed, (pops.get(pushed) ?? 0) + 1);
  /** The statement of `list` from `k` on after which every name of `reads` is declared, if none before it mentions `name`. */
  const declaredBy = (list: Stmt[], k: number, reads: Set<string>, name: string): Stmt | undefined => {
    for (let j = k; j < list.length; j++) {
      const s = list[j]!;
      if (j > k && mentionedNames(s).has(name)) return undefined;
      if (s.kind === "declare") reads.delete(s.name);
      if (reads.size === 0) return s;
    }
    return undefined;
  };
  const visit = (list: Stmt[], declared: Set<string>): void => {
    list.forEach((s, k) => {
      switch (s.kind) {
        case "declare":
          if (s.init.kind === "pop") {
            const pushed = s.init.of ?? s.name;
            popped(pushed);
            const whole = s.init.rebuild;
            if (whole) {
              const reads = new Set([...exprReads(whole)].filter((n) => !n.startsWith("Math.") && !declared.has(n)));
              const after = declaredBy(list, k, reads, s.name);
              if (after) candidates.push({ pushed, popped: s.name, whole, after });
            }
          }
          declared.add(s.name);
          break;
        case "assign":
          if (s.value.kind === "pop") popped(s.value.of ?? rootName(s.target) ?? "");
          break;
        case "push":
          if (s.value.kind === "var") pushes.set(s.value.name, (pushes.get(s.value.name) ?? 0) + 1);
          break;
        case "if":
          visit(s.then, new Set(declared));
          visit(s.else, new Set(declared));
          break;
        case "block":
          visit(s.body, new Set(declared));
          break;
        case "loop": {
          const head = new Set(declared);
          visit(s.init, head);
          visit(s.body, new Set(head));
          visit(s.update, new Set(head));
          if (s.checkpointed?.primal) visit(s.checkpointed.primal, new Set(head));
          break;
        }
        default:
          break;
      }
    });
  };
  visit(body, new Set(params));
  return candidates.filter((r) => pushes.get(r.pushed) === 1 && pops.get(r.pushed) === 1);
}
