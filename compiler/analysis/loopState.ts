/**
 * The state of a checkpointed loop (issue 21): what a snapshot must hold so that a step
 * started from it runs exactly as it ran the first time.
 *
 * Takes: one step of the loop as the code runs it (the forward sweep's body, which also
 * saves old values, and the primal body), and the types of the variables. Gives: the
 * variables and arrays the loop changes whose value at the start of a step the step may
 * read (saving an old value reads it), scalars first; and what cannot be saved.
 *
 * Arrays are judged element by element where that is easy: an element written in the step
 * before it is read (`k1[0] = …` then `k1[0]` read; `next[i] = …` for i in [1, n − 1) then
 * `next[i]` read over the same range) does not make its array state; any other read of an
 * element of an array the step changes does. Names the step declares are its own (scopes
 * are followed, so a block's `const s0` shadowing an outer `s0` is told apart). An array
 * the step appends to is state by its length (its elements are only ever appended); one it
 * also writes by index, or an array variable it reassigns, cannot be saved.
 */
import * as b from "../ir/build.ts";
import type { Expr, Stmt, ValueType } from "../ir/nodes.ts";
import { mapExpr, rootName, stmtExprs, walkExpr } from "../ir/visit.ts";
import { countedHeader } from "./loops.ts";

export type StateItem =
  | { kind: "number"; name: string }
  | { kind: "boolean"; name: string }
  /** A one-dimensional numeric array (any container), saved element by element. */
  | { kind: "array"; name: string; container: "array" | "typed" }
  /** An array of numeric rows (`number[][]`, `Float64Array[]`), saved row by row. */
  | { kind: "rows"; name: string; container: "array" | "typed" }
  /** An array the loop only appends to: its length. */
  | { kind: "length"; name: string };

export interface LoopState {
  items: StateItem[];
  /** What cannot be saved, with the reason. */
  problems: { name: string; reason: string }[];
}

/** Elements of an array surely written so far: literal indices, and [lo, hi) ranges of counted loops (lo = hi = i: element i in this iteration). */
interface Cover {
  indices: Set<number>;
  ranges: { lo: Expr; hi: Expr }[];
}

/** A counted unit-stride loop around a statement: its counter and the range it runs over. */
interface Range {
  counter: string;
  lo: Expr;
  hi: Expr;
}

interface Facts {
  written: Set<string>;
  appended: Set<string>;
  elementWritten: Set<string>;
  reassigned: Set<string>;
  exposed: Set<string>;
}

/**
 * The state of a loop whose one step is `steps` (each a way the step runs: recorded,
 * primal), `counter` aside (the schedule sets it).
 */
export function loopState(steps: Stmt[][], types: Map<string, ValueType>, counter?: string, writtenElsewhere: ReadonlySet<string> = new Set()): LoopState {
  const facts: Facts = { written: new Set(), appended: new Set(), elementWritten: new Set(), reassigned: new Set(), exposed: new Set() };
  for (const step of steps) new Walk(facts, types).block(step, [new Set()], new Set(), new Map(), []);
  // What the steps read and other code of the function writes may change between a step's
  // first run and its recomputation: part of the state too.
  for (const name of writtenElsewhere) if (facts.exposed.has(name)) facts.written.add(name);
  if (counter) facts.written.delete(counter);
  const problems: LoopState["problems"] = [];
  const items: StateItem[] = [];
  for (const name of [...facts.written].sort()) {
    const type = types.get(name);
    if (facts.reassigned.has(name)) {
      problems.push({ name, reason: `the loop assigns the whole array '${name}'; write its elements instead` });
    } else if (facts.appended.has(name)) {
      if (facts.elementWritten.has(name)) problems.push({ name, reason: `the loop both appends to '${name}' and writes its elements` });
      else items.push({ kind: "length", name });
    } else if (!facts.exposed.has(name) || !type) {
      continue;
    } else if (type.kind === "number") {
      items.push({ kind: "number", name });
    } else if (type.kind === "boolean") {
      items.push({ kind: "boolean", name });
    } else if (type.kind === "array" && type.element.kind === "number") {
      items.push({ kind: "array", name, container: type.container === "array" ? "array" : "typed" });
    } else if (type.kind === "array" && type.element.kind === "array" && type.element.element.kind === "number") {
      items.push({ kind: "rows", name, container: type.element.container === "array" ? "array" : "typed" });
    } else {
      problems.push({ name, reason: `'${name}' cannot be saved in a snapshot (only numbers, booleans and numeric arrays can)` });
    }
  }
  const order = (i: StateItem) => (i.kind === "array" ? 1 : i.kind === "rows" ? 2 : 0);
  items.sort((x, y) => order(x) - order(y));
  return { items, problems };
}

