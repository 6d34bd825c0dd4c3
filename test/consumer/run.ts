/**
 * The consumer test: tsgrad used the way a new user uses it, outside this repository.
 *
 *   npm pack → a fresh project (ESM, with a CommonJS project inside it) installs the tarball
 *   as a devDependency, next to typescript, tsx, esbuild, vite and prettier from the npm cache
 *   → `tsgrad init` (and again: nothing changes) → annotated sources → `tsgrad build` with no
 *   arguments (the config init wrote) → the same gradient printed by tsc + node (ESM and
 *   CommonJS), tsx (both), an esbuild bundle and a Vite SSR build; typecheck with strict
 *   flags under nodenext, node16 and bundler, CommonJS and ESM, verbatimModuleSyntax, and
 *   noUncheckedIndexedAccess in the CommonJS project;
 *   `prettier --write` then `tsgrad build --check` still passes; `npm ls --omit=dev` lists
 *   none of ts-morph, prettier, tsx; no generated file imports anything of tsgrad.
 *
 * Run by `npm test` after vitest (`npx tsx test/consumer/run.ts`; `--keep` leaves the
 * project in the temporary folder). One install serves every check. Exits 1 on the first
 * failure with the command, its output and the folder.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const keep = process.argv.includes("--keep");
const work = mkdtempSync(path.join(os.tmpdir(), "tsgrad-consumer-"));
const app = path.join(work, "app");
const cjs = path.join(app, "cjs");
const started = performance.now();

function step(title: string): void {
  console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${title}`);
}

function fail(message: string): never {
  console.error(`\nconsumer test FAILED: ${message}\n(project: ${app}${keep ? "" : "; rerun with --keep to keep it"})`);
  if (!keep) rmSync(work, { recursive: true, force: true });
  process.exit(1);
}

/** Runs a command; returns its stdout, or fails with everything it printed. */
function run(cwd: string, command: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, shell: false });
  if (r.status !== 0) fail(`${command} ${args.join(" ")} (in ${path.relative(work, cwd) || "."}) exited with ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const node = process.execPath;
const bin = (name: string) => path.join(app, "node_modules", ".bin", name);

/** The version this repository's lockfile installs (so the consumer installs from the same npm cache). */
function locked(name: string): string {
  const lock = JSON.parse(readFileSync(path.join(repo, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) fail(`${name} is not in package-lock.json`);
  return version;
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

// ---------------------------------------------------------------------------------------

step("npm pack");
const packed = run(repo, npm, ["pack", "--pack-destination", work, "--json", "--silent"]);
const pack = (JSON.parse(packed.slice(packed.indexOf("["))) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[])[0]!;
const tarball = path.join(work, pack.filename);
for (const f of pack.files) {
  if (!/^(bin\/|dist\/|runtime\/[^/]+\.ts$|package\.json$|README\.md$|LICENSE)/.test(f.path)) fail(`the tarball holds ${f.path}, which is not part of the package`);
}
console.log(`  ${pack.filename}: ${pack.files.length} files, ${(pack.size / 1024).toFixed(0)} kB packed, ${(pack.unpackedSize / 1024).toFixed(0)} kB unpacked`);

step("a fresh ESM project with a CommonJS project inside, one install");
write(path.join(app, "package.json"), JSON.stringify({ name: "consumer-app", version: "1.0.0", private: true, type: "module" }, null, 2) + "\n");
run(app, npm, [
  "install", "--save-dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error",
  tarball, `typescript@${locked("typescript")}`, `@types/node@${locked("@types/node")}`, `tsx@${locked("tsx")}`, `esbuild@${locked("esbuild")}`, `vite@${locked("vite")}`,
]);
write(path.join(cjs, "package.json"), JSON.stringify({ name: "consumer-cjs", version: "1.0.0", private: true, type: "commonjs", devDependencies: { tsgrad: "*" } }, null, 2) + "\n");

step("annotated sources");
const MODEL = `import { softplus } from "./util.js";

export interface Layer {
  w: number[];
  bias: number;
}

/**
 * Loss of a one-layer model over the rows of x, with a data-dependent branch (its decision
 * saved for the reverse sweep) and a loop that cannot be fused (values on a stack).
 *
 * @grad p
 * @hessian p
 */
export function loss(p: Layer, x: number[][], y: number[]): number {
  let total = 0;
  for (let r = 0; r < x.length; r++) {
    let z = p.bias;
    for (let j = 0; j < p.w.length; j++) z += p.w[j] * x[r][j];
    let h = Math.tanh(z);
    if (h > 0) h = h * h;
    const e = h - y[r];
    total += e * e + softplus(z);
  }
  return total / x.length;
}
`;
// A custom reverse-mode rule in another module: the generated code imports values from it.
const UTIL = `export function softplus(t: number): number {
  return Math.log(1 + Math.exp(t));
}

/** @vjpOf softplus */
export function softplusVjp(t: number, cotangent: number, grad: { t: number }): number {
  const e = Math.exp(t);
  grad.t += (cotangent * e) / (1 + e);
  return Math.log(1 + e);
}
`;
const MAIN = (ext: string) => `import { lossGrad, lossHessian } from "./model.grad${ext}";

const p = { w: [0.3, -0.2, 0.5], bias: 0.1 };
const x = [
  [1, 2, 3],
  [-1, 0.5, 2],
  [0.25, -0.75, 1],
];
const y = [0.5, -0.25, 1];
const { value, grad } = lossGrad(p, x, y);
const { hessian } = lossHessian(p, x, y);
console.log(JSON.stringify({ value, grad, h00: hessian[0]?.[0] }));
`;
// The CommonJS project also has noUncheckedIndexedAccess: its source says `x[r]![j]!`, and
// its generated code, built with that tsconfig in place, must too.
const UNCHECKED = MODEL.replace("p.w[j] * x[r][j]", "p.w[j]! * x[r]![j]!").replace("h - y[r]", "h - y[r]!");
for (const dir of [app, cjs]) {
  write(path.join(dir, "src/model.ts"), dir === cjs ? UNCHECKED : MODEL);
  write(path.join(dir, "src/util.ts"), UTIL);
  write(path.join(dir, "src/main.ts"), MAIN(".js"));
}
const STRICT = {
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitReturns: true,
  exactOptionalPropertyTypes: true,
  noPropertyAccessFromIndexSignature: true,
  noFallthroughCasesInSwitch: true,
  noImplicitOverride: true,
  skipLibCheck: true, // what such projects set (@types/node itself fails exactOptionalPropertyTypes); generated files are .ts, always checked
  target: "ES2022",
  lib: ["ES2022"],
  types: ["node"],
};
/** Options each project always has, whichever tsconfig is written. */
const PROJECT_OPTIONS = new Map<string, Record<string, unknown>>([[app, {}], [cjs, { noUncheckedIndexedAccess: true }]]);
function tsconfig(dir: string, name: string, options: Record<string, unknown>): string {
  write(path.join(dir, name), JSON.stringify({ compilerOptions: { ...STRICT, ...PROJECT_OPTIONS.get(dir), ...options }, include: ["src"] }, null, 2) + "\n");
  return name;
}
step("tsgrad init, twice");
for (const dir of [app, cjs]) {
  const first = run(dir, node, [bin("tsgrad"), "init"]);
  if (!first.includes('added script "tsgrad:build"') || !first.includes('"include": ["src"]') || !first.includes("created .gitattributes")) fail(`tsgrad init did not say what it did:\n${first}`);
  const before = snapshot(dir);
  const second = run(dir, node, [bin("tsgrad"), "init"]);
  if (second.includes("added") || second.includes("created") || snapshot(dir) !== before) fail(`tsgrad init changed something the second time:\n${second}`);
}

step("the project's prettier config, tsgrad build (no arguments: the config init wrote)");
// The project's own style: what `prettier --write` would do must be what tsgrad writes.
write(path.join(app, ".prettierrc.json"), JSON.stringify({ singleQuote: true, semi: false, printWidth: 90 }) + "\n");
run(app, bin("prettier"), ["--write", "src"]); // the project's sources follow its style (generated comments quote them)
tsconfig(cjs, "tsconfig.json", { module: "nodenext" }); // in place before the build: tsgrad reads noUncheckedIndexedAccess from it
for (const dir of [app, cjs]) run(dir, npm, ["run", "--silent", "tsgrad:build"]);
for (const dir of [app, cjs]) {
  const generated = readFileSync(path.join(dir, "src/model.grad.ts"), "utf8");
  const imports = [...generated.matchAll(/^import .* from ['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  if (imports.some((s) => !s.startsWith("."))) fail(`a generated file imports ${imports.join(", ")}`);
  if (!generated.includes("class NumberStack")) fail("the model's generated file has no stack (the test lost its point)");
  if (!/^import \{ softplus, softplusVjp \} from ['"]\.\/util\.js['"]/m.test(generated)) fail("the model's generated file does not import the custom rule (the test lost its point)");
}
if (!readFileSync(path.join(app, "src/model.grad.ts"), "utf8").includes("import type { Layer } from './model.js'")) fail("the project's prettier style (single quotes, no semicolons) was not applied");
// The forward sweep's `z += p.w[j] * x[r][j]` (its row read once before the loop).
if (!/z \+= p\.w\[j\]! \* \w+\[j\]!/.test(readFileSync(path.join(cjs, "src/model.grad.ts"), "utf8"))) fail("the CommonJS project's generated code does not read elements as a[i]! (noUncheckedIndexedAccess)");
if (!/z \+= p\.w\[j\] \* \w+\[j\]\n/.test(readFileSync(path.join(app, "src/model.grad.ts"), "utf8"))) fail("the ESM project's generated code reads elements as a[i]! without noUncheckedIndexedAccess");
run(app, bin("prettier"), ["--write", "src"]);
run(app, npm, ["run", "--silent", "tsgrad:check"]);
run(app, bin("prettier"), ["--check", "src"]);

step("the gradient through tsc + node, tsx, esbuild and vite");
const outputs = new Map<string, string>();
for (const [dir, kind] of [[app, "ESM"], [cjs, "CommonJS"]] as const) {
  run(dir, bin("tsc"), ["-p", tsconfig(dir, "tsconfig.json", { module: "nodenext", moduleResolution: "nodenext", rootDir: "src", outDir: "dist", ...(kind === "ESM" ? { verbatimModuleSyntax: true } : {}) })]);
  outputs.set(`tsc + node (${kind})`, run(dir, node, ["dist/main.js"]));
  outputs.set(`tsx (${kind})`, run(dir, bin("tsx"), ["src/main.ts"]));
}
run(app, bin("esbuild"), ["src/main.ts", "--bundle", "--platform=node", "--format=esm", "--outfile=bundle/main.mjs", "--log-level=warning"]);
outputs.set("esbuild bundle", run(app, node, ["bundle/main.mjs"]));
run(app, bin("vite"), ["build", "--ssr", "src/main.ts", "--outDir", "vite-dist", "--logLevel", "warn"]);
outputs.set("vite build", run(app, node, [path.join("vite-dist", readdirSync(path.join(app, "vite-dist")).find((f) => /\.m?js$/.test(f))!)]));
const expected = outputs.get("tsc + node (ESM)")!;
if (!/"grad":\{"p":\{"w":\[/.test(expected)) fail(`unexpected output: ${expected}`);
for (const [how, out] of outputs) {
  console.log(`  ${how.padEnd(22)} ${out.trim()}`);
  if (out !== expected) fail(`${how} printed something else`);
}

step("typecheck with strict flags under each module setting");
const settings: [string, string, Record<string, unknown>][] = [
  [app, "node16, ESM, verbatimModuleSyntax", { module: "node16", moduleResolution: "node16", verbatimModuleSyntax: true }],
  [app, "bundler (esnext), verbatimModuleSyntax", { module: "esnext", moduleResolution: "bundler", verbatimModuleSyntax: true }],
  [app, "bundler (preserve), verbatimModuleSyntax", { module: "preserve", moduleResolution: "bundler", verbatimModuleSyntax: true }],
  [cjs, "node16, CommonJS, noUncheckedIndexedAccess", { module: "node16", moduleResolution: "node16" }],
];
for (const [dir, label, options] of settings) {
  run(dir, bin("tsc"), ["-p", tsconfig(dir, "tsconfig.check.json", { ...options, noEmit: true })]);
  console.log(`  ${label}: clean`);
}

step("npm ls --omit=dev");
const prod = run(app, npm, ["ls", "--omit=dev", "--all", "--parseable"]);
for (const name of ["ts-morph", "prettier", "tsx", "tsgrad"]) {
  if (prod.split("\n").some((line) => path.basename(line) === name)) fail(`npm ls --omit=dev lists ${name}:\n${prod}`);
}

step(`passed (${work}${keep ? ", kept" : ""})`);
if (!keep) rmSync(work, { recursive: true, force: true });

/** Every file of the project except node_modules, as one string (to see that nothing changed). */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === "node_modules") continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(`${full}\n${readFileSync(full, "utf8")}`);
    }
  };
  walk(dir);
  return out.join("\n");
}
