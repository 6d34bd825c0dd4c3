/**
 * The compiler, in a Web Worker so the page stays responsive (and a function that never
 * returns can be stopped by ending the worker). It compiles with `compileSources` (ts-morph
 * on its in-memory file system, prettier's standalone build), runs the source and its
 * generated file (TypeScript's transpileModule, then `new Function`), checks derivatives
 * with `tsgrad verify`'s checks and draws graphs with `tsgrad graph`'s code.
 */
import { ts } from "ts-morph";
import { compileSources } from "../../compiler/pipeline.ts";
import { formatCode, type Diagnostic } from "../../compiler/diagnostics.ts";
import { computationGraph } from "../../compiler/graph/index.ts";
import { layoutGraph } from "../../compiler/graph/layout.ts";
import { renderSvg } from "../../compiler/graph/svg.ts";
import { hoverTexts } from "../../compiler/graph/html.ts";
import { checkAt, type CheckSubject } from "../../compiler/verify/checks.ts";
import { pointsFor } from "../../compiler/verify/points.ts";
import { findTargets, type FunctionTarget, type Mode } from "../../compiler/verify/targets.ts";
import { generatedFunction } from "../../compiler/verify/index.ts";
import { seededRandom } from "../../compiler/verify/values.ts";
import type { ValueType } from "../../compiler/ir/nodes.ts";
import { SOURCE_PATH, type FunctionInfo, type Reply, type Request } from "./protocol.ts";

type Module = Record<string, unknown>;
type Fn = (...args: unknown[]) => unknown;

interface Compiled {
  source: string;
  generated: string | null;
  diagnostics: Diagnostic[];
  targets: FunctionTarget[];
  modules?: { source: Module; generated: Module | null };
}

let last: Compiled | undefined;

async function compile(source: string): Promise<Compiled> {
  if (last?.source === source) return last;
  const result = await compileSources([{ path: SOURCE_PATH, text: source }]);
  const found = findTargets([{ path: SOURCE_PATH, text: source }]);
  last = {
    source,
    generated: result.diagnostics.length === 0 ? (result.files[0]?.text ?? null) : null,
    diagnostics: result.diagnostics,
    targets: found.targets.filter((t): t is FunctionTarget => t.kind === "function"),
  };
  return last;
}

/** Runs a module's TypeScript: types stripped, CommonJS, relative imports of the source resolved to it. */
function evaluate(text: string, fileName: string, sourceModule?: Module): Module {
  const js = ts.transpileModule(text, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
  const exports: Module = {};
  const require = (specifier: string) => {
    if (sourceModule && /^\.\/input(\.js|\.ts)?$/.test(specifier)) return sourceModule;
    throw new Error(`the playground compiles one file: cannot import '${specifier}'`);
  };
  new Function("exports", "require", "module", js)(exports, require, { exports });
  return exports;
}

function modulesOf(compiled: Compiled): { source: Module; generated: Module | null } {
  if (!compiled.modules) {
    const source = evaluate(compiled.source, "input.ts");
    const generated = compiled.generated === null ? null : evaluate(compiled.generated, "input.grad.ts", source);
    compiled.modules = { source, generated };
  }
  return compiled.modules;
}

/** JSON for the inputs box: typed arrays as plain arrays. */
function toJson(args: unknown[]): string {
  const plain = (v: unknown): unknown => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : Array.isArray(v) ? v.map(plain) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
  return JSON.stringify(plain(args));
}

/** Arguments from the inputs box, arrays turned back into the typed arrays the parameters declare. */
function fromJson(text: string, target: FunctionTarget): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the inputs are not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value) || value.length !== target.params.length) {
    throw new Error(`the inputs should be a JSON array of ${target.params.length} arguments (${target.params.map((p) => p.name).join(", ")})`);
  }
  const typed = (v: unknown, type: ValueType): unknown => {
    if (type.kind === "array" && Array.isArray(v)) {
      if (type.container === "float64array") return Float64Array.from(v as number[]);
      if (type.container === "int32array") return Int32Array.from(v as number[]);
      return v.map((x) => typed(x, type.element));
    }
    if (type.kind === "record" && v !== null && typeof v === "object") {
      return Object.fromEntries(type.fields.map((f) => [f.name, typed((v as Record<string, unknown>)[f.name], f.type)]));
    }
    return v;
  };
  return value.map((v, i) => typed(v, target.params[i]!.type));
}

