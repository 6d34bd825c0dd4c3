/**
 * Module-level constant values a differentiated function may read, evaluated at compile
 * time: `const EPS = 1e-8`, `const TWO_PI = 2 * Math.PI`, `const N = COEFFS.length`,
 * coefficient tables `const COEFFS = [1, -0.5, 0.25]` (also `number[][]`, `as const`,
 * `readonly`), and the members of (const) enums with numeric values. `Number.EPSILON` and
 * the other `Number` constants are values here too (NUMBER_CONSTANTS).
 *
 * Takes: a source file. Gives: name → number, name → table, enum → member → number.
 * A `const` whose value is not such a constant is simply absent (reading it is then
 * rejected by the lowering, which says why).
 */
import { ts } from "../typescript.ts";

/** A module-level table of numbers: a row of numbers, or rows of rows. */
export type Table = number[] | Table[];

export interface ModuleValues {
  /** Module-level `const NAME = <constant expression>`: inlined where read. */
  numericConstants: Map<string, number>;
  /** Module-level `const NAME = [ … ]` tables of numbers. */
  constantTables: Map<string, Table>;
  /** Enums whose members all have numeric values: `Kind.Linear` → 0. */
  enums: Map<string, Map<string, number>>;
  /** Module-level `const` names whose value is not a compile-time constant, with the reason. */
  otherConstants: Map<string, string>;
}

/** `Number.EPSILON` and friends, read as the numbers they are. */
export const NUMBER_CONSTANTS: Record<string, number> = {
  EPSILON: Number.EPSILON,
  MAX_VALUE: Number.MAX_VALUE,
  MIN_VALUE: Number.MIN_VALUE,
  MAX_SAFE_INTEGER: Number.MAX_SAFE_INTEGER,
  MIN_SAFE_INTEGER: Number.MIN_SAFE_INTEGER,
  POSITIVE_INFINITY: Number.POSITIVE_INFINITY,
  NEGATIVE_INFINITY: Number.NEGATIVE_INFINITY,
  NaN: Number.NaN,
};

const MATH_VALUES: Record<string, number> = { PI: Math.PI, E: Math.E, LN2: Math.LN2, LN10: Math.LN10, LOG2E: Math.LOG2E, LOG10E: Math.LOG10E, SQRT2: Math.SQRT2, SQRT1_2: Math.SQRT1_2 };
const MATH_FUNCTIONS: Record<string, (...xs: number[]) => number> = {
  sqrt: Math.sqrt, exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, sin: Math.sin, cos: Math.cos, tan: Math.tan,
  atan: Math.atan, abs: Math.abs, pow: Math.pow, min: Math.min, max: Math.max, cbrt: Math.cbrt, floor: Math.floor, ceil: Math.ceil, round: Math.round,
};

export function moduleValues(sf: ts.SourceFile): ModuleValues {
  const values: ModuleValues = { numericConstants: new Map(), constantTables: new Map(), enums: new Map(), otherConstants: new Map() };
  const evaluate = (e: ts.Expression) => constantValue(e, values);
  for (const s of sf.statements) {
    if (ts.isEnumDeclaration(s)) {
      const members = new Map<string, number>();
      let next = 0;
      let numeric = true;
      for (const m of s.members) {
        const value = m.initializer ? constantValue(m.initializer, values, members) : next;
        if (typeof value !== "number") {
          numeric = false;
          break;
        }
        members.set(m.name.getText(sf), value);
        next = value + 1;
      }
      if (numeric) values.enums.set(s.name.text, members);
    }
    if (!ts.isVariableStatement(s) || (s.declarationList.flags & ts.NodeFlags.Const) === 0) continue;
    for (const d of s.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || !d.initializer) continue;
      const value = evaluate(d.initializer);
      if (typeof value === "number") values.numericConstants.set(d.name.text, value);
      else if (Array.isArray(value)) values.constantTables.set(d.name.text, value);
      else values.otherConstants.set(d.name.text, value.reason);
    }
  }
  return values;
}

type Value = number | Table | { reason: string };

/** A table of constant numbers written in a function (`const W = [[1, 2], [3, 4]]`), read as the module's are. */
export function constantTable(e: ts.Expression, values: ModuleValues): Table | undefined {
  const value = constantValue(e, values);
  return Array.isArray(value) ? value : undefined;
}

/** The compile-time value of a constant expression, or why it has none. */
function constantValue(e: ts.Expression, values: ModuleValues, enumMembers?: Map<string, number>): Value {
  const recurse = (x: ts.Expression) => constantValue(x, values, enumMembers);
  const number = (x: ts.Expression): number | undefined => {
    const v = recurse(x);
    return typeof v === "number" ? v : undefined;
  };
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) return recurse(e.expression);
  if (ts.isIdentifier(e)) {
    if (e.text === "Infinity") return Infinity;
    if (e.text === "NaN") return NaN;
    if (enumMembers?.has(e.text)) return enumMembers.get(e.text)!;
    const known = values.numericConstants.get(e.text) ?? values.constantTables.get(e.text);
    return known ?? { reason: `its value is not a constant known at compile time` };
  }
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression)) {
    const object = e.expression.text;
    const name = e.name.text;
    if (object === "Math" && name in MATH_VALUES) return MATH_VALUES[name]!;
    if (object === "Number" && name in NUMBER_CONSTANTS) return NUMBER_CONSTANTS[name]!;
    const member = values.enums.get(object)?.get(name);
    if (member !== undefined) return member;
    const table = values.constantTables.get(object);
    if (table && name === "length") return table.length;
  }
  if (ts.isPrefixUnaryExpression(e)) {
    const v = number(e.operand);
    if (v === undefined) return { reason: "its value is not a constant known at compile time" };
    if (e.operator === ts.SyntaxKind.MinusToken) return -v;
    if (e.operator === ts.SyntaxKind.PlusToken) return v;
  }
  if (ts.isBinaryExpression(e)) {
    const [a, b] = [number(e.left), number(e.right)];
    if (a !== undefined && b !== undefined) {
      switch (e.operatorToken.kind) {
        case ts.SyntaxKind.PlusToken: return a + b;
        case ts.SyntaxKind.MinusToken: return a - b;
        case ts.SyntaxKind.AsteriskToken: return a * b;
        case ts.SyntaxKind.SlashToken: return a / b;
        case ts.SyntaxKind.PercentToken: return a % b;
        case ts.SyntaxKind.AsteriskAsteriskToken: return a ** b;
        case ts.SyntaxKind.LessThanLessThanToken: return a << b;
        case ts.SyntaxKind.BarToken: return a | b;
        default: break;
      }
    }
  }
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && ts.isIdentifier(e.expression.expression) && e.expression.expression.text === "Math") {
    const f = MATH_FUNCTIONS[e.expression.name.text];
    const args = e.arguments.map(number);
    if (f && args.every((x) => x !== undefined)) return f(...(args as number[]));
  }
  if (ts.isArrayLiteralExpression(e)) {
    const rows = e.elements.map((x) => (ts.isSpreadElement(x) ? ({ reason: "spread" } as Value) : recurse(x)));
    if (rows.length > 0 && rows.every((r) => typeof r === "number")) return rows as number[];
    if (rows.length > 0 && rows.every((r) => Array.isArray(r) && r.length > 0 && typeof r[0] === typeof (rows[0] as Table)[0])) return rows as Table[];
    return { reason: "a table must hold numbers (or rows of numbers) known at compile time" };
  }
  return { reason: "its value is not a number, or a table of numbers, known at compile time" };
}
