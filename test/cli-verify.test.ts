/**
 * `tsgrad verify` on a user's project, in-process through `main(argv, io)`: a correct
 * function in every mode passes; a deliberately wrong `@vjpOf` rule makes it exit 1
 * naming the rule (and the function whose gradient calls it); stale generated files,
 * bad options and functions whose inputs cannot be guessed are reported.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.ts";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-verify-"));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

async function run(cwd: string, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { cwd, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), color: false, pid: 4242 });
  return { code, stdout, stderr };
}

const CORRECT = `
/**
 * @grad x
 * @hvp x
 */
export function energy(x: number[], k: number): number {
  let e = 0;
  for (let i = 0; i + 1 < x.length; i++) e += k * (x[i + 1] - x[i]) ** 2 + Math.sin(x[i]);
  return e;
}

/**
 * @jvp
 * @vjp
 * @jacobian
 */
export function rotate(p: number[], angle: number): number[] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [c * p[0] - s * p[1], s * p[0] + c * p[1]];
}

export function rotateInputs(random: () => number): [number[], number] {
  return [[random(), random() - 0.5], 3 * random()];
}
`;

const LSE = (scaled: boolean) => `
/** log Σ exp(v) · scale */
export function logSumExp(v: readonly number[], scale: number): number {
  let m = v[0];
  for (let k = 1; k < v.length; k++) m = Math.max(m, v[k]);
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += Math.exp(v[k] - m);
  return (Math.log(sum) + m) * scale;
}

/** @vjpOf logSumExp */
export function logSumExpVjpInto(v: readonly number[], scale: number, cotangent: number, grad: { v: number[]; scale: number }): number {
  let m = v[0];
  for (let k = 1; k < v.length; k++) m = Math.max(m, v[k]);
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += Math.exp(v[k] - m);
  // ∂/∂v_k = scale · softmax(v)_k${scaled ? "" : " (deliberately wrong below: the scale is forgotten)"}
  for (let k = 0; k < v.length; k++) grad.v[k] += cotangent * ${scaled ? "scale * " : ""}Math.exp(v[k] - m) / sum;
  const value = Math.log(sum) + m;
  grad.scale += cotangent * value;
  return value * scale;
}
`;

const MODEL = `
import { logSumExp } from "./lse.js";

/** @grad z */
export function loss(z: number[], t: number): number {
  return logSumExp(z, t) - z[0];
}

