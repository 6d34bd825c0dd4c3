/**
 * `prettier` in the browser: the compiler formats with `prettier.format(text, options)`
 * (compiler/backend/format.ts), which in Node loads its parser plugins itself. The
 * browser build of prettier (standalone) needs them passed in: this module, which
 * vite.config.ts substitutes for "prettier", does that. Same core, same output.
 */
import * as standalone from "prettier/standalone";
import * as estree from "prettier/plugins/estree";
import * as typescript from "prettier/plugins/typescript";

export function format(text: string, options: Parameters<typeof standalone.format>[1]): Promise<string> {
  return standalone.format(text, { ...options, plugins: [estree, typescript] });
}
