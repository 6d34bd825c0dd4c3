/**
 * Stable names in reverse mode: a value the forward sweep saves keeps one name from its push
 * to its pop (`const _t8 = Math.exp(…); saved[savedTop++] = _t8;` … `const _t8 =
 * saved[--savedTop];`), so a reader can follow it across the sweeps. Checked on every
 * checked-in generated file (build --check keeps them current), function by function.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileSources } from "../compiler/pipeline.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const generated = ["samples", "bench/workloads", "bench/gradbench"].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith(".grad.ts"))
    .map((f) => path.join(dir, f)),
);

/** Temporaries (`_t3`, `_t3_dot`) a function pops into that it never pushed under that name. */
function renamedAcrossTheStack(text: string): string[] {
  const problems: string[] = [];
  for (const fn of text.split(/^(?=(?:export )?function )/m)) {
    const name = /function (\w+)/.exec(fn)?.[1] ?? "(module)";
    const pushed = new Set([...fn.matchAll(/\.push\((_t\d+(?:_dot)?)\)|\[\w+\+\+\] = (_t\d+(?:_dot)?);/g)].map((m) => m[1] ?? m[2]));
    for (const m of fn.matchAll(/const (_t\d+(?:_dot)?) = (?:\w+\.pop\(\)|\w+\[--\w+\]);/g)) {
      if (!pushed.has(m[1]!)) problems.push(`${name}: pops into ${m[1]} what it pushed under another name`);
    }
  }
  return problems;
}

describe("stable names", () => {
  it("every checked-in generated file pops a saved temporary under the name it was pushed with", () => {
    expect(generated.length).toBeGreaterThan(30);
    const problems = generated.flatMap((file) => renamedAcrossTheStack(readFileSync(path.join(root, file), "utf8")).map((p) => `${file} ${p}`));
    expect(problems).toEqual([]);
  });

  it("a costly call's result saved in a loop (log-sum-exp) is pushed and popped as one temporary", async () => {
    const source = `/** @grad v */
export function lse(v: number[], top: number): number {
  let sum = 0;
  for (let k = 0; k < v.length; k++) {
    if (v[k] > top) sum += Math.exp(v[k] - top) * v[k];
  }
  return Math.log(sum) + top;
}
`;
    const { files, diagnostics } = await compileSources([{ path: "/lse.ts", text: source }]);
    expect(diagnostics).toEqual([]);
    const text = files[0]!.text;
    const pushed = [...text.matchAll(/\.push\((_t\d+)\)|\[\w+\+\+\] = (_t\d+);/g)].map((m) => m[1] ?? m[2]);
    expect(pushed.length).toBeGreaterThan(0);
    for (const t of pushed) expect(text).toMatch(new RegExp(`const ${t} = (\\w+\\.pop\\(\\)|\\w+\\[--\\w+\\]);`));
    expect(renamedAcrossTheStack(text)).toEqual([]);
  });
});
