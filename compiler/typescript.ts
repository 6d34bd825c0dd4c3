/**
 * TypeScript's compiler API, the copy ts-morph bundles (ts-morph 28: TypeScript 6.0), loaded
 * with `require` and without the rest of ts-morph. The compiler parses with `ts` directly
 * (frontend/parse.ts) and needs none of ts-morph's wrappers: loading only TypeScript's own
 * file saves every start of the command the compilation of ts-morph's two other megabytes
 * of JavaScript (~0.07 s), and its calls skip the getter through which ts-morph's frozen
 * `ts` namespace forwards every member. Required rather than imported (as an ES import,
 * Node would first scan the CommonJS for its export names), through V8's code cache
 * (codeCache.ts). The compiler imports `ts` from here, never from "ts-morph"
 * (test/layers.test.ts checks that), and types from either.
 *
 * `ts` is a value (the API) and, for type annotations, a namespace of the API's types that the
 * compiler names; when tsc says a type is not an exported member of `ts`, add it below.
 * (The playground's bundle maps this file to an ordinary import: playground/vite.config.ts.)
 */
import { createRequire } from "node:module";
import type * as TsMorph from "ts-morph";
import { requireWithCodeCache } from "./codeCache.ts";

/**
 * The module ts-morph's `ts` forwards to: @ts-morph/common's bundled typescript.js, found
 * from where ts-morph is installed (as ts-morph itself finds it). Should a later ts-morph
 * put it elsewhere, its `ts` (loading the whole of ts-morph) serves.
 */
function loadTypeScript(): typeof TsMorph.ts {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = createRequire(require.resolve("ts-morph")).resolve("@ts-morph/common/dist/typescript.js");
  } catch {
    return (require("ts-morph") as typeof TsMorph).ts;
  }
  return requireWithCodeCache(file) as typeof TsMorph.ts;
}

/** Members the compiler reads on every node or statement, besides the `is…` tests. */
const DIRECT = new Set(["forEachChild", "SyntaxKind", "NodeFlags", "ScriptTarget", "ScriptKind", "getLeadingCommentRanges", "getTextOfJSDocComment", "getModifiers", "canHaveModifiers", "createSourceFile"]);

export const ts: typeof TsMorph.ts = withDirectMembers(loadTypeScript());

/**
 * The API with its node tests (`isIdentifier`, …: TypeScript's `is…` functions),
 * `forEachChild` and its syntax enums as plain members. The module's own members are
 * getters (its bundler's exports) on an object of ~2,250 of them, which V8 keeps as a hash
 * table: every `ts.isIdentifier(n)` or `ts.SyntaxKind.Identifier` was a hash lookup and a
 * getter call, which optimized code cannot inline, and the lowering asks them of every
 * node. These members are declared once in TypeScript and never reassigned, so a copy is
 * the same value for good; everything else is read through the module, the prototype.
 */
function withDirectMembers(module: typeof TsMorph.ts): typeof TsMorph.ts {
  const members = module as unknown as Record<string, unknown>;
  // (Made at once: an object given this many members one by one becomes a hash table too.)
  const direct = Object.fromEntries(Object.keys(members).filter((name) => /^is[A-Z]/.test(name) || DIRECT.has(name)).map((name) => [name, members[name]]));
  return Object.setPrototypeOf(direct, module) as typeof TsMorph.ts;
}

