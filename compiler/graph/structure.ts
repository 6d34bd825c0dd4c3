/**
 * The static computation graph of a lowered (and inlined) function: its nodes, boxes and
 * edges, before any value is known.
 *
 * Takes: the FunctionIR the front end gives (after inlining) and the source texts.
 * Gives: the graph, and which node each IR statement writes (for evaluate.ts).
 *
 * Nodes. One per parameter, and one per source span of a statement that computes a value:
 * the front end turns `const r = x.slice()` into a declaration and a loop, `s += e` into
 * `s = s + e`, and both stay one node labelled with the source text. A statement without
 * a span (an inlined helper's argument binding) is labelled with its printed IR. A
 * declaration that only names part of another array (`const row = A[i]`) is not a node:
 * reads through it are reads of `A`.
 *
 * Boxes. Every source loop (its header as label), both arms of an `if` (its test), and
 * every run of statements inlined from a helper (its name). Loops are drawn as boxes,
 * never unrolled: the graph stays the size of the source whatever the trip count, and the
 * runs of a statement inside a loop are listed on its node.
 *
 * Edges. A read of a value in a data position (not an index, a loop or branch test, a
 * comparison or a `.length`) gets an edge from every definition that may reach it
 * (reaching definitions over the structured IR; an element write adds a definition of
 * its array without removing the others). Edges from a later definition in the same loop
 * are loop-carried.
 *
 * Pruning. Nodes connected (by edges, ignoring direction) to neither a differentiable
 * input nor a result are dropped: loop counters, lengths and other integer bookkeeping.
 */
import type { SourceSpan } from "../diagnostics.ts";
import type { Expr, FunctionIR, Stmt, ValueType } from "../ir/nodes.ts";
import { Printer } from "../backend/print.ts";
import { isDifferentiable } from "../ir/types.ts";
import type { ComputationGraph, GraphCluster, GraphEdge, GraphNode } from "./model.ts";

/** What the graph needs to know about the sources besides the IR. */
export interface SourceView {
  /** The text of a file of the build (labels, source lines); undefined if unknown. */
  text(file: string): string | undefined;
  /** The name of the top-level function whose declaration contains this line (boxes around inlined helpers). */
  functionAt(file: string, line: number): string | undefined;
}

export interface GraphStructure {
  graph: ComputationGraph;
  /** The node every value-writing IR statement belongs to (pruned nodes included). */
  nodeOfStmt: Map<Stmt, string>;
  /** The input node of each parameter. */
  inputOf: Map<string, string>;
  /** Variables that name part of another array or record (`const row = A[i]`): their root. */
  aliasOf: Map<string, string>;
  /**
   * Declarations of the zero-filled array a desugared builder (`x.slice()`, `Array.from`)
   * then fills: its zeros are not values of the node, the elements written are.
   */
  builders: Set<Stmt>;
}

type State = Map<string, Set<string>> | null; // null: unreachable (after return/break/continue)

export function graphStructure(fn: FunctionIR, sources: SourceView): GraphStructure {
  return new StructureBuilder(fn, sources).build();
}

const printer = new Printer();

function spanKey(span: SourceSpan): string {
  return `${span.file}:${span.line}:${span.column}:${span.length}`;
}

/** The source text a span covers, on one line, without a trailing semicolon. */
function spanText(text: string | undefined, span: SourceSpan): string | undefined {
  if (text === undefined) return undefined;
  const lines = text.split(/\r?\n/);
  let offset = 0;
  for (let i = 0; i < span.line - 1 && i < lines.length; i++) offset += lines[i]!.length + (text[offset + lines[i]!.length] === "\r" ? 2 : 1);
  const raw = text.slice(offset + span.column - 1, offset + span.column - 1 + span.length);
  return raw.replace(/\s+/g, " ").trim().replace(/;$/, "");
}

