/**
 * Inner-loop fusion (compiler/transform/reverse/innerLoops.ts): inside a loop fused with its own
 * reverse, an inner loop's reverse runs in the inner loop itself when the adjoints it reads
 * are known before it. Each program is checked against the tape, finite differences and
 * gradient differences (for the HVP), and whether it was fused is read off the text.
 */
import { describe, expect, it } from "vitest";
import { build, generatedFunction } from "./harness/build.ts";
import { checkGradientAndHvp } from "./harness/check.ts";
import { randomMatrix, randomVector, rng } from "./harness/numeric.ts";
import * as b from "../compiler/ir/build.ts";
import type { Stmt } from "../compiler/ir/nodes.ts";
import { fuseInnerLoops } from "../compiler/transform/reverse/innerLoops.ts";

const next = rng(20261130);

/** k-means' cost with each point's closest centroid found by index (bench/gradbench/kmeans.ts). */
const KMEANS = `function closestIndex(p: readonly number[], centroids: readonly (readonly number[])[]): number {
  let best = 0;
  let closest = Infinity;
  for (let j = 0; j < centroids.length; j++) {
    let dist = 0;
    for (let l = 0; l < p.length; l++) dist += (p[l] - centroids[j][l]) ** 2;
    if (dist < closest) {
      closest = dist;
      best = j;
    }
  }
  return best;
}
/**
 * @grad centroids
 * @hvp centroids
 */
export function closestCost(centroids: readonly (readonly number[])[], points: readonly (readonly number[])[]): number {
  let cost = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    const c = centroids[closestIndex(p, centroids)];
    for (let l = 0; l < p.length; l++) {
      const diff = p[l] - c[l];
      cost += diff * diff;
    }
  }
  return cost;
}
`;


