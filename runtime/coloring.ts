/**
 * Sparse Jacobians and Hessians from a few compressed sweeps: the colorings that group
 * columns (or rows) which can share one sweep, and the recovery of every nonzero from the
 * compressed results. Used by the generated fJacobianSparse and fHessianSparse.
 *
 * A sweep seeded with the sum of the unit vectors of one color group computes, for each
 * row i, the sum of the entries of row i in that group's columns. Where at most one of
 * them can be nonzero (the pattern says so), that sum is the entry itself:
 *
 * - Jacobians, by columns: a distance-2 coloring of the columns (Curtis, Powell and Reid:
 *   no two columns with a nonzero in the same row share a color), one forward sweep per
 *   color; or by rows, the same coloring of Jᵀ, one reverse sweep per color.
 * - Hessians: a star coloring of the adjacency graph (Gebremedhin, Tarafdar, Manne and
 *   Pothen 2007: a distance-1 coloring in which every path on four vertices uses at least
 *   three colors), one Hessian-vector product per color. Every entry is then readable
 *   from at least one side: H_ij from row i of color(j)'s product, or from row j of
 *   color(i)'s. Where both are readable the two are averaged, as the dense fHessian
 *   averages H and Hᵀ, so such entries equal the dense Hessian's to the last bit.
 *
 * Indices are 0-based; colors are 0 … count − 1.
 */

/** Where the nonzeros of an m×n matrix may be: compressed sparse rows. */
export interface SparsityPattern {
  readonly rows: number;
  readonly columns: number;
  /** Row i's entries are at rowPointers[i] … rowPointers[i + 1] − 1 (length rows + 1). */
  readonly rowPointers: Int32Array;
  /** The column of each entry, increasing within a row. */
  readonly columnIndices: Int32Array;
}

/** A sparse matrix in compressed sparse rows: a pattern and one value per entry. */
export interface SparseMatrix extends SparsityPattern {
  readonly values: Float64Array;
}

/** A color for each column (or row) of a pattern. */
export interface Coloring {
  readonly colors: Int32Array;
  readonly count: number;
}

/** The order in which the greedy colorings visit vertices. */
export type ColoringOrder = "natural" | "largestFirst";

/** Builds a pattern from each row's column indices (any order, duplicates allowed). */
export function patternFromRows(rows: readonly (readonly number[])[], columns: number): SparsityPattern {
  const rowPointers = new Int32Array(rows.length + 1);
  let nnz = 0;
  const sorted: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = Array.from(new Set(rows[i]!)).sort((a, b) => a - b);
    for (const j of row) if (!(Number.isInteger(j) && j >= 0 && j < columns)) throw new RangeError(`column ${j} of row ${i} is outside 0…${columns - 1}`);
    sorted.push(row);
    nnz += row.length;
    rowPointers[i + 1] = nnz;
  }
  const columnIndices = new Int32Array(nnz);
  for (let i = 0; i < rows.length; i++) columnIndices.set(sorted[i]!, rowPointers[i]!);
  return { rows: rows.length, columns, rowPointers, columnIndices };
}

/** The pattern of the transpose. */
export function transposePattern(p: SparsityPattern): SparsityPattern {
  const counts = new Int32Array(p.columns + 1);
  const nnz = p.columnIndices.length;
  for (let k = 0; k < nnz; k++) counts[p.columnIndices[k]! + 1]!++;
  for (let j = 0; j < p.columns; j++) counts[j + 1]! += counts[j]!;
  const rowPointers = counts.slice();
  const next = counts.slice(0, p.columns);
  const columnIndices = new Int32Array(nnz);
  // Rows are visited in order, so each transposed row's indices come out increasing.
  for (let i = 0; i < p.rows; i++) {
    for (let k = p.rowPointers[i]!; k < p.rowPointers[i + 1]!; k++) columnIndices[next[p.columnIndices[k]!]!++] = i;
  }
  return { rows: p.columns, columns: p.rows, rowPointers, columnIndices };
}

/**
 * The union of a square pattern with its transpose, with every diagonal entry unless
 * `withDiagonal` is false (a Hessian's pattern as the colorings read it): the pattern
 * itself when it already is (detected Hessian rows usually are).
 */
