/**
 * Test cases for every primitive of the compiler's rule table, in every activity pattern:
 * each argument position active (an affine function of the differentiated x and y), a
 * literal, or an inactive parameter c; both arguments the same expression; and the
 * literal exponents `**` and Math.pow special-case. The list is derived from the table, so
 * a new primitive is covered without touching this file; DOMAINS only says where its
 * arguments may go (a primitive it does not list is tried on DEFAULT, and if its value is
 * not finite there the test says to add an entry).
 *
 * Arguments are affine in x and y, so the Hessian of a case is the primitive's own second
 * derivative seen through the chain rule, with nothing else mixed in.
 */

export type Interval = readonly [number, number];

/** Where a primitive's arguments lie: regions, one interval per argument position. */
export interface Domain {
  /** For a variadic primitive, one region per arity tested (default: 2 and 3 arguments on DEFAULT). */
  regions: readonly (readonly Interval[])[];
}

export const DEFAULT: Interval = [-0.9, 1.3];
/** Where `p(e, e)` is tried for a binary primitive: positive and away from 0 (pow's base, the divisor). */
const SAME_ARGUMENT: Interval = [0.4, 1.6];

/** Regions away from every kink, jump and pole of the primitive (the conventions test covers those). */
export const DOMAINS: Readonly<Record<string, Domain>> = {
  "/": { regions: [[[-1.2, 0.8], [0.6, 1.4]], [[0.3, 1.1], [-1.5, -0.7]]] },
  // a / b stays strictly between two integers: trunc(a / b) is constant around the points.
  "%": { regions: [[[2.3, 2.7], [0.95, 1.05]], [[-2.7, -2.3], [0.95, 1.05]], [[2.3, 2.7], [-1.05, -0.95]]] },
  "**": { regions: [[[0.5, 1.5], [-1.2, 1.8]]] },
  "Math.pow": { regions: [[[0.5, 1.5], [-1.2, 1.8]]] },
  "Math.tan": { regions: [[[-1.2, 1.2]]] },
  "Math.asin": { regions: [[[-0.8, 0.8]]] },
  "Math.acos": { regions: [[[-0.8, 0.8]]] },
  "Math.atanh": { regions: [[[-0.8, 0.8]]] },
  "Math.acosh": { regions: [[[1.2, 2.5]]] },
  "Math.log": { regions: [[[0.2, 2.5]]] },
  "Math.log2": { regions: [[[0.2, 2.5]]] },
  "Math.log10": { regions: [[[0.2, 2.5]]] },
  "Math.sqrt": { regions: [[[0.2, 2.5]]] },
  "Math.log1p": { regions: [[[-0.7, 1.5]]] },
  "Math.cbrt": { regions: [[[0.2, 2]], [[-2, -0.2]]] },
  "Math.abs": { regions: [[[0.2, 1.5]], [[-1.5, -0.2]]] },
  "Math.sign": { regions: [[[0.2, 1]], [[-1, -0.2]]] },
  "Math.floor": { regions: [[[1.1, 1.4]]] },
  "Math.ceil": { regions: [[[1.1, 1.4]]] },
  "Math.round": { regions: [[[1.1, 1.4]]] },
  "Math.trunc": { regions: [[[-1.4, -1.1]]] },
  "Math.atan2": { regions: [[[-1, 1], [0.4, 1.5]], [[0.4, 1.5], [-1.5, -0.4]]] },
  // Each argument wins in one region; no ties (the conventions test has those).
  "Math.max": { regions: [[[0.5, 0.9], [-0.6, -0.2]], [[-0.6, -0.2], [0.5, 0.9]], [[-0.6, -0.2], [0.5, 0.9], [-1.5, -1.1]]] },
  "Math.min": { regions: [[[0.5, 0.9], [-0.6, -0.2]], [[-0.6, -0.2], [0.5, 0.9]], [[0.5, 0.9], [1.1, 1.5], [-0.6, -0.2]]] },
  "Math.hypot": { regions: [[[-1, 1.2], [0.3, 1.5]], [[0.3, 1.5], [-1.2, 1], [0.5, 0.8]]] },
};

