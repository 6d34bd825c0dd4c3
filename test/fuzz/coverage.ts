/**
 * What a fuzz corpus reached (`npx tsx test/fuzz/run.ts <count> <seed> --coverage`):
 *
 *   - the IR forms of the annotated functions as lowered (statement and expression kinds,
 *     loop forms, operators) and of the generated functions (pushes, pops, stack cursors,
 *     fills…), each against every kind compiler/ir/nodes.ts declares, so a form the corpus
 *     never produced is listed;
 *   - the rules of the compiler's rule table applied to differentiated code (primitives
 *     in the lowered IR);
 *   - features of the generated code that leave a mark in its text (fused loops, shared
 *     pullbacks, custom rules, inlined calls);
 *   - the fuzzer's own forms (forms.ts).
 *
 * It sees the IR through `CompileOptions.observe`, so no pass is reached into.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PRIMITIVES } from "../../compiler/ir/primitives.ts";
import type { Expr, FunctionIR, Stmt } from "../../compiler/ir/nodes.ts";
import { stmtExprs, walkExpr, walkStmts } from "../../compiler/ir/visit.ts";
import { COND_FORMS, EXPR_FORMS, STMT_FORMS } from "./forms.ts";
import type { Program } from "./programs.ts";

const nodesFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../compiler/ir/nodes.ts");

/** The `kind`s of one union type of nodes.ts (`Expr` or `Stmt`), read from its text. */
function kindsOf(union: "Expr" | "Stmt"): string[] {
  let text: string;
  try {
    text = readFileSync(nodesFile, "utf8");
  } catch {
    return [];
  }
  const start = text.indexOf(`export type ${union} =`);
  if (start < 0) return [];
  const end = text.indexOf("\nexport ", start + 1);
  return [...new Set([...text.slice(start, end < 0 ? undefined : end).matchAll(/\{\s*kind: "(\w+)"/g)].map((m) => m[1]!))];
}

/** Marks generated code leaves in its text, with what they show. */
const TEXT_FEATURES: readonly [string, RegExp][] = [
  ["fused last loop", /the last loop's forward and reverse sweeps, fused/],
  ["inner loop run with its reverse", /adjoints the inner loop's reverse reads, known before it/],
  ["shared pullback called", /\w+Pullback\w*\(/],
  ["custom @vjpOf rule called", /softplusVjp\(/],
  ["helper inlined", /inlined \w+\(…\)/],
  ["value stack", /valueStack/],
  ["control stack", /controlStack/],
  ["array cleared (fill(0))", /\.fill\(0\)/],
];

class Counts {
  private readonly map = new Map<string, number>();
  add(key: string, n = 1): void {
    this.map.set(key, (this.map.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.map.get(key) ?? 0;
  }
  keys(): string[] {
    return [...this.map.keys()];
  }
  /** `name count, …` over `universe` (default: the keys seen), then the names never seen. */
  line(universe?: readonly string[]): string {
    const keys = universe ?? this.keys().sort();
    const seen = keys.filter((k) => this.get(k) > 0).map((k) => `${k} ${this.get(k)}`);
    const never = keys.filter((k) => this.get(k) === 0);
    return `${seen.join(", ")}${never.length ? `\n    never: ${never.join(", ")}` : ""}`;
  }
}

/** The rule-table key a node applies, if any. */
function ruleOf(e: Expr): string | undefined {
  if (e.kind === "binary" && e.op in PRIMITIVES) return e.op;
  if (e.kind === "unary" && e.op === "-") return "neg";
  if (e.kind === "call" && e.callee in PRIMITIVES) return e.callee;
  return undefined;
}

class IrCounts {
  readonly stmts = new Counts();
  readonly exprs = new Counts();
  readonly loops = new Counts();
  readonly ops = new Counts();
  readonly rules = new Counts();

  add(fn: FunctionIR): void {
    const expr = (e: Expr) =>
      walkExpr(e, (x) => {
        this.exprs.add(x.kind);
        if (x.kind === "binary" || x.kind === "unary") this.ops.add(x.op);
        const rule = ruleOf(x);
        if (rule) this.rules.add(rule);
      });
    walkStmts(fn.body, (s: Stmt) => {
      this.stmts.add(s.kind);
      if (s.kind === "loop") {
        this.loops.add(s.form);
        if (s.test) expr(s.test);
      }
      for (const e of stmtExprs(s)) expr(e);
    });
  }
}

export class Coverage {
  private programs = 0;
  private readonly source = new IrCounts();
  private readonly generated = new IrCounts();
  private readonly features = new Counts();
  private readonly forms = new Counts();

  /** The `observe` option of compileSources. */
  observer(): { lowered: (fn: FunctionIR) => void; generated: (fn: FunctionIR) => void } {
    return { lowered: (fn) => this.source.add(fn), generated: (fn) => this.generated.add(fn) };
  }

  addProgram(program: Program): void {
    this.programs++;
    for (const f of program.forms) this.forms.add(f);
    for (const h of program.helpers) this.forms.add(`helper:${h}`);
  }

  addGenerated(text: string): void {
    for (const [name, mark] of TEXT_FEATURES) if (mark.test(text)) this.features.add(name);
  }

  /** The rule-table keys and loop forms the lowered IR reached. */
  reached(): { rules: Set<string>; loops: Set<string> } {
    return { rules: new Set(this.source.rules.keys()), loops: new Set(this.source.loops.keys()) };
  }

  report(): string {
    const exprKinds = kindsOf("Expr");
    const stmtKinds = kindsOf("Stmt");
    const formNames = [...STMT_FORMS, ...EXPR_FORMS, ...COND_FORMS].map((f) => f.name);
    return [
      `fuzz coverage over ${this.programs} programs (counts are nodes; features count programs)`,
      `source IR (annotated functions as lowered):`,
      `  statements: ${this.source.stmts.line(stmtKinds.length ? stmtKinds : undefined)}`,
      `  loop forms: ${this.source.loops.line(["for", "while", "doWhile"])}`,
      `  expressions: ${this.source.exprs.line(exprKinds.length ? exprKinds : undefined)}`,
      `  operators: ${this.source.ops.line()}`,
      `rules of the rule table applied to differentiated code: ${this.source.rules.line(Object.keys(PRIMITIVES))}`,
      `generated IR:`,
      `  statements: ${this.generated.stmts.line(stmtKinds.length ? stmtKinds : undefined)}`,
      `  expressions: ${this.generated.exprs.line(exprKinds.length ? exprKinds : undefined)}`,
      `generated code: ${this.features.line(TEXT_FEATURES.map(([n]) => n))}`,
      `fuzzer forms: ${this.forms.line([...formNames.filter((n) => !n.startsWith("Math.")), ...new Set(this.forms.keys().filter((k) => k.startsWith("helper:")))])}`,
    ].join("\n");
  }
}
