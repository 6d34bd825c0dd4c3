/**
 * Output buffers that are set, not added into: `fGradInto` and `fHvpInto` overwrite their
 * `grad` and `hvp` records, so an optimizer loop never zeroes them and a caller never reads
 * a stale gradient. Reverse mode itself only adds into adjoints (`x_bar[i] += …`, as a
 * pullback must), so this pass runs last, on a finished entry-point body:
 *
 *   - where a buffer's first mention is a counted loop that, once per index, adds into
 *     every element of it and reads none (the last loop of most gradients), that addition
 *     becomes an assignment: `x_bar[i] = …`;
 *   - where its first mention is `grad.w += w_bar` (a scalar's epilogue), it becomes
 *     `grad.w = w_bar`;
 *   - otherwise the buffer is zeroed just before its first mention (or before the return
 *     when nothing writes it: a derivative that is identically zero).
 *
 * Pullbacks (`fVjpInto`, shared callee pullbacks, `@vjpOf` rules) keep adding.
 */
import * as b from "../ir/build.ts";
import type { Expr, LValue, Stmt, ValueType } from "../ir/nodes.ts";
import { readsVariable, stmtExprs, walkExpr } from "../ir/visit.ts";
import { countedHeader, soleElementWrite } from "../analysis/loops.ts";
import type { Namer } from "./naming.ts";

/** One leaf of an output record: `grad.x` (an array) or `grad.w` (a number). */
export interface OutputSlot {
  /** The record field chain, `grad.p.layer.W`. */
  slot: Expr;
  type: ValueType;
  /** The parameter leaf the slot has the shape of (`p.layer.W`): its length is the slot's. */
  like: Expr;
}

/** The slots of `record` for a wrt list: one per leaf of each wrt parameter. */
export function outputSlots(record: string, leaves: { path: string; type: ValueType }[]): OutputSlot[] {
  return leaves.map((leaf) => {
    const [param, ...fields] = leaf.path.split(".");
    const like = fields.reduce<Expr>((e, name) => b.field(e, name), b.v(param!));
    return { slot: [param!, ...fields].reduce<Expr>((e, name) => b.field(e, name), b.v(record)), type: leaf.type, like };
  });
}

export function overwriteOutputs(body: Stmt[], slots: OutputSlot[], namer: Namer): Stmt[] {
  let out = body;
  for (const s of slots) out = overwriteOne(out, s, namer);
  return out;
}

function overwriteOne(body: Stmt[], s: OutputSlot, namer: Namer): Stmt[] {
  // `const x_bar = grad.x;` binds an array slot to a local; it is not a use.
  const binding = body.findIndex((st) => st.kind === "declare" && b.sameExpr(st.init, s.slot));
  const local = binding >= 0 ? (body[binding] as Extract<Stmt, { kind: "declare" }>).name : null;
  const names = namesOf(s.slot, local);
  const first = body.findIndex((st, k) => k !== binding && mentions(st, names));
  if (first >= 0) {
    const set = firstWriteAsAssignment(body[first]!, s, names);
    // (slice and concat rather than spreads: the body is a whole sweep, and spreading iterates.)
    if (set) return body.slice(0, first).concat(set, body.slice(first + 1));
  }
  let at = first >= 0 ? first : body.length > 0 && body[body.length - 1]!.kind === "return" ? body.length - 1 : body.length;
  // Above the comments that introduce the first use, not between them and it.
  while (at > 0 && at - 1 !== binding && body[at - 1]!.kind === "comment") at--;
  const target = local && (first < 0 || first > binding) ? b.v(local) : s.slot;
  return body.slice(0, at).concat(zeroFill(target, s.type, namer), body.slice(at));
}

/** The first write, rewritten to set what it added, when it provably sets every element once before any read. */
function firstWriteAsAssignment(st: Stmt, s: OutputSlot, names: Names): Stmt | null {
  if (s.type.kind === "number") return st.kind === "assign" && b.sameExpr(st.target as Expr, s.slot) ? setInstead(st, names) : null;
  if (st.kind !== "loop" || !names.local || s.type.kind !== "array" || s.type.element.kind !== "number") return null;
  const header = countedHeader(st);
  if (!header || header.stride !== 1 || !coversEveryIndex(header, [s.like, s.slot, b.v(names.local)])) return null;
  if (mentions({ kind: "block", body: [...st.init, ...st.update] }, names) || (st.test && exprMentions(st.test, names))) return null;
  const write = soleElementWrite(st, header.i, b.v(names.local), (x) => mentions(x, names));
  if (!write) return null;
  const set = setInstead(write, names);
  return set && { ...st, body: st.body.map((x) => (x === write ? set : x)) };
}