export function symmetricPattern(p: SparsityPattern, withDiagonal = true): SparsityPattern {
  if (p.rows !== p.columns) throw new RangeError(`a symmetric pattern must be square, not ${p.rows}×${p.columns}`);
  if (isSymmetric(p, withDiagonal)) return p;
  const t = transposePattern(p);
  const rowPointers = new Int32Array(p.rows + 1);
  const merged = new Int32Array(p.columnIndices.length + t.columnIndices.length + (withDiagonal ? p.rows : 0));
  let k = 0;
  for (let i = 0; i < p.rows; i++) {
    let a = p.rowPointers[i]!;
    let b = t.rowPointers[i]!;
    const aEnd = p.rowPointers[i + 1]!;
    const bEnd = t.rowPointers[i + 1]!;
    let diagonal = !withDiagonal;
    // Merges the two increasing rows, with i itself where it belongs.
    while (a < aEnd || b < bEnd || !diagonal) {
      const ja = a < aEnd ? p.columnIndices[a]! : p.columns;
      const jb = b < bEnd ? t.columnIndices[b]! : p.columns;
      const j = Math.min(ja, jb, diagonal ? p.columns : i);
      if (j === i) diagonal = true;
      if (ja === j) a++;
      if (jb === j) b++;
      merged[k++] = j;
    }
    rowPointers[i + 1] = k;
  }
  return { rows: p.rows, columns: p.columns, rowPointers, columnIndices: merged.slice(0, k) };
}

/**
 * Whether (j, i) is an entry wherever (i, j) is (and, with `withDiagonal`, every (i, i)):
 * rows are visited in order, so the entries of row j that hold i are met in order too.
 */
function isSymmetric(p: SparsityPattern, withDiagonal: boolean): boolean {
  const next = p.rowPointers.slice(0, p.rows);
  for (let i = 0; i < p.rows; i++) {
    let diagonal = !withDiagonal;
    for (let k = p.rowPointers[i]!; k < p.rowPointers[i + 1]!; k++) {
      const j = p.columnIndices[k]!;
      const at = next[j]!++;
      if (at >= p.rowPointers[j + 1]! || p.columnIndices[at] !== i) return false;
      if (j === i) diagonal = true;
    }
    if (!diagonal) return false;
  }
  return true;
}

/** The vertices 0 … n − 1 in the given order; `degree(v)` for largest-first (ties in natural order). */
function visitOrder(n: number, order: ColoringOrder, degree: (v: number) => number): Int32Array {
  const vertices = new Int32Array(n);
  for (let v = 0; v < n; v++) vertices[v] = v;
  if (order === "largestFirst") {
    // A counting sort by degree, stable: ties keep the natural order.
    let maxDegree = 0;
    for (let v = 0; v < n; v++) maxDegree = Math.max(maxDegree, degree(v));
    const start = new Int32Array(maxDegree + 2);
    for (let v = 0; v < n; v++) start[maxDegree - degree(v) + 1]!++;
    for (let d = 0; d <= maxDegree; d++) start[d + 1]! += start[d]!;
    for (let v = 0; v < n; v++) vertices[start[maxDegree - degree(v)]!++] = v;
  }
  return vertices;
}

/** The smallest color (0-based) whose stamp in `forbidden` is not `stamp`. */
function smallestAllowed(forbidden: Int32Array, stamp: number): number {
  let c = 0;
  while (forbidden[c] === stamp) c++;
  return c;
}

/**
 * Columns that share a color have no nonzero in a common row (a distance-2 coloring of
 * the columns in the bipartite graph of rows and columns), greedily in the given order.
 * Each entry J_ij is then row i of the sweep seeded with color(j)'s columns.
 */
export function columnColoring(p: SparsityPattern, order: ColoringOrder = "natural"): Coloring {
  const t = transposePattern(p);
  const colors = new Int32Array(p.columns).fill(-1);
  // forbidden[c] === v + 1 while coloring v: color c is taken by a column sharing a row with v.
  const forbidden = new Int32Array(p.columns + 1);
  let count = 0;
  for (const v of visitOrder(p.columns, order, (j) => t.rowPointers[j + 1]! - t.rowPointers[j]!)) {
    const stamp = v + 1;
    for (let a = t.rowPointers[v]!; a < t.rowPointers[v + 1]!; a++) {
      const row = t.columnIndices[a]!;
      for (let b = p.rowPointers[row]!; b < p.rowPointers[row + 1]!; b++) {
        const c = colors[p.columnIndices[b]!]!;
        if (c >= 0) forbidden[c] = stamp;
      }
    }
    const c = smallestAllowed(forbidden, stamp);
    colors[v] = c;
    count = Math.max(count, c + 1);
  }
  return { colors, count };
}

