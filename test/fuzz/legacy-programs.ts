/**
 * The first fuzz generator, kept unchanged for test/fuzz/output-hash.ts, whose hash over
 * its programs shows that a refactoring changed no generated output (a new generator
 * would change the programs, and the hash, under it). The differential fuzzer now uses
 * programs.ts and forms.ts.
 *
 * A generator of random programs in the differentiable subset, for differential testing:
 * nested counted and while loops, continue/break, branches, early returns, reads and
 * (compound) writes of a local array, calls to a helper, and most Math intrinsics. Values
 * stay bounded (updates are contractions plus bounded functions), so finite differences
 * remain meaningful.
 */

export interface Program {
  source: string;
  /** The annotated function's name; it takes (x: number[], y: number). */
  name: string;
}

/**
 * `heavyLoopFirst`: the body ends with a two-level loop nest followed by work that does
 * not depend on it (its own scalar, a loop over x) and a declaration the result reads once,
 * the shape lastLoop.ts moves the nest last for (ADBench's GMM: likelihood, then prior).
 */
export function generateProgram(next: () => number, id: number, heavyLoopFirst = false): Program {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const chance = (p: number) => next() < p;
  const scalars = ["s0", "s1", "s2"];
  let loopDepth = 0;
  const indices: string[] = [];
  /** Block locals in scope (read, never assigned). */
  const locals: string[] = [];

  /** Leaves are the inputs only (for loop iterations that only accumulate: fusable). */
  let inputsOnly = false;
  const leaf = (): string => {
    if (inputsOnly) return pick(["y", (next() * 2 - 1).toFixed(2), ...indices.map((i) => `x[${i}]`)]);
    const options = [...scalars, ...locals, "y", "x[0]", `x[${Math.floor(next() * 4)}]`, (next() * 2 - 1).toFixed(2), "acc[acc.length - 1]"];
    if (indices.length) options.push(`x[${pick(indices)}]`, `buf[${pick(indices)}]`);
    return pick(options);
  };

  const expr = (depth: number): string => {
    if (depth <= 0 || chance(0.25)) return leaf();
    const a = () => expr(depth - 1);
    switch (Math.floor(next() * 16)) {
      case 0: return `(${a()} + ${a()})`;
      case 1: return `(${a()} - ${a()})`;
      case 2: return `(${a()} * ${a()})`;
      case 3: return `(${a()} / (1.5 + Math.sin(${a()}) * Math.cos(${a()})))`;
      case 4: return `Math.sin(${a()})`;
      case 5: return `Math.cos(${a()})`;
      case 6: return `Math.tanh(${a()})`;
      case 7: return `Math.exp(Math.sin(${a()}))`;
      case 8: return `Math.sqrt(1.5 + Math.sin(${a()}))`;
      case 9: return `Math.log(2 + Math.sin(${a()}))`;
      case 10: return `Math.atan(${a()})`;
      case 11: return `Math.max(${a()}, ${a()})`;
      case 12: return `Math.hypot(${a()}, ${a()}, 0.5)`;
      case 13: return `(${a()} > ${a()} ? ${a()} : ${a()})`;
      case 14: return chance(0.5) ? `helper(${a()})` : `shared(${a()}, ${pick(["x", "buf"])})`;
      default: return `(0.5 * ${a()}) ** 2`;
    }
  };

  const bounded = (e: string) => pick([`Math.sin(${e})`, `Math.tanh(${e})`, `Math.atan(${e})`, `Math.cos(${e})`]);
  const cond = () => `${expr(2)} ${pick([">", "<", ">=", "<="])} ${(next() * 2 - 1).toFixed(2)}`;

  const stmts = (depth: number, count: number): string[] => {
    const out: string[] = [];
    for (let k = 0; k < count; k++) out.push(...stmt(depth));
    return out;
  };

  const stmt = (depth: number): string[] => {
    const r = Math.floor(next() * (depth > 0 ? 11 : 4));
    const s = pick(scalars);
    switch (r) {
      case 0: return [`${s} = 0.7 * ${s} + ${bounded(expr(3))};`];
      case 1: return [`${s} += 0.3 * ${bounded(expr(3))};`];
      case 2: return indices.length ? [`buf[${pick(indices)}] ${pick(["=", "+="])} ${bounded(expr(2))};`] : [`${s} *= 0.9;`];
      case 3: return [`${s} -= 0.2 * ${bounded(expr(2))};`];
      case 4: return [`if (${cond()}) {`, ...stmts(depth - 1, 2), `} else {`, ...stmts(depth - 1, 1), `}`];
      case 5: {
        if (loopDepth >= 2) return [`${s} = 0.5 * ${s} + ${bounded(expr(2))};`];
        const i = `i${loopDepth}`;
        loopDepth++;
        indices.push(i);
        const body = stmts(depth - 1, 2);
        if (chance(0.3)) body.unshift(`if (${cond()}) continue;`);
        if (chance(0.2)) body.push(`if (${cond()}) break;`);
        indices.pop();
        loopDepth--;
        return [`for (let ${i} = 0; ${i} < x.length; ${i}++) {`, ...body, `}`];
      }
      case 6: {
        const k = `k${Math.floor(next() * 1e6)}`;
        return [`let ${k} = 0;`, `while (${k} < 3) {`, ...stmts(depth - 1, 1), `${k}++;`, `}`];
      }
      // (An early return would put everything after it under a flag: nothing could move.)
      case 7: return heavyLoopFirst ? [`${s} = 0.7 * ${s} + ${bounded(expr(3))};`] : [`if (${cond()}) return ${expr(2)};`];
      case 8: return [`acc.push(${bounded(expr(2))});`];
      // A block that shadows an outer scalar.
      case 9: {
        // The initializer may not read the name it declares (that is a TDZ error in JavaScript).
        const other = pick(scalars.filter((n) => n !== s));
        return [`{`, `const ${s} = ${bounded(`${other} + y`)};`, `acc.push(${s} * 0.5);`, `}`];
      }
      // A block local the block's statements read (outside loops, reverse mode lifts it).
      default: {
        const local = `t${Math.floor(next() * 1e6)}`;
        const init = expr(2);
        locals.push(local);
        const body = stmts(depth - 1, 1);
        locals.pop();
        return [`{`, `const ${local} = ${init};`, ...body, `}`];
      }
    }
  };

  /** `for (i0) { …; for (i1) { … } }` over the program's scalars. */
  const nest = (): string[] => {
    indices.push("i0");
    loopDepth = 1;
    // Half the nests only accumulate functions of the inputs: reverse mode can fuse those.
    inputsOnly = chance(0.5);
    const accumulate = () => [`${pick(scalars)} += 0.3 * ${bounded(expr(3))};`];
    const outer = inputsOnly ? accumulate() : stmts(1, 1);
    indices.push("i1");
    loopDepth = 2;
    const inner = inputsOnly ? [...accumulate(), ...accumulate()] : stmts(1, 2);
    inputsOnly = false;
    indices.length = 0;
    loopDepth = 0;
    return [`for (let i0 = 0; i0 < x.length; i0++) {`, ...outer, `for (let i1 = 0; i1 < x.length; i1++) {`, ...inner, `}`, `}`];
  };

  const name = `f${id}`;
  const body = heavyLoopFirst ? [...stmts(1, 2), ...nest()] : stmts(3, 4 + Math.floor(next() * 3));
  // Independent of the nest: reads only x and y, writes only u0.
  const tail = heavyLoopFirst
    ? [
        `let u0 = ${bounded("y + x[0]")};`,
        `for (let j = 0; j < x.length; j++) u0 = 0.6 * u0 + ${bounded(`x[j] * ${(next() * 2 - 1).toFixed(2)} + u0 * y`)};`,
        // Linear in the scalars half the time: then the seeding reads nothing the nest writes, and the nest can fuse.
        chance(0.5) ? `const q = 0.5 * ${pick(scalars)} + ${bounded("u0 + y")};` : `const q = ${pick(scalars)} * ${bounded(`${pick(scalars)} + y`)};`,
      ]
    : [];
  const source = [
    `function helper(u: number): number {`,
    `  if (u > 0.5) return Math.sin(u) * u;`,
    `  return 0.5 * u * u - u;`,
    `}`,
    ``,
    `/** @noinline */`,
    `function shared(u: number, v: readonly number[]): number {`,
    `  let t = 0;`,
    `  for (let i = 0; i < v.length; i++) {`,
    `    if (v[i] > u) continue;`,
    `    t = 0.8 * t + Math.tanh(v[i] * u);`,
    `  }`,
    `  return t;`,
    `}`,
    ``,
    `/**`,
    ` * @grad x, y`,
    ` * @jvp x, y`,
    ` * @hvp x, y`,
    ` */`,
    `export function ${name}(x: number[], y: number): number {`,
    `  let s0 = x[0] * y;`,
    `  let s1 = Math.sin(x[1]);`,
    `  let s2 = 0.1;`,
    `  const buf = new Array(x.length).fill(0);`,
    `  const acc: number[] = [y];`,
    ...body.map((l) => `  ${l}`),
    ...tail.map((l) => `  ${l}`),
    heavyLoopFirst
      ? `  return s0 + s1 + 0.5 * s2 + buf[0] + buf[x.length - 1] + acc[acc.length - 1] * 0.3 + 0.4 * u0 + 0.2 * q;`
      : `  return s0 + s1 * s2 + buf[0] + buf[x.length - 1] + acc[acc.length - 1] * 0.3;`,
    `}`,
  ].join("\n");
  return { source, name };
}
