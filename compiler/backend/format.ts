/** Formatting: prettier with fixed options, so output does not depend on the user's config. */
import * as prettier from "prettier";

export async function formatTypeScript(text: string): Promise<string> {
  return prettier.format(text, { parser: "typescript", printWidth: 100, trailingComma: "all", endOfLine: "lf" });
}
