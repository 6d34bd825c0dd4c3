/**
 * The colorings and recoveries of runtime/coloring.ts on their own. Properties (fast-check,
 * random patterns): a column coloring is structurally orthogonal (no row holds two
 * columns of one color), a row coloring the same for Jᵀ, a star coloring is a distance-1
 * coloring with no two-colored path on four vertices; and the recovery gives back every
 * entry of a random matrix with the pattern exactly from the compressed products B = J·S
 * (or Sᵀ·J, H·S) computed here the slow way, in batches of any number of lanes.
 * Known counts on structured patterns (a chain, a 2-D grid, an arrow, a diagonal).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  columnColoring,
  findEntry,
  hessianRecovery,
  jacobianRecovery,
  patternFromRows,
  recoverColors,
  rowColoring,
  seedColors,
  starColoring,
  symmetricPattern,
  transposePattern,
  type Coloring,
  type ColoringOrder,
  type Recovery,
  type SparsityPattern,
} from "../runtime/coloring.ts";
import { emptySets, patternOfSets, seedSets, unionSets, EMPTY_SET } from "../runtime/indexSets.ts";

const ORDERS: ColoringOrder[] = ["natural", "largestFirst"];

/** Rows of a random m×n pattern, from fast-check. */
const rowsArb = (maxRows: number, maxColumns: number) =>
  fc.integer({ min: 1, max: maxColumns }).chain((n) =>
    fc.tuple(fc.constant(n), fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.min(n, 6) }), { minLength: 1, maxLength: maxRows })),
  );

/** A random symmetric pattern with n vertices and edges drawn from pairs. */
const symmetricArb = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), { maxLength: 3 * n })),
);

function symmetricFromEdges(n: number, edges: [number, number][]): SparsityPattern {
  const rows: number[][] = Array.from({ length: n }, (_, i) => [i]);
  for (const [a, b] of edges) {
    rows[a]!.push(b);
    rows[b]!.push(a);
  }
  return patternFromRows(rows, n);
}

function entries(p: SparsityPattern): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < p.rows; i++) for (let k = p.rowPointers[i]!; k < p.rowPointers[i + 1]!; k++) out.push([i, p.columnIndices[k]!]);
  return out;
}

/** Throws unless no row holds two columns of one color. */
function checkOrthogonal(p: SparsityPattern, coloring: Coloring): void {
  for (let i = 0; i < p.rows; i++) {
    const seen = new Set<number>();
    for (let k = p.rowPointers[i]!; k < p.rowPointers[i + 1]!; k++) {
      const c = coloring.colors[p.columnIndices[k]!]!;
      if (seen.has(c)) throw new Error(`row ${i} has two columns of color ${c}`);
      seen.add(c);
    }
  }
}

/** Throws unless the coloring is a star coloring of the pattern's graph (brute force over every path of four vertices). */
function checkStar(p: SparsityPattern, coloring: Coloring): void {
  const c = coloring.colors;
  const neighbors = (v: number) => Array.from(p.columnIndices.subarray(p.rowPointers[v]!, p.rowPointers[v + 1]!)).filter((w) => w !== v);
  for (let b = 0; b < p.rows; b++) {
    for (const cc of neighbors(b)) {
      if (c[b] === c[cc]) throw new Error(`adjacent ${b} and ${cc} share color ${c[b]}`);
      for (const a of neighbors(b)) {
        if (a === cc || c[a] !== c[cc]) continue;
        for (const d of neighbors(cc)) {
          if (d !== b && d !== a && c[d] === c[b]) throw new Error(`two-colored path ${a}-${b}-${cc}-${d}`);
        }
      }
    }
  }
}

function checkColorsInRange(coloring: Coloring): void {
  for (const x of coloring.colors) if (!(x >= 0 && x < coloring.count)) throw new Error(`color ${x} outside 0…${coloring.count - 1}`);
}

/** Values for every entry, from a seeded stream, and the dense matrix they make. */
function randomValues(p: SparsityPattern, seed: number, symmetric: boolean): { values: Float64Array; at: (i: number, j: number) => number } {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const values = new Float64Array(p.columnIndices.length);
  for (const [k, [i, j]] of entries(p).entries()) {
    if (symmetric && j < i) values[k] = values[findEntry(p, j, i)]!;
    else values[k] = next();
  }
  const at = (i: number, j: number) => {
    const k = findEntry(p, i, j);
    return k < 0 ? 0 : values[k]!;
  };
  return { values, at };
}

