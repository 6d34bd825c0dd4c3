/**
 * The compiler's layers import only downward, and no files import each other in a circle:
 *
 *   codeCache.ts                (what typescript.ts requires TypeScript with)
 *   diagnostics.ts, packageRoot.ts, typescript.ts (TypeScript's API)
 *   ir/                         the IR, its helpers, the primitives table
 *   analysis/ frontend/ backend/  facts about IR · TypeScript → IR · IR → TypeScript
 *   transform/                  passes (reverse mode's rooms in transform/reverse/)
 *   modes/                      each mode's passes and public API
 *   pipeline.ts                 the driver
 *   graph/ verify/              tools over the pipeline (tsgrad graph, tsgrad verify)
 *   cli/                        the command's parts
 *   cli.ts, plugin/             the command, the bundler plugin (built on cli/'s build)
 *   index.ts                    the package entry (compileSources, main)
 *
 * A file may import files of lower layers and of its own folder (its own layer); folders of
 * one layer do not import each other. Read from the import statements of the source text.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const compiler = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../compiler");

/** Layer of each top-level entry of compiler/ (a folder or a file). */
const LAYERS: Record<string, number> = {
  "codeCache.ts": -1,
  "diagnostics.ts": 0,
  "packageRoot.ts": 0,
  "stages.ts": 0,
  "typescript.ts": 0,
  ir: 1,
  analysis: 2,
  frontend: 2,
  backend: 2,
  transform: 3,
  modes: 4,
  "pipeline.ts": 5,
  graph: 6,
  verify: 6,
  cli: 7,
  "cli.ts": 8,
  plugin: 8,
  "index.ts": 9,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

/** Relative imports of a file (`import … from "./x.ts"`, `import("../y.ts")`, `import "./z.ts"`), resolved. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return found.map((spec) => path.resolve(path.dirname(file), spec));
}

const top = (file: string) => path.relative(compiler, file).split(path.sep)[0]!;

describe("the compiler's import graph", () => {
  const files = sources(compiler);
  const edges = new Map(files.map((f) => [f, importsOf(f).filter((to) => to.startsWith(compiler + path.sep))]));

  it("gives every top-level folder and file a layer", () => {
    const unplaced = [...new Set(files.map(top))].filter((t) => LAYERS[t] === undefined);
    expect(unplaced).toEqual([]);
  });

  it("has no import that points up a layer or sideways into another folder of the same layer", () => {
    const wrong: string[] = [];
    for (const [from, targets] of edges) {
      for (const to of targets) {
        const [a, b] = [top(from), top(to)];
        if (a === b) continue;
        if (LAYERS[b]! >= LAYERS[a]!) wrong.push(`${path.relative(compiler, from)} → ${path.relative(compiler, to)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("has no cycle of imports between files", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const stack: string[] = [];
    const visit = (f: string) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...stack.slice(stack.indexOf(f)), f].map((x) => path.relative(compiler, x)).join(" → "));
        return;
      }
      state.set(f, "open");
      stack.push(f);
      for (const to of edges.get(f) ?? []) visit(to);
      stack.pop();
      state.set(f, "done");
    };
    for (const f of files) visit(f);
    expect(cycles).toEqual([]);
  });

  it("loads TypeScript only through typescript.ts (with require: an ES import of it costs every start ~0.1 s)", () => {
    // Types may come from "ts-morph" itself: `import type` is erased.
    const valueImports = files.filter((f) => /^import\s+(?!type\b)[^;]*\bfrom\s+["']ts-morph["']/m.test(readFileSync(f, "utf8")) || /\bimport\s*\(\s*["']ts-morph["']/.test(readFileSync(f, "utf8")));
    expect(valueImports.map((f) => path.relative(compiler, f))).toEqual([]);
    const loader = readFileSync(path.join(compiler, "typescript.ts"), "utf8");
    expect(loader).toMatch(/createRequire\(import\.meta\.url\)/);
    expect(loader).toMatch(/\("@ts-morph\/common\/dist\/typescript\.js"\)/);
  });
});
