/**
 * Printer: IR → TypeScript source text (unformatted; prettier runs after).
 *
 * Re-sugars what the front end desugared (`x = x + e` prints as `x += e`, `i = i + 1`
 * as `i++`) and parenthesizes by precedence, so generated code reads like the source.
 * Also serves as the IR debug printer (`tsgrad build --dump`).
 */
import { assertNever, type Expr, type FunctionIR, type LValue, type ModuleIR, type StackName, type Stmt } from "../ir/nodes.ts";
import { sameExpr } from "../ir/build.ts";
import { elementOfRecords, typeText } from "../ir/types.ts";

const PRECEDENCE: Record<string, number> = {
  "||": 3, "&&": 4,
  "==": 8, "!=": 8, "===": 8, "!==": 8,
  "<": 9, "<=": 9, ">": 9, ">=": 9,
  "+": 11, "-": 11, "*": 12, "/": 12, "%": 12, "**": 13,
};
/** Operators an assignment prints compound (`x += e`). */
const COMPOUND = new Set(["+", "-", "*", "/"]);
const UNARY = 14;
const CONDITIONAL = 2;
const POSTFIX = 17;
const PRIMARY = 18;

export type StackNames = Record<StackName, string>;

/** Statements that print as one line of their own (no nested statements). */
export type LineStmt = Exclude<Stmt, { kind: "if" | "loop" | "block" }>;

export interface PrintOptions {
  /**
   * The project has `noUncheckedIndexedAccess`: an element read is `a[i]!`, as such a
   * project writes it (writes `a[i] = e` need nothing; `a[i]! += e` reads).
   */
  uncheckedIndexedAccess?: boolean;
  /**
   * Also the parentheses prettier adds for clarity (`(a * b) / c`, `a + (b % c)`,
   * `(a && b) || c`), so a statement prints as prettier would print it (backend/lines.ts
   * writes such statements without prettier). Prettier removes nothing of them.
   */
  clarifyingParens?: boolean;
}

export class Printer {
  private readonly bang: string;
  private readonly clarify: boolean;

  constructor(
    private readonly stacks: StackNames = { values: "valueStack", control: "controlStack" },
    options: PrintOptions = {},
  ) {
    this.bang = options.uncheckedIndexedAccess ? "!" : "";
    this.clarify = options.clarifyingParens ?? false;
  }

  expr(e: Expr): string {
    switch (e.kind) {
      case "number": return this.number(e.value);
      case "boolean": return String(e.value);
      case "var": return e.name;
      case "index": return `${this.wrap(e.object, POSTFIX)}[${this.expr(e.index)}]${this.bang}`;
      case "length": return `${this.wrap(e.object, POSTFIX)}.length`;
      case "field": return `${this.wrap(e.object, POSTFIX)}.${e.name}`;
      case "unary": {
        const inner = this.expr(e.operand);
        // `- -x` and `-(-1)` need a space or parentheses; parentheses read better.
        return precedenceOf(e.operand) < UNARY || (e.op === "-" && inner.startsWith("-")) ? `${e.op}(${inner})` : `${e.op}${inner}`;
      }
      case "binary": return `${this.operand(e, "left")} ${e.op} ${this.operand(e, "right")}`;
      case "call": case "userCall": return `${e.callee}(${this.list(e.args)})`;
      case "conditional": return `${this.wrap(e.test, CONDITIONAL + 1)} ? ${this.wrap(e.whenTrue, CONDITIONAL)} : ${this.wrap(e.whenFalse, CONDITIONAL)}`;
      case "zeros":
        if (e.container === "float64array") return `new Float64Array(${this.expr(e.length)})`;
        if (e.container === "float32array") return `new Float32Array(${this.expr(e.length)})`;
        if (e.container === "int32array") return `new Int32Array(${this.expr(e.length)})`;
        return `new Array<number>(${this.expr(e.length)}).fill(0)`;
      case "zerosLike": return this.zerosLike(e.type, this.expr(e.like), 0);
      case "arrayLiteral": {
        const literal = `[${e.elements.map((x) => this.expr(x)).join(", ")}]`;
        return e.asConst ? `${literal} as const` : literal;
      }
      case "string": return JSON.stringify(e.value);
      case "sameObject": return `(${this.expr(e.left)} as unknown) === (${this.expr(e.right)} as unknown)`;
      case "record": {
        const shorthand = (f: { name: string; value: Expr }) => f.value.kind === "var" && f.value.name === f.name;
        return `{ ${e.fields.map((f) => (shorthand(f) ? f.name : `${f.name}: ${this.expr(f.value)}`)).join(", ")} }`;
      }
      case "pop": return `${this.stacks[e.stack]}.pop()`;
      case "stackSize": return `${this.stacks[e.stack]}.size`;
      // Through the stack's own size (transform/cursors.ts moves a local top instead).
      case "popBlock": return `(${this.stacks[e.stack]}.size -= ${this.expr(e.count)})`;
      case "stackBuffer": return `${this.stacks[e.stack]}.buffer`;
      case "stackReserve": return `${this.stacks[e.stack]}.reserve(${this.expr(e.top)}, ${this.expr(e.count)})`;
      case "cursorMove": return e.move === "postIncrement" ? `${e.name}++` : `--${e.name}`;
      default: return assertNever(e);
    }
  }

