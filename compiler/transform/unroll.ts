/**
 * Small innermost loops inside other loops run two iterations per trip:
 *
 *   for (let j = 0; j < D; j++) {            {
 *     t[j] = q[k * D + j] * (x[j] - m[j]);      let j = 0;
 *   }                                           for (; j + 1 < D; j += 2) {
 *                                                 t[j] = q[k * D + j] * (x[j] - m[j]);
 *                                                 const j_1 = j + 1;
 *                                           →     t[j_1] = q[k * D + j_1] * (x[j_1] - m[j_1]);
 *                                               }
 *                                               if (j < D) {
 *                                                 t[j] = q[k * D + j] * (x[j] - m[j]);
 *                                               }
 *                                             }
 *
 * V8 checks every array's map and bounds again in each iteration of a loop (its load
 * elimination stops at the loop's back edge), and a loop entered costs its header and
 * exit; a trip of two iterations checks each array once for two elements. Where the loop
 * runs few iterations each time it is entered (GMM's loops over a component's d = 2
 * coordinates, once per component and data point) that overhead is most of the work.
 *
 * The same statements run in the same order, bit for bit: the pair test `j + 1 < D` holds
 * exactly when the original tests for j and j + 1 both would (the bound reads nothing the
 * body writes), and when it fails at most one iteration is left. Only loops nested in
 * another loop (entered many times), counting by one, whose body is at most
 * MAX_STATEMENTS declarations and assignments with no calls but Math's, are unrolled:
 * small bodies gain the most, and the generated code stays short.
 */
import type { Expr, FunctionIR, Stmt } from "../ir/nodes.ts";
import * as b from "../ir/build.ts";
import { PRIMITIVES } from "../ir/primitives.ts";
import { renameVariable } from "../ir/rewrite.ts";
import { containsLoop, exprReads, rootName, someExpr, someStmt, stmtExprs } from "../ir/visit.ts";
import { countedHeader } from "../analysis/loops.ts";
import { Namer } from "./naming.ts";
import { withoutDeadResets } from "./deadResets.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;

/** The largest body unrolled, in statements (comments aside). */
export const MAX_STATEMENTS = 4;

/** `fn` with each small innermost loop nested in another loop unrolled by two (see above). */
export function unrollLoopsIn(fn: FunctionIR, reserved: readonly string[]): FunctionIR {
  // Nothing to unroll without a loop: kept as it is (asked once of a body by all the loop-only passes).
  if (!containsLoop(fn.body)) return fn;
  // Debug builds' functions (with run-time checks) are left as generated.
  if (someStmt(fn.body, (s) => s.kind === "check")) return fn;
  const namer = Namer.forFunction(fn, reserved);
  let changed = false;
  const list = (stmts: Stmt[], inLoop: boolean): Stmt[] =>
    stmts.map((s) => {
      switch (s.kind) {
        case "if": return { ...s, then: list(s.then, inLoop), else: list(s.else, inLoop) };
        case "block": return { ...s, body: list(s.body, inLoop) };
        case "loop": {
          const unrolled = inLoop ? unroll(s, namer) : null;
          if (unrolled) {
            changed = true;
            return unrolled;
          }
          return { ...s, body: list(s.body, true) };
        }
        default: return s;
      }
    });
  // Tidy strikes out adjoint resets in the last loop that touches a local buffer
  // (deadResets.ts), which it no longer recognizes in a pair of iterations: first.
  const body = list(withoutDeadResets(fn.body), false);
  return changed ? { ...fn, body } : fn;
}

/** An expression that only computes: no stack operation, allocation or call other than Math's. */
function computes(e: Expr): boolean {
  return !someExpr(e, (x) => x.kind === "pop" || x.kind === "popBlock" || x.kind === "stackBuffer" || x.kind === "stackReserve" || x.kind === "stackSize" || x.kind === "cursorMove" || x.kind === "userCall" || x.kind === "record" || x.kind === "zeros" || x.kind === "zerosLike" || x.kind === "arrayLiteral" || (x.kind === "call" && !(x.callee.startsWith("Math.") && PRIMITIVES[x.callee])));
}

/** The unrolled loop (a block), or null when `loop` is not one this applies to. */
function unroll(loop: Loop, namer: Namer): Stmt | null {
  const header = countedHeader(loop);
  if (!header || header.stride !== 1 || !computes(loop.test!) || !computes(header.init.init)) return null;
  const body = loop.body.filter((s) => s.kind !== "comment");
  if (body.length === 0 || body.length > MAX_STATEMENTS) return null;
  // Straight-line declarations and assignments; stack cursors (`saved[savedTop++]`) run in order, as before.
  const writes = new Set<string>();
  for (const s of body) {
    if (s.kind !== "declare" && s.kind !== "assign") return null;
    for (const e of stmtExprs(s)) {
      if (someExpr(e, (x) => x.kind === "userCall" || x.kind === "record" || x.kind === "zeros" || x.kind === "zerosLike" || x.kind === "arrayLiteral" || x.kind === "stackReserve" || (x.kind === "call" && !(x.callee.startsWith("Math.") && PRIMITIVES[x.callee])))) return null;
      someExpr(e, (x) => (x.kind === "cursorMove" && writes.add(x.name), false));
    }
    if (s.kind === "declare") writes.add(s.name);
    else writes.add(rootName(s.target)!);
  }
  // The counter changes only by the loop's step, and the test reads nothing else the body changes.
  const i = header.i;
  if (writes.has(i)) return null;
  const tested = exprReads(loop.test!);
  tested.delete(i);
  if ([...tested].some((n) => writes.has(n))) return null;

  const step = (by: number) => (header.up ? b.add(b.v(i), b.num(by)) : b.sub(b.v(i), b.num(by)));
  const next = namer.fresh(i);
  // The second copy without the comments: the first one's say it.
  let second = renameVariable(body, i, next);
  for (const s of body) if (s.kind === "declare") second = renameVariable(second, s.name, namer.fresh(s.name));
  const pairTest = b.bin(header.op, step(1), header.bound);
  return {
    kind: "block",
    body: [
      { ...header.init, mutable: true },
      {
        kind: "loop",
        form: "for",
        init: [],
        test: pairTest,
        update: [b.assign(b.v(i) as Extract<Expr, { kind: "var" }>, step(2))],
        body: [...loop.body, b.declare(next, step(1)), ...second],
        ...(loop.span && { span: loop.span }),
      },
      // The pair test failed: the original test holds for at most one more iteration.
      { kind: "if", test: loop.test!, then: loop.body, else: [] },
    ],
  };
}
