/**
 * Type shapes: turns the type a user wrote on a parameter or local into an IR ValueType.
 * Purely syntactic (no type checker), so it is fast and predictable.
 */
import { ts } from "../typescript.ts";
import type { ValueType } from "../ir/nodes.ts";

/**
 * Finds the declaration behind a type name, in this file or imported: an interface, a type
 * alias, a class (its fields), an enum (an opaque tag), or the constraint a type parameter
 * stands for (`T` in `<T extends number[]>`).
 */
export type TypeResolver = (name: string) => ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.ClassDeclaration | ts.EnumDeclaration | ts.TypeNode | undefined;

/** Returns the shape of a written type, or a string explaining why it is not supported. */
export function shapeOfTypeNode(node: ts.TypeNode, resolve?: TypeResolver, depth = 0): ValueType | { error: "any" | "unsupported" } {
  const recurse = (t: ts.TypeNode) => shapeOfTypeNode(t, resolve, depth + 1);
  if (depth > 16) return { error: "unsupported" };
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
    case ts.SyntaxKind.VoidKeyword:
      return { kind: "opaque", text: "void" };
    case ts.SyntaxKind.ParenthesizedType:
      return recurse((node as ts.ParenthesizedTypeNode).type);
    case ts.SyntaxKind.ArrayType: {
      const element = recurse((node as ts.ArrayTypeNode).elementType);
      if ("error" in element) return element;
      return arrayOf(element, false);
    }
    case ts.SyntaxKind.TypeOperator: {
      const op = node as ts.TypeOperatorNode;
      if (op.operator !== ts.SyntaxKind.ReadonlyKeyword) return { error: "unsupported" };
      const inner = recurse(op.type);
      if ("error" in inner) return inner;
      if (inner.kind === "record" && inner.arrayOfRecords) return { ...inner, fields: inner.fields.map((f) => ({ ...f, type: { ...f.type, readonly: true } as ValueType })) };
      return inner.kind === "array" ? { ...inner, readonly: true } : { error: "unsupported" };
    }
    case ts.SyntaxKind.TypeReference: {
      const ref = node as ts.TypeReferenceNode;
      const name = ts.isIdentifier(ref.typeName) ? ref.typeName.text : ref.typeName.getText();
      if (name === "Float64Array" && !ref.typeArguments) {
        return { kind: "array", element: { kind: "number" }, container: "float64array", readonly: false };
      }
      if (name === "Float32Array" && !ref.typeArguments) {
        return { kind: "array", element: { kind: "number" }, container: "float32array", readonly: false };
      }
      if (name === "Int32Array" && !ref.typeArguments) {
        return { kind: "array", element: { kind: "number" }, container: "int32array", readonly: false };
      }
      if ((name === "Array" || name === "ReadonlyArray") && ref.typeArguments?.length === 1) {
        const element = recurse(ref.typeArguments[0]!);
        if ("error" in element) return element;
        return arrayOf(element, name === "ReadonlyArray");
      }
      if (name === "Readonly" && ref.typeArguments?.length === 1) return recurse(ref.typeArguments[0]!);
      // `ArrayLike<number>` (a generic's usual bound): read by index and length only.
      if (name === "ArrayLike" && ref.typeArguments?.length === 1) {
        const element = recurse(ref.typeArguments[0]!);
        if ("error" in element) return element;
        return arrayOf(element, true);
      }
      const declaration = !ref.typeArguments && resolve ? resolve(name) : undefined;
      if (declaration && !isDeclarationKind(declaration)) return recurse(declaration as ts.TypeNode);
      // A numeric enum is a number (never differentiated by default: annotations.ts); a string enum passes through.
      if (declaration && ts.isEnumDeclaration(declaration)) {
        const numeric = declaration.members.every((m) => !m.initializer || !(ts.isStringLiteral(m.initializer) || ts.isNoSubstitutionTemplateLiteral(m.initializer)));
        return numeric ? { kind: "number" } : { kind: "opaque", text: name };
      }
      if (declaration && ts.isClassDeclaration(declaration) && !declaration.typeParameters) {
        const shape = recordOfClass(declaration, resolve, depth);
        return "error" in shape || shape.kind !== "record" ? shape : { ...shape, name };
      }
      if (declaration && ts.isTypeAliasDeclaration(declaration) && !declaration.typeParameters) {
        const shape = shapeOfTypeNode(declaration.type, resolve, depth + 1);
        return "error" in shape || shape.kind !== "record" ? shape : { ...shape, name };
      }
      if (declaration && ts.isInterfaceDeclaration(declaration) && !declaration.typeParameters && !declaration.heritageClauses) {
        const shape = recordOf(declaration.members, resolve, depth);
        return "error" in shape || shape.kind !== "record" ? shape : { ...shape, name };
      }
      return { error: "unsupported" };
    }
    case ts.SyntaxKind.TypeLiteral:
      return recordOf((node as ts.TypeLiteralNode).members, resolve, depth);
    case ts.SyntaxKind.TupleType: {
      // `[number, number]`: a number array of that length (tuples of numbers only).
      const elements = (node as ts.TupleTypeNode).elements.map((e) => recurse(ts.isNamedTupleMember(e) ? e.type : e));
      if (elements.length === 0 || elements.some((e) => "error" in e || e.kind !== "number")) return { error: "unsupported" };
      return { kind: "array", element: { kind: "number" }, container: "array", readonly: false };
    }
    case ts.SyntaxKind.LiteralType:
      // `1 | 2`-style numeric literal types read as numbers.
      return ts.isNumericLiteral((node as ts.LiteralTypeNode).literal) ? { kind: "number" } : { error: "unsupported" };
    default:
      return { error: "unsupported" };
  }
}

