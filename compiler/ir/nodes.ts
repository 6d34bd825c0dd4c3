/**
 * The tsgrad IR: a small structured imperative language, close to the TypeScript subset
 * it comes from so that generated code can be printed back readably.
 *
 * The front end produces it (frontend/lower.ts); transforms rewrite it (normalize,
 * reverse, ...); the back end prints it (backend/print.ts). Nodes are plain immutable
 * data; passes build new trees rather than mutating old ones.
 */
import type { SourceSpan } from "../diagnostics.ts";

/** The static shape of a value. Arrays remember their container so gradients keep it. */
/**
 * `number[]`, `Float64Array`, `Float32Array` (single precision storage; arithmetic on its
 * elements is in double precision), or `Int32Array` (integers: never differentiated, e.g. indices).
 */
export type ArrayContainer = "array" | "float64array" | "float32array" | "int32array";

export type ValueType =
  | { kind: "number" }
  | { kind: "boolean" }
  | { kind: "array"; element: ValueType; container: ArrayContainer; readonly: boolean }
  /**
   * A plain object (interface / type alias / type literal) whose fields are such values.
   * `arrayOfRecords`: an array of such objects as the user holds it (`layers: Dense[]`), seen
   * by the compiler field by field (struct of arrays): each field's type is the array of that
   * field's values (`w: number[][][]` for `Dense.w: number[][]`), and `name` is the element
   * type's (`Dense`). Only the entry points' boundary knows the difference (transform/rows.ts).
   */
  | { kind: "record"; name?: string; fields: { name: string; type: ValueType; optional?: boolean }[]; arrayOfRecords?: boolean }
  /** A pass-through value (string, function, ...) that is never differentiated. */
  | { kind: "opaque"; text: string };

export type BinaryOp =
  | "+" | "-" | "*" | "/" | "%" | "**"
  | "<" | "<=" | ">" | ">=" | "===" | "!==" | "==" | "!="
  | "&&" | "||";

export type UnaryOp = "-" | "+" | "!";

export type Expr =
  | { kind: "number"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "var"; name: string }
  /** `object[index]`; nested for `a[i][j]`. */
  | { kind: "index"; object: Expr; index: Expr }
  | { kind: "length"; object: Expr }
  /**
   * A field of a record (used for the generated gradient buffers, `grad.x`). `integer`: it
   * always holds an integer (a checkpointing schedule's step numbers), so loop bounds over
   * it are exact.
   */
  | { kind: "field"; object: Expr; name: string; integer?: boolean }
  | { kind: "unary"; op: UnaryOp; operand: Expr }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr }
  /** A call to a primitive of the rule table (`Math.sin`, ...) or, in generated code, any named function. */
  | { kind: "call"; callee: string; args: Expr[] }
  | { kind: "conditional"; test: Expr; whenTrue: Expr; whenFalse: Expr }
  /** A fresh zero-filled array with the given length (`new Array(n).fill(0)`, `new Float64Array(n)`). */
  | { kind: "zeros"; container: ArrayContainer; length: Expr }
  /** A fresh zero value of the same shape as `like` (used for gradient buffers). */
  | { kind: "zerosLike"; type: ValueType; like: Expr }
  /** `[a, b]`; `asConst`: a tuple of literals, printed `[…] as const` (a record's field names for the runtime's record helpers). */
  | { kind: "arrayLiteral"; elements: Expr[]; asConst?: boolean }
  /** A string literal (generated code only: field names, messages). */
  | { kind: "string"; value: string }
  /** Whether two values are the same object (`(a as unknown) === (b as unknown)`): debug builds' aliasing checks. */
  | { kind: "sameObject"; left: Expr; right: Expr }
  /**
   * A record literal `{ a: e, b }` (generated code, and object literals of the source until
   * inlining). `byReference`: the fields of a local object (each a variable), which a callee
   * it is passed to may write; a plain literal is a temporary that callee writes do not escape.
   * A field whose value is the variable of its name prints as shorthand (`{ value, grad }`).
   */
  | { kind: "record"; fields: { name: string; value: Expr }[]; byReference?: boolean }
  /**
   * A call to another function of the user's program. transform/inline.ts replaces it by
   * the callee's body, except where the user supplied a rule (`@vjpOf`): then `rule` names
   * it and reverse mode calls it.
   */
  | { kind: "userCall"; callee: string; args: Expr[]; span?: SourceSpan; rule?: CustomRule }
  /**
   * Pop the top of a value stack (generated reverse-mode code only). `of` names the variable
   * whose element was pushed when the popped value lands in a different variable (a
   * recorded read), so analyses of generated code still see the dependency. `rebuild`: an
   * expression that, evaluated where the pop is, gives the popped value (a saved call result
   * whose reads reverse mode knows hold their forward values there); forward-over-reverse may
   * rebuild the value's tangent from it instead of saving the tangent (transform/forward.ts).
   */
  | { kind: "pop"; stack: StackName; of?: string; rebuild?: Expr }
  /** The number of values a stack holds (a mark to rewind to; fVjpRowsInto only). */
  | { kind: "stackSize"; stack: StackName }
  /**
   * Pops `count` values at once; its value is the index in the stack's buffer of the lowest
   * of them, where they stay until the next push (a vector sweep reads a tangent's saved
   * lanes as `buffer[at + lane]`, transform/lanes.ts). Only a declaration's initializer.
   */
  | { kind: "popBlock"; stack: StackName; count: Expr }
  /**
   * A loop that keeps a stack's top in a local (transform/cursors.ts, the last pass): the
   * stack's buffer, the buffer with room for `count` more values above `top`, and the local
   * top moved as a push (`top++`) or a pop (`--top`) moves it.
   */
  | { kind: "stackBuffer"; stack: StackName }
  | { kind: "stackReserve"; stack: StackName; top: Expr; count: Expr }
  | { kind: "cursorMove"; name: string; move: "postIncrement" | "preDecrement" };

