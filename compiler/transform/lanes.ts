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
 * sweep along direction d bit for bit. Stack traffic keeps its order: the pushes of a
 * tangent run lane 0 up, its pops lane width-1 down, each in a loop of its own. A number
 * tangent's buffer is allocated once, at the top of the function.
 *
 * Code this does not know how to widen (a whole tangent array read as a value, a tangent
 * in a condition or a call) gives `{ unsupported }`: the caller keeps its one-direction
 * sweep, which is always correct.
 */
import * as b from "../ir/build.ts";
import type { Expr, LValue, Stmt, ValueType } from "../ir/nodes.ts";
import { exprReads, mapExpr, mentionedNames, rootName, someExpr, stmtExprs, writtenBy } from "../ir/visit.ts";
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
   * A number tangent that lives in one lane loop (written there before it is read, and
   * mentioned nowhere else) becomes a local of the loop's body, `const u_dot = …;`, instead
   * of a buffer: it stays in a register.
   */
  private localized(body: Stmt[]): Stmt[] {
    const homes = new Map<string, Set<Stmt | "elsewhere">>();
    const note = (names: Set<string>, home: Stmt | "elsewhere") => {
      for (const n of names) if (this.buffers.has(n)) (homes.get(n) ?? homes.set(n, new Set()).get(n)!).add(home);
    };
    const visit = (list: Stmt[]) => {
      for (const s of list) {
        if (this.laneLoops.has(s)) {
          note(mentionedNames(s), s);
          continue;
        }
        note(new Set(stmtExprs(s).flatMap((e) => [...exprReads(e)])), "elsewhere");
        if (s.kind === "append" || s.kind === "shrink") note(new Set([s.array]), "elsewhere");
        if (s.kind === "if") {
          visit(s.then);
          visit(s.else);
        } else if (s.kind === "loop") {
          visit(s.init);
          visit(s.update);
          visit(s.body);
          // A checkpointed loop's primal step is a second copy of the step: its tangents stay buffers.
          for (const x of s.checkpointed?.primal ?? []) note(mentionedNames(x), "elsewhere");
        } else if (s.kind === "block") visit(s.body);
      }
    };
    visit(body);
    const locals = new Map<Stmt, string[]>();
    for (const [name, places] of homes) {
      const [home] = places;
      if (places.size !== 1 || home === "elsewhere") continue;
      const loop = home as Extract<Stmt, { kind: "loop" }>;
      const first = loop.body.find((x) => mentionedNames(x).has(name));
      const written = first?.kind === "assign" && first.target.kind === "index" && b.sameExpr(first.target as Expr, this.laneOf(b.v(name)));
      if (!written || exprReads(first.value).has(name)) continue;
      locals.set(loop, [...(locals.get(loop) ?? []), name]);
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

  /** A lane loop's body with `names` as locals: `u_dot[lane]` read as `u_dot`, the first write a declaration. */
  private withLocals(body: Stmt[], names: string[]): Stmt[] {
    const local = new Set(names);
    const lane = (e: Expr) => e.kind === "index" && e.object.kind === "var" && local.has(e.object.name) && e.index.kind === "var" && e.index.name === this.lane;
    const plain = (e: Expr) => mapExpr(e, (x) => (lane(x) ? (x as Extract<Expr, { kind: "index" }>).object : undefined));
    const declared = new Set<string>();
    return body.map((s) => {
      if (s.kind !== "assign") return s;
      const value = plain(s.value);
      if (!lane(s.target as Expr)) return { ...s, target: plain(s.target as Expr) as LValue, value };
      const name = ((s.target as Extract<Expr, { kind: "index" }>).object as Extract<Expr, { kind: "var" }>).name;
      if (declared.has(name)) return b.assign(b.v(name) as LValue, value);
      declared.add(name);
      const reassigned = body.filter((x) => x.kind === "assign" && lane(x.target as Expr) && rootName(x.target) === name).length > 1;
      return b.declare(name, value, reassigned);
    });
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

  /**
   * Widened statements; lane statements go into one loop over the lanes, as late as the
   * primal statements between them allow: a lane statement moves past a primal assignment
   * or declaration that changes nothing it reads (it writes only tangents, which no primal
   * statement reads), so `u_dot` waits for `v_dot` after `const v = …`.
   */
  private list(stmts: Stmt[]): Stmt[] {
    const out: Stmt[] = [];
    let pending: Stmt[] = [];
    const reads = new Set<string>();
    const flush = () => {
      if (pending.length > 0) out.push(...this.laneLoop(pending));
      pending = [];
      reads.clear();
    };
    for (const s of stmts) {
      for (const item of this.stmt(s)) {
        if (item.lane) {
          pending.push(item.stmt);
          mentionedNames(item.stmt, reads);
          continue;
        }
        const primalOnly = (item.stmt.kind === "declare" || item.stmt.kind === "assign" || item.stmt.kind === "comment") && ![...mentionedNames(item.stmt)].some((n) => this.isTangent(n));
        const changes = item.stmt.kind === "declare" ? [item.stmt.name] : [...writtenBy(item.stmt)];
        if (!primalOnly || changes.some((n) => reads.has(n))) flush();
        out.push(item.stmt);
      }
    }
    flush();
    return out;
  }

  /** One statement as statements outside the lane loops, and lane statements (to run once per lane). */
  private stmt(s: Stmt): { stmt: Stmt; lane?: true }[] {
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
          if (s.init.kind === "pop") return [plain(this.popLanes(target, s.init))];
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
        if (s.value.kind === "pop") return [plain(this.popLanes(target as Expr, s.value))];
        return [lane(b.assign(target, this.laned(s.value)))];
      }
      case "append":
        if (!this.isTangent(s.array)) return unchanged(s.value);
        return [plain(this.lanes([{ ...s, value: this.laned(s.value) }]))];
      case "shrink":
        return this.isTangent(s.array) ? [plain(this.lanes([s]))] : [plain(s)];
      case "push":
        if (!this.readsTangent(s.value)) return [plain(s)];
        return [plain(this.lanes([{ ...s, value: this.laned(s.value) }]))];
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
      case "if":
        if (this.readsTangent(s.test)) throw new Unsupported(`a tangent in a condition`);
        return [plain({ ...s, then: this.list(s.then), else: this.list(s.else) })];
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
  private arrayDeclaration(s: Extract<Stmt, { kind: "declare" }>): { stmt: Stmt; lane?: true }[] {
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
    const hoisted = body.map((s) => (s.kind === "assign" ? { ...s, target: this.hoistTarget(s.target, before), value: this.hoist(s.value, before) } : s));
    const loop = this.lanes(hoisted);
    this.laneLoops.add(loop);
    return [...before, loop];
  }

  private lanes(body: Stmt[]): Stmt {
    return b.countUp(this.lane, b.num(0), this.width, body);
  }

  /** The loops `laneLoop` made (only assignments inside): where a tangent may become a local. */
  private readonly laneLoops = new WeakSet<Stmt>();

  /** `for (let lane = width - 1; lane >= 0; lane--) target = pop();`: the pushes' lanes, popped in reverse. */
  private popLanes(target: Expr, pop: Expr): Stmt {
    const lane = b.v(this.lane);
    return {
      kind: "loop",
      form: "for",
      init: [b.declare(this.lane, b.sub(this.width, b.num(1)), true)],
      test: b.bin(">=", lane, b.num(0)),
      update: [b.assign(lane as LValue, b.sub(lane, b.num(1)))],
      body: [b.assign(target as LValue, pop)],
    };
  }

  /**
   * Lane-invariant work moves before the loop, computed once instead of once per lane:
   * `const _t3 = Math.cos(x[i]);`, a condition's test, the row offset `(i * n + j) * width`
   * of a tangent element. From where the one-direction code always evaluates it, any
   * subtree; from a branch of `?:` or the right of `&&`/`||`, only plain arithmetic (+, −, ×
   * of variables and numbers: it cannot throw, and costs a multiply when the branch is not
   * taken). The same subtree is computed, so the value is the same to the bit; a subtree
   * met twice before one loop (`x_dot[_t4 + lane] += …` reads its target) is computed once.
   */
  private hoist(e: Expr, before: Stmt[]): Expr {
    const lane = this.lane;
    const invariant = (x: Expr) => !exprReads(x).has(lane);
    const plain = (x: Expr) => !someExpr(x, (y) => !(y.kind === "var" || y.kind === "number" || (y.kind === "binary" && (y.op === "+" || y.op === "-" || y.op === "*"))));
    const visit = (x: Expr, always: boolean): Expr =>
      mapExpr(x, (y) => {
        if (y.kind === "var" || y.kind === "number" || y.kind === "string" || y.kind === "boolean") return y;
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
    return visit(e, true);
  }

  /** An assignment's target with its lane-invariant index arithmetic hoisted (`x_dot[_t4 + lane]`). */
  private hoistTarget(target: LValue, before: Stmt[]): LValue {
    if (target.kind !== "index") return target;
    return { ...target, index: this.hoist(target.index, before) } as LValue;
  }
}
