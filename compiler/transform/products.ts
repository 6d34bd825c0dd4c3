/**
 * The product rule over a tree of `*` (shared by forward and reverse mode): the partial of
 * `c · f1^k1 · f2^k2 …` with respect to each distinct factor at once, instead of one
 * product-rule term per multiplication.
 */
import { bin, mul, num } from "../ir/build.ts";
import type { Expr } from "../ir/nodes.ts";

/** The factors of a product tree `a * b * c` (nested `*` only), or null if `e` is not a product. */
export function productFactors(e: Expr): Expr[] | null {
  if (e.kind !== "binary" || e.op !== "*") return null;
  const out: Expr[] = [];
  const walk = (x: Expr) => {
    if (x.kind === "binary" && x.op === "*") {
      walk(x.left);
      walk(x.right);
    } else out.push(x);
  };
  walk(e);
  return out;
}

/**
 * d(c · f1^k1 · f2^k2 …)/d(fi) = c · ki · fi^(ki-1) · Π_{j≠i} fj^kj for each distinct factor:
 * `100 * u * u` gets one partial, `200 u`, instead of two product-rule terms.
 */
export function productPartials(factors: Expr[]): { factor: Expr; partial: Expr }[] {
  let constant = 1;
  const groups: { factor: Expr; count: number }[] = [];
  for (const f of factors) {
    if (f.kind === "number") {
      constant *= f.value;
      continue;
    }
    const key = JSON.stringify(f);
    const group = groups.find((g) => JSON.stringify(g.factor) === key);
    if (group) group.count++;
    else groups.push({ factor: f, count: 1 });
  }
  return groups.map((g, i) => {
    let partial: Expr = num(constant * g.count);
    if (g.count === 2) partial = mul(partial, g.factor);
    else if (g.count > 2) partial = mul(partial, bin("**", g.factor, num(g.count - 1)));
    groups.forEach((other, j) => {
      if (j === i) return;
      for (let k = 0; k < other.count; k++) partial = mul(partial, other.factor);
    });
    return { factor: g.factor, partial };
  });
}
