/**
 * The playground page: an editor holding an annotated TypeScript function, the generated
 * `.grad.ts` beside it, diagnostics underlined where they point, a run panel comparing the
 * generated derivative with finite differences at given inputs, and the computation graph.
 * Everything is computed in the worker (worker.ts); this file only wires the page.
 */
import { basicSetup } from "codemirror";
import { javascript } from "@codemirror/lang-javascript";
import { lintGutter, setDiagnostics, type Diagnostic as CmDiagnostic } from "@codemirror/lint";
import { EditorState, type Text } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { HOVER_CSS, HOVER_SCRIPT } from "../../compiler/graph/hover.ts";
import type { CheckResult } from "../../compiler/verify/checks.ts";
import { EXAMPLES } from "./examples.ts";
import type { FunctionInfo, PlainDiagnostic, Reply, Request } from "./protocol.ts";
import "./style.css";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// ---- the worker, restarted when a request takes too long (a loop that never ends) ----

type Pending = { resolve: (reply: Reply) => void; timer: number | undefined };
/** A request before the worker wrapper numbers it. */
type Unnumbered<T> = T extends unknown ? Omit<T, "id"> : never;

/**
 * One request at a time: each waits for the one before, so a request's time limit counts
 * its own work only. A request past its limit ends the worker (a loop that never ends) and
 * a fresh one takes the next.
 */
class CompilerWorker {
  private worker = this.start();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  private start(): Worker {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<Reply>) => {
      const p = this.pending.get(event.data.id);
      if (!p) return;
      this.pending.delete(event.data.id);
      clearTimeout(p.timer);
      p.resolve(event.data);
    };
    // An error the worker did not catch (it should not happen): report it, start afresh.
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.resolve({ kind: "failed", id, message: `the compiler's worker failed: ${event.message}` });
      }
      this.pending.clear();
      this.worker.terminate();
      this.worker = this.start();
    };
    return worker;
  }

  request(request: Unnumbered<Request>, timeoutMs: number): Promise<Reply> {
    const reply = this.queue.then(() => this.send(request, timeoutMs));
    this.queue = reply;
    return reply;
  }

  private send(request: Unnumbered<Request>, timeoutMs: number): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = window.setTimeout(() => {
        this.pending.delete(id);
        this.worker.terminate();
        this.worker = this.start();
        resolve({ kind: "failed", id, message: `stopped after ${timeoutMs / 1000} s: does a loop never end at these inputs?` });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.worker.postMessage({ ...request, id } as Request);
    });
  }
}

/** Counts finished compiles, runs and drawings on <body data-…> (what the browser tests wait for). */
function finished(what: "compiles" | "runs" | "graphs"): void {
  document.body.dataset[what] = String(Number(document.body.dataset[what] ?? "0") + 1);
}

const compiler = new CompilerWorker();

// ---- editors ----

function offset(doc: Text, line: number, column: number): number {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(l.from + column - 1, l.to);
}

let compileTimer: number | undefined;
const source = new EditorView({
  parent: $("source"),
  state: EditorState.create({
    doc: "",
    extensions: [
      basicSetup,
      javascript({ typescript: true }),
      lintGutter(),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        clearTimeout(compileTimer);
        compileTimer = window.setTimeout(() => void compile(), 300);
      }),
    ],
  }),
});

const generated = new EditorView({
  parent: $("generated"),
  state: EditorState.create({ doc: "", extensions: [basicSetup, javascript({ typescript: true }), EditorState.readOnly.of(true), EditorView.editable.of(false)] }),
});

function setGenerated(text: string): void {
  generated.dispatch({ changes: { from: 0, to: generated.state.doc.length, insert: text } });
}

// ---- compiling ----

let functions: FunctionInfo[] = [];
let compiling = 0;
const status = $("status");

