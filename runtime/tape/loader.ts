/**
 * Loads the rewritten twin of a module: reads the file, rewrites it (rewrite.ts), runs the
 * CommonJS output with `$t` in scope, and resolves relative imports (`./x.ts`, `./x.js`,
 * `./x`, `./dir` → `./dir/index.ts`) by loading those files the same way, so that calls
 * between user functions stay traced. Other imports go to Node's own `require`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { type RewrittenModule, rewriteSource } from "./rewrite.ts";
import { shim } from "./shim.ts";

export type TracedFunction = (...args: unknown[]) => unknown;

export interface LoadedModule {
  readonly file: string;
  readonly exports: Record<string, unknown>;
  /** Top-level functions, exported or not. */
  readonly functions: ReadonlyMap<string, TracedFunction>;
  /** Parameter names of each top-level function, from its declaration. */
  readonly params: ReadonlyMap<string, readonly string[]>;
  readonly rewritten: RewrittenModule;
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/** The file a relative specifier names, trying the TypeScript spellings of it. */
export function resolveRelative(spec: string, fromFile: string): string {
  const base = path.resolve(path.dirname(fromFile), spec);
  const stem = base.replace(/\.(m|c)?js$/, "");
  const candidates = [base, `${stem}.ts`, `${stem}.mts`, `${stem}.cts`, `${stem}.tsx`, `${base}.ts`, `${base}.js`, path.join(base, "index.ts"), path.join(base, "index.js")];
  for (const c of candidates) if (isFile(c)) return c;
  throw new Error(`tape: cannot resolve import "${spec}" from ${fromFile}`);
}

export class ModuleLoader {
  private readonly cache = new Map<string, LoadedModule>();

  /** Loads `file` (from `source` when given, else from disk), once per loader. */
  load(file: string, source?: string): LoadedModule {
    const abs = path.resolve(file);
    const cached = this.cache.get(abs);
    if (cached) return cached;
    const text = source ?? readFileSync(abs, "utf8");
    const rewritten = rewriteSource(text, abs);
    const exports: Record<string, unknown> = {};
    const functions = new Map<string, TracedFunction>();
    const loaded: LoadedModule = { file: abs, exports, functions, params: rewritten.functions, rewritten };
    this.cache.set(abs, loaded); // before running: import cycles see the partial exports
    const nodeRequire = createRequire(abs);
    const require = (spec: string): unknown => (spec.startsWith(".") ? this.load(resolveRelative(spec, abs)).exports : nodeRequire(spec));
    const names = [...rewritten.functions.keys()];
    const body = `${rewritten.javascript}\n;return { ${names.map((n) => `${JSON.stringify(n)}: ${n === "default" ? "exports.default" : n}`).join(", ")} };`;
    let run: (...a: unknown[]) => Record<string, TracedFunction>;
    try {
      run = new Function("exports", "require", "module", "__filename", "__dirname", "$t", body) as typeof run;
    } catch (e) {
      this.cache.delete(abs);
      throw new Error(`tape: the rewritten ${abs} does not parse: ${(e as Error).message}\n${rewritten.javascript}`);
    }
    const module = { exports };
    const table = run(exports, require, module, abs, path.dirname(abs), shim);
    for (const n of names) functions.set(n, table[n]!);
    return loaded;
  }
}
