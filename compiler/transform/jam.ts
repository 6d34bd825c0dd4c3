/**
 * Unroll-and-jam of a loop nest whose inner loop sums into a scalar, over every generated
 * function: two iterations of the outer loop run their inner loops together, so two
 * independent sums advance per inner iteration instead of one. A sum is a chain of
 * dependent additions, each waiting for the last (four cycles or so); two chains fill the
 * time. The nest this is for is the adjoint of a triangular product (GMM's
 * `transformed[row] += q[first + row] * centered`): its reverse sums `centered_bar` over
 * the rows below each column.
 *
 *   for (let c = hi; c >= lo; c--) {         {
 *     const p = …c…;                             let c = hi;
 *     let s = 0;                                 for (; c >= lo && c - 1 >= lo; c -= 2) {
 *     for (let r = n - 1; r >= c + 1; r--) {       const c_1 = c - 1;
 *       s += a[r] * q[p + r];                      const p = …c…;  let s = 0;
 *       q_bar[p + r] += a[r] * b;           →      const p_1 = …c_1…;  let s_1 = 0;
 *     }                                            let r = n - 1;
 *     m_bar[c] -= s;                               for (; r >= c + 1 && r >= c_1 + 1; r--) { …c…; …c_1… }
 *   }                                              for (let r_1 = r; r_1 >= c + 1; r_1--) { …c… }
 *                                                  for (let r_1 = r; r_1 >= c_1 + 1; r_1--) { …c_1… }
 *                                                  m_bar[c] -= s;  m_bar[c_1] -= s_1;
 *                                                }
 *                                                if (c >= lo) { the body as it was }
 *                                              }
 *
 * The pairs stop when the next two iterations are not both due, so at most one is left: an
 * `if`, not a loop (a loop entered for one iteration costs V8 its header and exit, which at
 * GMM's d = 2, one column per component and data point, was 5 % of the gradient).
 *
 * Each copy's inner loop runs exactly its own iterations, in its own order: together while
 * both tests hold, then each alone from where they stopped (GMM's triangle leaves one row
 * to one copy; a rectangular nest leaves nothing). So each sum adds the same terms in the
 * same order, bit for bit. The code after the inner loop runs for the first copy, then for
 * the second, as before (a search's comparisons, GradBench kmeans' closest centroid).
 *
 * It applies when the two outer iterations cannot see each other: before and inside the
 * inner loop, the only writes are to the outer body's own locals (renamed in the second
 * copy) and increments `A[…] += e` of arrays the nest reads nowhere else (adjoints); after
 * it, anything, as long as the code before and inside the inner loop does not read it.
 * Nothing pushes, pops, loops again or calls a function other than Math's; the inner
 * loop's start and step do not depend on the outer counter, and no test reads what the
 * nest writes. Increments commute: one element both copies add into gets its terms in
 * another order only when they add at different steps (GMM's adjoints never do; a matrix
 * product's `x_bar[i]` can move in the last bit). Only a nest whose inner loop adds into
 * a local of the outer body (the chain) is jammed.
 */
import type { Expr, FunctionIR, Stmt } from "../ir/nodes.ts";
import * as b from "../ir/build.ts";
import { PRIMITIVES } from "../ir/primitives.ts";
import { renameVariable, renameVariableIn, substituteVar } from "../ir/rewrite.ts";
import { containsLoop, exprReads, rootName, someExpr, someStmt, stmtExprs, walkStmts } from "../ir/visit.ts";
import { Namer } from "./naming.ts";
import { countedHeader, integerVariables, type IntegerTest } from "../analysis/loops.ts";
import { constantOf, plus, polynomialOf, reads, variable, type Polynomial } from "../analysis/polynomial.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;
type Declare = Extract<Stmt, { kind: "declare" }>;

/**
 * `fn` with every loop nest of the pattern above unrolled by two and jammed. `output`: the
 * parameter that is the caller's derivative buffer (fGradInto's `grad`), whose arrays share
 * no storage with the arguments or with one another (README, "No aliasing").
 */
