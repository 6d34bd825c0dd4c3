/**
 * Values and adjoints for the computation graph: an interpreter of the lowered IR that
 * records a tape, then one reverse sweep.
 *
 * Takes: the function's IR, its graph structure (which node each statement writes) and
 * argument values. Gives: the graph with every node's runs (value, adjoint) and every
 * edge's contributions, and the function's result.
 *
 * The interpreter runs the IR with JavaScript's own arithmetic in the source's order, so
 * its result is bit for bit the function's. Each primitive applied to a value that
 * depends on an input is recorded with its local partial derivatives, evaluated from the
 * compiler's one rule table (transform/rules.ts), the same table generated code uses. Each
 * statement's store and each read of a stored value in a data position is recorded too,
 * tagged with its graph nodes, so after the reverse sweep a store's adjoint is the node
 * run's v̄ and a read's adjoint is what flowed back along that edge: v̄_j · ∂v_j/∂v_i.
 * Index arithmetic, tests and lengths are evaluated without recording.
 *
 * The adjoints are what reverse mode computes, so tests compare them with the generated
 * gradient and with the tape runtime (runtime/tape), which shares nothing with this code.
 */
import { num } from "../ir/build.ts";
import type { Expr, FunctionIR, LValue, Stmt, ValueType } from "../ir/nodes.ts";
import { NUMBER_PREDICATES, PRIMITIVES } from "../ir/primitives.ts";
import type { ComputationGraph, GraphEdge, NodeRun } from "./model.ts";
import type { GraphStructure } from "./structure.ts";

/** A number while the interpreter runs: its value and the tape entry that produced it (-1: a constant). */
interface Num {
  readonly v: number;
  readonly t: number;
}

class Rec {
  constructor(readonly fields: Map<string, Val>) {}
}

type Val = Num | Val[] | Rec | boolean | { opaque: unknown };

/** `undefined`: an optional parameter or field not given (read only through `??`, which compares it with this). */
const UNDEFINED: Val = Object.freeze({ opaque: undefined });

/** A problem running the function at the given values (not a bug of tsgrad): reported, never thrown at the user. */
export class EvaluationError extends Error {}

export interface EvaluateOptions {
  /** Cotangent of an array result (default: 1 for every element, the adjoints of their sum). */
  cotangent?: number[];
  /** Stop after this many recorded operations (default 2,000,000). */
  maxSteps?: number;
}

