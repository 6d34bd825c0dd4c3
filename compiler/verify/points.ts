/**
 * Where `tsgrad verify` evaluates a function: seeded random points.
 *
 * - If the function's module exports `<name>Inputs`, it decides the shapes:
 *   `<name>Inputs(random)` (a parameter declared) is called once per point with a seeded
 *   `random()` uniform in [0, 1); `<name>Inputs()` (none) gives the first point, and the
 *   others scale each differentiated number by a random factor in [0.9, 1.1] (signs and
 *   zeros, and so domains, are kept).
 * - Otherwise shapes are inferred from the parameter types: a number is uniform in
 *   [0.1, 1] (positive, so logs and square roots are defined), unless the function uses it
 *   as an index or a size and does not differentiate it (then it is 3: an index of every
 *   guessed array); an array has 4 elements per dimension (Float64Array and Float32Array
 *   kept), an object gets its fields (an instance of its class when the module exports
 *   the class; an array of objects: 4 of them). Int32Array, boolean, string and other
 *   parameters cannot be guessed: such a function needs `<name>Inputs`.
 */
import type { ValueType } from "../ir/nodes.ts";
import { elementOfRecords } from "../ir/types.ts";
import { cloneValue, flatten, unflattenLike } from "./values.ts";

export const INFERRED_LENGTH = 4;

export type InputsFunction = (...args: unknown[]) => unknown;

export type Points = { points: unknown[][]; source: "inputs(random)" | "inputs()" | "inferred" } | { error: string };

/** What a number used as an index or a size is guessed as: an index of every guessed array but the first. */
export const WHOLE_NUMBER_GUESS = INFERRED_LENGTH - 1;

/** A parameter as verify sees it; `whole`: a number the function uses as an index or a size. */
export interface PointParam {
  name: string;
  type: ValueType;
  whole?: boolean;
}

/**
 * `prototypeOf(name)`: the prototype of the module's exported class of that name, so a guessed
 * object of a class type is an instance whose methods the function can call.
 */
export function pointsFor(
  name: string,
  params: readonly PointParam[],
  wrt: readonly string[],
  inputs: InputsFunction | undefined,
  count: number,
  random: () => number,
  prototypeOf: (className: string) => object | undefined = () => undefined,
): Points {
  if (inputs) {
    const call = (...a: unknown[]) => {
      const value = inputs(...a);
      if (!Array.isArray(value) || value.length !== params.length) {
        throw new Error(`${name}Inputs() should return an array of ${params.length} arguments (${params.map((p) => p.name).join(", ")})`);
      }
      return value as unknown[];
    };
    if (inputs.length >= 1) return { points: Array.from({ length: count }, () => call(random)), source: "inputs(random)" };
    const base = call();
    const points = [base];
    for (let k = 1; k < count; k++) {
      points.push(base.map((arg, i) => (wrt.includes(params[i]!.name) ? scaleNumbers(cloneValue(arg), random) : cloneValue(arg))));
    }
    return { points, source: "inputs()" };
  }
  const unguessable = params.filter((p) => !guessable(p.type));
  if (unguessable.length > 0) {
    return { error: `cannot guess ${unguessable.map((p) => `'${p.name}'`).join(", ")}: export ${name}Inputs(random) returning the arguments` };
  }
  return { points: Array.from({ length: count }, () => params.map((p) => (p.whole && p.type.kind === "number" && !wrt.includes(p.name) ? WHOLE_NUMBER_GUESS : guess(p.type, random, prototypeOf)))), source: "inferred" };
}

function guessable(type: ValueType): boolean {
  if (type.kind === "number") return true;
  if (type.kind === "array") return type.container !== "int32array" && guessable(type.element);
  if (type.kind === "record") return type.fields.every((f) => guessable(f.type));
  return false;
}

function guess(type: ValueType, random: () => number, prototypeOf: (className: string) => object | undefined): unknown {
  switch (type.kind) {
    case "number":
      return 0.1 + 0.9 * random();
    case "array": {
      const items = Array.from({ length: INFERRED_LENGTH }, () => guess(type.element, random, prototypeOf));
      return type.container === "float64array" ? Float64Array.from(items as number[]) : type.container === "float32array" ? Float32Array.from(items as number[]) : items;
    }
    case "record": {
      // An array of records (`layers: Dense[]`, held field by field in the IR): that many records.
      if (type.arrayOfRecords) return Array.from({ length: INFERRED_LENGTH }, () => guess(elementOfRecords(type), random, prototypeOf));
      const fields = Object.fromEntries(type.fields.map((f) => [f.name, guess(f.type, random, prototypeOf)]));
      const prototype = type.name === undefined ? undefined : prototypeOf(type.name);
      return prototype ? Object.assign(Object.create(prototype) as object, fields) : fields;
    }
    default:
      throw new Error(`cannot guess a value of type ${type.kind}`);
  }
}

function scaleNumbers(value: unknown, random: () => number): unknown {
  return unflattenLike(value, flatten(value).map((x) => x * (0.9 + 0.2 * random())));
}
