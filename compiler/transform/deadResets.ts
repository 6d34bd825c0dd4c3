/**
 * Dead element resets: the reverse sweep zeroes an adjoint element once its last reader is
 * done with it (`y_bar[i] = 0;` after `z_bar[i] += y_bar[i] * _t0;`), so that an earlier
 * statement writing y[i] again starts from zero. In the last loop that touches the buffer
 * nothing reads it again, and a reviewer would strike the store out.
 *
 * A reset `a[i] = 0;` goes when:
 * - `a` is a buffer the function allocated itself (`new Array(n).fill(0)`, `new
 *   Float64Array(n)`, `Array.from(cotangent)`), only ever read or written element by
 *   element: nobody outside sees it (a gradient output `grad.x` is never such a buffer, nor
 *   a row of one);
 * - the reset is in the body of a counted loop standing in the same statement list as the
 *   buffer's declaration (alone or in the block a stack cursor wraps it in), whose counter
 *   `i` only its update changes, so every iteration has its own element;
 * - every mention of `a` in that loop is `a[i]`, none after the reset;
 * - nothing after the loop mentions `a`.
 *
 * Takes a finished function body; gives it with the same results, bit for bit.
 */
import * as b from "../ir/build.ts";
import type { Expr, Stmt } from "../ir/nodes.ts";
import { mapNestedLists, mapStmtList, mentionedNames, stmtExprs, walkExpr, walkStmts } from "../ir/visit.ts";

export function withoutDeadResets(body: Stmt[]): Stmt[] {
  // Buffers declared in a nested list (fVjpRowsInto's per-row adjoints) are that list's own.
  return deadResetsOf(mapStmtList(body, (s) => mapNestedLists(s, withoutDeadResets)));
}

/** The dead resets of the buffers `body` itself declares. */
function deadResetsOf(body: Stmt[]): Stmt[] {
  const buffers = new Set<string>();
  for (const s of body) if (s.kind === "declare" && isFreshBuffer(s.init)) buffers.add(s.name);
  if (buffers.size === 0) return body;
  // Only buffers read element by element: a buffer named whole (`const r = a`, a call's
  // argument) may be read through another name.
  walkStmts(body, (x) => {
    for (const e of stmtExprs(x)) {
      // The objects of element reads and lengths, then every variable that is not one of them.
      const elementObjects = new Set<Expr>();
      walkExpr(e, (y) => {
        if (y.kind === "index" || y.kind === "length") elementObjects.add(y.object);
      });
      walkExpr(e, (y) => {
        if (y.kind === "var" && buffers.has(y.name) && !elementObjects.has(y)) buffers.delete(y.name);
      });
    }
  });
  if (buffers.size === 0) return body;
  const mentionedLater = new Set<string>();
  const out = [...body];
  // Backwards, until every buffer is mentioned by a later statement (none of its resets can go then).
  for (let k = out.length - 1; k >= 0 && mentionedLater.size < buffers.size; k--) {
    const s = out[k]!;
    out[k] = withoutResetsIn(s, [...buffers].filter((a) => !mentionedLater.has(a)));
    const names = mentionedNames(s);
    for (const a of buffers) if (names.has(a)) mentionedLater.add(a);
  }
  return out.every((s, k) => s === body[k]) ? body : out;
}

function isFreshBuffer(e: Expr): boolean {
  return e.kind === "zeros" || (e.kind === "zerosLike" && e.type.kind === "array" && e.type.element.kind === "number") || (e.kind === "call" && /^(Array|Float64Array|Float32Array)\.from$/.test(e.callee) && e.args.length === 1);
}

/** The loop (possibly inside the block a stack cursor wraps it in) with its dead resets of `buffers` removed. */
function withoutResetsIn(s: Stmt, buffers: string[]): Stmt {
  if (s.kind === "block") {
    const loops = s.body.filter((x) => x.kind === "loop");
    if (loops.length !== 1) return s;
    const body = s.body.map((x) => (x.kind === "loop" ? withoutResetsIn(x, buffers) : x));
    return body.every((x, k) => x === s.body[k]) ? s : { ...s, body };
  }
  if (s.kind !== "loop" || s.form !== "for") return s;
  const counter = countedBy(s);
  if (!counter) return s;
  let body = s.body;
  for (const a of buffers) {
    const at = body.findIndex((x) => isReset(x, a, counter));
    if (at < 0) continue;
    const onlyOwnElement = body.every((x) => !mentionsIn(x, a) || onlyElement(x, a, counter));
    const readAfter = body.slice(at + 1).some((x) => mentionsIn(x, a));
    if (onlyOwnElement && !readAfter) body = body.filter((_, k) => k !== at);
  }
  return body === s.body ? s : { ...s, body };
}

/** `for (let i = …; …; i++ / i--)` whose body never assigns i: the counter, else null. */
function countedBy(s: Extract<Stmt, { kind: "loop" }>): string | null {
  const init = s.init.length === 1 ? s.init[0]! : null;
  const update = s.update.length === 1 ? s.update[0]! : null;
  if (init?.kind !== "declare" || update?.kind !== "assign" || update.target.kind !== "var" || update.target.name !== init.name) return null;
  const step = update.value;
  if (step.kind !== "binary" || (step.op !== "+" && step.op !== "-") || !b.sameExpr(step.left, b.v(init.name)) || step.right.kind !== "number" || step.right.value === 0) return null;
  let assigned = false;
  walkStmts(s.body, (x) => {
    if ((x.kind === "assign" && x.target.kind === "var" && x.target.name === init.name) || (x.kind === "declare" && x.name === init.name)) assigned = true;
  });
  return assigned ? null : init.name;
}

function isReset(s: Stmt, array: string, counter: string): boolean {
  return s.kind === "assign" && s.target.kind === "index" && b.sameExpr(s.target.object, b.v(array)) && b.sameExpr(s.target.index, b.v(counter)) && b.isNumber(s.value, 0);
}

function mentionsIn(s: Stmt, name: string): boolean {
  return mentionedNames(s).has(name);
}

/** Every mention of `array` in `s` is `array[counter]` (an element read or write). */
function onlyElement(s: Stmt, array: string, counter: string): boolean {
  let ok = true;
  walkStmts([s], (x) => {
    if ((x.kind === "declare" && x.name === array) || ((x.kind === "append" || x.kind === "shrink") && x.array === array)) ok = false;
    for (const e of stmtExprs(x)) {
      let mentions = 0;
      let ownElements = 0;
      walkExpr(e, (y) => {
        if (y.kind === "var" && y.name === array) mentions++;
        if (y.kind === "index" && y.object.kind === "var" && y.object.name === array && y.index.kind === "var" && y.index.name === counter) ownElements++;
      });
      if (mentions !== ownElements) ok = false;
    }
  });
  return ok;
}
