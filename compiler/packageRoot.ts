/**
 * Where tsgrad's own files are: the nearest folder above this module with a package.json.
 * The same answer whether this runs from the sources (compiler/) or from the compiled
 * package (dist/compiler/), so `--version` and the runtime helpers' sources (runtime/*.ts)
 * are found in both.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  const here = fileURLToPath(import.meta.url);
  let dir = path.dirname(here);
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`tsgrad's package.json not found above ${here}`);
    dir = parent;
  }
  return (root = dir);
}
