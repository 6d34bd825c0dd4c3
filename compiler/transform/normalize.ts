/**
 * Control-flow normalization: removes `break`, `continue` and early `return`.
 *
 * Takes: lowered FunctionIR. Gives: the same function where the only jump left is one
 * `return` as the last top-level statement, loops exit only through their test, and
 * every statement runs to its end. Reverse mode then only has to invert sequences,
 * if/else and loops with a trip count.
 *
 * How: a jump sets a flag (`returned`, `broke`, `continued`); statements after a
 * statement that may jump are guarded by the flag; loop tests check it. When one branch
 * of an `if` always jumps, the rest of the block moves into the other branch instead
 * (tail lifting), so the common shapes (`if (c) return a; return b;`,
 * `if (skip) continue;`) need no flag at all; flags that end up unread are deleted.
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, Stmt } from "../ir/nodes.ts";
import { exprReads, walkStmts, stmtExprs } from "../ir/visit.ts";
import type { Namer } from "./naming.ts";
import { Codes, fail, type SourceSpan } from "../diagnostics.ts";

type Jump = "return" | "break" | "continue";

interface Exits {
  may: Set<Jump>;
  /** Every path through the statement jumps. */
  must: boolean;
}

interface LoopFlags {
  broke: string;
  continued: string;
}

const none = (): Exits => ({ may: new Set(), must: false });

export interface NormalizeResult {
  fn: FunctionIR;
  /** The expression returned at the end of the normalized body. */
  result: Expr;
}

export function normalizeControlFlow(fn: FunctionIR, namer: Namer): NormalizeResult {
  const body = fn.body;
  const returns: Stmt[] = [];
  walkStmts(body, (s) => {
    if (s.kind === "return") returns.push(s);
  });
  const last = body[body.length - 1];
  const onlyTailReturn = returns.length === 1 && last === returns[0] && last?.kind === "return" && last.value;
  if (onlyTailReturn) {
    // The one return is the last statement: it stays the result; only loop jumps need work.
    const rest = body.slice(0, -1);
    const result = (last as { value: Expr }).value;
    if (!hasLoopJumps(rest)) return { fn: { ...fn, body: rest }, result };
    const n = new Normalizer(namer, fn.span);
    return { fn: { ...fn, body: removeUnreadFlags(n.block(rest, null).out, n.flags) }, result };
  }
  const n = new Normalizer(namer, fn.span, fn.returnType.kind === "record" ? fn.returnType.fields.map((f) => f.name) : null);
  const lowered = n.block(body, null).out;
  const out: Stmt[] = [];
  if (n.resultName) out.push(b.declare(n.resultName, zeroOf(fn), true, fn.returnType));
  for (const [, name] of n.resultFields ?? []) out.push(b.declare(name, b.num(0), true, b.NUMBER));
  if (n.returnedFlag) out.push(b.declare(n.returnedFlag, b.bool(false), true, b.BOOLEAN));
  out.push(...lowered);
  const cleaned = removeUnreadFlags(out, n.flags);
  const result: Expr = n.resultFields
    ? { kind: "record", fields: [...n.resultFields].map(([field, name]) => ({ name: field, value: b.v(name) })) }
    : n.resultName
      ? b.v(n.resultName)
      : b.num(0);
  return { fn: { ...fn, body: cleaned }, result };
}

function zeroOf(fn: FunctionIR): Expr {
  return fn.returnType.kind === "number" ? b.num(0) : { kind: "arrayLiteral", elements: [] };
}

function hasLoopJumps(body: Stmt[]): boolean {
  let found = false;
  walkStmts(body, (s) => {
    if (s.kind === "break" || s.kind === "continue") found = true;
  });
  return found;
}

class Normalizer {
  resultName: string | null = null;
  /** An object of numbers returned from several places: one variable per field (`value_lo`), set at each return. */
  resultFields: Map<string, string> | null = null;

