/**
 * Runtime helpers are copied into the generated files that use them (backend/helpers.ts):
 * a generated file imports nothing of tsgrad, gets exactly the declarations it needs (with
 * what they use, in dependency order), and a copied stack still joins the registry tests
 * read (pendingStackEntries), so their balance checks cannot pass vacuously.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { copyHelpers, indexHelpers, lazyHelpers, lazyRuntimeHelpers, runtimeHelpers } from "../compiler/backend/helpers.ts";
import { allStacks, pendingStackEntries, stackBytes } from "../runtime/stack.ts";
import { build } from "./harness/build.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const A = `/** The doc of a. */
export function a(): number {
  return b() + 1;
}

function b(): number {
  return K;
}

const K = 2;

/** Nothing uses it. */
export function unused(): number {
  return 0;
}
`;
const C = `import { a } from "./a.ts";

export class C {
  value = a();
}
`;

describe("the helper index", () => {
  it("finds what each declaration uses, across modules, and drops `export`", () => {
    const index = indexHelpers([{ module: "a.ts", text: A }, { module: "c.ts", text: C }]);
    expect(index.declarations.get("a")!.uses).toEqual(["b"]);
    expect(index.declarations.get("b")!.uses).toEqual(["K"]);
    expect(index.declarations.get("C")!.uses).toEqual(["a"]);
    expect(index.declarations.get("a")!.text).toBe("/** The doc of a. */\nfunction a(): number {\n  return b() + 1;\n}");
  });

  it("rejects what copying by name cannot handle", () => {
    const index = (modules: Record<string, string>) => () => indexHelpers(Object.entries(modules).map(([module, text]) => ({ module, text })));
    expect(index({ "a.ts": `import { x } from "node:fs";\nexport const y = x;\n` })).toThrow(/may only import other helpers/);
    expect(index({ "a.ts": `export const K = 1;\nexport function f(K: number): number {\n  return K;\n}\n` })).toThrow(/'K' is declared again inside 'f'/);
    expect(index({ "a.ts": "export const K = 1;\n", "b.ts": "export const K = 2;\n" })).toThrow(/'K' is also declared in a.ts/);
    expect(index({ "a.ts": "export default function f() {}\n" })).toThrow(/default export/);
  });

  it("reads tsgrad's own runtime/ helpers (every rule above holds for them)", () => {
    const names = [...runtimeHelpers().declarations.keys()];
    expect(names).toEqual(expect.arrayContaining(["NumberStack", "IntStack", "recordSize", "setFlat", "readFlat", "zeroRecord"]));
  });
});

describe("the lazy helper index (what generated files are given)", () => {
  it("indexes only the modules that declare what is asked for, and finds what the whole index finds", () => {
    // z.ts breaks a rule: the whole index rejects it, the lazy one never parses it for C.
    const modules = [{ module: "a.ts", text: A }, { module: "c.ts", text: C }, { module: "z.ts", text: "export default function z() {}\n" }];
    const lazy = lazyHelpers(modules);
    const whole = indexHelpers(modules.slice(0, 2));
    expect(lazy.declarations.get("C")).toEqual(whole.declarations.get("C"));
    expect(copyHelpers(["C"], new Set(["b"]), lazy)).toEqual(copyHelpers(["C"], new Set(["b"]), whole));
    // A name no module declares falls back to the whole index, with its rules.
    expect(() => lazy.declarations.get("nothing")).toThrow(/default export/);
    expect(lazyHelpers(modules.slice(0, 2)).declarations.has("nothing")).toBe(false);
  });

  it("gives every declaration of tsgrad's runtime/ exactly as the whole index has it", () => {
    const whole = runtimeHelpers().declarations;
    for (const [name, declaration] of whole) expect(lazyRuntimeHelpers().declarations.get(name), name).toEqual(declaration);
  });
});

describe("copying helpers", () => {
  const index = indexHelpers([{ module: "a.ts", text: A }, { module: "c.ts", text: C }]);

  it("copies exactly what is used, dependencies first", () => {
    const { text, clashes } = copyHelpers(["C"], new Set(), index);
    expect(clashes).toEqual([]);
    const order = ["const K", "function b", "function a", "class C"].map((d) => text.indexOf(d));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(text).not.toContain("unused");
    expect(text).not.toContain("export");
    expect(copyHelpers([], new Set(), index).text).toBe("");
  });

  it("renames a private helper whose name the file already has, and reports a used one", () => {
    const { text, clashes } = copyHelpers(["a"], new Set(["b", "b2"]), index);
    expect(clashes).toEqual([]);
    expect(text).toContain("function b3(): number {");
    expect(text).toContain("return b3() + 1;");
    expect(text).not.toMatch(/\bb\(/);
    expect(copyHelpers(["a"], new Set(["a"]), index).clashes).toEqual(["a"]);
  });
});

describe("generated files", () => {
  const generated = [
    ...["samples", "bench/workloads", "bench/gradbench"].flatMap((dir) => discoverGenerated(path.join(root, dir))),
  ];

  it("import nothing but the user's own modules", () => {
    expect(generated.length).toBeGreaterThan(20);
    for (const file of generated) {
      const imports = [...readFileSync(file, "utf8").matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
      for (const spec of imports) expect(spec, file).toMatch(/^\.\.?\//);
    }
  });

  it("carry their own stacks, which join the registry the suite's balance checks read", async () => {
    const source = `/** @grad x */\nexport function f(x: number[]): number {\n  let s = 0;\n  for (let i = 0; i < x.length; i++) {\n    if (x[i] > 0) s += Math.exp(x[i]) * s;\n    s = Math.sin(s + x[i]);\n  }\n  return s;\n}\n`;
    const before = allStacks.length;
    const built = await build(source);
    expect(built.text).toMatch(/^class NumberStack \{$/m);
    expect(built.text).not.toMatch(/^import /m);
    expect(allStacks.length).toBeGreaterThan(before);
    const stack = allStacks[allStacks.length - 1] as unknown as { push(v: number): void; pop(): number };
    stack.push(1);
    expect(pendingStackEntries()).toBe(1);
    stack.pop();
    (built.generated.fGrad as (x: number[]) => unknown)([0.5, -0.25, 2]);
    expect(pendingStackEntries()).toBe(0);
  });
});

function discoverGenerated(dir: string): string[] {
  return readdirSync(dir).sort().filter((f) => f.endsWith(".grad.ts")).map((f) => path.join(dir, f));
}

describe("a generated gradient's stacks (copies of runtime/stack.ts)", () => {
  it("give back what one large call took once smaller calls follow", async () => {
    const { generated, text } = await build(`/** @grad */\nexport function chain(x: number[]): number {\n  let s = 0;\n  for (let i = 0; i < x.length; i++) s = Math.sin(s + x[i]!);\n  return s;\n}\n`);
    expect(text).toContain("valueStack.reserve(");
    const grad = generated.chainGrad as (x: number[]) => { value: number };
    const before = stackBytes();
    grad(new Array(1_000_000).fill(0.1));
    expect(stackBytes() - before).toBeGreaterThanOrEqual(8 * 1_000_000);
    for (let k = 0; k < 60; k++) grad([0.1, 0.2, 0.3]);
    expect(stackBytes() - before).toBeLessThanOrEqual(0);
    expect(pendingStackEntries()).toBe(0);
  });
});
