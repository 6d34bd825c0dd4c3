/**
 * Runs before every test file (vitest.config.ts): after the file's tests, the files they
 * generated through the harness must typecheck under the flags a strict project sets
 * (test/harness/typecheck.ts), and declare `const` every binding they never reassign
 * (test/harness/constness.ts). A failure names the file, line and name.
 */
import { afterAll, expect } from "vitest";
import { needlessLetsIn } from "./constness.ts";
import { takeRecorded, typecheckGenerated } from "./typecheck.ts";

afterAll(() => {
  const recorded = takeRecorded();
  if (!recorded) return;
  expect(typecheckGenerated(recorded.files, recorded.root)).toEqual([]);
  expect(needlessLetsIn(recorded.files)).toEqual([]);
}, 120_000);
