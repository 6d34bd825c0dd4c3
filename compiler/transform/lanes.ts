/**
 * Vector (width-k) tangents: one-direction tangent code (transform/forward.ts's output,
 * forward mode or forward-over-reverse) rewritten so that every tangent carries `width`
 * directions at once, while the primal, its control flow and the reverse sweep's saved
 * values run once per sweep instead of once per direction.
 *
 * Layout: directions innermost, so a statement's loop over them is contiguous. A tangent
 * of a number is a `Float64Array(width)` (`u_dot[lane]`), the tangent of element i of a
 * numeric array is `x_dot[i * width + lane]`, a row of an array of rows likewise; arrays
 * keep their container. (Tapenade's -vector mode adds the direction as the leading,
 * contiguous Fortran index `xd(nd, i)`; Enzyme's batch mode makes each tangent a
 * `[width x double]`; JAX's vmap of jvp carries a batch axis.) Each tangent statement
 * becomes a loop over the lanes doing exactly the one-direction arithmetic, consecutive
 * ones share one loop, and what in them does not depend on the lane (calls, loads, tests,
 * row offsets) is computed before it:
 *
 *   const u = x[i + 1] - x[i] * x[i];                 const u = x[i + 1] - x[i] * x[i];
 *   let u_dot = x_dot[i + 1] - 2 * x[i] * x_dot[i];   const _t1 = (i + 1) * width;
 *   let v_dot = -x_dot[i];                      →     const _t2 = 2 * x[i];
 *                                                     const _t3 = i * width;
 *                                                     for (let lane = 0; lane < width; lane++) {
 *                                                       u_dot[lane] = x_dot[_t1 + lane] - _t2 * x_dot[_t3 + lane];
 *                                                       v_dot[lane] = -x_dot[_t3 + lane];
 *                                                     }
 *
 * Lanes never read each other, so fusing and the lane order are free; since each lane
 * repeats the one-direction arithmetic term for term, lane d equals the one-direction
 * sweep along direction d bit for bit. A saved tangent's lanes go onto the stack lane 0 up
 * from the loop that computes them, and come off as one block: the top moves once
 * (`savedTop -= width; const s_dotLanes = savedTop;`) and each lane reads
 * `saved[s_dotLanes + lane]` in the loop that uses it, so saving and restoring end no lane
 * loop. An `if` whose branch holds tangent work runs inside the lane loop (its test is
 * lane-invariant, computed once where the one-direction code tests it), its primal
 * statements before the loop. A number
 * tangent every lane loop writes before reading is a local of each loop (a register);
 * any other is a buffer allocated once, at the top of the function. For a cell of a
 * stencil the reverse sweep's tangent work is then one loop, as one would write it by hand:
 *
 *   const _t17 = i + 1 < n && j >= 0;
 *   if (_t17) u_bar[(i + 1) * n + j] += d_bar;
 *   …
 *   for (let lane = 0; lane < width; lane++) {
 *     const c_dot = _t20 ? u_dot[_t21 + lane] : 0;
 *     …
 *     const _t3_dot = saved[_t3_dotLanes + lane];
 *     const s_bar_dot = _t2 * _t3_dot + (_t30 * s_dot - _t31 * (_t32 * _t3_dot));
 *     …
 *     if (_t17) u_bar_dot[_t25 + lane] += d_bar_dot;
 *   }
 *
 * Code this does not know how to widen (a whole tangent array read as a value, a tangent
 * in a condition or a call) gives `{ unsupported }`: the caller keeps its one-direction
 * sweep, which is always correct.
 */
import * as b from "../ir/build.ts";
import type { Expr, LValue, StackName, Stmt, ValueType } from "../ir/nodes.ts";
import { definedIn, exprReads, mapExpr, mentionedNames, rootName, someExpr, stmtExprs, walkExpr, walkStmts } from "../ir/visit.ts";
import type { Namer } from "./naming.ts";

export interface LaneInput {
  /** Every variable holding a tangent, by the type of the primal value it is the tangent of (records: their fields). */
  tangents: ReadonlyMap<string, ValueType>;
  namer: Namer;
  /** The variable holding the number of directions (at least 1). */
  width: string;
}

