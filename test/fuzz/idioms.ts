/**
 * Random programs written the way people write TypeScript (the constructs the front end
 * lowers: frontend/callbacks.ts, jumps.ts, spread.ts, destructuring), for differential
 * testing beside programs.ts: reduce/map/forEach/filter/some with arrow callbacks (block
 * bodies with early returns too), local arrow functions that close over the function's
 * variables, a helper taking a callback, a helper returning an object, array and object
 * destructuring, switch (shared cases, fallthrough, default), labelled continue/break,
 * for…of over entries(), spread into Math.max/min and array literals. Values stay bounded
 * (updates are contractions plus bounded functions). Same shape as programs.ts:
 * `fN(x: number[], y: number): number`, tagged @grad, @jvp and @hvp.
 */
/** An idiom program: its source and the name of its function. */
export interface IdiomProgram {
  source: string;
  name: string;
}

export function generateIdiomProgram(next: () => number, id: number): IdiomProgram {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const chance = (p: number) => next() < p;
  const constant = () => (next() * 2 - 1).toFixed(2);
  const scalars = ["s0", "s1", "s2"];
  let fresh = 0;
  const name = (base: string) => `${base}${fresh++}`;

  /** An expression over `leaves` (and the inputs). */
  const expr = (leaves: string[], depth: number): string => {
    const leaf = () => pick([...leaves, "y", `x[${Math.floor(next() * 4)}]`, constant()]);
    if (depth <= 0 || chance(0.3)) return leaf();
    const a = () => expr(leaves, depth - 1);
    switch (Math.floor(next() * 9)) {
      case 0: return `(${a()} + ${a()})`;
      case 1: return `(${a()} - ${a()})`;
      case 2: return `(${a()} * ${a()})`;
      case 3: return `Math.sin(${a()})`;
      case 4: return `Math.tanh(${a()})`;
      case 5: return `Math.exp(Math.sin(${a()}))`;
      case 6: return `(${a()} > ${a()} ? ${a()} : ${a()})`;
      case 7: return `Math.atan(${a()})`;
      default: return `(0.5 * ${a()}) ** 2`;
    }
  };
  const bounded = (e: string) => pick([`Math.sin(${e})`, `Math.tanh(${e})`, `Math.atan(${e})`]);
  const update = (s: string, e: string) => pick([`${s} = 0.7 * ${s} + ${bounded(e)};`, `${s} += 0.3 * ${bounded(e)};`]);

  const statement = (): string[] => {
    const s = pick(scalars);
    switch (Math.floor(next() * 13)) {
      case 0: {
        const acc = pick(["acc", "sum", "t"]);
        return [`${s} += 0.2 * x.reduce((${acc}, v, i) => ${acc} + ${bounded(expr(["v", "i", acc, s], 2))}, ${constant()});`];
      }
      case 1: {
        const m = name("m");
        return [`const ${m} = x.map((v) => ${bounded(expr(["v", s], 2))});`, update(s, `${m}[${Math.floor(next() * 4)}] + ${m}[${m}.length - 1]`)];
      }
      case 2: {
        const c = constant();
        return [
          `x.forEach((v, i) => {`,
          `  if (v > ${c}) {`,
          `    ${s} = 0.8 * ${s} + 0.2 * ${bounded(expr(["v", "i", s], 2))};`,
          `    return;`,
          `  }`,
          `  ${s} -= 0.1 * ${bounded(expr(["v", s], 2))};`,
          `});`,
        ];
      }
      case 3: {
        const g = name("g");
        const other = pick(scalars);
        return [`const ${g} = (t: number) => ${bounded(expr(["t", other], 2))};`, update(s, `${g}(x[${Math.floor(next() * 4)}]) + ${g}(y)`)];
      }
      case 4: {
        const [a, b] = [name("a"), name("b")];
        return [`const [${a}, ${b}] = [${expr(scalars, 2)}, ${expr(scalars, 1)}];`, update(s, `${a} * ${b} + ${a}`)];
      }
      case 5: {
        const [p, q] = [name("p"), name("q")];
        return [`const { u: ${p}, v: ${q} } = pair(${expr(scalars, 1)}, ${expr(scalars, 1)});`, update(s, `${p} - ${q} * y`)];
      }
      case 6: {
        const k = name("k");
        return [
          `for (let ${k} = 0; ${k} < x.length; ${k}++) {`,
          `  switch (${k} % 4) {`,
          `    case 0:`,
          `      ${s} += 0.2 * ${bounded(expr([`x[${k}]`, s], 2))};`,
          `      break;`,
          `    case 1:`,
          `    case 2:`,
          `      if (x[${k}] > ${constant()}) break;`,
          `      ${s} = 0.9 * ${s} + 0.1 * ${bounded(expr([`x[${k}]`], 2))};`,
          `    // falls through`,
          `    default:`,
          `      ${s} -= 0.1 * ${bounded(expr([`x[${k}]`, s], 1))};`,
          `  }`,
          `}`,
        ];
      }
      case 7: {
        const [i, j, label] = [name("i"), name("j"), name("rows")];
        const jump = pick(["continue", "break"]);
        return [
          `${label}: for (let ${i} = 0; ${i} < x.length; ${i}++) {`,
          `  for (let ${j} = 0; ${j} < x.length; ${j}++) {`,
          `    if (x[${i}] * x[${j}] > ${constant()}) ${jump} ${label};`,
          `    ${s} = 0.9 * ${s} + 0.1 * ${bounded(expr([`x[${i}]`, `x[${j}]`, s], 2))};`,
          `  }`,
          `  ${s} *= 0.95;`,
          `}`,
        ];
      }
      case 8: {
        const [i, v] = [name("i"), name("v")];
        return [`for (const [${i}, ${v}] of x.entries()) ${update(s, expr([v, i, s], 2)).replace(/;$/, "")};`];
      }
      case 9:
        return [update(s, `Math.max(...x) + Math.min(${expr(scalars, 1)}, ...x)`)];
      case 10: {
        const z = name("z");
        return [`const ${z} = [...x, ${expr(scalars, 1)}, ...x];`, update(s, `${z}[${Math.floor(next() * 9)}] * ${z}[${z}.length - 1]`)];
      }
      case 11:
        return [update(s, `sumOf(x, (v) => ${bounded(expr(["v", "y"], 2))})`)];
      default: {
        const f = name("f");
        return [
          `const ${f} = x.filter((v) => v > ${constant()});`,
          `if (x.some((v) => v < ${constant()})) ${s} *= 0.8;`,
          `for (const v of ${f}) ${update(s, expr(["v", s], 2)).replace(/;$/, "")};`,
        ];
      }
    }
  };

  const fn = `f${id}`;
  const body = Array.from({ length: 3 + Math.floor(next() * 3) }, statement).flat();
  const source = [
    `interface Pair {`,
    `  u: number;`,
    `  v: number;`,
    `}`,
    ``,
    `const pair = (a: number, b: number): Pair => ({ u: Math.sin(a) + b, v: a * Math.cos(b) });`,
    ``,
    `function sumOf(xs: number[], f: (v: number) => number): number {`,
    `  let s = 0;`,
    `  for (const v of xs) s += f(v);`,
    `  return 0.25 * s;`,
    `}`,
    ``,
    `/**`,
    ` * @grad x, y`,
    ` * @jvp x, y`,
    ` * @hvp x, y`,
    ` */`,
    `export const ${fn} = (x: number[], y: number): number => {`,
    `  let s0 = x[0] * y;`,
    `  let s1 = Math.sin(x[1]);`,
    `  let s2 = 0.1;`,
    ...body.map((l) => `  ${l}`),
    `  return s0 + s1 * s2 + 0.5 * s2;`,
    `};`,
  ].join("\n");
  return { source, name: fn };
}
