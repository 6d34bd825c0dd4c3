/**
 * The generated modules of bench/checkpoint's `gen:` and `while:` variants, built once per
 * process in a temporary folder (run.ts passes their paths to its children).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileSources } from "../../compiler/pipeline.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-bench-checkpoint-"));
const built = new Map<string, string>();

/** A variant that runs a generated module (built here): `gen:`, `while:`. */
export const generated = (variant: string) => /^(gen|while):/.test(variant);

/**
 * The sample rebuilt with `// @checkpoint OPTIONS` above its main loop (the variant
 * `gen:OPTIONS`), or with that loop written as `while (s < steps) { …; s++; }` (`while:OPTIONS`:
 * the trip count is known only at the end, so the online schedule drives it): the generated
 * module's path.
 */
export async function checkpointedModule(workload: string, variant: string): Promise<string> {
  const key = `${workload} ${variant}`;
  const known = built.get(key);
  if (known) return known;
  const [kind, ...rest] = variant.split(":");
  const options = rest.join(":");
  const text = readFileSync(path.join(here, "../../samples", `${workload}.ts`), "utf8");
  const loop = "  for (let s = 0; s < steps; s++) {";
  const start = text.indexOf(loop);
  const end = text.indexOf("\n  }\n", start);
  if (start < 0 || end < 0) throw new Error(`samples/${workload}.ts: no main loop '${loop.trim()}' to tag`);
  const tagged =
    kind === "while"
      ? `${text.slice(0, start)}  let s = 0;\n  // @checkpoint ${options}\n  while (s < steps) {${text.slice(start + loop.length, end)}\n    s++;${text.slice(end)}`
      : text.replace(loop, `  // @checkpoint ${options}\n${loop}`);
  const file = path.join(buildDir, `${workload}${built.size}.ts`);
  writeFileSync(file, tagged);
  const result = await compileSources([{ path: file, text: tagged }]);
  const out = result.files[0];
  if (!out || result.diagnostics.some((d) => d.severity !== "warning")) throw new Error(`${key}: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  if (kind === "while" && !out.text.includes(".startOnline")) throw new Error(`${key}: the while loop did not get the online schedule`);
  writeFileSync(out.path, out.text);
  built.set(key, out.path);
  return out.path;
}