/** The same for the rows (the columns of the transpose): each entry J_ij is column j of the reverse sweep seeded with color(i)'s rows. */
export function rowColoring(p: SparsityPattern, order: ColoringOrder = "natural"): Coloring {
  return columnColoring(transposePattern(p), order);
}

/**
 * A star coloring of a symmetric pattern's adjacency graph (the diagonal is ignored),
 * greedily in the given order, keeping the two-colored stars as it goes (Gebremedhin,
 * Tarafdar, Manne and Pothen 2007, algorithm 4.1, written from the paper's description):
 *
 * - when v has two neighbors q, w of one color, v will be the center of their star, so no
 *   neighbor of q or w may take v's color (it would end a two-colored path of four);
 * - when w's edge to x belongs to a star centered at x, v may not take x's color (x has
 *   another leaf of w's color, or may get one).
 *
 * After v is colored, each edge v–w joins the star of w's edge to a neighbor of v's
 * color (w is then its center), or the star of v's edge to an earlier neighbor of w's
 * color (v is its center), or starts a star of its own.
 */
export function starColoring(p: SparsityPattern, order: ColoringOrder = "natural"): Coloring {
  const n = p.rows;
  if (n !== p.columns) throw new RangeError(`a star coloring needs a square pattern, not ${p.rows}×${p.columns}`);
  const { rowPointers: start, columnIndices: neighbor } = p;
  // Each undirected edge has one id, shared by its two entries (i, j) and (j, i).
  const edgeOf = new Int32Array(neighbor.length).fill(-1);
  let edges = 0;
  for (let v = 0; v < n; v++) {
    for (let a = start[v]!; a < start[v + 1]!; a++) {
      const w = neighbor[a]!;
      if (w <= v) continue;
      const back = findEntry(p, w, v);
      if (back < 0) throw new RangeError(`the pattern is not symmetric: it has (${v}, ${w}) but not (${w}, ${v})`);
      edgeOf[a] = edgeOf[back] = edges++;
    }
  }
  const color = new Int32Array(n).fill(-1);
  const forbidden = new Int32Array(n + 1);
  const treated = new Int32Array(n);
  // Per color: the first neighbor of the vertex being colored with that color, and their edge.
  const firstVisitor = new Int32Array(n + 1);
  const firstNeighbor = new Int32Array(n + 1);
  const firstEdge = new Int32Array(n + 1);
  const star = new Int32Array(edges).fill(-1);
  // The center of each star; −1 while it is one edge (either end can serve).
  let centers = new Int32Array(Math.max(16, edges));
  let stars = 0;
  const forbidNeighborsOf = (w: number, stamp: number) => {
    for (let b = start[w]!; b < start[w + 1]!; b++) {
      const x = neighbor[b]!;
      if (x !== w && color[x]! >= 0) forbidden[color[x]!] = stamp;
    }
    treated[w] = stamp;
  };
  let count = 0;
  for (const v of visitOrder(n, order, (i) => start[i + 1]! - start[i]!)) {
    const stamp = v + 1;
    for (let a = start[v]!; a < start[v + 1]!; a++) {
      const w = neighbor[a]!;
      const cw = w === v ? -1 : color[w]!;
      if (cw < 0) continue;
      forbidden[cw] = stamp;
      if (firstVisitor[cw] === stamp) {
        const q = firstNeighbor[cw]!;
        if (treated[q] !== stamp) forbidNeighborsOf(q, stamp);
        forbidNeighborsOf(w, stamp);
      } else {
        firstVisitor[cw] = stamp;
        firstNeighbor[cw] = w;
        firstEdge[cw] = edgeOf[a]!;
        for (let b = start[w]!; b < start[w + 1]!; b++) {
          const x = neighbor[b]!;
          if (x === w || x === v || color[x]! < 0) continue;
          if (centers[star[edgeOf[b]!]!] === x) forbidden[color[x]!] = stamp;
        }
      }
    }
    const c = smallestAllowed(forbidden, stamp);
    color[v] = c;
    count = Math.max(count, c + 1);
    for (let a = start[v]!; a < start[v + 1]!; a++) {
      const w = neighbor[a]!;
      if (w === v || color[w]! < 0) continue;
      let joined = false;
      for (let b = start[w]!; b < start[w + 1]!; b++) {
        const x = neighbor[b]!;
        if (x !== v && x !== w && color[x] === c) {
          const s = star[edgeOf[b]!]!;
          centers[s] = w;
          star[edgeOf[a]!] = s;
          joined = true;
          break;
        }
      }
      if (joined) continue;
      const cw = color[w]!;
      if (firstVisitor[cw] === stamp && firstNeighbor[cw] !== w) {
        const s = star[firstEdge[cw]!]!;
        centers[s] = v;
        star[edgeOf[a]!] = s;
      } else {
        if (stars === centers.length) {
          const grown = new Int32Array(stars * 2);
          grown.set(centers);
          centers = grown;
        }
        centers[stars] = -1;
        star[edgeOf[a]!] = stars++;
      }
    }
  }
  return { colors: color, count };
}

