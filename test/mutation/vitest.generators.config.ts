/**
 * The tests `npm run mutate:generators` runs against the mutants of the forward and reverse
 * generators' derivative rules (stryker.generators.json): the fast ones that check values
 * in every mode against the tape and closed forms, each one build for many primitives
 * (rule-tables: every primitive in reverse, forward and forward-over-reverse mode in one
 * build; binary-primitives; conventions at the singular points). test/primitives.test.ts
 * (one build per primitive and mode, ~30 s) is left out: with it a run takes hours on two
 * cores. Unformatted and without the typecheck, as vitest.compiler.config.ts.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/rule-tables.test.ts", "test/binary-primitives.test.ts", "test/conventions.test.ts", "test/products.test.ts"],
    env: { TSGRAD_TEST_UNFORMATTED: "1" },
    isolate: false,
    testTimeout: 120_000,
  },
});
