/**
 * tsgrad's own formatting: prettier with fixed options, used where the project has no say
 * (compileSources without a style, `"format": "tsgrad"` in the config). The CLI formats with
 * the project's own prettier configuration otherwise (cli/style.ts).
 */
import * as prettier from "prettier";

export const TSGRAD_PRETTIER_OPTIONS = { printWidth: 100, trailingComma: "all", endOfLine: "lf" } as const;

export async function formatTypeScript(text: string): Promise<string> {
  // The file path tells prettier this is not TSX, which skips a slow JSX-sniffing regex on large files.
  return prettier.format(text, { parser: "typescript", filepath: "generated.grad.ts", ...TSGRAD_PRETTIER_OPTIONS });
}
