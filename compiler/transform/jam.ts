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
 *                                                for (; c >= lo; c--) { the body as it was }
 *                                              }
 *
 * Each copy's inner loop runs exactly its own iterations, in its own order: together while
 * both tests hold, then each alone from where they stopped (one of the two loops after
 * runs at most as long as its test holds; GMM's triangle leaves one row to one copy). So
 * each sum adds the same terms in the same order, bit for bit.
 *
 * It applies when the two outer iterations cannot see each other: inside the nest, the
 * only writes are to the nest's own locals (renamed in the second copy) and increments
 * `A[…] += e` of arrays the nest reads nowhere else (adjoints: increments commute; an
 * element both copies add into gets its terms in another order only if it does so at
 * different inner steps); nothing pushes, pops or calls a function other than Math's; the
 * inner loop's start and step do not depend on the outer counter, and its test reads
 * nothing the nest writes except its counter. Only a nest whose inner loop adds into a
 * local of the outer body (the chain) is jammed.
 */
import type { Expr, FunctionIR, Stmt } from "../ir/nodes.ts";
import * as b from "../ir/build.ts";
import { PRIMITIVES } from "../ir/primitives.ts";
import { renameVariable, renameVariableIn, substituteVar } from "../ir/rewrite.ts";
import { exprReads, rootName, someExpr, stmtExprs, walkStmts } from "../ir/visit.ts";
import { Namer } from "./naming.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;
type Declare = Extract<Stmt, { kind: "declare" }>;

/** `fn` with every loop nest of the pattern above unrolled by two and jammed. */
export function jamLoopsIn(fn: FunctionIR, reserved: readonly string[]): FunctionIR {
  // Debug builds' functions (with run-time checks) are left as generated.
  let found = false;
  walkStmts(fn.body, (s) => {
    if (s.kind === "check") found = true;
  });
  if (found) return fn;
  const namer = Namer.forFunction(fn, reserved);
  let changed = false;
  const list = (stmts: Stmt[]): Stmt[] =>
    stmts.map((s) => {
      switch (s.kind) {
        case "if": return { ...s, then: list(s.then), else: list(s.else) };
        case "block": return { ...s, body: list(s.body) };
        case "loop": {
          const jammed = jam(s, namer);
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
  return !someExpr(e, (x) => x.kind === "pop" || x.kind === "cursorMove" || x.kind === "stackReserve" || x.kind === "userCall" || x.kind === "record" || x.kind === "zeros" || x.kind === "zerosLike" || x.kind === "arrayLiteral" || (x.kind === "call" && !(x.callee.startsWith("Math.") && PRIMITIVES[x.callee])));
}

/** The jammed nest (a block), or null when `outer` is not a nest it applies to. */
function jam(outer: Loop, namer: Namer): Stmt | null {
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
  const flat = [...pre, ...innerBody, ...post];
  // Straight-line code around and inside one innermost loop.
  if (flat.some((s) => s.kind !== "declare" && s.kind !== "assign")) return null;
  // The outer body's own locals (each copy gets its own), and the inner counter.
  const locals = new Set<string>();
  for (const s of flat) if (s.kind === "declare") locals.add(s.name);
  if (locals.has(c.name) || locals.has(ic.name)) return null;
  // What the nest may write: its locals, and arrays it only adds into.
  const increments = new Set<string>();
  for (const s of flat) {
    for (const e of stmtExprs(s)) if (!pure(e)) return null;
    if (s.kind !== "assign") continue;
    const root = rootName(s.target);
    if (root === null) return null;
    if (s.target.kind === "var") {
      if (!locals.has(root)) return null;
      continue;
    }
    if (locals.has(root) || root === c.name || root === ic.name || b.addedBy(s) === null) return null;
    increments.add(root);
  }
  // An array added into is read nowhere else: not by an expression, not by another increment's address.
  for (const s of flat) {
    const reads = new Set<string>();
    if (s.kind === "declare") exprReads(s.init, reads);
    else if (s.kind === "assign") {
      const added = b.addedBy(s);
      exprReads(added ?? s.value, reads);
      if (s.target.kind === "index") {
        exprReads(s.target.index, reads);
        let o: Expr = s.target.object;
        while (o.kind === "index") {
          exprReads(o.index, reads);
          o = o.object;
        }
      }
    }
    if ([...reads].some((n) => increments.has(n))) return null;
  }
  // Neither counter is written by the bodies; the outer test and the inner start, step and test read no local or increment target.
  const bodyWrites = new Set<string>();
  for (const s of flat) if (s.kind === "assign") bodyWrites.add(rootName(s.target)!);
  if (bodyWrites.has(c.name) || bodyWrites.has(ic.name)) return null;
  const invariant = (e: Expr, allowed: string[]) => pure(e) && [...exprReads(e)].every((n) => allowed.includes(n) || (!locals.has(n) && !increments.has(n) && n !== c.name && n !== ic.name));
  if (!invariant(outer.test!, [c.name]) || !invariant(c.init.init, [])) return null;
  if (!invariant(ic.init.init, []) || !invariant(inner.test!, [c.name, ic.name, ...locals])) return null;
  // Only worth it when the inner loop extends a chain: it adds into a scalar local of the outer body.
  const chain = innerBody.some((s) => s.kind === "assign" && s.target.kind === "var" && locals.has(s.target.name) && b.addedBy(s) !== null);
  if (!chain) return null;
  // The test of the inner loop must read only the counters and the outer body's declarations before it.
  const preNames = new Set(pre.filter((s): s is Declare => s.kind === "declare").map((s) => s.name));
  if ([...exprReads(inner.test!)].some((n) => locals.has(n) && !preNames.has(n))) return null;

  // The second copy: c → c_1 (declared c ± k), each local renamed.
  const c2 = namer.fresh(c.name);
  const renames = new Map<string, string>([[c.name, c2]]);
  for (const name of locals) renames.set(name, namer.fresh(name));
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
  const pair: Stmt[] = [
    b.declare(c2, next),
    ...pre,
    ...second(pre),
    { ...ic.init, mutable: true },
    { kind: "loop", form: "for", init: [], test: b.and(inner.test!, secondTest), update: inner.update, body: together(inner.body, second(inner.body)) },
    alone(inner.test!, inner.body),
    alone(secondTest, second(inner.body)),
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
      { ...outer, init: [] },
    ],
  };
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
