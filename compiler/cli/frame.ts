/**
 * Diagnostic text, in the shape of tsc's pretty output but plain ASCII:
 *
 *   samples/bad.ts:3:14 - error TSG3004: message
 *
 *   3   return x * Math.random();
 *                  ~~~~~~~~~~~~~
 *
 * The gutter holds the line number; `~` marks the span (a span that runs over several
 * lines is marked on each, with the middle elided when it is long). ANSI colours only
 * when asked for. Takes a Diagnostic, the path to print and the file's text (if known).
 */
import { formatCode, type Diagnostic } from "../diagnostics.ts";

export interface FrameOptions {
  /** The path to print (relative to the current folder). */
  displayPath: string;
  /** Text of the file, for the code frame; without it only the first line is printed. */
  text?: string;
  color?: boolean;
}

const ansi = {
  red: (s: string) => `\x1b[91m${s}\x1b[0m`,
  cyan: (s: string) => `\x1b[96m${s}\x1b[0m`,
  yellow: (s: string) => `\x1b[93m${s}\x1b[0m`,
  grey: (s: string) => `\x1b[90m${s}\x1b[0m`,
  inverse: (s: string) => `\x1b[7m${s}\x1b[0m`,
};
const plain = { red: id, cyan: id, yellow: id, grey: id, inverse: id };
function id(s: string): string {
  return s;
}

/** At most this many lines of a multi-line span are shown; the rest become `...`. */
const MAX_FRAME_LINES = 4;

export function formatDiagnostic(d: Diagnostic, options: FrameOptions): string {
  const c = options.color ? ansi : plain;
  const head =
    `${c.cyan(options.displayPath)}:${c.yellow(String(d.line))}:${c.yellow(String(d.column))}` +
    ` - ${d.severity === "warning" ? c.yellow("warning") : c.red("error")} ${c.grey(formatCode(d.code))}: ${d.message}\n`;
  const frame = options.text === undefined ? "" : codeFrame(d, options.text, options.color ?? false);
  return frame ? `${head}\n${frame}\n` : `${head}\n`;
}

/** The source lines of the span with a gutter and a `~` line under each; "" if the span is not in the text. */
export function codeFrame(d: Pick<Diagnostic, "line" | "column" | "length">, text: string, color = false): string {
  const c = color ? ansi : plain;
  const lines = text.split(/\r\n|\r|\n/);
  const first = d.line - 1;
  if (!Number.isInteger(first) || first < 0 || first >= lines.length) return "";
  // Walk the span from its start to find where it ends (line, column), 0-based.
  let remaining = Math.max(1, d.length);
  let last = first;
  let startCol = Math.min(Math.max(0, d.column - 1), lines[first].length);
  let endCol = startCol + remaining; // exclusive
  while (endCol > lines[last].length && last + 1 < lines.length) {
    remaining -= lines[last].length - (last === first ? startCol : 0) + 1; // +1 for the line break
    last++;
    endCol = Math.max(0, remaining);
  }
  const gutterWidth = String(last + 1).length;
  const out: string[] = [];
  const shown = last - first + 1 <= MAX_FRAME_LINES
    ? range(first, last)
    : [...range(first, first + MAX_FRAME_LINES - 2), -1, last];
  for (const i of shown) {
    if (i === -1) {
      out.push(c.inverse("...".padStart(gutterWidth)));
      continue;
    }
    const whole = lines[i];
    const wholeFrom = i === first ? startCol : firstNonBlank(whole);
    const wholeTo = i === last ? Math.min(Math.max(endCol, wholeFrom + 1), Math.max(whole.length, wholeFrom + 1)) : whole.length;
    const { line, from, to } = clip(whole, wholeFrom, wholeTo);
    out.push(`${c.inverse(String(i + 1).padStart(gutterWidth))} ${line}`);
    out.push(`${c.inverse(" ".repeat(gutterWidth))} ${blankLike(line.slice(0, from))}${c.red("~".repeat(Math.max(1, to - from)))}`);
  }
  return out.join("\n") + "\n";
}

/** Longer lines are shown as a window of this many characters around the span's start. */
const MAX_FRAME_WIDTH = 160;

/** A line too long to show (a generated sum of thousands of terms) cut to a window around `from`, with `...` where text was left out. */
function clip(line: string, from: number, to: number): { line: string; from: number; to: number } {
  if (line.length <= MAX_FRAME_WIDTH) return { line, from, to };
  const start = Math.max(0, Math.min(from - 40, line.length - MAX_FRAME_WIDTH));
  const end = start + MAX_FRAME_WIDTH;
  const lead = start > 0 ? "..." : "";
  const shift = lead.length - start;
  return { line: lead + line.slice(start, end) + (end < line.length ? "..." : ""), from: from + shift, to: Math.min(to, end) + shift };
}

function range(from: number, to: number): number[] {
  const r: number[] = [];
  for (let i = from; i <= to; i++) r.push(i);
  return r;
}

function firstNonBlank(line: string): number {
  const m = /\S/.exec(line);
  return m ? m.index : 0;
}

/** Keeps tabs so the marker lines up under tab-indented code; every other character becomes a space. */
function blankLike(prefix: string): string {
  return prefix.replace(/[^\t]/g, " ");
}

export function formatSummary(errorCount: number, fileCount: number, warningCount = 0): string {
  const warnings = warningCount > 0 ? `${errorCount > 0 ? " and " : ""}${warningCount} ${warningCount === 1 ? "warning" : "warnings"}` : "";
  const errors = errorCount > 0 || warningCount === 0 ? `${errorCount} ${errorCount === 1 ? "error" : "errors"}` : "";
  return `Found ${errors}${warnings} in ${fileCount} ${fileCount === 1 ? "file" : "files"}.\n`;
}
