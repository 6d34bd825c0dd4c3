/**
 * What several annotations of one file generate twice, said once (issue 17, item 6):
 *
 * - **One type alias per wrt list.** `@grad x`, `@hvp x` and `@jacobian x` each name the
 *   record of x's shape (`FGradient`, `FHvpGradient`, `FJacobianGradient`): one type. The
 *   aliases of one function with the same text become one, named `FGradient` (the @grad
 *   alias, or the plain name where no other alias of the file has it), else the first of
 *   them; every signature, annotation and doc comment says that name.
 * - **One body per function.** A private function identical but for its name to another
 *   one (the Jacobian's forward sweep `fJacobianJvp` and the `fJvp` of `@jvp` on the same
 *   parameters) is not emitted twice: its callers call the other, an exported one first,
 *   and the pipeline's withoutUncalled drops the orphan.
 *
 * Takes every function and type alias a file's derivatives generated, and the function
 * each alias describes; gives the same functions (same results, bit for bit) and aliases,
 * without the duplicates. The last step before the module is assembled.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt, ValueType } from "../ir/nodes.ts";
import { mapExpr, mapStmtExprs } from "../ir/visit.ts";
import { pascalCase } from "./unit.ts";

type Alias = ModuleIR["typeAliases"][number];

export function withoutDuplicates(functions: FunctionIR[], aliases: Alias[], ownerOf: (alias: string) => string | undefined): { functions: FunctionIR[]; aliases: Alias[] } {
  const shared = oneAliasPerShape(aliases, ownerOf);
  const renamed = shared.renamed.size > 0 ? functions.map((f) => withTypesRenamed(f, shared.renamed)) : functions;
  return { functions: oneBodyPerFunction(renamed), aliases: shared.aliases };
}

/** The aliases without duplicates, and the new name of each alias that went. */
function oneAliasPerShape(aliases: Alias[], ownerOf: (alias: string) => string | undefined): { aliases: Alias[]; renamed: Map<string, string> } {
  const renamed = new Map<string, string>();
  const groups = new Map<string, Alias[]>();
  for (const alias of aliases) {
    const owner = ownerOf(alias.name);
    if (owner === undefined) continue;
    const key = `${owner}\n${alias.text}`;
    groups.set(key, [...(groups.get(key) ?? []), alias]);
  }
  const names = new Set(aliases.map((a) => a.name));
  // Each merged group is emitted once, where its first alias was; the others go.
  const kept = new Map<string, Alias>();
  const dropped = new Set<string>();
  for (const [key, group] of groups) {
    if (group.length < 2) continue;
    const owner = key.slice(0, key.indexOf("\n"));
    const plain = `${pascalCase(owner)}Gradient`;
    const name = group.some((a) => a.name === plain) || !names.has(plain) ? plain : group[0]!.name;
    names.add(name);
    const doc = group.find((a) => a.name === plain)?.doc ?? `Derivative record of \`${owner}\`: one field per differentiated parameter, same shape.`;
    kept.set(group[0]!.name, { name, text: group[0]!.text, doc });
    for (const a of group) if (a.name !== name) renamed.set(a.name, name);
    for (const a of group.slice(1)) dropped.add(a.name);
  }
  const out: Alias[] = [];
  for (const alias of aliases) {
    const merged = kept.get(alias.name);
    if (merged) out.push(merged);
    else if (!dropped.has(alias.name)) out.push(alias);
  }
  return { aliases: out, renamed };
}

/** `fn` with every type name in `renamed` replaced where types are written: parameters, the return type, declarations' types and annotations, the doc comment. */
function withTypesRenamed(fn: FunctionIR, renamed: Map<string, string>): FunctionIR {
  const pattern = new RegExp(`\\b(${[...renamed.keys()].join("|")})\\b`, "g");
  const text = (t: string) => t.replace(pattern, (name) => renamed.get(name)!);
  const opaque = (type: ValueType): ValueType => {
    switch (type.kind) {
      case "opaque": return { ...type, text: text(type.text) };
      case "array": return { ...type, element: opaque(type.element) };
      case "record": return { ...type, fields: type.fields.map((f) => ({ ...f, type: opaque(f.type) })) };
      default: return type;
    }
  };
  const body = mapStmtExprs(fn.body, () => undefined, (s: Stmt): Stmt =>
    s.kind === "declare" ? { ...s, type: opaque(s.type), ...(s.annotation !== undefined && { annotation: text(s.annotation) }) } : s,
  );
  return {
    ...fn,
    params: fn.params.map((p) => ({ ...p, typeText: text(p.typeText), type: opaque(p.type) })),
    returnTypeText: text(fn.returnTypeText),
    returnType: opaque(fn.returnType),
    body,
    ...(fn.doc !== undefined && { doc: text(fn.doc) }),
  };
}

/**
 * The functions, with calls of a private function identical to an earlier or exported one
 * (all but name, doc comment and export) made to that one instead.
 */
function oneBodyPerFunction(functions: FunctionIR[]): FunctionIR[] {
  // Whole bodies are compared as text only between functions with the same signature and
  // number of statements (a necessary condition): stringifying every body, twice, cost a
  // 5,000-statement gradient more than a tenth of its compile.
  const signature = (f: FunctionIR) => `${f.body.length} ${JSON.stringify({ params: f.params, returnType: f.returnType, returnTypeText: f.returnTypeText })}`;
  const bySignature = new Map<string, number>();
  for (const f of functions) {
    const alike = signature(f);
    bySignature.set(alike, (bySignature.get(alike) ?? 0) + 1);
  }
  const shapes = new Map<FunctionIR, string>();
  const shape = (f: FunctionIR): string => {
    let found = shapes.get(f);
    if (found === undefined) {
      const alike = signature(f);
      found = bySignature.get(alike)! > 1 ? JSON.stringify({ params: f.params, returnType: f.returnType, returnTypeText: f.returnTypeText, body: f.body }) : `${alike} ${f.name}`;
      shapes.set(f, found);
    }
    return found;
  };
  const first = new Map<string, FunctionIR>();
  // Exported functions first: a private duplicate defers to the public one.
  for (const f of [...functions.filter((f) => f.exported), ...functions.filter((f) => !f.exported)]) {
    const key = shape(f);
    if (!first.has(key)) first.set(key, f);
  }
  const replaced = new Map<string, string>();
  for (const f of functions) {
    const kept = first.get(shape(f))!;
    if (kept !== f && !f.exported) replaced.set(f.name, kept.name);
  }
  if (replaced.size === 0) return functions;
  const redirected = (x: Expr): Expr | undefined =>
    (x.kind === "call" || x.kind === "userCall") && replaced.has(x.callee)
      ? { ...x, callee: replaced.get(x.callee)!, args: x.args.map((a) => mapExpr(a, redirected)) }
      : undefined;
  return functions.map((f) => ({
    ...f,
    body: mapStmtExprs(f.body, redirected, (s) => (s.kind === "call" && replaced.has(s.callee) ? { ...s, callee: replaced.get(s.callee)! } : s)),
  }));
}
