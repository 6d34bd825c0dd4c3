/** `tsgrad --help` and `tsgrad --version`. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../packageRoot.ts";

export const HELP = `tsgrad: source-to-source automatic differentiation for TypeScript

Usage:
  tsgrad build [paths...] [--check] [--watch] [--debug] [--format text|json]
               [--quiet | --verbose] [--no-cache] [--dump-after <stage>]
               [--checkpoint-budget <size>]
  tsgrad graph FILE[:FUNCTION] [--at values.json] [-o out.svg|out.html|out.json]
  tsgrad verify [paths...] [--points N] [--seed S] [--tolerance T] [--format text|json]
  tsgrad init
  tsgrad --help | -h
  tsgrad --version

build     Writes X.grad.ts beside every X.ts (in the given files and folders, default
          the current folder) whose functions carry @grad, @jvp, @vjp, @hvp, @hessian
          or @jacobian; removes generated X.grad.ts files whose source lost them.
          Folders are walked recursively, skipping node_modules, dot-folders,
          *.grad.ts and *.d.ts. Nothing is written if any error is reported.
          Paths may be globs ("src/**/*.ts", quoted); with none, the "include"
          of the project's config ("tsgrad" in package.json, or
          tsgrad.config.json), else the current folder.

init      Sets tsgrad up in the project of the current folder: adds the scripts
          tsgrad:build and tsgrad:check and a "tsgrad" config to package.json,
          marks *.grad.ts as generated in .gitattributes (and .eslintignore if
          there is one), and prints what it did. Never overwrites what is there.

graph     Draws the computation graph of one function; with --at, forward values
          and adjoints on it ('tsgrad graph --help').

verify    Checks every generated derivative of a project numerically (finite
          differences, forward against reverse mode); exit 1 on a mismatch
          ('tsgrad verify --help').

Options:
  --check          Write nothing; exit 1 naming every stale, missing or orphaned
                   generated file (for CI).
  --watch          Build, then rebuild whenever a source changes (Ctrl-C to stop;
                   also stops when the process that started it exits).
  --format <fmt>   text (default) or json (one JSON document on stdout).
  -q, --quiet      Print only problems (diagnostics, out-of-date files).
  --verbose        Also print each source's compile time (or that it came from
                   the cache), where the cache is, and the compile time by stage.
  --no-cache       Compile every source, ignoring and not updating the cache
                   (node_modules/.cache/tsgrad of the nearest package.json, or
                   TSGRAD_CACHE_DIR).
  --debug          Generated code checks that differentiated arrays share no
                   storage with other arguments, and that its stacks balance.
  --checkpoint-budget <size>
                   Checkpoint every outermost counted loop whose reverse saves
                   values, within this much memory (256MB, 1GB): all its steps
                   are recorded as usual when they fit, else the loop is
                   recomputed from snapshots (README, "checkpointing"). Also the
                   config's "checkpointBudget".
  --dump-after <stage>
                   Print the IR (as TypeScript) after a stage of the compiler:
                   lower, inline, normalize, reverse, forward, entry-points, …
                   (an unknown stage lists them all). Writes nothing.
  -h, --help       Show this help.
  --version        Show the version.

Exit codes: 0 ok, 1 errors or (with --check) out-of-date files, 2 bad usage.
`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}