/**
 * One pass over a step in program order. `scopes`: names the step declared, per enclosing
 * block; `done`: outer scalars surely assigned so far; `covered`: elements surely written so
 * far; `ranges`: the counted loops around the statement.
 */
class Walk {
  constructor(
    private readonly facts: Facts,
    private readonly types: Map<string, ValueType>,
  ) {}

  block(stmts: Stmt[], scopes: Set<string>[], done: Set<string>, covered: Map<string, Cover>, ranges: Range[]): void {
    const inner = [...scopes, new Set<string>()];
    for (const s of stmts) this.stmt(s, inner, done, covered, ranges);
  }

  private isLocal(name: string, scopes: Set<string>[]): boolean {
    return scopes.some((scope) => scope.has(name));
  }

  private stmt(s: Stmt, scopes: Set<string>[], done: Set<string>, covered: Map<string, Cover>, ranges: Range[]): void {
    switch (s.kind) {
      case "declare":
        this.read(s.init, scopes, done, covered, ranges);
        scopes[scopes.length - 1]!.add(s.name);
        return;
      case "assign": {
        this.read(s.value, scopes, done, covered, ranges);
        if (s.target.kind !== "var") this.readAddress(s.target as Expr, scopes, done, covered, ranges);
        const root = rootName(s.target);
        if (!root || this.isLocal(root, scopes)) return;
        this.facts.written.add(root);
        if (s.target.kind === "var") {
          if (this.types.get(root)?.kind === "array") this.facts.reassigned.add(root);
          done.add(root);
        } else {
          this.facts.elementWritten.add(root);
          if (s.target.kind === "index" && s.target.object.kind === "var") cover(root, s.target.index, covered, ranges);
        }
        return;
      }
      case "if":
        this.read(s.test, scopes, done, covered, ranges);
        // What a branch writes is not surely written after it.
        this.block(s.then, scopes, new Set(done), copyCover(covered), ranges);
        this.block(s.else, scopes, new Set(done), copyCover(covered), ranges);
        return;
      case "block":
        this.block(s.body, scopes, done, covered, ranges);
        return;
      case "loop": {
        const head = [...scopes, new Set<string>()];
        const inner = new Set(done);
        const innerCover = copyCover(covered);
        for (const x of s.init) this.stmt(x, head, inner, innerCover, ranges);
        const header = countedHeader(s);
        const range = header && header.stride === 1 && header.up ? { counter: header.i, lo: header.init.init, hi: header.op === "<" ? header.bound : b.add(header.bound, b.num(1)) } : null;
        if (s.test) this.read(s.test, head, inner, innerCover, ranges);
        const bodyCover = copyCover(innerCover);
        const bodyDone = new Set(inner);
        this.block(s.body, head, bodyDone, bodyCover, range ? [...ranges, range] : ranges);
        this.block(s.update, head, bodyDone, bodyCover, ranges);
        // A counted loop that wrote a[i] in every iteration has written its whole range.
        if (range) {
          for (const [array, c] of bodyCover) {
            if (!c.ranges.some((r) => isCounterMark(r, range.counter))) continue;
            const into = covered.get(array) ?? { indices: new Set<number>(), ranges: [] };
            into.ranges.push({ lo: range.lo, hi: range.hi });
            covered.set(array, into);
          }
        }
        return;
      }
      case "append":
      case "shrink":
        if (s.kind === "append") this.read(s.value, scopes, done, covered, ranges);
        if (!this.isLocal(s.array, scopes)) {
          this.facts.written.add(s.array);
          this.facts.appended.add(s.array);
        }
        return;
      case "call":
        // A call statement reads the whole arrays it is given.
        for (const a of s.args) walkExpr(a, (x) => x.kind === "var" && this.expose(x.name, scopes, done));
        return;
      default:
        for (const e of stmtExprs(s)) this.read(e, scopes, done, covered, ranges);
    }
  }

  private readAddress(target: Expr, scopes: Set<string>[], done: Set<string>, covered: Map<string, Cover>, ranges: Range[]): void {
    let e = target;
    while (e.kind === "index" || e.kind === "field") {
      if (e.kind === "index") this.read(e.index, scopes, done, covered, ranges);
      e = e.object;
    }
    // `A[r][c] = …` reads the row A[r] to write into it.
    if (target.kind === "index" && target.object.kind === "index") this.expose(rootName(target)!, scopes, done);
  }

