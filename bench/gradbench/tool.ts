/**
 * A GradBench tool for tsgrad: speaks the protocol (one JSON message per line on stdin,
 * one response per line on stdout) and evaluates each eval's functions with code that
 * tsgrad generated from the annotated sources beside this file.
 *
 *   npx tsx bench/gradbench/tool.ts
 *
 * Implemented evals: hello, llsq, lse, ode, det, kmeans, gmm (bench/gradbench/gmm.ts builds on
 * samples/gmm.ts), lstm (samples/lstm.ts), ba (samples/ba.ts, samples/baJacobian.ts),
 * ht (bench/gradbench/ht.ts, chained by htJacobian.ts), particle and saddle (nested AD:
 * bench/gradbench/nested.ts);
 * bench/README.md records the validation against the real evals.
 */
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { square } from "./hello.ts";
import { squareGrad } from "./hello.grad.ts";
import { llsq } from "./llsq.ts";
import { llsqGradInto } from "./llsq.grad.ts";
import { logsumexp } from "./lse.ts";
import { logsumexpGradInto } from "./lse.grad.ts";
import { gmmLogPosterior } from "./gmm.ts";
import { odeSolve } from "./ode.ts";
import { kmeansCost } from "./kmeans.ts";
import { det } from "./det.ts";
import { detGradInto } from "./det.grad.ts";
import { kmeansClosestCostHvpInto } from "./kmeans.grad.ts";
import { odeLastGradInto } from "./ode.grad.ts";
import { lstmObjective } from "../../samples/lstm.ts";
import { lstmObjectiveGradInto } from "../../samples/lstm.grad.ts";
import { gmmLogPosteriorGradInto } from "./gmm.grad.ts";
import { particle, saddle } from "./nested.ts";
import { baJacobian, baJacobianBuffers, baObjective, baScratch, expandBa, type BaProblem } from "../../samples/baJacobian.ts";
import { handObjective } from "./ht.ts";
import { handJacobian, jacobianRows } from "./htJacobian.ts";

interface Runs {
  min_runs?: number;
  min_seconds?: number;
}

type Fn = (input: any) => unknown;

/**
 * A function whose input is converted once before the timed runs (as the C++ tools convert
 * theirs in `from_json` and their constructor, timed apart as "prepare").
 */
interface Prepared {
  prepare: (input: any) => unknown;
  evaluate: (state: any) => unknown;
}

interface GmmInput extends Runs {
  d: number;
  k: number;
  n: number;
  x: number[][];
  m: number;
  gamma: number;
  alpha: number[];
  mu: number[][];
  q: number[][];
  l: number[][];
}

interface LstmInput extends Runs {
  main_params: number[][];
  extra_params: number[][];
  state: number[][];
  sequence: number[][];
}

interface HtInput extends Runs {
  theta: number[];
  us: number[][];
  data: {
    model: {
      parents: number[];
      base_relatives: number[][][];
      inverse_base_absolutes: number[][][];
      base_positions: number[][];
      weights: number[][];
      triangles: number[][];
      is_mirrored: boolean;
    };
    correspondences: number[];
    points: number[][];
  };
}

const htArgs = ({ theta, us, data: { model: m, correspondences, points } }: HtInput) =>
  [theta, us, m.parents, m.base_relatives, m.inverse_base_absolutes, m.base_positions, m.weights, m.triangles, m.is_mirrored, correspondences, points] as const;

let htBuffer = new Float64Array(0);

const icfOf = (input: GmmInput) => input.q.map((q, k) => [...q, ...input.l[k]!]);

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/**
 * The gradient with respect to the input's vector `field`: `into(input, grad)` (an
 * fGradInto) writes it into a buffer allocated once per input in "prepare", as the C++
 * tools resize their output vector once and overwrite it on every run.
 */
function vectorGradient<F extends string, I extends Record<F, number[]>>(field: F, into: (input: I, grad: Record<F, number[]>) => unknown): Prepared {
  return {
    prepare: (input: I) => ({ input, grad: { [field]: zeros(input[field].length) } as Record<F, number[]> }),
    evaluate: ({ input, grad }: { input: I; grad: Record<F, number[]> }) => (into(input, grad), grad[field]),
  };
}

