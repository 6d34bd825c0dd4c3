/**
 * Checkpointed loops (issue 21): the pair of loops reverse mode marked (`checkpointed`, see
 * ir/nodes.ts) becomes two phases driven by a schedule (runtime/checkpoint.ts):
 *
 *   forward sweep   the schedule's forward phase: advance steps as the primal runs them,
 *                   save the loop's state where the schedule says, record the last steps as
 *                   the store-all forward sweep does (for a trip count known only at the
 *                   end: the loop as written, saving its state where the schedule says)
 *   reverse sweep   the reverse phase: restore a saved state, advance, save, record a
 *                   step and run its reverse, until every step is reversed, last first
 *
 * The recorded steps and their reverses are the store-all code itself, and a restored state
 * is the saved bits, so every step runs the same operations on the same values as without
 * checkpointing: the derivatives are bit-identical. The schedule is asked what to do next
 * (`next()`), one call per action; the bodies appear in the generated code as loops over
 * the steps the action names, so no closure is created and no local moves into a context.
 *
 * Takes: a generated function whose body holds marked loops (after every transform that
 * differentiates it, HVP's forward mode included, so tangents are state too). Gives: the
 * function with the phases, the module-level schedules it uses, and the runtime helpers.
 * Runs before row hoisting and stack cursors, which then see ordinary loops.
 */
import { Codes, fail, type SourceSpan } from "../diagnostics.ts";
import * as b from "../ir/build.ts";
import type { CheckpointMark, Expr, FunctionIR, LValue, StackName, Stmt, ValueType } from "../ir/nodes.ts";
import { containsLoop, definedIn, mentionedNames, someStmt, walkStmts } from "../ir/visit.ts";
import { bytesPushed, loopState, type StateItem } from "../analysis/loopState.ts";
import { Namer } from "./naming.ts";

type Loop = Extract<Stmt, { kind: "loop" }>;

/** The budget of a loop tagged without options (README, "checkpointing"). */
export const DEFAULT_BUDGET = 64 * 1024 * 1024;

export interface Checkpointed {
  fn: FunctionIR;
  /** Module-level schedules the function uses, with their doc comments. */
  schedules: { name: string; doc: string }[];
  /** runtime/ helpers the function now calls. */
  runtime: string[];
  /** Stacks the function now uses (a loop's entry states, saved inside a loop that is not checkpointed). */
  stacks: StackName[];
}

/** Expands every marked loop pair of `fn`; `reserved` are module names the schedules must not take. */
export function checkpointLoops(fn: FunctionIR, reserved: readonly string[], sourceName: string): Checkpointed {
  // Only loops are marked: a function without one is kept (one look at each statement's kind).
  if (!containsLoop(fn.body)) return { fn, schedules: [], runtime: [], stacks: [] };
  const marks: Loop[] = [];
  walkStmts(fn.body, (s) => {
    if (s.kind === "loop" && s.checkpointed?.role === "forward") marks.push(s);
  });
  if (marks.length === 0) return { fn, schedules: [], runtime: [], stacks: [] };
  // The automatic policy leaves alone a loop it finds it cannot expand, and a loop whose
  // recomputed steps read a value the reverse sweep cannot see saves it too: then it starts over.
  const leftAlone = new Set<number>();
  const widened = new Map<number, Set<string>>();
  for (;;) {
    try {
      return expand(fn, marks, leftAlone, widened, reserved, sourceName);
    } catch (error) {
      if (error instanceof LeaveAlone) leftAlone.add(error.id);
      else if (error instanceof Widen) widened.set(error.id, new Set([...(widened.get(error.id) ?? []), error.name]));
      else throw error;
    }
  }
}

/** Thrown for a loop whose recomputed steps read `name`, which the reverse sweep does not declare: it joins the loop's state. */
class Widen extends Error {
  constructor(
    readonly id: number,
    readonly name: string,
  ) {
    super(`checkpointed loop ${id} saves '${name}' too`);
  }
}

