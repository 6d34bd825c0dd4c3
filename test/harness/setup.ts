/**
 * Runs before every test file (vitest.config.ts): after the file's tests, the files they
 * generated through the harness must typecheck under the flags a strict project sets
 * (test/harness/typecheck.ts). A failure names the file, line and unused name.
 */
import { afterAll, expect } from "vitest";
import { takeRecorded, typecheckGenerated } from "./typecheck.ts";

afterAll(() => {
  const recorded = takeRecorded();
  if (recorded) expect(typecheckGenerated(recorded.files, recorded.root)).toEqual([]);
}, 120_000);
