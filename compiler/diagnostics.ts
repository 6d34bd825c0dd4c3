/**
 * Diagnostics: the one way any pass reports a problem with the user's code.
 *
 * Passes never throw at the user. They call `fail(...)` (which throws a
 * `DiagnosticError` caught by the pipeline per function) or collect `Diagnostic`s.
 * The CLI turns them into `file:line:col - error TSGnnnn: message` plus a code frame.
 */

/** Stable diagnostic codes. Never renumber; add new ones at the end of their group. */
export const Codes = {
  // 1xxx: input problems found before any transformation
  SyntaxError: 1001,
  UnreadableFile: 1002,
  HandWrittenOutput: 1003,
  UnresolvedImport: 1004,
  FormatFailed: 1005,
  TooLarge: 1006,
  // 2xxx: annotations
  UnknownWrtParameter: 2001,
  NotDifferentiableParameter: 2002,
  BadReturnType: 2003,
  AnnotationOnNonFunction: 2004,
  DuplicateAnnotation: 2005,
  NameClash: 2006,
  /** A warning: a near miss of a tsgrad tag, or a tag in a comment TypeScript does not read as JSDoc. */
  SuspiciousTag: 2007,
  /** `@checkpoint` misplaced or with a bad option, or a checkpointed loop whose state cannot be saved. */
  BadCheckpoint: 2008,
  // 3xxx: the fence (code outside the differentiable subset)
  UnsupportedStatement: 3001,
  UnsupportedExpression: 3002,
  UnsupportedCall: 3003,
  NonDeterministic: 3004,
  MutableModuleState: 3005,
  AnyType: 3006,
  UnsupportedType: 3007,
  UnsupportedAssignment: 3008,
  MissingReturn: 3009,
  Recursion: 3010,
  // 9xxx: the compiler's own faults
  InternalError: 9001,
} as const;

export type DiagnosticCode = (typeof Codes)[keyof typeof Codes];

export interface Diagnostic {
  code: DiagnosticCode;
  /** An error (the default) stops the file it is in from being written; a warning does not. */
  severity?: "error" | "warning";
  message: string;
  /** Path of the file as given to the compiler. */
  file: string;
  /** 1-based line and column of the start of the offending span. */
  line: number;
  column: number;
  /** Length of the offending span in characters (at least 1). */
  length: number;
}

/** Where in the user's source something came from. Carried by IR nodes for diagnostics and comments. */
export interface SourceSpan {
  file: string;
  line: number;
  column: number;
  length: number;
}

/** The last component of a path, split on either separator (for messages and comments). */
export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/**
 * Thrown by a pass to reject the function it is working on. Caught by the pipeline. The
 * lowering reports every statement it rejects: the first is `diagnostic`, the rest `others`.
 */
export class DiagnosticError extends Error {
  constructor(
    readonly diagnostic: Diagnostic,
    readonly others: readonly Diagnostic[] = [],
  ) {
    super(diagnostic.message);
  }

  get all(): Diagnostic[] {
    return [this.diagnostic, ...this.others];
  }
}

export function fail(code: DiagnosticCode, message: string, span: SourceSpan): never {
  throw new DiagnosticError({ code, message, ...span });
}

/** True for an error (every diagnostic that is not a warning). */
export function isError(d: Pick<Diagnostic, "severity">): boolean {
  return d.severity !== "warning";
}

export function formatCode(code: DiagnosticCode): string {
  return `TSG${String(code).padStart(4, "0")}`;
}