export function jamLoopsIn(fn: FunctionIR, reserved: readonly string[], output?: string): FunctionIR {
  // Nothing to jam without a loop: kept as it is (without collecting its names).
  if (!containsLoop(fn.body)) return fn;
  // Debug builds' functions (with run-time checks) are left as generated.
  if (someStmt(fn.body, (s) => s.kind === "check")) return fn;
  const namer = Namer.forFunction(fn, reserved);
  const facts: Facts = { fresh: freshArrays(fn), origins: arrayOrigins(fn), output: output && fn.params.some((p) => p.name === output) ? output : undefined, integer: integerVariables(fn) };
  let changed = false;
  const list = (stmts: Stmt[]): Stmt[] =>
    stmts.map((s) => {
      switch (s.kind) {
        case "if": return { ...s, then: list(s.then), else: list(s.else) };
        case "block": return { ...s, body: list(s.body) };
        case "loop": {
          const jammed = jam(s, namer, facts);
          if (jammed) {
            changed = true;
            return jammed;
          }
          return { ...s, body: list(s.body) };
        }
        default: return s;
      }
    });
  const body = list(fn.body);
  return changed ? { ...fn, body } : fn;
}

/** The outer counter `for (let c = init; test; c = c ± k)`: its name and step expression. */
function counter(loop: Loop): { name: string; init: Declare; step: { op: "+" | "-"; by: Expr } } | null {
  if (loop.form !== "for" || loop.init.length !== 1 || loop.update.length !== 1 || !loop.test) return null;
  const [init, update] = [loop.init[0]!, loop.update[0]!];
  if (init.kind !== "declare" || !init.mutable || update.kind !== "assign" || update.target.kind !== "var" || update.target.name !== init.name) return null;
  const v = update.value;
  if (v.kind !== "binary" || (v.op !== "+" && v.op !== "-") || !b.sameExpr(v.left, b.v(init.name)) || v.right.kind !== "number") return null;
  return { name: init.name, init, step: { op: v.op, by: v.right } };
}

/** An expression with no effects and no order: no pops, cursors, reservations or calls other than Math's. */
function pure(e: Expr): boolean {
  return !someExpr(e, (x) => x.kind === "pop" || x.kind === "popBlock" || x.kind === "stackBuffer" || x.kind === "cursorMove" || x.kind === "stackReserve" || x.kind === "userCall" || x.kind === "record" || x.kind === "zeros" || x.kind === "zerosLike" || x.kind === "arrayLiteral" || (x.kind === "call" && !(x.callee.startsWith("Math.") && PRIMITIVES[x.callee])));
}

/** What the analysis knows of the function's arrays and integers. */
interface Facts {
  /** Local arrays no other name reaches (freshArrays). */
  fresh: ReadonlySet<string>;
  /** Where other array names' storage comes from (arrayOrigins). */
  origins: ReadonlyMap<string, Origin>;
  /** The derivative buffer parameter, if the function has one. */
  output?: string;
  integer: IntegerTest;
}