  /** Notes what evaluating `e` reads: scalars not surely assigned yet, elements not surely written yet, whole arrays. */
  private read(e: Expr, scopes: Set<string>[], done: Set<string>, covered: Map<string, Cover>, ranges: Range[]): void {
    // mapExpr as a traversal: returning the node itself stops the descent into it.
    mapExpr(e, (x) => {
      if (x.kind === "index" && x.object.kind === "var") {
        const c = covered.get(x.object.name);
        if (!c || !isCovered(c, x.index, ranges)) this.expose(x.object.name, scopes, done);
        this.read(x.index, scopes, done, covered, ranges);
        return x;
      }
      // An array's length changes only by appending, which makes the array state anyway.
      if (x.kind === "length" && x.object.kind === "var") return x;
      if (x.kind === "var") {
        this.expose(x.name, scopes, done);
        return x;
      }
      return undefined;
    });
  }

  private expose(name: string, scopes: Set<string>[], done: Set<string>): void {
    if (!this.isLocal(name, scopes) && !done.has(name)) this.facts.exposed.add(name);
  }
}

/** Notes `a[index] = …`, run every time the statement runs. */
function cover(array: string, index: Expr, covered: Map<string, Cover>, ranges: Range[]): void {
  const into = covered.get(array) ?? { indices: new Set<number>(), ranges: [] };
  if (index.kind === "number") into.indices.add(index.value);
  else if (index.kind === "var" && ranges.length > 0 && ranges[ranges.length - 1]!.counter === index.name) {
    // Element i of the innermost counted loop, in this iteration (the loop covers its range once done).
    into.ranges.push({ lo: b.v(index.name), hi: b.v(index.name) });
  }
  covered.set(array, into);
}

function copyCover(covered: Map<string, Cover>): Map<string, Cover> {
  return new Map([...covered].map(([k, c]) => [k, { indices: new Set(c.indices), ranges: [...c.ranges] }]));
}

function isCounterMark(r: { lo: Expr; hi: Expr }, counter: string): boolean {
  return r.lo.kind === "var" && r.lo.name === counter && r.hi.kind === "var" && r.hi.name === counter;
}

/** Whether reading `a[index]` inside `ranges` reads only elements `c` says are written. */
function isCovered(c: Cover, index: Expr, ranges: Range[]): boolean {
  if (index.kind === "number") return c.indices.has(index.value);
  if (index.kind !== "var") return false;
  if (c.ranges.some((r) => isCounterMark(r, index.name))) return true;
  const range = [...ranges].reverse().find((r) => r.counter === index.name);
  if (!range) return false;
  if (c.ranges.some((r) => b.sameExpr(r.lo, range.lo) && b.sameExpr(r.hi, range.hi))) return true;
  // A literal range within literal indices: [0, 2) within {0, 1}.
  if (range.lo.kind === "number" && range.hi.kind === "number" && range.hi.value - range.lo.value <= 64) {
    for (let k = range.lo.value; k < range.hi.value; k++) if (!c.indices.has(k)) return false;
    return true;
  }
  return false;
}

/**
 * Bytes one run of `step` pushes on the stacks (8 per value, 4 per branch decision or
 * count), with counted inner loops' trip counts; null when an inner loop's trips are not
 * known before it runs. A branch counts its larger side.
 */
export function bytesPushed(step: Stmt[]): Expr | null {
  let total: Expr = b.num(0);
  for (const s of step) {
    let part: Expr | null = b.num(0);
    if (s.kind === "push") part = b.num(s.stack === "values" ? 8 : 4);
    else if (s.kind === "block") part = bytesPushed(s.body);
    else if (s.kind === "if") {
      const [then, otherwise] = [bytesPushed(s.then), bytesPushed(s.else)];
      part = then === null || otherwise === null ? null : then.kind === "number" && otherwise.kind === "number" ? b.num(Math.max(then.value, otherwise.value)) : b.call("Math.max", [then, otherwise]);
    } else if (s.kind === "loop") {
      const inner = bytesPushed([...s.body, ...s.update]);
      if (inner === null) return null;
      if (!b.isNumber(inner, 0)) {
        const header = countedHeader(s);
        if (!header || header.init.type.kind !== "number") return null;
        const span = header.up ? b.sub(header.bound, header.init.init) : b.sub(header.init.init, header.bound);
        const inclusive = header.op === "<=" || header.op === ">=";
        const extent = inclusive ? b.add(span, b.num(1)) : span;
        const trips = extent.kind === "number" ? b.num(Math.max(0, Math.ceil(extent.value / header.stride))) : b.call("Math.max", [b.num(0), b.call("Math.ceil", [b.div(extent, b.num(header.stride))])]);
        part = b.mul(trips, inner);
      }
    }
    if (part === null) return null;
    total = b.add(total, part);
  }
  return total;
}
