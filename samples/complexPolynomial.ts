/**
 * |p(z)|² for a polynomial with real coefficients at a complex point, by Horner's rule in
 * complex arithmetic written with small objects: helpers return `{ re, im }`, the
 * accumulator is reassigned a whole object, the coefficients come from a module-level
 * table scaled by a parameter, and the evaluation point is a tuple.
 *
 *   f(c, [x, y]) = |Σ_k s_k c_k z^k|²,   z = x + i y,   s_k = SCALE[k]
 */
interface Complex {
  re: number;
  im: number;
}

const SCALE = [1, 0.5, 0.25, 0.125, 0.0625];

const mul = (a: Complex, b: Complex): Complex => ({ re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re });

function add(a: Complex, re: number): Complex {
  return { re: a.re + re, im: a.im };
}

/**
 * @grad
 * @jvp
 * @hvp
 */
export function polyAbs2(c: number[], [x, y]: [number, number]): number {
  const z = { re: x, im: y };
  let acc: Complex = { re: 0, im: 0 };
  for (let k = c.length - 1; k >= 0; k--) acc = add(mul(acc, z), SCALE[k] * c[k]);
  const { re, im } = acc;
  return re * re + im * im;
}

export function polyAbs2Inputs(): [number[], [number, number]] {
  return [[1, -0.5, 2, 0.3, -1.2], [0.6, -0.4]];
}