export type LaneResult = { body: Stmt[] } | { unsupported: string };

class Unsupported extends Error {}

/** `body` with `width` directions per tangent, or why it cannot be widened. */
export function widenTangents(body: Stmt[], input: LaneInput): LaneResult {
  try {
    return { body: new Widener(input).run(body) };
  } catch (error) {
    if (error instanceof Unsupported) return { unsupported: error.message };
    throw error;
  }
}

/** The types of the tangent variables a tangent body declares (name → declared type). */
export function declaredTypes(body: Stmt[], names: Iterable<string>): Map<string, ValueType> {
  const wanted = new Set(names);
  const out = new Map<string, ValueType>();
  const visit = (list: Stmt[]) => {
    for (const s of list) {
      if (s.kind === "declare" && wanted.has(s.name)) out.set(s.name, s.type);
      if (s.kind === "if") {
        visit(s.then);
        visit(s.else);
      } else if (s.kind === "loop") {
        visit(s.init);
        visit(s.body);
        visit(s.update);
        visit(s.checkpointed?.primal ?? []);
      } else if (s.kind === "block") visit(s.body);
    }
  };
  visit(body);
  return out;
}

const FLOAT64: ValueType = { kind: "array", element: b.NUMBER, container: "float64array", readonly: false };

class Widener {
  private readonly lane: string;
  /** `const u_dot = new Float64Array(width);` for each number tangent, declared at the top. */
  private readonly buffers = new Map<string, Stmt>();

  constructor(private readonly input: LaneInput) {
    this.lane = input.namer.fresh("lane");
  }

  run(body: Stmt[]): Stmt[] {
    const out = this.localized(this.list(body));
    return [...this.buffers.values(), ...out];
  }

  /**
   * A number tangent that lives in lane loops only, each of which writes it before reading
   * it, becomes a local of each loop's body, `const u_dot = …;`, instead of a buffer: it
   * stays in a register. (No loop can then read what another wrote: a sweep's forward and
   * reverse halves each compute their own `c_dot`.)
   */
  private localized(body: Stmt[]): Stmt[] {
    const loopsOf = new Map<string, Stmt[]>();
    const elsewhere = new Set<string>();
    const note = (names: Set<string>, loop?: Stmt) => {
      for (const n of names) {
        if (!this.buffers.has(n)) continue;
        if (loop) (loopsOf.get(n) ?? loopsOf.set(n, []).get(n)!).push(loop);
        else elsewhere.add(n);
      }
    };
    const visit = (list: Stmt[]) => {
      for (const s of list) {
        if (this.laneLoops.has(s)) {
          note(mentionedNames(s), s);
          continue;
        }
        note(new Set(stmtExprs(s).flatMap((e) => [...exprReads(e)])));
        if (s.kind === "append" || s.kind === "shrink") note(new Set([s.array]));
        if (s.kind === "if") {
          visit(s.then);
          visit(s.else);
        } else if (s.kind === "loop") {
          visit(s.init);
          visit(s.update);
          visit(s.body);
          // A checkpointed loop's primal step is a second copy of the step: its tangents stay buffers.
          for (const x of s.checkpointed?.primal ?? []) note(mentionedNames(x));
        } else if (s.kind === "block") visit(s.body);
      }
    };
    visit(body);
    const locals = new Map<Stmt, string[]>();
    for (const [name, loops] of loopsOf) {
      if (elsewhere.has(name) || !loops.every((loop) => loop.kind === "loop" && this.writtenFirst(loop.body, name))) continue;
      for (const loop of loops) locals.set(loop, [...(locals.get(loop) ?? []), name]);
      this.buffers.delete(name);
    }
    if (locals.size === 0) return body;
    const rewrite = (list: Stmt[]): Stmt[] =>
      list.map((s) => {
        const names = locals.get(s);
        if (names && s.kind === "loop") return { ...s, body: this.withLocals(s.body, names) };
        if (s.kind === "if") return { ...s, then: rewrite(s.then), else: rewrite(s.else) };
        if (s.kind === "loop") return { ...s, init: rewrite(s.init), update: rewrite(s.update), body: rewrite(s.body) };
        if (s.kind === "block") return { ...s, body: rewrite(s.body) };
        return s;
      });
    return rewrite(body);
  }

