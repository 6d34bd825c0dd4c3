/**
 * Generated code says `const` wherever it can (issue 17, item 6): no checked-in generated
 * file declares with `let` a binding it never reassigns (ESLint's `prefer-const`, checked
 * by test/harness/constness.ts). Files the tests generate, fuzz programs included, are
 * checked after each test file (test/harness/setup.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { countLets, needlessLets, needlessLetsIn } from "./harness/constness.ts";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

it("no checked-in generated file declares with let what it never reassigns", () => {
  const files = ["samples", "bench/workloads", "bench/gradbench"].flatMap((dir) =>
    readdirSync(path.join(repo, dir))
      .filter((f) => f.endsWith(".grad.ts"))
      .map((f) => path.join(repo, dir, f)),
  );
  expect(files.length).toBeGreaterThan(30);
  expect(needlessLetsIn(files).map((line) => path.relative(repo, line))).toEqual([]);
  // the loops, accumulators and stack tops that do need let are still there
  expect(files.reduce((n, f) => n + countLets(readFileSync(f, "utf8")), 0)).toBeGreaterThan(500);
});

it("an adjoint declared and added to on the next line is one sum, declared const: the same operations in the same order", async () => {
  const built = await build(`/**
 * @grad x, y
 * @hvp x, y
 */
export function heldQuotient(x: number, y: number): number {
  const q = x / y;
  return q * Math.log(x / y);
}
`);
  // Was \`let q_bar = _t1; q_bar += q * (1 / q);\` (compiler/transform/cleanup.ts, declareThenAdd).
  const grad = generatedFunction(built.text, "heldQuotientGradInto", false);
  expect(grad).toMatch(/const q_bar = _t1 \+ q \* \(1 \/ q\);/);
  expect(grad).not.toMatch(/q_bar \+=/);
  for (const [x, y] of [[0.7, 1.9], [2.3, 0.4]]) {
    await checkGradientAndHvp(built, "heldQuotient", [x, y], ["x", "y"], { x: 0.2, y: -0.5 });
    // The two-statement form's operations, in its order: the same bits.
    const q = x / y;
    let qBar = Math.log(q);
    qBar += q * (1 / q);
    const t = qBar / y;
    const g = (built.generated.heldQuotientGrad as (x: number, y: number) => { grad: { x: number; y: number } })(x, y).grad;
    expect(g.x).toBe(0 + t);
    expect(g.y).toBe(0 - t * q);
  }
});

describe("the check", () => {
  it("reports a let nothing writes again, by name and line", () => {
    expect(needlessLets("let a = 1;\nconst b = a;\nlet c = b;\nc += 1;\n")).toEqual([{ name: "a", line: 1 }]);
  });
  it("counts every kind of write: assignment, compound, ++/--, destructuring, for-of targets", () => {
    const text = [
      "let a = 0; a = 1;",
      "let b = 0; b *= 2;",
      "let c = 0; c++;",
      "let d = 0; --d;",
      "let e = 0, f = 0; [e, f] = [f, e];",
      "let g = 0; ({ g } = { g: 1 });",
      "let h = 0; for (h of [1]) {}",
      "let k = 0; (k)! = 1;",
      "for (let i = 0; i < 3; i++) {}",
    ].join("\n");
    expect(needlessLets(text)).toEqual([]);
  });
  it("tells a shadowed name from the outer one", () => {
    const text = "let x = 0;\n{\n  let x = 1;\n  x = 2;\n}\nfor (let i = 0; i < 1; ) { let i = 3; i++; }\n";
    expect(needlessLets(text)).toEqual([{ name: "x", line: 1 }, { name: "i", line: 6 }]);
  });
  it("reports a for-of binding and destructured names that are never written", () => {
    expect(needlessLets("for (let v of [1]) {}\nlet [p, q] = [1, 2]; q = 3;\n")).toEqual([{ name: "v", line: 1 }, { name: "p", line: 2 }]);
  });
});
