/**
 * `@vjpOf` for a function tsgrad cannot see into: one imported from an npm package
 * (directly, renamed, and through a local wrapper). Reverse mode calls the package's
 * function and the rule; forward modes say why they cannot. Checked against central
 * differences of the real package function.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildProject, diagnose, workspaceDir } from "./harness/build.ts";
import { centralDifferences, maxRelError } from "./harness/numeric.ts";

/** A package in the harness workspace's node_modules: a stable log-sum-exp with its types. */
function installPackage(): void {
  const root = path.join(workspaceDir(), "node_modules", "stable-lse");
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "stable-lse", version: "1.0.0", type: "module", main: "index.js", types: "index.d.ts" }));
  writeFileSync(
    path.join(root, "index.js"),
    "export function logSumExp(v) { let m = -Infinity; for (const x of v) m = Math.max(m, x); let s = 0; for (const x of v) s += Math.exp(x - m); return m + Math.log(s); }\n",
  );
  writeFileSync(path.join(root, "index.d.ts"), "export declare function logSumExp(v: readonly number[]): number;\n");
}

const rule = (name: string) => `
/**
 * The softmax, times the cotangent.
 *
 * @vjpOf ${name}
 */
export function ${name}VjpInto(v: readonly number[], cotangent: number, grad: { v: number[] }): number {
  const value = ${name}(v);
  for (let k = 0; k < v.length; k++) grad.v[k] += cotangent * Math.exp(v[k] - value);
  return value;
}
`;

const cases = {
  direct: `
import { logSumExp } from "stable-lse";
${rule("logSumExp")}
/** @grad */
export function loss(z: number[], t: number): number {
  return t * logSumExp(z) - z[0];
}
`,
  renamed: `
import { logSumExp as lse } from "stable-lse";
${rule("lse")}
/** @grad */
export function loss(z: number[], t: number): number {
  return t * lse(z) - z[0];
}
`,
  wrapper: `
import { logSumExp } from "stable-lse";
export function lse(v: readonly number[]): number {
  return logSumExp(v);
}
${rule("lse")}
/** @grad */
export function loss(z: number[], t: number): number {
  return t * lse(z) - z[0];
}
`,
};

describe("@vjpOf for a package's function", () => {
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: reverse mode calls the package and the rule`, async () => {
      installPackage();
      const built = await buildProject({ "model.ts": text }, "model.ts");
      // The package's function itself, or the local wrapper that calls it.
      expect(built.text).toContain(name === "wrapper" ? `import { lse, lseVjpInto } from "./model.js"` : `from "stable-lse"`);
      const f = built.source.loss as (z: number[], t: number) => number;
      const grad = built.generated.lossGrad as (z: number[], t: number) => { value: number; grad: { z: number[]; t: number } };
      const z = [0.3, -1.2, 2.2, 0.7];
      const g = grad(z, 1.3);
      expect(g.value).toBe(f(z, 1.3));
      const fd = centralDifferences(f as (...a: unknown[]) => number, [z, 1.3], [0, 1]);
      expect(maxRelError(g.grad.z, fd[0]!)).toBeLessThan(1e-6);
      expect(maxRelError([g.grad.t], fd[1]!)).toBeLessThan(1e-6);
    });
  }

  it("forward modes say they need the body, and a package function without a rule says how to supply one", async () => {
    const jvp = await diagnose(cases.direct.replace("/** @grad */", "/** @jvp */"));
    expect(jvp.map((d) => d.message).join("\n")).toMatch(/'logSumExp' comes from the package 'stable-lse'.*forward modes/);
    const norule = await diagnose(`import { logSumExp } from "stable-lse";\n/** @grad */\nexport function loss(z: number[]): number {\n  return logSumExp(z);\n}\n`);
    expect(norule).toHaveLength(1);
    expect(norule[0]!.message).toMatch(/tagged '@vjpOf logSumExp'/);
    expect(norule[0]!.line).toBe(4);
  });
});