export function lossInputs(random: () => number): [number[], number] {
  return [[random(), random(), random()], 1.5 + random()];
}
`;

describe("tsgrad verify", () => {
  it("passes a correct project, every mode checked", async () => {
    const root = project({ "src/energy.ts": CORRECT, "src/lse.ts": LSE(true), "src/model.ts": MODEL });
    expect((await run(root, "build", "src")).code).toBe(0);
    const { code, stdout, stderr } = await run(root, "verify", "src");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const line of [/src\/energy\.ts:6 energy\s+grad\s+3\s+\S+\s+ok/, /energy\s+hvp\s+3\s+\S+\s+ok/, /rotate\s+jvp·vjp\s+3\s+\S+\s+ok/, /rotate\s+jacobian\s+3\s+\S+\s+ok/, /rotate\s+vjp\s+3/, /rotate\s+jvp\s+3/, /src\/lse\.ts:\d+ logSumExpVjpInto\s+@vjpOf\s+3\s+\S+\s+ok/, /src\/model\.ts:\d+ loss\s+grad\s+3\s+\S+\s+ok/]) {
      expect(stdout).toMatch(line);
    }
    expect(stdout).toContain("All 8 checks passed.");
  });

  it("exits 1 naming a wrong @vjpOf rule, and the gradient that calls it", async () => {
    const root = project({ "src/energy.ts": CORRECT, "src/lse.ts": LSE(false), "src/model.ts": MODEL });
    expect((await run(root, "build", "src")).code).toBe(0);
    const { code, stdout } = await run(root, "verify", "src");
    expect(code).toBe(1);
    expect(stdout).toMatch(/src\/lse\.ts:\d+ logSumExpVjpInto\s+@vjpOf\s+3\s+\S+\s+MISMATCH\s+∂\/∂v\[\d\]/);
    expect(stdout).toMatch(/src\/model\.ts:\d+ loss\s+grad\s+3\s+\S+\s+MISMATCH/);
    expect(stdout).toMatch(/energy\s+grad\s+3\s+\S+\s+ok/);
    expect(stdout).toContain("2 of 8 checks failed:");
    expect(stdout).toMatch(/ {2}src\/lse\.ts:\d+ logSumExpVjpInto \(@vjpOf\): relative error \S+ at ∂\/∂v\[\d\]/);

    const json = await run(root, "verify", "src", "--format", "json", "--points", "2", "--seed", "7");
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; seed: number; rows: { function: string; mode: string; status: string; points: number; worstRelError: number }[] };
    expect(report.ok).toBe(false);
    expect(report.seed).toBe(7);
    const rule = report.rows.find((r) => r.function === "logSumExpVjpInto")!;
    expect(rule).toMatchObject({ mode: "@vjpOf", status: "mismatch", points: 2 });
    expect(rule.worstRelError).toBeGreaterThan(0.1); // the forgotten factor scale ∈ [1.5, 2.5]
    expect(report.rows.filter((r) => r.status !== "ok").map((r) => r.function).sort()).toEqual(["logSumExpVjpInto", "loss"]);
  });

  it("refuses stale generated files, naming them", async () => {
    const root = project({ "src/energy.ts": CORRECT });
    expect((await run(root, "build", "src")).code).toBe(0);
    writeFileSync(path.join(root, "src/energy.ts"), CORRECT.replace("Math.sin(x[i])", "Math.cos(x[i])"));
    const { code, stderr } = await run(root, "verify", "src");
    expect(code).toBe(1);
    expect(stderr).toContain("stale: src/energy.grad.ts");
    expect(stderr).toContain("run 'tsgrad build' first");
  });

  it("says when a function's inputs cannot be guessed", async () => {
    const root = project({
      "pick.ts": `/** @grad x */\nexport function pick(x: number[], at: Int32Array): number {\n  return x[at[0]] * x[at[0]];\n}\n`,
    });
    expect((await run(root, "build", ".")).code).toBe(0);
    const { code, stdout } = await run(root, "verify");
    expect(code).toBe(1);
    expect(stdout).toContain("cannot guess 'at': export pickInputs(random) returning the arguments");
  });

  it("calls methods (instance and static) and default exports, in a CommonJS project as in an ESM one", async () => {
    const source = [
      `export class Affine {`,
      `  w: number[] = [];`,
      `  b = 0;`,
      `  /** @grad this */`,
      `  score(x: number[]): number {`,
      `    return this.w.reduce((s, wi, i) => s + wi * Math.tanh(x[i]), this.b) * this.scale();`,
      `  }`,
      `  scale(): number {`,
      `    return 2;`,
      `  }`,
      `  /** @grad */`,
      `  static norm(x: number[]): number {`,
      `    return Math.sqrt(x.reduce((s, v) => s + v * v, 0));`,
      `  }`,
      `}`,
      `/** @grad */`,
      `export default function (x: number[]): number {`,
      `  return x.map((v) => Math.exp(-v)).reduce((a, b) => a + b, 0);`,
      `}`,
    ].join("\n");
    for (const type of ["module", "commonjs"]) {
      const root = project({ "package.json": JSON.stringify({ type }), "model.ts": source });
      expect((await run(root, "build", ".")).code).toBe(0);
      const { code, stdout } = await run(root, "verify");
      expect(stdout, type).toMatch(/model\.ts:5 affineScore +grad +3 .* ok/);
      expect(stdout, type).toMatch(/model\.ts:12 affineNorm +grad +3 .* ok/);
      expect(stdout, type).toMatch(/model\.ts:17 model +grad +3 .* ok/);
      expect(code, stdout).toBe(0);
    }
  });

  it("guesses a whole number for a number used as an index or a size, and instances of exported classes", async () => {
    const root = project({
      "pick.ts": `/** @grad z */\nexport function pick(z: number[], label: number): number {\n  return Math.log(z[label] * z[label]) + z.at(-label - 1)! * z[0];\n}\n`,
      "grid.ts": `/** @grad x */
export function grid(x: number[], k: number): number {
  const m = new Array<number>(x.length * k).fill(0);
  for (let i = 0; i < m.length; i++) m[i] = x[i % x.length] * i;
  return m.reduce((a, b) => a + b * b, 0);
}
`,
      "vec.ts": `export class Vec {
  constructor(public x: number, public y: number) {}
  dot(o: Vec): number {
    return this.x * o.x + this.y * o.y;
  }
}