/** `for (…)`, `while (…)` or `do … while (…)` of a loop's source text, without its body. */
function loopHeader(text: string): string {
  if (text.startsWith("do")) {
    const at = text.lastIndexOf("while");
    return at > 0 ? `do … ${text.slice(at)}` : "do";
  }
  const open = text.indexOf("(");
  let depth = 0;
  for (let i = open; i >= 0 && i < text.length; i++) {
    if (text[i] === "(") depth++;
    if (text[i] === ")" && --depth === 0) return text.slice(0, i + 1);
  }
  return text;
}

function sourceLine(text: string | undefined, line: number): string | undefined {
  return text?.split(/\r?\n/)[line - 1];
}

class StructureBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly clusters: GraphCluster[] = [];
  private readonly nodeOfStmt = new Map<Stmt, string>();
  private readonly nodeOfSpan = new Map<string, string>();
  private readonly inputOf = new Map<string, string>();
  private readonly aliasOf = new Map<string, string>();
  private readonly builders = new Set<Stmt>();
  private readonly firstStmtOf = new Map<string, Stmt>();
  private readonly types = new Map<string, ValueType>();
  /** Position of each node in program order (loop-carried edges point backwards). */
  private readonly order = new Map<string, number>();
  private readonly edges = new Map<string, GraphEdge>();
  /** The name `functionAt` gives the function itself. */
  private home = "";

  constructor(
    private readonly fn: FunctionIR,
    private readonly sources: SourceView,
  ) {}

  build(): GraphStructure {
    const file = this.fn.span.file;
    for (const p of this.fn.params) {
      const id = this.addNode({ kind: "input", label: p.name, detail: `${p.name}: ${p.typeText}`, span: this.fn.span });
      this.inputOf.set(p.name, id);
      this.types.set(p.name, p.type);
    }
    // Statements from the function's own source are not boxed; others come from inlined helpers.
    this.home = this.sources.functionAt(file, this.fn.span.line) ?? this.fn.name;
    this.assign(this.fn.body, undefined, this.home);
    // Reaching definitions, then edges.
    const entry: State = new Map([...this.inputOf].map(([name, id]) => [name, new Set([id])]));
    this.flow(this.fn.body, entry, { breaks: [], continues: [] });
    const graph = this.prune({ function: this.fn.name, file, nodes: this.nodes, edges: [...this.edges.values()], clusters: this.clusters });
    return { graph, nodeOfStmt: this.nodeOfStmt, inputOf: this.inputOf, aliasOf: this.aliasOf, builders: this.builders };
  }

  private addNode(node: Omit<GraphNode, "id">): string {
    const id = `n${this.nodes.length}`;
    const text = node.span ? this.sources.text(node.span.file) : undefined;
    const line = node.span ? sourceLine(text, node.span.line) : undefined;
    this.nodes.push({ id, ...node, ...(line !== undefined && { sourceLine: line }) });
    this.order.set(id, this.order.size);
    return id;
  }

  private addCluster(cluster: Omit<GraphCluster, "id">): string {
    const id = `c${this.clusters.length}`;
    this.clusters.push({ id, ...cluster });
    return id;
  }

  // ---- pass 1: nodes and boxes ----

  /** Where a statement comes from: the function whose source holds its span. */
  private originOf(s: Stmt): string | undefined {
    const span = "span" in s ? s.span : undefined;
    if (!span) return undefined;
    return this.sources.functionAt(span.file, span.line) ?? this.home;
  }

  /** True for a loop or `if` the user wrote (not one the front end built from `x.slice()` or `a.fill(0)`). */
  private isSourceConstruct(s: Stmt & { span?: SourceSpan }, keyword: RegExp): boolean {
    if (!s.span) return false;
    return keyword.test(spanText(this.sources.text(s.span.file), s.span) ?? "");
  }

  private assign(stmts: Stmt[], cluster: string | undefined, owner: string): void {
    let inlined: { cluster: string; origin: string } | undefined;
    for (const s of stmts) {
      const origin = this.originOf(s);
      if (origin !== undefined && origin !== owner) {
        if (!inlined || inlined.origin !== origin) {
          const span = "span" in s ? s.span : undefined;
          inlined = { origin, cluster: this.addCluster({ kind: "inlined", label: `${origin}(…) inlined`, span, parent: cluster }) };
        }
      } else if (origin !== undefined) inlined = undefined;
      this.assignOne(s, inlined?.cluster ?? cluster, inlined?.origin ?? owner);
    }
  }

  private assignOne(s: Stmt, cluster: string | undefined, owner: string): void {
    switch (s.kind) {
      case "declare": {
        this.types.set(s.name, s.type);
        const root = s.type.kind === "array" || s.type.kind === "record" ? this.referenceRoot(s.init) : undefined;
        if (root !== undefined) {
          this.aliasOf.set(s.name, root);
          return;
        }
        this.statementNode(s, cluster);
        return;
      }
      case "assign":
      case "append":
      case "return":
      case "call":
        this.statementNode(s, cluster);
        return;
      case "block":
        this.assign(s.body, cluster, owner);
        return;
      case "if": {
        if (s.span && !this.isSourceConstruct(s, /^if\b/)) return this.desugared(s, cluster);
        const test = printer.expr(s.test);
        const thenBox = this.addCluster({ kind: "then", label: `if (${test})`, span: s.span, parent: cluster });
        this.assign(s.then, thenBox, owner);
        if (s.else.length > 0) {
          const elseBox = this.addCluster({ kind: "else", label: `else (not ${test})`, span: s.span, parent: cluster });
          this.assign(s.else, elseBox, owner);
        }
        return;
      }
      case "loop": {
        if (s.span && !this.isSourceConstruct(s, /^(for|while|do)\b/)) return this.desugared(s, cluster);
        const header = s.span ? loopHeader(spanText(this.sources.text(s.span.file), s.span) ?? "") : `loop (${s.test ? printer.expr(s.test) : "true"})`;
        const box = this.addCluster({ kind: "loop", label: header, span: s.span, parent: cluster });
        this.assign(s.init, box, owner);
        this.assign(s.body, box, owner);
        this.assign(s.update, box, owner);
        return;
      }
      default:
        return; // break, continue, comments: no value
    }
  }

  /** A loop or `if` the front end built for one source expression: all of it is that expression's node. */
  private desugared(s: Stmt & { span?: SourceSpan }, cluster: string | undefined): void {
    const id = this.statementNode(s, cluster);
    const declaration = this.firstStmtOf.get(id);
    if (declaration?.kind === "declare" && declaration.init.kind === "zeros") this.builders.add(declaration);
    const visit = (list: Stmt[]) => {
      for (const x of list) {
        if (x.kind === "declare") this.types.set(x.name, x.type);
        if (x.kind !== "loop" && x.kind !== "if" && x.kind !== "block") this.nodeOfStmt.set(x, id);
        if (x.kind === "loop") visit(x.body); // its counter is bookkeeping, not a value of the node
        if (x.kind === "if") visit([...x.then, ...x.else]);
        if (x.kind === "block") visit(x.body);
      }
    };
    if (s.kind === "loop") visit(s.body);
    if (s.kind === "if") visit([...s.then, ...s.else]);
  }

  private statementNode(s: Stmt & { span?: SourceSpan }, cluster: string | undefined): string {
    const key = s.span ? spanKey(s.span) : undefined;
    const existing = key ? this.nodeOfSpan.get(key) : undefined;
    if (existing) {
      this.nodeOfStmt.set(s, existing);
      return existing;
    }
    let text = s.span ? spanText(this.sources.text(s.span.file), s.span) : undefined;
    // A declaration the front end built from an expression (`const r = x.slice()`) spans the expression only.
    if (text && s.kind === "declare" && !text.startsWith(s.name) && !/^(const|let|var)\b/.test(text)) text = `${s.name} = ${text}`;
    const label = text || this.printed(s);
    const id = this.addNode({ kind: s.kind === "return" ? "result" : "value", label, span: s.span, cluster });
    if (key) this.nodeOfSpan.set(key, id);
    this.nodeOfStmt.set(s, id);
    this.firstStmtOf.set(id, s);
    return id;
  }

  private printed(s: Stmt): string {
    switch (s.kind) {
      case "declare": return `${s.name} = ${printer.expr(s.init)}`;
      case "assign": return printer.assignment(s.target, s.value);
      case "return": return s.value ? `return ${printer.expr(s.value)}` : "return";
      case "append": return `${s.array}.push(${printer.expr(s.value)})`;
      default: return s.kind;
    }
  }

  /** The array or record a declaration names part of (`A[i]`, `p.W`, `other`), or undefined for a fresh value. */
  private referenceRoot(init: Expr): string | undefined {
    let e = init;
    while (e.kind === "index" || e.kind === "field") e = e.object;
    if (e.kind !== "var") return undefined;
    return this.resolve(e.name);
  }

  private resolve(name: string): string {
    // A field path of a record parameter (`params.W1`, `opts?.eps` of an optional one) is a read of the record.
    let n = !this.types.has(name) && name.includes(".") && !name.startsWith("Math.") ? name.slice(0, name.indexOf(".")).replace(/\?$/, "") : name;
    for (let guard = 0; this.aliasOf.has(n) && guard < 100; guard++) n = this.aliasOf.get(n)!;
    return n;
  }

  // ---- pass 2: reaching definitions and edges ----

  /** The variables (alias roots) an expression reads in data positions. */
  private dataReads(e: Expr, into: Set<string>): Set<string> {
    switch (e.kind) {
      case "var":
      case "index":
      case "field": {
        let root: Expr = e;
        while (root.kind === "index" || root.kind === "field") root = root.object;
        if (root.kind === "var" && this.carriesNumbers(root.name)) into.add(this.resolve(root.name));
        return into;
      }
      case "unary":
        if (e.op !== "!") this.dataReads(e.operand, into);
        return into;
      case "binary":
        if (["+", "-", "*", "/", "%", "**"].includes(e.op)) {
          this.dataReads(e.left, into);
          this.dataReads(e.right, into);
        }
        return into;
      case "call":
      case "userCall":
        for (const a of e.args) this.dataReads(a, into);
        return into;
      case "conditional":
        this.dataReads(e.whenTrue, into);
        this.dataReads(e.whenFalse, into);
        return into;
      case "arrayLiteral":
        for (const x of e.elements) this.dataReads(x, into);
        return into;
      case "record":
        for (const f of e.fields) this.dataReads(f.value, into);
        return into;
      default:
        return into; // literals, lengths, fresh zero arrays: no value flows in
    }
  }

  private carriesNumbers(name: string): boolean {
    const root = this.resolve(name);
    const type = this.types.get(root) ?? this.types.get(name);
    if (!type) return false; // Math.PI and other constants
    return type.kind === "number" || (type.kind === "array" && type.container !== "int32array") || type.kind === "record";
  }

  private edge(from: string, to: string): void {
    const key = `${from}->${to}`;
    if (this.edges.has(key)) return;
    const loopCarried = (this.order.get(from) ?? 0) >= (this.order.get(to) ?? 0);
    this.edges.set(key, { id: `e${this.edges.size}`, from, to, loopCarried });
  }

  private readInto(s: Stmt, exprs: Expr[], state: State): void {
    const node = this.nodeOfStmt.get(s);
    if (!node || !state) return;
    const reads = new Set<string>();
    for (const e of exprs) this.dataReads(e, reads);
    for (const name of reads) for (const def of state.get(name) ?? []) this.edge(def, node);
  }

  private flow(stmts: Stmt[], state: State, jumps: { breaks: State[]; continues: State[] }): State {
    let current = state;
    for (const s of stmts) current = this.flowOne(s, current, jumps);
    return current;
  }

  private flowOne(s: Stmt, state: State, jumps: { breaks: State[]; continues: State[] }): State {
    if (!state) return null;
    const node = this.nodeOfStmt.get(s);
    switch (s.kind) {
      case "declare": {
        if (this.aliasOf.has(s.name)) return state;
        this.readInto(s, [s.init], state);
        return node ? define(state, s.name, node, true) : state;
      }
      case "assign": {
        const target = s.target;
        this.readInto(s, [s.value], state);
        if (!node) return state;
        if (target.kind === "var") return define(state, this.resolve(target.name), node, !this.aliasOf.has(target.name));
        let root: Expr = target;
        while (root.kind === "index" || root.kind === "field") root = root.object;
        return root.kind === "var" ? define(state, this.resolve(root.name), node, false) : state;
      }
      case "append":
        this.readInto(s, [s.value, { kind: "var", name: s.array }], state);
        return node ? define(state, this.resolve(s.array), node, false) : state;
      case "return":
        if (s.value) this.readInto(s, [s.value], state);
        return null;
      case "break":
        jumps.breaks.push(state);
        return null;
      case "continue":
        jumps.continues.push(state);
        return null;
      case "block":
        return this.flow(s.body, state, jumps);
      case "if":
        return union(this.flow(s.then, clone(state), jumps), this.flow(s.else, clone(state), jumps));
      case "loop": {
        const afterInit = this.flow(s.init, state, jumps);
        let head = clone(afterInit);
        let exit: State = null;
        for (let round = 0; round < 100; round++) {
          const inner = { breaks: [] as State[], continues: [] as State[] };
          const afterBody = this.flow(s.body, clone(head), inner);
          const afterUpdate = this.flow(s.update, inner.continues.reduce(union, afterBody), jumps);
          const next = union(afterInit, afterUpdate);
          // The test fails at the head (a do-while tests after the body); `for (;;)` leaves by break only.
          const testFails = s.test === null ? null : s.form === "doWhile" ? afterUpdate : next;
          exit = inner.breaks.reduce(union, testFails);
          if (sameState(next, head)) break;
          head = next;
        }
        return exit;
      }
      default:
        return state;
    }
  }

  // ---- pruning ----

  private prune(graph: ComputationGraph): ComputationGraph {
    const neighbours = new Map<string, string[]>();
    for (const e of graph.edges) {
      neighbours.set(e.from, [...(neighbours.get(e.from) ?? []), e.to]);
      neighbours.set(e.to, [...(neighbours.get(e.to) ?? []), e.from]);
    }
    const keep = new Set<string>();
    const differentiableInputs = this.fn.params.filter((p) => isDifferentiable(p.type)).map((p) => this.inputOf.get(p.name)!);
    const seeds = [...differentiableInputs, ...graph.nodes.filter((n) => n.kind === "result").map((n) => n.id)];
    const stack = [...seeds];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (keep.has(id)) continue;
      keep.add(id);
      stack.push(...(neighbours.get(id) ?? []));
    }
    for (const n of graph.nodes) if (n.kind === "input") keep.add(n.id);
    const nodes = graph.nodes.filter((n) => keep.has(n.id));
    const edges = graph.edges.filter((e) => keep.has(e.from) && keep.has(e.to));
    const used = new Set<string>();
    const parentOf = new Map(graph.clusters.map((c) => [c.id, c.parent]));
    for (const n of nodes) for (let c = n.cluster; c !== undefined && !used.has(c); c = parentOf.get(c)) used.add(c);
    const clusters = graph.clusters.filter((c) => used.has(c.id));
    return { ...graph, nodes, edges, clusters };
  }
}

function clone(state: State): State {
  return state ? new Map([...state].map(([k, v]) => [k, new Set(v)])) : null;
}

function union(a: State, b: State): State {
  if (!a) return clone(b);
  if (!b) return clone(a);
  const out = clone(a)!;
  for (const [k, v] of b) {
    const set = out.get(k) ?? new Set<string>();
    for (const x of v) set.add(x);
    out.set(k, set);
  }
  return out;
}

function define(state: Map<string, Set<string>>, name: string, node: string, kills: boolean): State {
  const out = clone(state)!;
  const set = kills ? new Set<string>() : (out.get(name) ?? new Set<string>());
  set.add(node);
  out.set(name, set);
  return out;
}

function sameState(a: State, b: State): boolean {
  if (!a || !b) return a === b;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.size !== v.size) return false;
    for (const x of v) if (!w.has(x)) return false;
  }
  return true;
}
