/**
 * Where a source is too large for the compiler. Parsing (TypeScript's parser), lowering,
 * the passes, printing and formatting (prettier) recurse once per nesting level of an
 * expression, and a long sum `a + b + c + …` nests once per term; when that exhausts the
 * stack, the diagnostic (TSG1006) points at the expression that nests deepest or, if
 * nothing nests deeply, at the longest statement, names the function and says what to do.
 * (The CLI first compiles such a file again with a much larger stack: cli/largeStack.ts.)
 */
import { baseName, Codes, type Diagnostic } from "../diagnostics.ts";

/** True for the error a JavaScript engine throws when recursion runs out of stack (also when wrapped, as `cause`). */
export function isStackOverflow(error: unknown): boolean {
  for (let e = error, k = 0; e instanceof Error && k < 8; e = e.cause, k++) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) return true;
  }
  return false;
}

/**
 * The deepest `(` or `[` of `text` (outside strings and comments) and its depth, and
 * the longest statement (text between `;`, `{` and `}`: a sum `a + b + …` nests as deeply
 * as it has terms): a scan, not a parse (the parse may be what failed).
 */
export function deepestPoint(text: string): { offset: number; depth: number; longest: { offset: number; length: number } } {
  let depth = 0;
  let best = { offset: 0, depth: 0 };
  let longest = { offset: 0, length: 0 };
  let statement = 0;
  const opened: boolean[] = [];
  const end = (i: number) => {
    if (i - statement > longest.length) longest = { offset: statement, length: i - statement };
    statement = i + 1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "/" && text[i + 1] === "/") {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? text.length : close + 1;
    } else if (c === '"' || c === "'" || c === "`") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "(" || c === "[" || c === "{") {
      // Parentheses and array literals nest expressions; an index `a[i]` and a block do not count.
      const counts = c === "(" || (c === "[" && !/[\w$)\]]/.test(previousNonBlank(text, i)));
      opened.push(counts);
      if (counts && ++depth > best.depth) best = { offset: i, depth };
      if (c === "{") end(i);
    } else if (c === ")" || c === "]" || c === "}") {
      if (opened.pop()) depth--;
      if (c === "}") end(i);
    } else if (c === ";") {
      end(i);
    }
  }
  end(text.length);
  return { ...best, longest };
}

/** How deep brackets may nest before they are the likely culprit (a program nests far less). */
const DEEP = 64;

/**
 * The TSG1006 diagnostic for `file` (its text `text`), which exhausted the stack while
 * `stage` ("parsing", "compiling", "formatting the generated file"); `fn` narrows the
 * search to one function's text and names it.
 */
export function tooLargeDiagnostic(file: string, text: string, stage: string, fn?: { name: string; start: number; end: number }): Diagnostic {
  const start = fn?.start ?? 0;
  const part = text.slice(start, fn?.end ?? text.length);
  const { offset, depth, longest } = deepestPoint(part);
  const nested = depth >= DEEP;
  const statement = part.slice(longest.offset, longest.offset + longest.length);
  const indent = statement.match(/^\s*/)![0].length;
  const local = nested ? offset : longest.offset + indent;
  const at = start + local;
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  const what = nested ? `an expression nested ${depth} levels deep` : `a statement of ${longest.length - indent} characters`;
  const name = fn?.name ?? enclosingFunction(text, at);
  const where = name ? `'${name}' in ${baseName(file)}` : baseName(file);
  const todo = nested ? "split it into several statements (const inner = …; then use inner)" : "split it into several statements (const a = … + …; const b = … + …; return a + b)";
  return {
    code: Codes.TooLarge,
    message: `${where} is too large to compile: ${what} exhausted the stack while ${stage}; ${todo}`,
    file,
    line,
    column,
    length: 1,
  };
}

/** The name of the last function declared before `offset` (`function f`, `const f =`, a method `f(`): the parse failed, so a scan. */
function enclosingFunction(text: string, offset: number): string | undefined {
  let name: string | undefined;
  const declaration = /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)|\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(?:async\s*)?(?:function\b|\()/g;
  for (let m = declaration.exec(text); m && m.index < offset; m = declaration.exec(text)) name = m[1] ?? m[2];
  return name;
}

/** `d` (a TSG1006) also saying how large a stack tsgrad tried, and how to give it more. */
export function withStackTried(d: Diagnostic, stackMb: number): Diagnostic {
  return { ...d, message: `${d.message}, or set TSGRAD_STACK_MB above ${stackMb} (the megabytes of stack tsgrad compiled it with)` };
}

function previousNonBlank(text: string, i: number): string {
  let k = i - 1;
  while (k >= 0 && /\s/.test(text[k]!)) k--;
  return k >= 0 ? text[k]! : "";
}