/** Thrown for an automatically checkpointed loop that cannot be: it stays a store-all loop. */
class LeaveAlone extends Error {
  constructor(readonly id: number) {
    super(`checkpointed loop ${id} left alone`);
  }
}

function expand(fn: FunctionIR, marks: Loop[], leftAlone: Set<number>, widened: Map<number, Set<string>>, reserved: readonly string[], sourceName: string): Checkpointed {
  const namer = Namer.forFunction(fn, reserved);
  const types = typesOf(fn, marks);
  const nearest = nearestLoops(fn.body, marks);
  // Every loop's state is read off the code before any loop is expanded (an inner loop's
  // schedule calls say nothing about what its steps read).
  const plans = new Map<number, Plan>();
  const schedules: Checkpointed["schedules"] = [];
  for (const loop of marks) {
    const mark = loop.checkpointed!;
    if (leftAlone.has(mark.id)) continue;
    const holdsCheckpointed = someStmt(loop.body, (x) => x.kind === "loop" && x.checkpointed?.role === "forward");
    const bytesPerStep = bytesPushed(loop.body);
    // A loop that saves nothing needs nothing back (there is nothing to gain); the automatic
    // policy leaves alone a loop whose saved bytes per step are not known before it runs.
    // (A counted loop only: the store-all reverse of the others needs their trip count.)
    if (mark.counted && ((bytesPerStep && b.isNumber(bytesPerStep, 0)) || (mark.request.automatic && bytesPerStep === null))) {
      leftAlone.add(mark.id);
      continue;
    }
    // A schedule holds one run of its loop: the run's forward phase must be followed by its
    // reverse phase before the loop runs again. Inside a checkpointed loop each step is
    // recorded and reversed at once; inside any other loop (marks come outermost first) the
    // forward sweep saves the loop's entry state and runs it as the primal does, and the
    // reverse sweep restores that state and runs both phases there (`replay`).
    const around = nearest.get(loop) ?? null;
    const replay = around !== null && !(around.checkpointed?.role === "forward" && plans.has(around.checkpointed.id));
    // Run again, a loop whose trip count is known at its end evaluates its test again.
    const test: Stmt[] = replay && !mark.counted && loop.test ? [{ kind: "if", test: loop.test, then: [], else: [] }] : [];
    const elsewhere = new Set([...writtenAfter(fn.body, loop), ...(widened.get(mark.id) ?? [])]);
    const state = loopState([[...test, ...loop.body], [...test, ...(mark.primal ?? [])]], types, mark.counted?.counter, elsewhere);
    if (state.problems.length > 0 && mark.request.automatic) {
      // The automatic policy leaves a loop it cannot checkpoint as it is; a tag asked for it.
      leftAlone.add(mark.id);
      continue;
    }
    if (state.problems.length > 0) {
      fail(Codes.BadCheckpoint, `this loop cannot be checkpointed: ${state.problems.map((p) => p.reason).join("; ")}`, loop.span ?? fn.span);
    }
    const schedule = namer.fresh(`${fn.name}Schedule`);
    const line = mark.line !== undefined ? `${sourceName}:${mark.line}` : sourceName;
    schedules.push({ name: schedule, doc: `The checkpointed loop at ${line} in \`${fn.name}\`.` });
    // A checkpointed loop inside runs its whole schedule within one step's Record, and its
    // reverse phase within that step's Reverse: the outer schedule must record single steps.
    plans.set(mark.id, { schedule, items: state.items, bytesPerStep: holdsCheckpointed ? null : bytesPerStep, mark, span: loop.span ?? fn.span, replay });
  }
  const expander = new Expander(plans, leftAlone, widened, namer, fn.span);
  const body = expander.stmts(fn.body);
  const replayed = [...plans.values()].some((plan) => plan.replay);
  return { fn: { ...fn, body }, schedules, runtime: plans.size > 0 ? ["CheckpointSchedule", "CheckpointAction"] : [], stacks: replayed ? ["values"] : [] };
}

/**
 * Names the code that runs after `loop` writes (declares, assigns, writes elements of): the
 * statements after it, and after each statement around it; a loop around it runs its whole
 * body again. What runs before the loop cannot change a value between a step's first run
 * and its recomputation.
 */