function isDeclarationKind(node: ts.Node): boolean {
  return ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isClassDeclaration(node) || ts.isEnumDeclaration(node);
}

/** The record of a class of the program: its fields (declared and parameter properties), or why it has none. */
export function shapeOfClass(c: ts.ClassDeclaration, resolve?: TypeResolver): ValueType | { error: "any" | "unsupported" } {
  return recordOfClass(c, resolve, 0);
}

/**
 * A class holding parameters (`class Linear { w: number[]; b: number }`, or constructor
 * parameter properties): a record of its instance fields. Methods are lowered as functions
 * with a receiver (frontend/functions.ts); private fields cannot be read by generated code.
 */
function recordOfClass(c: ts.ClassDeclaration, resolve: TypeResolver | undefined, depth: number): ValueType | { error: "any" | "unsupported" } {
  const fields: { name: string; type: ValueType }[] = [];
  const add = (name: ts.PropertyName | ts.BindingName, type: ts.TypeNode | undefined, modifiers: readonly ts.ModifierLike[] | undefined) => {
    if (!ts.isIdentifier(name) || !type) return false;
    if (modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.StaticKeyword)) return true;
    const shape = shapeOfTypeNode(type, resolve, depth + 1);
    if ("error" in shape) return false;
    fields.push({ name: name.text, type: shape });
    return true;
  };
  if (c.heritageClauses?.length) return { error: "unsupported" };
  for (const m of c.members) {
    if (ts.isPropertyDeclaration(m) && !add(m.name, m.type ?? numberInitializer(m.initializer), m.modifiers)) return { error: "unsupported" };
    if (ts.isConstructorDeclaration(m)) {
      for (const p of m.parameters) {
        const property = p.modifiers?.some((x) => [ts.SyntaxKind.PublicKeyword, ts.SyntaxKind.ReadonlyKeyword, ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword].includes(x.kind));
        if (property && !add(p.name, p.type, p.modifiers)) return { error: "unsupported" };
      }
    }
  }
  return { kind: "record", fields };
}

/** `b = 0` or `gain = -1.5`: a field without a written type that TypeScript reads as a number. */
function numberInitializer(initializer: ts.Expression | undefined): ts.TypeNode | undefined {
  if (!initializer) return undefined;
  const literal = ts.isPrefixUnaryExpression(initializer) && initializer.operator === ts.SyntaxKind.MinusToken ? initializer.operand : initializer;
  return ts.isNumericLiteral(literal) ? ts.factory.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword) : undefined;
}