  constructor(
    private readonly namer: Namer,
    private readonly span: SourceSpan,
    private readonly recordFields: string[] | null = null,
  ) {}

  returnedFlag: string | null = null;
  readonly flags = new Set<string>();

  block(stmts: Stmt[], loop: LoopFlags | null): { out: Stmt[]; exits: Exits } {
    const out: Stmt[] = [];
    for (let k = 0; k < stmts.length; k++) {
      const { out: s, exits } = this.stmt(stmts[k]!, loop);
      if (exits.must) {
        out.push(...s);
        return { out, exits };
      }
      if (exits.may.size === 0) {
        out.push(...s);
        continue;
      }
      const rest = stmts.slice(k + 1);
      const restResult = this.block(rest, loop);
      const lifted = this.liftTail(s, restResult.out);
      if (lifted) {
        out.push(...lifted);
      } else {
        out.push(...s);
        if (restResult.out.length > 0) out.push({ kind: "if", test: this.notJumped(exits.may, loop), then: restResult.out, else: [] });
      }
      const may = new Set([...exits.may, ...restResult.exits.may]);
      return { out, exits: { may, must: false } };
    }
    return { out, exits: none() };
  }

  /** `if (c) { ...jump } rest` → `if (c) { ...jump } else { rest }` when exactly one branch always jumps. */
  private liftTail(s: Stmt[], rest: Stmt[]): Stmt[] | null {
    const last = s[s.length - 1];
    if (s.length !== 1 || last?.kind !== "if") return null;
    const thenJumps = this.alwaysJumps(last.then);
    const elseJumps = this.alwaysJumps(last.else);
    if (thenJumps && !elseJumps && !this.mayJump(last.else)) return [{ ...last, else: [...last.else, ...rest] }];
    if (elseJumps && !thenJumps && !this.mayJump(last.then)) return [{ ...last, then: [...last.then, ...rest] }];
    return null;
  }

  /** Tracks, for already-normalized statements, which ones were produced by a jump. */
  private readonly jumpMarks = new WeakSet<Stmt>();

  private alwaysJumps(stmts: Stmt[]): boolean {
    const last = stmts[stmts.length - 1];
    if (!last) return false;
    if (this.jumpMarks.has(last)) return true;
    if (last.kind === "if") return this.alwaysJumps(last.then) && this.alwaysJumps(last.else);
    return false;
  }

  private mayJump(stmts: Stmt[]): boolean {
    let found = false;
    walkStmts(stmts, (s) => {
      if (this.jumpMarks.has(s)) found = true;
    });
    return found;
  }

  private notJumped(may: Set<Jump>, loop: LoopFlags | null): Expr {
    const flags: string[] = [];
    if (may.has("return")) flags.push(this.returned());
    if (may.has("break") && loop) flags.push(loop.broke);
    if (may.has("continue") && loop) flags.push(loop.continued);
    return flags.map((f) => b.not(b.v(f))).reduce((a, c) => b.and(a, c));
  }

  private returned(): string {
    this.returnedFlag ??= this.flag("returned");
    return this.returnedFlag;
  }

  private flag(base: string): string {
    const name = this.namer.fresh(base);
    this.flags.add(name);
    return name;
  }

  private jump(flag: string, extra: Stmt[] = []): Stmt[] {
    const set = b.assign({ kind: "var", name: flag }, b.bool(true));
    this.jumpMarks.add(set);
    return [...extra, set];
  }