  /** Whether the first statement of a lane loop's body that mentions `name` sets its lane from other values. */
  private writtenFirst(body: Stmt[], name: string): boolean {
    const first = body.find((x) => mentionedNames(x).has(name));
    return first?.kind === "assign" && b.sameExpr(first.target as Expr, this.laneOf(b.v(name))) && !exprReads(first.value).has(name);
  }

  /**
   * A lane loop's body with `names` as locals: `u_dot[lane]` read as `u_dot`, the first write
   * (a statement of the body itself, by writtenFirst) its declaration.
   */
  private withLocals(body: Stmt[], names: string[]): Stmt[] {
    const local = new Set(names);
    const lane = (e: Expr) => e.kind === "index" && e.object.kind === "var" && local.has(e.object.name) && e.index.kind === "var" && e.index.name === this.lane;
    const plain = (e: Expr) => mapExpr(e, (x) => (lane(x) ? (x as Extract<Expr, { kind: "index" }>).object : undefined));
    const writes = new Map<string, number>();
    walkStmts(body, (x) => {
      if (x.kind === "assign" && lane(x.target as Expr)) writes.set(rootName(x.target)!, (writes.get(rootName(x.target)!) ?? 0) + 1);
    });
    const declared = new Set<string>();
    const rewrite = (list: Stmt[], top: boolean): Stmt[] =>
      list.map((s) => {
        switch (s.kind) {
          case "assign": {
            const value = plain(s.value);
            if (!lane(s.target as Expr)) return { ...s, target: plain(s.target as Expr) as LValue, value };
            const name = rootName(s.target)!;
            if (!top || declared.has(name)) return b.assign(b.v(name) as LValue, value);
            declared.add(name);
            return b.declare(name, value, writes.get(name)! > 1);
          }
          case "push": return { ...s, value: plain(s.value) };
          case "if": return { ...s, test: plain(s.test), then: rewrite(s.then, false), else: rewrite(s.else, false) };
          default: return s;
        }
      });
    return rewrite(body, true);
  }

  private get width(): Expr {
    return b.v(this.input.width);
  }

  private isTangent(name: string): boolean {
    return this.input.tangents.has(name);
  }

  private readsTangent(e: Expr): boolean {
    return someExpr(e, (x) => x.kind === "var" && this.isTangent(x.name));
  }

  /** The primal type at a variable/element/field chain rooted at a tangent; undefined when the chain is not a tangent's. */
  private typeAt(e: Expr): ValueType | undefined {
    switch (e.kind) {
      case "var":
        return this.input.tangents.get(e.name);
      case "index": {
        const t = this.typeAt(e.object);
        if (t === undefined) return undefined;
        if (t.kind !== "array") throw new Unsupported(`an element of a tangent that is not an array`);
        return t.element;
      }
      case "field": {
        const t = this.typeAt(e.object);
        if (t === undefined) return undefined;
        const f = t.kind === "record" ? t.fields.find((x) => x.name === e.name) : undefined;
        if (!f) throw new Unsupported(`a field '${e.name}' of a tangent that has none`);
        return f.type;
      }
      default:
        return undefined;
    }
  }

  /** Lane `lane` of a number tangent `e` (a chain whose type is number). */
  private laneOf(e: Expr): Expr {
    const lane = b.v(this.lane);
    if (e.kind === "index") return b.index(e.object, b.isNumber(e.index, 0) ? lane : b.add(b.mul(e.index, this.width), lane));
    return b.index(e, lane);
  }

  /** `e` read in lane `lane`: every number tangent it reads becomes that lane of it. */
  private laned(e: Expr): Expr {
    return mapExpr(e, (x) => {
      if (x.kind === "var" || x.kind === "index" || x.kind === "field") {
        const t = this.typeAt(x);
        if (t === undefined) return undefined;
        if (t.kind === "number") return this.laneOf(x);
        throw new Unsupported(`a whole tangent ${t.kind} read as a value`);
      }
      if (x.kind === "length" && this.typeAt(x.object) !== undefined) throw new Unsupported(`the length of a tangent`);
      if (x.kind === "pop") throw new Unsupported(`a pop inside an expression`);
      return undefined;
    });
  }

