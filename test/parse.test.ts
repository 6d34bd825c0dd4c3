/**
 * frontend/parse.ts gives the syntax tree ts-morph's `createSourceFile` gave (what the
 * compiler parsed with before): the same text, nodes, positions, flags, doc comments,
 * syntax errors, and every node's parent, compared node by node over a corpus of real
 * TypeScript (the samples and workloads, some of the compiler's and runtime's own sources)
 * and over files written to reach the corners (doc comments in odd places, a byte-order
 * mark, CRLF, TSX, syntax errors, an empty file).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Project } from "ts-morph";
import { describe, expect, it } from "vitest";
import { documentedNodes, parseSource } from "../compiler/frontend/parse.ts";
import { ts } from "../compiler/typescript.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The `.ts` files of a folder (not its subfolders); generated ones only with `generated`. */
function sources(dir: string, generated = false): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".ts") && (generated || !name.endsWith(".grad.ts")) && statSync(path.join(dir, name)).isFile())
    .map((name) => path.join(dir, name));
}

/** Every node of the tree in one order: a node, its doc comments, then its children. */
function nodesOf(sf: ts.SourceFile): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    out.push(node);
    for (const doc of (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? []) visit(doc);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The tree as lines of data: each node's kind, span, flags and the index of its parent (-1: none). */
function shape(sf: ts.SourceFile): string[] {
  const nodes = nodesOf(sf);
  const index = new Map(nodes.map((n, i) => [n, i]));
  return nodes.map((n) => `${n.kind} ${n.pos} ${n.end} ${n.flags} ${n.parent === undefined ? -1 : (index.get(n.parent) ?? "outside")}`);
}

/** The first line where two shapes differ (with its index), or null. */
function firstDifference(a: string[], b: string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `node ${i}: ${a[i]} ≠ ${b[i]}`;
  return null;
}

function syntaxErrors(sf: ts.SourceFile) {
  const errors = (sf as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] }).parseDiagnostics;
  return errors.map((d) => [d.start, d.length, ts.flattenDiagnosticMessageText(d.messageText, " ")]);
}

/** What the compiler parsed with before: ts-morph's in-memory project, as program.ts created it. */
const project = new Project({ useInMemoryFileSystem: true, skipFileDependencyResolution: true, compilerOptions: { target: ts.ScriptTarget.ES2022, strict: true } });
function viaTsMorph(fileName: string, text: string): ts.SourceFile {
  return project.createSourceFile(fileName, text, { overwrite: true }).compilerNode as unknown as ts.SourceFile;
}

/** Whether two lists hold the same nodes (the very objects), in the same order. */
function sameNodes(a: readonly ts.Node[], b: readonly ts.Node[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** The nodes outside doc comments that carry one, as annotation discovery found them by walking the file. */
function documentedByWalk(sf: ts.SourceFile): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if ((node as { jsDoc?: unknown }).jsDoc) found.push(node);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);
  return found;
}

function expectSameTree(fileName: string, text: string): void {
  const before = viaTsMorph(fileName, text);
  const after = parseSource(fileName, text);
  expect(sameNodes(documentedNodes(after), documentedByWalk(after))).toBe(true);
  expect(after.text).toBe(before.text);
  expect(after.fileName).toBe(before.fileName);
  expect([after.languageVersion, after.languageVariant]).toEqual([before.languageVersion, before.languageVariant]);
  expect(syntaxErrors(after)).toEqual(syntaxErrors(before));
  expect(firstDifference(shape(after), shape(before)), fileName).toBeNull();
}

const corners: Record<string, string> = {
  "docs.ts": `/** @grad x */
export function f(/** the input */ x: number[], y = /** @type {number} */ (2)): number {
  /** a local */
  const g = (/** inner */ t: number) => t * t;
  const o = { /** member */ a: 1, /** method */ m() { return 2; } };
  /**
   * @checkpoint snapshots=2
   * @see {@link f}
   */
  for (let i = 0; i < 3; i++) { /** in a loop */ let k = i; k++; }
  return g(x[0]!) + o.a + y;
}
/** first block */
/** second block @jvp x */
class C { /** field */ w = 1; /** @grad */ loss(x: number): number { return x * this.w; } }
/** @typedef {number} N */
type T = { /** doc */ a: number };
`,
  "bom.ts": "\uFEFF/** @grad x */\nexport function f(x: number): number {\n  return x * x;\n}\n",
  "crlf.ts": "/**\r\n * @grad x\r\n */\r\nexport function f(x: number): number {\r\n  return x * x;\r\n}\r\n",
  "view.tsx": "/** @grad x */\nexport function f(x: number): number {\n  const e = <div title={String(x)}>{x}</div>;\n  return x;\n}\n",
  "broken.ts": "/** @grad x */\nexport function f(x: number): number {\n  return x * ;\n}\nfunction (\n",
  "empty.ts": "",
  "dir/../nested/./file.ts": "export const a = 1;\n",
};

describe("parseSource", () => {
  it("gives ts-morph's tree, parents included, for the samples, the workloads, the frontend's and the IR's own sources, the runtime helpers and generated files", () => {
    const files = [
      ...["samples", "bench/workloads", "bench/gradbench", "compiler/frontend", "compiler/ir", "runtime"].flatMap((dir) => sources(path.join(root, dir))),
      ...sources(path.join(root, "samples"), true).filter((f) => f.endsWith(".grad.ts")).slice(0, 4),
    ];
    expect(files.length).toBeGreaterThan(80);
    for (const file of files) expectSameTree("/" + path.relative(root, file), readFileSync(file, "utf8"));
  });

  it("gives the same tree for doc comments in odd places, a byte-order mark, CRLF, TSX, syntax errors and an empty file", () => {
    for (const [name, text] of Object.entries(corners)) expectSameTree("/" + name, text);
  });

  it("sets the parent of every node, doc comments' tags included", () => {
    const sf = parseSource("/docs.ts", corners["docs.ts"]!);
    const nodes = nodesOf(sf);
    expect(nodes.filter((n) => n !== sf && n.parent === undefined)).toEqual([]);
    const tags = nodes.filter((n) => ts.isJSDoc(n)).flatMap((d) => [...((d as ts.JSDoc).tags ?? [])]);
    expect(tags.length).toBeGreaterThan(4);
    for (const tag of tags) expect(tag.tagName.parent).toBe(tag);
  });

  it("lists the documented nodes of a tree it did not parse by walking it", () => {
    const sf = ts.createSourceFile("/docs.ts", corners["docs.ts"]!, ts.ScriptTarget.ES2022, true);
    const found = documentedNodes(sf);
    expect(found.length).toBeGreaterThan(5);
    expect(sameNodes(found, documentedByWalk(sf))).toBe(true);
  });
});