/** Tape entries: an input number, a primitive, a read of a stored value, a statement's store. */
const Kind = { Leaf: 0, Op: 1, Read: 2, Store: 3 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface Entry {
  kind: Kind;
  parents: number[];
  partials: number[];
  /** Leaf/Store: the node; Read: the reading node. */
  node: string;
  /** Leaf/Store: which run of the node; Read: the entry read from. */
  run: number;
  /** Leaf/Store: the value held. */
  value: number;
}

type Signal = undefined | { kind: "break" } | { kind: "continue" } | { kind: "return"; value: Val | undefined };

const ARITHMETIC = new Set(["+", "-", "*", "/", "%", "**"]);

export function evaluateGraph(fn: FunctionIR, structure: GraphStructure, args: unknown[], options: EvaluateOptions = {}): ComputationGraph {
  return new Interpreter(fn, structure, options).run(args);
}

class Interpreter {
  private readonly tape: Entry[] = [];
  private readonly env = new Map<string, Val>();
  /** Per node: its runs as tape entries, with the element each wrote. */
  private readonly runs = new Map<string, { entry: number; at: string }[]>();
  private readonly maxSteps: number;
  private steps = 0;
  /** The node of the statement being run, while its data expressions are evaluated. */
  private reader: string | undefined;

  constructor(
    private readonly fn: FunctionIR,
    private readonly structure: GraphStructure,
    private readonly options: EvaluateOptions,
  ) {
    this.maxSteps = options.maxSteps ?? 2_000_000;
  }

  run(args: unknown[]): ComputationGraph {
    const { fn } = this;
    // Trailing parameters with a default (`scale = 1`) or optional (`opts?: …`) may be left out.
    const required = requiredArguments(fn);
    if (args.length < required || args.length > fn.params.length) {
      const count = required === fn.params.length ? String(required) : `${required} to ${fn.params.length}`;
      throw new EvaluationError(`${fn.name} takes ${count} argument${fn.params.length === 1 ? "" : "s"} (${fn.params.map((p) => p.name).join(", ")}), got ${args.length}`);
    }
    fn.params.forEach((p, i) => {
      const node = this.structure.inputOf.get(p.name)!;
      // JSON has no undefined: null stands for an optional parameter left out.
      const given = args[i] ?? p.leftOut?.value;
      this.env.set(p.name, given === undefined && p.leftOut ? UNDEFINED : this.input(given, p.type, node, "", p.name));
    });
    const signal = this.block(fn.body);
    if (!signal || signal.kind !== "return" || signal.value === undefined) {
      throw new EvaluationError(`${fn.name} returned no value at these inputs`);
    }
    const result = signal.value;
    const adjoints = this.reverse(result);
    return this.annotate(result, adjoints);
  }

  // ---- inputs ----

  private input(value: unknown, type: ValueType, node: string, at: string, name: string): Val {
    switch (type.kind) {
      case "number": {
        if (typeof value !== "number") throw new EvaluationError(`${name}${at} should be a number, got ${describe(value)}`);
        return this.leaf(value, node, at);
      }
      case "boolean":
        if (typeof value !== "boolean") throw new EvaluationError(`${name}${at} should be a boolean, got ${describe(value)}`);
        return value;
      case "array": {
        if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw new EvaluationError(`${name}${at} should be an array, got ${describe(value)}`);
        const items = Array.from(value as ArrayLike<unknown>);
        if (type.container === "int32array") return items.map((x) => ({ v: Number(x), t: -1 }));
        return items.map((x, i) => this.input(x, type.element, node, `${at}[${i}]`, name));
      }
      case "record": {
        if (type.arrayOfRecords) {
          // `layers: Dense[]`, which the IR holds field by field: inputs in the user's order (record after record), gathered per field.
          if (!Array.isArray(value)) throw new EvaluationError(`${name}${at} should be an array of objects, got ${describe(value)}`);
          const columns = new Map<string, Val[]>(type.fields.map((f) => [f.name, []]));
          value.forEach((item: unknown, k) => {
            if (typeof item !== "object" || item === null) throw new EvaluationError(`${name}${at}[${k}] should be an object, got ${describe(item)}`);
            for (const f of type.fields) {
              const element = f.type.kind === "array" ? f.type.element : f.type;
              columns.get(f.name)!.push(this.input((item as Record<string, unknown>)[f.name], element, node, `${at}[${k}].${f.name}`, name));
            }
          });
          return new Rec(new Map([...columns].map(([field, column]) => [field, column as Val])));
        }
        if (typeof value !== "object" || value === null) throw new EvaluationError(`${name}${at} should be an object, got ${describe(value)}`);
        const fields = new Map<string, Val>();
        for (const f of type.fields) {
          const field = (value as Record<string, unknown>)[f.name] ?? undefined;
          fields.set(f.name, f.optional && field === undefined ? UNDEFINED : this.input(field, f.type, node, `${at}.${f.name}`, name));
        }
        return new Rec(fields);
      }
      default:
        return { opaque: value };
    }
  }

  private leaf(v: number, node: string, at: string): Num {
    const t = this.record({ kind: Kind.Leaf, parents: [], partials: [], node, run: this.nextRun(node), value: v });
    this.runs.get(node)!.push({ entry: t, at });
    return { v, t };
  }

  private nextRun(node: string): number {
    if (!this.runs.has(node)) this.runs.set(node, []);
    return this.runs.get(node)!.length;
  }

  private record(entry: Entry): number {
    if (++this.steps > this.maxSteps) {
      throw new EvaluationError(`stopped after ${this.maxSteps.toLocaleString("en-US")} recorded operations; draw the graph at smaller inputs`);
    }
    this.tape.push(entry);
    return this.tape.length - 1;
  }

  // ---- statements ----

  private block(stmts: Stmt[]): Signal {
    for (const s of stmts) {
      const signal = this.stmt(s);
      if (signal) return signal;
    }
    return undefined;
  }

  private stmt(s: Stmt): Signal {
    switch (s.kind) {
      case "declare": {
        if (this.structure.aliasOf.has(s.name) || this.structure.builders.has(s)) {
          this.env.set(s.name, this.control(s.init));
          return undefined;
        }
        const node = this.structure.nodeOfStmt.get(s);
        const value = this.data(s.init, node);
        this.env.set(s.name, this.store(value, node, ""));
        return undefined;
      }
      case "assign": {
        const node = this.structure.nodeOfStmt.get(s);
        const value = this.data(s.value, node);
        this.assign(s.target, value, node);
        return undefined;
      }
      case "append": {
        const node = this.structure.nodeOfStmt.get(s);
        const array = this.lookup(s.array);
        if (!Array.isArray(array)) throw new EvaluationError(`${s.array} is not an array`);
        const value = this.data(s.value, node);
        array.push(this.store(value, node, `[${array.length}]`));
        return undefined;
      }
      case "return": {
        if (!s.value) return { kind: "return", value: undefined };
        const node = this.structure.nodeOfStmt.get(s);
        const value = this.data(s.value, node);
        return { kind: "return", value: this.storeResult(value, node, "") };
      }
      case "if":
        return this.truthy(this.control(s.test)) ? this.block(s.then) : this.block(s.else);
      case "loop":
        return this.loop(s);
      case "block":
        return this.block(s.body);
      case "break":
        return { kind: "break" };
      case "continue":
        return { kind: "continue" };
      case "comment":
        return undefined;
      default:
        throw new EvaluationError(`cannot evaluate a '${s.kind}' statement`);
    }
  }

  private loop(s: Extract<Stmt, { kind: "loop" }>): Signal {
    const init = this.block(s.init);
    if (init) return init;
    let first = true;
    for (;;) {
      if (!(first && s.form === "doWhile") && s.test && !this.truthy(this.control(s.test))) return undefined;
      first = false;
      const signal = this.block(s.body);
      if (signal?.kind === "break") return undefined;
      if (signal?.kind === "return") return signal;
      const update = this.block(s.update);
      if (update) return update;
      if (++this.steps > this.maxSteps) throw new EvaluationError(`stopped after ${this.maxSteps.toLocaleString("en-US")} steps; does a loop end at these inputs?`);
    }
  }

  private assign(target: LValue, value: Val, node: string | undefined): void {
    if (target.kind === "var") {
      const dot = target.name.lastIndexOf(".");
      if (this.env.has(target.name) || dot < 0) {
        this.env.set(target.name, this.store(value, node, ""));
        return;
      }
      // A number field of a record (`grad.w = …`, written through its path).
      const record = this.lookup(target.name.slice(0, dot));
      if (!(record instanceof Rec)) throw new EvaluationError(`cannot set ${target.name}: not an object field`);
      record.fields.set(target.name.slice(dot + 1), this.store(value, node, target.name.slice(dot)));
      return;
    }
    const container = this.control(target.object);
    if (target.kind === "index") {
      if (!Array.isArray(container)) throw new EvaluationError(`cannot index ${describeExpr(target.object)}: not an array`);
      const i = this.index(target.index, container, target.object);
      container[i] = this.store(value, node, `[${i}]`);
      return;
    }
    if (!(container instanceof Rec)) throw new EvaluationError(`cannot set field '${target.name}': not an object`);
    container.fields.set(target.name, this.store(value, node, `.${target.name}`));
  }

  /** Records a statement's store of a number (each element of a fresh array) as a run of its node. */
  private store(value: Val, node: string | undefined, at: string): Val {
    if (node === undefined) return value;
    if (isNum(value)) {
      const run = this.nextRun(node);
      const t = this.record({ kind: Kind.Store, parents: value.t >= 0 ? [value.t] : [], partials: value.t >= 0 ? [1] : [], node, run, value: value.v });
      this.runs.get(node)!.push({ entry: t, at });
      return { v: value.v, t };
    }
    return value; // arrays are stored element by element where they are built
  }

  /** The result, element by element: an array result's elements are read by the return and stored as its runs. */
  private storeResult(value: Val, node: string | undefined, at: string): Val {
    if (Array.isArray(value)) {
      const saved = this.reader;
      this.reader = node;
      try {
        return value.map((x, i) => this.storeResult(this.read(x, true), node, `${at}[${i}]`));
      } finally {
        this.reader = saved;
      }
    }
    return this.store(value, node, at);
  }

  // ---- expressions ----

  /** Evaluates a value-carrying expression of the statement of `node`, recording what it reads. */
  private data(e: Expr, node: string | undefined): Val {
    const saved = this.reader;
    this.reader = node;
    try {
      return this.expr(e, true);
    } finally {
      this.reader = saved;
    }
  }

  /** Evaluates an index, a test or a reference without recording anything. */
  private control(e: Expr): Val {
    return this.expr(e, false);
  }

  private lookup(name: string): Val {
    const value = this.env.get(name);
    if (value !== undefined) return value;
    const constant = mathConstant(name);
    if (constant !== undefined) return { v: constant, t: -1 };
    // `eps ?? 1e-8` on an optional parameter lowers to `eps === undefined ? … : eps`.
    if (name === "undefined") return UNDEFINED;
    // A field path of a record parameter (`params.W1`), as the front end names it;
    // `opts?.eps` of an optional one is undefined when `opts` is.
    const [root, ...fields] = name.split(".");
    const optional = root!.endsWith("?");
    let found = fields.length > 0 ? this.env.get(optional ? root!.slice(0, -1) : root!) : undefined;
    if (optional && found === UNDEFINED) return UNDEFINED;
    for (const f of fields) found = found instanceof Rec ? found.fields.get(f) : undefined;
    if (found !== undefined) return found;
    throw new EvaluationError(`'${name}' has no value here`);
  }

  /** A read of a stored number in a data position: an identity on the tape, tagged with the reader. */
  private read(value: Val, tracked: boolean): Val {
    if (!tracked || !isNum(value) || value.t < 0 || this.reader === undefined) return value;
    const source = this.tape[value.t]!;
    if (source.kind !== Kind.Store && source.kind !== Kind.Leaf) return value;
    return { v: value.v, t: this.record({ kind: Kind.Read, parents: [value.t], partials: [1], node: this.reader, run: value.t, value: value.v }) };
  }

  private expr(e: Expr, tracked: boolean): Val {
    switch (e.kind) {
      case "number":
        return { v: e.value, t: -1 };
      case "boolean":
        return e.value;
      case "var":
        return this.read(this.lookup(e.name), tracked);
      case "index": {
        const object = this.expr(e.object, false);
        if (!Array.isArray(object)) throw new EvaluationError(`cannot index ${describeExpr(e.object)}: not an array`);
        return this.read(object[this.index(e.index, object, e.object)]!, tracked);
      }
      case "field": {
        const object = this.expr(e.object, false);
        if (!(object instanceof Rec) || !object.fields.has(e.name)) throw new EvaluationError(`${describeExpr(e.object)} has no field '${e.name}'`);
        return this.read(object.fields.get(e.name)!, tracked);
      }
      case "length": {
        const object = this.expr(e.object, false);
        if (!Array.isArray(object)) throw new EvaluationError(`${describeExpr(e.object)} has no length: not an array`);
        return { v: object.length, t: -1 };
      }
      case "unary": {
        if (e.op === "!") return !this.truthy(this.expr(e.operand, false));
        const operand = this.number(this.expr(e.operand, tracked), e.operand);
        if (e.op === "+") return operand;
        return this.apply("neg", [operand], -operand.v, tracked);
      }
      case "binary":
        return this.binary(e, tracked);
      case "call": {
        if (NUMBER_PREDICATES.has(e.callee)) {
          // Number.isFinite(v) and its kin: a boolean test, nothing recorded.
          const test = Number[e.callee.slice("Number.".length) as "isFinite"];
          return test(this.number(this.expr(e.args[0]!, false), e.args[0]!).v);
        }
        const rule = PRIMITIVES[e.callee];
        const fn = mathFunction(e.callee);
        if (!rule || !fn) throw new EvaluationError(`cannot evaluate a call to ${e.callee}`);
        const args = e.args.map((a) => this.number(this.expr(a, tracked), a));
        return this.apply(e.callee, args, fn(...args.map((a) => a.v)), tracked);
      }
      case "conditional":
        return this.truthy(this.expr(e.test, false)) ? this.expr(e.whenTrue, tracked) : this.expr(e.whenFalse, tracked);
      case "zeros": {
        const n = this.number(this.expr(e.length, false), e.length).v;
        if (!Number.isInteger(n) || n < 0) throw new EvaluationError(`invalid array length ${n}`);
        // Each element is a run of the declaring statement (a store of 0).
        return Array.from({ length: n }, (_, i) => this.store({ v: 0, t: -1 }, this.reader, `[${i}]`));
      }
      case "arrayLiteral":
        return e.elements.map((x, i) => {
          const value = this.expr(x, tracked);
          return isNum(value) ? this.store(value, this.reader, `[${i}]`) : value;
        });
      case "record":
        return new Rec(new Map(e.fields.map((f) => [f.name, this.expr(f.value, tracked)])));
      default:
        throw new EvaluationError(`cannot evaluate a '${e.kind}' expression`);
    }
  }

  private binary(e: Extract<Expr, { kind: "binary" }>, tracked: boolean): Val {
    if (e.op === "&&") return this.truthy(this.expr(e.left, false)) ? this.truthy(this.expr(e.right, false)) : false;
    if (e.op === "||") return this.truthy(this.expr(e.left, false)) ? true : this.truthy(this.expr(e.right, false));
    const arithmetic = ARITHMETIC.has(e.op);
    const left = this.expr(e.left, tracked && arithmetic);
    const right = this.expr(e.right, tracked && arithmetic);
    if (!arithmetic) {
      if (typeof left === "boolean" || typeof right === "boolean" || left === UNDEFINED || right === UNDEFINED) {
        if (e.op === "===" || e.op === "==") return left === right;
        if (e.op === "!==" || e.op === "!=") return left !== right;
      }
      const a = this.number(left, e.left).v;
      const b = this.number(right, e.right).v;
      switch (e.op) {
        case "<": return a < b;
        case "<=": return a <= b;
        case ">": return a > b;
        case ">=": return a >= b;
        case "===": case "==": return a === b;
        case "!==": case "!=": return a !== b;
        default: throw new EvaluationError(`unknown operator ${e.op}`);
      }
    }
    const a = this.number(left, e.left);
    const b = this.number(right, e.right);
    const value = e.op === "+" ? a.v + b.v : e.op === "-" ? a.v - b.v : e.op === "*" ? a.v * b.v : e.op === "/" ? a.v / b.v : e.op === "%" ? a.v % b.v : a.v ** b.v;
    return this.apply(e.op, [a, b], value, tracked);
  }

  /** Records a primitive with its partials from the rule table (only towards recorded arguments). */
  private apply(op: string, args: Num[], value: number, tracked: boolean): Num {
    if (!tracked || args.every((a) => a.t < 0)) return { v: value, t: -1 };
    const partials = PRIMITIVES[op]!.partials(args.map((a) => num(a.v)), () => num(value));
    const parents: number[] = [];
    const weights: number[] = [];
    args.forEach((a, i) => {
      const p = partials[i];
      if (a.t < 0 || p === null || p === undefined) return;
      parents.push(a.t);
      weights.push(constant(p));
    });
    return { v: value, t: this.record({ kind: Kind.Op, parents, partials: weights, node: "", run: 0, value }) };
  }

  private index(e: Expr, array: Val[], object: Expr): number {
    const i = this.number(this.control(e), e).v;
    if (!Number.isInteger(i) || i < 0 || i >= array.length) {
      throw new EvaluationError(`index ${i} is out of bounds for ${describeExpr(object)} (length ${array.length})`);
    }
    return i;
  }

  private number(value: Val, e: Expr): Num {
    if (!isNum(value)) throw new EvaluationError(`${describeExpr(e)} is not a number`);
    return value;
  }

  private truthy(value: Val): boolean {
    if (typeof value === "boolean") return value;
    if (isNum(value)) return value.v !== 0 && !Number.isNaN(value.v);
    return true;
  }

  // ---- reverse sweep and results ----

  private reverse(result: Val): Float64Array {
    const adjoint = new Float64Array(this.tape.length);
    const outputs = flatten(result);
    const cotangent = this.options.cotangent;
    if (cotangent && cotangent.length !== outputs.length) {
      throw new EvaluationError(`the cotangent has ${cotangent.length} entries, the result ${outputs.length}`);
    }
    outputs.forEach((x, i) => {
      if (x.t >= 0) adjoint[x.t] += cotangent ? cotangent[i]! : 1;
    });
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const a = adjoint[i]!;
      if (a === 0) continue; // as the tape: an entry that does not reach the result passes nothing back
      const entry = this.tape[i]!;
      for (let k = 0; k < entry.parents.length; k++) adjoint[entry.parents[k]!] += a * entry.partials[k]!;
    }
    return adjoint;
  }

  private annotate(result: Val, adjoint: Float64Array): ComputationGraph {
    const graph = this.structure.graph;
    const runIndex = new Map<number, { node: string; run: number }>();
    const nodes = graph.nodes.map((n) => {
      const list = this.runs.get(n.id) ?? [];
      const runs: NodeRun[] = list.map((r, k) => {
        runIndex.set(r.entry, { node: n.id, run: k });
        return { at: r.at, value: this.tape[r.entry]!.value, adjoint: adjoint[r.entry]! };
      });
      return { ...n, runs };
    });
    const byPair = new Map<string, GraphEdge>();
    const edges = graph.edges.map((e) => {
      const copy: GraphEdge = { ...e };
      byPair.set(`${e.from}->${e.to}`, copy);
      return copy;
    });
    const visible = new Set(graph.nodes.map((n) => n.id));
    this.tape.forEach((entry, i) => {
      if (entry.kind !== Kind.Read) return;
      const source = runIndex.get(entry.run);
      if (!source || !visible.has(entry.node)) return;
      const edge = byPair.get(`${source.node}->${entry.node}`);
      if (!edge) throw new Error(`internal: a read from ${source.node} in ${entry.node} has no edge in the static graph`);
      edge.contributions ??= new Array((this.runs.get(source.node) ?? []).length).fill(0);
      edge.contributions[source.run] += adjoint[i]!;
    });
    const flat = flatten(result).map((x) => x.v);
    const cotangent = this.options.cotangent;
    return {
      ...graph,
      nodes,
      edges,
      evaluation: {
        result: isNum(result) ? result.v : flat,
        seed: isNum(result) ? "1 (the result's adjoint)" : cotangent ? "the given cotangent" : "1 on every element of the result (adjoints of their sum)",
      },
    };
  }
}

