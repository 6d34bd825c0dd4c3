/**
 * Scratch arrays of a loop: local arrays that every iteration overwrites in full before it
 * reads them, and that nothing outside the loop touches (GMM's `main` and `transformed`
 * per data point). Their adjoints are zero when an iteration's reverse starts and again
 * when it ends (the reverse of the overwrite resets each element last), and their values
 * at an iteration's start never matter, so fusing the loop with its reverse (transform/reverse/fusion.ts)
 * may treat them like the iteration's own locals.
 */
import * as b from "../ir/build.ts";
import type { Expr, Stmt } from "../ir/nodes.ts";
import { exprReads, mentionedNames } from "../ir/visit.ts";
import { countedHeader, soleElementWrite } from "./loops.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;

/** Arrays declared zero-filled in `body` before `loop` (a statement of `body`) that are scratch space of its iterations. */
export function scratchArrays(body: Stmt[], loop: Loop): Set<string> {
  const at = body.indexOf(loop);
  const out = new Set<string>();
  for (const s of body.slice(0, at)) {
    if (s.kind !== "declare" || s.type.kind !== "array" || s.type.element.kind !== "number" || s.init.kind !== "zeros") continue;
    const outside = [...body.slice(0, at), ...body.slice(at + 1)].filter((x) => x !== s);
    if (outside.some((x) => mentions(x, s.name)) || mentions({ ...loop, body: [] }, s.name)) continue;
    if (killsFirst(loop.body, s.name, s.init.length)) out.add(s.name);
  }
  return out;
}

/**
 * Whether running `list` overwrites every element of `a` (of length `length`) before
 * anything reads it: its first statement that mentions `a` is a counted loop over exactly
 * those indices whose body only assigns `a[i] = e` (e not reading a), or a loop whose body
 * does this and after which nothing in `list` mentions `a`.
 */
function killsFirst(list: Stmt[], a: string, length: Expr): boolean {
  const k = list.findIndex((s) => mentions(s, a));
  if (k < 0) return false;
  const first = list[k]!;
  if (first.kind !== "loop") return false;
  if (coveringKill(first, a, length)) return true;
  if (list.slice(k + 1).some((s) => mentions(s, a))) return false;
  if (mentions({ ...first, body: [] }, a)) return false;
  return killsFirst(first.body, a, length);
}

function coveringKill(loop: Loop, a: string, length: Expr): boolean {
  const header = countedHeader(loop);
  if (!header || header.stride !== 1 || !header.up || !b.isNumber(header.init.init, 0) || header.op !== "<" || !b.sameExpr(header.bound, length)) return false;
  const write = soleElementWrite(loop, header.i, b.v(a), (s) => mentions(s, a));
  return write !== null && !exprReads(write.value).has(a);
}

function mentions(s: Stmt, name: string): boolean {
  return mentionedNames(s).has(name);
}
