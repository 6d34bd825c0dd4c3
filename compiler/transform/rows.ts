/**
 * Arrays of records at the boundary, over every generated function: a parameter the user
 * holds as an array of records (`layers: Dense[]`) is seen by every other pass field by
 * field, as a record of arrays (`layers.w[i]`, `layers.b[i]`; the IR's `arrayOfRecords`).
 * This pass writes those reads back in the user's shape, so the generated code takes and
 * gives what the user holds, with no conversion and no copy:
 *
 *   layers.w[i][j]               →  layers[i].w[j]
 *   layers.w.length              →  layers.length
 *   const layers_w_bar = grad.layers.w;          const layers_bar = grad.layers;
 *   const layers_b_bar = grad.layers.b;    →     … layers_bar[i].w[j] += …
 *   … layers_w_bar[i][j] += …
 *   layers_c_bar.fill(0) (a number field)   →  for (…) layers_bar[i].c = 0;
 *
 * The same for the records of the entry points (`grad`, `tangent`, `v`, `hvp`), whose
 * field for such a parameter has the user's shape too (`{ w: number[][]; b: number[] }[]`).
 *
 * Takes: a generated function whose parameters may include arrays of records, and whose
 * code reaches each field's array only to index it or to read its length (the front end
 * and the modes read whole leaves only through aliases at the top of an entry point).
 * Gives: the same function reading and writing the records' own fields.
 * Guarantees: every other statement unchanged; a whole field array read any other way is
 * an internal error naming it (never silently wrong code).
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, Stmt, ValueType } from "../ir/nodes.ts";
import { mapExpr, mapStmtExprs } from "../ir/visit.ts";
import { renameVariable } from "../ir/rewrite.ts";
import { namesIn } from "./naming.ts";

type Records = Extract<ValueType, { kind: "record" }>;

/** A field's array of an array of records: the array (`layers`, `grad.layers`) and the field. */
interface Leaf {
  root: Expr;
  field: string;
  records: Records;
}

export function recordsAtTheBoundary(fn: FunctionIR): FunctionIR {
  const records = new Map<string, Records>();
  for (const p of fn.params) if (p.type.kind === "record" && p.type.arrayOfRecords) records.set(p.name, p.type);
  if (records.size === 0) return fn;
  return new Boundary(fn, records).run();
}

class Boundary {
  /** `const layers_w_bar = grad.layers.w`: another name for a leaf. */
  private readonly aliases = new Map<string, Leaf>();
  private readonly taken: Set<string>;

  constructor(
    private readonly fn: FunctionIR,
    private readonly records: Map<string, Records>,
  ) {
    this.taken = namesIn(fn);
  }

  run(): FunctionIR {
    const body = this.rewrite(this.withoutAliases(this.fn.body));
    return { ...this.fn, body };
  }

  /**
   * The leaf an expression names: `layers.w` (a dotted parameter path), `grad.layers.w`
   * (a field of an entry point's record parameter), or an alias of one.
   */
  private leafOf(e: Expr): Leaf | undefined {
    if (e.kind === "var" && this.aliases.has(e.name)) return this.aliases.get(e.name);
    const path = pathOf(e);
    if (!path || path.length < 2) return undefined;
    const field = path[path.length - 1]!;
    const owner = path[path.length - 2]!;
    const type = this.records.get(owner);
    if (!type || !type.fields.some((f) => f.name === field)) return undefined;
    // The parameter itself (`layers.w`), or its field in an entry point's record (`grad.layers.w`, also a row's `grads[r]`).
    if (path.length === 2) return { root: b.v(owner), field, records: type };
    if (path.length === 3) return { root: b.field(b.v(path[0]!), owner), field, records: type };
    return undefined;
  }

  /**
   * Drops the declarations that only name a leaf (`const layers_w_bar = grad.layers.w`),
   * remembering them; the first of each array gets one declaration of the array itself
   * (`const layers_bar = grad.layers`) where it stood.
   */
  private withoutAliases(body: Stmt[]): Stmt[] {
    const rooted = new Map<string, string>();
    const out: Stmt[] = [];
    for (const s of body) {
      const leaf = s.kind === "declare" && !s.mutable ? this.leafOf(s.init) : undefined;
      if (s.kind !== "declare" || !leaf) {
        // Nested lists too: fVjpRowsInto names each row's record's leaves inside its loop.
        if (s.kind === "loop") out.push({ ...s, body: this.withoutAliases(s.body) });
        else if (s.kind === "block") out.push({ ...s, body: this.withoutAliases(s.body) });
        else if (s.kind === "if") out.push({ ...s, then: this.withoutAliases(s.then), else: this.withoutAliases(s.else) });
        else out.push(s);
        continue;
      }
      if (leaf.root.kind === "var") {
        this.aliases.set(s.name, leaf);
        continue;
      }
      const key = JSON.stringify(leaf.root);
      let name = rooted.get(key);
      if (!name) {
        name = this.fresh(s.name.replace(`_${leaf.field}`, "") || `${s.name}_records`);
        rooted.set(key, name);
        out.push({ kind: "declare", name, type: { kind: "opaque", text: "" }, init: leaf.root, mutable: false });
      }
      this.aliases.set(s.name, { ...leaf, root: b.v(name) });
    }
    return out;
  }

