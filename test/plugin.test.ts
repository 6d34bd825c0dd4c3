/**
 * The bundler plugin (compiler/plugin) in real bundlers, in temporary projects: Vite's
 * production build, Vite's dev server (an error introduced and fixed while it runs, as
 * a user would see it over HTTP and in the overlay messages), and esbuild (a build, and
 * rebuilds of one context as sources change). The generated file on disk is always made
 * stale first: what the bundle contains must come from the sources, never from it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as esbuild from "esbuild";
import { build as viteBuild, createServer } from "vite";
import { tsgrad } from "../compiler/plugin/index.ts";
import { GENERATED_MARKER } from "../compiler/backend/header.ts";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A model whose gradient carries a recognisable constant k (d/dx of k·x² is 2k·x). */
const model = (k: number) => `/** @grad */\nexport function f(x: number): number {\n  return ${k} * x * x;\n}\n`;
const broken = `/** @grad */\nexport function f(x: number): number {\n  return x * Math.random();\n}\n`;
const main = `import { f } from "./model.ts";\nimport { fGrad } from "./model.grad.ts";\nexport const slope = fGrad(1).grad.x;\nexport const value = f(1);\n`;
const STALE = `// ${GENERATED_MARKER} from model.ts. Do not edit: run \`tsgrad build\` instead.\nexport function fGrad(x: number) { return { value: 0, grad: { x: -999 } }; }\n`;

function project(k: number): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsgrad-plugin-"));
  roots.push(root);
  put(root, "package.json", '{ "name": "p", "private": true, "type": "module" }\n');
  put(root, "src/model.ts", model(k));
  put(root, "src/main.ts", main);
  put(root, "src/model.grad.ts", STALE);
  put(root, "index.html", '<!doctype html><script type="module" src="/src/main.ts"></script>\n');
  return root;
}

function put(root: string, name: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
  writeFileSync(path.join(root, name), text);
}

const read = (root: string, name: string) => readFileSync(path.join(root, name), "utf8");

