/**
 * TensorFlow.js (`@tensorflow/tfjs`, pure-JS "cpu" backend) versions of the benchmark
 * workloads, for the tsgrad-vs-TensorFlow.js column. TF.js computes in float32 (its cpu
 * backend has no float64), so these are timing references, not numerical ones. Loaded
 * through require: the package's CommonJS bundle registers the gradients.
 */
import { createRequire } from "node:module";

type Tf = typeof import("@tensorflow/tfjs");
type Tensor = import("@tensorflow/tfjs").Tensor;

let tf: Tf | null = null;

export async function loadTf(): Promise<Tf> {
  if (!tf) {
    const require = createRequire(import.meta.url);
    const { log, warn } = console;
    console.log = console.warn = () => undefined; // TF.js greets Node users; keep the tables clean
    try {
      const loaded = require("@tensorflow/tfjs") as Tf;
      await loaded.setBackend("cpu");
      loaded.tidy(() => loaded.add(1, 1).dataSync()); // the greeting comes with the first kernel
      tf = loaded;
    } finally {
      console.log = log;
      console.warn = warn;
    }
  }
  return tf;
}

/** Gradient of Rosenbrock at x, computed by TF.js (returned so the work is not skipped). */
export function tfRosenbrockGrad(t: Tf, x: Float32Array): number {
  return t.tidy(() => {
    const v = t.tensor1d(x);
    const n = x.length;
    const f = (z: Tensor) => {
      const head = t.slice(z, 0, n - 1);
      const a = t.sub(t.slice(z, 1, n - 1), t.square(head));
      return t.sum(t.add(t.mul(100, t.square(a)), t.square(t.sub(1, head)))) as import("@tensorflow/tfjs").Scalar;
    };
    return t.grad(f)(v).dataSync()[0]!;
  });
}

/** Gradient of the logistic NLL (rows of X, labels ±1) at w, computed by TF.js. */
export function tfLogisticGrad(t: Tf, w: Float32Array, X: Tensor, y: Tensor): number {
  return t.tidy(() => {
    const f = (v: Tensor) => t.sum(t.softplus(t.mul(t.neg(y), t.squeeze(t.matMul(X, t.reshape(v, [-1, 1])))))) as import("@tensorflow/tfjs").Scalar;
    return t.grad(f)(t.tensor1d(w)).dataSync()[0]!;
  });
}