  /** Expressions separated by commas (arguments). */
  private list(items: Expr[]): string {
    let text = items.length > 0 ? this.expr(items[0]!) : "";
    for (let k = 1; k < items.length; k++) text += `, ${this.expr(items[k]!)}`;
    return text;
  }

  private zerosLike(type: import("../ir/nodes.ts").ValueType, like: string, depth: number): string {
    if (type.kind === "number") return "0";
    if (type.kind === "record" && type.arrayOfRecords) {
      // `layers.map((layer) => ({ w: …, b: … }))`: a gradient in the shape of the user's array of records.
      const element = elementName(like, depth);
      const zeros = this.zerosLike(elementOfRecords(type), element, depth + 1);
      // Records of numbers only: the callback does not read its element.
      return `${like}.map((${zeros.includes(`${element}.`) ? element : ""}) => (${zeros}))`;
    }
    if (type.kind === "record") return `{ ${type.fields.map((f) => `${f.name}: ${this.zerosLike(f.type, `${like}.${f.name}`, depth)}`).join(", ")} }`;
    if (type.kind !== "array") return "undefined";
    if (type.container === "float64array") return `new Float64Array(${like}.length)`;
    if (type.container === "float32array") return `new Float32Array(${like}.length)`;
    if (type.container === "int32array") return `new Int32Array(${like}.length)`;
    if (type.element.kind === "number") return `new Array<number>(${like}.length).fill(0)`;
    const row = depth === 0 ? "row" : `row${depth}`;
    return `${like}.map((${row}) => ${this.zerosLike(type.element, row, depth + 1)})`;
  }

  private number(value: number): string {
    if (Number.isNaN(value)) return "NaN";
    if (value === Infinity) return "Infinity";
    if (value === -Infinity) return "-Infinity";
    if (value < 0 || Object.is(value, -0)) return `-${String(-value)}`;
    return String(value);
  }

  /** One operand of a binary expression as printed in it: parenthesized by precedence, and where prettier clarifies. */
  protected operand(e: Extract<Expr, { kind: "binary" }>, side: "left" | "right"): string {
    const p = PRECEDENCE[e.op]!;
    const rightAssoc = e.op === "**";
    const child = side === "left" ? e.left : e.right;
    const clarified = this.clarify && clarifies(e.op, child, side);
    if (side === "right") return this.wrap(child, rightAssoc ? p : p + 1, clarified);
    const left = this.wrap(child, rightAssoc ? p + 1 : p, clarified);
    // `-a ** b` is a syntax error: a unary left operand of ** needs parentheses.
    return rightAssoc && !left.startsWith("(") && precedenceOf(child) === UNARY ? `(${left})` : left;
  }

  private wrap(e: Expr, min: number, clarify = false): string {
    const text = this.expr(e);
    return precedenceOf(e) < min || clarify ? `(${text})` : text;
  }

  /** An assignment's target: an element written is not read, so it needs no `!`. */
  lvalue(t: LValue): string {
    if (t.kind === "index") return `${this.wrap(t.object, POSTFIX)}[${this.expr(t.index)}]`;
    return this.expr(t as Expr);
  }

  /** `x = x + e` → `x += e`; `i = i + 1` → `i++`. */
  assignment(target: LValue, value: Expr, counter = false): string {
    const t = this.lvalue(target);
    // (Kinds compared first: most assignments are not compound, and sameExpr walks both sides.)
    if (value.kind === "binary" && COMPOUND.has(value.op) && value.left.kind === target.kind && sameExpr(value.left, target as Expr)) {
      const t = this.expr(target as Expr); // `a[i]! += e` reads a[i]
      if (counter && (value.op === "+" || value.op === "-") && value.right.kind === "number" && value.right.value === 1) {
        return `${t}${value.op}${value.op}`;
      }
      return `${t} ${value.op}= ${this.expr(value.right)}`;
    }
    return `${t} = ${this.expr(value)}`;
  }

  stmts(list: Stmt[], indent = ""): string {
    return list.map((s) => this.stmt(s, indent)).join("");
  }

