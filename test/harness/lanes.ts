/**
 * Lanes records (the vector sweeps' directions, README "Vector sweeps"), built and read
 * independently of the generated code: a number's lanes are a Float64Array(k), a flat
 * array's are the same container k times as long with directions innermost
 * (`x[i * k + d]`), an array of rows' rows likewise, an object's fields each so.
 */

/** The lanes record holding `directions` (records of one shape), direction d in lane d. */
export function toLanes(directions: unknown[]): unknown {
  const k = directions.length;
  const first = directions[0];
  if (typeof first === "number") return Float64Array.from(directions as number[]);
  if (ArrayBuffer.isView(first) || (Array.isArray(first) && (first.length === 0 || typeof first[0] === "number"))) {
    const n = (first as ArrayLike<number>).length;
    const out: number[] = new Array<number>(n * k).fill(0);
    directions.forEach((dir, d) => {
      for (let i = 0; i < n; i++) out[i * k + d] = (dir as ArrayLike<number>)[i]!;
    });
    if (first instanceof Float64Array) return Float64Array.from(out);
    if (first instanceof Float32Array) return Float32Array.from(out);
    return out;
  }
  if (Array.isArray(first)) return first.map((_, r) => toLanes(directions.map((dir) => (dir as unknown[])[r])));
  return Object.fromEntries(Object.keys(first as object).map((f) => [f, toLanes(directions.map((dir) => (dir as Record<string, unknown>)[f]))]));
}

/** Direction d of a lanes record of width k, shaped like `like` (a record of the parameters' shapes). */
export function laneOf(lanes: unknown, like: unknown, k: number, d: number): unknown {
  if (typeof like === "number") return (lanes as Float64Array)[d]!;
  if (ArrayBuffer.isView(like) || (Array.isArray(like) && (like.length === 0 || typeof like[0] === "number"))) {
    const n = (like as ArrayLike<number>).length;
    return Array.from({ length: n }, (_, i) => (lanes as ArrayLike<number>)[i * k + d]!);
  }
  if (Array.isArray(like)) return like.map((row, r) => laneOf((lanes as unknown[])[r], row, k, d));
  return Object.fromEntries(Object.keys(like as object).map((f) => [f, laneOf((lanes as Record<string, unknown>)[f], (like as Record<string, unknown>)[f], k, d)]));
}

/** A lanes record of width k filled with NaN (so an entry the sweep forgets to set shows). */
export function nanLanes(like: unknown, k: number): unknown {
  return toLanes(Array.from({ length: k }, () => mapNaN(like)));
}

function mapNaN(v: unknown): unknown {
  if (typeof v === "number") return NaN;
  if (v instanceof Float64Array) return new Float64Array(v.length).fill(NaN);
  if (v instanceof Float32Array) return new Float32Array(v.length).fill(NaN);
  if (Array.isArray(v)) return v.map(mapNaN);
  return Object.fromEntries(Object.entries(v as object).map(([f, x]) => [f, mapNaN(x)]));
}
