/**
 * The playground and an HTML graph as a user sees them: in headless Chromium (Debian's
 * `chromium`, driven by playwright-core), the playground built once per run with Vite and
 * served locally. A user loads the seed examples, types a function, introduces an error,
 * and reads the graph of the neuron; screenshots go to test-artifacts/browser/.
 *
 * Without Chromium the suite is skipped with a warning on a developer's machine, and
 * fails under CI=true (.ci/run installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.ts";
import { formatNumber } from "../compiler/graph/text.ts";
import { REPO_ROOT } from "./harness/discover.ts";

/** The page's document, inside `page.evaluate` callbacks (the suite is typechecked without the DOM library). */
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHROMIUM = process.env["TSGRAD_CHROMIUM"] ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];
const ARTIFACTS = path.join(REPO_ROOT, "test-artifacts", "browser");
const available = existsSync(CHROMIUM);
if (!available && process.env["CI"]) throw new Error(`${CHROMIUM} is missing under CI: .ci/run installs Debian's chromium; the browser tests must not be skipped`);
if (!available) console.warn(`browser tests skipped: no ${CHROMIUM} (apt-get install -y chromium)`);

// The lecture notes' neuron at samples/neuron.ts's inputs (w, b, x, t, λ) = (0.8, −0.3, 1.5, 0.2, 0.01):
// forward z = wx + b, y = σ(z), L = ½(y − t)², R = ½w², 𝓛 = L + λR; backward ȳ = y − t,
// z̄ = ȳσ'(z), w̄ = z̄x + λw, R̄ = λ, L̄ = 1.
const NOTES = (() => {
  const [w, b, x, t, lambda] = [0.8, -0.3, 1.5, 0.2, 0.01];
  const z = w * x + b;
  const y = 1 / (1 + Math.exp(-z));
  const L = 0.5 * (y - t) * (y - t);
  const R = 0.5 * w * w;
  const zBar = (y - t) * y * (1 - y);
  return {
    nodes: {
      "z = w * x + b": [z, zBar],
      "y = 1 / (1 + Math.exp(-z))": [y, y - t],
      "L = 0.5 * (y - t) * (y - t)": [L, 1],
      "R = 0.5 * w * w": [R, lambda],
      "return L + lambda * R": [L + lambda * R, 1],
      "w: number": [w, zBar * x + lambda * w],
      "b: number": [b, zBar],
    } as Record<string, [number, number]>,
    /** w → z carries z̄·x, w → R carries R̄·w. */
    edges: [zBar * x, lambda * w],
  };
})();

let server: PreviewServer | undefined;
let context: BrowserContext | undefined;
let page: Page;
let url = "";
const cleanup: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

type Counter = "compiles" | "runs" | "graphs";

/** How many compiles, runs or drawings the page has finished (it counts them on <body>). */
async function count(what: Counter): Promise<number> {
  return page.evaluate((w) => Number(document.body.dataset[w] ?? "0"), what);
}

/**
 * Does `action` and waits until the page has finished what it triggers: a compile, and
 * after a clean one the run and the drawing that follow it (or only a run, for `runs`).
 */
async function andWait(action: () => Promise<unknown>, until: Counter[] = ["compiles"]): Promise<void> {
  const before = await Promise.all(until.map(count));
  await action();
  for (const [i, what] of until.entries()) {
    await page.waitForFunction(([w, b]) => Number(document.body.dataset[w as string] ?? "0") > (b as number), [what, before[i]!], { timeout: 120_000 });
  }
}

async function state(): Promise<string> {
  return page.evaluate(() => document.body.dataset["state"] ?? "");
}

async function summary(): Promise<string> {
  return (await page.locator("#run-summary").textContent()) ?? "";
}

/** Every drawn node: its text lines, keyed by its first line (the label). */
async function graphNodes(): Promise<Map<string, string[]>> {
  const nodes = await page.locator("svg.tsgrad-graph g.node").evaluateAll((gs) => gs.map((g) => [...g.querySelectorAll("text")].map((t) => t.textContent ?? "")));
  return new Map(nodes.map((lines) => [lines[0]!, lines.slice(1)]));
}

function expectNotesNumbers(nodes: Map<string, string[]>): void {
  for (const [label, [value, adjoint]] of Object.entries(NOTES.nodes)) {
    expect(nodes.get(label), label).toEqual([`v = ${formatNumber(value)}`, `v̄ = ${formatNumber(adjoint)}`]);
  }
}