function writtenAfter(body: Stmt[], loop: Loop): Set<string> {
  const out = new Set<string>();
  /** Whether `list` holds the loop; if so, what follows it in `list` is added. */
  const visit = (list: Stmt[]): boolean => {
    const at = list.findIndex((s) => s === loop || holdsLoop(s));
    if (at < 0) return false;
    definedIn(list.slice(at + 1), out);
    return true;
  };
  const holdsLoop = (s: Stmt): boolean => {
    if (s.kind === "if") return visit(s.then) || visit(s.else);
    if (s.kind === "block") return visit(s.body);
    if (s.kind !== "loop" || !visit(s.body)) return false;
    // A loop around it runs its whole body again: all of it comes after some step.
    definedIn([...s.init, ...s.update, ...s.body], out);
    return true;
  };
  visit(body);
  return out;
}

/** Each marked forward loop with the nearest loop around it (null: none). */
function nearestLoops(body: Stmt[], marks: readonly Loop[]): Map<Loop, Loop | null> {
  const wanted = new Set(marks);
  const out = new Map<Loop, Loop | null>();
  const visit = (list: Stmt[], around: Loop | null) => {
    for (const s of list) {
      if (s.kind === "loop") {
        if (wanted.has(s)) out.set(s, around);
        visit(s.init, around);
        visit(s.body, s);
      } else if (s.kind === "if") {
        visit(s.then, around);
        visit(s.else, around);
      } else if (s.kind === "block") visit(s.body, around);
    }
  };
  visit(body, null);
  return out;
}

interface Plan {
  schedule: string;
  items: StateItem[];
  /** Bytes one step pushes (for a budget), or null when not known before the loop. */
  bytesPerStep: Expr | null;
  mark: CheckpointMark;
  span: SourceSpan;
  /**
   * Inside a loop that is not checkpointed: the forward sweep saves the state on the value
   * stack and runs the loop as the primal does; the reverse sweep restores it and runs the
   * forward phase, then the reverse phase (one more primal run of the loop per run).
   */
  replay: boolean;
}

/** Types of the function's parameters and of everything it (and the marked loops' primal steps) declares. */
function typesOf(fn: FunctionIR, marks: Loop[]): Map<string, ValueType> {
  const types = new Map<string, ValueType>();
  for (const p of fn.params) types.set(p.name, p.type);
  const note = (stmts: Stmt[]) =>
    walkStmts(stmts, (s) => {
      if (s.kind === "declare" && !types.has(s.name)) types.set(s.name, s.type);
    });
  note(fn.body);
  for (const loop of marks) note(loop.checkpointed!.primal ?? []);
  return types;
}

class Expander {
  constructor(
    private readonly plans: Map<number, Plan>,
    private readonly leftAlone: Set<number>,
    private readonly widenedNames: Map<number, Set<string>>,
    private readonly namer: Namer,
    private readonly span: SourceSpan,
  ) {}

  /** Declarations in scope where the walk is, innermost block last (to find what the forward phase saw and the reverse phase does not). */
  private readonly scopes: Map<string, Extract<Stmt, { kind: "declare" }>>[] = [new Map()];
  /** The marks of the expanded loops around the walk, innermost last. */
  private readonly around: CheckpointMark[] = [];
  /** Declarations in scope at each marked forward loop, by id. */
  private readonly seenAtForward = new Map<number, Map<string, Extract<Stmt, { kind: "declare" }>>>();

  stmts(list: Stmt[]): Stmt[] {
    this.scopes.push(new Map());
    const out = list.flatMap((s) => this.stmt(s));
    this.scopes.pop();
    return out;
  }

