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
import { stmtExprs, walkExpr } from "../ir/visit.ts";
import { typeText } from "../ir/types.ts";
import { Printer, type PrintOptions, type StackNames } from "./print.ts";
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
const PLACEHOLDER_LINE = /^([ \t]*)__tsgrad_run_(\d+)__;?$/;

/** Prints a module with each run of one-line statements as a placeholder, keeping the runs. */
class SkeletonPrinter extends Printer {
  /** Each run's lines (without indentation) and the nesting depth it was printed at. */
  readonly runs: { lines: string[]; depth: number }[] = [];

  constructor(
    stacks: StackNames | undefined,
    options: PrintOptions,
    private readonly style: LineStyle,
  ) {
    super(stacks, { ...options, clarifyingParens: true });
  }

  override stmts(list: Stmt[], indent = ""): string {
    // The printer indents by two spaces per level.
    const depth = indent.length / 2;
    let out = "";
    let run: Stmt[] = [];
    let lines: string[] = [];
    const flush = () => {
      // Only comments: prettier lays out a block of nothing but comments in its own way.
      if (run.every((s) => s.kind === "comment")) out += run.map((s) => this.stmt(s, indent)).join("");
      else {
        out += `${indent}${placeholder(this.runs.length)};\n`;
        this.runs.push({ lines, depth });
      }
      run = [];
      lines = [];
    };
    let ignored = false;
    for (const s of list) {
      // What follows `// prettier-ignore` keeps its printed text: prettier must see it.
      const line = ignored ? null : this.oneLine(s, depth);
      ignored = s.kind === "comment" && s.text.includes("prettier-ignore");
      if (line === null) {
        flush();
        out += this.stmt(s, indent);
      } else {
        run.push(s);
        lines.push(line);
      }
    }
    flush();
    return out;
  }

  /** The statement as prettier prints it on one line, if this printer can guarantee that; else null. */
  private oneLine(s: Stmt, depth: number): string | null {
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
    for (const e of stmtExprs(s)) if (!printsAsPrettier(e, this.style)) return null;
    let text = this.stmt(s, "").slice(0, -1);
    // ASCII (prettier measures wide characters differently), no arrow functions (their
    // parentheses are a prettier option), nothing spread over lines.
    if (!/^[\x20-\x7e]*$/.test(text) || text.includes("=>")) return null;
    if (!this.style.semi) {
      // Without semicolons prettier guards a line that starts like these; none is simple here.
      if (/^[([`+\-/*<]/.test(text)) return null;
      text = text.replace(/;$/, "");
    }
    const indentWidth = depth * this.style.tabWidth;
    return indentWidth + text.length <= this.style.printWidth ? text : null;
  }
}

/**
 * Whether the printer (with clarifying parentheses) writes `e` exactly as prettier does on
 * one line: not strings (quote style is an option), nested conditionals (prettier's
 * own layout), empty records (`{}`) or records without bracket spacing, numbers prettier
 * rewrites (`1e+21` → `1e21`), identity tests of anything but names, or `a && (b && c)`
 * (prettier re-associates it).
 */
function printsAsPrettier(e: Expr, style: LineStyle): boolean {
  let ok = true;
  walkExpr(e, (x) => {
    if (!ok) return;
    if (x.kind === "string") ok = false;
    else if (x.kind === "number") ok = !String(x.value).includes("e+");
    else if (x.kind === "record") ok = x.fields.length > 0 && style.bracketSpacing;
    else if (x.kind === "zerosLike") ok = x.type.kind !== "record" || style.bracketSpacing;
    // `(a as unknown) === (b as unknown)`: an operand that is not a name would need prettier's parentheses inside.
    else if (x.kind === "sameObject") ok = x.left.kind === "var" && x.right.kind === "var";
    // Prettier re-associates `a && (b && c)` as `a && b && c`.
    else if (x.kind === "binary" && (x.op === "&&" || x.op === "||")) ok = !(x.right.kind === "binary" && x.right.op === x.op);
    else if (x.kind === "conditional") ok = ![x.test, x.whenTrue, x.whenFalse].some((c) => c.kind === "conditional");
  });
  return ok;
}

/**
 * Prints `module` and formats it with `format` (prettier, with `style`'s options), writing
 * the simple statements itself. Without a style (a formatter whose options are unknown)
 * the whole file goes through `format`.
 */
export async function printAndFormat(
  module: ModuleIR,
  stacks: StackNames | undefined,
  options: PrintOptions,
  format: (text: string) => Promise<string>,
  style: LineStyle | null,
  clock?: StageClock,
): Promise<string> {
  const formatTimed = (text: string) => (clock ? clock.timeAsync("format", () => format(text)) : format(text));
  const whole = () => formatTimed(timed(clock, "print", () => new Printer(stacks, options).module(module)));
  if (!style) return whole();
  const printer = new SkeletonPrinter(stacks, options, style);
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
    const expected = style.useTabs ? "\t".repeat(run?.depth ?? 0) : " ".repeat((run?.depth ?? 0) * style.tabWidth);
    // A placeholder where the runs' widths were not measured for: format everything.
    if (!run || seen.has(k) || m[1] !== expected || line !== `${expected}${placeholder(k)}${style.semi ? ";" : ""}`) return whole();
    seen.add(k);
    for (const l of run.lines) out.push(expected + l);
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