/** The jammed nest (a block), or null when `outer` is not a nest it applies to. */
function jam(outer: Loop, namer: Namer, facts: Facts): Stmt | null {
  const { fresh } = facts;
  const c = counter(outer);
  if (!c) return null;
  const body = outer.body.filter((s) => s.kind !== "comment");
  const at = body.findIndex((s) => s.kind === "loop");
  if (at < 0) return null;
  const inner = body[at] as Loop;
  const pre = body.slice(0, at);
  const post = body.slice(at + 1);
  const ic = counter(inner);
  if (!ic) return null;
  const innerBody = inner.body.filter((s) => s.kind !== "comment");
  // Before and inside the inner loop (run interleaved with the other copy's): straight-line code.
  const early = [...pre, ...innerBody];
  if (early.some((s) => s.kind !== "declare" && s.kind !== "assign")) return null;
  // After it (run after both copies' inner loops, in order): straight-line code and branches.
  const late: Stmt[] = [];
  let plain = true;
  walkStmts(post, (s) => {
    if (s.kind === "declare" || s.kind === "assign" || s.kind === "if") late.push(s);
    else if (s.kind !== "comment") plain = false;
  });
  if (!plain) return null;
  const all = [...early, ...late];
  const isEarly = new Set<Stmt>(early);
  // The outer body's own locals (each copy gets its own).
  const locals = new Set<string>();
  for (const s of all) if (s.kind === "declare") locals.add(s.name);
  if (locals.has(c.name) || locals.has(ic.name)) return null;
  // What the nest writes besides its locals: arrays it only adds into, and (after the inner loop) anything else.
  const increments = new Set<string>();
  const lateWrites = new Set<string>();
  for (const s of all) {
    for (const e of stmtExprs(s)) if (!pure(e)) return null;
    if (s.kind !== "assign") continue;
    const root = rootName(s.target);
    if (root === null || root === c.name || root === ic.name) return null;
    if (locals.has(root)) continue;
    if (s.target.kind !== "var" && b.addedBy(s) !== null) increments.add(root);
    else if (isEarly.has(s)) return null;
    else lateWrites.add(root);
  }
  if ([...increments].some((n) => lateWrites.has(n))) return null;
  // An array the nest writes is one no other name can reach (names are all the analysis sees),
  // or a row of the derivative buffer that no other array the nest names can share.
  const arrays = all.filter((s) => s.kind === "assign" && s.target.kind !== "var" && !locals.has(rootName(s.target)!)).map((s) => rootName((s as Extract<Stmt, { kind: "assign" }>).target)!);
  const named = new Set<string>();
  for (const s of all) for (const e of stmtExprs(s)) someExpr(e, (x) => (x.kind === "index" && x.object.kind === "var" && named.add(x.object.name), false));
  for (const s of all) if (s.kind === "assign" && s.target.kind === "index") named.add(rootName(s.target)!);
  if (arrays.some((n) => !fresh.has(n) && !apartFromOthers(n, named, facts))) return null;
  // Each element must get its terms in the order it did: an array the inner loop adds into
  // takes one increment per step, at the step's own element (`A[r]`, `A[r + k]`): both
  // copies add into it at the same step, the first copy first, as before. No other array
  // is added into before the inner loop or both inside and after it.
  const isInner = new Set<Stmt>(innerBody);
  const innerIncrements = new Map<string, number>();
  let sameStep = false;
  const varies = (n: string) => n === c.name || locals.has(n) || increments.has(n);
  for (const s of all) {
    if (s.kind !== "assign" || s.target.kind === "var" || !increments.has(rootName(s.target)!)) continue;
    const root = rootName(s.target)!;
    if (!isInner.has(s)) {
      if (isEarly.has(s)) return null;
      continue;
    }
    if (s.target.kind !== "index" || s.target.object.kind !== "var") return null;
    // Either both copies add into the step's element, the first copy first, or into elements that never meet (each gets its own copy's terms, in their order).
    const same = atStep(s.target.index, ic.name, varies);
    const fixed = (n: string) => !varies(n) && !lateWrites.has(n) && n !== ic.name && facts.integer(n);
    if (!same && !neverMeet(s.target.index, c, inner, pre, fixed)) return null;
    sameStep ||= same;
    innerIncrements.set(root, (innerIncrements.get(root) ?? 0) + 1);
  }
  for (const s of late) if (s.kind === "assign" && s.target.kind !== "var" && innerIncrements.has(rootName(s.target)!)) return null;
  if ([...innerIncrements.values()].some((count) => count > 1)) return null;
  // An array added into is read nowhere else (not by an expression, not by another
  // increment's address); what the code after the inner loop writes, the code before it
  // and inside it never reads (the other copy's runs before this one's ends now).
  for (const s of all) {
    const reads = new Set<string>();
    if (s.kind === "assign") {
      exprReads(b.addedBy(s) ?? s.value, reads);
      if (s.target.kind === "index") {
        exprReads(s.target.index, reads);
        let o: Expr = s.target.object;
        while (o.kind === "index") {
          exprReads(o.index, reads);
          o = o.object;
        }
      }
    } else for (const e of stmtExprs(s)) exprReads(e, reads);
    if ([...reads].some((n) => increments.has(n) || (isEarly.has(s) && lateWrites.has(n)))) return null;
  }
  // The outer test and the inner start, step and test read no local, increment target or late write.
  const invariant = (e: Expr, allowed: string[]) =>
    pure(e) && [...exprReads(e)].every((n) => allowed.includes(n) || (!locals.has(n) && !increments.has(n) && !lateWrites.has(n) && n !== c.name && n !== ic.name));
  if (!invariant(outer.test!, [c.name]) || !invariant(c.init.init, [])) return null;
  if (!invariant(inner.test!, [c.name, ic.name, ...locals])) return null;
  // The inner loop starts where the outer counter says (a triangle's `row = col + 1`): then the
  // copies' starts are one step apart, and the earlier one runs that first step alone.
  const shifted = invariant(ic.init.init, []) ? null : shiftedStart(c, inner, ic.name);
  if (!invariant(ic.init.init, []) && (!shifted || !invariant(inner.test!, [ic.name]))) return null;
  // Only worth it when the inner loop extends a chain (it adds into a scalar local of the
  // outer body), or both copies add into one element per step (one load and store for two).
  const chain = innerBody.some((s) => s.kind === "assign" && s.target.kind === "var" && locals.has(s.target.name) && b.addedBy(s) !== null);
  const shared = sameStep;
  if (!chain && !shared) return null;
  // The test of the inner loop must read only the counters and the outer body's declarations before it.
  const preNames = new Set(pre.filter((s): s is Declare => s.kind === "declare").map((s) => s.name));
  if ([...exprReads(inner.test!)].some((n) => locals.has(n) && !preNames.has(n))) return null;

  // The second copy: c → c_1 (declared c ± k), each local renamed, except a constant before
  // the inner loop that depends on neither (a row `c[k]` of an outer loop's): both copies read the first's.
  const sharedPre = new Set<string>();
  for (const s of pre) {
    if (s.kind === "declare" && !s.mutable && [...exprReads(s.init)].every((n) => n !== c.name && (!locals.has(n) || sharedPre.has(n)))) sharedPre.add(s.name);
  }
  const c2 = namer.fresh(c.name);
  const renames = new Map<string, string>([[c.name, c2]]);
  for (const name of locals) if (!sharedPre.has(name)) renames.set(name, namer.fresh(name));
  const secondPre = () => second(pre.filter((s) => !(s.kind === "declare" && sharedPre.has(s.name))));
  const second = (stmts: Stmt[]) => {
    let out = stmts;
    for (const [from, to] of renames) out = renameVariable(out, from, to);
    return out;
  };
  const r = ic.name;
  const rest = namer.fresh(r);
  const next = b.bin(c.step.op, b.v(c.name), c.step.by);
  let secondTest = inner.test!;
  for (const [from, to] of renames) secondTest = renameVariableIn(secondTest, from, to);
  const alone = (test: Expr, stmts: Stmt[]): Stmt => ({
    kind: "loop",
    form: "for",
    init: [b.declare(rest, b.v(r), true)],
    test: renameVariableIn(test, r, rest),
    update: renameVariable(inner.update, r, rest),
    body: renameVariable(stmts, r, rest),
  });
  // A rectangular nest (the inner test reads neither copy's own names) runs its inner loops in step: nothing is left for either.
  const rectangular = b.sameExpr(secondTest, inner.test!);
  const together2 = together(inner.body, second(innerBody));
  const pair: Stmt[] = shifted
    ? [
        b.declare(c2, next),
        ...pre,
        ...secondPre(),
        { ...ic.init, init: shifted.firstAlone ? ic.init.init : renameVariableIn(ic.init.init, c.name, c2), mutable: true },
        { kind: "if", test: inner.test!, then: shifted.firstAlone ? innerBody : second(innerBody), else: [] },
        ...inner.update,
        { kind: "loop", form: "for", init: [], test: inner.test!, update: inner.update, body: together2 },
        ...post,
        ...second(post),
      ]
    : [
        b.declare(c2, next),
        ...pre,
        ...secondPre(),
        ...(rectangular ? [] : [{ ...ic.init, mutable: true }]),
        { kind: "loop", form: "for", init: rectangular ? inner.init : [], test: rectangular ? inner.test! : b.and(inner.test!, secondTest), update: inner.update, body: together2 },
        ...(rectangular ? [] : [alone(inner.test!, innerBody), alone(secondTest, second(innerBody))]),
        ...post,
        ...second(post),
      ];
  const outerTest = outer.test!;
  const pairTest = b.and(outerTest, substituteVar(outerTest, c.name, next));
  const twice = b.bin(c.step.op, b.v(c.name), b.mul(b.num(2), c.step.by));
  return {
    kind: "block",
    body: [
      { ...c.init },
      { kind: "loop", form: "for", init: [], test: pairTest, update: [b.assign({ kind: "var", name: c.name }, twice)], body: pair, ...(outer.span && { span: outer.span }) },
      // The pair test failed: the outer test, which reads nothing the body writes, holds for at most one more iteration.
      { kind: "if", test: outerTest, then: outer.body, else: [], ...(outer.span && { span: outer.span }) },
    ],
  };
}

