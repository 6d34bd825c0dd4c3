/**
 * A layer's activation chosen by an enum, in a `switch` (shared cases, a `default`), a
 * callback per element (`forEach`), an optional temperature read with `??`, and a
 * labelled `continue` that skips masked rows. Only the weights are differentiated.
 */
export const enum Activation {
  Tanh,
  Softplus,
  Swish,
  Gelu,
}

/**
 * @grad w
 * @hvp w
 */
export function activationLoss(w: number[][], x: number[], mask: number[], kind: Activation, temperature?: number): number {
  const t = temperature ?? 1;
  let total = 0;
  rows: for (let i = 0; i < w.length; i++) {
    if (mask[i] === 0) continue rows;
    let pre = 0;
    w[i].forEach((wij, j) => {
      pre += wij * x[j];
    });
    const u = pre / t;
    switch (kind) {
      case Activation.Tanh:
        total += Math.tanh(u);
        break;
      case Activation.Softplus:
      case Activation.Swish: {
        const sp = Math.log1p(Math.exp(u));
        total += kind === Activation.Swish ? u / (1 + Math.exp(-u)) : sp;
        break;
      }
      default:
        total += 0.5 * u * (1 + Math.tanh(0.7978845608 * (u + 0.044715 * u ** 3)));
    }
  }
  return total * total;
}

export function activationLossInputs(): [number[][], number[], number[], Activation, number] {
  return [
    [
      [0.3, -0.5, 0.8],
      [1.1, 0.2, -0.4],
      [-0.7, 0.9, 0.1],
    ],
    [0.5, -1.2, 0.7],
    [1, 0, 1],
    Activation.Swish,
    1.5,
  ];
}
