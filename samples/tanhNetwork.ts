/**
 * A one-hidden-layer tanh network whose parameters are one object; the gradient is an
 * object of the same shape, ready for an optimizer step.
 *
 *   h = tanh(W1 x + b1),  ŷ = w2 · h + b2,  L = ½ (ŷ - t)²
 *
 *   ∂L/∂b2 = ŷ - t,  ∂L/∂w2 = (ŷ - t) h,  ∂L/∂b1 = (ŷ - t) w2 ⊙ (1 - h²),  ∂L/∂W1 = ∂L/∂b1 xᵀ
 *
 * @grad params
 * @hvp params
 */
export function tanhNetwork(params: TanhNetworkParams, x: readonly number[], target: number): number {
  let out = params.b2;
  for (let i = 0; i < params.b1.length; i++) {
    let z = params.b1[i];
    const row = params.W1[i];
    for (let j = 0; j < x.length; j++) z += row[j] * x[j];
    out += params.w2[i] * Math.tanh(z);
  }
  return 0.5 * (out - target) ** 2;
}

export interface TanhNetworkParams {
  W1: number[][];
  b1: number[];
  w2: number[];
  b2: number;
}

export function tanhNetworkInputs(): Parameters<typeof tanhNetwork> {
  return [
    {
      W1: [
        [0.2, -0.4, 0.1],
        [0.5, 0.3, -0.2],
        [-0.3, 0.8, 0.6],
        [0.1, -0.1, 0.4],
      ],
      b1: [0.05, -0.1, 0.2, 0],
      w2: [0.7, -0.5, 0.3, 0.9],
      b2: 0.1,
    },
    [0.5, -1.2, 0.8],
    0.25,
  ];
}
