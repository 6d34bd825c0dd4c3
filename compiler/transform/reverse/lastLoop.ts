/**
 * Moving the heaviest loop last, for reverse mode: fusion.ts runs the function's last
 * loop fused with its own reverse (each iteration's adjoints right after it, nothing saved
 * across iterations), so it pays to have the costliest loop there. Natural code often puts
 * independent work after it, as ADBench's GMM objective adds its prior after the
 * likelihood's loop over the data points:
 *
 *   for (i …) slse += …;                      const prior = …;    (its own loops too)
 *   const ll = normalizer + slse;       →     for (i …) slse += …;
 *   const prior = …;                          return normalizer + slse + prior;
 *   return ll + prior;
 *
 * Statements after the loop that neither read what it writes nor write what it reads move
 * before it, in their order; what must stay after it has to be declarations of numbers
 * that the result reads once (or that are a plain name), which are substituted into the
 * result. Anything else leaves the function as it was. Only whole statements move, and
 * only past statements they do not touch, so every value, to the last bit, is what the
 * original order computes; strategy.ts generates both orders and keeps the one whose
 * forward sweep saves less (`reverseMode`).
 */
import { conflict, effectsOf, type Effects } from "../../analysis/effects.ts";
import type { Expr, Stmt } from "../../ir/nodes.ts";
import { mentionedNames, someExpr, walkExpr, walkStmts } from "../../ir/visit.ts";
import { substituteVar } from "../../ir/rewrite.ts";

/** The body with its heaviest top-level loop last and the result it then returns, or null when that cannot be done (or it is last already). */
export function heaviestLoopLast(body: Stmt[], result: Expr): { body: Stmt[]; result: Expr } | null {
  const at = heaviestLoop(body);
  if (at < 0 || at === body.length - 1) return null;
  const loop = body[at]!;
  // A comment belongs to the statement after it.
  const units: Stmt[][] = [];
  let pending: Stmt[] = [];
  for (const s of body.slice(at + 1)) {
    pending.push(s);
    if (s.kind !== "comment") {
      units.push(pending);
      pending = [];
    }
  }
  const loopEffects = strict(effectsOf([loop]));
  const moved: Stmt[][] = [];
  const stayed: { unit: Stmt[]; effects: Effects }[] = [];
  for (const unit of units) {
    const effects = strict(effectsOf(unit));
    if (!conflict(loopEffects, effects) && !stayed.some((s) => conflict(s.effects, effects))) moved.push(unit);
    else stayed.push({ unit, effects });
  }
  if (moved.length === 0) return null;
  // What stays is substituted into the result, last first: `const ll = normalizer + slse`.
  let out = result;
  for (let k = stayed.length - 1; k >= 0; k--) {
    const s = stayed[k]!.unit.filter((x) => x.kind !== "comment");
    const decl = s[0];
    if (s.length !== 1 || decl?.kind !== "declare" || decl.mutable || decl.type.kind !== "number" || hasCall(decl.init)) return null;
    const uses = countReads(out, decl.name);
    const elsewhere = [...body.slice(0, at + 1), ...moved.flat()].some((x) => mentions(x, decl.name));
    if (elsewhere || uses === 0 || (uses > 1 && decl.init.kind !== "var" && decl.init.kind !== "number")) return null;
    out = substituteVar(out, decl.name, decl.init);
  }
  // The comments that introduce the loop stay with it; one left after the last statement goes.
  let lead = at;
  while (lead > 0 && body[lead - 1]!.kind === "comment") lead--;
  return { body: [...body.slice(0, lead), ...moved.flat(), ...body.slice(lead, at + 1)], result: out };
}

/** The top-level loop with the deepest nest (then the most statements); -1 without loops. */
function heaviestLoop(body: Stmt[]): number {
  let best = -1;
  let bestWeight: [number, number] = [0, 0];
  body.forEach((s, k) => {
    if (s.kind !== "loop") return;
    const weight: [number, number] = [depth(s), size(s)];
    if (best < 0 || weight[0] > bestWeight[0] || (weight[0] === bestWeight[0] && weight[1] > bestWeight[1])) {
      best = k;
      bestWeight = weight;
    }
  });
  return best;
}

function depth(s: Stmt): number {
  const inner = (list: Stmt[]): number => Math.max(0, ...list.map(depth));
  switch (s.kind) {
    case "loop": return 1 + inner(s.body);
    case "if": return Math.max(inner(s.then), inner(s.else));
    case "block": return inner(s.body);
    default: return 0;
  }
}

function size(s: Stmt): number {
  let n = 0;
  walkStmts([s], () => n++);
  return n;
}

/** Primal additions do not commute (floating point): moving `t += e` past another changes t's last bits. */
function strict(e: Effects): Effects {
  return { ...e, writes: new Set([...e.writes, ...e.adds]), adds: new Set() };
}

function hasCall(e: Expr): boolean {
  return someExpr(e, (x) => x.kind === "userCall" || x.kind === "pop");
}

function countReads(e: Expr, name: string): number {
  let n = 0;
  walkExpr(e, (x) => {
    if (x.kind === "var" && x.name === name) n++;
  });
  return n;
}

function mentions(s: Stmt, name: string): boolean {
  return mentionedNames(s).has(name);
}
