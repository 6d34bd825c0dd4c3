/**
 * Applies a plan to the disk, atomically per file and all-or-nothing as far as the file
 * system allows:
 *
 *   1. stage: write every new text to `X.grad.ts.<pid>.tsgrad-tmp` beside its target and
 *      flush it to the disk (fsync); if any staging fails, delete the temporary files
 *      written so far and stop (no target was touched);
 *   2. commit: rename each temporary file over its target (atomic on one file system),
 *      then flush the folders, so the new names survive a power loss too;
 *   3. remove orphaned generated files, and the staged files of killed builds.
 *
 * Failures become TSG1002 diagnostics located at the file, never exceptions. No temporary
 * file survives a run; one that a killed run left is removed by the next (paths.ts).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { baseName, type Diagnostic } from "../diagnostics.ts";
import type { Plan } from "./plan.ts";
import { describeFsError, fileDiagnostic } from "./read.ts";

export interface Applied {
  written: string[];
  removed: string[];
  /** Staged files of killed builds, removed. */
  leftovers: string[];
  diagnostics: Diagnostic[];
}

export function tempPathFor(target: string, pid: number): string {
  return `${target}.${pid}.tsgrad-tmp`;
}

export function applyPlan(plan: Pick<Plan, "writes" | "removals"> & Partial<Pick<Plan, "leftovers">>, pid: number): Applied {
  const applied: Applied = { written: [], removed: [], leftovers: [], diagnostics: [] };
  const staged: { temp: string; target: string }[] = [];
  for (const w of plan.writes) {
    const temp = tempPathFor(w.path, pid);
    try {
      writeDurably(temp, w.text);
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
  syncFolders(applied.written);
  for (const file of plan.removals) {
    try {
      unlinkSync(file);
      applied.removed.push(file);
    } catch (error) {
      applied.diagnostics.push(fileDiagnostic(file, `cannot remove ${baseName(file)}: ${describeFsError(error)}`));
    }
  }
  for (const file of plan.leftovers ?? []) {
    try {
      unlinkSync(file);
      applied.leftovers.push(file);
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") applied.diagnostics.push(fileDiagnostic(file, `cannot remove ${baseName(file)}: ${describeFsError(error)}`));
    }
  }
  return applied;
}

/** Writes `text` to a new file and flushes it to the disk before returning. */
function writeDurably(file: string, text: string): void {
  const fd = openSync(file, "w");
  try {
    const bytes = Buffer.from(text, "utf8");
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes the folders of renamed files (a rename is durable once its folder is). Where a platform cannot, skips it. */
function syncFolders(files: readonly string[]): void {
  for (const dir of new Set(files.map((f) => path.dirname(f)))) {
    let fd: number | undefined;
    try {
      fd = openSync(dir, "r");
      fsyncSync(fd);
    } catch {
      // Windows cannot open a folder; some file systems refuse to sync one
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing more we can do; the name is in .gitignore
  }
}
