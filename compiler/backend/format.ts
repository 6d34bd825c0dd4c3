/**
 * tsgrad's own formatting: prettier with fixed options, used where the project has no say
 * (compileSources without a style, `"format": "tsgrad"` in the config). The CLI formats with
 * the project's own prettier configuration otherwise (cli/style.ts).
 */
import * as prettier from "prettier";

export const TSGRAD_PRETTIER_OPTIONS = { printWidth: 100, trailingComma: "all", endOfLine: "lf" } as const;

/** What one-line statements depend on in that style (backend/lines.ts writes those itself). */
export const TSGRAD_LINE_STYLE = { printWidth: 100, tabWidth: 2, useTabs: false, semi: true, bracketSpacing: true } as const;

export async function formatTypeScript(text: string): Promise<string> {
  // The file path tells prettier this is not TSX, which skips a slow JSX-sniffing regex on large files.
  return prettier.format(text, { parser: "typescript", filepath: "generated.grad.ts", ...TSGRAD_PRETTIER_OPTIONS });
}