/** A user-supplied VJP with the shape of a generated `fVjpInto(params…, cotangent, grad)`. */
export interface CustomRule {
  name: string;
  params: { name: string; type: ValueType }[];
  /** Files to import the primal and the rule from. */
  primalFile: string;
  ruleFile: string;
  /**
   * A pullback tsgrad generates itself (a shared callee derivative): `name` is its base
   * name, specialized per activity pattern, and both it and a private copy of the primal
   * live in the generated file.
   */
  generated?: boolean;
}

/** The two stacks of generated reverse-mode code: numbers, and ints (decisions, counts). */
export type StackName = "values" | "control";

export type LValue =
  | { kind: "var"; name: string }
  | { kind: "index"; object: Expr; index: Expr }
  | { kind: "field"; object: Expr; name: string };

export type Stmt =
  /**
   * `const name = init` (`let` if mutable). `annotation`: the type written after the name
   * (`const v: FHvpGradient = …`); without it only an empty array literal's type is written.
   */
  | { kind: "declare"; name: string; type: ValueType; init: Expr; mutable: boolean; span?: SourceSpan; annotation?: string }
  | { kind: "assign"; target: LValue; value: Expr; span?: SourceSpan }
  | { kind: "if"; test: Expr; then: Stmt[]; else: Stmt[]; span?: SourceSpan }
  /**
   * Every loop form. `for` keeps init/update; `while` has empty init/update;
   * `doWhile` runs the body before the first test.
   */
  | {
      kind: "loop";
      form: "for" | "while" | "doWhile";
      init: Stmt[];
      test: Expr | null;
      update: Stmt[];
      body: Stmt[];
      /** A one-statement body printed on the loop's own line, without braces (short driver loops). */
      compact?: boolean;
      /** `// @checkpoint …` above the loop, or `@checkpoint` on its function (frontend): what the user asked. */
      checkpoint?: CheckpointRequest;
      /** Reverse mode's mark on the two loops of a checkpointed loop; transform/checkpoint.ts expands them. */
      checkpointed?: CheckpointMark;
      span?: SourceSpan;
    }
  | { kind: "break"; span?: SourceSpan }
  | { kind: "continue"; span?: SourceSpan }
  | { kind: "return"; value: Expr | null; span?: SourceSpan }
  | { kind: "block"; body: Stmt[] }
  | { kind: "push"; stack: StackName; value: Expr }
  /** Pops a value nobody reads (transform/tidy.ts, where the local it restored went unread). */
  | { kind: "drop"; stack: StackName }
  /** Sets a stack's size back to a mark, so the values above it are popped again (fVjpRowsInto only). */
  | { kind: "rewind"; stack: StackName; size: Expr }
  /** Sets a stack's size to the local top a loop kept (transform/cursors.ts). */
  | { kind: "stackSizeSet"; stack: StackName; size: Expr }
  /** `a.push(value)` on a local number[]; in reverse-mode code its inverse is `shrink`. */
  | { kind: "append"; array: string; value: Expr; span?: SourceSpan }
  /** `a.pop()` with the result discarded: undoes an `append` in the reverse sweep. */
  | { kind: "shrink"; array: string }
  /**
   * `a.fill(0)` on a one-dimensional number array: how an entry point clears an output
   * buffer it cannot prove it overwrites (transform/overwrite.ts, after every analysis).
   */
  | { kind: "fillZero"; array: Expr }
  /** A call whose result is discarded: a user helper that writes into an array argument. */
  | { kind: "call"; callee: string; args: Expr[]; span?: SourceSpan }
  | { kind: "comment"; text: string }
  /** A run-time check of debug builds: `if (failsWhen) throw new Error(message);`. */
  | { kind: "check"; failsWhen: Expr; message: string };