/**
 * Local arrays no other name can reach: declared once as a new array (`new Array(n).fill(0)`,
 * a literal) and named only to index it, take its length or shape, or clear it: never
 * copied into another variable, passed, returned or stored.
 */
function freshArrays(fn: FunctionIR): Set<string> {
  const fresh = new Set<string>();
  const declared = new Map<string, number>();
  walkStmts(fn.body, (s) => {
    if (s.kind !== "declare") return;
    declared.set(s.name, (declared.get(s.name) ?? 0) + 1);
    if (s.init.kind === "zeros" || s.init.kind === "zerosLike" || s.init.kind === "arrayLiteral") fresh.add(s.name);
  });
  for (const p of fn.params) fresh.delete(p.name);
  for (const [name, count] of declared) if (count > 1) fresh.delete(name);
  // A bare read anywhere but as the array of an element, a length or a clear lets it escape.
  const escapes = (e: Expr): void => {
    switch (e.kind) {
      case "var": fresh.delete(e.name); return;
      case "index": if (e.object.kind !== "var") escapes(e.object); escapes(e.index); return;
      case "length": if (e.object.kind !== "var") escapes(e.object); return;
      case "zerosLike": if (e.like.kind !== "var") escapes(e.like); return;
      default: walkExprChildren(e, escapes);
    }
  };
  walkStmts(fn.body, (s) => {
    if (s.kind === "assign") {
      if (s.target.kind === "var") fresh.delete(s.target.name);
      else escapes(s.target as Expr);
      escapes(s.value);
    } else if (s.kind === "fillZero") {
      if (s.array.kind !== "var") escapes(s.array);
    } else for (const e of stmtExprs(s)) escapes(e);
  });
  return fresh;
}

