/**
 * Variable facts the transforms rely on, computed once per (normalized) function.
 *
 * - `reassigned`: targets of an `assign` (a declaration alone is not an assignment), so a
 *   variable outside this set has one value per scope instance and can be recomputed.
 * - `elementsWritten`: arrays whose elements are assigned.
 * - `topLevel`: parameters and variables declared directly in the function body; they stay
 *   in scope for the whole generated function, so the reverse sweep can read them.
 * - `types`: the declared shape of every parameter and local.
 * - `elementAccessOnly`: local number arrays used only as `a[i]` and `a.length`, never
 *   pushed to, reassigned or passed on as a whole: no other name can reach their elements.
 */
import type { Expr, FunctionIR, Stmt, ValueType } from "../ir/nodes.ts";
import { rootName, stmtExprs, walkExpr, walkStmts } from "../ir/visit.ts";
import { leafPaths } from "../ir/types.ts";

export interface VariableInfo {
  reassigned: Set<string>;
  elementsWritten: Set<string>;
  topLevel: Set<string>;
  params: Set<string>;
  types: Map<string, ValueType>;
  elementAccessOnly: Set<string>;
}

export function analyzeVariables(fn: FunctionIR): VariableInfo {
  const info: VariableInfo = {
    reassigned: new Set(),
    elementsWritten: new Set(),
    topLevel: new Set(fn.params.map((p) => p.name)),
    params: new Set(fn.params.map((p) => p.name)),
    types: new Map(fn.params.map((p) => [p.name, p.type])),
    elementAccessOnly: new Set(),
  };
  for (const p of fn.params) {
    if (p.type.kind !== "record") continue;
    for (const leaf of leafPaths(p.name, p.type)) {
      info.topLevel.add(leaf.path);
      info.params.add(leaf.path);
      info.types.set(leaf.path, leaf.type);
    }
  }
  for (const s of fn.body) if (s.kind === "declare") info.topLevel.add(s.name);
  walkStmts(fn.body, (s: Stmt) => {
    if (s.kind === "declare") info.types.set(s.name, s.type);
    if (s.kind === "append") {
      // Its length changes, so neither its elements nor its length are stable.
      info.reassigned.add(s.array);
      info.elementsWritten.add(s.array);
    }
    if (s.kind === "assign") {
      const root = rootName(s.target);
      if (!root) return;
      if (s.target.kind === "var") info.reassigned.add(root);
      else info.elementsWritten.add(root);
    }
  });
  info.elementAccessOnly = elementAccessOnlyArrays(fn, info);
  return info;
}

function elementAccessOnlyArrays(fn: FunctionIR, info: VariableInfo): Set<string> {
  const uses = new Map<string, number>();
  const elementUses = new Map<string, number>();
  const count = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1);
  const visit = (e: Expr) =>
    walkExpr(e, (x) => {
      if (x.kind === "var") count(uses, x.name);
      if ((x.kind === "index" || x.kind === "length") && x.object.kind === "var") count(elementUses, x.object.name);
    });
  walkStmts(fn.body, (s) => stmtExprs(s).forEach(visit));
  const out = new Set<string>();
  for (const [name, type] of info.types) {
    if (info.params.has(name) || info.reassigned.has(name)) continue;
    if (type.kind !== "array" || type.element.kind !== "number") continue;
    if ((uses.get(name) ?? 0) === (elementUses.get(name) ?? 0)) out.add(name);
  }
  return out;
}

/** A variable whose value never changes after its declaration (per scope instance). */
export function isStable(info: VariableInfo, name: string): boolean {
  return !info.reassigned.has(name) && !info.elementsWritten.has(name);
}