/** GradBench's BAInput: one camera, point, weight and feature, to replicate as ADBench's reader does. */
interface BaInput extends Runs {
  n: number;
  m: number;
  p: number;
  cam: number[];
  x: number[];
  w: number;
  feat: number[];
}

const expandBaInput = (input: BaInput): BaProblem => expandBa(input.n, input.m, input.p, input.cam, input.x, input.w, input.feat);

/** The first `count` entries and the last one, as the golden tool reports its long vectors. */
const firstAndLast = (v: ArrayLike<number>, count: number): number[] => [...Array.from({ length: Math.min(count, v.length) }, (_, k) => v[k]!), v[v.length - 1]!];

/** module → function → implementation. */
export const MODULES: Record<string, Record<string, Fn | Prepared>> = {
  hello: {
    square: (x: number) => square(x),
    double: (x: number) => squareGrad(x).grad.x,
  },
  // Gradients: fGradInto into buffers allocated once per input (vectorGradient).
  llsq: {
    primal: (input: { x: number[]; n: number }) => llsq(input.x, input.n),
    gradient: vectorGradient("x", (input: { x: number[]; n: number }, grad) => llsqGradInto(input.x, input.n, grad)),
  },
  lse: {
    primal: (input: { x: number[] }) => logsumexp(input.x),
    gradient: vectorGradient("x", (input: { x: number[] }, grad) => logsumexpGradInto(input.x, grad)),
  },
  ode: {
    primal: (input: { x: number[]; s: number }) => odeSolve(input.x, input.s),
    gradient: vectorGradient("x", (input: { x: number[]; s: number }, grad) => odeLastGradInto(input.x, input.s, grad)),
  },
  det: {
    primal: (input: { A: number[]; ell: number }) => det(input.A, input.ell),
    gradient: vectorGradient("A", (input: { A: number[]; ell: number }, grad) => detGradInto(input.A, input.ell, grad)),
  },
  kmeans: {
    cost: (input: { points: number[][]; centroids: number[][] }) => kmeansCost(input.points, input.centroids),
    dir: {
      // H is diagonal, so one HVP with v = 1 gives its diagonal; dir = H⁻¹ ∇cost. Both are
      // those of the cost with each point's closest centroid picked by index (kmeans.ts says why).
      // The direction v, the HVP's buffers and the output are allocated once per input.
      prepare: (input: { points: number[][]; centroids: number[][] }) => {
        const like = (fill: number) => input.centroids.map((row) => row.map(() => fill));
        return { input, v: { centroids: like(1) }, grad: { centroids: like(0) }, hvp: { centroids: like(0) }, dir: like(0) };
      },
      evaluate: ({ input, v, grad, hvp, dir }: { input: { points: number[][]; centroids: number[][] }; v: { centroids: number[][] }; grad: { centroids: number[][] }; hvp: { centroids: number[][] }; dir: number[][] }) => {
        kmeansClosestCostHvpInto(input.points, input.centroids, v, grad, hvp);
        for (let j = 0; j < dir.length; j++) {
          const [out, g, h] = [dir[j]!, grad.centroids[j]!, hvp.centroids[j]!];
          for (let l = 0; l < out.length; l++) out[l] = g[l]! / h[l]!;
        }
        return dir;
      },
    },
  },
  lstm: {
    objective: (input: LstmInput) => lstmObjective(input.main_params, input.extra_params, input.state, input.sequence),
    jacobian: {
      prepare: (input: LstmInput) => ({ input, grad: { main: input.main_params.map((r) => zeros(r.length)), extra: input.extra_params.map((r) => zeros(r.length)) } }),
      evaluate: ({ input, grad }: { input: LstmInput; grad: { main: number[][]; extra: number[][] } }) => {
        lstmObjectiveGradInto(input.main_params, input.extra_params, input.state, input.sequence, grad);
        // Flattened when the response is serialized, outside the timing (as the C++ to_json).
        return { toJSON: () => [...grad.main.flat(), ...grad.extra.flat()] };
      },
    },
  },
  ba: {
    // Every observation is computed (the duplication is not exploited); the output is the
    // golden tool's: the first observation's residuals and the counts, and the first 30 and
    // the last entry of the sparse Jacobian's rows, cols and vals (CSR, BASparseMat layout).
    objective: {
      prepare: (input: BaInput) => {
        const b = expandBaInput(input);
        return { b, reprojErr: new Float64Array(2 * b.p), wErr: new Float64Array(b.p) };
      },
      evaluate: ({ b, reprojErr, wErr }: { b: BaProblem; reprojErr: Float64Array; wErr: Float64Array }) => {
        baObjective(b, reprojErr, wErr);
        return { reproj_error: { elements: [reprojErr[0], reprojErr[1]], repeated: b.p }, w_err: { element: wErr[0], repeated: b.p } };
      },
    },
    jacobian: {
      prepare: (input: BaInput) => {
        const b = expandBaInput(input);
        return { b, J: baJacobianBuffers(b), scratch: baScratch(b) };
      },
      evaluate: ({ b, J, scratch }: { b: BaProblem; J: ReturnType<typeof baJacobianBuffers>; scratch: ReturnType<typeof baScratch> }) => {
        baJacobian(b, J, scratch);
        return { rows: firstAndLast(J.rows, 30), cols: firstAndLast(J.cols, 30), vals: firstAndLast(J.vals, 30) };
      },
      },
    },
  ht: {
    objective: (input: HtInput) => handObjective(...htArgs(input)),
    // Computed into one row-major buffer, reused from call to call as the C++ tool reuses its
    // output vector; the rows are built when the response is serialized (as the C++ tool's
    // to_json lays out its column-major buffer), outside the timing.
    jacobian: (input: HtInput) => {
      const size = 3 * input.data.correspondences.length * (input.theta.length + (input.us.length > 0 ? 2 : 0));
      if (htBuffer.length < size) htBuffer = new Float64Array(size);
      const J = handJacobian(...htArgs(input), htBuffer);
      return { toJSON: () => jacobianRows(J) };
    },
  },
  gmm: {
    objective: {
      prepare: (input: GmmInput) => ({ input, icf: icfOf(input) }),
      evaluate: ({ input, icf }: { input: GmmInput; icf: number[][] }) => gmmLogPosterior(input.alpha, input.mu, icf, input.x, input.gamma, input.m),
    },
    jacobian: {
      // icf = [q_k, l_k] is the input conversion; the gradient's q and l are split off it when serialized.
      prepare: (input: GmmInput) => {
        const icf = icfOf(input);
        return { input, icf, grad: { alpha: zeros(input.alpha.length), mu: input.mu.map((r) => zeros(r.length)), icf: icf.map((r) => zeros(r.length)) } };
      },
      evaluate: ({ input, icf, grad }: { input: GmmInput; icf: number[][]; grad: { alpha: number[]; mu: number[][]; icf: number[][] } }) => {
        gmmLogPosteriorGradInto(input.alpha, input.mu, icf, input.x, input.gamma, input.m, grad);
        return { toJSON: () => ({ alpha: grad.alpha, mu: grad.mu, q: grad.icf.map((row) => row.slice(0, input.d)), l: grad.icf.map((row) => row.slice(input.d)) }) };
      },
    },
  },
  // Variant = outer mode then inner mode, each a tsgrad-generated derivative (see nested.ts).
  particle: {
    rr: (input: { w: number }) => particle("rr", input.w),
    rf: (input: { w: number }) => particle("rf", input.w),
    fr: (input: { w: number }) => particle("fr", input.w),
    ff: (input: { w: number }) => particle("ff", input.w),
  },
  saddle: {
    rr: (input: { start: number[] }) => saddle("rr", input.start),
    rf: (input: { start: number[] }) => saddle("rf", input.start),
    fr: (input: { start: number[] }) => saddle("fr", input.start),
    ff: (input: { start: number[] }) => saddle("ff", input.start),
  },
};

