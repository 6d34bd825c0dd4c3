/**
 * Last-loop fusion: when the function's last statement is a counted loop whose iterations
 * only add into adjoints, each iteration's reverse runs right after it, in the same scope
 * (its locals need no saving, and the loop runs once). The attempt generates the loop's
 * body as a scope of its own (`fused`); fusionLegal says whether the result may be used.
 * (Inner loops fused with their reverse inside that body: innerLoops.ts.)
 */
import * as b from "../../ir/build.ts";
import type { Expr, Stmt } from "../../ir/nodes.ts";
import { exprReads, lvalueReads, rootName, stmtExprs, walkStmts } from "../../ir/visit.ts";
import { scratchArrays } from "../../analysis/scratch.ts";
import { exprContext, topScope, type Attempt, type Generation } from "./context.ts";
import { contrib } from "./expressions.ts";
import { block, inLoop, reversibleHeader } from "./sweeps.ts";
import type { Swept } from "./types.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;

export interface FusedTail {
  /** The statements before the loop, generated as the function body. */
  head: Swept;
  /** The loop with its body's forward code. */
  loop: Loop;
  /** The body's reverse, to run at the end of each iteration. */
  rev: Stmt[];
  bodyStmts: Stmt[];
  original: Loop;
}

/**
 * Splits off the function's last statement when it is a counted loop, generating its body
 * with locals kept in scope (for fusion) and the statements before it as usual.
 */
export function fusableTail(gen: Generation, attempt: Attempt, body: Stmt[]): FusedTail | null {
  const last = body[body.length - 1];
  if (!last || last.kind !== "loop" || !reversibleHeader(gen, last, new Set())) return null;
  let appends = false;
  walkStmts(last.body, (s) => {
    if (s.kind === "append") appends = true;
  });
  if (appends) return null;
  const head = block(gen, attempt, topScope(), body.slice(0, -1), "top");
  attempt.order++;
  const i = (last.init[0] as Extract<Stmt, { kind: "declare" }>).name;
  const inner = block(gen, attempt, inLoop(attempt, topScope(), new Set([i]), last.span?.line), last.body, "fused");
  return { head, loop: { ...last, body: inner.fwd }, rev: inner.rev, bodyStmts: last.body, original: last };
}

/**
 * Fusing is sound when, inside the loop's reverse, (1) every adjoint of a variable from
 * outside the loop is either only read (its value is final before the loop) or only
 * incremented (increments commute), (2) nothing restores an outer variable from the
 * stack (that would undo the forward recurrence), and (3) what runs before the loop (the
 * seeding) reads nothing the loop writes.
 */
export function fusionLegal(gen: Generation, attempt: Attempt, fused: FusedTail, result: Expr): boolean {
  const { adjointNames } = gen;
  // Scratch arrays of the iterations (analysis/scratch.ts) count as the iteration's own.
  const inner = new Set<string>([(fused.loop.init[0] as { name: string }).name, ...attempt.poppedTemps, ...scratchArrays(gen.input.fn.body, fused.original)]);
  walkStmts(fused.bodyStmts, (s) => {
    if (s.kind === "declare") inner.add(s.name);
  });
  const innerAdjoints = new Set([...inner].map((n) => adjointNames.get(n)).filter((n): n is string => !!n));
  const outerAdjoints = new Set([...adjointNames.values()].filter((n) => !innerAdjoints.has(n)));
  const written = new Set<string>();
  const readOther = new Set<string>();
  let ok = true;
  walkStmts(fused.rev, (s) => {
    if (s.kind === "declare") {
      exprReads(s.init, readOther);
      if (s.init.kind === "pop" && !inner.has(s.name)) ok = false;
      return;
    }
    if (s.kind === "assign") {
      const root = rootName(s.target)!;
      if (s.value.kind === "pop" && !inner.has(root)) ok = false;
      lvalueReads(s.target, readOther);
      if (outerAdjoints.has(root)) {
        written.add(root);
        const inc = s.value.kind === "binary" && (s.value.op === "+" || s.value.op === "-") && b.sameExpr(s.value.left, s.target as Expr);
        if (!inc) ok = false;
        else exprReads((s.value as Extract<Expr, { kind: "binary" }>).right, readOther);
        return;
      }
      exprReads(s.value, readOther);
      return;
    }
    if (s.kind === "shrink") ok = false;
    for (const e of stmtExprs(s)) exprReads(e, readOther);
  });
  for (const name of written) if (readOther.has(name)) ok = false;
  // The seeding runs before the loop: it must not read what the loop writes.
  const loopWrites = new Set<string>();
  walkStmts(fused.bodyStmts, (s) => {
    if (s.kind === "assign") loopWrites.add(rootName(s.target)!);
  });
  for (const name of seedingReads(gen, attempt, result)) if (loopWrites.has(name)) ok = false;
  return ok;
}

/**
 * What the seeding code (the adjoint of the result expression) reads, found by generating
 * it aside (its own names, its own pullback list): `0.5 * quad - lin` reads nothing,
 * `-Math.exp(-sq)` reads sq.
 */
function seedingReads(gen: Generation, attempt: Attempt, result: Expr): Set<string> {
  const reads = new Set<string>();
  if (result.kind === "var") return reads;
  const aside: Attempt = { ...attempt, namer: attempt.namer.clone(), pullbacks: [...attempt.pullbacks] };
  const cx = exprContext(gen, aside, topScope(), null);
  const out: Stmt[] = [];
  const { seed } = gen.input;
  if (result.kind === "arrayLiteral") result.elements.forEach((el, k) => contrib(cx, el, b.index(seed, b.num(k)), out));
  else contrib(cx, result, seed, out);
  walkStmts(out, (x) => {
    for (const e of stmtExprs(x)) exprReads(e, reads);
  });
  return reads;
}