  private stmt(s: Stmt): Stmt[] {
    switch (s.kind) {
      case "declare":
        this.scopes[this.scopes.length - 1]!.set(s.name, s);
        return [s];
      case "if": return [{ ...s, then: this.stmts(s.then), else: this.stmts(s.else) }];
      case "block": return [{ ...s, body: this.stmts(s.body) }];
      case "loop": {
        this.scopes.push(new Map());
        for (const x of s.init) if (x.kind === "declare") this.scopes[this.scopes.length - 1]!.set(x.name, x);
        const mark = s.checkpointed;
        if (mark?.role === "forward") this.seenAtForward.set(mark.id, this.visible());
        const expanded = mark !== undefined && !this.leftAlone.has(mark.id);
        if (expanded) this.around.push(mark);
        const inner: Loop = { ...s, body: this.stmts(s.body) };
        if (expanded) this.around.pop();
        this.scopes.pop();
        if (!mark) return [inner];
        if (this.leftAlone.has(mark.id)) {
          const { checkpointed: _, ...plain } = inner;
          return [plain];
        }
        const plan = this.plans.get(mark.id);
        if (!plan) return fail(Codes.InternalError, `checkpointed loop ${mark.id} has no forward sweep`, this.span);
        const { checkpointed: _, ...loop } = inner;
        if (mark.role === "forward") {
          this.recorded.set(mark.id, loop);
          return plan.replay ? this.entrySaved(plan, loop) : this.forwardPhase(plan, loop);
        }
        return this.reversePhase(plan, loop.body);
      }
      default: return [s];
    }
  }

  private visible(): Map<string, Extract<Stmt, { kind: "declare" }>> {
    const out = new Map<string, Extract<Stmt, { kind: "declare" }>>();
    for (const scope of this.scopes) for (const [name, d] of scope) out.set(name, d);
    return out;
  }

  /**
   * Variables the recomputed steps use that the forward sweep declared in a block the
   * reverse sweep is outside of (a loop with `break` is lowered into a block declaring its
   * counter and flag; a constant of an outer loop's body): declared again before the
   * reverse phase. A step reads only the state, which a restore sets first, and what it
   * wrote itself, so the values they start with do not matter; a variable the steps only
   * read joins the state (`Widen`). A name the reverse sweep declares too is the same
   * variable (IR names are unique within a function), used as it is.
   */
  private redeclared(plan: Plan, bodies: Stmt[][]): Stmt[] {
    const atForward = this.seenAtForward.get(plan.mark.id);
    if (!atForward) return [];
    const here = this.visible();
    const used = new Set<string>();
    const written = new Set<string>();
    for (const body of bodies) for (const x of body) { mentionedNames(x, used); definedIn([x], written); }
    const restored = new Set(plan.items.map((i) => i.name));
    const out: Stmt[] = [];
    // A counted loop's counter is declared by each run of its steps (steps(), stepsBackwards()):
    // its own, and those of the checkpointed loops around it.
    const counters = new Set([...this.around, plan.mark].flatMap((m) => (m.counted ? [m.counted.counter] : [])));
    for (const name of [...used, ...written].sort()) {
      if (counters.has(name)) continue;
      const d = atForward.get(name);
      if (!d || here.has(name) || out.some((x) => x.kind === "declare" && x.name === name)) continue;
      // Declared around a checkpointed loop this one is inside: that loop's phases see to it.
      if (this.around.some((m) => this.seenAtForward.get(m.id)?.get(name) === d)) continue;
      if (plan.mark.request.automatic) throw new LeaveAlone(plan.mark.id);
      if (!written.has(name) && !restored.has(name)) {
        if (this.widenedNames.get(plan.mark.id)?.has(name)) fail(Codes.BadCheckpoint, `this loop cannot be checkpointed: it reads '${name}', which is declared in a block around it; declare it before that block`, plan.span);
        throw new Widen(plan.mark.id, name);
      }
      if (d.type.kind === "number") out.push(b.declare(name, b.num(0), true));
      else if (d.type.kind === "boolean") out.push(b.declare(name, b.bool(false), true, b.BOOLEAN));
      else fail(Codes.BadCheckpoint, `this loop cannot be checkpointed: its steps use the array '${name}', declared in a block around it where the reverse sweep cannot see it; declare it at the function's top level`, plan.span);
    }
    return out;
  }

  // ---- the phases ----