/** `t += e` (or `t -= e`) whose e leaves the buffer alone → `t = e` (or `t = -e`). */
function setInstead(st: Extract<Stmt, { kind: "assign" }>, names: Names): Stmt | null {
  const added = b.addedBy(st);
  return added && !exprMentions(added, names) ? { ...st, value: added } : null;
}

/** `for (let i = 0; i < n; i++)` or `for (let i = n - 1; i >= 0; i--)` with n the length of one of `arrays`. */
function coversEveryIndex(header: NonNullable<ReturnType<typeof countedHeader>>, arrays: Expr[]): boolean {
  const first = header.init.init;
  const lengths = arrays.map((a) => ({ kind: "length", object: a }) as Expr);
  const isLength = (e: Expr) => lengths.some((n) => b.sameExpr(e, n));
  const isLengthMinusOne = (e: Expr) => lengths.some((n) => b.sameExpr(e, b.sub(n, b.num(1))));
  if (header.up) {
    return b.isNumber(first, 0) && ((header.op === "<" && isLength(header.bound)) || (header.op === "<=" && isLengthMinusOne(header.bound)));
  }
  return isLengthMinusOne(first) && ((header.op === ">=" && b.isNumber(header.bound, 0)) || (header.op === ">" && b.isNumber(header.bound, -1)));
}

/** Sets every element (or the number) to zero: `a.fill(0)`, and a loop over the rows of nested arrays. */
function zeroFill(target: Expr, type: ValueType, namer: Namer): Stmt[] {
  if (type.kind !== "array") return [b.assign(target as LValue, b.num(0))];
  if (type.element.kind !== "array") return [{ kind: "fillZero", array: target }];
  const i = namer.fresh("i");
  return [b.countUp(i, b.num(0), { kind: "length", object: target }, zeroFill(b.index(target, b.v(i)), type.element, namer))];
}

interface Names {
  slot: Expr;
  local: string | null;
  /** The slot's record (`grad`) and field path (`["x"]`). */
  root: string;
  path: string[];
}

function namesOf(slot: Expr, local: string | null): Names {
  const { root, path } = chain(slot)!;
  return { slot, local, root, path };
}

/**
 * Whether a statement (nested bodies included) reads or writes the slot: through its local,
 * its field chain, or the whole record. By direct recursion, stopping at the first mention:
 * it runs over every statement up to the buffer's first use (a whole forward sweep).
 */
function mentions(st: Stmt, names: Names): boolean {
  for (const e of stmtExprs(st)) if (exprMentions(e, names)) return true;
  switch (st.kind) {
    case "if": return anyMentions(st.then, names) || anyMentions(st.else, names);
    case "loop": return anyMentions(st.init, names) || anyMentions(st.update, names) || anyMentions(st.body, names);
    case "block": return anyMentions(st.body, names);
    default: return false;
  }
}

function anyMentions(list: Stmt[], names: Names): boolean {
  for (const x of list) if (mentions(x, names)) return true;
  return false;
}

function exprMentions(e: Expr, names: Names): boolean {
  if (names.local && readsVariable(e, names.local)) return true;
  const { root, path } = names;
  // Neither the record nor a field chain off it without its name: most statements of a body.
  if (!readsVariable(e, root)) return false;
  // A field chain off the record touches the slot when one path is a prefix of the other;
  // the record itself, passed whole, touches every slot.
  let rootUses = 0;
  let chains = 0;
  let touches = false;
  const inner = new Set<Expr>();
  walkExpr(e, (x) => {
    if (x.kind === "var" && x.name === root) rootUses++;
    if (x.kind !== "field") return;
    if (x.object.kind === "field") inner.add(x.object);
    if (inner.has(x)) return;
    const c = chain(x);
    if (!c || c.root !== root) return;
    chains++;
    const n = Math.min(c.path.length, path.length);
    if (c.path.slice(0, n).every((p, k) => p === path[k])) touches = true;
  });
  return touches || rootUses > chains;
}

function chain(e: Expr): { root: string; path: string[] } | null {
  const path: string[] = [];
  let x = e;
  while (x.kind === "field") {
    path.unshift(x.name);
    x = x.object;
  }
  return x.kind === "var" ? { root: x.name, path } : null;
}