function isNum(x: Val): x is Num {
  return typeof x === "object" && x !== null && "v" in x && "t" in x;
}

function flatten(value: Val): Num[] {
  if (isNum(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (value instanceof Rec) return [...value.fields.values()].flatMap(flatten);
  return [];
}

/** Evaluates a rule's partial derivative, built from number literals only. */
function constant(e: Expr): number {
  switch (e.kind) {
    case "number": return e.value;
    case "var": {
      const c = mathConstant(e.name);
      if (c === undefined) throw new Error(`internal: a partial derivative reads '${e.name}'`);
      return c;
    }
    case "unary": return e.op === "-" ? -constant(e.operand) : constant(e.operand);
    case "binary": {
      if (e.op === "<" || e.op === "<=" || e.op === ">" || e.op === ">=" || e.op === "===" || e.op === "!==") {
        throw new Error(`internal: a comparison outside a conditional in a partial derivative`);
      }
      const a = constant(e.left);
      const b = constant(e.right);
      switch (e.op) {
        case "+": return a + b;
        case "-": return a - b;
        case "*": return a * b;
        case "/": return a / b;
        case "%": return a % b;
        case "**": return a ** b;
        default: throw new Error(`internal: operator ${e.op} in a partial derivative`);
      }
    }
    case "call": {
      const fn = mathFunction(e.callee);
      if (!fn) throw new Error(`internal: ${e.callee} in a partial derivative`);
      return fn(...e.args.map(constant));
    }
    case "conditional": {
      const t = e.test;
      if (t.kind !== "binary") throw new Error("internal: a partial derivative's test is not a comparison");
      const a = constant(t.left);
      const b = constant(t.right);
      const holds = t.op === ">=" ? a >= b : t.op === "<=" ? a <= b : t.op === ">" ? a > b : t.op === "<" ? a < b : t.op === "===" ? a === b : a !== b;
      return constant(holds ? e.whenTrue : e.whenFalse);
    }
    default:
      throw new Error(`internal: a '${e.kind}' in a partial derivative`);
  }
}

/** How many leading parameters a call must give: those after have a default or are optional. */
export function requiredArguments(fn: FunctionIR): number {
  let required = fn.params.length;
  while (required > 0 && fn.params[required - 1]!.leftOut) required--;
  return required;
}

function mathFunction(callee: string): ((...args: number[]) => number) | undefined {
  if (!callee.startsWith("Math.")) return undefined;
  const fn = (Math as unknown as Record<string, unknown>)[callee.slice(5)];
  return typeof fn === "function" ? (fn as (...args: number[]) => number) : undefined;
}

function mathConstant(name: string): number | undefined {
  if (!name.startsWith("Math.")) return undefined;
  const value = (Math as unknown as Record<string, unknown>)[name.slice(5)];
  return typeof value === "number" ? value : undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : JSON.stringify(value) ?? typeof value;
}

function describeExpr(e: Expr): string {
  switch (e.kind) {
    case "var": return e.name;
    case "index": return `${describeExpr(e.object)}[…]`;
    case "field": return `${describeExpr(e.object)}.${e.name}`;
    default: return "an expression";
  }
}

