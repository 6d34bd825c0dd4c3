/**
 * The `@checkpoint` directive (issue 21): how a user asks for a loop to be checkpointed.
 *
 *   // @checkpoint                      on the line(s) directly above a loop
 *   // @checkpoint snapshots=1000
 *   // @checkpoint budget=256MB
 *   /** @grad x  @checkpoint budget=1GB *\/   in a function's doc comment: its outermost loops
 *
 * Takes: the text after `@checkpoint` (one comment or tag). Gives: the options, or the
 * message of what is wrong with them. Sizes are bytes, with an optional unit B, KB, MB, GB
 * (or KiB, MiB, GiB: the same powers of 1024), case-insensitive.
 */

export interface CheckpointOptions {
  /** At most this many saved states of the loop (binomial schedule over single steps). */
  snapshots?: number;
  /** Bytes the loop may use for its saved values and states. */
  budget?: number;
}

/** The default budget of a loop tagged without options: 64 MiB. */
export const DEFAULT_CHECKPOINT_BUDGET = 64 * 1024 * 1024;

const UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Bytes in a size such as `256MB`, `1.5GB` or `65536`; null if it is not one. */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(text.trim());
  if (!m) return null;
  const unit = UNITS[(m[2] || "b").toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.round(Number(m[1]) * unit);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : null;
}

/** Parses the options after `@checkpoint`: `snapshots=K`, `budget=SIZE`, or nothing. */
export function parseCheckpointOptions(text: string): { options: CheckpointOptions } | { error: string } {
  const options: CheckpointOptions = {};
  for (const token of text.trim().split(/\s+/).filter((t) => t.length > 0)) {
    const m = /^([a-zA-Z]+)=(.*)$/.exec(token);
    const name = m?.[1];
    const value = m?.[2] ?? "";
    if (name === "snapshots") {
      if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
        return { error: `@checkpoint snapshots= takes a whole number of saved states, at least 1 (got '${value}')` };
      }
      if (options.snapshots !== undefined) return { error: "@checkpoint gives snapshots= twice" };
      options.snapshots = Number(value);
    } else if (name === "budget") {
      const bytes = parseSize(value);
      if (bytes === null) return { error: `@checkpoint budget= takes a size such as 256MB, 1GB or a number of bytes (got '${value}')` };
      if (options.budget !== undefined) return { error: "@checkpoint gives budget= twice" };
      options.budget = bytes;
    } else {
      return { error: `@checkpoint does not take '${token}' (known: snapshots=K, budget=SIZE)` };
    }
  }
  if (options.snapshots !== undefined && options.budget !== undefined) {
    return { error: "@checkpoint takes snapshots=K or budget=SIZE, not both: a budget chooses the snapshots" };
  }
  return { options };
}

/**
 * The `@checkpoint` directive in a comment's text, if it holds one: `// @checkpoint …` or
 * `/* @checkpoint … *\/` (leading `*` of block-comment lines ignored). Returns the text after
 * the tag up to the end of its line, or null when the comment is not a directive (the tag
 * must begin the comment, so prose that mentions @checkpoint is not one).
 */
export function checkpointDirective(comment: string): string | null {
  const body = comment.startsWith("//") ? comment.slice(2) : comment.replace(/^\/\*+/, "").replace(/\*+\/$/, "");
  const m = /^[\s*]*@checkpoint(?=\s|$)([^\n]*)/.exec(body);
  return m ? m[1]!.replace(/\*+\/\s*$/, "").trim() : null;
}
