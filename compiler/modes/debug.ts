/**
 * Debug-build checks (`tsgrad build --debug`, or `debug: true` in compileSources).
 *
 * Generated derivatives assume that a differentiated array argument shares no storage with
 * any other array argument or with the gradient buffers: adjoints are accumulated in place,
 * so aliasing would silently mix two derivatives. Release builds trust the caller; debug
 * builds check it on entry and check on exit that every value pushed was popped.
 */
import * as b from "../ir/build.ts";
import type { Expr, FunctionIR, StackName, Stmt, ValueType } from "../ir/nodes.ts";

/** Array-valued paths of a parameter list (`x`, `p.W1`), with whether they are differentiated. */
function arrayPaths(fn: FunctionIR, wrt: string[]): { path: string; wrt: boolean }[] {
  return fn.params.flatMap((p) => arrayLeaves(p.name, p.type).map((path) => ({ path, wrt: wrt.includes(p.name) })));
}

/** The arrays of a value: its array leaves, an array of records as one array (`layers`, not its fields' columns). */
function arrayLeaves(root: string, type: ValueType): string[] {
  if (type.kind === "record" && type.arrayOfRecords) return [root];
  if (type.kind === "record") return type.fields.flatMap((f) => arrayLeaves(`${root}.${f.name}`, f.type));
  return type.kind === "array" ? [root] : [];
}

/**
 * Entry checks: no differentiated array aliases another argument or a derivative buffer.
 * `betweenInputs` false checks the buffers only (a buffer bound per row of fVjpRowsInto).
 */
export function aliasChecks(fn: FunctionIR, wrt: string[], buffers: { name: string; type: ValueType }[], betweenInputs = true): Stmt[] {
  const inputs = arrayPaths(fn, wrt);
  const outputs = buffers.flatMap((buffer) => arrayLeaves(buffer.name, buffer.type));
  const checks: Stmt[] = [];
  for (let i = 0; i < inputs.length; i++) {
    for (let j = i + 1; j < inputs.length && betweenInputs; j++) {
      if (!inputs[i]!.wrt && !inputs[j]!.wrt) continue;
      checks.push(distinct(inputs[i]!.path, inputs[j]!.path));
    }
    for (const out of outputs) checks.push(distinct(inputs[i]!.path, out));
  }
  return checks.length ? [b.comment("debug build: arguments must not share storage"), ...checks] : [];
}

function distinct(a: string, other: string): Stmt {
  return {
    kind: "check",
    failsWhen: { kind: "sameObject", left: b.v(a), right: b.v(other) },
    message: `tsgrad: '${a}' and '${other}' are the same array; differentiated arrays must not alias other arguments`,
  };
}

/** Exit check: the stacks hold exactly what they held on entry. */
export function stackBalance(stacks: StackName[]): { entry: Stmt[]; exit: Stmt[] } {
  if (stacks.length === 0) return { entry: [], exit: [] };
  const depth = stacks.map((stack): Expr => ({ kind: "stackSize", stack })).reduce((sum, size) => b.add(sum, size));
  return {
    entry: [b.declare("stackDepthOnEntry", depth)],
    exit: [{ kind: "check", failsWhen: b.bin("!==", depth, b.v("stackDepthOnEntry")), message: "tsgrad: unbalanced stacks (a push without its pop)" }],
  };
}
