/**
 * Tags that would otherwise be ignored without a word, reported as warnings:
 *
 *   @gradient, @Grad, @hvP, @jacobians, @vjpof   a near miss of a tsgrad tag: "did you mean @grad?"
 *   // @grad   or   /* @grad *\/                  a tag in a comment TypeScript does not read as JSDoc
 *
 * Only comments right above a function (the ones its JSDoc would be) are read, so prose
 * elsewhere that mentions a tag is left alone. Several JSDoc blocks above one function are
 * not a problem: their tags are merged (functions.ts, tagsOf). Standard JSDoc tags
 * (@param, @returns, @example, …) are never reported.
 */
import { ts } from "../typescript.ts";
import { Codes, type Diagnostic } from "../diagnostics.ts";
import { MODES, tagsOf, type FunctionSource } from "./functions.ts";

/** Every tag tsgrad reads. */
const TSGRAD_TAGS: readonly string[] = [...MODES, "vjpOf", "inline", "noinline", "checkpoint"];

/** Tags other tools use; never a typo of ours even when close (`@see`, `@jsx`). */
const STANDARD_TAGS = new Set(
  [
    "param", "arg", "argument", "returns", "return", "throws", "exception", "example", "see", "link", "linkcode", "linkplain", "deprecated", "since",
    "type", "typedef", "template", "typeParam", "remarks", "internal", "public", "private", "protected", "readonly", "beta", "alpha", "experimental",
    "default", "defaultValue", "override", "author", "version", "todo", "note", "category", "module", "packageDocumentation", "summary", "satisfies",
    "callback", "property", "prop", "enum", "const", "constant", "async", "function", "func", "method", "class", "constructor", "this", "yields",
    "inheritDoc", "inheritdoc", "label", "event", "fires", "listens", "ignore", "hidden", "license", "copyright", "file", "fileoverview", "jsx",
    "jsxImportSource", "jsxRuntime", "jsxFrag", "ts-ignore", "ts-expect-error", "sealed", "virtual", "eventProperty", "privateRemarks",
  ].map((t) => t.toLowerCase()),
);

/** Warnings for the function sources of a file (their JSDoc tags and the comments right above them). */
export function tagWarnings(sf: ts.SourceFile, fileName: string, sources: readonly FunctionSource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (pos: number, length: number) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(pos);
    return { file: fileName, line: line + 1, column: character + 1, length: Math.max(1, length) };
  };
  for (const source of sources) {
    for (const tag of tagsOf(source.docHost)) {
      const name = tag.tagName.text;
      if (TSGRAD_TAGS.includes(name) || STANDARD_TAGS.has(name.toLowerCase())) continue;
      const meant = nearest(name);
      if (!meant) continue;
      out.push({
        code: Codes.SuspiciousTag,
        severity: "warning",
        message: `unknown tag '@${name}' is ignored; did you mean '@${meant}'?${name.toLowerCase() === meant.toLowerCase() ? " (tags are case-sensitive)" : ""}`,
        ...at(tag.tagName.getStart(sf) - 1, name.length + 1),
      });
    }
    // Plain comments right above the function: TypeScript reads tags only in /** … */ blocks.
    for (const range of ts.getLeadingCommentRanges(sf.text, source.docHost.getFullStart()) ?? []) {
      const text = sf.text.slice(range.pos, range.end);
      if (text.startsWith("/**") && !text.startsWith("/**/")) continue;
      for (const m of text.matchAll(/(^|\n)[\s/*]*@([A-Za-z]+)/g)) {
        const name = m[2]!;
        const meant = TSGRAD_TAGS.includes(name) ? name : nearest(name);
        if (!meant) continue;
        const offset = range.pos + m.index! + m[0].length - name.length - 1;
        const kind = range.kind === ts.SyntaxKind.SingleLineCommentTrivia ? "a // comment" : "a /* */ comment";
        out.push({
          code: Codes.SuspiciousTag,
          severity: "warning",
          message: `'@${name}' in ${kind} is ignored: tsgrad reads tags in /** … */ comments; write '/** @${meant} */' above the function`,
          ...at(offset, name.length + 1),
        });
      }
    }
  }
  return out;
}

/** The tsgrad tag a name is a near miss of: same letters in another case, a suffix added, or one or two edits. */
export function nearest(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: { tag: string; score: number } | undefined;
  for (const tag of TSGRAD_TAGS) {
    const t = tag.toLowerCase();
    let score: number;
    if (lower === t) score = 0;
    else if (lower.startsWith(t) && t.length >= 3 && lower.length - t.length <= 6) score = 1; // @gradient, @jacobians, @hvpOf
    else {
      const d = editDistance(lower, t);
      score = d <= (t.length <= 4 ? 1 : 2) ? 1 + d : Infinity;
    }
    if (score < (best?.score ?? Infinity)) best = { tag, score };
  }
  return best?.tag;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
