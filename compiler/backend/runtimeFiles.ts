/**
 * The texts of tsgrad's runtime helper modules (`runtime/*.ts`), which helpers.ts copies
 * into generated files, read from the package on disk. The compiler's one file read: the
 * playground, where there is no disk, substitutes a module with the same texts bundled
 * (playground/src/host/runtimeFiles.ts, mapped in playground/vite.config.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../packageRoot.ts";

/** Every helper module as file name and text, sorted by name. */
export function runtimeModules(): { module: string; text: string }[] {
  const dir = path.join(packageRoot(), "runtime");
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).sort();
  return files.map((f) => ({ module: f, text: readFileSync(path.join(dir, f), "utf8") }));
}
