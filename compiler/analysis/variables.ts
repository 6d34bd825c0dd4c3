/**
 * Variable facts the transforms rely on, computed once per (normalized) function.
 *
 * - `reassigned`: targets of an `assign` (a declaration alone is not an assignment), so a
 *   variable outside this set has one value per scope instance and can be recomputed.
 * - `elementsWritten`: arrays whose elements are assigned.
 * - `topLevel`: parameters and variables declared directly in the function body; they stay
 *   in scope for the whole generated function, so the reverse sweep can read them.
 * - `types`: the declared shape of every parameter and local.
 */
import type { FunctionIR, Stmt, ValueType } from "../ir/nodes.ts";
import { rootName, walkStmts } from "../ir/visit.ts";
import { leafPaths } from "../frontend/types.ts";

export interface VariableInfo {
  reassigned: Set<string>;
  elementsWritten: Set<string>;
  topLevel: Set<string>;
  params: Set<string>;
  types: Map<string, ValueType>;
}

export function analyzeVariables(fn: FunctionIR): VariableInfo {
  const info: VariableInfo = {
    reassigned: new Set(),
    elementsWritten: new Set(),
    topLevel: new Set(fn.params.map((p) => p.name)),
    params: new Set(fn.params.map((p) => p.name)),
    types: new Map(fn.params.map((p) => [p.name, p.type])),
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
  return info;
}

/** A variable whose value never changes after its declaration (per scope instance). */
export function isStable(info: VariableInfo, name: string): boolean {
  return !info.reassigned.has(name) && !info.elementsWritten.has(name);
}
