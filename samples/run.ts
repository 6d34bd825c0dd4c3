/**
 * `npm run samples` (after `tsgrad build samples`): for every `@grad` function in
 * samples/*.ts, prints its value, the generated gradient, a central-difference gradient
 * beside it (fourth-order stencil, step h = 2e-5·max(1, |x|)) and their relative difference per entry, as a
 * table. Exits with code 1 if any gradient differs from the differences by more than
 * 1e-6 relative (denominator max(|fd_k|, 1e-3·max_j |fd_j|)), or if a generated file is
 * missing. Reads only the samples in this repository.
 */
import path from "node:path";
import { discoverAnnotated, listSampleSources, REPO_ROOT } from "../test/harness/discover.ts";
import { centralDifferences, DEFAULT_REL_STEP } from "../test/harness/fd.ts";
import { getFn, loadGenerated, loadSource, type GradResult } from "../test/harness/load.ts";
import { compare, deepClone, labelledEntries, type Tolerance } from "../test/harness/shapes.ts";

const TOL: Tolerance = { rel: 1e-6, floorScale: 1e-3 };

const fmt = (x: number) => (x === 0 ? "0" : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6 ? x.toPrecision(12) : x.toExponential(11));
const fmtErr = (x: number) => (x === 0 ? "0" : x.toExponential(1));

function table(rows: string[][], align: ("l" | "r")[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => "  " + r.map((cell, c) => (align[c] === "l" ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("   "))
    .join("\n");
}

let failures = 0;
const skipped: string[] = [];
const summary: string[][] = [["function", "wrt", "value", "max rel diff", ""]];

// This folder of this repository, whatever TSGRAD_SAMPLES_DIR says.
for (const fn of discoverAnnotated(listSampleSources(path.join(REPO_ROOT, "samples")))) {
  const where = `${path.relative(REPO_ROOT, fn.file)}:${fn.line}`;
  if (fn.tag !== "grad") {
    skipped.push(`${fn.module}.${fn.name} @${fn.tag}`);
    continue;
  }
  const title = `${fn.module}.${fn.name}  @grad ${fn.wrt.join(", ")}  (${where})`;
  try {
    const source = await loadSource(fn.file);
    const generated = await loadGenerated(fn.file);
    const f = getFn(source, fn.name, where) as (...args: unknown[]) => number;
    const args = (getFn(source, `${fn.name}Inputs`, where) as () => unknown[])();
    const grad = getFn(generated, `${fn.name}Grad`, where) as (...args: unknown[]) => GradResult;

    const result = grad(...deepClone(args));
    const fd = centralDifferences(f, args, fn.params, fn.wrt);
    const rows: string[][] = [["param", "gradient", "central diff.", "rel. diff"]];
    let worst = 0;
    let ok = true;
    for (const name of fn.wrt) {
      const c = compare(result.grad[name], fd[name], TOL);
      const mine = labelledEntries(result.grad[name]);
      const theirs = labelledEntries(fd[name]);
      theirs.forEach((e, k) => {
        const m = mine[k]?.value ?? NaN;
        const floor = Math.max(...theirs.map((t) => Math.abs(t.value))) * (TOL.floorScale ?? 0);
        const err = Math.abs(m - e.value) / Math.max(Math.abs(e.value), floor, Number.MIN_VALUE);
        rows.push([name + e.label, fmt(m), fmt(e.value), fmtErr(err)]);
      });
      worst = Math.max(worst, c.error);
      ok &&= c.ok;
    }
    const valueOk = Object.is(result.value, f(...deepClone(args)));
    ok &&= valueOk;
    console.log(`${title}\n  value = ${fmt(result.value)}${valueOk ? "" : "  (differs from the primal!)"}`);
    console.log(table(rows, ["l", "r", "r", "r"]));
    console.log(`  max rel diff ${fmtErr(worst)} (tolerance ${TOL.rel.toExponential(0)}, h = ${DEFAULT_REL_STEP.toExponential(0)}·max(1,|x|))  ${ok ? "ok" : "FAIL"}\n`);
    summary.push([`${fn.module}.${fn.name}`, fn.wrt.join(", "), fmt(result.value), fmtErr(worst), ok ? "ok" : "FAIL"]);
    if (!ok) failures++;
  } catch (e) {
    failures++;
    console.log(`${title}\n  error: ${e instanceof Error ? e.message : String(e)}\n`);
    summary.push([`${fn.module}.${fn.name}`, fn.wrt.join(", "), "-", "-", "ERROR"]);
  }
}

if (skipped.length > 0) console.log(`not gradients, not checked here: ${skipped.join(", ")}\n`);
console.log("summary");
console.log(table(summary, ["l", "l", "r", "r", "l"]));
console.log(failures === 0 ? "\nall gradients agree with central differences" : `\n${failures} sample function(s) failed`);
process.exitCode = failures === 0 ? 0 : 1;
