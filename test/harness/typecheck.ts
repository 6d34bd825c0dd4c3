/**
 * Generated code is held to the strictest flags a user's project might set: every file a
 * test generates is typechecked with `tsc --strict --noUnusedLocals --noUnusedParameters`
 * (the project's own `typescript` package, the native compiler) once its test file has run
 * (test/harness/setup.ts). `build` records what it writes; `typecheckGenerated` checks any
 * list of files.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tsc = path.join(repoRoot, "node_modules", ".bin", "tsc");

/** The flags every generated file must pass (besides --strict). */
export const GENERATED_CODE_FLAGS = { noUnusedLocals: true, noUnusedParameters: true };

interface Recorded {
  file: string;
  /** A folder where `tsgrad/runtime` resolves, for the tsconfig. */
  root: string;
}
const key = Symbol.for("tsgrad.test.generatedFiles");
const recorded = (): Recorded[] => ((globalThis as Record<symbol, Recorded[]>)[key] ??= []);

/** Remembers a generated file for the check after its test file. */
export function recordGenerated(file: string, root: string): void {
  recorded().push({ file, root });
}

/** The files recorded since the last call, with the folder to check them from. */
export function takeRecorded(): { files: string[]; root: string } | null {
  const all = recorded().splice(0);
  return all.length > 0 ? { files: all.map((r) => r.file), root: all[0]!.root } : null;
}

/**
 * Typechecks `files` (and what they import) in one `tsc` run, from a tsconfig written into
 * `dir`, which must let `tsgrad/runtime` resolve (a folder whose node_modules/tsgrad is
 * this repository). Returns the errors reported in generated files (`*.grad.ts`), one
 * line each; the sources beside them are the tests' own and may be sloppier.
 */
export function typecheckGenerated(files: string[], dir: string): string[] {
  if (files.length === 0) return [];
  const config = path.join(dir, `tsconfig.generated-${process.pid}-${Date.now()}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "bundler",
        strict: true,
        ...GENERATED_CODE_FLAGS,
        noEmit: true,
        // a source importing its helpers as './x.ts' gets a generated file that does too
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        types: [],
        lib: ["ES2022"],
      },
      files: files.map((f) => path.relative(dir, f)),
    }),
  );
  let output: string;
  try {
    output = execFileSync(tsc, ["-p", config, "--pretty", "false"], { encoding: "utf8" });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error);
  }
  return output.split("\n").filter((line) => /\.grad\.ts\(\d+,\d+\): error/.test(line));
}
