/**
 * Generated sources too large for a main thread's stack, shared by test/large-inputs.test.ts
 * and bench/large.ts: a sum of TERMS terms in one return, an expression nested DEPTH deep,
 * and a function of many statements.
 */

export const TERMS = 5000;
export const DEPTH = 5000;

/** The coefficient of the k-th term of `sum`. */
export function sumCoefficient(k: number): number {
  return (k % 7) + 1;
}

/** `sum(x)` = Σ c_k · x[k mod 4] over `terms` terms, on one line. */
export function sumFunction(terms = TERMS): string {
  const body = Array.from({ length: terms }, (_, k) => `${sumCoefficient(k)} * x[${k % 4}]`).join(" + ");
  return `/** @grad */\nexport function sum(x: number[]): number {\n  return ${body};\n}\n`;
}

/** `nest(x)` = (((x[0] + 1) + 2) + …), `depth` parentheses deep. */
export function nestFunction(depth = DEPTH): string {
  const tail = Array.from({ length: depth }, (_, k) => ` + ${(k % 5) + 1})`).join("");
  return `/** @grad */\nexport function nest(x: number[]): number {\n  return ${"(".repeat(depth)}x[0]${tail};\n}\n`;
}

/** `many(x)`: `statements` statements `s = s * 0.5 + Math.sin(x[k mod 4] + k mod 9)`. */
export function statementsFunction(statements: number): string {
  const body = Array.from({ length: statements }, (_, k) => `  s = s * 0.5 + Math.sin(x[${k % 4}] + ${k % 9});`).join("\n");
  return `/** @grad */\nexport function many(x: number[]): number {\n  let s = 0;\n${body}\n  return s;\n}\n`;
}

/** One file with `sum` and `nest`. */
export function largeSource(): string {
  return `${sumFunction()}\n${nestFunction()}`;
}
