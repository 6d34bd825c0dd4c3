/**
 * Deterministic naming for generated code. Adjoints are `x_bar`, tangents `x_dot`,
 * temporaries `_t0`, `_t1`…; a name already taken (by the user's code or an earlier
 * generated name) gets a numeric suffix. No randomness: output is byte-stable.
 */
import type { FunctionIR } from "../ir/nodes.ts";
import { mentionedNames } from "../ir/visit.ts";

export class Namer {
  private readonly taken: Set<string>;
  private temps = 0;

  constructor(taken: Iterable<string>) {
    this.taken = new Set(taken);
  }

  static forFunction(fn: FunctionIR, moduleNames: Iterable<string> = []): Namer {
    return new Namer([...namesIn(fn), ...moduleNames]);
  }

  /** `base` if free, else `base_1`, `base_2`, … Records the result as taken. */
  fresh(base: string): string {
    const name = freeName(this.taken, base);
    this.taken.add(name);
    return name;
  }

  /** Marks a name as used without generating it (e.g. a name fixed by the public API). */
  reserve(name: string): void {
    this.taken.add(name);
  }

  has(name: string): boolean {
    return this.taken.has(name);
  }

  /** An independent copy: generating twice from the same state gives the same names. */
  clone(): Namer {
    const copy = new Namer(this.taken);
    copy.temps = this.temps;
    return copy;
  }

  /** Takes over every name `other` (a clone of this namer) has handed out. */
  adopt(other: Namer): void {
    for (const name of other.taken) this.taken.add(name);
    this.temps = Math.max(this.temps, other.temps);
  }

  temp(): string {
    let name: string;
    do name = `_t${this.temps++}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }
}

/** `base` if `taken` lacks it, else the first of `base_1`, `base_2`, … it lacks (what Namer.fresh gives, without a namer). */
export function freeName(taken: ReadonlySet<string>, base: string): string {
  let name = base;
  for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
  return name;
}

/** Every identifier a function declares or reads (added to `into`). */
export function namesIn(fn: FunctionIR, into = new Set<string>()): Set<string> {
  into.add(fn.name);
  for (const p of fn.params) into.add(p.name);
  for (const s of fn.body) mentionedNames(s, into);
  return into;
}