/** The position of entry (i, j) in the pattern, or −1 (binary search in row i). */
export function findEntry(p: SparsityPattern, i: number, j: number): number {
  let lo = p.rowPointers[i]!;
  let hi = p.rowPointers[i + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = p.columnIndices[mid]!;
    if (c === j) return mid;
    if (c < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * How to read each entry of a pattern from compressed sweeps: sweep `color` holds, at
 * `index`, the sum of the entries of one line (a row for sweeps over columns, a column
 * for sweeps over rows) in that color's columns (or rows). An entry comes from one such
 * place, or from two whose mean it is (a Hessian entry readable from both sides).
 */
export interface Recovery {
  readonly pattern: SparsityPattern;
  /** The color of each column (sweeps over columns) or row (over rows). */
  readonly coloring: Coloring;
  readonly direction: "columns" | "rows";
  /** Per entry: where its value is, and where its second value is (color −1: none); the first has the smaller color. */
  readonly firstIndex: Int32Array;
  readonly firstColor: Int32Array;
  readonly secondIndex: Int32Array;
  readonly secondColor: Int32Array;
}

/**
 * The recovery of a Jacobian's entries from sweeps over columns (a column coloring: J_ij at
 * row i of color(j)'s sweep) or over rows (a row coloring: J_ij at column j of color(i)'s).
 * Throws if the coloring does not separate the pattern.
 */
export function jacobianRecovery(pattern: SparsityPattern, coloring: Coloring, direction: "columns" | "rows"): Recovery {
  const nnz = pattern.columnIndices.length;
  const firstIndex = new Int32Array(nnz);
  const firstColor = new Int32Array(nnz);
  for (let i = 0; i < pattern.rows; i++) {
    for (let k = pattern.rowPointers[i]!; k < pattern.rowPointers[i + 1]!; k++) {
      const j = pattern.columnIndices[k]!;
      firstIndex[k] = direction === "columns" ? i : j;
      firstColor[k] = coloring.colors[direction === "columns" ? j : i]!;
    }
  }
  const recovery: Recovery = { pattern, coloring, direction, firstIndex, firstColor, secondIndex: new Int32Array(nnz), secondColor: new Int32Array(nnz).fill(-1) };
  const lines = direction === "columns" ? pattern : transposePattern(pattern);
  const seen = new Int32Array(coloring.count).fill(-1);
  for (let line = 0; line < lines.rows; line++) {
    for (let k = lines.rowPointers[line]!; k < lines.rowPointers[line + 1]!; k++) {
      const c = coloring.colors[lines.columnIndices[k]!]!;
      if (seen[c] === line) throw new Error(`the coloring does not separate the pattern: ${direction === "columns" ? "row" : "column"} ${line} has two entries of color ${c}`);
      seen[c] = line;
    }
  }
  return recovery;
}

/**
 * The recovery of a symmetric matrix's entries from Hessian-vector products seeded by
 * color (any coloring of the symmetric pattern, a star coloring in particular): H_ij is
 * row i of color(j)'s product when no other column of row i has color(j), and row j of
 * color(i)'s when no other column of row j has color(i); the mean where both hold.
 * Throws if neither holds for some entry (the coloring is not a star coloring).
 */
export function hessianRecovery(pattern: SparsityPattern, coloring: Coloring): Recovery {
  const n = pattern.rows;
  const nnz = pattern.columnIndices.length;
  const { colors } = coloring;
  // uniqueIn[k]: entry k's color appears once in its row.
  const uniqueIn = new Uint8Array(nnz);
  const seen = new Int32Array(coloring.count).fill(-1);
  const times = new Int32Array(coloring.count);
  for (let i = 0; i < n; i++) {
    for (let k = pattern.rowPointers[i]!; k < pattern.rowPointers[i + 1]!; k++) {
      const c = colors[pattern.columnIndices[k]!]!;
      if (seen[c] !== i) {
        seen[c] = i;
        times[c] = 0;
      }
      times[c]!++;
    }
    for (let k = pattern.rowPointers[i]!; k < pattern.rowPointers[i + 1]!; k++) uniqueIn[k] = times[colors[pattern.columnIndices[k]!]!] === 1 ? 1 : 0;
  }
  const firstIndex = new Int32Array(nnz);
  const firstColor = new Int32Array(nnz);
  const secondIndex = new Int32Array(nnz);
  const secondColor = new Int32Array(nnz).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let k = pattern.rowPointers[i]!; k < pattern.rowPointers[i + 1]!; k++) {
      const j = pattern.columnIndices[k]!;
      const mirror = i === j ? k : findEntry(pattern, j, i);
      if (mirror < 0) throw new RangeError(`the pattern is not symmetric: it has (${i}, ${j}) but not (${j}, ${i})`);
      const fromRow = uniqueIn[k] === 1; // H_ij at row i of color(j)
      const fromColumn = i !== j && uniqueIn[mirror] === 1; // H_ji at row j of color(i)
      if (!fromRow && !fromColumn) throw new Error(`the coloring is not a star coloring: entry (${i}, ${j}) cannot be recovered`);
      const a = { index: i, color: colors[j]! };
      const b = { index: j, color: colors[i]! };
      const [first, second] = fromRow && fromColumn ? (a.color <= b.color ? [a, b] : [b, a]) : [fromRow ? a : b, null];
      firstIndex[k] = first.index;
      firstColor[k] = first.color;
      if (second) {
        secondIndex[k] = second.index;
        secondColor[k] = second.color;
      }
    }
  }
  return { pattern, coloring, direction: "columns", firstIndex, firstColor, secondIndex, secondColor };
}

/**
 * Seeds for the sweeps of colors `from` … `from + lanes − 1`, one per lane: `seeds` (length
 * colored vertices × lanes, lane innermost) gets 1 at (k, c − from) for every k of color c
 * in that range, 0 elsewhere.
 */
export function seedColors(coloring: Coloring, from: number, lanes: number, seeds: Float64Array): void {
  seeds.fill(0);
  const { colors } = coloring;
  for (let k = 0; k < colors.length; k++) {
    const lane = colors[k]! - from;
    if (lane >= 0 && lane < lanes) seeds[k * lanes + lane] = 1;
  }
}

/**
 * Reads the entries whose values the sweeps of colors `from` … `from + lanes − 1` hold
 * (`compressed[index × lanes + color − from]`) into `values`. Call it for the colors in
 * increasing order: an entry read from two places holds the first until the second
 * arrives, then their mean `0.5 * (a + b)`, as the dense fHessian computes it.
 */
export function recoverColors(recovery: Recovery, from: number, lanes: number, compressed: Float64Array, values: Float64Array): void {
  const { firstIndex, firstColor, secondIndex, secondColor } = recovery;
  const to = from + lanes;
  for (let k = 0; k < values.length; k++) {
    const c1 = firstColor[k]!;
    const c2 = secondColor[k]!;
    if (c1 >= from && c1 < to) values[k] = compressed[firstIndex[k]! * lanes + c1 - from]!;
    if (c2 >= from && c2 < to) values[k] = 0.5 * (values[k]! + compressed[secondIndex[k]! * lanes + c2 - from]!);
  }
}