  /** A whole tangent array or record taken by reference (`const x_dot = v.x;`, `row_dot = A_dot[i]`). */
  private isAlias(e: Expr): boolean {
    if (e.kind !== "var" && e.kind !== "index" && e.kind !== "field") return false;
    const t = this.typeAt(e);
    return t !== undefined && t.kind !== "number";
  }

  private buffer(name: string): void {
    if (!this.buffers.has(name)) this.buffers.set(name, b.declare(name, { kind: "zeros", container: "float64array", length: this.width }, false, FLOAT64));
  }

  /** Widened statements (arrange). */
  private list(stmts: Stmt[]): Stmt[] {
    return this.arrange(stmts.flatMap((s) => this.stmt(s)));
  }

  /**
   * Lane statements go into one loop over the lanes, as late as the statements between them
   * allow: a primal statement that changes nothing they read (they write only tangents,
   * which no primal statement reads) and keeps the stacks' order runs before them, so
   * `u_dot` waits for `v_dot` after `const v = …`, and a saved value's push or pop does not
   * end the loop.
   */
  private arrange(items: Item[]): Stmt[] {
    const out: Stmt[] = [];
    let pending = new Pending();
    const flush = () => {
      if (pending.stmts.length > 0) out.push(...this.laneLoop(pending.stmts));
      pending = new Pending();
    };
    for (const item of items) {
      if (item.lane) {
        if (!pending.admits(item.stmt)) flush();
        pending.add(item.stmt);
        continue;
      }
      if (!this.movable(item.stmt) || !pending.allowsBefore(item.stmt)) flush();
      out.push(item.stmt);
    }
    flush();
    return out;
  }

  /**
   * A branch as primal statements to run first and lane statements to run after them, or
   * null when its statements cannot be so reordered (arrange's rules), it leaves the loop,
   * or its lane statements read a name declared in it (which the lane loop, outside the
   * branch's block, would not see).
   */
  private split(items: Item[]): { primal: Stmt[]; lanes: Stmt[] } | null {
    const pending = new Pending();
    const primal: Stmt[] = [];
    const declared = new Set<string>();
    for (const item of items) {
      if (item.lane) {
        if (!pending.admits(item.stmt) || [...mentionedNames(item.stmt)].some((n) => declared.has(n))) return null;
        pending.add(item.stmt);
      } else if (this.movable(item.stmt) && pending.allowsBefore(item.stmt)) {
        primal.push(item.stmt);
        if (item.stmt.kind === "declare") declared.add(item.stmt.name);
      } else return null;
    }
    return { primal, lanes: pending.stmts };
  }

  /** A primal statement that may run before pending lane statements: straight-line code, saved values, branches of both. */
  private movable(s: Stmt): boolean {
    const straight = (x: Stmt): boolean =>
      x.kind === "declare" || x.kind === "assign" || x.kind === "comment" || x.kind === "push" || x.kind === "drop" || (x.kind === "if" && x.then.every(straight) && x.else.every(straight));
    return straight(s) && ![...mentionedNames(s)].some((n) => this.isTangent(n));
  }

