/**
 * Nothing generated twice (issue 17, item 6): one type alias per wrt list of a function, and
 * no two functions of a file with the same parameters and body (compiler/modes/dedupe.ts).
 * Checked on every checked-in generated file, and shown on a small input.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ts } from "ts-morph";
import * as b from "../compiler/ir/build.ts";
import type { FunctionIR, Stmt } from "../compiler/ir/nodes.ts";
import { withoutDuplicates } from "../compiler/modes/dedupe.ts";
import { build } from "./harness/build.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const generated = ["samples", "bench/workloads", "bench/gradbench"].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith(".grad.ts"))
    .map((f) => path.join(dir, f)),
);

/** Type aliases of one function (the doc comment names it) with the same text, and functions with the same parameters and body: `file: a = b`. */
function duplicates(text: string): string[] {
  const source = ts.createSourceFile("x.grad.ts", text, ts.ScriptTarget.ES2022, true);
  const seen = new Map<string, string>();
  const found: string[] = [];
  const note = (key: string, name: string) => {
    const first = seen.get(key);
    if (first) found.push(`${first} = ${name}`);
    else seen.set(key, name);
  };
  for (const s of source.statements) {
    if (ts.isTypeAliasDeclaration(s)) {
      const owner = /`(\w+)`/.exec(ts.getJSDocCommentsAndTags(s).map((d) => d.getText(source)).join(""))?.[1] ?? "";
      note(`type ${owner} ${s.type.getText(source)}`, s.name.text);
    } else if (ts.isFunctionDeclaration(s) && s.body) {
      note(`function ${s.parameters.map((p) => p.getText(source)).join(", ")}: ${s.type?.getText(source)} ${s.body.getText(source)}`, s.name!.text);
    }
  }
  return found;
}

describe("nothing generated twice", () => {
  it("no checked-in generated file has two aliases for one function's wrt list, or two functions with one body", () => {
    expect(generated.length).toBeGreaterThan(30);
    expect(generated.flatMap((file) => duplicates(readFileSync(path.join(root, file), "utf8")).map((d) => `${file}: ${d}`))).toEqual([]);
  });

  it("every mode on one wrt list shares FGradient; a different list keeps its own alias", async () => {
    const built = await build(`/**
 * @grad x
 * @hvp x
 * @hessian x
 * @jvp x, y
 * @vjp x, y
 */
export function f(x: number[], y: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.sin(x[i] * y);
  return s;
}
`);
    const aliases = [...built.text.matchAll(/^export type (\w+) = (.*);$/gm)].map((m) => `${m[1]} = ${m[2]}`);
    expect(aliases).toEqual(["FGradient = { x: number[] }", "FJvpGradient = { x: number[]; y: number }"]);
    expect(built.text).toMatch(/export function fHvpInto\(\s*x: number\[\],\s*y: number,\s*v: FGradient,\s*grad: FGradient,\s*hvp: FGradient,?\s*\)/);
    expect(built.text).toMatch(/export function fVjpInto\([^)]*grad: FJvpGradient/);
    expect(duplicates(built.text)).toEqual([]);
  });

  it("whichever tag comes first, the shared alias is declared once", async () => {
    const built = await build(`/**
 * @jvp x
 * @grad x
 * @hvp x
 */
export function f(x: number[]): number {
  return Math.exp(x[0]) * x[1];
}
`);
    expect([...built.text.matchAll(/^export type (\w+) = (.*);$/gm)].map((m) => `${m[1]} = ${m[2]}`)).toEqual(["FGradient = { x: number[] }"]);
  });

  it("the Jacobian's sweeps are the @jvp and @vjp entry points when those exist (beside its vector sweep, gJacobianJvpLanes)", async () => {
    const built = await build(`/**
 * @jvp x
 * @vjp x
 * @jacobian x
 */
export function g(x: number[]): number[] {
  return [x[0] * x[1], Math.exp(x[1]) - x[0]];
}
`);
    const functions = [...built.text.matchAll(/^(?:export )?function (\w+)\(/gm)].map((m) => m[1]);
    expect(functions.filter((name) => name!.startsWith("g"))).toEqual(["gJvp", "gVjp", "gVjpInto", "gVjpRowsInto", "gJacobianJvpLanes", "gJacobian"]);
    expect(built.text).toMatch(/const first = gJvp\(x, direction\);/);
    expect(duplicates(built.text)).toEqual([]);
    const jacobian = (built.generated.gJacobian as (x: number[]) => { value: number[]; jacobian: number[][] })([0.5, -0.25]);
    expect(jacobian.jacobian).toEqual([
      [-0.25, 0.5],
      [-1, Math.exp(-0.25)],
    ]);
  });

  it("compares whole bodies only between functions with the same signature and length (a large gradient is not stringified)", () => {
    const span = { file: "f.ts", line: 1, column: 1, length: 1 };
    const fn = (name: string, exported: boolean, body: Stmt[]): FunctionIR => ({ name, params: [{ name: "x", type: b.NUMBER, typeText: "number" }], returnType: b.NUMBER, returnTypeText: "number", body, exported, span });
    const unreadable = { kind: "comment", text: "", toJSON: () => { throw new Error("stringified"); } } as unknown as Stmt;
    const ret = (value: number): Stmt => ({ kind: "return", value: b.num(value) });
    const caller = fn("caller", true, [b.declare("y", { kind: "call", callee: "twin", args: [b.v("x")] }), ret(0)]);
    // `twin` has the body of `first` (one statement each), so its caller calls `first`; `big` is alone.
    const kept = withoutDuplicates([fn("big", true, [unreadable, unreadable, ret(1)]), fn("first", false, [ret(2)]), fn("twin", false, [ret(2)]), caller], [], () => undefined);
    expect(JSON.stringify(kept.functions.at(-1)!.body)).toContain('"callee":"first"');
  });
});
