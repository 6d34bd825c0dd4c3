/**
 * Incremental rebuilds for `--watch`: the sources a change affects are the changed files
 * themselves and every source that imports one of them, directly or through others
 * (differentiated code inlines its callees, so an importer's output can change too).
 */
import { existsSync, readFileSync } from "node:fs";
import { relativeImports } from "./read.ts";

/**
 * The subset of `sources` to rebuild after `changed` changed, or null when a full build is
 * needed (a source was deleted, so orphaned outputs may have to go).
 */
export function affectedSources(changed: readonly string[], sources: readonly string[]): string[] | null {
  if (changed.some((f) => !existsSync(f))) return null;
  const importers = new Map<string, Set<string>>();
  for (const source of sources) {
    let text: string;
    try {
      text = readFileSync(source, "utf8");
    } catch {
      continue;
    }
    for (const target of relativeImports(source, text)) {
      if (!importers.has(target)) importers.set(target, new Set());
      importers.get(target)!.add(source);
    }
  }
  const affected = new Set(changed.filter((f) => sources.includes(f)));
  const queue = [...changed];
  while (queue.length) {
    const next = queue.pop()!;
    for (const importer of importers.get(next) ?? []) {
      if (!affected.has(importer)) {
        affected.add(importer);
        queue.push(importer);
      }
    }
  }
  return [...affected].sort();
}