/** Calls `visit` on each direct child of `e`. */
function walkExprChildren(e: Expr, visit: (e: Expr) => void): void {
  switch (e.kind) {
    case "sameObject": case "binary": visit(e.left); visit(e.right); return;
    case "stackReserve": visit(e.top); visit(e.count); return;
    case "index": visit(e.object); visit(e.index); return;
    case "length": case "field": visit(e.object); return;
    case "unary": visit(e.operand); return;
    case "call": case "userCall": e.args.forEach(visit); return;
    case "conditional": visit(e.test); visit(e.whenTrue); visit(e.whenFalse); return;
    case "zeros": visit(e.length); return;
    case "zerosLike": visit(e.like); return;
    case "arrayLiteral": e.elements.forEach(visit); return;
    case "record": e.fields.forEach((f) => visit(f.value)); return;
    default: return;
  }
}

/** `r`, `r + k` or `k + r`, with k reading nothing `varies` says changes between the copies. */
function atStep(index: Expr, r: string, varies: (name: string) => boolean): boolean {
  if (index.kind === "var") return index.name === r;
  if (index.kind !== "binary" || (index.op !== "+" && index.op !== "-")) return false;
  const isR = (e: Expr) => e.kind === "var" && e.name === r;
  const fixed = (e: Expr) => pure(e) && [...exprReads(e)].every((n) => n !== r && !varies(n));
  return (isR(index.left) && fixed(index.right)) || (index.op === "+" && isR(index.right) && fixed(index.left));
}

