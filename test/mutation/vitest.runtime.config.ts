/**
 * The tests `npm run mutate` runs against the runtime's mutants (stryker.runtime.json): the
 * runtime's own unit and property tests, and the tape's. Not the tests that compile: the
 * build copies runtime/*.ts into generated files as text (compiler/backend/helpers.ts), and
 * would copy the mutation run's instrumented text. So a runtime helper must be tested
 * directly, which is what this measures.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/stack.test.ts", "test/records.test.ts", "test/coloring.test.ts", "test/checkpoint-schedule.test.ts", "test/tape.test.ts"],
    testTimeout: 120_000,
  },
});
