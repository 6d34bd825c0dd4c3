/**
 * Two names for one folder are one folder, and a killed build's temporary files are
 * found again:
 *
 *   - `FolderSpellings` spells every file of a build with one name per real folder (the
 *     first under which the build met it), so `tsgrad build src link-to-src` compiles
 *     each source once and writes each output once;
 *   - `leftoverOf` recognizes `X.grad.ts.<pid>.tsgrad-tmp` (write.ts's staging names) and
 *     `abandoned` says whether the process that wrote one is gone (or the file is older
 *     than any build stages a file for), so the next build may remove it.
 */
import { readdirSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

export class FolderSpellings {
  private readonly byReal = new Map<string, string>();

  /** `file` with its folder spelled as the build first met that real folder. */
  canonical(file: string): string {
    const dir = path.dirname(file);
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return file; // a folder that does not exist (yet): nothing to merge
    }
    const known = this.byReal.get(real);
    if (known === undefined) {
      this.byReal.set(real, dir);
      return file;
    }
    return known === dir ? file : path.join(known, path.basename(file));
  }
}

const LEFTOVER = /^(.+\.grad\.ts)\.(\d+)\.tsgrad-tmp$/;

/** `X.grad.ts.<pid>.tsgrad-tmp` → its target and the pid that staged it; else null. */
export function leftoverOf(file: string): { target: string; pid: number } | null {
  const match = LEFTOVER.exec(path.basename(file));
  return match ? { target: path.join(path.dirname(file), match[1]!), pid: Number(match[2]) } : null;
}

/** Staging and renaming take milliseconds; a temporary file this old belongs to no running build. */
export const LEFTOVER_AGE_MS = 10 * 60 * 1000;

/**
 * Whether a staged file was left by a build that no longer runs: its process is gone, or
 * it is older than LEFTOVER_AGE_MS (the pid may have been reused). A file of this very
 * process, or of a live one, still belongs to a build in progress.
 */
export function abandoned(file: string, now = Date.now()): boolean {
  const leftover = leftoverOf(file);
  if (!leftover || leftover.pid === process.pid) return false;
  try {
    if (now - statSync(file).mtimeMs > LEFTOVER_AGE_MS) return true;
  } catch {
    return false; // gone already
  }
  try {
    process.kill(leftover.pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "ESRCH";
  }
}

/** Staged files beside `output` (`output.<pid>.tsgrad-tmp`), for a source named on the command line. */
export function leftoversBeside(output: string): string[] {
  let names: string[];
  try {
    names = readdirSync(path.dirname(output));
  } catch {
    return [];
  }
  const prefix = `${path.basename(output)}.`;
  return names.filter((n) => n.startsWith(prefix) && leftoverOf(n)).map((n) => path.join(path.dirname(output), n));
}