  /** The forward phase; `restore` (the entry state, in a replay) goes first. */
  private forwardPhase(plan: Plan, loop: Loop, restore: Stmt[] = []): Stmt[] {
    const { mark } = plan;
    const primal = this.stmts(mark.primal ?? []);
    const intro = b.comment(
      plan.replay
        ? `${this.lineOf(plan)}run again from the entry state the forward sweep saved, checkpointed (runtime/checkpoint.ts): the state (${this.stateText(plan)}) is saved at some steps and the others are recomputed from it`
        : `${this.lineOf(plan)}checkpointed (runtime/checkpoint.ts): the state (${this.stateText(plan)}) is saved at some steps and the others are recomputed from it`,
    );
    const { width, setup } = this.width(plan.items);
    if (mark.counted) {
      const start = mark.request.snapshots !== undefined
        ? this.call(plan, "start", [mark.counted.trips, b.num(mark.request.snapshots), width])
        : this.call(plan, "startWithin", [mark.counted.trips, b.num(mark.request.budget ?? DEFAULT_BUDGET), width, plan.bytesPerStep ?? b.num(0)]);
      const action = this.namer.fresh("action");
      return [
        intro,
        ...restore,
        ...setup,
        start,
        this.actions(plan, action, [
          [ACTION.Advance, this.steps(plan, primal)],
          [ACTION.Save, this.save(plan)],
          [null, [b.comment("Record: the last steps, as store-all records them"), ...this.steps(plan, loop.body)]],
        ]),
      ];
    }
    // Trip count known at the end: the loop as written, saving its state where the schedule says.
    const start = mark.request.snapshots !== undefined
      ? this.call(plan, "startOnline", [b.num(mark.request.snapshots), width])
      : this.call(plan, "startOnlineWithin", [b.num(mark.request.budget ?? DEFAULT_BUDGET), width]);
    const beforeStep: Stmt = { kind: "if", test: b.bin(">=", b.call(`${plan.schedule}.beforeStep`, []), b.num(0)), then: this.save(plan), else: [] };
    return [intro, ...restore, ...setup, start, { ...loop, body: [beforeStep, ...structuredClone(primal)] }, this.call(plan, "endOnline", [])];
  }

  private reversePhase(plan: Plan, reverse: Stmt[]): Stmt[] {
    const primal = this.stmts(plan.mark.primal ?? []);
    const forward = this.forwardLoop(plan);
    const record = forward.body;
    const action = this.namer.fresh("action");
    const phase = this.actions(plan, action, [
      [ACTION.Advance, this.steps(plan, primal)],
      [ACTION.Save, this.save(plan)],
      [ACTION.Restore, this.restore(plan)],
      [ACTION.Record, this.steps(plan, record)],
      [null, [b.comment("Reverse"), ...this.stepsBackwards(plan, reverse)]],
    ]);
    if (!plan.replay) return this.scoped(this.redeclared(plan, [primal, record]), [phase]);
    // The loop's header runs again too (a while loop's test).
    const again: Stmt[] = [...this.forwardPhase(plan, forward, this.popState(plan)), phase];
    return this.scoped(this.redeclared(plan, [primal, record, [{ ...forward, body: [] }]]), again);
  }

  /** `stmts`, in a block of their own when they need variables declared again (which may shadow the reverse sweep's later ones). */
  private scoped(declarations: Stmt[], stmts: Stmt[]): Stmt[] {
    return declarations.length > 0 ? [{ kind: "block", body: [...declarations, ...stmts] }] : stmts;
  }

  /**
   * Inside a loop that is not checkpointed, the forward sweep's part: the state is pushed on
   * the value stack (the reverse sweep pops it there, at the same iteration) and the loop
   * runs as the primal runs it.
   */
  private entrySaved(plan: Plan, loop: Loop): Stmt[] {
    const primal = this.stmts(plan.mark.primal ?? []);
    return [
      b.comment(
        `${this.lineOf(plan)}checkpointed inside a loop that is not: its entry state (${this.stateText(plan)}) is saved here and it runs as the primal does; the reverse sweep runs it again from that state with its schedule (runtime/checkpoint.ts)`,
      ),
      ...this.pushState(plan),
      { ...loop, body: structuredClone(primal) },
    ];
  }

