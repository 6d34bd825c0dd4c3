/**
 * `tsgrad build --dump-after=<stage>` prints the IR after any stage of the pipeline
 * (compiler/pipeline.ts's STAGES) and writes nothing; `compileSources(…, { dumpAfter })`
 * keeps the same text in `dumps` and generates the same files as without it.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.ts";
import { compileSources, STAGES } from "../compiler/pipeline.ts";

/** Every mode, a shared (`@noinline`) helper (its pullback and primal copy) and an early return. */
const SOURCE = `/** @noinline */
function weight(u: number, v: readonly number[]): number {
  let t = 0;
  for (let i = 0; i < v.length; i++) t += Math.tanh(u * v[i]);
  return t;
}

/**
 * @grad x
 * @vjp x
 * @jvp x
 * @hvp x
 * @hessian x
 */
export function energy(x: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 10) return s;
    s += x[i] * x[i] + weight(x[i], x);
  }
  return s;
}

/** @jacobian x */
export function pair(x: number[]): number[] {
  const out = [x[0] * x[1], Math.sin(x[0])];
  return out;
}

/** @jacobian x sparse */
export function sparsePair(x: number[]): number[] {
  const out = [x[0] * x[1], Math.cos(x[1])];
  return out;
}
`;

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function run(args: string[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-dump-"));
  roots.push(dir);
  writeFileSync(path.join(dir, "energy.ts"), SOURCE);
  let stdout = "";
  let stderr = "";
  const code = await main(["build", ...args, "energy.ts"], { cwd: dir, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), pid: 1 });
  return { code, stdout, stderr, files: readdirSync(dir) };
}

describe("--dump-after", () => {
  it("prints the function after normalizing control flow (the early return became a flag), and writes nothing", async () => {
    const { code, stdout, files } = await run(["--dump-after=normalize"]);
    expect(code).toBe(0);
    expect(files).toEqual(["energy.ts"]);
    expect(stdout).toContain("// after normalize: energy (@grad x; energy.ts:15)");
    // The `return s` inside the loop is gone: a flag and the one result at the end.
    const grad = stdout.slice(stdout.indexOf("// after normalize: energy (@grad"), stdout.indexOf("// after normalize: energy (@vjp"));
    expect(grad.match(/return /g)).toHaveLength(1);
    expect(grad).toMatch(/let \w+ = false;/);
  });

  it("prints reverse mode's body, the shared callee's pullback and its primal copy", async () => {
    const reverse = await run(["--dump-after", "reverse"]);
    expect(reverse.code).toBe(0);
    expect(reverse.stdout).toContain("// forward sweep");
    expect(reverse.stdout).toContain("// reverse sweep");
    expect(reverse.stdout).toContain("after reverse: weight (pullback weightPullback");
    const copy = await run(["--dump-after=primal-copy"]);
    expect(copy.stdout).toContain("after primal-copy: weight (primal copy");
  });

  it("knows every stage it lists, and each prints something for a file using every mode", async () => {
    const files = await compileSources([{ path: "/energy.ts", text: SOURCE }]);
    for (const stage of STAGES) {
      const result = await compileSources([{ path: "/energy.ts", text: SOURCE }], { dumpAfter: stage });
      expect(result.diagnostics, stage).toEqual([]);
      expect(result.dumps!.length, stage).toBeGreaterThan(0);
      expect(result.dumps!.every((d) => d.startsWith(`// after ${stage}: `)), stage).toBe(true);
      // Dumping changes nothing of what is generated.
      expect(result.files, stage).toEqual(files.files);
    }
  }, 120_000);

  it("rejects an unknown stage, listing the stages (exit 2)", async () => {
    const { code, stderr, files } = await run(["--dump-after=optimize"]);
    expect(code).toBe(2);
    expect(stderr).toContain("option '--dump-after' has no stage 'optimize': use one of lower, inline,");
    expect(files).toEqual(["energy.ts"]);
  });
});
