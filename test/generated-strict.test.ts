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
import { fileURLToPath, pathToFileURL } from "node:url";
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

/**
 * Tuples and named types the functions return: `const value = [a, b]` alone is a number[],
 * not the `[number, number]` or `Vec2` it is returned as, and a type named only in a return
 * type must be imported too. Every mode, typechecked, and the derivatives against closed forms.
 */
it("functions returning tuples, aliases and interfaces typecheck in every mode, with correct derivatives", async () => {
  const source = `export type Vec2 = [number, number];
export interface Pair { a: number; b: number }
/** @jacobian v */
export function rotate(v: Vec2, angle: number): Vec2 {
  const c = Math.cos(angle), s = Math.sin(angle);
  return [c * v[0] - s * v[1], s * v[0] + c * v[1]];
}
/** @vjp v */
export function rotateLocal(v: [number, number], angle: number): [number, number] {
  const c = Math.cos(angle), s = Math.sin(angle);
  const out: [number, number] = [c * v[0] - s * v[1], s * v[0] + c * v[1]];
  return out;
}
/** @jacobian v sparse */
export function triple(v: number[]): [number, number, number] {
  const out: [number, number, number] = [v[0] * v[1], Math.sin(v[1]), v[2] * v[2]];
  return out;
}
/** @jvp v */
export function pairOf(v: number[]): Vec2 {
  return [v[0] * v[1], v[1] - v[0]];
}
/** @vjp v */
export function named(v: number[]): Pair {
  return { a: v[0] * v[1], b: v[1] - v[0] };
}
/** @jacobian v */
export function namedRows(v: number[]): Pair {
  return { a: v[0] * v[1] * v[2], b: v[1] - v[0] };
}
`;
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-tuples-"));
  try {
    const input = { path: path.join(dir, "shapes.ts"), text: source };
    const result = await compileSources([input], { style: () => ({ importExtension: ".ts" }) });
    expect(result.diagnostics).toEqual([]);
    for (const f of [input, ...result.files]) writeFileSync(f.path, f.text);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const generated = result.files[0]!.text;
    expect(generated).toContain('import type { Pair, Vec2 } from "./shapes.ts";');
    const { errors, stderr } = typecheck([result.files[0]!.path], {});
    expect(errors).toEqual([]);
    expect(stderr).toBe("");

    const g = await import(pathToFileURL(result.files[0]!.path).href);
    const angle = 0.3, c = Math.cos(angle), s = Math.sin(angle);
    const close = (a: number[][], b: number[][]) => a.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(b[i]![j]!, 14)));
    const rotation = g.rotateJacobian([1, 2], angle);
    close([rotation.value], [[c - 2 * s, s + 2 * c]]);
    close(rotation.jacobian, [[c, -s], [s, c]]);
    const local = g.rotateLocalVjp([1, 2], angle, [0.5, -1]);
    close([local.value, local.grad.v], [[c - 2 * s, s + 2 * c], [0.5 * c - s, -0.5 * s - c]]);
    const v = [0.7, -1.3, 2];
    const sparse = g.tripleJacobianSparse(v);
    expect([...sparse.jacobian.rowPointers]).toEqual([0, 2, 3, 4]);
    expect([...sparse.jacobian.columnIndices]).toEqual([0, 1, 1, 2]);
    close([[...sparse.jacobian.values]], [[v[1]!, v[0]!, Math.cos(v[1]!), 2 * v[2]!]]);
    const pair = g.pairOfJvp([2, 3], { v: [1, -1] });
    close([pair.value, pair.tangent], [[6, 1], [3 - 2, -2]]);
    const namedVjp = g.namedVjp([2, 3], { a: 1, b: 2 });
    close([[namedVjp.value.a, namedVjp.value.b], namedVjp.grad.v], [[6, 1], [3 - 2, 2 + 2]]);
    // An object result's Jacobian: a row per field (a, b); three columns, so reverse sweeps.
    close(g.namedRowsJacobian([2, 3, 5]).jacobian, [[15, 10, 6], [-1, 1, 0]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
