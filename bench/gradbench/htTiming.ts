/**
 * Times the ht objective, the chained Jacobian (htJacobian.ts) and, for the simple variant,
 * the whole-map `@jacobian` (htWholeMap.ts) on GradBench `ht` inputs, interleaved in one
 * process; prints median milliseconds. Each argument is a JSON file holding one evaluate
 * message's `input` (see bench/README.md for how to write them from the eval's data).
 *
 *   npx tsx bench/gradbench/htTiming.ts input1.json input2.json …
 */
import { readFileSync } from "node:fs";
import { handObjective } from "./ht.ts";
import { handJacobian } from "./htJacobian.ts";
import { wholeMapResidualsJacobian } from "./htWholeMap.grad.ts";

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const file of process.argv.slice(2)) {
  const input = JSON.parse(readFileSync(file, "utf8"));
  const { theta, us, data: { model: m, correspondences, points } } = input;
  const args = [theta, us, m.parents, m.base_relatives, m.inverse_base_absolutes, m.base_positions, m.weights, m.triangles, m.is_mirrored, correspondences, points] as const;
  const buffer = new Float64Array(3 * correspondences.length * (theta.length + 2));
  const simple = us.length === 0;
  const times: number[][] = [[], [], []];
  const clock = (k: number, f: () => unknown) => {
    const start = performance.now();
    f();
    times[k]!.push(performance.now() - start);
  };
  const begin = performance.now();
  while (times[0]!.length < 10 || performance.now() - begin < 3000) {
    clock(0, () => handObjective(...args));
    clock(1, () => handJacobian(...args, buffer));
    if (simple) clock(2, () => wholeMapResidualsJacobian(theta, m.parents, m.base_relatives, m.inverse_base_absolutes, m.base_positions, m.weights, m.is_mirrored, correspondences, points));
  }
  const [objective, chained, whole] = times.map((t) => (t.length ? median(t) : NaN));
  const row = [file, correspondences.length, objective!.toFixed(3), chained!.toFixed(3), (chained! / objective!).toFixed(1)];
  if (simple) row.push(whole!.toFixed(3), (whole! / objective!).toFixed(1));
  console.log(`| ${row.join(" | ")} |`);
}