/** Literal exponents whose partial `**` writes specially (2, 1, 0.5, 0) or generally, on a positive base and a negative one. */
const POW_EXPONENTS: readonly { base: Interval; exponents: readonly number[] }[] = [
  { base: [0.4, 1.6], exponents: [0, 1, 2, 3, 0.5, -1, -2, 1.5, -0.5] },
  { base: [-1.6, -0.4], exponents: [2, 3, -1, 4] },
];
/** Literal bases with a variable exponent. */
const POW_BASES: readonly number[] = [2, 0.5, Math.E];

/** Operator shapes the generators treat specially: product trees and quotients. */
const SHAPES: readonly string[] = [
  "x * y * x",
  "3 * x * x * x",
  "2 * x * y * 0.5 * y",
  "c * x * y",
  "x / (y + 2)",
  "c / (x + 2)",
  "(x + 1) / (c + 2)",
  "(x * y) / (x + 2) / (y - 2)",
];

export interface PrimitiveCase {
  /** `Math.sin, arguments A` etc.: what a failure names. */
  label: string;
  primitive: string;
  /** The expression, of x and y (differentiated) and c (not). */
  expr: string;
  /** Each position's activity: A active, L literal, P the inactive parameter. */
  pattern: string;
  /**
   * Every mode (VJP, Hessian, Jacobian with its JVP and VJP besides the gradient, JVP and
   * HVP every case gets): the all-active pattern of each region. The drivers those add are
   * the same for every primitive; the rule's use in forward and reverse mode is what the
   * patterns vary.
   */
  allModes: boolean;
}

/** Mixes of x and y for the active arguments, |a x + b y| ≤ 0.5 at every test point. */
const MIXES: readonly (readonly [number, number])[] = [[0.6, 0.4], [0.3, -0.7], [-0.5, 0.5]];
/** The points every case is checked at: x, y differentiated, c not. */
export const POINTS: readonly (readonly [number, number, number])[] = [[0.31, -0.22, 0.17], [-0.43, 0.38, -0.29]];

const fmt = (n: number) => String(Number(n.toPrecision(6)));

/** An argument in `[lo, hi]`: active (varies with x, y), a literal, or the inactive parameter c. */
function argument([lo, hi]: Interval, kind: string, position: number): string {
  const width = hi - lo;
  if (kind === "L") return fmt(lo + 0.35 * width);
  if (kind === "P") return `${fmt(lo)} + ${fmt(width)} * (0.5 + c)`;
  const [a, b] = MIXES[position % MIXES.length]!;
  return `${fmt(lo)} + ${fmt(width)} * (0.5 + ${fmt(a)} * x + ${fmt(b)} * y)`;
}

/** `primitive` applied to argument texts, as TypeScript. */
export function applyPrimitive(primitive: string, args: readonly string[]): string {
  if (primitive.startsWith("Math.")) return `${primitive}(${args.join(", ")})`;
  if (primitive === "neg" && args.length === 1) return `-(${args[0]})`;
  if (["+", "-", "*", "/", "%", "**"].includes(primitive) && args.length === 2) return `(${args[0]}) ${primitive} (${args[1]})`;
  throw new Error(`test/harness/primitive-cases.ts does not know how to write the primitive '${primitive}': add it to applyPrimitive`);
}

/**
 * Activity patterns for n arguments: all active; each position alone inactive (a literal
 * or the parameter, alternately), the others active; each position alone active, the
 * others inactive; no position active (multiplied by y below, so the case has a derivative).
 */
function patterns(n: number): string[] {
  const inactive = (k: number) => (k % 2 === 0 ? "L" : "P");
  const out = new Set<string>(["A".repeat(n)]);
  for (let k = 0; k < n; k++) {
    out.add([...Array(n)].map((_, j) => (j === k ? inactive(k) : "A")).join(""));
    out.add([...Array(n)].map((_, j) => (j === k ? "A" : inactive(j + 1))).join(""));
  }
  out.add("P".repeat(n));
  return [...out];
}

