/**
 * tsgrad's runtime helper modules in the browser: the same `runtime/*.ts` texts the Node
 * build reads from disk (compiler/backend/runtimeFiles.ts), bundled by Vite. vite.config.ts
 * substitutes this module for that one.
 */
const files = import.meta.glob("../../../runtime/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

export function runtimeModules(): { module: string; text: string }[] {
  return Object.entries(files)
    .map(([file, text]) => ({ module: file.split("/").pop()!, text }))
    .filter((m) => !m.module.endsWith(".d.ts"))
    .sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0));
}
