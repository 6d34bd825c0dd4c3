/**
 * Helpers over the IR's value types: the leaves of a record (and the expression reaching
 * one), which types carry a derivative, and how a type (or its gradient's type) is written
 * in TypeScript.
 */
import { field } from "./build.ts";
import type { Expr, ValueType } from "./nodes.ts";

/** Every numeric leaf of a value, as a dotted path from `root` (`p.W1`, `p.layer.b`). */
export function leafPaths(root: string, type: ValueType): { path: string; type: ValueType }[] {
  if (type.kind === "record") return type.fields.flatMap((f) => leafPaths(`${root}.${f.name}`, f.type));
  return [{ path: root, type }];
}

/** True for number and (nested) arrays of numbers: the types that can carry a derivative. */
export function isDifferentiable(type: ValueType): boolean {
  if (type.kind === "number") return true;
  // An optional field (`eps?: number`, an option) may be undefined: such an object is passed through.
  if (type.kind === "record") return type.fields.length > 0 && type.fields.every((f) => !f.optional && isDifferentiable(f.type));
  if (type.kind === "array") return type.container !== "int32array" && isDifferentiable(type.element);
  return false;
}

/** The mutable TypeScript type of a gradient of this shape (`readonly number[]` → `number[]`). */
export function gradientTypeText(type: ValueType): string {
  switch (type.kind) {
    case "number": return "number";
    case "record": {
      if (type.arrayOfRecords) return `${wrapArrayElement(gradientTypeText(elementOfRecords(type)))}[]`;
      return `{ ${type.fields.map((f) => `${f.name}: ${gradientTypeText(f.type)}`).join("; ")} }`;
    }
    case "array":
      if (type.container === "float64array") return "Float64Array";
      if (type.container === "float32array") return "Float32Array";
      if (type.container === "int32array") return "Int32Array";
      return `${wrapArrayElement(gradientTypeText(type.element))}[]`;
    default: return "never";
  }
}

function wrapArrayElement(text: string): string {
  return /^[\w.]+(\[\])*$/.test(text) ? text : `(${text})`;
}

export function typeText(type: ValueType): string {
  switch (type.kind) {
    case "number": return "number";
    case "boolean": return "boolean";
    case "opaque": return type.text;
    case "record": {
      if (type.arrayOfRecords) return `${wrapArrayElement(typeText(elementOfRecords(type)))}[]`;
      return type.name ?? `{ ${type.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${typeText(f.type)}`).join("; ")} }`;
    }
    case "array": {
      if (type.container === "float64array") return "Float64Array";
      if (type.container === "float32array") return "Float32Array";
      if (type.container === "int32array") return "Int32Array";
      const inner = `${wrapArrayElement(typeText(type.element))}[]`;
      return type.readonly ? `readonly ${inner}` : inner;
    }
  }
}

/** The type of one element of an array of records (`Dense` for `Dense[]`, held as a record of arrays). */
export function elementOfRecords(type: Extract<ValueType, { kind: "record" }>): Extract<ValueType, { kind: "record" }> {
  const fields = type.fields.map((f) => ({ name: f.name, type: f.type.kind === "array" ? f.type.element : f.type }));
  return { kind: "record", ...(type.name !== undefined && { name: type.name }), fields };
}

/** The expression reaching a leaf of a record: `grad` + `p.layer.W` → `grad.p.layer.W`. */
export function pathIn(record: Expr, path: string): Expr {
  return path.split(".").reduce((e, name) => field(e, name), record);
}