  /** One statement as statements outside the lane loops, and lane statements (to run once per lane). */
  private stmt(s: Stmt): Item[] {
    const plain = (stmt: Stmt) => ({ stmt });
    const lane = (stmt: Stmt) => ({ stmt, lane: true as const });
    const unchanged = (...exprs: Expr[]) => {
      if (exprs.some((e) => this.readsTangent(e))) throw new Unsupported(`a tangent read by a ${s.kind} statement`);
      return [plain(s)];
    };
    switch (s.kind) {
      case "declare": {
        if (!this.isTangent(s.name)) return unchanged(s.init);
        if (s.type.kind === "number") {
          this.buffer(s.name);
          const target = this.laneOf(b.v(s.name));
          if (s.init.kind === "pop") return this.popLanes(target, s.init);
          return [lane(b.assign(target as LValue, this.laned(s.init)))];
        }
        if (s.type.kind === "array") return this.arrayDeclaration(s);
        if (this.isAlias(s.init)) return [plain(s)];
        throw new Unsupported(`a tangent record built from a ${s.init.kind}`);
      }
      case "assign": {
        const root = rootName(s.target);
        if (!root || !this.isTangent(root)) return unchanged(s.value, s.target as Expr);
        const t = this.typeAt(s.target as Expr)!;
        if (t.kind !== "number") {
          if (this.isAlias(s.value)) return [plain(s)];
          throw new Unsupported(`a whole tangent ${t.kind} assigned a ${s.value.kind}`);
        }
        const target = this.laneOf(s.target as Expr) as LValue;
        if (s.value.kind === "pop") return this.popLanes(target as Expr, s.value);
        return [lane(b.assign(target, this.laned(s.value)))];
      }
      case "append":
        if (!this.isTangent(s.array)) return unchanged(s.value);
        return [plain(this.lanes([{ ...s, value: this.laned(s.value) }]))];
      case "shrink":
        return this.isTangent(s.array) ? [plain(this.lanes([s]))] : [plain(s)];
      case "push":
        // A tangent's lanes go onto the stack lane 0 up, from the lane loop that computes them.
        if (!this.readsTangent(s.value)) return [plain(s)];
        return [lane({ ...s, value: this.laned(s.value) })];
      case "fillZero": {
        const t = this.typeAt(s.array);
        if (t === undefined || (t.kind === "array" && t.element.kind === "number")) return [plain(s)];
        throw new Unsupported(`a fill of a tangent that is not a numeric array`);
      }
      case "return": {
        if (!s.value || !this.readsTangent(s.value)) return [plain(s)];
        // `return { value, tangent: t_dot }`: a whole tangent array goes back by reference.
        if (s.value.kind === "record" && s.value.fields.every((f) => !this.readsTangent(f.value) || this.isAlias(f.value))) return [plain(s)];
        throw new Unsupported(`a tangent returned as a ${s.value.kind}`);
      }
      case "if": {
        if (this.readsTangent(s.test)) throw new Unsupported(`a tangent in a condition`);
        const [thenItems, elseItems] = [s.then.flatMap((x) => this.stmt(x)), s.else.flatMap((x) => this.stmt(x))];
        const [then, otherwise] = [this.split(thenItems), this.split(elseItems)];
        if (!then || !otherwise || then.lanes.length + otherwise.lanes.length === 0) {
          return [plain({ ...s, then: this.arrange(thenItems), else: this.arrange(elseItems) })];
        }
        // The test does not depend on the lane: the lane loop runs through the branch, taken
        // by every lane or none. It is computed once, where the one-direction code tests it.
        const taken = this.input.namer.temp();
        const branch = (test: Expr, yes: Stmt[], no: Stmt[]): Extract<Stmt, { kind: "if" }> => (yes.length === 0 ? { kind: "if", test: b.not(test), then: no, else: [] } : { kind: "if", test, then: yes, else: no });
        const out = [plain(b.declare(taken, s.test, false, b.BOOLEAN))];
        if (then.primal.length + otherwise.primal.length > 0) out.push(plain({ ...branch(b.v(taken), then.primal, otherwise.primal), span: s.span }));
        out.push(lane(branch(b.v(taken), then.lanes, otherwise.lanes)));
        return out;
      }
      case "loop": {
        if (s.test && this.readsTangent(s.test)) throw new Unsupported(`a tangent in a loop test`);
        // A checkpointed loop's primal step (transform/checkpoint.ts advances with it) carries tangents too.
        const primal = s.checkpointed?.primal;
        const checkpointed = primal ? { checkpointed: { ...s.checkpointed!, primal: this.list(primal) } } : {};
        return [plain({ ...s, init: this.list(s.init), update: this.list(s.update), body: this.list(s.body), ...checkpointed })];
      }
      case "block":
        return [plain({ ...s, body: this.list(s.body) })];
      case "call":
        return unchanged(...s.args);
      case "check":
        return unchanged(s.failsWhen);
      case "rewind": case "stackSizeSet":
        return unchanged(s.size);
      case "break": case "continue": case "comment": case "drop":
        return [plain(s)];
    }
  }

