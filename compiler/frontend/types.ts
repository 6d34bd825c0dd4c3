/**
 * Type shapes: turns the type a user wrote on a parameter or local into an IR ValueType.
 * Purely syntactic (no type checker), so it is fast and predictable.
 */
import { ts } from "ts-morph";
import type { ValueType } from "../ir/nodes.ts";

/** Returns the shape of a written type, or a string explaining why it is not supported. */
export function shapeOfTypeNode(node: ts.TypeNode): ValueType | { error: "any" | "unsupported" } {
  switch (node.kind) {
    case ts.SyntaxKind.NumberKeyword:
      return { kind: "number" };
    case ts.SyntaxKind.BooleanKeyword:
      return { kind: "boolean" };
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return { error: "any" };
    case ts.SyntaxKind.StringKeyword:
      return { kind: "opaque", text: "string" };
    case ts.SyntaxKind.ParenthesizedType:
      return shapeOfTypeNode((node as ts.ParenthesizedTypeNode).type);
    case ts.SyntaxKind.ArrayType: {
      const element = shapeOfTypeNode((node as ts.ArrayTypeNode).elementType);
      if ("error" in element) return element;
      return arrayOf(element, false);
    }
    case ts.SyntaxKind.TypeOperator: {
      const op = node as ts.TypeOperatorNode;
      if (op.operator !== ts.SyntaxKind.ReadonlyKeyword) return { error: "unsupported" };
      const inner = shapeOfTypeNode(op.type);
      if ("error" in inner) return inner;
      return inner.kind === "array" ? { ...inner, readonly: true } : { error: "unsupported" };
    }
    case ts.SyntaxKind.TypeReference: {
      const ref = node as ts.TypeReferenceNode;
      const name = ref.typeName.getText();
      if (name === "Float64Array" && !ref.typeArguments) {
        return { kind: "array", element: { kind: "number" }, container: "float64array", readonly: false };
      }
      if ((name === "Array" || name === "ReadonlyArray") && ref.typeArguments?.length === 1) {
        const element = shapeOfTypeNode(ref.typeArguments[0]!);
        if ("error" in element) return element;
        return arrayOf(element, name === "ReadonlyArray");
      }
      return { error: "unsupported" };
    }
    default:
      return { error: "unsupported" };
  }
}

function arrayOf(element: ValueType, readonly: boolean): ValueType | { error: "unsupported" } {
  if (element.kind === "number" || element.kind === "array") {
    return { kind: "array", element, container: "array", readonly };
  }
  return { error: "unsupported" };
}

/** True for number and (nested) arrays of numbers: the types that can carry a derivative. */
export function isDifferentiable(type: ValueType): boolean {
  if (type.kind === "number") return true;
  if (type.kind === "array") return isDifferentiable(type.element);
  return false;
}

/** The mutable TypeScript type of a gradient of this shape (`readonly number[]` → `number[]`). */
export function gradientTypeText(type: ValueType): string {
  switch (type.kind) {
    case "number": return "number";
    case "array":
      if (type.container === "float64array") return "Float64Array";
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
    case "array": {
      if (type.container === "float64array") return "Float64Array";
      const inner = `${wrapArrayElement(typeText(type.element))}[]`;
      return type.readonly ? `readonly ${inner}` : inner;
    }
  }
}