describe("Vite", () => {
  it("build: generates on start, bundles the fresh gradient, writes it beside the source", async () => {
    const dir = project(3.5);
    const out = await viteBuild({
      root: dir,
      configFile: false,
      logLevel: "silent",
      plugins: [tsgrad.vite()],
      build: { write: false, minify: false, lib: { entry: path.join(dir, "src/main.ts"), formats: ["es"], fileName: "main" } },
    });
    const code = (Array.isArray(out) ? out : [out]).flatMap((o) => ("output" in o ? o.output : [])).map((c) => ("code" in c ? c.code : "")).join("\n");
    expect(code).toContain("3.5");
    expect(code).not.toContain("-999");
    expect(read(dir, "src/model.grad.ts")).toContain("fGradInto");
  }, 60_000);

  it("build: a diagnostic fails the build with tsgrad's message, location and code frame", async () => {
    const dir = project(1);
    put(dir, "src/model.ts", broken);
    const failure = await viteBuild({
      root: dir,
      configFile: false,
      logLevel: "silent",
      plugins: [tsgrad.vite()],
      build: { write: false, lib: { entry: path.join(dir, "src/main.ts"), formats: ["es"], fileName: "main" } },
    }).then(
      () => null,
      (error: unknown) => error as Error & { loc?: { file: string; line: number } },
    );
    expect(failure).not.toBeNull();
    expect(failure!.message).toContain("src/model.ts:3:14 - error TSG3004: Math.random is not deterministic");
    expect(failure!.message).toContain("3   return x * Math.random();");
    expect(read(dir, "src/model.grad.ts")).toBe(STALE); // nothing written, as with the CLI
  }, 60_000);

  it("dev server: serves the fresh file, shows an error in the overlay and never the stale file, recovers on the fix", async () => {
    const dir = project(4.5);
    const server = await createServer({
      root: dir,
      configFile: false,
      logLevel: "silent",
      plugins: [tsgrad.vite()],
      server: { host: "127.0.0.1", port: 0, strictPort: false, watch: { usePolling: false } },
    });
    const sent: { type: string; err?: { message: string; loc?: unknown; frame?: string } }[] = [];
    const send = server.ws.send.bind(server.ws) as (payload: unknown) => void;
    (server.ws as unknown as { send: (p: unknown) => void }).send = (payload: unknown) => {
      sent.push(payload as (typeof sent)[number]);
      send(payload);
    };
    try {
      await server.listen();
      const address = server.httpServer!.address() as { port: number };
      const url = `http://127.0.0.1:${address.port}/src/model.grad.ts`;
      const get = async () => {
        const r = await fetch(`${url}?t=${Date.now()}`);
        return { status: r.status, text: await r.text() };
      };
      const waitFor = async (what: string, predicate: () => boolean | Promise<boolean>) => {
        const start = Date.now();
        while (!(await predicate())) {
          if (Date.now() - start > 30_000) throw new Error(`timed out waiting for ${what}; sent: ${JSON.stringify(sent.map((s) => s.type))}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };

      // The page's entry, so Vite's module graph knows main.ts imports model.ts and model.grad.ts.
      expect((await fetch(`http://127.0.0.1:${address.port}/src/main.ts`)).status).toBe(200);
      const first = await get();
      expect(first.status).toBe(200);
      expect(first.text).toContain("4.5");
      expect(first.text).not.toContain("-999");

      // Introduce an error: the overlay gets tsgrad's diagnostic, the file is not served.
      put(dir, "src/model.ts", broken);
      await waitFor("the overlay error", () => sent.some((s) => s.type === "error"));
      const error = sent.find((s) => s.type === "error")!.err!;
      expect(error.message).toContain("src/model.ts:3:14 - error TSG3004");
      expect(error.frame).toContain("return x * Math.random();");
      expect(error.loc).toMatchObject({ file: path.join(dir, "src/model.ts"), line: 3, column: 13 });
      const during = await get();
      expect(during.status).toBe(500);
      expect(during.text).toContain("TSG3004");
      // No update or reload may follow the error (it would close the overlay, or run the new source against old code).
      await new Promise((r) => setTimeout(r, 500));
      const afterError = sent.slice(sent.findIndex((s) => s.type === "error")).map((s) => s.type);
      expect(afterError).not.toContain("update");
      expect(afterError).not.toContain("full-reload");

      // Fix it: the page is reloaded and the new gradient served.
      put(dir, "src/model.ts", model(6.5));
      await waitFor("a reload after the fix", () => sent.some((s) => s.type === "full-reload"));
      const fixed = await get();
      expect(fixed.status).toBe(200);
      expect(fixed.text).toContain("6.5");
      expect(read(dir, "src/model.grad.ts")).toContain("6.5");

      // Ordinary saves: a request made right after the save, before Vite's watcher may
      // have seen it, already gets the new gradient.
      for (const k of [7.5, 8.5, 9.5]) {
        put(dir, "src/model.ts", model(k));
        const now = await get();
        expect(now.status).toBe(200);
        expect(now.text).toContain(String(k));
      }
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe("esbuild", () => {
  const options = (dir: string): esbuild.BuildOptions => ({
    absWorkingDir: dir,
    entryPoints: [path.join(dir, "src/main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    logLevel: "silent",
    plugins: [tsgrad.esbuild({ root: dir })],
  });
  const text = (r: esbuild.BuildResult) => r.outputFiles!.map((f) => f.text).join("\n");

  it("bundles the fresh gradient, and a rebuild after a change bundles the new one", async () => {
    const dir = project(2.25);
    const context = await esbuild.context(options(dir));
    try {
      const first = await context.rebuild();
      expect(text(first)).toContain("2.25");
      expect(text(first)).not.toContain("-999");
      put(dir, "src/model.ts", model(8.25));
      const second = await context.rebuild();
      expect(text(second)).toContain("8.25");
      expect(text(second)).not.toContain("2.25");
    } finally {
      await context.dispose();
    }
  }, 60_000);

  it("reports a diagnostic as an esbuild error", async () => {
    const dir = project(1);
    put(dir, "src/model.ts", broken);
    const failure = await esbuild.build(options(dir)).then(
      () => null,
      (error: esbuild.BuildFailure) => error,
    );
    expect(failure).not.toBeNull();
    expect(failure!.errors.map((e) => e.text).join("\n")).toContain("src/model.ts:3:14 - error TSG3004");
  }, 60_000);
});

describe("the checkpointBudget option", () => {
  /** A long recurrence whose reverse saves a value per step: what the automatic policy checkpoints. */
  const recurrence = `/** @grad */\nexport function f(x: number, steps: number): number {\n  let y = x;\n  for (let s = 0; s < steps; s++) y = Math.sin(y) * 1.5 + x;\n  return y;\n}\n`;
  const caller = `import { fGrad } from "./model.grad.ts";\nexport const slope = fGrad(0.25, 300).grad.x;\n`;
  const bundle = async (dir: string, budget?: string | number) => {
    const out = await esbuild.build({ absWorkingDir: dir, entryPoints: [path.join(dir, "src/main.ts")], bundle: true, write: false, format: "esm", logLevel: "silent", plugins: [tsgrad.esbuild({ root: dir, cache: false, ...(budget !== undefined && { checkpointBudget: budget }) })] });
    const code = out.outputFiles!.map((f) => f.text).join("\n");
    const { slope } = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as { slope: number };
    return { code, slope, written: read(dir, "src/model.grad.ts") };
  };

  it("is passed to the build: a size or bytes checkpoints the loop (same bits as store-all), none leaves it as the config says", async () => {
    const dir = project(1);
    put(dir, "src/model.ts", recurrence);
    put(dir, "src/main.ts", caller);
    const storeAll = await bundle(dir);
    expect(storeAll.code).not.toContain("CheckpointSchedule");
    for (const budget of ["64B", 64]) {
      const checkpointed = await bundle(dir, budget);
      expect(checkpointed.code).toMatch(/fGradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*64,/);
      expect(checkpointed.written).toContain("class CheckpointSchedule");
      expect(Object.is(checkpointed.slope, storeAll.slope)).toBe(true);
    }
    // Without the option, the project config's budget applies.
    put(dir, "tsgrad.config.json", JSON.stringify({ checkpointBudget: "128B" }));
    expect((await bundle(dir)).code).toMatch(/fGradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*128,/);
    expect((await bundle(dir, 64)).code).toMatch(/fGradIntoSchedule\.startWithin\(\s*Math\.ceil\(steps\),\s*64,/);
  }, 60_000);

  it("a value that is not a size is an error when the bundler creates the plugin", () => {
    expect(() => tsgrad.esbuild({ checkpointBudget: "lots" })).toThrow(`tsgrad plugin: 'checkpointBudget' must be a size such as "256MB", "1GB" or a number of bytes (got "lots")`);
    expect(() => tsgrad.esbuild({ checkpointBudget: -1 })).toThrow("'checkpointBudget' must be a size");
  });
});