  /** A tangent array's declaration: fresh arrays get `width` times the room, aliases stay aliases. */
  private arrayDeclaration(s: Extract<Stmt, { kind: "declare" }>): Item[] {
    const init = s.init;
    const type = s.type as Extract<ValueType, { kind: "array" }>;
    switch (init.kind) {
      case "zeros":
        return [{ stmt: { ...s, init: { ...init, length: b.mul(init.length, this.width) } } }];
      case "zerosLike":
        if (init.type.kind !== "array" || init.type.element.kind !== "number") throw new Unsupported(`zeros shaped like an array of rows`);
        return [{ stmt: { ...s, init: { kind: "zeros", container: init.type.container, length: b.mul({ kind: "length", object: init.like }, this.width) } } }];
      case "arrayLiteral": {
        if (type.element.kind !== "number") throw new Unsupported(`a tangent array literal of rows`);
        const fresh: Stmt = { ...s, init: { kind: "zeros", container: type.container, length: b.mul(b.num(init.elements.length), this.width) } };
        const elements = init.elements.map((x, j) => ({ stmt: b.assign(this.laneOf(b.index(b.v(s.name), b.num(j))) as LValue, this.laned(x)), lane: true as const }));
        return [{ stmt: fresh }, ...elements];
      }
      default:
        if (this.isAlias(init)) return [{ stmt: s }];
        throw new Unsupported(`a tangent array initialized by a ${init.kind}`);
    }
  }

  /** `for (let lane = 0; lane < width; lane++) { … }`, with what does not depend on the lane computed before it. */
  private laneLoop(body: Stmt[]): Stmt[] {
    const before: Stmt[] = [];
    const loop = this.lanes(this.hoistAll(body, before, true));
    this.laneLoops.add(loop);
    return [...before, loop];
  }

  /** Lane statements with their lane-invariant work hoisted; `always`: not inside a branch. */
  private hoistAll(list: Stmt[], before: Stmt[], always: boolean): Stmt[] {
    return list.map((s) => {
      switch (s.kind) {
        case "assign": return { ...s, target: this.hoistTarget(s.target, before, always), value: this.hoist(s.value, before, always) };
        case "push": return { ...s, value: this.hoist(s.value, before, always) };
        case "if": return { ...s, test: this.hoist(s.test, before, always), then: this.hoistAll(s.then, before, false), else: this.hoistAll(s.else, before, false) };
        default: return s;
      }
    });
  }

  private lanes(body: Stmt[]): Stmt {
    return b.countUp(this.lane, b.num(0), this.width, body);
  }

  /** The loops `laneLoop` made (only assignments inside): where a tangent may become a local. */
  private readonly laneLoops = new WeakSet<Stmt>();

  /**
   * A tangent's lanes popped as one block (they were pushed lane 0 up): the top moves once,
   * `const s_dotLanes = popBlock(width)`, and each lane reads its value from the stack's
   * buffer, `s_dot[lane] = buffer[s_dotLanes + lane]`, in the lane loop that uses it.
   */
  private popLanes(target: Expr, pop: Extract<Expr, { kind: "pop" }>): Item[] {
    const at = this.input.namer.fresh(`${rootName(target)}Lanes`);
    const read = b.index({ kind: "stackBuffer", stack: pop.stack }, b.add(b.v(at), b.v(this.lane)));
    return [{ stmt: b.declare(at, { kind: "popBlock", stack: pop.stack, count: this.width }) }, { stmt: b.assign(target as LValue, read), lane: true }];
  }