export interface Param {
  name: string;
  type: ValueType;
  /** The parameter's type as the user wrote it, reprinted in generated signatures. */
  typeText: string;
  /** A default value, printed `name: type = default` (generated drivers' options, e.g. `width = 8`). */
  defaultText?: string;
  /**
   * What the parameter holds when a call leaves it out: its default's value (`scale = 1`,
   * `eps = EPS`), or undefined for an optional one (`eps?: number`). Absent: a call gives it.
   */
  leftOut?: { value: number | undefined };
}

export interface FunctionIR {
  name: string;
  params: Param[];
  returnType: ValueType;
  returnTypeText: string;
  body: Stmt[];
  exported: boolean;
  span: SourceSpan;
  /** JSDoc comment printed above the function in generated code. */
  doc?: string;
}

/** What one annotation asks for. */
export interface DerivativeRequest {
  mode: "grad" | "jvp" | "vjp" | "hvp" | "hessian" | "jacobian";
  /** Names of the parameters to differentiate with respect to, in declaration order. */
  wrt: string[];
  span: SourceSpan;
  /** `@hessian … bandwidth=K` (or `diagonal`, K = 0): only |i - j| ≤ K can be non-zero. */
  bandwidth?: number;
  /** `@hessian … sparse`, `@jacobian … sparse`: the pattern is detected and the matrix compressed by coloring (fHessianSparse, fJacobianSparse). */
  sparse?: boolean;
  /** `@hessian … width=K`, `@jacobian … width=K`: the drivers' default number of directions per vector sweep. */
  width?: number;
}

/**
 * Checkpointing of a loop in reverse mode (issue 21): at most `snapshots` saved states, or
 * whatever fits in `budget` bytes of saved values and states; neither: the default budget.
 */
export interface CheckpointRequest {
  snapshots?: number;
  budget?: number;
  /** Set by the automatic policy (`checkpointBudget`), not by a tag. */
  automatic?: boolean;
}

/**
 * Reverse mode's mark on a checkpointed loop: the forward sweep's loop (`role: "forward"`,
 * its body the steps as store-all records them) and the reverse sweep's (`"reverse"`, its
 * body one step's reverse) share an `id`. transform/checkpoint.ts turns the pair into the
 * schedule-driven phases.
 */
export interface CheckpointMark {
  id: number;
  role: "forward" | "reverse";
  request: CheckpointRequest;
  /** Forward role: one step as the primal runs it (what the schedule advances with). */
  primal?: Stmt[];
  /**
   * A counted loop: its counter, first index and stride (the step k runs with counter
   * `first ± k · stride`) and its trip count. Absent: the trip count is known only when the
   * loop ends (online checkpointing), and the forward role keeps the loop's test.
   */
  counted?: { counter: string; first: Expr; stride: number; up: boolean; trips: Expr };
  /** The source line of the loop, for comments. */
  line?: number;
}

/** An annotated source function after lowering. */
export interface AnnotatedFunction {
  fn: FunctionIR;
  requests: DerivativeRequest[];
  /** Source text of each line, for comments that point back to the source. */
  sourceLines: string[];
}

/** A generated module, ready for printing. */
export interface ModuleIR {
  header: string;
  imports: { names: string[]; from: string; typeOnly: boolean }[];
  /** Runtime helpers copied into the file (backend/helpers.ts), printed after the imports. */
  helpers?: string;
  /** Module-level stacks shared by the functions of the file. */
  stacks: StackName[];
  functions: FunctionIR[];
  /** Exported type aliases, e.g. the gradient record type of each function. */
  typeAliases: { name: string; text: string; doc?: string }[];
  /** Module-level checkpointing schedules (runtime/checkpoint.ts), one per checkpointed loop of a generated function. */
  schedules?: { name: string; doc: string }[];
}

export function assertNever(value: never): never {
  throw new Error(`unexpected IR node: ${JSON.stringify(value)}`);
}