  /** The state onto the value stack, item by item, element by element. */
  private pushState(plan: Plan): Stmt[] {
    return plan.items.flatMap((item): Stmt[] => {
      const v = b.v(item.name);
      switch (item.kind) {
        case "number": return [b.push("values", v)];
        case "boolean": return [b.push("values", { kind: "conditional", test: v, whenTrue: b.num(1), whenFalse: b.num(0) })];
        case "length": return [b.push("values", { kind: "length", object: v })];
        case "array": {
          const k = this.namer.fresh("k");
          return [b.countUp(k, b.num(0), { kind: "length", object: v }, [b.push("values", b.index(v, b.v(k)))])];
        }
        case "rows": {
          const [r, k] = [this.namer.fresh("row"), this.namer.fresh("k")];
          const row = b.index(v, b.v(r));
          return [b.countUp(r, b.num(0), { kind: "length", object: v }, [b.countUp(k, b.num(0), { kind: "length", object: row }, [b.push("values", b.index(row, b.v(k)))])])];
        }
      }
    });
  }

  /** pushState's values back, last first. */
  private popState(plan: Plan): Stmt[] {
    const down = (k: string, array: Expr, body: Stmt[]): Stmt => ({
      kind: "loop",
      form: "for",
      init: [b.declare(k, b.sub({ kind: "length", object: array }, b.num(1)), true)],
      test: b.bin(">=", b.v(k), b.num(0)),
      update: [b.assign(b.v(k) as LValue, b.sub(b.v(k), b.num(1)))],
      body,
    });
    return [...plan.items].reverse().map((item): Stmt => {
      const v = b.v(item.name);
      switch (item.kind) {
        case "number": return b.assign(v as LValue, b.pop("values"));
        case "boolean": return b.assign(v as LValue, b.bin("===", b.pop("values"), b.num(1)));
        case "length": return b.assign(b.field(v, "length") as LValue, b.pop("values"));
        case "array": {
          const k = this.namer.fresh("k");
          return down(k, v, [b.assign(b.index(v, b.v(k)) as LValue, b.pop("values"))]);
        }
        case "rows": {
          const [r, k] = [this.namer.fresh("row"), this.namer.fresh("k")];
          const row = b.index(v, b.v(r));
          return down(r, v, [down(k, row, [b.assign(b.index(row, b.v(k)) as LValue, b.pop("values"))])]);
        }
      }
    });
  }

  private lineOf(plan: Plan): string {
    return plan.mark.line !== undefined ? `line ${plan.mark.line}: ` : "";
  }

  private stateText(plan: Plan): string {
    return plan.items.length > 0 ? plan.items.map((i) => (i.kind === "length" ? `${i.name}.length` : i.name)).join(", ") : "nothing";
  }

  /** The forward sweep's marked loop, its body expanded (one step recorded); the forward sweep comes first in every function. */
  private forwardLoop(plan: Plan): Loop {
    const loop = this.recorded.get(plan.mark.id);
    if (!loop) return fail(Codes.InternalError, `checkpointed loop ${plan.mark.id}: its reverse sweep came before its forward sweep`, plan.span);
    return loop;
  }

  /** Expanded forward-sweep loops of the marked loops, by id. */
  private readonly recorded = new Map<number, Loop>();

  // ---- pieces ----

  /** `for (let action = s.next(); action !== Done; action = s.next()) if (action === …) … else …` */
  private actions(plan: Plan, action: string, cases: [string | null, Stmt[]][]): Stmt {
    const next = b.call(`${plan.schedule}.next`, []);
    let chain: Stmt[] = [];
    for (let k = cases.length - 1; k >= 0; k--) {
      const [name, body] = cases[k]!;
      chain = name === null ? body : [{ kind: "if", test: b.bin("===", b.v(action), b.field(b.v("CheckpointAction"), name)), then: body, else: chain }];
    }
    return {
      kind: "loop",
      form: "for",
      init: [b.declare(action, next, true)],
      test: b.bin("!==", b.v(action), b.field(b.v("CheckpointAction"), ACTION.Done)),
      update: [b.assign(b.v(action) as LValue, next)],
      body: chain,
    };
  }

