/**
 * Public parameters keep their names (issue 17, item 6). A generated entry point takes the
 * user's parameters under the user's names, then the parameters its mode adds under the
 * names the README documents (`grad`, `v`, `hvp`, `tangent`, `cotangent`, `cotangents`,
 * `grads`). A local of the
 * user's function with one of those names is renamed instead (`v` → `v_1`); only a
 * parameter of the user's (or a module name) pushes an added parameter to `grad_1`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ts } from "ts-morph";
import { build } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ADDED = ["grad", "v", "hvp", "tangent", "cotangent", "cotangents", "grads"];

/** `name(p1, p2, …)` for every exported function of a generated file. */
function signatures(text: string): string[] {
  const source = ts.createSourceFile("x.grad.ts", text, ts.ScriptTarget.ES2022, true);
  return source.statements
    .filter((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && !!s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword))
    .map((f) => `${f.name!.text}(${f.parameters.map((p) => p.name.getText(source)).join(", ")})`);
}

describe("public parameter names", () => {
  it("no checked-in generated entry point suffixes an added parameter unless a parameter of the user's has its name", () => {
    const files = ["samples", "bench/workloads", "bench/gradbench"].flatMap((dir) =>
      readdirSync(path.join(root, dir))
        .filter((f) => f.endsWith(".grad.ts"))
        .map((f) => path.join(dir, f)),
    );
    expect(files.length).toBeGreaterThan(30);
    const renamed = files.flatMap((file) =>
      signatures(readFileSync(path.join(root, file), "utf8")).filter((sig) => {
        const params = sig.slice(sig.indexOf("(") + 1, -1).split(", ");
        return params.some((p) => {
          const base = /^(\w+)_\d+$/.exec(p)?.[1];
          return base !== undefined && ADDED.includes(base) && !params.includes(base);
        });
      }).map((sig) => `${file}: ${sig}`),
    );
    expect(renamed).toEqual([]);
  });

  it("a local named like an added parameter is renamed; the parameters keep their names in every mode", async () => {
    const built = await build(`/**
 * @grad x
 * @hvp x
 */
export function f(x: number[], scale: number): number {
  let grad = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] * scale;
    const hvp = Math.sin(v);
    grad += v * hvp;
  }
  return grad;
}

/**
 * @jvp x
 * @vjp x
 */
export function g(x: number[]): number[] {
  const tangent = x[0] * x[1];
  const cotangent = Math.exp(x[1]);
  let grads = 0;
  for (let i = 0; i < x.length; i++) grads += x[i] * x[i];
  return [tangent, cotangent * x[0] + grads];
}
`);
    expect(signatures(built.text)).toEqual([
      "fGrad(x, scale)",
      "fGradInto(x, scale, grad)",
      "fHvp(x, scale, v)",
      "fHvpInto(x, scale, v, grad, hvp)",
      "gJvp(x, tangent)",
      "gVjp(x, cotangent)",
      "gVjpInto(x, cotangent, grad)",
      "gVjpRowsInto(x, cotangents, grads)",
    ]);
    // the locals took the suffix
    expect(built.text).toMatch(/const v_1 = x\[i\] \* scale;/);
    const x = [0.3, -0.7, 1.1];
    await checkGradientAndHvp(built, "f", [x, 1.7], ["x"], { x: [0.2, 0.5, -0.4] });
    // J·t and uᵀJ meet: ⟨u, J t⟩ = ⟨Jᵀu, t⟩
    const t = { x: [0.25, -0.5, 0.75] };
    const u = [1.5, -2];
    const jt = (built.generated.gJvp as (x: number[], t: { x: number[] }) => { tangent: number[] })(x, t).tangent;
    const ju = (built.generated.gVjp as (x: number[], u: number[]) => { grad: { x: number[] } })(x, u).grad.x;
    const left = u[0]! * jt[0]! + u[1]! * jt[1]!;
    const right = ju.reduce((s, g, k) => s + g * t.x[k]!, 0);
    expect(Math.abs(left - right)).toBeLessThan(1e-12 * Math.max(1, Math.abs(left)));
    // and both are right: ∂(x0 x1)/∂x · t, ∂(e^{x1} x0)/∂x · t
    expect(jt[0]).toBeCloseTo(x[1]! * t.x[0]! + x[0]! * t.x[1]!, 14);
    const squares = 2 * (x[0]! * t.x[0]! + x[1]! * t.x[1]! + x[2]! * t.x[2]!);
    expect(jt[1]).toBeCloseTo(Math.exp(x[1]!) * t.x[0]! + Math.exp(x[1]!) * x[0]! * t.x[1]! + squares, 14);
  });

  it("a parameter of the user's keeps its name; the added one takes the suffix", async () => {
    const built = await build(`/**
 * @grad grad
 * @hvp grad
 */
export function h(grad: number[], v: number): number {
  let s = 0;
  for (let i = 0; i < grad.length; i++) s += Math.cos(grad[i] * v);
  return s;
}
`);
    expect(signatures(built.text)).toEqual(["hGrad(grad, v)", "hGradInto(grad, v, grad_1)", "hHvp(grad, v, v_1)", "hHvpInto(grad, v, v_1, grad_1, hvp)"]);
    await checkGradientAndHvp(built, "h", [[0.4, -1.2], 0.8], ["grad"], { grad: [1, -0.5] });
  });
});
