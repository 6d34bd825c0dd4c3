/**
 * Formatting a generated file without running prettier over every statement of it.
 *
 * Prettier costs about as much as the rest of the compiler together on a large function
 * (a 5000-statement gradient is 25,000 lines), yet almost every generated statement is a
 * short line prettier leaves as the printer wrote it. So each maximal run of simple
 * statements (declarations, assignments, pushes, pops, calls, comments) that print as
 * prettier prints them, within the line width, is replaced by one placeholder statement;
 * prettier formats that skeleton (signatures, doc comments, helpers, loops, branches and
 * every statement that is not simple), and the runs are spliced back in at the indentation
 * prettier gave their placeholders. The output is byte-identical to formatting the whole
 * file: test/lines.test.ts checks every sample both ways and random statements against
 * prettier itself. Anything unexpected in the skeleton falls back to formatting it all.
 */
import type { Expr, ModuleIR, Stmt } from "../ir/nodes.ts";
import { sameExpr } from "../ir/build.ts";
import { someExpr } from "../ir/visit.ts";
import { typeText } from "../ir/types.ts";
import { Printer, type LineStmt, type PrintOptions, type StackNames } from "./print.ts";
import { timed, type StageClock } from "../stages.ts";

/** The prettier options one-line statements depend on. */
export interface LineStyle {
  printWidth: number;
  tabWidth: number;
  useTabs: boolean;
  semi: boolean;
  bracketSpacing: boolean;
}

/** What one-line statements depend on in tsgrad's own style (backend/format.ts's options). */
export const TSGRAD_LINE_STYLE: LineStyle = { printWidth: 100, tabWidth: 2, useTabs: false, semi: true, bracketSpacing: true };

/** Prettier's defaults for these. */
export const PRETTIER_LINE_DEFAULTS: LineStyle = { printWidth: 80, tabWidth: 2, useTabs: false, semi: true, bracketSpacing: true };

/** Statement kinds that print as one line with no nested statements. */
const SIMPLE = new Set<Stmt["kind"]>(["declare", "assign", "push", "drop", "rewind", "stackSizeSet", "fillZero", "append", "shrink", "call", "return", "break", "continue", "comment"]);

/** Characters that end a line (a comment holding one would not be one line). */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

const placeholder = (k: number) => `__tsgrad_run_${k}__`;
/** How the formatter indents a line `depth` levels deep. */
const indentation = (style: LineStyle, depth: number) => (style.useTabs ? "\t".repeat(depth) : " ".repeat(depth * style.tabWidth));
const PLACEHOLDER_LINE = /^([ \t]*)__tsgrad_run_(\d+)__;?$/;

/** Prints a module with each run of one-line statements as a placeholder, keeping the runs. */
class SkeletonPrinter extends Printer {
  /**
   * Each run's lines, indented as the formatter indents its placeholder (the nesting depth
   * it was printed at) and joined: spliced back as they are, one string a run.
   */
  readonly runs: { text: string; depth: number }[] = [];

  constructor(
    stacks: StackNames | undefined,
    options: PrintOptions,
    private readonly style: LineStyle,
    /** The module's runtime helpers as the formatter writes them, if known: a run of their own. */
    private readonly formattedHelpers: string[] | null = null,
  ) {
    super(stacks, { ...options, clarifyingParens: true });
  }

  /** Set while a statement prints when one of its expressions prints otherwise than prettier prints it. */
  private unlike = false;

  /**
   * Every expression printed passes through here (the printer prints sub-expressions with
   * `this.expr`), so each is checked once, as it is printed, rather than in a walk of its
   * own before (this runs over every expression of the file).
   */
  override expr(e: Expr): string {
    if (!printsAsPrettier(e, this.style)) this.unlike = true;
    return super.expr(e);
  }

  protected override helpers(text: string): string {
    if (!this.formattedHelpers) return text;
    this.runs.push({ text: this.formattedHelpers.join("\n"), depth: 0 });
    return `${placeholder(this.runs.length - 1)};\n`;
  }

