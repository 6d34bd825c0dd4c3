#!/usr/bin/env node
// Entry point of the `tsgrad` command. The compiler is written in TypeScript and
// run through tsx's loader, so no separate build step is needed after `npm ci`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../compiler/cli.ts");
process.exitCode = await main(process.argv.slice(2));
