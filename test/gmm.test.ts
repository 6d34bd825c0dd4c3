/**
 * The ADBench GMM objective and its generated gradient against ADBench's own golden values
 * for gmm/test.txt (d = 2, K = 3, n = 1). The numbers are inlined from ADBench's unit test
 * test/cpp/modules/common/GmmTests.cpp (github.com/microsoft/ADBench, commit 38cb793, MIT
 * licence), as copied into shared/adbench/expected/adbench_tests.json.
 */
import { describe, expect, it } from "vitest";
import { gmmObjective, gmmObjectiveInputs } from "../samples/gmm.ts";
import { gmmObjectiveGrad } from "../samples/gmm.grad.ts";
import { centralDifferences, flatten, maxRelError } from "./harness/numeric.ts";

const golden = {
  objective: 8.073804080049758,
  // [alphas(K), means(K*d, component-major), icf(K*d*(d+1)/2, component-major)]
  gradient: [
    0.10866285550865246, -0.7412700395238985, 0.6326071840152461, 1.1169257653278701, 0.16333301355145527,
    -0.021998982407119314, 0.2277782922542361, 1.2096302561283219, -0.060637592073395634, 2.5852999405116224,
    0.11263269452421379, 0.3857443098496118, 0.07351805731823055, 5.418363627155952, -0.32149440967744647,
    1.7189230977500494, 0.8600910907908669, -0.9946409304663228,
  ],
};

describe("ADBench GMM", () => {
  it("objective matches ADBench's golden value", () => {
    expect(Math.abs(gmmObjective(...gmmObjectiveInputs()) - golden.objective)).toBeLessThan(1e-10);
  });

  it("gradient matches ADBench's golden gradient to 1e-10", () => {
    const g = gmmObjectiveGrad(...gmmObjectiveInputs());
    expect(g.value).toBe(gmmObjective(...gmmObjectiveInputs()));
    const flat = [...g.grad.alphas, ...flatten(g.grad.means), ...flatten(g.grad.icf)];
    expect(flat).toHaveLength(golden.gradient.length);
    for (let k = 0; k < flat.length; k++) expect(Math.abs(flat[k]! - golden.gradient[k]!)).toBeLessThan(1e-10);
  });

  it("gradient matches central differences on a larger random mixture", () => {
    let seed = 5;
    const r = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const K = 4, D = 3, n = 6;
    const alphas = Array.from({ length: K }, r);
    const means = Array.from({ length: K }, () => Array.from({ length: D }, r));
    const icf = Array.from({ length: K }, () => Array.from({ length: (D * (D + 1)) / 2 }, r));
    const x = Array.from({ length: n }, () => Array.from({ length: D }, r));
    const g = gmmObjectiveGrad(alphas, means, icf, x, 1.5, 2);
    const fd = centralDifferences(gmmObjective as (...a: unknown[]) => number, [alphas, means, icf, x, 1.5, 2], [0, 1, 2]);
    expect(maxRelError(g.grad.alphas, fd[0]!)).toBeLessThan(1e-6);
    expect(maxRelError(flatten(g.grad.means), fd[1]!)).toBeLessThan(1e-6);
    expect(maxRelError(flatten(g.grad.icf), fd[2]!)).toBeLessThan(1e-6);
  });
});
