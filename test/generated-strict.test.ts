/**
 * Generated code compiles wherever the user's code compiles: every checked-in generated
 * file (samples, bench workloads, GradBench), with the runtime helpers copied into it,
 * typechecks under the strict flags projects turn on (README, "Use it in your project").
 * Errors inside the sources themselves are the samples' business and are not counted.
 * The consumer test (test/consumer/run.ts) covers module systems and bundlers on an
 * installed package; this covers the breadth of what the compiler emits.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const STRICT_FLAGS = {
  strict: true,
  noImplicitReturns: true,
  exactOptionalPropertyTypes: true,
  noPropertyAccessFromIndexSignature: true,
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
  verbatimModuleSyntax: true,
  // noUnusedLocals and noUnusedParameters: on as soon as generated code has no dead
  // locals (issue 17, the codegen engineer); the consumer test's model already has them on.
};

it("every checked-in generated file typechecks under strict flags", () => {
  const files = ["samples", "bench/workloads", "bench/gradbench"].flatMap((dir) =>
    readdirSync(path.join(repo, dir))
      .filter((f) => f.endsWith(".grad.ts"))
      .map((f) => path.join(repo, dir, f)),
  );
  expect(files.length).toBeGreaterThan(30);
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-strict-"));
  try {
    const compilerOptions = { ...STRICT_FLAGS, noEmit: true, target: "ES2022", module: "nodenext", moduleResolution: "nodenext", allowImportingTsExtensions: true, lib: ["ES2022"], types: [], skipLibCheck: true };
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files }));
    const tsc = spawnSync(process.execPath, [path.join(repo, "node_modules/typescript/bin/tsc"), "-p", dir, "--pretty", "false"], { encoding: "utf8" });
    const errors = tsc.stdout.split("\n").filter((line) => /\.grad\.ts\(\d+,\d+\): error/.test(line));
    expect(errors).toEqual([]);
    expect(tsc.stderr).toBe("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
