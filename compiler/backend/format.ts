/** Formatting: prettier with fixed options, so output does not depend on the user's config. */
import * as prettier from "prettier";

export async function formatTypeScript(text: string): Promise<string> {
  // The file path tells prettier this is not TSX, which skips a slow JSX-sniffing regex on large files.
  return prettier.format(text, { parser: "typescript", filepath: "generated.grad.ts", printWidth: 100, trailingComma: "all", endOfLine: "lf" });
}