function recordOf(members: ts.NodeArray<ts.TypeElement>, resolve: TypeResolver | undefined, depth: number): ValueType | { error: "any" | "unsupported" } {
  const fields: { name: string; type: ValueType }[] = [];
  for (const m of members) {
    if (!ts.isPropertySignature(m) || !m.type || !ts.isIdentifier(m.name)) return { error: "unsupported" };
    const type = shapeOfTypeNode(m.type, resolve, depth + 1);
    if ("error" in type) return type;
    // `eps?: number` in an options object: a number that may be undefined (read through `??`).
    if (m.questionToken && type.kind !== "number") return { error: "unsupported" };
    fields.push({ name: m.name.text, type, ...(m.questionToken && { optional: true }) });
  }
  return { kind: "record", fields };
}

function arrayOf(element: ValueType, readonly: boolean): ValueType | { error: "unsupported" } {
  if (element.kind === "number" || (element.kind === "array" && !containsRecords(element))) {
    return { kind: "array", element, container: "array", readonly };
  }
  if (recordsProblem(element) === undefined && element.kind === "record") {
    // `Dense[]`: held field by field (the IR's arrayOfRecords), one array per field.
    const fields = element.fields.map((f) => ({ name: f.name, type: { kind: "array", element: f.type, container: "array", readonly } satisfies ValueType }));
    return { kind: "record", ...(element.name !== undefined && { name: element.name }), fields, arrayOfRecords: true };
  }
  return { error: "unsupported" };
}

function containsRecords(t: ValueType): boolean {
  return t.kind === "record" || (t.kind === "array" && containsRecords(t.element));
}

/**
 * Why an array of this element type cannot be an array of parameter records, or undefined
 * if it can: the element is an object whose fields are numbers or arrays of numbers (any
 * depth, `number[]`, `Float64Array`, `number[][]`), the shapes a field of the records'
 * struct of arrays can take.
 */
export function recordsProblem(element: ValueType): string | undefined {
  if (element.kind !== "record") return "its elements are not objects";
  if (element.arrayOfRecords) return "it is an array of arrays of objects; pass one array of objects (flatten the outer array into it, or pass each as a parameter)";
  if (element.fields.length === 0) return "its objects have no fields";
  for (const f of element.fields) {
    const numeric = (t: ValueType): boolean => t.kind === "number" || (t.kind === "array" && t.container !== "int32array" && numeric(t.element));
    if (!numeric(f.type)) {
      if (f.type.kind === "record") return `field '${f.name}' of its objects is an object; objects in an array may hold only numbers and numeric arrays (move the fields of '${f.name}' into the object itself)`;
      const what = f.type.kind === "opaque" ? `a ${f.type.text}` : f.type.kind === "boolean" ? "a boolean" : "not a number or a numeric array";
      return `field '${f.name}' of its objects is ${what}; objects in an array may hold only numbers and numeric arrays (pass the other fields as a separate parameter)`;
    }
  }
  return undefined;
}

/**
 * For a written array of objects that is not an array of parameter records (`Layer[]` where
 * Layer has a string field), why not; undefined for any other type.
 */
export function arrayOfRecordsProblem(node: ts.TypeNode, resolve?: TypeResolver): string | undefined {
  let element: ts.TypeNode | undefined;
  let t = node;
  while (ts.isParenthesizedTypeNode(t) || (ts.isTypeOperatorNode(t) && t.operator === ts.SyntaxKind.ReadonlyKeyword)) t = t.type;
  if (ts.isArrayTypeNode(t)) element = t.elementType;
  else if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && (t.typeName.text === "Array" || t.typeName.text === "ReadonlyArray") && t.typeArguments?.length === 1) element = t.typeArguments[0];
  if (!element) return undefined;
  const shape = shapeOfTypeNode(element, resolve);
  if ("error" in shape) return shape.error === "any" ? undefined : "its elements are not objects of numbers and numeric arrays";
  if (shape.kind !== "record") return undefined;
  return recordsProblem(shape);
}

/** How a message names a value's type. */
export function describeType(t: ValueType): string {
  switch (t.kind) {
    case "number": return "a number";
    case "boolean": return "a boolean";
    case "array": return "an array";
    case "record": return "an object";
    case "opaque": return `a '${t.text}'`;
  }
}
