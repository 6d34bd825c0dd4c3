/**
 * `@jacobian`: a dense Jacobian from n JVPs (n = wrt scalars) or m VJPs (m = outputs),
 * whichever is fewer. Its own forward and reverse sweeps (the passes pipeline.ts gives it)
 * become private helpers; @jvp and @vjp export the public ones.
 *
 *   fJacobian(p1, …, pn): { value, jacobian }
 */
import type { FunctionIR } from "../ir/nodes.ts";
import { Namer } from "../transform/naming.ts";
import { zerosText } from "./hessian.ts";
import { pascalCase, runPasses, startUnit, where, wrtRecordType, type ModeContext, type Pass } from "./unit.ts";

export function jacobianDriver(sweeps: { jvp: readonly Pass[]; vjp: readonly Pass[] }): Pass {
  return {
    name: "driver",
    run(unit) {
      const { ctx } = unit;
      const { fn, request } = ctx;
      const alias = `${pascalCase(fn.name)}JacobianGradient`;
      const jvpName = `${fn.name}JacobianJvp`;
      const vjpName = `${fn.name}JacobianVjp`;
      const sweep = (mode: "jvp" | "vjp") => runPasses(sweeps[mode], startUnit({ ...ctx, request: { ...request, mode } }));
      const jvpUnit = sweep("jvp");
      const vjpUnit = sweep("vjp");
      const [jvp, vjp] = [jvpUnit.output, vjpUnit.output];
      // The reverse branch computes all m rows from one forward sweep with fVjpRowsInto, unless
      // that only calls fVjpInto once per row (its fallback, which also wants a copy of the
      // primal for zero rows: never the case here, m > n ≥ 0); then it calls fVjpInto itself.
      const replayed = !!vjpUnit.reverse!.split;
      const rowsHelper = replayed ? `${vjpName}RowsInto` : `${vjpName}Into`;
      // The Jacobian's own sweeps are implementation details; @jvp/@vjp export the public ones.
      const helpers = [...jvp.functions, ...vjp.functions.filter((f) => f.name === rowsHelper)].map((f) => ({ ...f, exported: false }));
      const record = wrtRecordType(fn, request.wrt);
      const outer = new Namer(fn.params.map((p) => p.name));
      const [fieldsName, dir, n, first, value, m, J, k, t, r, ct, g] = [
        "fields",
        "direction",
        "n",
        "first",
        "value",
        "m",
        "jacobian",
        "k",
        "t",
        "r",
        replayed ? "cotangents" : "cotangent",
        replayed ? "grads" : "grad",
      ].map((x) => outer.fresh(x)) as string[] as [string, string, string, string, string, string, string, string, string, string, string, string];
      const args = fn.params.map((p) => p.name).join(", ");
      const pre = args ? `${args}, ` : "";
      const rec = "{" + record.fields.map((f) => `${f.name}: ${zerosText(f.type, f.name)}`).join(", ") + "}";
      const text = [
        `const ${fieldsName} = ${JSON.stringify(request.wrt)} as const;`,
        `const ${dir}: ${alias} = ${rec};`,
        `const ${n} = recordSize(${dir}, ${fieldsName});`,
        `const ${first} = ${jvpName}(${pre}${dir});`,
        `const ${value} = ${first}.value;`,
        `const ${m} = ${value}.length;`,
        `const ${J}: number[][] = [];`,
        `for (let ${r} = 0; ${r} < ${m}; ${r}++) ${J}.push(new Array<number>(${n}).fill(0));`,
        `if (${n} <= ${m}) {`,
        `  // Forward mode: column k is J·e_k.`,
        `  for (let ${k} = 0; ${k} < ${n}; ${k}++) {`,
        `    setFlat(${dir}, ${fieldsName}, ${k}, 1);`,
        `    const ${t} = ${jvpName}(${pre}${dir}).tangent;`,
        `    for (let ${r} = 0; ${r} < ${m}; ${r}++) ${J}[${r}][${k}] = ${t}[${r}];`,
        `    setFlat(${dir}, ${fieldsName}, ${k}, 0);`,
        `  }`,
        `} else {`,
        ...(replayed
          ? [
              `  // Reverse mode: row r is e_rᵀ·J, all m rows from one forward sweep.`,
              `  const ${ct}: number[][] = [];`,
              `  const ${g}: ${alias}[] = [];`,
              `  for (let ${r} = 0; ${r} < ${m}; ${r}++) {`,
              `    ${ct}.push(new Array<number>(${m}).fill(0));`,
              `    ${ct}[${r}][${r}] = 1;`,
              `    ${g}.push(${rec});`,
              `  }`,
              `  ${vjpName}RowsInto(${pre}${ct}, ${g});`,
              `  for (let ${r} = 0; ${r} < ${m}; ${r}++) readFlat(${g}[${r}], ${fieldsName}, ${J}[${r}]);`,
            ]
          : [
              `  // Reverse mode: row r is e_rᵀ·J (a forward and a reverse sweep each: the reverse`,
              `  // sweep restores overwritten values, so it cannot be replayed).`,
              `  const ${ct} = new Array<number>(${m}).fill(0);`,
              `  const ${g}: ${alias} = ${rec};`,
              `  for (let ${r} = 0; ${r} < ${m}; ${r}++) {`,
              `    ${ct}[${r}] = 1;`,
              `    zeroRecord(${g});`,
              `    ${vjpName}Into(${pre}${ct}, ${g});`,
              `    readFlat(${g}, ${fieldsName}, ${J}[${r}]);`,
              `    ${ct}[${r}] = 0;`,
              `  }`,
            ]),
        `}`,
        `return { value: ${value}, jacobian: ${J} };`,
      ];
      const jacobian: FunctionIR = {
        name: `${fn.name}Jacobian`,
        params: fn.params,
        returnType: { kind: "opaque", text: "" },
        returnTypeText: `{ value: ${fn.returnTypeText}; jacobian: number[][] }`,
        body: [{ kind: "verbatim", lines: text }],
        exported: true,
        span: fn.span,
        doc: replayed
          ? `Value and dense Jacobian of \`${fn.name}\` (rows: outputs; columns: ${request.wrt.join(", ")} flattened\nin declaration order). Uses n forward-mode sweeps, or one forward and m reverse sweeps,\nwhichever is fewer. Generated from ${where(ctx)}.`
          : `Value and dense Jacobian of \`${fn.name}\` (rows: outputs; columns: ${request.wrt.join(", ")} flattened\nin declaration order). Uses n forward sweeps or m reverse sweeps, whichever is fewer.\nGenerated from ${where(ctx)}.`,
      };
      return {
        ...unit,
        output: {
          ...unit.output,
          functions: [...helpers, jacobian],
          typeAliases: [{ name: alias, text: record.text }],
          stacks: vjp.stacks,
          runtime: new Set(["recordSize", "setFlat", "readFlat", ...(replayed ? [] : ["zeroRecord"])]),
        },
      };
    },
  };
}

/** The names @jacobian gives its own sweeps (`fJacobianJvp`, `fJacobianVjp…`), so wrt lists never clash with @jvp's and @vjp's. */
export const jacobianNames = {
  jvp: (ctx: ModeContext) => ({
    name: `${ctx.fn.name}JacobianJvp`,
    alias: `${pascalCase(ctx.fn.name)}JacobianGradient`,
  }),
  vjp: (ctx: ModeContext) => ({
    base: `${ctx.fn.name}JacobianVjp`,
    alias: `${pascalCase(ctx.fn.name)}JacobianGradient`,
  }),
};