/**
 * Compressed products computed the slow way, then recovered in batches of `lanes` colors:
 * sweeps over columns give B[i, c] = Σ_{color(j) = c} A_ij; over rows, B[j, c] = Σ_{color(i) = c} A_ij.
 */
function recoverAll(recovery: Recovery, at: (i: number, j: number) => number, lanes: number): Float64Array {
  const { pattern, coloring, direction } = recovery;
  const indices = direction === "columns" ? pattern.rows : pattern.columns;
  const seeded = direction === "columns" ? pattern.columns : pattern.rows;
  const values = new Float64Array(pattern.columnIndices.length).fill(NaN);
  const seeds = new Float64Array(seeded * lanes);
  const compressed = new Float64Array(indices * lanes);
  for (let from = 0; from < coloring.count; from += lanes) {
    seedColors(coloring, from, lanes, seeds);
    compressed.fill(0);
    for (let lane = 0; lane < lanes; lane++) {
      for (let index = 0; index < indices; index++) {
        let sum = 0;
        for (let k = 0; k < seeded; k++) {
          const seed = seeds[k * lanes + lane]!;
          if (seed !== 0) sum += seed * (direction === "columns" ? at(index, k) : at(k, index));
        }
        compressed[index * lanes + lane] = sum;
      }
    }
    recoverColors(recovery, from, lanes, compressed, values);
  }
  return values;
}

describe("patterns", () => {
  it("builds CSR from rows (sorted, deduplicated) and transposes", () => {
    const p = patternFromRows([[2, 0, 2], [], [1]], 3);
    expect(Array.from(p.rowPointers)).toEqual([0, 2, 2, 3]);
    expect(Array.from(p.columnIndices)).toEqual([0, 2, 1]);
    const t = transposePattern(p);
    expect(entries(t)).toEqual([[0, 0], [1, 2], [2, 0]]);
    expect(() => patternFromRows([[3]], 3)).toThrow(/outside/);
  });

  it("symmetrizes with the diagonal", () => {
    const p = symmetricPattern(patternFromRows([[1], [], [0]], 3));
    expect(entries(p)).toEqual([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [2, 0], [2, 2]]);
  });

  it("symmetrizes any square pattern as its union with the transpose, and gives back one that already is", () => {
    fc.assert(
      fc.property(rowsArb(30, 30), fc.boolean(), ([n, rows], withDiagonal) => {
        const p = patternFromRows(Array.from({ length: n }, (_, i) => rows[i] ?? []), n);
        const want = new Set(entries(p).flatMap(([i, j]) => [`${i},${j}`, `${j},${i}`]));
        if (withDiagonal) for (let i = 0; i < n; i++) want.add(`${i},${i}`);
        const s = symmetricPattern(p, withDiagonal);
        const got = entries(s).map(([i, j]) => `${i},${j}`);
        expect(got).toEqual([...want].sort((x, y) => Number(x.split(",")[0]) - Number(y.split(",")[0]) || Number(x.split(",")[1]) - Number(y.split(",")[1])));
        const already = entries(p).length === want.size;
        expect(s === p).toBe(already);
        expect(symmetricPattern(s, withDiagonal)).toBe(s);
      }),
    );
  });

  it("transposing twice gives the pattern back", () => {
    fc.assert(
      fc.property(rowsArb(30, 30), ([n, rows]) => {
        const p = patternFromRows(rows, n);
        const back = transposePattern(transposePattern(p));
        expect(Array.from(back.rowPointers)).toEqual(Array.from(p.rowPointers));
        expect(Array.from(back.columnIndices)).toEqual(Array.from(p.columnIndices));
      }),
    );
  });

  it("index sets: unions share what they can, patterns read them", () => {
    const a = [1, 3, 5];
    expect(unionSets(a, [3])).toBe(a);
    expect(unionSets([3], a)).toBe(a);
    expect(unionSets(a, EMPTY_SET)).toBe(a);
    expect(unionSets([0, 4], a)).toEqual([0, 1, 3, 4, 5]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(50)), fc.uniqueArray(fc.nat(50)), (x, y) => {
        const sx = [...x].sort((p, q) => p - q);
        const sy = [...y].sort((p, q) => p - q);
        expect(unionSets(sx, sy)).toEqual([...new Set([...x, ...y])].sort((p, q) => p - q));
      }),
    );
    expect(seedSets(2, 3)).toEqual([[2], [3], [4]]);
    const p = patternOfSets([[0, 2], ...emptySets(1), [1]], 3);
    expect(entries(p)).toEqual([[0, 0], [0, 2], [2, 1]]);
  });
});