/**
 * An input to run each function of a module on when it is defined, untimed, so that V8 has
 * compiled them before the first timed call: hello's evaluations carry no min_runs, so
 * each is timed once, cold (the other evals' min_runs give V8 runs to compile in, except
 * gmm's, below). Like the C++ tools' compilation at define, it is not part of any timing.
 */
const WARMUP: Record<string, { inputs: unknown[]; runs: number }> = {
  hello: { inputs: [1.5], runs: 10_000 },
  // gmm's gradient is one long function: at d = 2 its first 20 or so timed runs were still
  // waiting for V8's optimizing compiler, past the later half of 40 runs' median.
  gmm: { inputs: [smallGmm(3), smallGmm(4)], runs: 150 },
};

/**
 * A small GMM input (k = 3, n = 8) of the eval's shape, for the warm-up, which runs d = 3
 * and d = 4 in turn: together they run every branch of the gradient, so no first timed
 * run meets code V8 has no type feedback for (it deoptimizes there, as --trace-deopt
 * showed in the first d = 2 evaluation when one was missed). The loops unrolled by two
 * leave one iteration for odd counts: d = 3 and 4 give both parities of the coordinates'
 * loops and of the triangle's 3 and 6 entries, k = 3 of the components' loops; d = 4 runs
 * the triangle's columns two at a time and the one left over, forward and reverse (the
 * last column is trimmed, so 3 columns: a pair and one alone).
 */
