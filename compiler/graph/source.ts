/**
 * The front end's view of one function, for the graph: parse the build's sources, lower
 * the function (the same lowering the compiler differentiates) and inline the helpers it
 * calls. No disk, no Node module: the CLI and the playground both call this.
 *
 * Helpers are inlined in full, including those with a `@vjpOf` rule: the graph shows the
 * derivative of the code as written.
 */
import { ts } from "../typescript.ts";
import { DiagnosticError, Codes, type Diagnostic } from "../diagnostics.ts";
import { ProgramIndex } from "../frontend/program.ts";
import { lowerFunction } from "../frontend/lower.ts";
import { functionSources, type FunctionSource } from "../frontend/functions.ts";
import type { FunctionIR } from "../ir/nodes.ts";
import { inlineCalls } from "../transform/inline.ts";
import { Namer } from "../transform/naming.ts";
import type { SourceInput } from "../pipeline.ts";
import type { SourceView } from "./structure.ts";

export type LoweredFunction =
  | { ok: true; fn: FunctionIR; sources: SourceView }
  | { ok: false; diagnostics: Diagnostic[] };

/** The lowered, inlined IR of `name` in `file` (default: the file's only annotated function, else its only function). */
export function lowerForGraph(inputs: readonly SourceInput[], file: string, name?: string): LoweredFunction {
  const program = new ProgramIndex();
  const files = new Map<string, ts.SourceFile>();
  const texts = new Map<string, string>();
  for (const input of inputs) {
    files.set(input.path, program.add(input.path, input.text));
    texts.set(input.path, input.text);
  }
  const sf = files.get(file);
  if (!sf) return fail({ code: Codes.UnreadableFile, message: `'${file}' is not among the sources`, file, line: 1, column: 1, length: 1 });
  const syntax = (sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  if (syntax.length > 0) {
    return {
      ok: false,
      diagnostics: syntax.map((d) => {
        const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
        return { code: Codes.SyntaxError, message: ts.flattenDiagnosticMessageText(d.messageText, " "), file, line: line + 1, column: character + 1, length: Math.max(1, d.length) };
      }),
    };
  }
  const discovery = program.discovery(file);
  const declared = discovery.module.functions;
  let source: FunctionSource | undefined;
  if (name !== undefined) {
    source = declared.find((d) => d.name === name || d.localName === name);
    if (!source) {
      const known = declared.map((d) => d.localName ?? d.name).join(", ") || "none";
      return fail({ code: Codes.UnsupportedCall, message: `no function '${name}' in ${file} (functions: ${known})`, file, line: 1, column: 1, length: 1 });
    }
  } else {
    const annotated = discovery.functions.map((f) => f.source);
    const candidates = annotated.length > 0 ? annotated : declared;
    if (candidates.length !== 1) {
      const known = candidates.map((d) => d.localName ?? d.name).join(", ") || "none";
      return fail({
        code: Codes.UnsupportedCall,
        message: `${file} has ${candidates.length === 0 ? "no function" : `several ${annotated.length > 0 ? "annotated " : ""}functions (${known})`}: name one as FILE:FUNCTION`,
        file,
        line: 1,
        column: 1,
        length: 1,
      });
    }
    source = candidates[0]!;
  }
  try {
    const lowered = lowerFunction(source, sf, file, discovery.module);
    const fn = inlineCalls(lowered, (callee, span) => program.callee(span.file, callee, span), Namer.forFunction(lowered, discovery.module.functionNames));
    const sources: SourceView = {
      text: (f) => texts.get(f),
      functionAt: (f, line) => {
        const sourceFile = files.get(f);
        if (!sourceFile) return undefined;
        for (const candidate of functionSources(sourceFile)) {
          const start = sourceFile.getLineAndCharacterOfPosition(candidate.node.getStart(sourceFile)).line + 1;
          const end = sourceFile.getLineAndCharacterOfPosition(candidate.node.getEnd()).line + 1;
          if (line >= start && line <= end) return candidate.localName ?? candidate.name;
        }
        return undefined;
      },
    };
    return { ok: true, fn, sources };
  } catch (error) {
    if (error instanceof DiagnosticError) return fail(error.diagnostic);
    throw error;
  }
}

function fail(diagnostic: Diagnostic): LoweredFunction {
  return { ok: false, diagnostics: [diagnostic] };
}
