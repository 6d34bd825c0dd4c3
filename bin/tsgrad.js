#!/usr/bin/env node
// Entry point of the `tsgrad` command. The installed package runs the compiled JavaScript
// in dist/ on plain Node. In a clone of the repository, where the TypeScript sources sit
// beside this file, it runs them through tsx instead, so a change to the compiler takes
// effect without a build step; TSGRAD_DIST=1 runs dist/ there too, as the package does.
import { existsSync } from "node:fs";

const sources = new URL("../compiler/cli.ts", import.meta.url);

async function load() {
  if (process.env.TSGRAD_DIST !== "1" && existsSync(sources)) {
    const tsx = await import("tsx/esm/api").catch(() => null);
    if (tsx) {
      tsx.register();
      return import(sources.href);
    }
  }
  const compiled = new URL("../dist/compiler/cli.js", import.meta.url);
  if (!existsSync(compiled)) {
    // A clone before `npm ci` (no tsx to run the sources, no dist/ built by prepare).
    process.stderr.write("tsgrad: neither its compiled code (dist/) nor tsx to run its sources was found; run 'npm ci' (or 'npm run build') in tsgrad's folder first\n");
    process.exit(2);
  }
  return import(compiled.href);
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
