/**
 * Shrinks a failing program to a small one that fails the same way. Greedy, over the
 * program tree (ast.ts): each step tries, in order, deleting a statement (outermost
 * first), replacing a compound statement by its blocks, dropping a term of the result,
 * and replacing an expression by one of its operands or a literal; the first candidate
 * that still fails is kept and the search starts again from it. A candidate that no
 * longer compiles fails differently, so it is never kept. Helpers nothing calls any more
 * are dropped.
 */
import { type Expr, exprSize, leaf, type Stmt, stmtSize } from "./ast.ts";
import { helpersCalled, type Program } from "./programs.ts";

/** A statement list's position: indices alternating statement, block (body[i].blocks[b][j]…). */
type ListPath = readonly number[];

function listAt(body: readonly Stmt[], at: ListPath): readonly Stmt[] {
  let list = body;
  for (let k = 0; k < at.length; k += 2) list = list[at[k]!]!.blocks[at[k + 1]!]!;
  return list;
}

function withList(body: readonly Stmt[], at: ListPath, list: readonly Stmt[]): Stmt[] {
  if (at.length === 0) return [...list];
  const [i, b, ...rest] = at as [number, number, ...number[]];
  const s = body[i]!;
  const blocks = s.blocks.map((block, k) => (k === b ? withList(block, rest, list) : block));
  return body.map((t, k) => (k === i ? { ...s, blocks } : t));
}

/** Every statement list of the body, outermost first. */
function lists(body: readonly Stmt[], at: ListPath = []): ListPath[] {
  const out: ListPath[] = [at];
  listAt(body, at).forEach((s, i) => s.blocks.forEach((_, b) => out.push(...lists(body, [...at, i, b]))));
  return out;
}

/** Each expression position of an expression: the paths of its kids, depth first. */
function exprPaths(e: Expr, at: number[] = []): number[][] {
  return [at, ...e.kids.flatMap((k, i) => exprPaths(k, [...at, i]))];
}

function exprAt(e: Expr, at: readonly number[]): Expr {
  return at.reduce((x, i) => x.kids[i]!, e);
}

function withExpr(e: Expr, at: readonly number[], by: Expr): Expr {
  if (at.length === 0) return by;
  const [i, ...rest] = at as [number, ...number[]];
  return { ...e, kids: e.kids.map((k, j) => (j === i ? withExpr(k, rest, by) : k)) };
}

/** Simpler expressions to try in place of `e`: its operands of the same type, then a literal. */
function simpler(e: Expr): Expr[] {
  if (e.kids.length === 0) return e.type === "number" && e.form !== "literal" && e.form !== "index" ? [leaf("0.5", "number", "literal")] : [];
  const out = e.kids.filter((k) => k.type === e.type);
  if (e.type === "number") out.push(leaf("0.5", "number", "literal"));
  return out;
}

function* candidates(p: Program): Generator<Program> {
  const make = (body: Stmt[], result = p.result): Program => {
    const next = { ...p, body, result };
    return { ...next, helpers: helpersCalled(next) };
  };
  // Statements: delete each (bigger ones first within a list), then unwrap compound ones.
  for (const at of lists(p.body)) {
    const list = listAt(p.body, at);
    const order = list.map((_, i) => i).sort((a, b) => stmtSize(list[b]!) - stmtSize(list[a]!));
    for (const i of order) yield make(withList(p.body, at, list.filter((_, k) => k !== i)));
  }
  for (const at of lists(p.body)) {
    const list = listAt(p.body, at);
    for (const [i, s] of list.entries()) {
      if (s.blocks.length === 0) continue;
      const unwrapped = [s.blocks.flat(), ...s.blocks.filter((b) => b.length > 0)];
      for (const inner of unwrapped) yield make(withList(p.body, at, [...list.slice(0, i), ...inner, ...list.slice(i + 1)]));
    }
  }
  // Terms of the result.
  if (p.result.length > 1) for (let k = 0; k < p.result.length; k++) yield make(p.body, p.result.filter((_, j) => j !== k));
  // Expressions of statements: the biggest first.
  for (const at of lists(p.body)) {
    const list = listAt(p.body, at);
    for (const [i, s] of list.entries()) {
      for (const [k, e] of s.exprs.entries()) {
        const paths = exprPaths(e).sort((a, b) => exprSize(exprAt(e, b)) - exprSize(exprAt(e, a)));
        for (const path of paths) {
          for (const by of simpler(exprAt(e, path))) {
            const stmt = { ...s, exprs: s.exprs.map((x, j) => (j === k ? withExpr(x, path, by) : x)) };
            yield make(withList(p.body, at, list.map((t, j) => (j === i ? stmt : t))));
          }
        }
      }
    }
  }
  for (const [k, e] of p.result.entries()) {
    for (const path of exprPaths(e)) for (const by of simpler(exprAt(e, path))) yield make(p.body, p.result.map((r, j) => (j === k ? withExpr(r, path, by) : r)));
  }
}

/**
 * The smallest program reached from `program` whose every step `stillFails`, trying at
 * most `budget` candidates.
 */
export async function shrink(program: Program, stillFails: (p: Program) => Promise<boolean>, progress?: (tried: number) => void, budget = 400): Promise<Program> {
  let best = { ...program, helpers: helpersCalled(program) };
  let tried = 0;
  let improved = true;
  while (improved && tried < budget) {
    improved = false;
    for (const candidate of candidates(best)) {
      if (tried++ >= budget) break;
      progress?.(tried);
      if (await stillFails(candidate)) {
        best = candidate;
        improved = true;
        break;
      }
    }
  }
  return best;
}