/** The API's types the compiler names, as `ts.Node` and so on. */
export declare namespace ts {
  export type ArrayBindingElement = TsMorph.ts.ArrayBindingElement;
  export type ArrayBindingPattern = TsMorph.ts.ArrayBindingPattern;
  export type ArrayLiteralExpression = TsMorph.ts.ArrayLiteralExpression;
  export type ArrayTypeNode = TsMorph.ts.ArrayTypeNode;
  export type ArrowFunction = TsMorph.ts.ArrowFunction;
  export type AsExpression = TsMorph.ts.AsExpression;
  export type BinaryExpression = TsMorph.ts.BinaryExpression;
  export type BindingElement = TsMorph.ts.BindingElement;
  export type BindingName = TsMorph.ts.BindingName;
  export type BindingPattern = TsMorph.ts.BindingPattern;
  export type Block = TsMorph.ts.Block;
  export type BreakOrContinueStatement = TsMorph.ts.BreakOrContinueStatement;
  export type CallExpression = TsMorph.ts.CallExpression;
  export type ClassDeclaration = TsMorph.ts.ClassDeclaration;
  export type ConditionalExpression = TsMorph.ts.ConditionalExpression;
  export type ConstructorDeclaration = TsMorph.ts.ConstructorDeclaration;
  export type DiagnosticWithLocation = TsMorph.ts.DiagnosticWithLocation;
  export type DoStatement = TsMorph.ts.DoStatement;
  export type ElementAccessExpression = TsMorph.ts.ElementAccessExpression;
  export type EnumDeclaration = TsMorph.ts.EnumDeclaration;
  export type Expression = TsMorph.ts.Expression;
  export type ExpressionStatement = TsMorph.ts.ExpressionStatement;
  export type ForInStatement = TsMorph.ts.ForInStatement;
  export type ForInitializer = TsMorph.ts.ForInitializer;
  export type ForOfStatement = TsMorph.ts.ForOfStatement;
  export type ForStatement = TsMorph.ts.ForStatement;
  export type FunctionDeclaration = TsMorph.ts.FunctionDeclaration;
  export type FunctionExpression = TsMorph.ts.FunctionExpression;
  export type GetAccessorDeclaration = TsMorph.ts.GetAccessorDeclaration;
  export type Identifier = TsMorph.ts.Identifier;
  export type IfStatement = TsMorph.ts.IfStatement;
  export type InterfaceDeclaration = TsMorph.ts.InterfaceDeclaration;
  export type JSDoc = TsMorph.ts.JSDoc;
  export type JSDocTag = TsMorph.ts.JSDocTag;
  export type LabeledStatement = TsMorph.ts.LabeledStatement;
  export type LiteralTypeNode = TsMorph.ts.LiteralTypeNode;
  export type MethodDeclaration = TsMorph.ts.MethodDeclaration;
  export type ModifierLike = TsMorph.ts.ModifierLike;
  export type NamedImports = TsMorph.ts.NamedImports;
  export type NewExpression = TsMorph.ts.NewExpression;
  export type Node = TsMorph.ts.Node;
  export type NodeArray<T extends Node> = TsMorph.ts.NodeArray<T>;
  export type NumericLiteral = TsMorph.ts.NumericLiteral;
  export type ObjectLiteralExpression = TsMorph.ts.ObjectLiteralExpression;
  export type ParameterDeclaration = TsMorph.ts.ParameterDeclaration;
  export type ParenthesizedExpression = TsMorph.ts.ParenthesizedExpression;
  export type ParenthesizedTypeNode = TsMorph.ts.ParenthesizedTypeNode;
  export type PrefixUnaryExpression = TsMorph.ts.PrefixUnaryExpression;
  export type PostfixUnaryExpression = TsMorph.ts.PostfixUnaryExpression;
  export type PropertyAccessExpression = TsMorph.ts.PropertyAccessExpression;
  export type PropertyAssignment = TsMorph.ts.PropertyAssignment;
  export type PropertyDeclaration = TsMorph.ts.PropertyDeclaration;
  export type PropertyName = TsMorph.ts.PropertyName;
  export type ReturnStatement = TsMorph.ts.ReturnStatement;
  export type SignatureDeclaration = TsMorph.ts.SignatureDeclaration;
  export type SourceFile = TsMorph.ts.SourceFile;
  export type Statement = TsMorph.ts.Statement;
  export type StringLiteral = TsMorph.ts.StringLiteral;
  export type SwitchStatement = TsMorph.ts.SwitchStatement;
  export type SyntaxKind = TsMorph.ts.SyntaxKind;
  export type TupleTypeNode = TsMorph.ts.TupleTypeNode;
  export type TypeAliasDeclaration = TsMorph.ts.TypeAliasDeclaration;
  export type TypeElement = TsMorph.ts.TypeElement;
  export type TypeLiteralNode = TsMorph.ts.TypeLiteralNode;
  export type TypeNode = TsMorph.ts.TypeNode;
  export type TypeOperatorNode = TsMorph.ts.TypeOperatorNode;
  export type TypeReferenceNode = TsMorph.ts.TypeReferenceNode;
  export type VariableDeclaration = TsMorph.ts.VariableDeclaration;
  export type VariableDeclarationList = TsMorph.ts.VariableDeclarationList;
  export type VariableStatement = TsMorph.ts.VariableStatement;
  export type WhileStatement = TsMorph.ts.WhileStatement;
}
