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
 * every push is reserved before the loop when an innermost counted loop's body leaves its
 * counter and bounds alone (its trips × the pushes in its body); any other innermost loop
 * (a while loop) checks for one iteration's pushes at the top of each iteration (particle's
 * reverse-over-forward Euler loop pushes 22 values per step: 42 → … µs); a loop nest that only pops a stack needs no room and gets one cursor for the
 * whole nest (a reverse sweep's loops). Loops that leave the function, call anything but
 * Math's functions, or mark the stack (`size`, `rewind`) are left alone: they might use
 * the stack themselves.
 */
import type { Expr, FunctionIR, LValue, StackName, Stmt, ValueType } from "../ir/nodes.ts";
import * as b from "../ir/build.ts";
import { containsLoop, definedIn, exprReads, mapStmtExprs, someExpr, someStmt, stmtExprs, walkExpr, walkStmts } from "../ir/visit.ts";
import { countedHeader, integerVariables, lastIndex, type IntegerTest } from "../analysis/loops.ts";
import { Namer } from "./naming.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;
/** Per stack: the local top and the local buffer each rewritten loop declares in its own block. */
type Cursors = Record<StackName, { top: string; buffer: string; room: string }>;

const BUFFER_TYPE: Record<StackName, ValueType> = {
  values: { kind: "array", container: "float64array", element: b.NUMBER, readonly: false },
  control: { kind: "array", container: "int32array", element: b.NUMBER, readonly: false },
};
const STACKS: StackName[] = ["values", "control"];

export function stackCursorsIn(fn: FunctionIR): FunctionIR {
  // Only loops get cursors: a function without one is kept (without collecting its names).
  if (!containsLoop(fn.body)) return fn;
  // Debug builds' functions (with run-time checks, of the stacks' balance too) are left as generated.
  if (someStmt(fn.body, (s) => s.kind === "check")) return fn;
  if (!STACKS.some((stack) => someStmt(fn.body, (s) => uses(s, stack)))) return fn;
  // Names the function does not use; the block a cursor lives in calls nothing but Math's
  // functions, so they cannot hide a callee either.
  const namer = Namer.forFunction(fn);
  const cursors: Cursors = {
    values: { top: namer.fresh("savedTop"), buffer: namer.fresh("saved"), room: namer.fresh("savedPerTrip") },
    control: { top: namer.fresh("decisionsTop"), buffer: namer.fresh("decisions"), room: namer.fresh("decisionsPerTrip") },
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
  const checks: Stmt[] = [];
  let body = loop.body;
  let init = loop.init;
  const header: Stmt[] = [...loop.init, ...loop.update];
  for (const stack of STACKS) {
    // The header may pop in its init (a reverse loop's trip count, `for (let trips = pop(); …)`),
    // which runs once, after the cursor is set up; nothing else in the header may touch the stack.
    const initPopsOnly = loop.init.every((s) => !(s.kind === "push" && s.stack === stack) && !marks(s, stack));
    if (!someStmt(body, (s) => uses(s, stack)) || someStmt(loop.update, (s) => uses(s, stack)) || !initPopsOnly || (loop.test && someExpr(loop.test, (e) => touches(e, stack)))) continue;
    // Only pushes and pops: a mark (`size`, `rewind`) needs the stack's own top.
    if (someStmt(body, (s) => marks(s, stack))) continue;
    let pushes = 0;
    walkStmts(body, (s) => {
      if (s.kind === "push" && s.stack === stack) pushes++;
    });
    // Room for every push the loop can make, reserved before it: an innermost counted loop's
    // trips bound them. Any other loop (a while loop; a loop nest whose inner loops are
    // counted, with bounds the body leaves alone) checks for room at the top of each
    // iteration instead, for the pushes one iteration can make.
    // A loop nest that pops as much as it pushes (a fused last loop) checks per iteration
    // too, rather than reserving room for all its trips at once.
    // (A trip count read from a stack is no count to reserve by: it would pop again.)
    const initPops = someStmt(loop.init, (s) => stmtExprs(s).some((e) => someExpr(e, (x) => x.kind === "pop")));
    const loopTrips = pushes > 0 && !initPops ? tripCount(loop, isInteger) : null;
    const pops = someStmt(body, (s) => stmtExprs(s).some((e) => someExpr(e, (x) => (x.kind === "pop" || x.kind === "popBlock") && x.stack === stack)));
    let trips = pushesAllowed ? loopTrips : null;
    // The count is also the room reserved before the loop: it may not read the loop's counter.
    let perTrip = pushes > 0 && !trips ? pushesPerIteration(loop.body, stack, changedBy([...header, ...loop.body]), isInteger) : null;
    if (perTrip && loopTrips && !pops) {
      trips = b.mul(loopTrips, perTrip);
      perTrip = null;
      pushes = 1;
    }
    if (pushes > 0 && !trips && !perTrip) continue;
    const { top, buffer, room: roomName } = cursors[stack];
    const cursor = (move: "postIncrement" | "preDecrement"): Expr => ({ kind: "cursorMove", name: top, move });
    const popThroughCursor = (e: Expr) => (e.kind === "pop" && e.stack === stack ? b.index(b.v(buffer), cursor("preDecrement")) : undefined);
    // A block of lanes popped at once (transform/lanes.ts) moves the top once; its lanes are read from the buffer.
    const throughCursor = (e: Expr) => popThroughCursor(e) ?? (e.kind === "stackBuffer" && e.stack === stack ? b.v(buffer) : undefined);
    body = blockPopsThroughCursor(mapStmtExprs(body, throughCursor, (s) => (s.kind === "push" && s.stack === stack ? b.assign(b.index(b.v(buffer), cursor("postIncrement")) as LValue, s.value) : s)), stack, top);
    init = mapStmtExprs(init, popThroughCursor, (s) => s);
    const reserve = (count: Expr): Expr => ({ kind: "stackReserve", stack, top: b.v(top), count });
    // A count more than a literal is computed once, before the loop (it reads nothing the loop changes).
    const count = perTrip && perTrip.kind !== "number" ? b.v(roomName) : perTrip;
    if (perTrip && count !== perTrip) before.push(b.declare(roomName, perTrip));
    const room: Expr = trips ? reserve(b.mul(b.num(pushes), trips)) : count ? reserve(count) : { kind: "stackBuffer", stack };
    if (count) {
      const full = b.bin(">", b.add(b.v(top), count), { kind: "length", object: b.v(buffer) });
      checks.push({ kind: "if", test: full, then: [b.assign(b.v(buffer) as LValue, reserve(count))], else: [] });
    }
    before.push(b.declare(top, { kind: "stackSize", stack }, true), b.declare(buffer, room, perTrip !== null, BUFFER_TYPE[stack]));
    after.push({ kind: "stackSizeSet", stack, size: b.v(top) });
  }
  return before.length === 0 ? null : { before, loop: { ...loop, init, body: [...checks, ...body] }, after };
}

/** `const at = popBlock(count)` as `top -= count; const at = top;`, in nested bodies too. */
function blockPopsThroughCursor(list: Stmt[], stack: StackName, top: string): Stmt[] {
  const inner = (l: Stmt[]) => blockPopsThroughCursor(l, stack, top);
  return list.flatMap((s): Stmt[] => {
    switch (s.kind) {
      case "declare":
        if (s.init.kind !== "popBlock" || s.init.stack !== stack) return [s];
        return [b.assign(b.v(top) as LValue, b.sub(b.v(top), s.init.count)), { ...s, init: b.v(top) }];
      case "if": return [{ ...s, then: inner(s.then), else: inner(s.else) }];
      case "loop": return [{ ...s, init: inner(s.init), update: inner(s.update), body: inner(s.body) }];
      case "block": return [{ ...s, body: inner(s.body) }];
      default: return [s];
    }
  });
}

/**
 * The most pushes onto `stack` one run of `list` makes (the larger branch of each `if`; an
 * inner loop's trips times its body's), as an expression to evaluate before `list` runs;
 * null when an inner loop that pushes has no trip count or its count may be `changed` by
 * the enclosing loop's body or header (which run between the check and the inner loop).
 * Each inner loop's share is clamped at 0 when added to others: a loop that runs no
 * times may have a negative trip count.
 */
function pushesPerIteration(list: Stmt[], stack: StackName, changed: Changed, isInteger: IntegerTest): Expr | null {
  let fixed = 0;
  const loops: Expr[] = [];
  for (const s of list) {
    if (s.kind === "push" && s.stack === stack) fixed++;
    else if (s.kind === "block" || s.kind === "if" || s.kind === "loop") {
      if (!someStmt(s.kind === "if" ? [...s.then, ...s.else] : s.body, (x) => x.kind === "push" && x.stack === stack)) continue;
      if (s.kind === "block") {
        const inner = pushesPerIteration(s.body, stack, changed, isInteger);
        if (!inner) return null;
        if (inner.kind === "number") fixed += inner.value;
        else loops.push(inner);
      } else if (s.kind === "if") {
        const [a, c] = [pushesPerIteration(s.then, stack, changed, isInteger), pushesPerIteration(s.else, stack, changed, isInteger)];
        if (!a || !c) return null;
        if (a.kind === "number" && c.kind === "number") fixed += Math.max(a.value, c.value);
        else loops.push(b.add(atLeastZero(a), atLeastZero(c)));
      } else {
        const trips = tripCount(s, isInteger);
        const inner = pushesPerIteration(s.body, stack, changed, isInteger);
        if (!trips || !inner || changes(trips, changed)) return null;
        loops.push(b.mul(trips, inner));
      }
    }
  }
  if (loops.length === 0) return b.num(fixed);
  if (loops.length === 1 && fixed === 0) return loops[0]!;
  return [...loops.map(atLeastZero), b.num(fixed)].reduce((sum, e) => b.add(sum, e));
}

/** What a loop's body and header may change: the variables they write (elements too), and those they reassign or resize. */
interface Changed {
  written: Set<string>;
  resized: Set<string>;
}

function changedBy(list: Stmt[]): Changed {
  const resized = new Set<string>();
  walkStmts(list, (s) => {
    if (s.kind === "declare") resized.add(s.name);
    else if (s.kind === "assign" && s.target.kind === "var") resized.add(s.target.name);
    else if (s.kind === "append" || s.kind === "shrink") resized.add(s.array);
  });
  return { written: definedIn(list), resized };
}

/** Whether `count` may differ after the body runs: it reads a written variable, or the length of a resized array (element writes leave `main.length` alone). */
function changes(count: Expr, changed: Changed): boolean {
  const lengthOf = new Set<Expr>();
  let yes = false;
  walkExpr(count, (e) => {
    if (e.kind === "length") lengthOf.add(e.object);
    else if (e.kind === "var" && (lengthOf.has(e) ? changed.resized : changed.written).has(e.name)) yes = true;
  });
  return yes;
}

const atLeastZero = (e: Expr): Expr => (e.kind === "number" ? b.num(Math.max(0, e.value)) : nonNegative(e) ? e : b.call("Math.max", [b.num(0), e]));

/** An array's length, a non-negative literal, or sums and products of them. */
function nonNegative(e: Expr): boolean {
  if (e.kind === "number") return e.value >= 0;
  if (e.kind === "length") return true;
  return e.kind === "binary" && (e.op === "+" || e.op === "*") && nonNegative(e.left) && nonNegative(e.right);
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
  const span = header.up ? linearDifference(last, first) : linearDifference(first, last);
  if (!span) {
    const raw = header.up ? b.sub(last, first) : b.sub(first, last);
    return b.add(header.stride === 1 ? raw : b.div(raw, b.num(header.stride)), b.num(1));
  }
  // (last − first) / stride + 1, the division done on the coefficients when they allow it.
  const { stride } = header;
  if (span.terms.every((t) => t.coef % stride === 0) && span.constant % stride === 0) {
    return linearExpr({ terms: span.terms.map((t) => ({ ...t, coef: t.coef / stride })), constant: span.constant / stride + 1 });
  }
  return b.add(b.div(linearExpr(span), b.num(stride)), b.num(1));
}

/** A sum of whole multiples of subexpressions and a whole constant. */
interface Linear {
  terms: { coef: number; e: Expr }[];
  constant: number;
}

/**
 * a − c as a linear combination with like terms cancelled, so a trip count reads as a person
 * writes it (`x.length - Math.floor(x.length / 3) - 1`, not `x.length - 1 - (Math.floor(x.length
 * / 3) + 1) + 1`); null where a coefficient or constant is not whole (moving a fraction could
 * round a count down: 0.3 - 0.1 ≠ 0.2).
 */
function linearDifference(a: Expr, c: Expr): Linear | null {
  const x = linearForm(a, 1);
  const y = linearForm(c, -1);
  if (!x || !y) return null;
  const terms: Linear["terms"] = [];
  for (const t of [...x.terms, ...y.terms]) {
    const like = terms.find((u) => b.sameExpr(u.e, t.e));
    if (like) like.coef += t.coef;
    else terms.push({ ...t });
  }
  return { terms: terms.filter((t) => t.coef !== 0), constant: x.constant + y.constant };
}

/** `sign · e` as a linear combination, or null (a fractional constant or coefficient). */
function linearForm(e: Expr, sign: number): Linear | null {
  if (e.kind === "number") return Number.isInteger(e.value) ? { terms: [], constant: sign * e.value } : null;
  if (e.kind === "unary" && e.op === "-") return linearForm(e.operand, -sign);
  if (e.kind === "binary" && (e.op === "+" || e.op === "-")) {
    const left = linearForm(e.left, sign);
    const right = linearForm(e.right, e.op === "+" ? sign : -sign);
    return left && right ? { terms: [...left.terms, ...right.terms], constant: left.constant + right.constant } : null;
  }
  if (e.kind === "binary" && e.op === "*" && e.left.kind === "number") {
    return Number.isInteger(e.left.value) ? linearForm(e.right, sign * e.left.value) : null;
  }
  return { terms: [{ coef: sign, e }], constant: 0 };
}

/** The combination as an expression: terms in order, then the constant (`a - 3 * b + 1`). */
function linearExpr(l: Linear): Expr {
  let out: Expr | null = null;
  for (const { coef, e } of l.terms) {
    const size = Math.abs(coef) === 1 ? e : b.mul(b.num(Math.abs(coef)), e);
    out = out === null ? (coef < 0 ? b.neg(size) : size) : coef < 0 ? b.sub(out, size) : b.add(out, size);
  }
  return out === null ? b.num(l.constant) : b.add(out, b.num(l.constant));
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
  return (e.kind === "pop" || e.kind === "popBlock" || e.kind === "stackSize") && e.stack === stack;
}