async function compile(): Promise<void> {
  const text = source.state.doc.toString();
  const ticket = ++compiling;
  status.textContent = "compiling…";
  document.body.dataset.state = "compiling";
  const reply = await compiler.request({ kind: "compile", source: text }, 90_000);
  if (ticket !== compiling) return; // a newer edit is on its way
  if (reply.kind !== "compiled") {
    status.textContent = reply.kind === "failed" ? `error: ${reply.message}` : "error";
    document.body.dataset.state = "error";
    finished("compiles");
    return;
  }
  showDiagnostics(reply.diagnostics);
  showExports(reply.generated);
  if (reply.generated !== null) setGenerated(reply.generated);
  else setGenerated(`// Nothing generated: ${reply.diagnostics.length} error${reply.diagnostics.length === 1 ? "" : "s"} (underlined in the source).`);
  status.textContent = reply.diagnostics.length > 0 ? `${reply.diagnostics.length} error${reply.diagnostics.length === 1 ? "" : "s"}` : `compiled in ${Math.round(reply.millis)} ms`;
  showFunctions(reply.functions);
  if (reply.generated === null) clearResults("Fix the errors to run the derivatives and draw the graph.");
  document.body.dataset.state = reply.diagnostics.length > 0 ? "errors" : "compiled";
  finished("compiles");
  if (reply.generated !== null && functions.length > 0) {
    await run();
    await drawGraph();
  }
}

/** The generated API, listed under the generated file. */
function showExports(text: string | null): void {
  const names = text === null ? [] : [...text.matchAll(/^export function (\w+)/gm)].map((m) => m[1]!);
  $("exports").textContent = names.length > 0 ? `exports ${names.join(", ")}` : "";
}

function showDiagnostics(list: PlainDiagnostic[]): void {
  const doc = source.state.doc;
  const marks: CmDiagnostic[] = list.map((d) => {
    const from = offset(doc, d.line, d.column);
    return { from, to: Math.min(Math.max(from + d.length, from + 1), doc.length), severity: "error", source: d.code, message: d.message };
  });
  source.dispatch(setDiagnostics(source.state, marks));
  const ul = $("diagnostics");
  ul.replaceChildren(
    ...list.map((d) => {
      const li = document.createElement("li");
      li.textContent = `input.ts:${d.line}:${d.column} - error ${d.code}: ${d.message}`;
      li.onclick = () => {
        source.dispatch({ selection: { anchor: offset(doc, d.line, d.column) }, scrollIntoView: true });
        source.focus();
      };
      return li;
    }),
  );
}

const functionSelect = $<HTMLSelectElement>("function");
const modeSelect = $<HTMLSelectElement>("mode");
const inputs = $<HTMLTextAreaElement>("inputs");

