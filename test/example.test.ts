/**
 * examples/curve-fit as a user sees it, in headless Chromium (Debian's `chromium`, driven
 * by playwright-core, a fresh profile each time):
 *
 *   - the production build, made by the real `vite build` with the example's own
 *     vite.config.ts (tsgrad's Vite plugin), served by `vite preview`: the page loads,
 *     the loss falls, both plots render; a screenshot goes to test-artifacts/example/;
 *   - the dev server on a copy of the example: a source tsgrad cannot differentiate
 *     puts tsgrad's diagnostic in Vite's error overlay; fixing it reloads the page, which
 *     then runs the new gradient.
 *
 * Without Chromium the suite is skipped with a warning on a developer's machine, and
 * fails under CI (.ci/run installs it): nothing here is skipped in CI.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { createServer, preview } from "vite";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.ts";
import { tsgrad } from "../compiler/plugin/index.ts";

/** The page's globals, inside `page.evaluate` callbacks (the suite is typechecked without the DOM library). */
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const repo = path.resolve(import.meta.dirname, "..");
const example = path.join(repo, "examples/curve-fit");
const CHROMIUM = process.env["TSGRAD_CHROMIUM"] ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];
const ARTIFACTS = path.join(repo, "test-artifacts", "example");
const available = existsSync(CHROMIUM);
if (!available && process.env["CI"]) throw new Error(`${CHROMIUM} is missing under CI: .ci/run installs Debian's chromium; the example's browser test must not be skipped`);
if (!available) console.warn(`example browser test skipped: no ${CHROMIUM} (apt-get install -y chromium)`);

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function browser(): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "tsgrad-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 760 } });
  // One step (cleanup runs in reverse order): the profile is removed only once Chromium has exited.
  cleanup.push(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  return context;
}

/** Opens the page, collecting script errors, and waits for the fit to finish. */
async function runPage(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[]; run: { losses: number[]; params: number[]; truth: number[] } }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === "done", undefined, { timeout: 60_000 });
  return { page, errors, run: await page.evaluate(() => window.curveFit) };
}

const describeBrowser = available ? describe : describe.skip;

describeBrowser("examples/curve-fit in Chromium", () => {
  it("production build: the page loads, the loss falls, the loss and the fit are drawn", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const outDir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-example-dist-"));
    cleanup.push(() => rmSync(outDir, { recursive: true, force: true }));
    rmSync(path.join(example, "src/model.grad.ts"), { force: true });
    // The real `vite build` with the example's vite.config.ts, whose `tsgrad/vite` is the
    // package's compiled plugin (dist/, built by `npm ci`'s prepare step or `npm run build`).
    const built = spawnSync(process.execPath, [path.join(repo, "node_modules/vite/bin/vite.js"), "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: example,
      encoding: "utf8",
    });
    expect(built.status, `${built.stdout}\n${built.stderr}`).toBe(0);
    // The plugin generated model.grad.ts on start (it is not committed: see the example's README),
    // exactly what `tsgrad build` writes; and the example typechecks against it.
    expect((await main(["build", "--check", "--no-cache", "src"], { cwd: example, stdout: () => {}, stderr: () => {} }))).toBe(0);
    const typecheck = spawnSync(path.join(repo, "node_modules/.bin/tsc"), ["-p", path.join(example, "tsconfig.json")], { encoding: "utf8" });
    expect(typecheck.status, `${typecheck.stdout}${typecheck.stderr}`).toBe(0);

    const server = await preview({ root: example, configFile: false, logLevel: "silent", build: { outDir }, preview: { host: "127.0.0.1", port: 0 } });
    cleanup.push(() => server.close());
    const context = await browser();
    const { page, errors, run } = await runPage(context, server.resolvedUrls!.local[0]);

    expect(errors).toEqual([]);
    const { losses, params, truth } = run;
    expect(losses).toHaveLength(400);
    // The loss falls: from the starting guess to the noise floor (noise 0.15: MSE ≈ 0.0225).
    expect(losses[0]).toBeGreaterThan(0.5);
    expect(losses[50]).toBeLessThan(losses[0] / 2);
    expect(losses[399]).toBeLessThan(losses[50]);
    expect(losses[399]).toBeLessThan(0.03);
    for (const k of [0, 1, 3]) expect(Math.abs(params[k] - truth[k])).toBeLessThan(0.15);

    // The plots: a log-scale loss line over all 400 steps; 80 data points and the fitted curve.
    const drawn = await page.evaluate(() => {
      // Observable Plot labels each mark's group: aria-label="line", "dot".
      const points = (selector: string) => (document.querySelector(selector)?.getAttribute("d") ?? "").split(/[ML]/).filter((s: string) => s.trim()).length;
      return {
        lossPoints: points("#loss svg g[aria-label='line'] path"),
        dots: document.querySelectorAll("#fit svg g[aria-label='dot'] circle").length,
        curvePoints: points("#fit svg g[aria-label='line'] path"),
        status: document.getElementById("status").textContent,
      };
    });
    expect(drawn.lossPoints).toBe(400);
    expect(drawn.dots).toBe(80);
    expect(drawn.curvePoints).toBeGreaterThan(100);
    expect(drawn.status).toMatch(/^step 400 of 400: loss /);
    await page.screenshot({ path: path.join(ARTIFACTS, "curve-fit.png"), fullPage: true });
  }, 180_000);

  it("dev server: an error appears in Vite's overlay, and the fix reloads the page with the new gradient", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // A copy inside the repository, so the page's dependencies resolve from its node_modules.
    const copy = mkdtempSync(path.join(repo, "examples", ".dev-test-"));
    cleanup.push(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(path.join(example, "src"), path.join(copy, "src"), { recursive: true });
    cpSync(path.join(example, "index.html"), path.join(copy, "index.html"));
    const source = readFileSync(path.join(copy, "src/model.ts"), "utf8");

    const server = await createServer({
      root: copy,
      configFile: false,
      logLevel: "silent",
      plugins: [tsgrad.vite({ paths: ["src"] })],
      server: { host: "127.0.0.1", port: 0 },
    });
    cleanup.push(() => server.close());
    await server.listen();
    const context = await browser();
    const first = await runPage(context, server.resolvedUrls!.local[0]);
    expect(first.errors).toEqual([]);
    const before = first.run.losses[399];

    // Save a loss tsgrad cannot differentiate: the overlay shows tsgrad's diagnostic.
    const broken = source.replace("return sum / xs.length;", "return (sum * Math.random()) / xs.length;");
    expect(broken).not.toBe(source);
    writeFileSync(path.join(copy, "src/model.ts"), broken);
    const overlay = first.page.locator("vite-error-overlay .message-body");
    await overlay.waitFor({ timeout: 30_000 });
    const message = await overlay.textContent();
    expect(message).toContain("TSG3004");
    expect(message).toContain("src/model.ts:");
    await first.page.screenshot({ path: path.join(ARTIFACTS, "dev-overlay.png") });

    // Fix it with a different loss (half the mean squared error): the page reloads and runs the new gradient.
    writeFileSync(path.join(copy, "src/model.ts"), source.replace("return sum / xs.length;", "return (0.5 * sum) / xs.length;"));
    await first.page.waitForFunction(() => !document.querySelector("vite-error-overlay") && document.body.dataset.state === "done", undefined, { timeout: 60_000 });
    const after = await first.page.evaluate(() => window.curveFit.losses[399]);
    expect(after / before).toBeGreaterThan(0.45);
    expect(after / before).toBeLessThan(0.55);
    expect(readFileSync(path.join(copy, "src/model.grad.ts"), "utf8")).toContain("0.5 * sum");
  }, 180_000);
});