  stmt(s: Stmt, indent = ""): string {
    switch (s.kind) {
      case "if": {
        const inner = indent + "  ";
        let text = `${indent}if (${this.expr(s.test)}) {\n${this.stmts(s.then, inner)}${indent}}`;
        let rest = s.else;
        while (rest.length === 1 && rest[0]!.kind === "if") {
          const next = rest[0]!;
          text += ` else if (${this.expr(next.test)}) {\n${this.stmts(next.then, inner)}${indent}}`;
          rest = next.else;
        }
        if (rest.length > 0) text += ` else {\n${this.stmts(rest, inner)}${indent}}`;
        return text + "\n";
      }
      case "loop": {
        const inner = indent + "  ";
        // A compact loop's one statement goes on the loop's line: `for (…) a[i] = 0;`.
        const body = s.compact && s.body.length === 1 ? ` ${this.stmt(s.body[0]!, "").trim()}` : ` {\n${this.stmts(s.body, inner)}${indent}}`;
        if (s.form === "doWhile") return `${indent}do {\n${this.stmts(s.body, inner)}${indent}} while (${s.test ? this.expr(s.test) : "true"});\n`;
        if (s.form === "while" || (s.init.length === 0 && s.update.length === 0)) {
          return `${indent}while (${s.test ? this.expr(s.test) : "true"})${body}\n`;
        }
        const init = this.forInit(s.init);
        const update = s.update.map((u) => (u.kind === "assign" ? this.assignment(u.target, u.value, true) : "")).join(", ");
        return `${indent}for (${init}; ${s.test ? this.expr(s.test) : ""}; ${update})${body}\n`;
      }
      case "block":
        // `{ { … } }` says nothing more than `{ … }`.
        if (s.body.length === 1 && s.body[0]!.kind === "block") return this.stmt(s.body[0]!, indent);
        return `${indent}{\n${this.stmts(s.body, indent + "  ")}${indent}}\n`;
      default:
        return `${indent}${this.line(s)}\n`;
    }
  }

  /** A statement without nested statements: its one line, without indentation or line break. */
  line(s: LineStmt): string {
    switch (s.kind) {
      case "declare": {
        const keyword = s.mutable ? "let" : "const";
        const annotation =
          s.annotation !== undefined ? `: ${s.annotation}` : s.type.kind === "array" && s.init.kind === "arrayLiteral" && s.init.elements.length === 0 ? `: ${typeText(s.type)}` : "";
        return `${keyword} ${s.name}${annotation} = ${this.expr(s.init)};`;
      }
      case "assign": return `${this.assignment(s.target, s.value, s.target.kind === "var" && this.isCounter(s.target.name))};`;
      case "break": return "break;";
      case "continue": return "continue;";
      case "return": return s.value ? `return ${this.expr(s.value)};` : "return;";
      case "push": return `${this.stacks[s.stack]}.push(${this.expr(s.value)});`;
      case "drop": return `${this.stacks[s.stack]}.pop();`;
      case "rewind": return `${this.stacks[s.stack]}.rewind(${this.expr(s.size)});`;
      case "stackSizeSet": return `${this.stacks[s.stack]}.size = ${this.expr(s.size)};`;
      case "fillZero": return `${this.expr(s.array)}.fill(0);`;
      case "append": return `${s.array}.push(${this.expr(s.value)});`;
      case "shrink": return `${s.array}.pop();`;
      case "call": return `${s.callee}(${this.list(s.args)});`;
      case "comment": return `// ${s.text}`;
      case "check": return `if (${this.expr(s.failsWhen)}) throw new Error(${JSON.stringify(s.message)});`;
      default: return assertNever(s);
    }
  }

  /** Integer counters print as `k++`; accumulations keep `+= 1`. */
  private isCounter(name: string): boolean {
    return !name.endsWith("_bar") && !name.startsWith("_t");
  }

  private forInit(init: Stmt[]): string {
    if (init.length === 0) return "";
    if (init.every((s) => s.kind === "declare")) {
      const decls = init as Extract<Stmt, { kind: "declare" }>[];
      const keyword = decls.every((d) => !d.mutable) ? "const" : "let";
      return `${keyword} ${decls.map((d) => `${d.name} = ${this.expr(d.init)}`).join(", ")}`;
    }
    return init.map((s) => (s.kind === "assign" ? this.assignment(s.target, s.value) : "")).join(", ");
  }

  fn(f: FunctionIR): string {
    const params = f.params.map((p) => `${p.name}: ${p.typeText}${p.defaultText !== undefined ? ` = ${p.defaultText}` : ""}`).join(", ");
    const doc = f.doc ? `/**\n${f.doc.split("\n").map((l) => ` * ${l}`.trimEnd()).join("\n")}\n */\n` : "";
    return `${doc}${f.exported ? "export " : ""}function ${f.name}(${params}): ${f.returnTypeText} {\n${this.stmts(f.body, "  ")}}\n`;
  }

