/**
 * Generated code compiles wherever the user's code compiles: every checked-in generated
 * file (samples, bench workloads, GradBench), with the runtime helpers copied into it,
 * typechecks under the strict flags projects turn on (README, "Use it in your project").
 * Errors inside the sources themselves are the samples' business and are not counted.
 * The consumer test (test/consumer/run.ts) covers module systems and bundlers on an
 * installed package; this covers the breadth of what the compiler emits. For a project with
 * noUncheckedIndexedAccess, samples of every kind (stacks and cursors, objects, dense and sparse
 * Hessians and Jacobians, ADBench) are compiled as such a project gets them (`a[i]!`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { compileSources } from "../compiler/index.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const STRICT_FLAGS = {
  strict: true,
  noImplicitReturns: true,
  exactOptionalPropertyTypes: true,
  noPropertyAccessFromIndexSignature: true,
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
  verbatimModuleSyntax: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
};

/** Runs tsc on `files` with `options` in a temporary folder; returns the errors located in generated files. */
function typecheck(files: string[], options: Record<string, unknown>): { errors: string[]; stderr: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-strict-"));
  try {
    const compilerOptions = { ...STRICT_FLAGS, noEmit: true, target: "ES2022", module: "nodenext", moduleResolution: "nodenext", allowImportingTsExtensions: true, lib: ["ES2022"], types: [], skipLibCheck: true, ...options };
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files }));
    const tsc = spawnSync(process.execPath, [path.join(repo, "node_modules/typescript/bin/tsc"), "-p", dir, "--pretty", "false"], { encoding: "utf8" });
    return { errors: tsc.stdout.split("\n").filter((line) => /\.grad\.ts\(\d+,\d+\): error/.test(line)), stderr: tsc.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it("every checked-in generated file typechecks under strict flags", () => {
  const files = ["samples", "bench/workloads", "bench/gradbench"].flatMap((dir) =>
    readdirSync(path.join(repo, dir))
      .filter((f) => f.endsWith(".grad.ts"))
      .map((f) => path.join(repo, dir, f)),
  );
  expect(files.length).toBeGreaterThan(30);
  const { errors, stderr } = typecheck(files, {});
  expect(errors).toEqual([]);
  expect(stderr).toBe("");
});

it("with noUncheckedIndexedAccess, generated files read elements as a[i]! and typecheck", async () => {
  const names = ["quadratic", "robertson", "lstm", "linalg", "tanhNetwork", "pLaplacian"];
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-unchecked-"));
  try {
    const inputs = names.map((n) => ({ path: path.join(dir, `${n}.ts`), text: readFileSync(path.join(repo, "samples", `${n}.ts`), "utf8") }));
    const result = await compileSources(inputs, { style: () => ({ uncheckedIndexedAccess: true, importExtension: ".ts" }) });
    expect(result.diagnostics).toEqual([]);
    for (const f of [...inputs, ...result.files]) writeFileSync(f.path, f.text);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    expect(result.files.find((f) => f.path.endsWith("quadratic.grad.ts"))!.text).toMatch(/\w\[\w+\]!\[\w+\] = /); // a dense Hessian's write
    const { errors, stderr } = typecheck(result.files.map((f) => f.path), { noUncheckedIndexedAccess: true });
    expect(errors).toEqual([]);
    expect(stderr).toBe("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