  private call(plan: Plan, method: string, args: Expr[]): Stmt {
    return { kind: "call", callee: `${plan.schedule}.${method}`, args };
  }

  private from(plan: Plan): Expr {
    return { kind: "field", object: b.v(plan.schedule), name: "from", integer: true };
  }

  private to(plan: Plan): Expr {
    return { kind: "field", object: b.v(plan.schedule), name: "to", integer: true };
  }

  /** The steps from … to − 1 in order: the loop's own counter for a counted loop, a fresh one otherwise. */
  private steps(plan: Plan, shared: Stmt[]): Stmt[] {
    // A body appears several times in the function; later passes key facts by statement object.
    const body = structuredClone(shared);
    const counted = plan.mark.counted;
    if (!counted) {
      const k = this.namer.fresh("step");
      return [b.countUp(k, this.from(plan), this.to(plan), body)];
    }
    const { counter, first, stride, up } = counted;
    const at = (k: Expr) => (up ? b.add(first, b.mul(k, b.num(stride))) : b.sub(first, b.mul(k, b.num(stride))));
    return [
      {
        kind: "loop",
        form: "for",
        init: [b.declare(counter, at(this.from(plan)), true)],
        test: b.bin(up ? "<" : ">", b.v(counter), at(this.to(plan))),
        update: [b.assign(b.v(counter) as LValue, up ? b.add(b.v(counter), b.num(stride)) : b.sub(b.v(counter), b.num(stride)))],
        body,
      },
    ];
  }

  /** The steps to − 1 down to from. */
  private stepsBackwards(plan: Plan, body: Stmt[]): Stmt[] {
    const counted = plan.mark.counted;
    if (!counted) {
      const k = this.namer.fresh("step");
      return [
        {
          kind: "loop",
          form: "for",
          init: [b.declare(k, this.to(plan), true)],
          test: b.bin(">", b.v(k), this.from(plan)),
          update: [b.assign(b.v(k) as LValue, b.sub(b.v(k), b.num(1)))],
          body,
        },
      ];
    }
    const { counter, first, stride, up } = counted;
    const at = (k: Expr) => (up ? b.add(first, b.mul(k, b.num(stride))) : b.sub(first, b.mul(k, b.num(stride))));
    return [
      {
        kind: "loop",
        form: "for",
        init: [b.declare(counter, at(b.sub(this.to(plan), b.num(1))), true)],
        test: b.bin(up ? ">=" : "<=", b.v(counter), at(this.from(plan))),
        update: [b.assign(b.v(counter) as LValue, up ? b.sub(b.v(counter), b.num(stride)) : b.add(b.v(counter), b.num(stride)))],
        body,
      },
    ];
  }

  /** Numbers per snapshot: an expression, after `setup` statements when rows must be counted. */
  private width(items: StateItem[]): { width: Expr; setup: Stmt[] } {
    let width: Expr = b.num(items.filter((i) => i.kind === "number" || i.kind === "boolean" || i.kind === "length").length);
    for (const item of items) if (item.kind === "array") width = b.add(width, { kind: "length", object: b.v(item.name) });
    const rows = items.filter((i) => i.kind === "rows");
    if (rows.length === 0) return { width, setup: [] };
    const name = this.namer.fresh("width");
    const setup: Stmt[] = [b.declare(name, width, true)];
    for (const item of rows) {
      const r = this.namer.fresh("row");
      setup.push(b.countUp(r, b.num(0), { kind: "length", object: b.v(item.name) }, [b.assign(b.v(name) as LValue, b.add(b.v(name), { kind: "length", object: b.index(b.v(item.name), b.v(r)) }))]));
    }
    return { width: b.v(name), setup };
  }

