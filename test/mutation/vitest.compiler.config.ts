/**
 * The tests `npm run mutate` runs against the compiler's mutants (stryker.compiler.json):
 * those that check the rule table and the expression adjoints in-process, each compiling
 * what it checks. Unformatted (prettier is most of a compile and changes no derivative),
 * and without the harness's typecheck after each file (vitest.config.ts), which tests the
 * strictness of generated code, not its derivatives.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/products.test.ts", "test/rule-tables.test.ts", "test/binary-primitives.test.ts", "test/primitives.test.ts", "test/conventions.test.ts"],
    env: { TSGRAD_TEST_UNFORMATTED: "1" },
    // One worker whose modules stay loaded from one mutant run to the next: the instrumented
    // code reads the active mutant at run time, so only the test files need to run again.
    isolate: false,
    testTimeout: 120_000,
  },
});