function functionInfo(compiled: Compiled): FunctionInfo[] {
  let source: Module | undefined;
  let failure = "";
  try {
    source = modulesOf(compiled).source;
  } catch (error) {
    failure = (error as Error).message;
  }
  return compiled.targets.map((t) => {
    const wrt = [...new Set(t.groups.flatMap((g) => g.wrt))];
    let inputs = "[]";
    let inputsFrom = failure ? `cannot run the source: ${failure}` : "";
    if (!failure) {
      try {
        const points = pointsFor(t.name, t.params, wrt, source?.[`${t.name}Inputs`] as Fn | undefined, 1, seededRandom(1));
        if ("error" in points) inputsFrom = points.error;
        else {
          inputs = toJson(points.points[0]!);
          inputsFrom = points.source === "inferred" ? "guessed from the parameter types" : `from ${t.name}Inputs()`;
        }
      } catch (error) {
        inputsFrom = `${t.name}Inputs failed: ${(error as Error).message}`;
      }
    }
    return { name: t.name, modes: t.groups.flatMap((g) => g.modes), params: t.params.map((p) => p.name), inputs, inputsFrom };
  });
}

async function run(request: Extract<Request, { kind: "run" }>): Promise<Reply> {
  const compiled = await compile(request.source);
  if (compiled.generated === null) throw new Error("fix the errors first: nothing was generated");
  const target = compiled.targets.find((t) => t.name === request.fn);
  if (!target) throw new Error(`no annotated function '${request.fn}'`);
  const group = target.groups.find((g) => g.modes.includes(request.mode as never));
  if (!group) throw new Error(`'${request.fn}' has no @${request.mode}`);
  const { source, generated } = modulesOf(compiled);
  const f = source[target.name] as Fn | undefined;
  if (typeof f !== "function") throw new Error(`export '${target.name}' so the playground can call it`);
  const subject: CheckSubject = { name: target.name, params: target.params.map((p) => p.name), wrt: group.wrt, f };
  const wanted = request.mode === "jvp" ? ["jvp", "vjp", "grad"].filter((m) => group.modes.includes(m as never)) : [request.mode];
  for (const mode of wanted) {
    const { name, fn } = generatedFunction(generated!, target.name, mode as Mode, group.sparse);
    if (!fn) throw new Error(`the generated code has no '${name}'`);
    subject[mode as "grad"] = fn;
  }
  const args = fromJson(request.inputs, target);
  const results = checkAt(subject, args, { tolerance: 1e-6, random: seededRandom(1), maxEntries: 64 }).filter((r) => r.mode !== "grad" || request.mode === "grad");
  const value = f(...args);
  const shown = typeof value === "number" ? String(value) : toJson([value]).slice(1, -1);
  return { kind: "ran", id: request.id, results, value: shown, detail: results.map((r) => r.direction ? `${r.mode}: v = [${r.direction.map((x) => x.toPrecision(3)).join(", ")}]` : "").filter(Boolean).join("; ") };
}

async function graph(request: Extract<Request, { kind: "graph" }>): Promise<Reply> {
  const compiled = await compile(request.source);
  const target = compiled.targets.find((t) => t.name === request.fn);
  const args = request.inputs !== null && target ? fromJson(request.inputs, target) : undefined;
  const result = computationGraph({ inputs: [{ path: SOURCE_PATH, text: request.source }], file: SOURCE_PATH, functionName: request.fn, args });
  if (!result.ok) throw new Error("diagnostics" in result ? result.diagnostics.map((d) => d.message).join("; ") : `cannot evaluate ${request.fn}: ${result.evaluationError}`);
  const g = { ...result.graph, file: "input.ts" };
  return { kind: "graphed", id: request.id, svg: renderSvg(g, await layoutGraph(g)), texts: hoverTexts(g) };
}

async function handle(request: Request): Promise<Reply> {
  switch (request.kind) {
    case "compile": {
      const started = performance.now();
      const compiled = await compile(request.source);
      const diagnostics = compiled.diagnostics;
      return {
        kind: "compiled",
        id: request.id,
        generated: compiled.generated,
        diagnostics: diagnostics.map((d) => ({ code: formatCode(d.code), message: d.message, line: d.line, column: d.column, length: d.length })),
        functions: functionInfo(compiled),
        millis: performance.now() - started,
      };
    }
    case "run":
      return run(request);
    case "graph":
      return graph(request);
  }
}

async function onRequest(event: MessageEvent<Request>): Promise<void> {
  const request = event.data;
  let reply: Reply;
  try {
    reply = await handle(request);
  } catch (error) {
    reply = { kind: "failed", id: request.id, message: error instanceof Error ? error.message : String(error) };
  }
  (self as unknown as Worker).postMessage(reply);
}

// elkjs, when it first runs inside a worker, sets `self.onmessage` to serve layout requests
// itself (it expects to be the worker). The layout runs in this worker's own thread here,
// so such an assignment is ignored: the requests stay ours.
Object.defineProperty(self, "onmessage", { configurable: true, get: () => null, set: () => {} });
self.addEventListener("message", (event) => void onRequest(event as MessageEvent<Request>));