async function edgeLabel(fromLabel: string, toLabel: string): Promise<string> {
  return page.evaluate(
    ([from, to]) => {
      const idOf = (label: string) => [...document.querySelectorAll("g.node")].find((g) => g.querySelector("text")?.textContent === label)?.getAttribute("data-node");
      const edge = document.querySelector(`g.edge[data-from="${idOf(from!)}"][data-to="${idOf(to!)}"]`);
      return edge?.querySelector("text")?.textContent ?? "";
    },
    [fromLabel, toLabel],
  );
}

async function replaceSource(text: string): Promise<void> {
  await page.locator("#source .cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(text);
}

describe.skipIf(!available)("in headless Chromium", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const outDir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-playground-"));
    cleanup.push(outDir);
    const configFile = path.join(REPO_ROOT, "playground", "vite.config.ts");
    await build({ configFile, logLevel: "error", build: { outDir, emptyOutDir: true } });
    server = await preview({ configFile, logLevel: "error", build: { outDir }, preview: { host: "127.0.0.1", port: 0, strictPort: false, open: false } });
    url = server.resolvedUrls!.local[0]!;
    const profile = mkdtempSync(path.join(os.tmpdir(), "tsgrad-chromium-"));
    cleanup.push(profile);
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1400, height: 1000 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it("opens on the neuron: the generated code, its gradient next to finite differences, the graph with the notes' numbers", async () => {
    await andWait(() => page.goto(`${url}#neuron`), ["compiles", "runs", "graphs"]);
    expect(await state()).toBe("compiled");
    expect(await page.locator("#generated .cm-content").innerText()).toMatch(/^\/\/ @generated by tsgrad from input\.ts/);
    expect(await page.locator("#exports").textContent()).toMatch(/exports neuronGrad, neuronGradInto, neuronHvp, neuronHvpInto, neuronHvpLanesInto, neuronHessian/);
    expect(await summary()).toContain("The generated derivative agrees with finite differences");
    const rows = await page.locator('#results tr[data-mode="grad"]').evaluateAll((trs) => trs.map((tr) => [tr.className, tr.children[0]!.textContent]));
    expect(rows.map(([, label]) => label)).toEqual(["∂/∂w", "∂/∂b", "∂/∂(random direction)"]);
    expect(rows.every(([cls]) => cls === "ok")).toBe(true);

    expect(await page.evaluate(() => document.body.dataset["graph"])).toBe("neuron");
    expectNotesNumbers(await graphNodes());
    expect(await edgeLabel("w: number", "z = w * x + b")).toBe(formatNumber(NOTES.edges[0]!));
    expect(await edgeLabel("w: number", "R = 0.5 * w * w")).toBe(formatNumber(NOTES.edges[1]!));
    await page.locator('svg.tsgrad-graph g.node:has(text:text-is("z = w * x + b"))').hover();
    const hover = page.locator("#hover");
    await expect.poll(() => hover.isVisible()).toBe(true);
    expect(await hover.textContent()).toContain("input.ts:23: const z = w * x + b;");
    expect(await hover.textContent()).toMatch(/v = 0\.9\d*\s+v̄ = 0\.105/);
    await shot("playground-neuron");
  }, 180_000);

  it("runs every seed example: derivatives agree with finite differences", async () => {
    const ids = await page.locator("#example option").evaluateAll((os) => os.map((o) => (o as { value: string }).value));
    expect(ids).toEqual(["quadratic", "gaussian", "leastSquares", "logistic", "neuron", "hvp"]);
    for (const id of ids) {
      await andWait(() => page.selectOption("#example", id), ["compiles", "runs", "graphs"]);
      expect(await state(), id).toBe("compiled");
      expect(await summary(), id).toContain("agrees with finite differences");
      expect(await page.locator("#hover").isVisible(), "no hover text left from the graph replaced").toBe(false);
      for (const mode of await page.locator("#mode option").evaluateAll((os) => os.map((o) => (o as { value: string }).value))) {
        await andWait(() => page.selectOption("#mode", mode), ["runs"]);
        expect(await summary(), `${id} ${mode}`).toContain("agrees with finite differences");
      }
      await shot(`playground-example-${id}`);
    }
  }, 300_000);

  it("compiles a function typed in, and its gradient agrees with finite differences", async () => {
    const typed = `/**
 * @grad x
 * @hvp x
 * @hessian x sparse
 */
export function spring(x: number[], k: number): number {
  let e = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const d = x[i + 1] - x[i];
    e += k * d * d + Math.cos(x[i]);
  }
  return e;
}
`;
    await andWait(async () => {
      await replaceSource(typed);
      await page.keyboard.type("// typed by hand\n");
    }, ["compiles", "runs", "graphs"]);
    expect(await state()).toBe("compiled");
    expect(await page.locator("#exports").textContent()).toContain("springGrad");
    expect(await page.locator("#inputs-from").textContent()).toContain("guessed from the parameter types");
    expect(await summary()).toContain("agrees with finite differences");
    await andWait(() => page.selectOption("#mode", "grad"), ["runs"]);
    expect(await summary()).toContain("agrees with finite differences");
    expect(await page.locator('#results tr[data-mode="grad"].ok').count()).toBe(5); // x[0..3] and a random direction
    // The sparse Hessian (springHessianSparse), its compressed rows made dense and checked entry by entry.
    await andWait(() => page.selectOption("#mode", "hessian"), ["runs"]);
    expect(await summary()).toContain("agrees with finite differences");
    expect(await page.locator('#results tr[data-mode="hessian"].ok').count()).toBeGreaterThan(4);
    await shot("playground-typed");
  }, 120_000);

  it("underlines an error where it is, and clears it when fixed", async () => {
    await andWait(() =>
      replaceSource(`/** @grad x */
export function noisy(x: number): number {
  return x * Math.random();
}
`),
    );
    expect(await state()).toBe("errors");
    const underline = page.locator("#source .cm-lintRange-error");
    await expect.poll(() => underline.count()).toBe(1);
    expect(await underline.textContent()).toBe("Math.random()");
    expect(await page.locator("#diagnostics li").allTextContents()).toEqual([
      expect.stringMatching(/^input\.ts:3:14 - error TSG3004: Math\.random is not deterministic/),
    ]);
    await underline.hover();
    await expect.poll(() => page.locator(".cm-tooltip-lint").textContent()).toContain("Math.random is not deterministic");
    expect(await page.locator("#generated .cm-content").innerText()).toContain("Nothing generated: 1 error");
    expect(await summary()).toBe("Fix the errors to run the derivatives and draw the graph."); // no stale results
    expect(await page.locator("#graph svg").count()).toBe(0);
    await shot("playground-error");
    await andWait(() => replaceSource(`/** @grad x */\nexport function noisy(x: number): number {\n  return x * Math.sin(x);\n}\n`));
    expect(await state()).toBe("compiled");
    expect(await underline.count()).toBe(0);
    expect(await page.locator("#diagnostics li").count()).toBe(0);
  }, 120_000);

  it("opens the HTML graph tsgrad graph writes: the neuron's labels, the notes' values, a source line on hover", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-graph-html-"));
    cleanup.push(dir);
    writeFileSync(path.join(dir, "at.json"), JSON.stringify({ w: 0.8, b: -0.3, x: 1.5, t: 0.2, lambda: 0.01 }));
    const out = path.join(dir, "neuron.html");
    let stderr = "";
    const code = await main(["graph", path.join(REPO_ROOT, "samples", "neuron.ts"), "--at", path.join(dir, "at.json"), "-o", out], { cwd: REPO_ROOT, stdout: () => {}, stderr: (t) => void (stderr += t), color: false });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    await page.goto(pathToFileURL(out).href);
    expectNotesNumbers(await graphNodes());
    expect(await edgeLabel("w: number", "z = w * x + b")).toBe(formatNumber(NOTES.edges[0]!));
    await page.locator('svg g.node:has(text:text-is("y = 1 / (1 + Math.exp(-z))"))').hover();
    const hover = page.locator("#hover");
    await expect.poll(() => hover.isVisible()).toBe(true);
    expect(await hover.textContent()).toContain("neuron.ts:24: const y = 1 / (1 + Math.exp(-z));");
    expect(await hover.textContent()).toContain(`v̄ = ${NOTES.nodes["y = 1 / (1 + Math.exp(-z))"]![1]}`);
    await shot("graph-html-neuron");
  }, 60_000);
});