/**
 * An inner loop `for (let r = c ± k; r < n; r++)` (or counting down, `r > n`, `r >= n`)
 * whose bound and step do not depend on the outer counter c, which steps by one: the
 * second copy starts one step before or after the first. `firstAlone`: the first copy's
 * start comes first (its first step runs alone, then both run in step to the end).
 */
function shiftedStart(c: { name: string; step: { op: "+" | "-"; by: Expr } }, inner: Loop, r: string): { firstAlone: boolean } | null {
  if (!b.isNumber(c.step.by, 1)) return null;
  const header = countedHeader(inner);
  if (!header || header.stride !== 1 || header.i !== r) return null;
  const init = header.init.init;
  const atCounter = (init.kind === "var" && init.name === c.name) || (init.kind === "binary" && (init.op === "+" || init.op === "-") && init.left.kind === "var" && init.left.name === c.name && init.right.kind === "number");
  if (!atCounter) return null;
  // The second copy's start is the first's plus δ (the outer step); the inner loop steps by ε.
  const delta = c.step.op === "+" ? 1 : -1;
  const epsilon = header.up ? 1 : -1;
  return { firstAlone: delta === epsilon };
}

/**
 * The two copies' inner bodies, one after the other; a declaration of the second that
 * computes what one of the first does (the same text after renaming: it reads neither
 * counter's copy nor a renamed local, only the shared inner counter and what the nest
 * never writes, like `transformed_bar[row]`) reads the first's instead.
 */
function together(first: Stmt[], second: Stmt[]): Stmt[] {
  const out = [...first];
  let rest = second;
  for (let k = 0; k < rest.length; k++) {
    const s = rest[k]!;
    if (s.kind !== "declare" || s.mutable) continue;
    const twin = first.find((x): x is Declare => x.kind === "declare" && !x.mutable && b.sameExpr(x.init, s.init));
    if (!twin) continue;
    rest = [...rest.slice(0, k), ...renameVariable(rest.slice(k + 1), s.name, twin.name)];
    k--;
  }
  return [...out, ...rest];
}

/** Where an array name's storage comes from: a parameter and, under the derivative buffer, the buffer's field. */
interface Origin {
  param: string;
  field?: string;
}

/**
 * Origins of the names declared (once per scope) as a constant element or field of a
 * parameter, or of such a name (`const icf_bar = grad.icf`, `const q_bar = icf_bar[k]`:
 * grad's field icf), and of the parameters themselves. A parameter something assigns to has none.
 */
