import { sigmoid } from "./linalg.ts";

/**
 * ADBench's "LSTM" objective (elementwise weights, l layers of b cells over a sequence of c
 * characters of b bits), written as its reference C++ computes it. Per step t and layer i:
 *
 *   forget = σ(input ⊙ Wf + bf),  ingate = σ(hidden ⊙ Wi + bi),
 *   outgate = σ(input ⊙ Wo + bo), change = tanh(hidden ⊙ Wc + bc),
 *   cell = cell ⊙ forget + ingate ⊙ change,  hidden = outgate ⊙ tanh(cell)
 *
 * and the loss is -Σ_t Σ_j seq[t+1]_j (ŷ_j - log(Σ_k e^ŷ_k + 2)) / ((c - 1) b), with
 * ŷ = hidden_last ⊙ out_weight + out_bias. The state starts from `state` on every call.
 *
 * @grad main, extra
 */
export function lstmObjective(
  main: readonly (readonly number[])[],
  extra: readonly (readonly number[])[],
  state: readonly (readonly number[])[],
  sequence: readonly (readonly number[])[],
): number {
  const layers = main.length / 2;
  const b = extra[0].length;
  const c = sequence.length;
  const hidden = new Array(layers * b).fill(0);
  const cell = new Array(layers * b).fill(0);
  for (let i = 0; i < layers; i++) {
    for (let j = 0; j < b; j++) {
      hidden[i * b + j] = state[2 * i][j];
      cell[i * b + j] = state[2 * i + 1][j];
    }
  }
  const input = new Array(b).fill(0);
  const ypred = new Array(b).fill(0);
  let total = 0;
  for (let t = 0; t < c - 1; t++) {
    for (let j = 0; j < b; j++) input[j] = sequence[t][j] * extra[0][j];
    for (let i = 0; i < layers; i++) {
      const w = main[2 * i];
      const bias = main[2 * i + 1];
      for (let j = 0; j < b; j++) {
        const h = hidden[i * b + j];
        const forget = sigmoid(input[j] * w[j] + bias[j]);
        const ingate = sigmoid(h * w[b + j] + bias[b + j]);
        const outgate = sigmoid(input[j] * w[2 * b + j] + bias[2 * b + j]);
        const change = Math.tanh(h * w[3 * b + j] + bias[3 * b + j]);
        cell[i * b + j] = cell[i * b + j] * forget + ingate * change;
        hidden[i * b + j] = outgate * Math.tanh(cell[i * b + j]);
        input[j] = hidden[i * b + j];
      }
    }
    let sum = 0;
    for (let j = 0; j < b; j++) {
      ypred[j] = input[j] * extra[1][j] + extra[2][j];
      sum += Math.exp(ypred[j]);
    }
    const lse = Math.log(sum + 2);
    for (let j = 0; j < b; j++) total += sequence[t + 1][j] * (ypred[j] - lse);
  }
  return -total / ((c - 1) * b);
}

/** A small deterministic instance: 2 layers, 3 bits, 3 characters. */
export function lstmObjectiveInputs(): Parameters<typeof lstmObjective> {
  const b = 3;
  const layers = 2;
  const wave = (k: number) => Math.sin(1.7 * k + 0.3) * 1.5;
  const main = Array.from({ length: 2 * layers }, (_, r) => Array.from({ length: 4 * b }, (_, k) => wave(r * 31 + k)));
  const extra = Array.from({ length: 3 }, (_, r) => Array.from({ length: b }, (_, k) => wave(r * 7 + k + 100)));
  const state = Array.from({ length: 2 * layers }, (_, r) => Array.from({ length: b }, (_, k) => 0.5 * wave(r * 5 + k + 200)));
  const sequence = Array.from({ length: 3 }, (_, t) => Array.from({ length: b }, (_, k) => ((t * 3 + k) % 4 === 0 ? 0 : 1)));
  return [main, extra, state, sequence];
}