  private fresh(base: string): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  private rewrite(body: Stmt[]): Stmt[] {
    const replace = (e: Expr): Expr | undefined => {
      if (e.kind === "index") {
        const leaf = this.leafOf(e.object);
        if (leaf) return b.field(b.index(leaf.root, mapExpr(e.index, replace)), leaf.field);
      }
      if (e.kind === "length") {
        const leaf = this.leafOf(e.object);
        if (leaf) return { kind: "length", object: leaf.root };
      }
      if (e.kind === "record") {
        // `{ w: layers_w_bar, b: layers_b_bar }` (a pullback's adjoint record): the array of records itself.
        const leaves = e.fields.map((f) => ({ name: f.name, leaf: this.leafOf(f.value) }));
        const root = leaves[0]?.leaf?.root;
        const type = leaves[0]?.leaf?.records;
        if (root && type && leaves.length === type.fields.length && leaves.every((x, k) => x.leaf && x.leaf.field === x.name && x.name === type.fields[k]!.name && b.sameExpr(x.leaf.root, root))) return root;
      }
      const leaf = this.leafOf(e);
      if (leaf) throw new Error(`the array of records '${printPath(leaf)}' is read as a whole array of its field '${leaf.field}' in the generated '${this.fn.name}'`);
      return undefined;
    };
    const zeroed = (s: Stmt): Stmt[] => {
      // `layers_c_bar.fill(0)` of a number field: each record's field set to 0.
      const leaf = s.kind === "fillZero" ? this.leafOf(s.array) : undefined;
      if (!leaf) return [s];
      const i = this.fresh("i");
      return [b.countUp(i, b.num(0), { kind: "length", object: leaf.root }, [b.assign({ kind: "field", object: b.index(leaf.root, b.v(i)), name: leaf.field }, b.num(0))])];
    };
    const expand = (list: Stmt[]): Stmt[] =>
      list.flatMap((s): Stmt[] => {
        switch (s.kind) {
          case "fillZero": return zeroed(s);
          case "if": return [{ ...s, then: expand(s.then), else: expand(s.else) }];
          case "loop": return [{ ...s, init: expand(s.init), update: expand(s.update), body: expand(s.body) }];
          case "block": return [{ ...s, body: expand(s.body) }];
          default: return [s];
        }
      });
    return mergeClearing(mapStmtExprs(expand(body), replace));
  }
}

/** `a.b.c` as ["a", "b", "c"], from a dotted variable name or field accesses (or both). */
function pathOf(e: Expr): string[] | undefined {
  if (e.kind === "var") return e.name.split(".");
  if (e.kind === "field") {
    const inner = pathOf(e.object);
    return inner && [...inner, e.name];
  }
  return undefined;
}

function printPath(leaf: Leaf): string {
  return (pathOf(leaf.root) ?? ["?"]).join(".");
}

/**
 * Adjacent loops over the same records that only clear fields (`layers_bar[i].w[j].fill(0)`,
 * then `layers_bar[i].b.fill(0)`, one per field as the entry points clear buffers) become
 * one loop over the records, as by hand.
 */
function mergeClearing(body: Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  for (const s0 of body) {
    const s = s0.kind === "loop" ? { ...s0, body: mergeClearing(s0.body) } : s0.kind === "block" ? { ...s0, body: mergeClearing(s0.body) } : s0.kind === "if" ? { ...s0, then: mergeClearing(s0.then), else: mergeClearing(s0.else) } : s0;
    const previous = out[out.length - 1];
    const a = previous && clearingLoop(previous);
    const c = clearingLoop(s);
    if (previous?.kind === "loop" && s.kind === "loop" && a && c && b.sameExpr(a.over, c.over)) {
      out[out.length - 1] = { ...previous, body: [...previous.body, ...renameVariable(s.body, c.counter, a.counter)] };
      continue;
    }
    out.push(s);
  }
  return out;
}

/** `for (let i = 0; i < R.length; i++) { …clears only… }`: its counter and R. */
function clearingLoop(s: Stmt): { counter: string; over: Expr } | undefined {
  if (s.kind !== "loop" || s.form !== "for" || s.init.length !== 1 || s.init[0]!.kind !== "declare" || !s.test) return undefined;
  const counter = s.init[0]!.name;
  const test = s.test;
  if (test.kind !== "binary" || test.op !== "<" || test.left.kind !== "var" || test.left.name !== counter || test.right.kind !== "length") return undefined;
  return s.body.every(clears) ? { counter, over: test.right.object } : undefined;
}

function clears(s: Stmt): boolean {
  if (s.kind === "fillZero") return true;
  if (s.kind === "assign") return s.target.kind !== "var" && s.value.kind === "number" && s.value.value === 0;
  if (s.kind === "declare") return !s.mutable && (s.init.kind === "field" || s.init.kind === "index");
  if (s.kind === "loop") return s.body.every(clears);
  return false;
}
