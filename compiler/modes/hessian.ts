/**
 * `@hessian`: the HVP entry points and a dense Hessian from one HVP per wrt scalar (or per
 * band colour, `bandwidth=K`), symmetrized so H is exactly symmetric.
 *
 *   fHessian(p1, …, pn): { value, grad, hessian }
 */
import type { FunctionIR, ValueType } from "../ir/nodes.ts";
import { Namer } from "../transform/naming.ts";
import { where, wrtRecordType, type Pass } from "./unit.ts";

export const hessianDriver: Pass = {
  name: "driver",
  run(unit) {
    const { ctx } = unit;
    const hvp = unit.output;
    const { fn, request } = ctx;
    const alias = hvp.typeAliases[0]!.name;
    const record = wrtRecordType(fn, request.wrt);
    const fields = JSON.stringify(request.wrt);
    const args = fn.params.map((p) => p.name).join(", ");
    const outer = new Namer(fn.params.map((p) => p.name));
    const [n, H, v, g, h, column, value, i, j, k, c, colors, band, fieldsName] = [
      "n",
      "hessian",
      "v",
      "grad",
      "hvp",
      "column",
      "value",
      "i",
      "j",
      "k",
      "c",
      "colors",
      "bandwidth",
      "fields",
    ].map((x) => outer.fresh(x)) as string[] as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const zeros = "{" + record.fields.map((f) => `${f.name}: ${zerosText(f.type, f.name)}`).join(", ") + "}";
    const call = `${fn.name}HvpInto(${args}${args ? ", " : ""}${v}, ${g}, ${h})`;
    const banded = request.bandwidth !== undefined;
    const text = [
      `const ${fieldsName} = ${fields} as const;`,
      `const ${v}: ${alias} = ${zeros};`,
      `const ${g}: ${alias} = ${zeros};`,
      `const ${h}: ${alias} = ${zeros};`,
      `const ${n} = recordSize(${v}, ${fieldsName});`,
      banded ? `// Banded (declared bandwidth=${request.bandwidth}): columns k ≡ c (mod 2·bandwidth+1) share one HVP.` : `// Dense: one HVP per column.`,
      `const ${band} = ${banded ? request.bandwidth : n};`,
      `const ${colors} = Math.min(${n}, 2 * ${band} + 1);`,
      `const ${H}: number[][] = [];`,
      `for (let ${i} = 0; ${i} < ${n}; ${i}++) ${H}.push(new Array<number>(${n}).fill(0));`,
      `const ${column} = new Array<number>(${n}).fill(0);`,
      `let ${value} = ${colors} === 0 ? ${call} : 0;`,
      `for (let ${c} = 0; ${c} < ${colors}; ${c}++) {`,
      `  for (let ${k} = ${c}; ${k} < ${n}; ${k} += ${colors}) setFlat(${v}, ${fieldsName}, ${k}, 1);`,
      `  ${value} = ${call};`,
      `  readFlat(${h}, ${fieldsName}, ${column});`,
      `  for (let ${k} = ${c}; ${k} < ${n}; ${k} += ${colors}) {`,
      `    setFlat(${v}, ${fieldsName}, ${k}, 0);`,
      `    const last = Math.min(${n} - 1, ${k} + ${band});`,
      `    for (let ${i} = Math.max(0, ${k} - ${band}); ${i} <= last; ${i}++) ${H}[${i}][${k}] = ${column}[${i}];`,
      `  }`,
      `}`,
      `// Forward-over-reverse gives H up to rounding; average with Hᵀ so it is exactly symmetric.`,
      `for (let ${i} = 0; ${i} < ${n}; ${i}++) {`,
      `  for (let ${j} = 0; ${j} < ${i}; ${j}++) {`,
      `    const mean = 0.5 * (${H}[${i}][${j}] + ${H}[${j}][${i}]);`,
      `    ${H}[${i}][${j}] = mean;`,
      `    ${H}[${j}][${i}] = mean;`,
      `  }`,
      `}`,
      `return { value: ${value}, grad: ${g}, hessian: ${H} };`,
    ];
    const hessian: FunctionIR = {
      name: `${fn.name}Hessian`,
      params: fn.params,
      returnType: { kind: "opaque", text: "" },
      returnTypeText: `{ value: number; grad: ${alias}; hessian: number[][] }`,
      body: [{ kind: "verbatim", lines: text }],
      exported: true,
      span: fn.span,
      doc: `Value, gradient and dense Hessian of \`${fn.name}\` over ${request.wrt.join(", ")} flattened in declaration order\n(arrays row-major), from ${request.bandwidth !== undefined ? `2·${request.bandwidth}+1 Hessian-vector products (declared banded)` : "one Hessian-vector product per entry of the flattened parameters"}.\nGenerated from ${where(ctx)}.`,
    };
    return {
      ...unit,
      output: {
        ...hvp,
        functions: [...hvp.functions, hessian],
        runtime: new Set(["recordSize", "setFlat", "readFlat"]),
      },
    };
  },
};

export function zerosText(type: ValueType, like: string): string {
  if (type.kind === "number") return "0";
  if (type.kind === "record") return `{ ${type.fields.map((f) => `${f.name}: ${zerosText(f.type, `${like}.${f.name}`)}`).join(", ")} }`;
  if (type.kind !== "array") return "0";
  if (type.container === "float64array") return `new Float64Array(${like}.length)`;
  if (type.container === "float32array") return `new Float32Array(${like}.length)`;
  if (type.container === "int32array") return `new Int32Array(${like}.length)`;
  if (type.element.kind === "number") return `new Array<number>(${like}.length).fill(0)`;
  return `${like}.map((row) => new Array<number>(row.length).fill(0))`;
}

/** Dense Jacobian from n JVPs (n = wrt scalars) or m VJPs (m = outputs), whichever is fewer. */
