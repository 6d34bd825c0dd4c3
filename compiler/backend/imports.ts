/**
 * Import specifiers in generated files. A generated file imports from the user's own
 * modules (the source's exported types, callees it calls, other generated files), and
 * writes those specifiers the way the source writes its own relative imports, so they
 * resolve wherever the source's do: `./x.js` (nodenext, node16, bundlers, CommonJS and ESM),
 * `./x.ts` (allowImportingTsExtensions, Node's type stripping, Deno), or `./x` (bundler
 * resolution, CommonJS). A source without relative imports gets the project's choice
 * (OutputStyle.importExtension, from its tsconfig), else `.js`, which every TypeScript
 * resolution mode accepts.
 */
import path from "node:path";
import { ts } from "../typescript.ts";

/** The extension written on relative import specifiers. */
export type ImportExtension = ".js" | ".ts" | "";

const EXTENSIONS: readonly ImportExtension[] = [".js", ".ts", ""];

/** The style of the source's own relative imports and re-exports (the most used one), if it has any. */
export function importExtensionOf(sf: ts.SourceFile): ImportExtension | undefined {
  const counts = new Map<ImportExtension, number>();
  for (const s of sf.statements) {
    const spec = (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined;
    if (!spec || !(spec.startsWith("./") || spec.startsWith("../"))) continue;
    const ext = /\.(c|m)?js$/.test(spec) ? ".js" : /\.(c|m)?ts$/.test(spec) ? ".ts" : /\.[^./]+$/.test(spec) ? undefined : "";
    if (ext !== undefined) counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  let best: ImportExtension | undefined;
  for (const ext of EXTENSIONS) if ((counts.get(ext) ?? 0) > (best === undefined ? 0 : counts.get(best)!)) best = ext;
  return best;
}

/** The specifier of the TypeScript module `to` as imported from the file `from` (`./x.js`, `../lib/y`). */
export function relativeSpecifier(from: string, to: string, ext: ImportExtension): string {
  const rel = path.relative(path.dirname(from), to).replace(/\\/g, "/").replace(/\.ts$/, ext);
  return rel.startsWith(".") ? rel : `./${rel}`;
}
