/**
 * The derivatives generated for one file, and the worklist of what they request in turn:
 * a shared callee's pullback (one per callee and pattern of active arguments, called by
 * every caller in the file) and a private copy of a callee's primal (which the forward
 * sweeps call). Each is generated once per file, whichever annotation asked first.
 */
import { Codes, type Diagnostic, type SourceSpan } from "../diagnostics.ts";
import type { FunctionIR, ModuleIR, StackName } from "../ir/nodes.ts";
import type { PullbackRequest } from "../transform/reverse/types.ts";
import type { ModeOutput, PrimalRequest } from "./unit.ts";

export class FileDerivatives {
  readonly functions: FunctionIR[] = [];
  readonly typeAliases: ModuleIR["typeAliases"] = [];
  readonly stacks = new Set<StackName>();
  /** Primals and rules the generated code calls, by the file they come from. */
  readonly imports: { name: string; file: string }[] = [];
  /** runtime/ helpers the generated code calls. */
  readonly runtime = new Set<string>();
  /** Module-level checkpointing schedules, one per checkpointed loop of a generated function. */
  readonly schedules: { name: string; doc: string }[] = [];
  private readonly generated = new Set<string>();
  /** Which function's annotation first asked for each type alias (a clash names both). */
  readonly aliasOwners = new Map<string, { owner: string; line: number }>();
  private readonly pullbacks: PullbackRequest[] = [];
  private readonly primals: PrimalRequest[] = [];

  /** `diagnostics` receives a clash between two annotations' type aliases. */
  constructor(private readonly diagnostics: Diagnostic[]) {}

  /** Adds a mode's output: the functions not generated yet (fJvp from both @jvp and @jacobian once), its aliases, stacks, imports, and its requests. */
  add(output: ModeOutput, owner: string, span: SourceSpan): void {
    for (const f of output.functions) {
      if (this.generated.has(f.name)) continue;
      this.generated.add(f.name);
      this.functions.push(f);
    }
    for (const alias of output.typeAliases) {
      const existing = this.typeAliases.find((a) => a.name === alias.name);
      if (!existing) {
        this.typeAliases.push({ ...alias, doc: alias.doc ?? `Derivative record of \`${owner}\`: one field per differentiated parameter, same shape.` });
        this.aliasOwners.set(alias.name, { owner, line: span.line });
      } else if (existing.text !== alias.text) {
        const first = this.aliasOwners.get(alias.name);
        const message =
          first && first.owner !== owner
            ? `'${first.owner}' (annotated on line ${first.line}) and '${owner}' both need a generated type named '${alias.name}', with different fields; rename one of the two functions`
            : `two annotations on '${owner}' need different '${alias.name}' types; use the same parameter list`;
        this.diagnostics.push({ code: Codes.NameClash, message, ...span });
      }
    }
    for (const x of output.stacks) this.stacks.add(x);
    for (const x of output.imports ?? []) this.imports.push(x);
    for (const x of output.runtime) this.runtime.add(x);
    for (const x of output.schedules ?? []) if (!this.schedules.some((y) => y.name === x.name)) this.schedules.push(x);
    this.pullbacks.push(...(output.pullbacks ?? []));
    this.primals.push(...(output.primals ?? []));
  }

  /**
   * Generates every requested pullback and primal copy, and what those request in turn,
   * until none is left: a pullback's output is added like any mode's; a primal copy goes in
   * as it is, and queues the copies its own shared calls need.
   */
  drain(generate: { pullback(request: PullbackRequest): ModeOutput; primal(request: PrimalRequest): ModeOutput }): void {
    while (this.pullbacks.length > 0 || this.primals.length > 0) {
      const pullback = this.pullbacks.pop();
      if (pullback && !this.generated.has(pullback.name)) this.add(generate.pullback(pullback), pullback.callee, pullback.span);
      const primal = this.primals.pop();
      if (primal && !this.generated.has(primal.name)) {
        this.generated.add(primal.name);
        const copy = generate.primal(primal);
        this.functions.push(...copy.functions);
        this.primals.push(...(copy.primals ?? []));
      }
    }
  }
}