/** Loops in the gradient beyond the primal's own: reverses that were not fused. */
const backwardLoops = (text: string, primalLoops: number) => (withoutClearing(text).match(/\bfor \(/g)?.length ?? 0) - primalLoops;
/** Drops the loops that clear a matrix-shaped gradient buffer (`for (…) m_bar[i].fill(0);`): they are no reverse. */
const withoutClearing = (text: string) => text.replace(/for \(let (\w+) = 0; \1 < [\w.]+\.length; \1\+\+\) \{\s*[\w.]+\[\1\]\.fill\(0\);\s*\}/g, "");

/** `fused`: no reverse loop is left; `outer`, when given: whether the function's last loop runs fused with its reverse. */
/** `primalLoops`: the loops of the source the gradient repeats, when not all of them (a helper kept as a call). */
const cases: { name: string; fn: string; source: string; args: () => unknown[]; wrt: string[]; fused: boolean; outer?: boolean; primalLoops?: number }[] = [
  {
    name: "½xᵀAx: row's adjoint is quad_bar·x[i], known before the row loop",
    fn: "quad",
    source: `/**
 * @grad x
 * @hvp x
 */
export function quad(x: readonly number[], A: readonly (readonly number[])[]): number {
  let q = 0;
  for (let i = 0; i < x.length; i++) {
    let row = 0;
    for (let j = 0; j < x.length; j++) row += A[i][j] * x[j];
    q += x[i] * row;
  }
  return 0.5 * q;
}
`,
    args: () => [randomVector(5, next), randomMatrix(5, 5, next)],
    wrt: ["x"],
    fused: true,
  },
  {
    name: "½‖Ax − b‖²: r's adjoint reads r, which the row loop computes",
    fn: "lsq",
    source: `/**
 * @grad x
 * @hvp x
 */
export function lsq(x: readonly number[], A: readonly (readonly number[])[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) {
    let r = -b[i];
    for (let j = 0; j < x.length; j++) r += A[i][j] * x[j];
    s += r * r;
  }
  return 0.5 * s;
}
`,
    args: () => [randomVector(4, next), randomMatrix(6, 4, next), randomVector(6, next)],
    wrt: ["x"],
    fused: false,
  },
  {
    name: "a nonlinear row, a local the reverse reads, a counter running down, and a matrix wrt",
    fn: "wavy",
    source: `/**
 * @grad x, A
 * @hvp x, A
 */
export function wavy(x: readonly number[], A: readonly (readonly number[])[]): number {
  let q = 0;
  for (let i = 0; i < A.length; i++) {
    let row = 0;
    for (let j = x.length - 1; j >= 0; j--) {
      const t = A[i][j] * x[j];
      row += Math.sin(t) * t;
    }
    q += Math.exp(0.1 * x[i]) * row;
  }
  return q;
}
`,
    args: () => [randomVector(4, next), randomMatrix(4, 4, next)],
    wrt: ["x", "A"],
    fused: true,
  },
  {
    name: "two levels: the innermost loop fuses inside the middle one",
    fn: "deep",
    source: `/**
 * @grad x
 * @hvp x
 */
export function deep(x: readonly number[], c: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < c.length; i++) {
    let mid = 0;
    for (let j = 0; j < x.length; j++) {
      let inner = 0;
      for (let k = 0; k < x.length; k++) inner += x[k] * x[j];
      mid += c[i] * inner;
    }
    total += c[i] * mid;
  }
  return total;
}
`,
    args: () => [randomVector(4, next), randomVector(3, next)],
    wrt: ["x"],
    fused: true,
  },
  {
    name: "a statement between the loops overwrites what row's adjoint reads: no fusion",
    fn: "blocked",
    source: `/**
 * @grad x
 * @hvp x
 */
export function blocked(x: readonly number[], A: readonly (readonly number[])[]): number {
  let q = 0;
  let scale = 1;
  for (let i = 0; i < A.length; i++) {
    let row = 0;
    for (let j = 0; j < x.length; j++) row += A[i][j] * x[j];
    scale = scale * 0.5 + x[i];
    q += scale * row;
  }
  return q;
}
`,
    args: () => [randomVector(4, next), randomMatrix(4, 4, next)],
    wrt: ["x"],
    fused: false,
  },
  {
    name: "a scratch array every iteration overwrites in full before reading it (GMM's per-point buffers)",
    fn: "perPoint",
    source: `/** @grad w @hvp w */
export function perPoint(w: readonly number[], X: readonly (readonly number[])[]): number {
  const buf = new Array(w.length).fill(0);
  let total = 0;
  for (let i = 0; i < X.length; i++) {
    for (let j = 0; j < w.length; j++) buf[j] = Math.sin(w[j] * X[i][j]);
    let s = 0;
    for (let j = 0; j < w.length; j++) s += buf[j] * buf[j];
    total += Math.log(1 + s);
  }
  return total;
}
`,
    args: () => [randomVector(4, next), randomMatrix(5, 4, next)],
    wrt: ["w"],
    fused: false,
    outer: true,
  },
  {
    name: "a scratch array overwritten only in part (index 0 carries over): not scratch, not fused",
    fn: "partial",
    source: `/** @grad w @hvp w */
export function partial(w: readonly number[], X: readonly (readonly number[])[]): number {
  const buf = new Array(w.length).fill(0);
  let total = 0;
  for (let i = 0; i < X.length; i++) {
    for (let j = 1; j < w.length; j++) buf[j] = Math.sin(w[j] * X[i][j]) + buf[j - 1];
    let s = 0;
    for (let j = 0; j < w.length; j++) s += buf[j] * buf[j];
    total += Math.log(1 + s);
    buf[0] = s * w[0];
  }
  return total;
}
`,
    args: () => [randomVector(4, next), randomMatrix(5, 4, next)],
    wrt: ["w"],
    fused: false,
    outer: false,
  },
  {
    name: "a buffer read before the iteration overwrites it (the previous iteration's values): not scratch, not fused",
    fn: "carried",
    source: `/** @grad w @hvp w */
export function carried(w: readonly number[], X: readonly (readonly number[])[]): number {
  const buf = new Array(w.length).fill(0);
  let total = 0;
  for (let i = 0; i < X.length; i++) {
    const previous = buf[0];
    for (let j = 0; j < w.length; j++) buf[j] = Math.sin(w[j] * X[i][j]) * (1 + previous);
    let s = 0;
    for (let j = 0; j < w.length; j++) s += buf[j] * buf[j];
    total += Math.log(1 + s);
  }
  return total;
}
`,
    args: () => [randomVector(4, next), randomMatrix(5, 4, next)],
    wrt: ["w"],
    fused: false,
    outer: false,
  },
  {
    name: "a row picked by a searched index (k-means' closest centroid): its adjoint row is declared between the loops",
    fn: "closestCost",
    source: KMEANS,
    args: () => [randomMatrix(3, 3, next), randomMatrix(6, 3, next)],
    wrt: ["centroids"],
    primalLoops: 2,
    fused: true,
    outer: true,
  },
  {
    name: "a reduce whose callback returns acc + a + b: the accumulator's sum is an increment, so the loop's iterations only add",
    fn: "sumTerms",
    source: `/**
 * @grad xs
 * @hvp xs
 */
export function sumTerms(xs: number[], ys: number[]): number {
  return xs.reduce((e, x, i) => e + x * x - Math.sin(x) * ys[i] + ys[i], 0);
}
`,
    args: () => [randomVector(5, next), randomVector(5, next)],
    wrt: ["xs"],
    primalLoops: 1,
    fused: true,
    outer: true,
  },
];

describe("inner-loop fusion", () => {
  for (const c of cases) {
    it(`${c.fused || c.outer ? "fuses" : "leaves alone"}: ${c.name}`, async () => {
      const built = await build(c.source);
      const text = generatedFunction(built.text, `${c.fn}GradInto`, false);
      const outerFused = built.text.includes("the last loop's forward and reverse sweeps, fused");
      const primalLoops = c.primalLoops ?? c.source.match(/\bfor \(/g)?.length ?? 0;
      if (c.fused) expect(backwardLoops(text, primalLoops)).toBe(0);
      else expect(backwardLoops(text, primalLoops)).toBeGreaterThan(0);
      if (c.outer !== undefined) expect(outerFused).toBe(c.outer);
      // An adjoint that flows through a statement unchanged is not assigned to itself.
      expect(text).not.toMatch(/\b(\w+) = \1;/);
      const args = c.args();
      const v = Object.fromEntries(c.wrt.map((name, k) => [name, Array.isArray((args[k] as unknown[])[0]) ? randomMatrix((args[k] as unknown[]).length, ((args[k] as unknown[][])[0]!).length, next) : randomVector((args[k] as unknown[]).length, next)]));
      await checkGradientAndHvp(built, c.fn, args, c.wrt, v);
    });
  }
});

/** KMEANS with the distance in a helper, as bench/gradbench/kmeans.ts has it: each centroid row is a parameter (`const c_1 = centroids[j]`). */
const KMEANS_ROWS = KMEANS.replace(
  "    let dist = 0;\n    for (let l = 0; l < p.length; l++) dist += (p[l] - centroids[j][l]) ** 2;\n",
  "    const dist = squaredDistance(p, centroids[j]);\n",
).replace("function closestIndex", `function squaredDistance(p: readonly number[], c: readonly number[]): number {
  let dist = 0;
  for (let l = 0; l < p.length; l++) dist += (p[l] - c[l]) ** 2;
  return dist;
}
function closestIndex`);

describe("a row picked by a searched index", () => {
  for (const [shape, source] of [["distances inline", KMEANS], ["distances in a helper", KMEANS_ROWS]] as const) {
    it(`saves nothing and carries no tangent through the search (${shape})`, async () => {
      expect(source).toContain(shape === "distances inline" ? "** 2;\n    if" : "squaredDistance(p, centroids[j])");
      const built = await build(source);
      for (const name of ["closestCostGradInto", "closestCostHvpInto"]) {
        const text = generatedFunction(built.text, name, false);
        expect(text).not.toMatch(/Stack\./);
        // The search's distances feed only a comparison: no tangent of them, nor of the rows they read.
        expect(text).not.toMatch(/dist\w*_dot|centroids_dot\[j\]/);
      }
      await checkGradientAndHvp(built, "closestCost", [randomMatrix(3, 3, next), randomMatrix(6, 3, next)], ["centroids"], { centroids: randomMatrix(3, 3, next) });
    });
  }

  it("runs a kept call in an index once (the adjoint row reuses its value)", async () => {
    const built = await build(KMEANS);
    const text = generatedFunction(built.text, "closestCostGradInto", true);
    expect(text).toContain("// the last loop's forward and reverse sweeps, fused");
    expect(text.match(/closestIndex\(/g)).toHaveLength(1);
  });
});

/** `for (let j = 0; j < n; j++)` or its reverse `for (let j = n - 1; j >= 0; j--)` around `body`. */
function loop(up: boolean, body: Stmt[]): Stmt {
  const j = b.v("j");
  return {
    kind: "loop",
    form: "for",
    init: [b.declare("j", up ? b.num(0) : b.sub(b.v("n"), b.num(1)), true)],
    test: up ? b.bin("<", j, b.v("n")) : b.bin(">=", j, b.num(0)),
    update: [b.assign({ kind: "var", name: "j" }, up ? b.add(j, b.num(1)) : b.sub(j, b.num(1)))],
    body,
  };
}
const xj = b.index(b.v("x"), b.v("j"));
const rowAdds = loop(true, b.increment({ kind: "var", name: "row" }, xj));
const loopCount = (stmts: Stmt[]) => stmts.filter((s) => s.kind === "loop").length;
/** `n` holds an integer here, so `j < n` ends at n − 1 exactly. */
const fuse = (stmts: Stmt[]) => fuseInnerLoops(stmts, (name) => name === "n");

describe("inner-loop fusion's dependence tests", () => {
  it("fuse a reverse loop whose adjoint is set between the loops", () => {
    const out = fuse([
      rowAdds,
      b.declare("g", b.mul(b.v("q_bar"), b.num(2)), true),
      loop(false, b.increment({ kind: "index", object: b.v("x_bar"), index: b.v("j") }, b.v("g"))),
    ]);
    expect(loopCount(out)).toBe(1);
    expect(out[0]).toMatchObject({ kind: "comment" });
    expect(out[1]).toMatchObject({ kind: "declare", name: "g" });
  });

  it("move the declaration of a row the reverse loop adds into before the forward loop", () => {
    const out = fuse([
      rowAdds,
      b.declare("c_bar", b.index(b.v("m_bar"), b.v("k")), false),
      loop(false, b.increment({ kind: "index", object: b.v("c_bar"), index: b.v("j") }, b.v("q_bar"))),
    ]);
    expect(loopCount(out)).toBe(1);
    expect(out[1]).toMatchObject({ kind: "declare", name: "c_bar" });
  });

  it("keep a reverse loop that reads what the forward loop computes", () => {
    const out = fuse([rowAdds, loop(false, b.increment({ kind: "index", object: b.v("x_bar"), index: b.v("j") }, b.v("row")))]);
    expect(loopCount(out)).toBe(2);
  });

  it("keep the order when moving an adjoint up would change what a statement between reads", () => {
    const out = fuse([
      rowAdds,
      b.assign({ kind: "var", name: "y" }, b.v("g")),
      b.assign({ kind: "var", name: "g" }, b.num(2)),
      loop(false, b.increment({ kind: "index", object: b.v("x_bar"), index: b.v("j") }, b.v("g"))),
    ]);
    expect(loopCount(out)).toBe(2);
  });

  it("keep a reverse loop that overwrites (rather than adds into) an adjoint, or pops a stack", () => {
    for (const body of [
      [b.assign({ kind: "index", object: b.v("x_bar"), index: b.v("j") }, b.num(0))],
      [b.declare("t", b.pop("values")), ...b.increment({ kind: "index", object: b.v("x_bar"), index: b.v("j") }, b.v("t"))],
    ]) {
      expect(loopCount(fuse([rowAdds, loop(false, body)]))).toBe(2);
    }
  });

  it("keep a reverse loop that reads an outer name the forward body declares a local of", () => {
    const shadowing = loop(true, [b.declare("t", xj), ...b.increment({ kind: "var", name: "row" }, b.v("t"))]);
    const out = fuse([shadowing, loop(false, b.increment({ kind: "index", object: b.v("x_bar"), index: b.v("j") }, b.v("t")))]);
    expect(loopCount(out)).toBe(2);
  });

  it("keep loops whose bounds change in between", () => {
    const out = fuse([
      rowAdds,
      b.assign({ kind: "var", name: "n" }, b.num(3)),
      loop(false, b.increment({ kind: "index", object: b.v("x_bar"), index: b.v("j") }, b.v("q_bar"))),
    ]);
    expect(loopCount(out)).toBe(2);
  });
});