describe("column and row colorings (Jacobians)", () => {
  it("are structurally orthogonal and recover every entry exactly, in any batch size", () => {
    fc.assert(
      fc.property(rowsArb(25, 25), fc.integer({ min: 1, max: 5 }), fc.integer(), fc.constantFrom(...ORDERS), ([n, rows], lanes, seed, order) => {
        const p = patternFromRows(rows, n);
        const { values, at } = randomValues(p, seed, false);
        const byColumns = columnColoring(p, order);
        checkColorsInRange(byColumns);
        checkOrthogonal(p, byColumns);
        expect(recoverAll(jacobianRecovery(p, byColumns, "columns"), at, lanes)).toEqual(values);
        const byRows = rowColoring(p, order);
        checkColorsInRange(byRows);
        checkOrthogonal(transposePattern(p), byRows);
        expect(recoverAll(jacobianRecovery(p, byRows, "rows"), at, lanes)).toEqual(values);
      }),
    );
  });

  it("colors a banded Jacobian with its bandwidth and a block-diagonal one with its block size", () => {
    const band = patternFromRows(Array.from({ length: 50 }, (_, i) => [i - 2, i - 1, i, i + 1, i + 2].filter((j) => j >= 0 && j < 50)), 50);
    expect(columnColoring(band).count).toBe(5);
    const blocks = patternFromRows(Array.from({ length: 60 }, (_, i) => [0, 1, 2].map((k) => 3 * Math.floor(i / 6) + k)), 30);
    expect(columnColoring(blocks).count).toBe(3);
    expect(rowColoring(blocks).count).toBe(6);
  });

  it("rejects a coloring that does not separate the pattern", () => {
    const p = patternFromRows([[0, 1]], 2);
    expect(() => jacobianRecovery(p, { colors: Int32Array.from([0, 0]), count: 1 }, "columns")).toThrow(/two entries of color 0/);
  });
});

describe("star colorings (Hessians)", () => {
  it("are star colorings and recover every entry of a symmetric matrix exactly", () => {
    fc.assert(
      fc.property(symmetricArb, fc.integer({ min: 1, max: 4 }), fc.integer(), fc.constantFrom(...ORDERS), ([n, edges], lanes, seed, order) => {
        const p = symmetricFromEdges(n, edges);
        const coloring = starColoring(p, order);
        checkColorsInRange(coloring);
        checkStar(p, coloring);
        const { values, at } = randomValues(p, seed, true);
        expect(recoverAll(hessianRecovery(p, coloring), at, lanes)).toEqual(values);
      }),
      { numRuns: 200 },
    );
  });

  it("needs few colors on structured patterns", () => {
    const chain = symmetricFromEdges(100, Array.from({ length: 99 }, (_, i) => [i, i + 1] as [number, number]));
    expect(starColoring(chain).count).toBe(3);
    const N = 30;
    const grid: [number, number][] = [];
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        if (i + 1 < N) grid.push([i * N + j, (i + 1) * N + j]);
        if (j + 1 < N) grid.push([i * N + j, i * N + j + 1]);
      }
    }
    const gridPattern = symmetricFromEdges(N * N, grid);
    const coloring = starColoring(gridPattern);
    checkStar(gridPattern, coloring);
    expect(coloring.count).toBeLessThanOrEqual(6);
    const arrow = symmetricFromEdges(50, Array.from({ length: 49 }, (_, i) => [0, i + 1] as [number, number]));
    expect(starColoring(arrow).count).toBe(2);
    expect(starColoring(symmetricFromEdges(10, [])).count).toBe(1);
  });

  it("rejects a coloring that is not a star coloring, and a pattern that is not symmetric", () => {
    // The path 0-1-2-3 colored a b a b.
    const path = symmetricFromEdges(4, [[0, 1], [1, 2], [2, 3]]);
    expect(() => hessianRecovery(path, { colors: Int32Array.from([0, 1, 0, 1]), count: 2 })).toThrow(/not a star coloring/);
    expect(() => starColoring(patternFromRows([[1], []], 2))).toThrow(/not symmetric/);
  });
});