  override stmts(list: Stmt[], indent = ""): string {
    // The printer indents by two spaces per level.
    const depth = indent.length / 2;
    let out = "";
    /** The run's statements and lines so far (as prettier prints them, relative to its indentation). */
    let run: Stmt[] = [];
    let lines: string[] = [];
    let onlyComments = true;
    const flush = () => {
      if (run.length === 0) return;
      // Only comments: prettier lays out a block of nothing but comments in its own way.
      if (onlyComments) out += run.map((s) => this.stmt(s, indent)).join("");
      else {
        out += `${indent}${placeholder(this.runs.length)};\n`;
        const prefix = indentation(this.style, depth);
        this.runs.push({ text: prefix + lines.join(`\n${prefix}`), depth });
      }
      run = [];
      lines = [];
      onlyComments = true;
    };
    let ignored = false;
    for (const s of list) {
      // What follows `// prettier-ignore` keeps its printed text: prettier must see it.
      const isComment = s.kind === "comment";
      if (!ignored && this.asPrettier(s, depth, lines)) {
        run.push(s);
        if (!isComment) onlyComments = false;
      } else {
        flush();
        out += this.stmt(s, indent);
      }
      ignored = isComment && s.text.includes("prettier-ignore");
    }
    flush();
    return out;
  }

  /**
   * Adds the statement's lines to `lines` as prettier prints them (relative to the
   * statement's indentation), if this printer can guarantee that: one line, or a sum too
   * long for one (below). False (and nothing added) otherwise.
   */
  private asPrettier(s: Stmt, depth: number, lines: string[]): boolean {
    const text = this.flat(s);
    if (text === null) return false;
    if (depth * this.style.tabWidth + text.length <= this.style.printWidth) {
      lines.push(text);
      return true;
    }
    const sum = this.sumLines(s, text, depth);
    if (sum === null) return false;
    for (const line of sum) lines.push(line);
    return true;
  }

