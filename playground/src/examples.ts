/**
 * The examples preloaded in the editor: the lecture notes' seed examples, as the repository's
 * own samples (so they are the code the test suite checks), and a Hessian-vector product.
 */
import quadratic from "../../samples/quadratic.ts?raw";
import gaussian from "../../samples/gaussian.ts?raw";
import leastSquares from "../../samples/leastSquares.ts?raw";
import logistic from "../../samples/logistic.ts?raw";
import neuron from "../../samples/neuron.ts?raw";
import hvp from "../examples/hessianVectorProduct.ts?raw";

export interface Example {
  id: string;
  title: string;
  source: string;
}

export const EXAMPLES: Example[] = [
  { id: "quadratic", title: "½ xᵀAx − bᵀx", source: quadratic },
  { id: "gaussian", title: "−exp(−xᵀx)", source: gaussian },
  { id: "leastSquares", title: "½ ‖Ax − b‖²", source: leastSquares },
  { id: "logistic", title: "log(1 + exp(aᵀx))", source: logistic },
  { id: "neuron", title: "the neuron with its regularizer", source: neuron },
  { id: "hvp", title: "a Hessian-vector product", source: hvp },
];
