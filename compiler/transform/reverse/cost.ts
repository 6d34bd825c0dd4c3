/**
 * The cost model the strategy search weighs generated bodies with: pushes onto the stacks
 * and passes over loops, each weighted by how often it runs (literal trip counts where the
 * bounds are literals, LOOP_WEIGHT per level of nesting otherwise).
 */
import type { Stmt } from "../../ir/nodes.ts";
import { rootName } from "../../ir/visit.ts";
import { countedHeader } from "../../analysis/loops.ts";

/**
 * Pushes of each array's elements in a forward sweep, weighted by how often each runs: a
 * loop with literal bounds by its trip count, any other loop by LOOP_WEIGHT (its trip count
 * is unknown at compile time; deeper is assumed more often).
 */
export function pushCost(body: Stmt[], arrays: Set<string>): Map<string, number> {
  const cost = new Map<string, number>();
  weighted(body, (s, weight) => {
    if (s.kind !== "push" || s.value.kind !== "index") return;
    const root = rootName(s.value);
    if (root && arrays.has(root)) cost.set(root, (cost.get(root) ?? 0) + weight);
  });
  return cost;
}

/**
 * What a generated body costs beyond the primal, roughly: its pushes and its loop passes,
 * each weighted as in pushCost. Fusing a loop with its reverse removes a pass over the
 * loop's nest and whatever the iterations saved for it.
 */
export function sweepCost(body: Stmt[]): number {
  let cost = 0;
  weighted(body, (s, weight) => {
    if (s.kind === "push" || s.kind === "loop") cost += weight;
  });
  return cost;
}

/**
 * Visits the statements with how often each runs, relative to the body: a loop with
 * literal bounds multiplies by its trip count, any other loop by LOOP_WEIGHT (its trip
 * count is unknown at compile time; deeper is assumed more often).
 */
function weighted(body: Stmt[], visit: (s: Stmt, weight: number) => void): void {
  const LOOP_WEIGHT = 16;
  const walk = (stmts: Stmt[], weight: number): void => {
    for (const s of stmts) {
      visit(s, weight);
      if (s.kind === "loop") walk(s.body, weight * (literalTrips(s) ?? LOOP_WEIGHT));
      if (s.kind === "if") {
        walk(s.then, weight);
        walk(s.else, weight);
      }
      if (s.kind === "block") walk(s.body, weight);
    }
  };
  walk(body, 1);
}

/** The trip count of `for (let i = a; i < b; i++)` with literal a and b (also <=, >, >=, i--). */
function literalTrips(s: Extract<Stmt, { kind: "loop" }>): number | null {
  const header = countedHeader(s);
  if (!header || header.stride !== 1 || header.init.init.kind !== "number" || header.bound.kind !== "number") return null;
  const span = header.bound.value - header.init.init.value;
  const trips = { "<": span, "<=": span + 1, ">": -span, ">=": 1 - span }[header.op];
  return Math.max(0, trips);
}
