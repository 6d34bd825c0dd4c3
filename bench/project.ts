/**
 * A generated project of many small sources, for timing the edit–build loop (bench/loop.ts)
 * and for tests of the build cache and watch mode: `helpers` plain helper modules and
 * `models` annotated sources, each model importing one helper (so a helper change
 * touches every tenth model).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface ProjectShape {
  helpers: number;
  models: number;
}

export const HUNDRED: ProjectShape = { helpers: 10, models: 90 };

export function helperPath(i: number): string {
  return `src/helpers/h${i}.ts`;
}

export function modelPath(i: number): string {
  return `src/models/m${String(i).padStart(2, "0")}.ts`;
}

/** Helper i: a small smooth function of two numbers; `variant` changes its body. */
export function helperText(i: number, variant = 0): string {
  return [
    `/** A smooth helper (variant ${variant}). */`,
    `export function blend${i}(a: number, b: number): number {`,
    `  return a * ${(i % 5) + 1 + variant} + Math.tanh(b) * ${i + 2};`,
    `}`,
    ``,
  ].join("\n");
}

/** Model i: a loss over a vector calling its helper, with a gradient and an HVP. */
export function modelText(i: number, helpers: number, variant = 0): string {
  const h = i % helpers;
  return [
    `import { blend${h} } from "../helpers/h${h}.js";`,
    ``,
    `/**`,
    ` * Model ${i}: a penalised sum over neighbouring pairs.`,
    ` * @grad x`,
    ` * @hvp x`,
    ` */`,
    `export function loss${i}(x: Float64Array, scale: number): number {`,
    `  let total = 0;`,
    `  for (let k = 0; k + 1 < x.length; k++) {`,
    `    const d = x[k + 1] - x[k] * ${(i % 3) + 1 + variant};`,
    `    total += blend${h}(d * d, x[k]) * scale;`,
    `  }`,
    `  return total + Math.log1p(x[0] * x[0]);`,
    `}`,
    ``,
  ].join("\n");
}

/** Writes the project under `root`, with a package.json so the cache lives in its node_modules. */
export function writeProject(root: string, shape: ProjectShape = HUNDRED): void {
  const put = (name: string, text: string) => {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  put("package.json", JSON.stringify({ name: "bench-project", private: true, type: "module" }, null, 2) + "\n");
  for (let i = 0; i < shape.helpers; i++) put(helperPath(i), helperText(i));
  for (let i = 0; i < shape.models; i++) put(modelPath(i), modelText(i, shape.helpers));
}