function option(value: string, label = value): HTMLOptionElement {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

function showFunctions(list: FunctionInfo[]): void {
  const previous = functions.find((f) => f.name === functionSelect.value);
  functions = list;
  functionSelect.replaceChildren(...list.map((f) => option(f.name)));
  const keep = list.find((f) => f.name === previous?.name);
  if (keep) functionSelect.value = keep.name;
  const current = keep ?? list[0];
  showModes(current);
  // Keep the user's inputs unless the function (or its parameters) changed.
  if (current && (!keep || keep.params.join() !== previous?.params.join() || inputs.value.trim() === "")) setInputs(current);
}

function showModes(f: FunctionInfo | undefined): void {
  const previous = modeSelect.value;
  modeSelect.replaceChildren(...(f?.modes ?? []).map((m) => option(m)));
  if (f?.modes.includes(previous)) modeSelect.value = previous;
}

function setInputs(f: FunctionInfo): void {
  inputs.value = f.inputs;
  $("inputs-from").textContent = `arguments (${f.params.join(", ")}) as JSON, ${f.inputsFrom}`;
}

functionSelect.onchange = () => {
  const f = functions.find((x) => x.name === functionSelect.value);
  showModes(f);
  if (f) setInputs(f);
  void run().then(drawGraph);
};
modeSelect.onchange = () => void run();
$("run").onclick = () => void run().then(drawGraph);

// ---- the run panel ----

/** Results of an earlier version of the source would mislead: clear them. */
function clearResults(message: string): void {
  const summary = $("run-summary");
  summary.textContent = message;
  summary.className = "";
  $("results").querySelector("tbody")!.replaceChildren();
  $("graph").replaceChildren();
  $("hover").style.display = "none";
  $("graph-status").textContent = "";
  delete document.body.dataset["graph"];
}

function cell(text: string, className = ""): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function number(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e15 ? String(x) : x.toPrecision(10);
}

function showResults(results: CheckResult[]): void {
  const body = $("results").querySelector("tbody")!;
  body.replaceChildren();
  for (const r of results) {
    const head = document.createElement("tr");
    head.className = `mode ${r.ok ? "ok" : "bad"}`;
    const th = document.createElement("th");
    th.colSpan = 5;
    th.textContent = `${r.mode}: ${r.ok ? "agrees" : "MISMATCH"} (worst relative error ${r.worst === 0 ? "0" : r.worst.toExponential(1)})`;
    head.appendChild(th);
    body.appendChild(head);
    for (const e of r.entries) {
      const tr = document.createElement("tr");
      tr.className = e.unresolved ? "unresolved" : e.relError > 1e-6 ? "bad" : "ok";
      tr.dataset.mode = r.mode;
      tr.append(cell(e.label), cell(number(e.actual), "num"), cell(number(e.expected), "num"), cell(e.unresolved ? "unresolved" : e.relError === 0 ? "0" : e.relError.toExponential(1), "num"), cell(e.uncertainty ? `± ${e.uncertainty.toExponential(0)}` : "", "num"));
      body.appendChild(tr);
    }
  }
}

async function run(): Promise<void> {
  const fn = functionSelect.value;
  const mode = modeSelect.value;
  const summary = $("run-summary");
  if (!fn || !mode) return;
  summary.textContent = "running…";
  const reply = await compiler.request({ kind: "run", source: source.state.doc.toString(), fn, mode, inputs: inputs.value }, 30_000);
  if (reply.kind !== "ran") {
    summary.textContent = reply.kind === "failed" ? reply.message : "error";
    summary.className = "bad";
    $("results").querySelector("tbody")!.replaceChildren();
    finished("runs");
    return;
  }
  showResults(reply.results);
  const ok = reply.results.every((r) => r.ok);
  const worst = Math.max(0, ...reply.results.map((r) => r.worst));
  summary.className = ok ? "ok" : "bad";
  finished("runs");
  summary.textContent = `${fn}(…) = ${reply.value}. ${ok ? "The generated derivative agrees with finite differences" : "MISMATCH with finite differences"} (worst relative error ${worst === 0 ? "0" : worst.toExponential(1)}).${reply.detail ? ` ${reply.detail}` : ""}`;
}

// ---- the graph ----

const attachGraphHover = new Function(`${HOVER_SCRIPT}\nreturn attachGraphHover;`)() as (root: HTMLElement, panel: HTMLElement, texts: Record<string, string>) => void;
const style = document.createElement("style");
style.textContent = HOVER_CSS;
document.head.appendChild(style);
const graphBox = $("graph");
let hoverTexts: Record<string, string> = {};
attachGraphHover(graphBox, $("hover"), new Proxy({}, { get: (_, id) => hoverTexts[id as string] }) as Record<string, string>);

async function drawGraph(): Promise<void> {
  const fn = functionSelect.value;
  if (!fn) return;
  $("graph-status").textContent = "drawing…";
  const reply = await compiler.request({ kind: "graph", source: source.state.doc.toString(), fn, inputs: inputs.value }, 30_000);
  if (reply.kind !== "graphed") {
    $("graph-status").textContent = reply.kind === "failed" ? reply.message : "error";
    finished("graphs");
    return;
  }
  hoverTexts = reply.texts;
  $("hover").style.display = "none"; // it described a node of the graph being replaced
  graphBox.innerHTML = reply.svg;
  $("graph-status").textContent = `${fn} at the inputs above: values v and adjoints v̄ on the nodes, the adjoint flowing back on each edge. Hover a node for its source line.`;
  document.body.dataset.graph = fn;
  finished("graphs");
}
$("draw").onclick = () => void drawGraph();

// ---- examples ----

const exampleSelect = $<HTMLSelectElement>("example");
exampleSelect.replaceChildren(...EXAMPLES.map((e) => option(e.id, e.title)));

function load(id: string): void {
  const example = EXAMPLES.find((e) => e.id === id) ?? EXAMPLES[0]!;
  exampleSelect.value = example.id;
  functions = [];
  inputs.value = "";
  source.dispatch({ changes: { from: 0, to: source.state.doc.length, insert: example.source } });
}
exampleSelect.onchange = () => {
  history.replaceState(null, "", `#${exampleSelect.value}`);
  load(exampleSelect.value);
};
load(location.hash.slice(1) || "neuron");
