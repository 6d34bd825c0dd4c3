/**
 * Lanes records for the vector (width-k) sweeps: the tangents of `width` directions at
 * once, directions innermost (`x[i * width + lane]`). Numbers and flat arrays are widened
 * by the generated code itself (`new Float64Array(x.length * width)`); arrays of rows
 * through these helpers, row by row.
 */

/** Zeros shaped like `rows`, each row `width` times as long: the lanes of a `number[][]`. */
export function zeroLaneRows(rows: readonly ArrayLike<number>[], width: number): number[][] {
  return rows.map((row) => new Array<number>(row.length * width).fill(0));
}

/** Zeros shaped like `rows`, each row `width` times as long: the lanes of a `Float64Array[]`. */
export function zeroLaneRows64(rows: readonly ArrayLike<number>[], width: number): Float64Array[] {
  return rows.map((row) => new Float64Array(row.length * width));
}
