/**
 * Start-up of the `tsgrad` command, for `npm run bench`: wall time of a whole process,
 * medians of runs interleaved round-robin, for Node itself (`node -e 0`), `tsgrad --version`
 * and a one-file `tsgrad build`, each as the installed package runs it (the compiled dist/
 * on plain Node; TSGRAD_DIST=1) and as a clone of the repository does (the TypeScript
 * sources through tsx). `npm run bench` builds dist/ first.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./timing.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin/tsgrad.js");

/** Rows: what runs, median ms, median ms beyond Node's own start-up. */
export function startupRows(rounds: number): (string | number)[][] {
  if (!existsSync(path.join(root, "dist/compiler/cli.js"))) return [["dist/ not built (npm run build): skipped", "", ""]];
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-startup-"));
  const source = path.join(dir, "rosenbrock.ts");
  writeFileSync(source, readFileSync(path.join(root, "bench/workloads/rosenbrock.ts"), "utf8"));
  const run = (args: string[], env: Record<string, string> = {}) => () => {
    rmSync(path.join(dir, "rosenbrock.grad.ts"), { force: true });
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: dir, env: { ...process.env, ...env }, stdio: "ignore" });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`startup bench: node ${args.join(" ")} exited with ${r.status}`);
    return ms;
  };
  const variants: [string, () => number][] = [
    ["node -e 0", run(["-e", "0"])],
    ["tsgrad --version (package: dist/, plain Node)", run([bin, "--version"], { TSGRAD_DIST: "1" })],
    ["tsgrad --version (repository: sources through tsx)", run([bin, "--version"], { TSGRAD_DIST: "0" })],
    ["tsgrad build rosenbrock.ts (package)", run([bin, "build", "rosenbrock.ts"], { TSGRAD_DIST: "1" })],
    ["tsgrad build rosenbrock.ts (repository)", run([bin, "build", "rosenbrock.ts"], { TSGRAD_DIST: "0" })],
  ];
  const times: number[][] = variants.map(() => []);
  for (const [, f] of variants) f(); // warm the file cache
  for (let r = 0; r < rounds; r++) variants.forEach(([, f], k) => times[k]!.push(f()));
  rmSync(dir, { recursive: true, force: true });
  const node = median(times[0]!);
  return variants.map(([name], k) => {
    const ms = median(times[k]!);
    return [name, ms.toFixed(0), k === 0 ? "" : (ms - node).toFixed(0)];
  });
}
