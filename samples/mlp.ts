/**
 * A multilayer perceptron whose hidden layers are an array of records, the way a JAX or
 * Zygote user holds them (a list of `{ w, b }`). The gradient comes back in the same shape:
 * `grad.layers[l].w` and `grad.layers[l].b`, one record per layer, ready for an optimizer
 * step over `layers`.
 *
 *   h⁰ = x,  hˡ = tanh(Wˡ hˡ⁻¹ + bˡ),  ŷ = r · hᴸ,  L = ½ (ŷ - t)²
 *
 * @grad layers, readout
 * @vjp layers
 * @jvp layers
 * @hvp layers
 */
export function mlp(layers: Dense[], readout: readonly number[], x: readonly number[], target: number): number {
  const h = x.slice();
  const z = new Array(x.length).fill(0);
  for (const { w, b } of layers) {
    for (let i = 0; i < b.length; i++) {
      let s = b[i];
      for (let j = 0; j < h.length; j++) s += w[i][j] * h[j];
      z[i] = s;
    }
    for (let i = 0; i < h.length; i++) h[i] = Math.tanh(z[i]);
  }
  let y = 0;
  for (let i = 0; i < h.length; i++) y += readout[i] * h[i];
  return 0.5 * (y - target) ** 2;
}

/** One fully connected layer: `w` is (outputs × inputs), `b` has one bias per output. */
export interface Dense {
  w: number[][];
  b: number[];
}

export function mlpInputs(): Parameters<typeof mlp> {
  return [
    [
      {
        w: [
          [0.5, -0.3, 0.2],
          [0.1, 0.4, -0.6],
          [-0.2, 0.3, 0.7],
        ],
        b: [0.1, -0.2, 0.05],
      },
      {
        w: [
          [0.3, 0.2, -0.4],
          [-0.5, 0.1, 0.2],
          [0.6, -0.1, 0.3],
        ],
        b: [0, 0.15, -0.1],
      },
      {
        w: [
          [-0.4, 0.25, 0.1],
          [0.2, -0.35, 0.5],
          [0.15, 0.45, -0.2],
        ],
        b: [0.05, 0, 0.2],
      },
    ],
    [0.8, -0.6, 0.4],
    [0.9, -0.4, 0.6],
    0.3,
  ];
}
