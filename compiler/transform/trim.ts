/**
 * Outer iterations of a triangular nest whose inner loop runs no step are left out, when
 * such an iteration does nothing else. A triangle's last column has no row below it:
 *
 *   for (let col = 0; col < D; col++) {               for (let col = 0; col < D - 1; col++) {
 *     const centered = x[col] - mu[col];                const centered = x[col] - mu[col];
 *     for (let row = col + 1; row < D; row++) …    →     for (let row = col + 1; row < D; row++) …
 *   }                                                 }
 *
 * and its reverse, counting down, starts one column later (`let col = D - 2`):
 *
 *   for (let col = D - 1; col >= 0; col--) {
 *     const centered = x[col] - mu[col];
 *     let centered_bar = 0;
 *     for (let row = D - 1; row >= col + 1; row--) { … centered_bar += … }
 *     mu_bar[col] -= centered_bar;
 *   }
 *
 * At small D that column is a large part of the nest (GMM at D = 2: two columns, one
 * element). An iteration is left out only when its inner loop provably runs no step (the
 * inner start is `col + k` against the outer bound, or the outer start against `col + k`,
 * all integers, so the trimmed bound `D - k` is exact) and it has no effect without it:
 * before the inner loop, only declarations of the body's own locals from expressions with
 * no effects; after it, only declarations and `x -= s` with `s` a local declared 0 that
 * only the inner loop changes (x − 0 is x for every number, −0 included; x + 0 is not, for
 * −0, so `+=` stays). What runs is the same iterations' same operations: values and
 * derivatives are bit for bit those without it.
 */
import type { Expr, FunctionIR, Stmt } from "../ir/nodes.ts";
import * as b from "../ir/build.ts";
import { PRIMITIVES } from "../ir/primitives.ts";
import { containsLoop, exprReads, someExpr, stmtExprs, walkStmts, writtenBy } from "../ir/visit.ts";
import { countedHeader, integerValued, integerVariables, type IntegerTest } from "../analysis/loops.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;

/** `fn` with the empty outer iterations of its triangular nests left out (see above). */
export function trimLoopsIn(fn: FunctionIR): FunctionIR {
  if (!containsLoop(fn.body)) return fn;
  const integer = integerVariables(fn);
  let changed = false;
  const list = (stmts: Stmt[]): Stmt[] =>
    stmts.map((s) => {
      switch (s.kind) {
        case "if": return { ...s, then: list(s.then), else: list(s.else) };
        case "block": return { ...s, body: list(s.body) };
        case "loop": {
          const trimmed = trim(s, integer);
          if (trimmed) changed = true;
          const loop = trimmed ?? s;
          return { ...loop, body: list(loop.body) };
        }
        default: return s;
      }
    });
  const body = list(fn.body);
  return changed ? { ...fn, body } : fn;
}

/** An expression with no effects: no stack operations, allocations or calls other than Math's. */
function pure(e: Expr): boolean {
  return !someExpr(e, (x) => x.kind === "pop" || x.kind === "popBlock" || x.kind === "stackBuffer" || x.kind === "cursorMove" || x.kind === "stackReserve" || x.kind === "userCall" || x.kind === "record" || x.kind === "zeros" || x.kind === "zerosLike" || x.kind === "arrayLiteral" || (x.kind === "call" && !(x.callee.startsWith("Math.") && PRIMITIVES[x.callee])));
}

/** `c + k` with k a whole literal ≥ 0 (`c` alone is k = 0), else null. */
function offsetOf(e: Expr, c: string): number | null {
  if (e.kind === "var" && e.name === c) return 0;
  if (e.kind === "binary" && e.op === "+" && e.left.kind === "var" && e.left.name === c && e.right.kind === "number" && Number.isInteger(e.right.value) && e.right.value >= 0) return e.right.value;
  return null;
}

/** `outer` with its empty iterations left out, or null when it is not such a nest. */
function trim(outer: Loop, integer: IntegerTest): Loop | null {
  const oh = countedHeader(outer);
  if (!oh || oh.stride !== 1 || outer.test === undefined) return null;
  const body = outer.body.filter((s) => s.kind !== "comment");
  const loops = body.filter((s) => s.kind === "loop");
  if (loops.length !== 1) return null;
  const inner = loops[0] as Loop;
  const at = body.indexOf(inner);
  const ih = countedHeader(inner);
  if (!ih || ih.stride !== 1 || ih.up !== oh.up) return null;
  const c = oh.i;
  // How many iterations at the far end (counting up) or the start (counting down) have an empty inner loop.
  let k: number | null = null;
  if (oh.up) {
    // for (c = a; c < E; c++) { for (r = c + k; r < E; r++) }: empty once c + k reaches E.
    k = offsetOf(ih.init.init, c);
    if (ih.op !== oh.op || !b.sameExpr(ih.bound, oh.bound) || !integerValued(oh.bound, integer)) return null;
  } else {
    // for (c = S; c >= L; c--) { for (r = S; r >= c + k; r--) }: empty while c + k is above S.
    const offset = offsetOf(ih.bound, c);
    k = offset === null ? null : ih.op === ">=" ? offset : offset + 1;
    if (!b.sameExpr(ih.init.init, oh.init.init) || !integerValued(oh.init.init, integer)) return null;
  }
  if (k === null || k < 1 || !integerValued(oh.init.init, integer)) return null;
  // The body's own locals: declared before or after the inner loop, from expressions with no effects.
  const pre = body.slice(0, at);
  const post = body.slice(at + 1);
  const locals = new Set<string>();
  for (const s of [...pre, ...post]) if (s.kind === "declare") locals.add(s.name);
  if (pre.some((s) => s.kind !== "declare" || !pure(s.init))) return null;
  if (![ih.init.init, inner.test!].every(pure)) return null;
  // Sums only the inner loop changes: still 0 when it runs no step.
  const zeroSums = new Set<string>();
  for (const s of pre) if (s.kind === "declare" && s.init.kind === "number" && Object.is(s.init.value, 0)) zeroSums.add(s.name);
  for (const s of [...pre, ...post]) for (const name of writtenBy(s)) if (!(s.kind === "declare" && s.name === name)) zeroSums.delete(name);
  for (const s of post) {
    if (s.kind === "declare" && pure(s.init)) continue;
    if (s.kind !== "assign" || s.value.kind !== "binary" || s.value.op !== "-" || !b.sameExpr(s.value.left, s.target as Expr)) return null;
    if (s.value.right.kind !== "var" || !zeroSums.has(s.value.right.name) || !pure(s.value.left)) return null;
    if (s.target.kind === "var" && locals.has(s.target.name)) return null;
  }
  // The counter and everything the headers read stay as they are through the body.
  const headerReads = new Set<string>([c]);
  for (const e of [oh.init.init, oh.bound, ih.init.init, ih.bound]) exprReads(e, headerReads);
  headerReads.delete(ih.i);
  let writesHeader = false;
  walkStmts(outer.body, (s) => {
    for (const name of writtenBy(s)) if (headerReads.has(name) && !(s.kind === "declare" && locals.has(name))) writesHeader = true;
    if (s.kind === "declare" && headerReads.has(s.name)) writesHeader = true;
    for (const e of stmtExprs(s)) if (someExpr(e, (x) => x.kind === "cursorMove" && headerReads.has(x.name))) writesHeader = true;
  });
  if (writesHeader) return null;
  if (oh.up) return { ...outer, test: b.bin(oh.op, b.v(c), b.sub(oh.bound, b.num(k))) };
  return { ...outer, init: [{ ...oh.init, init: b.sub(oh.init.init, b.num(k)) }] };
}
