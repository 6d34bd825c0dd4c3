/**
 * One hash over what the compiler generates for a fixed set of random programs, to show
 * that a refactoring changed no output (run it before and after; the hashes must match):
 *
 *   npx tsx test/fuzz/output-hash.ts [--out DIR]
 *
 * The set: 160 programs of test/fuzz/legacy-programs.ts (seed 1), 80 shaped for lastLoop.ts
 * (seed 2), and 24 of them compiled again with each option that changes code paths
 * (activity off, to-be-recorded off, debug) and with `@vjp`/`@hessian` added: 336
 * compilations. Diagnostics are hashed too. `--out DIR` also writes every generated file
 * there (diff two such folders to see what changed).
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compileSources, type CompileOptions } from "../../compiler/pipeline.ts";
import { generateProgram } from "./legacy-programs.ts";

/** mulberry32: a fixed stream per seed, independent of the test harness's generator. */
function stream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  label: string;
  source: string;
  options: CompileOptions;
}

function cases(): Case[] {
  const out: Case[] = [];
  const plain = stream(1);
  const heavy = stream(2);
  const programs = [
    ...Array.from({ length: 160 }, (_, id) => ({ label: `plain-${id}`, ...generateProgram(plain, id) })),
    ...Array.from({ length: 80 }, (_, id) => ({ label: `heavy-${id}`, ...generateProgram(heavy, id, true) })),
  ];
  for (const p of programs) out.push({ label: p.label, source: p.source, options: {} });
  const some = programs.filter((_, k) => k % 10 === 0);
  for (const p of some) {
    out.push({ label: `${p.label}-noactivity`, source: p.source, options: { activity: false } });
    out.push({ label: `${p.label}-notbr`, source: p.source, options: { toBeRecorded: false } });
    out.push({ label: `${p.label}-debug`, source: p.source, options: { debug: true } });
    out.push({ label: `${p.label}-vjp-hessian`, source: p.source.replace(" * @hvp x, y", " * @hvp x, y\n * @vjp x\n * @hessian x, y"), options: {} });
  }
  return out;
}

const outIndex = process.argv.indexOf("--out");
const outDir = outIndex >= 0 ? process.argv[outIndex + 1] : undefined;
const hash = createHash("sha256");
const list = cases();
let files = 0;
for (const c of list) {
  const result = await compileSources([{ path: `/fuzz/${c.label}.ts`, text: c.source }], c.options);
  hash.update(`== ${c.label}\n`);
  for (const d of result.diagnostics) hash.update(`TSG${d.code} ${d.line}:${d.column} ${d.message}\n`);
  for (const f of result.files) {
    hash.update(f.text);
    files++;
    if (outDir) {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(path.join(outDir, path.basename(f.path)), f.text);
    }
  }
  if (outDir && result.diagnostics.length > 0) {
    writeFileSync(path.join(outDir, `${c.label}.diagnostics.txt`), result.diagnostics.map((d) => `TSG${d.code} ${d.line}:${d.column} ${d.message}`).join("\n"));
  }
}
console.log(`${hash.digest("hex")}  (${list.length} compilations, ${files} files)`);
