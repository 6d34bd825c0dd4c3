/**
 * Applies a plan to the disk, atomically per file and all-or-nothing as far as the file
 * system allows:
 *
 *   1. stage: write every new text to `X.grad.ts.<pid>.tsgrad-tmp` beside its target;
 *      if any staging fails, delete the temporary files written so far and stop (no
 *      target was touched);
 *   2. commit: rename each temporary file over its target (atomic on one file system);
 *   3. remove orphaned generated files.
 *
 * Failures become TSG1002 diagnostics located at the file, never exceptions. No temporary
 * file survives a run.
 */
import { renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { baseName, type Diagnostic } from "../diagnostics.ts";
import type { Plan } from "./plan.ts";
import { describeFsError, fileDiagnostic } from "./read.ts";

export interface Applied {
  written: string[];
  removed: string[];
  diagnostics: Diagnostic[];
}

export function tempPathFor(target: string, pid: number): string {
  return `${target}.${pid}.tsgrad-tmp`;
}

export function applyPlan(plan: Pick<Plan, "writes" | "removals">, pid: number): Applied {
  const applied: Applied = { written: [], removed: [], diagnostics: [] };
  const staged: { temp: string; target: string }[] = [];
  for (const w of plan.writes) {
    const temp = tempPathFor(w.path, pid);
    try {
      writeFileSync(temp, w.text, "utf8");
      staged.push({ temp, target: w.path });
    } catch (error) {
      removeQuietly(temp); // a partial write of ours (rmSync never removes a folder here)
      applied.diagnostics.push(fileDiagnostic(w.path, `cannot write ${baseName(w.path)}: ${describeFsError(error)}`));
    }
  }
  if (applied.diagnostics.length > 0) {
    for (const s of staged) removeQuietly(s.temp);
    return applied;
  }
  for (const s of staged) {
    try {
      renameSync(s.temp, s.target);
      applied.written.push(s.target);
    } catch (error) {
      removeQuietly(s.temp);
      applied.diagnostics.push(fileDiagnostic(s.target, `cannot write ${baseName(s.target)}: ${describeFsError(error)}`));
    }
  }
  for (const file of plan.removals) {
    try {
      unlinkSync(file);
      applied.removed.push(file);
    } catch (error) {
      applied.diagnostics.push(fileDiagnostic(file, `cannot remove ${baseName(file)}: ${describeFsError(error)}`));
    }
  }
  return applied;
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing more we can do; the name is in .gitignore
  }
}
