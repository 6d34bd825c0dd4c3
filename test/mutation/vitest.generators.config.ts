/**
 * The tests `npm run mutate:generators` runs against the mutants of the forward and reverse
 * generators' derivative rules (stryker.generators.json): those that check values in every
 * mode with few builds each (rule-tables: every primitive in reverse, forward and
 * forward-over-reverse mode in one build; binary-primitives; conventions at the singular
 * points; products), the golden snapshots (which see code shape), custom rules, objects,
 * calls and shared pullbacks. test/primitives.test.ts (one build per primitive and mode,
 * ~30 s) is left out: with it a run takes hours on two cores. Formatted (the golden
 * snapshots are prettier's output), without the harness's typecheck.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/rule-tables.test.ts",
      "test/binary-primitives.test.ts",
      "test/conventions.test.ts",
      "test/products.test.ts",
      "test/golden.test.ts",
      "test/custom.test.ts",
      "test/objects.test.ts",
      "test/calls.test.ts",
      "test/shared-callees.test.ts",
    ],
    isolate: false,
    testTimeout: 120_000,
  },
});