  /** Copies the state into the snapshot the schedule names. */
  private save(plan: Plan): Stmt[] {
    return this.copy(plan, "save");
  }

  private restore(plan: Plan): Stmt[] {
    return this.copy(plan, "restore");
  }

  private copy(plan: Plan, direction: "save" | "restore"): Stmt[] {
    const snapshot = this.namer.fresh("snapshot");
    const at = this.namer.fresh("at");
    const out: Stmt[] = [b.declare(snapshot, b.field(b.v(plan.schedule), "snapshots"), false, SNAPSHOT), b.declare(at, b.field(b.v(plan.schedule), "at"))];
    const cell = (offset: Expr) => b.index(b.v(snapshot), offset);
    let offset: Expr = b.v(at);
    let running: string | null = null;
    for (const item of plan.items) {
      const v = b.v(item.name);
      switch (item.kind) {
        case "number":
          out.push(direction === "save" ? b.assign(cell(offset) as LValue, v) : b.assign(v as LValue, cell(offset)));
          offset = b.add(offset, b.num(1));
          break;
        case "boolean":
          out.push(
            direction === "save"
              ? b.assign(cell(offset) as LValue, { kind: "conditional", test: v, whenTrue: b.num(1), whenFalse: b.num(0) })
              : b.assign(v as LValue, b.bin("===", cell(offset), b.num(1))),
          );
          offset = b.add(offset, b.num(1));
          break;
        case "length":
          out.push(direction === "save" ? b.assign(cell(offset) as LValue, { kind: "length", object: v }) : b.assign(b.field(v, "length") as LValue, cell(offset)));
          offset = b.add(offset, b.num(1));
          break;
        case "array":
          out.push(...this.copyArray(direction, snapshot, v, item.container, offset));
          offset = b.add(offset, { kind: "length", object: v });
          break;
        case "rows": {
          if (!running) {
            running = this.namer.fresh("offset");
            out.push(b.declare(running, offset, true));
          }
          const r = this.namer.fresh("row");
          const row = b.index(v, b.v(r));
          out.push(
            b.countUp(r, b.num(0), { kind: "length", object: v }, [
              ...this.copyArray(direction, snapshot, row, item.container, b.v(running)),
              b.assign(b.v(running) as LValue, b.add(b.v(running), { kind: "length", object: row })),
            ]),
          );
          offset = b.v(running);
          break;
        }
      }
    }
    return out;
  }

  /** `snapshot.set(a, at)`; back: `a.set(snapshot.subarray(at, at + a.length))`, or element by element for a number[]. */
  private copyArray(direction: "save" | "restore", snapshot: string, a: Expr, container: "array" | "typed", offset: Expr): Stmt[] {
    const length: Expr = { kind: "length", object: a };
    if (direction === "save") return [{ kind: "call", callee: `${snapshot}.set`, args: [a, offset] }];
    if (container === "typed") {
      return [{ kind: "call", callee: `${printable(a)}.set`, args: [b.call(`${snapshot}.subarray`, [offset, b.add(offset, length)])] }];
    }
    const k = this.namer.fresh("k");
    return [b.countUp(k, b.num(0), length, [b.assign(b.index(a, b.v(k)) as LValue, b.index(b.v(snapshot), b.add(offset, b.v(k))))])];
  }
}

/** The snapshot buffer's type, for the declaration that names it. */
const SNAPSHOT: ValueType = { kind: "array", element: b.NUMBER, container: "float64array", readonly: false };

/** The fields of runtime/checkpoint.ts's CheckpointAction. */
const ACTION = { Done: "Done", Advance: "Advance", Save: "Save", Restore: "Restore", Record: "Record", Reverse: "Reverse" } as const;

/** `a` or `a[r]` as the receiver of a method call (a variable, or a row of one). */
function printable(e: Expr): string {
  if (e.kind === "var") return e.name;
  if (e.kind === "index" && e.object.kind === "var" && e.index.kind === "var") return `${e.object.name}[${e.index.name}]`;
  throw new Error("checkpoint: an array to restore must be a variable or a row of one");
}
