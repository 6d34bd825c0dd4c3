import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Every file a test generates is typechecked with --noUnusedLocals --noUnusedParameters after its test file.
    setupFiles: ["test/harness/setup.ts"],
    // A mutation run's sandbox (npm run mutate) holds a copy of the tests.
    exclude: [...configDefaults.exclude, ".stryker-tmp/**"],
  },
});
