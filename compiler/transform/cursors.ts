/**
 * Stack cursors, the last pass over every generated function: an innermost loop that
 * pushes onto or pops from a stack (saved values, branch decisions) keeps the stack's top
 * in a local while it runs, as a hand-written gradient keeps its index into a buffer:
 *
 *   for (let k = 0; k < n; k++) {       {
 *     valueStack.push(e);         →       let savedTop = valueStack.size;
 *   }                                     const saved = valueStack.reserve(savedTop, n);
 *                                         for (let k = 0; k < n; k++) {
 *                                           saved[savedTop++] = e;
 *                                         }
 *                                         valueStack.size = savedTop;
 *                                       }
 *
 * `push` and `pop` are method calls that load and store the stack's fields for every
 * value, and `push` checks the room left; a local top stays in a register (log-sum-exp's
 * gradient over its primal: 1.35–1.38 → 1.25–1.30, a hand-written one 1.19–1.23). Room for
 * every push is reserved before the loop, so only an innermost counted loop whose body
 * leaves its counter and bounds alone gets cursors for pushes (its trips × the pushes in
 * its body); a loop nest that only pops a stack needs no room and gets one cursor for the
 * whole nest (a reverse sweep's loops). Loops that leave the function, call anything but
 * Math's functions, or mark the stack (`size`, `rewind`) are left alone: they might use
 * the stack themselves.
 */
import type { Expr, FunctionIR, LValue, StackName, Stmt, ValueType } from "../ir/nodes.ts";
import * as b from "../ir/build.ts";
import { definedIn, exprReads, mapStmtExprs, someExpr, someStmt, stmtExprs, walkExpr, walkStmts } from "../ir/visit.ts";
import { countedHeader, integerVariables, lastIndex, type IntegerTest } from "../analysis/loops.ts";
import { Namer } from "./naming.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;
/** Per stack: the local top and the local buffer each rewritten loop declares in its own block. */
type Cursors = Record<StackName, { top: string; buffer: string }>;

const BUFFER_TYPE: Record<StackName, ValueType> = {
  values: { kind: "array", container: "float64array", element: b.NUMBER, readonly: false },
  control: { kind: "array", container: "int32array", element: b.NUMBER, readonly: false },
};
const STACKS: StackName[] = ["values", "control"];

export function stackCursorsIn(fn: FunctionIR): FunctionIR {
  // Debug builds' functions (with run-time checks, of the stacks' balance too) are left as generated.
  if (someStmt(fn.body, (s) => s.kind === "check")) return fn;
  if (!STACKS.some((stack) => someStmt(fn.body, (s) => uses(s, stack)))) return fn;
  // Names the function does not use; the block a cursor lives in calls nothing but Math's
  // functions, so they cannot hide a callee either.
  const namer = Namer.forFunction(fn);
  const cursors: Cursors = {
    values: { top: namer.fresh("savedTop"), buffer: namer.fresh("saved") },
    control: { top: namer.fresh("decisionsTop"), buffer: namer.fresh("decisions") },
  };
  return { ...fn, body: rewrite(fn.body, cursors, integerVariables(fn)) };
}

function rewrite(list: Stmt[], cursors: Cursors, isInteger: IntegerTest): Stmt[] {
  return list.map((s): Stmt => {
    switch (s.kind) {
      case "if": return { ...s, then: rewrite(s.then, cursors, isInteger), else: rewrite(s.else, cursors, isInteger) };
      case "block": return { ...s, body: rewrite(s.body, cursors, isInteger) };
      case "loop": {
        const innermost = !someStmt(s.body, (x) => x.kind === "loop");
        // A loop nest that only pops a stack reads it through one cursor for the whole nest;
        // pushes need room reserved, which only an innermost loop's trip count gives.
        const cursored = callsNothing(s) ? withCursors(s, cursors, isInteger, innermost) : null;
        const loop = cursored?.loop ?? s;
        const done: Stmt = innermost ? loop : { ...loop, body: rewrite(loop.body, cursors, isInteger) };
        return cursored ? { kind: "block", body: [...cursored.before, done, ...cursored.after] } : done;
      }
      default: return s;
    }
  });
}