  /**
   * Lane-invariant work moves before the loop, computed once instead of once per lane:
   * `const _t3 = Math.cos(x[i]);`, a condition's test, the row offset `(i * n + j) * width`
   * of a tangent element. From where the one-direction code always evaluates it, any
   * subtree; from a branch of `?:`, the right of `&&`/`||` or a branch of an `if` in the loop,
   * only plain arithmetic (+, −, ×, / and negation of variables and numbers: it cannot
   * throw, and costs an operation or two when the branch is not taken). The same subtree is computed, so the value is the same to the bit; a subtree
   * met twice before one loop (`x_dot[_t4 + lane] += …` reads its target) is computed once.
   */
  private hoist(e: Expr, before: Stmt[], always = true): Expr {
    const lane = this.lane;
    const invariant = (x: Expr) => !exprReads(x).has(lane);
    const plain = (x: Expr) =>
      !someExpr(x, (y) => !(y.kind === "var" || y.kind === "number" || (y.kind === "unary" && y.op === "-") || (y.kind === "binary" && (y.op === "+" || y.op === "-" || y.op === "*" || y.op === "/"))));
    const visit = (x: Expr, always: boolean): Expr =>
      mapExpr(x, (y) => {
        // (The stack's buffer is a local of the stack cursor's loop, transform/cursors.ts.)
        if (y.kind === "var" || y.kind === "number" || y.kind === "string" || y.kind === "boolean" || y.kind === "stackBuffer") return y;
        if (invariant(y) && (always || plain(y))) {
          const same = before.find((s) => s.kind === "declare" && b.sameExpr(s.init, y));
          if (same?.kind === "declare") return b.v(same.name);
          const name = this.input.namer.temp();
          before.push(b.declare(name, y));
          return b.v(name);
        }
        if (y.kind === "conditional") return { ...y, test: visit(y.test, always), whenTrue: visit(y.whenTrue, false), whenFalse: visit(y.whenFalse, false) };
        if (y.kind === "binary" && (y.op === "&&" || y.op === "||")) return { ...y, left: visit(y.left, always), right: visit(y.right, false) };
        return undefined;
      });
    return visit(e, always);
  }

  /** An assignment's target with its lane-invariant index arithmetic hoisted (`x_dot[_t4 + lane]`). */
  private hoistTarget(target: LValue, before: Stmt[], always: boolean): LValue {
    if (target.kind !== "index") return target;
    return { ...target, index: this.hoist(target.index, before, always) } as LValue;
  }
}

/** A widened statement: outside the lane loops, or a lane statement (run once per lane). */
type Item = { stmt: Stmt; lane?: true };

/** The stacks statements push onto, and those they use at all (push, pop, mark, or read a popped block from). */
function stackUse(s: Stmt): { pushes: Set<StackName>; touches: Set<StackName>; readsBuffer: Set<StackName> } {
  const out = { pushes: new Set<StackName>(), touches: new Set<StackName>(), readsBuffer: new Set<StackName>() };
  walkStmts([s], (x) => {
    if (x.kind === "push") out.pushes.add(x.stack);
    if (x.kind === "push" || x.kind === "drop" || x.kind === "rewind" || x.kind === "stackSizeSet") out.touches.add(x.stack);
    for (const e of stmtExprs(x)) {
      walkExpr(e, (y) => {
        if (y.kind === "pop" || y.kind === "popBlock" || y.kind === "stackSize" || y.kind === "stackBuffer" || y.kind === "stackReserve") out.touches.add(y.stack);
        if (y.kind === "stackBuffer") out.readsBuffer.add(y.stack);
      });
    }
  });
  return out;
}

/**
 * Lane statements waiting for their loop, with what moving statements past them or adding
 * to them must respect: the names they read, and their stack traffic. A tangent's lanes are
 * pushed by one loop lane 0 up, so a loop pushes at most one tangent per stack (two would
 * interleave their lanes), nothing else may touch a stack while a pushed tangent waits, and
 * a popped block is read before anything is pushed over it.
 */
class Pending {
  readonly stmts: Stmt[] = [];
  private readonly reads = new Set<string>();
  private readonly pushes = new Set<StackName>();
  private readonly readsBuffer = new Set<StackName>();

  add(s: Stmt): void {
    this.stmts.push(s);
    mentionedNames(s, this.reads);
    const use = stackUse(s);
    for (const x of use.pushes) this.pushes.add(x);
    for (const x of use.readsBuffer) this.readsBuffer.add(x);
  }

  /** Whether lane statement `s` may join the loop. */
  admits(s: Stmt): boolean {
    const use = stackUse(s);
    return ![...use.touches].some((x) => this.pushes.has(x)) && ![...use.pushes].some((x) => this.readsBuffer.has(x));
  }

  /** Whether primal statement `s` may run before the pending lane statements. */
  allowsBefore(s: Stmt): boolean {
    if ([...definedIn([s])].some((n) => this.reads.has(n))) return false;
    return this.admits(s);
  }
}
