/**
 * runtime/records.ts, the flattening the dense Hessian and Jacobian drivers copy into
 * generated files: a record of parameters (numbers, arrays, typed arrays, matrices, nested
 * records) seen as one vector, fields in the order given, arrays row-major. Checked on
 * random records (fast-check) against a flattening written here independently, so a
 * wrong offset, order or size shows up without going through a compiled Hessian.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flatSize, readFlat, recordSize, setFlat, zeroRecord, type FlatRecord, type FlatValue } from "../runtime/records.ts";

const scalar = fc.integer({ min: -99, max: 99 });
/** Values of every shape a parameter can have, nested records included. */
const { value } = fc.letrec<{ value: FlatValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(scalar, { maxLength: 4 }),
    fc.array(scalar, { maxLength: 4 }).map((xs) => Float64Array.from(xs)),
    fc.array(fc.array(scalar, { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("u", "v", "w"), tie("value"), { minKeys: 1, maxKeys: 3 }),
  ),
}));
const record = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), value, { minKeys: 1, maxKeys: 4 });
/** A record and an order of (some of) its fields. */
const recordAndFields = record.chain((r) => fc.tuple(fc.constant(r), fc.shuffledSubarray(Object.keys(r), { minLength: 1 })));

/** The scalars of a value in flat order: fields in key order, arrays element after element. */
function scalarsOf(v: FlatValue): number[] {
  if (typeof v === "number") return [v];
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<FlatValue>).flatMap(scalarsOf);
  return Object.values(v as Record<string, FlatValue>).flatMap(scalarsOf);
}
const flatOf = (r: FlatRecord, fields: readonly string[]) => fields.flatMap((f) => scalarsOf(r[f]!));

describe("runtime/records.ts", () => {
  it("orders fields as given and arrays row-major", () => {
    const r: FlatRecord = { w: [[1, 2, 3], [4, 5, 6]], b: 7, t: Float64Array.of(8, 9), nested: { x: 10, y: [11, 12] } };
    const out: number[] = [];
    expect(readFlat(r, ["b", "w", "nested", "t"], out)).toBe(12);
    expect(out).toEqual([7, 1, 2, 3, 4, 5, 6, 10, 11, 12, 8, 9]);
    expect(recordSize(r, ["t", "b"])).toBe(3);
    expect(flatSize([])).toBe(0);
    expect(flatSize([[], [1, 2]])).toBe(2);
  });

  it("readFlat writes the scalars in flat order from the offset, and recordSize counts them", () => {
    fc.assert(
      fc.property(recordAndFields, fc.nat(3), ([r, fields], offset) => {
        const expected = flatOf(r, fields);
        const out = Array.from({ length: offset }, () => -1000);
        expect(readFlat(r, fields, out, offset)).toBe(offset + expected.length);
        expect(out).toEqual([...Array.from({ length: offset }, () => -1000), ...expected]);
        expect(recordSize(r, fields)).toBe(expected.length);
      }),
    );
  });

  it("setFlat changes exactly the k-th scalar, in place, and throws past the end", () => {
    fc.assert(
      fc.property(recordAndFields, fc.nat(), ([r, fields], pick) => {
        const before = flatOf(r, fields);
        const arrays = fields.map((f) => r[f]);
        if (before.length > 0) {
          const k = pick % before.length;
          setFlat(r, fields, k, 1000 + k);
          const after = flatOf(r, fields);
          expect(after).toEqual(before.map((x, i) => (i === k ? 1000 + k : x)));
          fields.forEach((f, i) => typeof arrays[i] !== "number" && expect(r[f]).toBe(arrays[i])); // same containers
        }
        expect(() => setFlat(r, fields, before.length, 1)).toThrow(RangeError);
      }),
    );
  });

  it("zeroRecord zeroes every scalar of every field, keeping the containers", () => {
    fc.assert(
      fc.property(record, (r) => {
        const fields = Object.keys(r);
        const arrays = fields.map((f) => r[f]);
        const size = recordSize(r, fields);
        zeroRecord(r);
        expect(flatOf(r, fields)).toEqual(Array.from({ length: size }, () => 0));
        fields.forEach((f, i) => typeof arrays[i] !== "number" && expect(r[f]).toBe(arrays[i]));
      }),
    );
  });
});