/** A loop body that calls nothing that might use the stacks, and never leaves the function. */
function callsNothing(loop: Loop): boolean {
  let ok = true;
  walkStmts(loop.body, (s) => {
    if (s.kind === "call" || s.kind === "return") ok = false;
    for (const e of stmtExprs(s)) {
      walkExpr(e, (x) => {
        if (x.kind === "userCall" || (x.kind === "call" && !x.callee.startsWith("Math."))) ok = false;
      });
    }
  });
  return ok;
}

/**
 * The loop with every push and pop of each stack it uses through a local top, and the
 * statements that set that top up before it and give it back after; null when no stack
 * qualifies. `pushesAllowed`: an innermost loop, whose trip count bounds its pushes.
 */
function withCursors(loop: Loop, cursors: Cursors, isInteger: IntegerTest, pushesAllowed: boolean): { before: Stmt[]; loop: Loop; after: Stmt[] } | null {
  const before: Stmt[] = [];
  const after: Stmt[] = [];
  let body = loop.body;
  const header: Stmt[] = [...loop.init, ...loop.update];
  for (const stack of STACKS) {
    if (!someStmt(body, (s) => uses(s, stack)) || someStmt(header, (s) => uses(s, stack)) || (loop.test && someExpr(loop.test, (e) => touches(e, stack)))) continue;
    // Only pushes and pops: a mark (`size`, `rewind`) needs the stack's own top.
    if (someStmt(body, (s) => marks(s, stack))) continue;
    let pushes = 0;
    walkStmts(body, (s) => {
      if (s.kind === "push" && s.stack === stack) pushes++;
    });
    if (pushes > 0 && !pushesAllowed) continue;
    // Room for every push the loop can make, reserved before it: a counted loop's trips bound them.
    const trips = pushes === 0 ? null : tripCount(loop, isInteger);
    if (pushes > 0 && !trips) continue;
    const { top, buffer } = cursors[stack];
    const cursor = (move: "postIncrement" | "preDecrement"): Expr => ({ kind: "cursorMove", name: top, move });
    body = mapStmtExprs(
      body,
      (e) => (e.kind === "pop" && e.stack === stack ? b.index(b.v(buffer), cursor("preDecrement")) : undefined),
      (s) => (s.kind === "push" && s.stack === stack ? b.assign(b.index(b.v(buffer), cursor("postIncrement")) as LValue, s.value) : s),
    );
    const room: Expr = trips ? { kind: "stackReserve", stack, top: b.v(top), count: b.mul(b.num(pushes), trips) } : { kind: "stackBuffer", stack };
    before.push(b.declare(top, { kind: "stackSize", stack }, true), b.declare(buffer, room, false, BUFFER_TYPE[stack]));
    after.push({ kind: "stackSizeSet", stack, size: b.v(top) });
  }
  return before.length === 0 ? null : { before, loop: { ...loop, body }, after };
}

/**
 * How many times a counted loop whose body leaves its counter and its bounds alone runs
 * at most (exactly, unless it breaks early), or null.
 */
function tripCount(loop: Loop, isInteger: IntegerTest): Expr | null {
  const header = countedHeader(loop);
  if (!header) return null;
  const written = definedIn(loop.body);
  const first = header.init.init;
  if (written.has(header.i) || [...exprReads(first), ...exprReads(header.bound)].some((n) => written.has(n))) return null;
  const last = lastIndex(first, header.op, header.bound, isInteger, header.stride);
  const span = header.up ? b.sub(last, first) : b.sub(first, last);
  return b.add(header.stride === 1 ? span : b.div(span, b.num(header.stride)), b.num(1));
}

/** A push, pop or mark of `stack` directly in `s`. */
function uses(s: Stmt, stack: StackName): boolean {
  if (s.kind === "push" && s.stack === stack) return true;
  return marks(s, stack) || stmtExprs(s).some((e) => someExpr(e, (x) => touches(x, stack)));
}

/** A mark of `stack` directly in `s`: its size read (`size`) or set back (`rewind`). */
function marks(s: Stmt, stack: StackName): boolean {
  if (s.kind === "rewind" && s.stack === stack) return true;
  return stmtExprs(s).some((e) => someExpr(e, (x) => x.kind === "stackSize" && x.stack === stack));
}

function touches(e: Expr, stack: StackName): boolean {
  return (e.kind === "pop" || e.kind === "stackSize") && e.stack === stack;
}