  private stmt(s: Stmt, loop: LoopFlags | null): { out: Stmt[]; exits: Exits } {
    switch (s.kind) {
      case "return": {
        if (this.recordFields && s.value) {
          if (s.value.kind !== "record") return fail(Codes.InternalError, `a returned object is not an object literal after lowering (${s.value.kind})`, s.span ?? this.span);
          this.resultFields ??= new Map(this.recordFields.map((f) => [f, this.namer.fresh(`value_${f}`)]));
          const fields = s.value.fields;
          const store = [...this.resultFields].map(([field, name]): Stmt => ({ kind: "assign", target: { kind: "var", name }, value: fields.find((f) => f.name === field)!.value, span: s.span }));
          return { out: this.jump(this.returned(), store), exits: { may: new Set(["return"]), must: true } };
        }
        this.resultName ??= this.namer.fresh("value");
        const store = s.value ? [{ kind: "assign", target: { kind: "var", name: this.resultName }, value: s.value, span: s.span } as Stmt] : [];
        return { out: this.jump(this.returned(), store), exits: { may: new Set(["return"]), must: true } };
      }
      case "break":
        return { out: this.jump(loop!.broke), exits: { may: new Set(["break"]), must: true } };
      case "continue":
        return { out: this.jump(loop!.continued), exits: { may: new Set(["continue"]), must: true } };
      case "if": {
        const then = this.block(s.then, loop);
        const otherwise = this.block(s.else, loop);
        const may = new Set([...then.exits.may, ...otherwise.exits.may]);
        return { out: [{ ...s, then: then.out, else: otherwise.out }], exits: { may, must: then.exits.must && otherwise.exits.must } };
      }
      case "block": {
        const inner = this.block(s.body, loop);
        return { out: [{ kind: "block", body: inner.out }], exits: inner.exits };
      }
      case "loop": {
        const flags: LoopFlags = { broke: this.flag("broke"), continued: this.flag("continued") };
        const body = this.block(s.body, flags);
        const may = body.exits.may;
        let test = s.test ?? b.bool(true);
        const guards: Expr[] = [];
        if (may.has("return")) guards.push(b.not(b.v(this.returned())));
        if (may.has("break")) guards.push(b.not(b.v(flags.broke)));
        for (const g of guards.reverse()) test = b.and(g, test);
        const newBody = may.has("continue") ? [b.declare(flags.continued, b.bool(false), true, b.BOOLEAN), ...body.out] : body.out;
        const loopStmt: Stmt = { ...s, test: s.test === null && guards.length === 0 ? null : test, body: newBody };
        const before = may.has("break") ? [b.declare(flags.broke, b.bool(false), true, b.BOOLEAN)] : [];
        const out = before.length && s.init.length === 0 ? [...before, loopStmt] : before.length ? [{ kind: "block", body: [...before, loopStmt] } as Stmt] : [loopStmt];
        return { out, exits: { may: may.has("return") ? new Set(["return"]) : new Set(), must: false } };
      }
      default:
        return { out: [s], exits: none() };
    }
  }
}

/** Deletes flags nobody reads (their jumps were lifted) and the empty branches left behind. */
function removeUnreadFlags(body: Stmt[], flags: Set<string>): Stmt[] {
  const read = new Set<string>();
  walkStmts(body, (s) => {
    for (const e of stmtExprs(s)) {
      if (s.kind === "assign" && e === (s.target as Expr)) continue;
      exprReads(e, read);
    }
  });
  const dead = new Set([...flags].filter((f) => !read.has(f)));
  const clean = (stmts: Stmt[]): Stmt[] =>
    stmts.flatMap((s): Stmt[] => {
      if (s.kind === "declare" && dead.has(s.name)) return [];
      if (s.kind === "assign" && s.target.kind === "var" && dead.has(s.target.name)) return [];
      if (s.kind === "if") {
        const then = clean(s.then);
        const otherwise = clean(s.else);
        if (then.length === 0 && otherwise.length === 0) return [];
        if (then.length === 0) return [{ ...s, test: b.not(s.test), then: otherwise, else: [] }];
        return [{ ...s, then, else: otherwise }];
      }
      if (s.kind === "loop") return [{ ...s, body: clean(s.body), init: clean(s.init), update: clean(s.update) }];
      if (s.kind === "block") {
        const inner = clean(s.body);
        return inner.length ? [{ kind: "block", body: inner }] : [];
      }
      return [s];
    });
  return clean(body);
}