export function primitiveCases(rules: Readonly<Record<string, { arity: number | "variadic" }>>): PrimitiveCase[] {
  const cases: PrimitiveCase[] = [];
  for (const [primitive, rule] of Object.entries(rules)) {
    const domain = DOMAINS[primitive];
    const regions: (readonly Interval[])[] = domain
      ? [...domain.regions]
      : rule.arity === "variadic"
        ? [[DEFAULT, DEFAULT], [DEFAULT, DEFAULT, DEFAULT]]
        : [Array.from({ length: rule.arity }, () => DEFAULT)];
    for (const [r, region] of regions.entries()) {
      for (const pattern of patterns(region.length)) {
        const args = region.map((interval, k) => argument(interval, pattern[k]!, k));
        const applied = applyPrimitive(primitive, args);
        const expr = pattern.includes("A") ? applied : `y * ${applied}`;
        cases.push({ label: `${primitive}, region ${r}, arguments ${pattern}`, primitive, pattern, expr, allModes: !/[LP]/.test(pattern) });
      }
    }
    // Both arguments the same expression: a / a, a ** a, max(a, a) (a tie at every point).
    const arity = rule.arity === "variadic" ? 2 : rule.arity;
    if (arity === 2) {
      const a = argument(SAME_ARGUMENT, "A", 0);
      cases.push({ label: `${primitive}(a, a)`, primitive, pattern: "AA", expr: applyPrimitive(primitive, [a, a]), allModes: false });
    }
  }
  for (const primitive of ["**", "Math.pow"].filter((p) => p in rules)) {
    for (const { base, exponents } of POW_EXPONENTS) {
      for (const k of exponents) {
        const expr = applyPrimitive(primitive, [argument(base, "A", 0), fmt(k)]);
        cases.push({ label: `${primitive} with the literal exponent ${k} on [${base}]`, primitive, pattern: "AL", expr, allModes: false });
      }
    }
    for (const k of POW_BASES) {
      const expr = applyPrimitive(primitive, [fmt(k), argument([-1.2, 1.8], "A", 1)]);
      cases.push({ label: `${primitive} with the literal base ${fmt(k)}`, primitive, pattern: "LA", expr, allModes: false });
    }
  }
  for (const shape of SHAPES) cases.push({ label: `the shape ${shape}`, primitive: shape.includes("/") ? "/" : "*", pattern: "shape", expr: shape, allModes: true });
  return cases;
}

/**
 * One source file with a function `p<k>` per case, k its index in the whole list (gradient,
 * JVP and HVP; with `allModes` also VJP and Hessian, and `p<k>Rows`, an array for the
 * Jacobian with its JVP and VJP: one output for even k, so the Jacobian takes the reverse
 * path, three for odd k, the forward path).
 */
export function casesSource(cases: readonly (readonly [k: number, c: PrimitiveCase])[]): string {
  return cases
    .map(([k, c]) => {
      const tags = c.allModes ? ["grad", "vjp", "jvp", "hvp", "hessian"] : ["grad", "jvp", "hvp"];
      const scalar = [
        `/**`,
        ` * ${c.label.replace(/\*\//g, "* /")}`,
        ...tags.map((t) => ` * @${t} x, y`),
        ` */`,
        `export function p${k}(x: number, y: number, c: number): number {`,
        `  return ${c.expr};`,
        `}`,
        ``,
      ];
      if (!c.allModes) return scalar.join("\n");
      const rows = k % 2 === 0 ? "[p]" : "[p, p * y, p + x]";
      return [
        ...scalar,
        `/**`,
        ` * @jacobian x, y`,
        ` * @jvp x, y`,
        ` * @vjp x, y`,
        ` */`,
        `export function p${k}Rows(x: number, y: number, c: number): number[] {`,
        `  const p = ${c.expr};`,
        `  return ${rows};`,
        `}`,
        ``,
      ].join("\n");
    })
    .join("\n");
}