function arrayOrigins(fn: FunctionIR): Map<string, Origin> {
  const declared = new Map<string, Declare[]>();
  const assigned = new Set<string>();
  walkStmts(fn.body, (s) => {
    if (s.kind === "declare") declared.set(s.name, [...(declared.get(s.name) ?? []), s]);
    if (s.kind === "assign" && s.target.kind === "var") assigned.add(s.target.name);
  });
  const params = new Set(fn.params.map((p) => p.name).filter((n) => !assigned.has(n) && !declared.has(n)));
  const out = new Map<string, Origin>([...params].map((p) => [p, { param: p }]));
  const originOf = (e: Expr, depth: number): Origin | null => {
    // The chain's steps from its root, outermost last: the root's first field is the buffer's.
    const steps: Expr[] = [];
    let root: Expr = e;
    while (root.kind === "index" || root.kind === "field") {
      steps.unshift(root);
      root = root.object;
    }
    if (root.kind !== "var" || depth > 32) return null;
    const base: Origin | null = params.has(root.name) ? { param: root.name } : named(root.name, depth + 1);
    if (!base) return null;
    const first = steps[0];
    return base.field === undefined && first?.kind === "field" ? { param: base.param, field: first.name } : base;
  };
  const named = (name: string, depth: number): Origin | null => {
    // Every declaration of the name (one per scope) must give the same origin.
    const decls = declared.get(name);
    if (!decls || decls.some((d) => d.mutable) || assigned.has(name)) return null;
    const each = decls.map((d) => originOf(d.init, depth));
    const o = each[0];
    return o && each.every((x) => x && x.param === o.param && x.field === o.field) ? o : null;
  };
  for (const name of declared.keys()) {
    const o = named(name, 0);
    if (o) out.set(name, o);
  }
  return out;
}

/**
 * Whether array `w` (written by a nest) is a row of the derivative buffer that shares no
 * storage with any other array `names` holds: fresh locals, the arguments, other fields of the buffer.
 */
function apartFromOthers(w: string, names: ReadonlySet<string>, facts: Facts): boolean {
  const o = facts.origins.get(w);
  if (!facts.output || !o || o.param !== facts.output || o.field === undefined) return false;
  for (const n of names) {
    if (n === w || facts.fresh.has(n)) continue;
    const other = facts.origins.get(n);
    if (!other || (other.param === facts.output && (other.field === undefined || other.field === o.field))) return false;
  }
  return true;
}

/**
 * Whether the increments `A[index]` of two copies of the inner loop, the first at outer
 * counter c and the second at c ± k, never reach the same element: `index` is `r + p`
 * (r the inner counter, p a polynomial of c, the outer body's constants before the inner
 * loop, and whole numbers `fixed` accepts), and one copy's lowest element lies above the
 * other's highest by at least one for every value of those names. GMM's packed triangle:
 * column c adds into `first(c) + r` for r in [c + 1, D - 1], which ends one below where
 * column c + 1's elements begin.
 */
function neverMeet(index: Expr, c: { name: string; step: { op: "+" | "-"; by: Expr } }, inner: Loop, pre: Stmt[], fixed: (name: string) => boolean): boolean {
  const header = countedHeader(inner);
  if (!header || c.step.by.kind !== "number") return false;
  const r = header.i;
  const defs = new Map<string, Expr>();
  for (const s of pre) if (s.kind === "declare" && !s.mutable) defs.set(s.name, s.init);
  const copy = (counter: Polynomial | null) => {
    const seen = new Set<string>();
    const name = (n: string): Polynomial | null => {
      if (n === c.name) return counter;
      if (n === r) return variable(r);
      const def = defs.get(n);
      if (def) {
        if (seen.has(n)) return null;
        seen.add(n);
        const p = polynomialOf(def, name);
        seen.delete(n);
        return p;
      }
      return fixed(n) ? variable(n) : null;
    };
    const at = polynomialOf(index, name);
    const offset = at && plus(at, variable(r), -1);
    const [lowest, highest] = header.up ? [header.init.init, header.bound] : [header.bound, header.init.init];
    const lo = polynomialOf(lowest, name);
    const hi = polynomialOf(highest, name);
    if (!offset || reads(offset, r) || !lo || !hi || reads(lo, r) || reads(hi, r)) return null;
    return { first: plus(offset, lo), last: plus(offset, hi) };
  };
  const one = copy(variable(c.name));
  const two = copy(plus(variable(c.name), new Map([["", c.step.by.value]]), c.step.op === "+" ? 1 : -1));
  if (!one?.first || !one.last || !two?.first || !two.last) return false;
  const above = (a: Polynomial, b: Polynomial) => {
    const gap = plus(a, b, -1);
    const k = gap && constantOf(gap);
    return k !== null && k !== undefined && k >= 1;
  };
  return above(one.first, two.last) || above(two.first, one.last);
}