  /** The statement on one line, if prettier would print it so given the width; else null. */
  private flat(s: Stmt): string | null {
    if (!SIMPLE.has(s.kind)) return null;
    if (s.kind === "comment") {
      // Prettier keeps a line comment's text, without trailing blanks, and obeys prettier-ignore.
      const text = `// ${s.text}`;
      return LINE_BREAK.test(text) || text !== text.trimEnd() || text.includes("prettier-ignore") ? null : text;
    }
    if (s.kind === "declare") {
      const annotation = s.annotation ?? (s.type.kind === "array" && s.init.kind === "arrayLiteral" && s.init.elements.length === 0 ? typeText(s.type) : "");
      if (!/^[A-Za-z_$][\w$]*(\[\])*$|^$/.test(annotation)) return null;
    }
    this.unlike = false;
    let text = this.line(s as LineStmt);
    if (this.unlike) return null;
    // ASCII (prettier measures wide characters differently), no arrow functions (their
    // parentheses are a prettier option), nothing spread over lines.
    if (!/^[\x20-\x7e]*$/.test(text) || text.includes("=>")) return null;
    if (!this.style.semi) {
      // Without semicolons prettier guards a line that starts like these; none is simple here.
      if (/^[([`+\-/*<]/.test(text)) return null;
      text = text.replace(/;$/, "");
    }
    return text;
  }

  /**
   * A declaration, assignment or return of a sum (`a + b - c + …`, three terms or more, no
   * conditional or logical operator in a term) too long for one line, as prettier lays it
   * out: the sum on the next line, indented (in a return, inside parentheses), and if it
   * does not fit there either, one term a line with its operator after it. A sum of
   * thousands of terms is what makes prettier slow (quadratic, and as deep as the sum);
   * each term here is printed once. Null for anything else (prettier formats it).
   */
  private sumLines(s: Stmt, text: string, depth: number): string[] | null {
    if (!this.style.semi) return null;
    let head: string;
    let sum: Expr;
    if (s.kind === "declare" && !s.annotation) {
      head = `${s.mutable ? "let" : "const"} ${s.name} =`;
      sum = s.init;
    } else if (s.kind === "assign") {
      // As the printer writes it: `x += e` for x = x + e.
      const compound = s.value.kind === "binary" && ["+", "-", "*", "/"].includes(s.value.op) && sameExpr(s.value.left, s.target as Expr);
      head = compound ? `${this.expr(s.target as Expr)} ${(s.value as { op: string }).op}=` : `${this.lvalue(s.target)} =`;
      sum = compound ? (s.value as { right: Expr }).right : s.value;
    } else if (s.kind === "return" && s.value) {
      head = "return (";
      sum = s.value;
    } else return null;
    const terms = this.sumTerms(sum);
    if (!terms) return null;
    const oneLine = this.expr(sum);
    // The statement must be exactly the head and the sum (the printer's own text), or the layout is not this one.
    if (text !== (s.kind === "return" ? `return ${oneLine};` : `${head} ${oneLine};`)) return null;
    const width = this.style.printWidth - depth * this.style.tabWidth;
    const unit = this.style.useTabs ? "\t" : " ".repeat(this.style.tabWidth);
    const inner = width - this.style.tabWidth;
    const end = s.kind === "return" ? "" : ";";
    if (head.length > width) return null;
    const close = s.kind === "return" ? [");"] : [];
    if (oneLine.length + end.length <= inner) return [head, `${unit}${oneLine}${end}`, ...close];
    const lines = [head];
    for (let k = 0; k < terms.length; k++) {
      const line = k + 1 < terms.length ? `${terms[k]!.text} ${terms[k + 1]!.op}` : `${terms[k]!.text}${end}`;
      if (line.length > inner) return null;
      lines.push(`${unit}${line}`);
    }
    return [...lines, ...close];
  }

  /** The terms of a sum as prettier flattens it (left-nested + and -), each as printed in it, with the operator before it; null if not a sum of three or more simple terms. */
  private sumTerms(e: Expr): { op: string; text: string }[] | null {
    const terms: { op: string; text: string }[] = [];
    const isSum = (x: Expr): x is Extract<Expr, { kind: "binary" }> => x.kind === "binary" && (x.op === "+" || x.op === "-");
    const plain = (x: Expr) => !someExpr(x, (y) => y.kind === "conditional" || (y.kind === "binary" && !ARITHMETIC.has(y.op)));
    let node = e;
    while (isSum(node)) {
      if (!plain(node.right)) return null;
      terms.push({ op: node.op, text: this.operand(node, "right") });
      if (!isSum(node.left)) {
        if (!plain(node.left)) return null;
        terms.push({ op: "", text: this.operand(node, "left") });
      }
      node = node.left;
    }
    return terms.length >= 3 ? terms.reverse() : null;
  }
}

/** Operators a term of a sum may hold (prettier keeps each such term one group). */
const ARITHMETIC = new Set(["+", "-", "*", "/", "%", "**"]);

/**
 * Whether the printer (with clarifying parentheses) writes the node `e` exactly as prettier
 * does on one line, its sub-expressions aside (each is asked as it is printed): not strings
 * (quote style is an option), nested conditionals (prettier's own layout), empty records
 * (`{}`) or records without bracket spacing, numbers prettier rewrites (`1e+21` → `1e21`),
 * identity tests of anything but names, or `a && (b && c)` (prettier re-associates it).
 */
function printsAsPrettier(e: Expr, style: LineStyle): boolean {
  switch (e.kind) {
    case "string": return false;
    case "number": return !String(e.value).includes("e+");
    case "record": return e.fields.length > 0 && style.bracketSpacing;
    case "zerosLike": return e.type.kind !== "record" || style.bracketSpacing;
    // `(a as unknown) === (b as unknown)`: an operand that is not a name would need prettier's parentheses inside.
    case "sameObject": return e.left.kind === "var" && e.right.kind === "var";
    // Prettier re-associates `a && (b && c)` as `a && b && c`.
    case "binary": return !((e.op === "&&" || e.op === "||") && e.right.kind === "binary" && e.right.op === e.op);
    case "conditional": return e.test.kind !== "conditional" && e.whenTrue.kind !== "conditional" && e.whenFalse.kind !== "conditional";
    default: return true;
  }
}

/**
 * The runtime helpers of a file as `format` writes them, by `formatKey` and text: most
 * files of a build copy the same helpers (the stacks), which are most of what prettier
 * formats in a file whose statements are written here. Formatted alone, top-level
 * declarations come out as they do in the file (test/lines.test.ts checks every style).
 */
const formattedHelpers = new Map<string, Promise<string[]>>();

function helperLines(text: string, format: (text: string) => Promise<string>, formatKey: string): Promise<string[]> {
  const key = `${formatKey}\0${text}`;
  let lines = formattedHelpers.get(key);
  if (!lines) {
    // A handful of entries in practice (one per set of helpers and style); bounded all the same.
    if (formattedHelpers.size >= 64) formattedHelpers.clear();
    lines = format(text).then((formatted) => formatted.replace(/\n$/, "").split("\n"));
    // A failure is reported where it happened and not remembered (the configuration may be fixed).
    lines.catch(() => formattedHelpers.delete(key));
    formattedHelpers.set(key, lines);
  }
  return lines;
}

/**
 * Prints `module` and formats it with `format` (prettier, with `style`'s options), writing
 * the simple statements itself. Without a style (a formatter whose options are unknown)
 * the whole file goes through `format`. With `formatKey` (what the formatter's output
 * depends on besides the text: equal keys, equal formatting) the runtime helpers are
 * formatted once per key and spliced in like the statements.
 */
export async function printAndFormat(
  module: ModuleIR,
  stacks: StackNames | undefined,
  options: PrintOptions,
  format: (text: string) => Promise<string>,
  style: LineStyle | null,
  clock?: StageClock,
  formatKey?: string,
): Promise<string> {
  const formatTimed = (text: string) => (clock ? clock.timeAsync("format", () => format(text)) : format(text));
  const whole = () => formatTimed(timed(clock, "print", () => new Printer(stacks, options).module(module)));
  if (!style) return whole();
  const helpers = module.helpers && formatKey !== undefined ? await helperLines(module.helpers, formatTimed, formatKey) : null;
  const printer = new SkeletonPrinter(stacks, options, style, helpers);
  const skeleton = timed(clock, "print", () => printer.module(module));
  if (printer.runs.length === 0) return whole();
  const formatted = await formatTimed(skeleton);
  const out: string[] = [];
  const seen = new Set<number>();
  for (const line of formatted.split("\n")) {
    const m = PLACEHOLDER_LINE.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const k = Number(m[2]);
    const run = printer.runs[k];
    const expected = indentation(style, run?.depth ?? 0);
    // A placeholder where the runs' widths were not measured for: format everything.
    if (!run || seen.has(k) || m[1] !== expected || line !== `${expected}${placeholder(k)}${style.semi ? ";" : ""}`) return whole();
    seen.add(k);
    out.push(run.text);
  }
  if (seen.size !== printer.runs.length) return whole();
  return out.join("\n");
}

/**
 * The line style of prettier 3 with these resolved options, or null where one-line
 * statements may print differently (another major version, plugins, options not
 * modelled here, another parser): then prettier formats everything.
 */
export function lineStyleOf(version: string | undefined, options: Record<string, unknown> | null): LineStyle | null {
  if (!version?.startsWith("3.")) return null;
  const o = options ?? {};
  const known = new Set([
    "printWidth", "tabWidth", "useTabs", "semi", "singleQuote", "jsxSingleQuote", "quoteProps", "trailingComma", "bracketSpacing",
    "bracketSameLine", "objectWrap", "arrowParens", "endOfLine", "proseWrap", "htmlWhitespaceSensitivity", "vueIndentScriptAndStyle",
    "embeddedLanguageFormatting", "singleAttributePerLine", "insertPragma", "requirePragma", "parser", "filepath",
  ]);
  if (Object.keys(o).some((k) => !known.has(k))) return null;
  if (o.parser !== undefined && o.parser !== "typescript") return null;
  if (o.endOfLine !== undefined && o.endOfLine !== "lf" && o.endOfLine !== "auto") return null;
  if (o.insertPragma === true || o.requirePragma === true) return null;
  const num = (v: unknown, d: number) => (v === undefined ? d : typeof v === "number" && Number.isInteger(v) && v > 0 ? v : NaN);
  const bool = (v: unknown, d: boolean) => (v === undefined ? d : typeof v === "boolean" ? v : null);
  const style = {
    printWidth: num(o.printWidth, PRETTIER_LINE_DEFAULTS.printWidth),
    tabWidth: num(o.tabWidth, PRETTIER_LINE_DEFAULTS.tabWidth),
    useTabs: bool(o.useTabs, false),
    semi: bool(o.semi, true),
    bracketSpacing: bool(o.bracketSpacing, true),
  };
  if (Number.isNaN(style.printWidth) || Number.isNaN(style.tabWidth) || style.useTabs === null || style.semi === null || style.bracketSpacing === null) return null;
  return style as LineStyle;
}
