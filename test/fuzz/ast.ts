/**
 * The fuzzer's program trees. A generated program is kept as a tree (not text) so that
 * the shrinker can delete statements, unwrap blocks and replace subexpressions, and print
 * each candidate again. A node carries its own printer, so a new form (forms.ts) needs no
 * change here.
 */

export type Type = "number" | "boolean";

export interface Expr {
  /** The form that made it (coverage and shrinking statistics). */
  readonly form: string;
  readonly type: Type;
  readonly kids: readonly Expr[];
  /** Prints the node from its children's texts. */
  readonly print: (kids: readonly string[]) => string;
}

export interface Stmt {
  readonly form: string;
  readonly exprs: readonly Expr[];
  /** Nested statement lists (a loop's body, an if's branches). */
  readonly blocks: readonly (readonly Stmt[])[];
  /** Prints the statement's lines from its expressions' texts and its blocks' lines. */
  readonly print: (exprs: readonly string[], blocks: readonly string[][]) => string[];
}

export function leaf(text: string, type: Type = "number", form = "leaf"): Expr {
  return { form, type, kids: [], print: () => text };
}

export function node(form: string, kids: readonly Expr[], print: (kids: readonly string[]) => string, type: Type = "number"): Expr {
  return { form, type, kids, print };
}

/** A statement of one line (or a fixed group of lines) around its expressions. */
export function simple(form: string, exprs: readonly Expr[], print: (exprs: readonly string[]) => string | string[]): Stmt {
  return { form, exprs, blocks: [], print: (e) => [print(e)].flat() };
}

export function printExpr(e: Expr): string {
  return e.print(e.kids.map(printExpr));
}

export function printStmts(list: readonly Stmt[]): string[] {
  return list.flatMap((s) => s.print(s.exprs.map(printExpr), s.blocks.map(printStmts)));
}

/** Indents each line of a block by two spaces. */
export function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

export function exprSize(e: Expr): number {
  return 1 + e.kids.reduce((n, k) => n + exprSize(k), 0);
}

export function stmtSize(s: Stmt): number {
  return 1 + s.exprs.reduce((n, e) => n + exprSize(e), 0) + s.blocks.reduce((n, b) => n + b.reduce((m, t) => m + stmtSize(t), 0), 0);
}

/** Every form name in a statement list, with repetitions (for statistics). */
export function formsIn(list: readonly Stmt[], out: string[] = []): string[] {
  const expr = (e: Expr) => {
    out.push(e.form);
    e.kids.forEach(expr);
  };
  for (const s of list) {
    out.push(s.form);
    s.exprs.forEach(expr);
    for (const b of s.blocks) formsIn(b, out);
  }
  return out;
}