/** @grad a */
export function work(a: Vec, b: Vec, steps: number): number {
  let s = 0;
  for (let i = 0; i < steps; i++) s += a.dot(b) * (i + 1);
  return s;
}
`,
    });
    expect((await run(root, "build", ".")).code).toBe(0);
    const { code, stdout, stderr } = await run(root, "verify");
    expect(stderr).toBe("");
    for (const line of [/pick\.ts:2 pick\s+grad\s+3\s+\S+\s+ok/, /grid\.ts:2 grid\s+grad\s+3\s+\S+\s+ok/, /vec\.ts:\d+ work\s+grad\s+3\s+\S+\s+ok/]) expect(stdout).toMatch(line);
    expect(code).toBe(0);
  });

  it("says when the function is not finite at a guessed point, instead of a mismatch", async () => {
    const root = project({ "shifted.ts": `/** @grad x */\nexport function shifted(x: number): number {\n  return Math.log(x - 2);\n}\n` });
    expect((await run(root, "build", ".")).code).toBe(0);
    const { code, stdout } = await run(root, "verify");
    expect(code).toBe(1);
    expect(stdout).toContain("'shifted' is not finite at the guessed point 1 (a number parameter used as an index or a size?): export shiftedInputs(random)");
    expect(stdout).toContain("The check failed:"); // one row: not "1 of 1 checks failed"
  });

  it("says when the function throws at a guessed point, instead of an internal error", async () => {
    const source = `/** @grad x */
export function padded(x: number[], pad: number): number {
  const m = new Array<number>(pad - 5).fill(0);
  for (let i = 0; i < m.length; i++) m[i] = x[i % x.length] * i;
  return m.reduce((a, b) => a + b * b, 0);
}
`;
    const root = project({ "padded.ts": source });
    expect((await run(root, "build", ".")).code).toBe(0);
    const { code, stdout, stderr } = await run(root, "verify");
    expect(code).toBe(1);
    expect(stderr).not.toContain("internal error");
    expect(stdout).toContain("'padded' throws (Invalid array length) at the guessed point 1 (a number parameter used as an index or a size?): export paddedInputs(random)");
  });

  it("checks sparse Hessians and Jacobians (fHessianSparse, fJacobianSparse) made dense", async () => {
    const root = project({
      "src/chain.ts": `
/** @hessian x sparse */
export function chain(x: number[]): number {
  let e = 0;
  for (let i = 0; i + 1 < x.length; i++) e += (x[i + 1] - x[i] * x[i]) ** 2 + Math.cos(x[i]) * x[i + 1];
  return e;
}

/** @jacobian x sparse */
export function residuals(x: number[]): number[] {
  const r = new Array<number>(x.length - 1).fill(0);
  for (let i = 0; i + 1 < x.length; i++) r[i] = x[i + 1] * Math.sin(x[i]) - x[i];
  return r;
}
`,
    });
    expect((await run(root, "build", "src")).code).toBe(0);
    const { code, stdout, stderr } = await run(root, "verify", "src");
    expect(stderr).toBe("");
    expect(stdout).toMatch(/src\/chain\.ts:3 chain\s+sparse hessian\s+3\s+\S+\s+ok/);
    expect(stdout).toMatch(/src\/chain\.ts:10 residuals\s+sparse jacobian\s+3\s+\S+\s+ok/);
    expect(stdout).toContain("All 2 checks passed.");
    expect(code).toBe(0);
  });

  it("passes on the bundled samples and benchmark workloads, every function and mode", async () => {
    const repo = path.resolve(import.meta.dirname, "..");
    const { code, stdout, stderr } = await run(repo, "verify", "samples", "bench/workloads", "--points", "2");
    expect(stderr).toBe("");
    expect(stdout).toMatch(/All \d+ checks passed\./);
    expect(stdout).toMatch(/pLaplacian\s+sparse hessian\s+2\s+\S+\s+ok/);
    expect(stdout).toMatch(/baResiduals\s+sparse jacobian\s+2\s+\S+\s+ok/);
    expect(code).toBe(0);
  }, 120_000);

  it("rejects bad options with exit code 2", async () => {
    const root = project({});
    expect(await run(root, "verify", "--points", "0")).toMatchObject({ code: 2, stderr: expect.stringContaining("'--points' takes a whole number from 1 to 1000") });
    expect(await run(root, "verify", "--tolerance=abc")).toMatchObject({ code: 2 });
    expect(await run(root, "verify", "--format", "xml")).toMatchObject({ code: 2 });
    expect(await run(root, "verify", "--frobnicate")).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--frobnicate'") });
    expect((await run(root, "verify", "--help")).stdout).toContain("Usage: tsgrad verify");
    expect(await run(root, "verify")).toMatchObject({ code: 0, stdout: "tsgrad verify: no annotated functions or @vjpOf rules found.\n" });
  });
});
