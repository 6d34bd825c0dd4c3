/**
 * What `tsgrad verify` checks in a set of sources: every function carrying derivative tags
 * (with its parameters' shapes and, per list of differentiated parameters, the modes
 * generated for it), and every `@vjpOf` rule with the primal it stands for. The front
 * end's own discovery and lowering decide, so verify sees what `build` compiled. No disk.
 */
import { ts } from "../typescript.ts";
import { DiagnosticError, type Diagnostic } from "../diagnostics.ts";
import { ProgramIndex } from "../frontend/program.ts";
import { lowerFunction } from "../frontend/lower.ts";
import { tagsOf } from "../frontend/functions.ts";
import { shapeOfTypeNode } from "../frontend/types.ts";
import { isDifferentiable } from "../ir/types.ts";
import type { DerivativeRequest, Expr, FunctionIR, ValueType } from "../ir/nodes.ts";
import { exprReads, stmtExprs, walkExpr, walkStmts } from "../ir/visit.ts";
import type { PointParam } from "./points.ts";
import type { SourceInput } from "../pipeline.ts";

export type Mode = DerivativeRequest["mode"];

export interface FunctionTarget {
  kind: "function";
  file: string;
  /** The name generated functions derive from (`loss` → lossGrad). */
  name: string;
  /** How the module exports it (`default` for an anonymous default export); for a method, its class's name. */
  exportName?: string;
  /** A method: its name on the class, and whether it is static (else its receiver is the first parameter). */
  method?: { name: string; isStatic: boolean };
  line: number;
  /** `whole`: a number the function uses as an index or a size (verify guesses a whole number for it). */
  params: PointParam[];
  /**
   * Modes sharing one list of differentiated parameters (tags with different lists are checked
   * apart), and whether they are the sparse forms (`@hessian x sparse`: fHessianSparse).
   */
  groups: { wrt: string[]; modes: Mode[]; sparse: boolean }[];
}

export interface RuleTarget {
  kind: "rule";
  /** The file and name of the rule (the function tagged `@vjpOf primal`). */
  file: string;
  name: string;
  line: number;
  primal: string;
  /** Where the primal is declared and its name there, when it is a function of the sources (else it comes from a package). */
  primalFile?: string;
  primalName?: string;
  /** The primal's parameters: the rule's own, less the cotangent and the gradient record. */
  params: { name: string; type: ValueType }[];
  differentiable: string[];
}

export type Target = FunctionTarget | RuleTarget;

export function findTargets(inputs: readonly SourceInput[], only?: ReadonlySet<string>): { targets: Target[]; diagnostics: Diagnostic[] } {
  const program = new ProgramIndex();
  const files = inputs.map((input) => ({ input, sf: program.add(input.path, input.text) }));
  const targets: Target[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const { input, sf } of files) {
    if (only && !only.has(input.path)) continue;
    const discovery = program.discovery(input.path);
    diagnostics.push(...discovery.diagnostics);
    for (const annotated of discovery.functions) {
      try {
        const fn = lowerFunction(annotated.source, sf, input.path, discovery.module);
        const groups: FunctionTarget["groups"] = [];
        for (const request of annotated.requests) {
          const sparse = request.sparse === true;
          const group = groups.find((g) => g.wrt.join() === request.wrt.join() && g.sparse === sparse);
          if (group) group.modes.push(request.mode);
          else groups.push({ wrt: [...request.wrt], modes: [request.mode], sparse });
        }
        const { source } = annotated;
        const { method } = source;
        const exportName = method ? method.className : source.isDefault ? "default" : (source.localName ?? undefined);
        const methodName = method ? (source.localName ?? "").split(".").pop()! : "";
        targets.push({
          kind: "function",
          file: input.path,
          name: fn.name,
          exportName,
          ...(method ? { method: { name: methodName, isStatic: method.isStatic } } : {}),
          line: fn.span.line,
          params: paramsOf(fn),
          groups,
        });
      } catch (error) {
        if (error instanceof DiagnosticError) diagnostics.push(error.diagnostic);
        else throw error;
      }
    }
    for (const f of discovery.module.functions) {
      const tag = tagsOf(f.docHost).find((t) => t.tagName.text === "vjpOf");
      if (!tag || f.method || !f.localName) continue;
      const primal = (typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? "").trim();
      const own = f.node.parameters.slice(0, -2);
      const params = own.map((p) => {
        const shape = p.type ? shapeOfTypeNode(p.type, discovery.module.resolveType) : ({ error: "any" } as const);
        return { name: p.name.getText(sf), type: "error" in shape ? ({ kind: "opaque", text: p.type?.getText(sf) ?? "any" } as ValueType) : shape };
      });
      const line = sf.getLineAndCharacterOfPosition(f.nameNode.getStart(sf)).line + 1;
      const found = program.customVjp(input.path, primal);
      targets.push({
        kind: "rule",
        file: input.path,
        name: f.localName,
        line,
        primal,
        primalFile: found?.primalFile,
        primalName: found?.primalName,
        params,
        differentiable: params.filter((p) => isDifferentiable(p.type)).map((p) => p.name),
      });
    }
  }
  return { targets, diagnostics };
}

/** The function's parameters, a number used as an index or a size marked `whole`. */
function paramsOf(fn: FunctionIR): PointParam[] {
  const whole = wholeNumberParams(fn);
  return fn.params.map((p) => ({ name: p.name, type: p.type, ...(whole.has(p.name) && { whole: true }) }));
}

/**
 * Number parameters that index an array (`x[k]`, `x.at(-k)`), size one (`new Array(n)`) or
 * bound a counted loop (`i < n`), directly or through locals computed from them: a guess in
 * [0.1, 1] would read outside the arrays or throw, so verify guesses a whole number.
 */
function wholeNumberParams(fn: FunctionIR): Set<string> {
  const numbers = new Set(fn.params.filter((p) => p.type.kind === "number").map((p) => p.name));
  // Which number parameters each local is computed from (declarations and assignments, to a fixpoint).
  const from = new Map<string, Set<string>>(fn.params.map((p) => [p.name, new Set(numbers.has(p.name) ? [p.name] : [])]));
  const sources = (e: Expr): Set<string> => new Set([...exprReads(e)].flatMap((name) => [...(from.get(name) ?? [])]));
  for (let changed = true; changed; ) {
    changed = false;
    walkStmts(fn.body, (s) => {
      const written = s.kind === "declare" ? { target: s.name, value: s.init } : s.kind === "assign" && s.target.kind === "var" ? { target: s.target.name, value: s.value } : null;
      if (!written || numbers.has(written.target)) return;
      const { target, value } = written;
      const known = from.get(target) ?? new Set<string>();
      for (const p of sources(value)) {
        if (!known.has(p)) {
          known.add(p);
          changed = true;
        }
      }
      from.set(target, known);
    });
  }
  const whole = new Set<string>();
  const mark = (e: Expr) => {
    for (const p of sources(e)) whole.add(p);
  };
  walkStmts(fn.body, (s) => {
    if (s.kind === "loop" && s.form === "for" && s.test) mark(s.test);
    for (const e of stmtExprs(s)) {
      walkExpr(e, (x) => {
        if (x.kind === "index") mark(x.index);
        else if (x.kind === "zeros") mark(x.length);
      });
    }
  });
  return whole;
}
