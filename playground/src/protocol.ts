/** Messages between the page (main.ts) and the compiler's worker (worker.ts). */
import type { CheckResult } from "../../compiler/verify/checks.ts";

export interface PlainDiagnostic {
  code: string;
  message: string;
  line: number;
  column: number;
  length: number;
}

export interface FunctionInfo {
  name: string;
  /** Derivative tags on it, in source order (grad, hvp, hessian, jvp, vjp, jacobian). */
  modes: string[];
  params: string[];
  /** The default arguments as JSON: from `<name>Inputs()` when the source exports it, else inferred from the types. */
  inputs: string;
  inputsFrom: string;
}

export type Request =
  | { kind: "compile"; id: number; source: string }
  | { kind: "run"; id: number; source: string; fn: string; mode: string; inputs: string }
  | { kind: "graph"; id: number; source: string; fn: string; inputs: string | null };

export type Reply =
  | { kind: "compiled"; id: number; generated: string | null; diagnostics: PlainDiagnostic[]; functions: FunctionInfo[]; millis: number }
  | { kind: "ran"; id: number; results: CheckResult[]; value: string; detail: string }
  | { kind: "graphed"; id: number; svg: string; texts: Record<string, string> }
  | { kind: "failed"; id: number; message: string };

/** The path the edited source has inside the worker's in-memory project. */
export const SOURCE_PATH = "/playground/input.ts";