function smallGmm(d: number): GmmInput {
  const at = (i: number) => Math.sin(1.7 * i + 0.3) / 2;
  let i = 0;
  const vector = (n: number) => Array.from({ length: n }, () => at(i++));
  const k = 3;
  const rows = (n: number) => Array.from({ length: k }, () => vector(n));
  return { d, k, n: 8, alpha: vector(k), mu: rows(d), q: rows(d), l: rows((d * (d - 1)) / 2), x: Array.from({ length: 8 }, () => vector(d)), gamma: 1, m: 0 };
}

/**
 * Runs `f` at least min_runs times and until min_seconds have passed; one "evaluate" timing
 * per run (after one "prepare" timing when `f` converts its input first).
 */
function timed(f: Fn | Prepared, input: unknown): { output: unknown; timings: { name: string; nanoseconds: number }[] } {
  const runs = (input && typeof input === "object" ? (input as Runs) : {}) as Runs;
  const minRuns = runs.min_runs ?? 1;
  const minNanos = (runs.min_seconds ?? 0) * 1e9;
  const timings: { name: string; nanoseconds: number }[] = [];
  let run: Fn = f as Fn;
  let state = input;
  if (typeof f !== "function") {
    const start = process.hrtime.bigint();
    state = f.prepare(input);
    timings.push({ name: "prepare", nanoseconds: Number(process.hrtime.bigint() - start) });
    run = f.evaluate;
  }
  let output: unknown;
  let total = 0;
  let evaluations = 0;
  do {
    const start = process.hrtime.bigint();
    output = run(state);
    const nanoseconds = Number(process.hrtime.bigint() - start);
    timings.push({ name: "evaluate", nanoseconds });
    total += nanoseconds;
    evaluations++;
  } while (evaluations < minRuns || total < minNanos);
  return { output, timings };
}

/** The response to one protocol message. */
export function respond(message: { id: number; kind: string; module?: string; function?: string; input?: unknown }): Record<string, unknown> {
  switch (message.kind) {
    case "start":
      return { id: message.id, tool: "tsgrad" };
    case "define": {
      const module = MODULES[message.module ?? ""];
      if (!module) return { id: message.id, success: false, error: `tsgrad has no implementation of '${message.module}'` };
      const warm = WARMUP[message.module ?? ""];
      if (warm) for (const f of Object.values(module)) for (let i = 0; i < warm.runs; i++) for (const input of warm.inputs) timed(f, input);
      return { id: message.id, success: true };
    }
    case "evaluate": {
      const f = MODULES[message.module ?? ""]?.[message.function ?? ""];
      if (!f) return { id: message.id, success: false, error: `unknown function ${message.module}.${message.function}` };
      try {
        const { output, timings } = timed(f, message.input);
        return { id: message.id, success: true, output, timings };
      } catch (error) {
        return { id: message.id, success: false, error: error instanceof Error ? error.message : String(error) };
      }
    }
    default:
      return { id: message.id };
  }
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    process.stdout.write(`${JSON.stringify(respond(JSON.parse(line)))}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
