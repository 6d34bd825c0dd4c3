/**
 * The playground: a static site where the compiler runs in the browser.
 *
 *   npm run playground          # dev server
 *   npm run playground:build    # static site in playground/dist (serve it from any path)
 *
 * The compiler's code is used as is. Its only platform-specific imports are mapped here:
 * `node:path` (pure path arithmetic) to pathe, `prettier` to its standalone build with the
 * TypeScript plugins (src/host/prettier.ts), the runtime helpers' texts it reads from disk
 * (compiler/backend/runtimeFiles.ts) to the same texts bundled (src/host/runtimeFiles.ts),
 * compiler/typescript.ts (ts-morph loaded with `require`) to a plain import of ts-morph
 * (src/host/typescript.ts), and the Node modules ts-morph loads but an in-memory project
 * never touches to src/host/unavailable.ts.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  resolve: {
    alias: [
      { find: /^prettier$/, replacement: here("src/host/prettier.ts") },
      { find: /^\.\/runtimeFiles\.ts$/, replacement: here("src/host/runtimeFiles.ts") },
      { find: /^(\.\.?\/)+typescript\.ts$/, replacement: here("src/host/typescript.ts") },
      { find: /^(node:)?path$/, replacement: "pathe" },
      { find: /^(node:)?(fs|fs\/promises|os|module|url|perf_hooks|crypto|inspector|child_process)$/, replacement: here("src/host/unavailable.ts") },
    ],
  },
  worker: { format: "es" },
  build: {
    outDir: here("dist"),
    emptyOutDir: true,
    target: "es2022",
    // The compiler (TypeScript's own, in ts-morph) is the bulk of it: one large worker chunk.
    chunkSizeWarningLimit: 16000,
  },
  server: { fs: { allow: [here("..")] } },
});
