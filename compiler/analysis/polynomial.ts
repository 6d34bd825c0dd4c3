/**
 * Index expressions as polynomials in the names they read, with exact coefficients: enough
 * to prove that two values always differ by a constant (transform/jam.ts: the elements two
 * columns of a packed triangle add into, `first + row` with
 * `first = D + (col * (2 * D - col - 1)) / 2 - col - 1`, never meet).
 *
 * Only whole-number literals, `+`, `-`, `*` and division by a power of two are read, so
 * every coefficient is a dyadic rational and exact in a double while it stays below 2^53
 * (checked); anything else makes the expression unknown (null).
 */
import type { Expr } from "../ir/nodes.ts";

/** Monomial (its names sorted, joined by `*`; "" for the constant) → coefficient, without zeros. */
export type Polynomial = ReadonlyMap<string, number>;

const LIMIT = 2 ** 52;

/** The constant polynomial `k`, or null when k is not a safe whole number. */
export function constant(k: number): Polynomial | null {
  if (!Number.isInteger(k) || Math.abs(k) > LIMIT) return null;
  return k === 0 ? new Map() : new Map([["", k]]);
}

/** The polynomial of one name. */
export function variable(name: string): Polynomial {
  return new Map([[name, 1]]);
}

function normalized(terms: Map<string, number>): Polynomial | null {
  for (const [m, k] of terms) {
    if (k === 0) terms.delete(m);
    else if (!Number.isFinite(k) || Math.abs(k) > LIMIT) return null;
  }
  return terms;
}

export function plus(p: Polynomial, q: Polynomial, sign = 1): Polynomial | null {
  const out = new Map(p);
  for (const [m, k] of q) out.set(m, (out.get(m) ?? 0) + sign * k);
  return normalized(out);
}

export function times(p: Polynomial, q: Polynomial): Polynomial | null {
  const out = new Map<string, number>();
  for (const [m1, k1] of p) {
    for (const [m2, k2] of q) {
      const m = [...(m1 ? m1.split("*") : []), ...(m2 ? m2.split("*") : [])].sort().join("*");
      out.set(m, (out.get(m) ?? 0) + k1 * k2);
    }
  }
  return normalized(out);
}

/**
 * The polynomial of `e`, reading each name through `name` (null: not a polynomial, which
 * makes the whole expression unknown).
 */
export function polynomialOf(e: Expr, name: (n: string) => Polynomial | null): Polynomial | null {
  switch (e.kind) {
    case "number": return constant(e.value);
    case "var": return name(e.name);
    case "unary": {
      if (e.op !== "-") return null;
      const p = polynomialOf(e.operand, name);
      return p && plus(new Map(), p, -1);
    }
    case "binary": {
      const left = polynomialOf(e.left, name);
      if (!left) return null;
      if (e.op === "/") {
        const d = e.right.kind === "number" ? e.right.value : 0;
        if (!(d > 0) || !Number.isInteger(Math.log2(d))) return null;
        return normalized(new Map([...left].map(([m, k]) => [m, k / d])));
      }
      const right = polynomialOf(e.right, name);
      if (!right) return null;
      if (e.op === "+") return plus(left, right);
      if (e.op === "-") return plus(left, right, -1);
      if (e.op === "*") return times(left, right);
      return null;
    }
    default: return null;
  }
}

/** p's value when it reads no name, else null. */
export function constantOf(p: Polynomial): number | null {
  if ([...p.keys()].some((m) => m !== "")) return null;
  return p.get("") ?? 0;
}

/** Whether some monomial of p reads `name`. */
export function reads(p: Polynomial, name: string): boolean {
  return [...p.keys()].some((m) => m.split("*").includes(name));
}