  /** The runtime helpers' text as it goes into the file (backend/lines.ts puts it there already formatted). */
  protected helpers(text: string): string {
    return text;
  }

  module(m: ModuleIR): string {
    const parts: string[] = [m.header];
    for (const imp of m.imports) {
      parts.push(`import ${imp.typeOnly ? "type " : ""}{ ${imp.names.join(", ")} } from ${JSON.stringify(imp.from)};\n`);
    }
    if (m.helpers) parts.push(`\n${this.helpers(m.helpers)}`);
    if (m.stacks.length > 0) {
      parts.push("\n// Stacks that carry values from each forward sweep to its reverse sweep; reused across calls.\n");
      for (const stack of m.stacks) {
        parts.push(`const ${this.stacks[stack]} = new ${stack === "values" ? "NumberStack" : "IntStack"}();\n`);
      }
    }
    if (m.schedules && m.schedules.length > 0) {
      parts.push("\n// Checkpointing schedules (one per checkpointed loop) and their snapshots; reused across calls.\n");
      for (const s of m.schedules) parts.push(`/** ${s.doc} */\nconst ${s.name} = new CheckpointSchedule();\n`);
    }
    for (const alias of m.typeAliases) {
      parts.push(`\n${alias.doc ? `/** ${alias.doc} */\n` : ""}export type ${alias.name} = ${alias.text};\n`);
    }
    for (const f of m.functions) parts.push("\n" + this.fn(f));
    return parts.join("");
  }
}

/** The precedence of `e` as the printer writes it (what its parentheses depend on). */
function precedenceOf(e: Expr): number {
  switch (e.kind) {
    case "number": return e.value === -Infinity || e.value < 0 || Object.is(e.value, -0) ? UNARY : PRIMARY;
    case "boolean": case "var": case "string": case "record": case "popBlock": return PRIMARY;
    case "index": case "length": case "field": case "call": case "userCall": case "zeros": case "zerosLike": return POSTFIX;
    case "pop": case "stackSize": case "stackBuffer": case "stackReserve": return POSTFIX;
    case "unary": return UNARY;
    case "binary": return PRECEDENCE[e.op]!;
    case "sameObject": return PRECEDENCE["==="]!;
    case "conditional": return CONDITIONAL;
    case "arrayLiteral": return e.asConst ? CONDITIONAL : PRIMARY;
    case "cursorMove": return e.move === "postIncrement" ? POSTFIX : UNARY;
    default: return assertNever(e);
  }
}

const MULTIPLICATIVE = new Set(["*", "/", "%"]);
const EQUALITY = new Set(["==", "!=", "===", "!=="]);

/**
 * Whether prettier parenthesizes operand `child` of a binary `op` where precedence alone
 * does not: an operand of equal precedence on the left that prettier does not flatten
 * (`(a * b) / c`, `(a % b) % c`, `(a === b) === c`), `**` on the right of `**`, `%` under
 * `+`/`-`, `&&` under `||`. (Its needs-parens and shouldFlatten rules, checked against
 * prettier itself by test/lines.test.ts.)
 */
function clarifies(op: string, child: Expr, side: "left" | "right"): boolean {
  const inner = child.kind === "binary" ? child.op : child.kind === "sameObject" ? "===" : null;
  if (inner === null) return false;
  if (op === "**") return side === "right" && inner === "**";
  if (inner === "%" && (op === "+" || op === "-")) return true;
  if (inner === "&&" && op === "||") return true;
  if (side !== "left" || PRECEDENCE[inner] !== PRECEDENCE[op]) return false;
  const flattens =
    !(EQUALITY.has(op) && EQUALITY.has(inner)) && !(MULTIPLICATIVE.has(op) && MULTIPLICATIVE.has(inner) && (op !== inner || op === "%"));
  return !flattens;
}

/** Debug view of any IR statement list. */
export function debugPrint(stmts: Stmt[]): string {
  return new Printer().stmts(stmts);
}

export function printType(t: import("../ir/nodes.ts").ValueType): string {
  return typeText(t);
}

/** The name of an element of `like` in a `.map` callback: `layers` → `layer`, otherwise `item` (numbered when nested). */
function elementName(like: string, depth: number): string {
  const last = /(\w+)$/.exec(like)?.[1] ?? "";
  if (/^[a-z]\w*[^s]s$/.test(last) && !last.includes("_")) return last.slice(0, -1);
  return depth === 0 ? "item" : `item${depth}`;
}
