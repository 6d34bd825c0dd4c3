/**
 * Jumps the IR has no statement for, lowered to the ones it has (`break`, `continue`,
 * `return`, `if`, flags):
 *
 *   switch (k) { case 0: a; break; case 1: case 2: b; break; default: c }
 *       → if (k === 0) { a } else if (k === 1 || k === 2) { b } else { c }
 *   break outer / continue outer      (a labelled jump out of inner loops)
 *   return e inside a callback body   (reduce/map/forEach inlined into a loop: callbacks.ts)
 *
 * Each such jump ends a *region* (a case body, a loop body, a callback body): `closeRegion`
 * removes the region's exits. After an exit, the rest of its sequence is dead; after an
 * `if` one of whose branches always exits, the rest moves into the other branch (as by
 * hand); anything else that may exit sets a flag (`let done = false`) and the rest runs
 * under `if (!done)`. Inside a loop of the region, an exit sets the flag and breaks out,
 * and each enclosing loop of the region breaks out when the flag is set. Plain `break` and
 * `continue` of the innermost loop stay as they are: control-flow normalization handles them.
 */
import { ts } from "../typescript.ts";
import type { DiagnosticCode, SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { Expr, LValue, Stmt, ValueType } from "../ir/nodes.ts";

/** A statement a jump can leave: a loop (IR or generated), a switch, a labelled block, or a callback body. */
export interface JumpTarget {
  kind: "loop" | "switch" | "block" | "callback";
  label?: string;
  /** The exits of the region being lowered (the current case body, loop body or callback body). */
  exits: Set<Stmt>;
  /** A loop left by `break label` from inside another loop: set before the exit, tested after the body. */
  breakFlag?: string;
  /** Where a callback's `return e` puts e (the accumulator, `ys[i]`); none for forEach. */
  resultTarget?: LValue;
  /** A local function's body inlined where it is called (no loop of its own): every return exits the region. */
  noLoop?: boolean;
}

/** What switch lowering needs from the lowering. */
export interface SwitchLowerer {
  span(node: ts.Node): SourceSpan;
  reject(code: DiagnosticCode, message: string, node: ts.Node): never;
  lowerExpr(e: ts.Expression): Expr;
  typeOf(e: Expr, node: ts.Node): ValueType;
  /** Lowers statements in a scope of their own, with `target` as the innermost jump target. */
  lowerInTarget(target: JumpTarget, statements: readonly ts.Statement[]): Stmt[];
  /** A fresh IR name (not bound to any source name). */
  fresh(base: string): string;
}

/** True if a statement list holds one of `exits` (at any depth). */
export function containsExit(list: readonly Stmt[], exits: ReadonlySet<Stmt>): boolean {
  return list.some((s) => {
    if (exits.has(s)) return true;
    switch (s.kind) {
      case "if": return containsExit(s.then, exits) || containsExit(s.else, exits);
      case "loop": return containsExit(s.body, exits);
      case "block": return containsExit(s.body, exits);
      default: return false;
    }
  });
}

/** Removes the exits of a region (see the header); the flag, if one is needed, is declared first. */
export function closeRegion(body: Stmt[], exits: ReadonlySet<Stmt>, fresh: (base: string) => string, flagBase = "done"): Stmt[] {
  if (exits.size === 0 || !containsExit(body, exits)) return body;
  let flag: string | null = null;
  let flagRead = false;
  const flagName = () => (flag ??= fresh(flagBase));
  const readFlag = () => {
    flagRead = true;
    return b.v(flagName());
  };
  const setFlag = (): Stmt => b.assign({ kind: "var", name: flagName() }, b.bool(true));

  // Inside a loop of the region: set the flag and leave the loop; enclosing loops follow.
  const inLoop = (list: Stmt[]): Stmt[] =>
    list.flatMap((s): Stmt[] => {
      if (exits.has(s)) return [setFlag(), { kind: "break", ...spanOf(s) }];
      switch (s.kind) {
        case "if": return [{ ...s, then: inLoop(s.then), else: inLoop(s.else) }];
        case "block": return [{ ...s, body: inLoop(s.body) }];
        case "loop":
          if (!containsExit(s.body, exits)) return [s];
          return [{ ...s, body: inLoop(s.body) }, { kind: "if", test: readFlag(), then: [{ kind: "break" }], else: [] }];
        default: return [s];
      }
    });

  // At the region's own level. `flagging`: exits also set the flag (a caller tests it).
  const seq = (list: Stmt[], flagging: boolean): { out: Stmt[]; must: boolean } => {
    const out: Stmt[] = [];
    for (let k = 0; k < list.length; k++) {
      const s = list[k]!;
      const rest = list.slice(k + 1);
      if (exits.has(s)) {
        if (flagging) out.push(setFlag());
        return { out, must: true };
      }
      if (!containsExit([s], exits)) {
        out.push(s);
        continue;
      }
      if (s.kind === "block") return joined(out, seq([...s.body, ...rest], flagging));
      if (s.kind === "if") {
        const t = seq(s.then, flagging);
        const e = seq(s.else, flagging);
        if (t.must && e.must) {
          out.push({ ...s, then: t.out, else: e.out });
          return { out, must: true };
        }
        if (t.must) {
          const r = seq([...s.else, ...rest], flagging);
          out.push({ ...s, then: t.out, else: r.out });
          return { out, must: r.must };
        }
        if (e.must) {
          const r = seq([...s.then, ...rest], flagging);
          out.push({ ...s, then: r.out, else: e.out });
          return { out, must: r.must };
        }
        out.push({ ...s, then: seq(s.then, true).out, else: seq(s.else, true).out });
      } else if (s.kind === "loop") {
        out.push({ ...s, body: inLoop(s.body) });
      } else {
        out.push(s);
      }
      // The statement may exit: the rest runs only if it did not.
      if (rest.length > 0) {
        const r = seq(rest, flagging);
        out.push({ kind: "if", test: b.not(readFlag()), then: r.out, else: [] });
      }
      return { out, must: false };
    }
    return { out, must: false };
  };
  const { out } = seq(body, false);
  if (!flag) return out;
  // A flag nothing tests (the exit was the region's last statement) is not kept.
  return flagRead ? [b.declare(flag, b.bool(false), true, b.BOOLEAN), ...out] : withoutAssignments(out, flag);
}

function withoutAssignments(list: Stmt[], name: string): Stmt[] {
  return list.flatMap((s): Stmt[] => {
    if (s.kind === "assign" && s.target.kind === "var" && s.target.name === name) return [];
    switch (s.kind) {
      case "if": return [{ ...s, then: withoutAssignments(s.then, name), else: withoutAssignments(s.else, name) }];
      case "loop": return [{ ...s, body: withoutAssignments(s.body, name) }];
      case "block": return [{ ...s, body: withoutAssignments(s.body, name) }];
      default: return [s];
    }
  });
}

function joined(before: Stmt[], after: { out: Stmt[]; must: boolean }): { out: Stmt[]; must: boolean } {
  return { out: [...before, ...after.out], must: after.must };
}

function spanOf(s: Stmt): { span?: SourceSpan } {
  return "span" in s && s.span ? { span: s.span } : {};
}

/**
 * `switch` → an if/else chain on `key === case` (strict equality, as switch compares).
 * Cases without statements share the next one's body; a body that does not end in a jump
 * falls through into the next, so it gets the next body appended (as JavaScript runs it);
 * `default` is the last `else` wherever it is written. A `break` of the switch is an exit
 * of its case body (closeRegion), so a trailing `break` simply disappears.
 */
export function lowerSwitch(ctx: SwitchLowerer, node: ts.SwitchStatement, label?: string): Stmt[] {
  const span = ctx.span(node);
  const discriminant = ctx.lowerExpr(node.expression);
  const pre: Stmt[] = [];
  let key = discriminant;
  if (!b.isTrivial(discriminant)) {
    const name = ctx.fresh("key");
    pre.push({ kind: "declare", name, type: ctx.typeOf(discriminant, node.expression), init: discriminant, mutable: false, span: ctx.span(node.expression) });
    key = b.v(name);
  }
  const clauses = node.caseBlock.clauses;
  /** The statements run when control enters clause k: its own, and on through the next while they fall through. */
  const runFrom = (k: number): ts.Statement[] => {
    const out: ts.Statement[] = [];
    for (let j = k; j < clauses.length; j++) {
      out.push(...clauses[j]!.statements);
      if (endsInJump(clauses[j]!.statements)) break;
    }
    return out;
  };
  const lowerBody = (k: number): Stmt[] => {
    const target: JumpTarget = { kind: "switch", exits: new Set(), ...(label && { label }) };
    const body = ctx.lowerInTarget(target, runFrom(k));
    return closeRegion(body, target.exits, (base) => ctx.fresh(base), "broke");
  };
  const arms: { test: Expr; body: Stmt[]; span: SourceSpan }[] = [];
  let tests: Expr[] = [];
  for (const [k, clause] of clauses.entries()) {
    if (ts.isDefaultClause(clause)) {
      if (clause.statements.length === 0) tests = []; // `case 1: default:` is just the default
      continue;
    }
    const value = ctx.lowerExpr(clause.expression);
    tests.push(b.bin("===", key, value));
    if (clause.statements.length === 0 && k + 1 < clauses.length) continue; // shares the next body
    arms.push({ test: tests.reduce((a, t) => b.or(a, t)), body: lowerBody(k), span: ctx.span(clause) });
    tests = [];
  }
  const defaultIndex = clauses.findIndex((c) => ts.isDefaultClause(c));
  let chain: Stmt[] = defaultIndex >= 0 ? lowerBody(defaultIndex) : [];
  for (const arm of arms.reverse()) chain = [{ kind: "if", test: arm.test, then: arm.body, else: chain, span: arm.span }];
  if (chain.length > 0 && chain[0]!.kind === "if") chain[0] = { ...chain[0]!, span };
  return [...pre, ...chain];
}

/** Whether a case body's last statement leaves it (break, continue, return, throw, or a block ending so). */
function endsInJump(statements: readonly ts.Statement[]): boolean {
  const last = statements[statements.length - 1];
  if (!last) return false;
  if (ts.isBreakStatement(last) || ts.isContinueStatement(last) || ts.isReturnStatement(last) || ts.isThrowStatement(last)) return true;
  if (ts.isBlock(last)) return endsInJump(last.statements);
  if (ts.isIfStatement(last)) return !!last.elseStatement && endsInJump([last.thenStatement]) && endsInJump([last.elseStatement]);
  return false;
}

/** `outer` → `Outer`, for flag names (`continueOuter`). */
export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
