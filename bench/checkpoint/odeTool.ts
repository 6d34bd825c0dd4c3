/**
 * bench/gradbench/tool.ts with the `ode` eval's gradient taken from another generated module
 * (a checkpointed build of bench/gradbench/ode.ts, made by bench/checkpoint/ode.ts):
 *
 *   node --import tsx bench/checkpoint/odeTool.ts <ode.grad.ts> <out-dir>
 *
 * Speaks the GradBench protocol as tool.ts does. Each gradient it returns is also written to
 * `<out-dir>/<n>-<s>.f64` (the bits, for comparing builds), and at the end of stdin its peak
 * resident memory to `<out-dir>/rss`.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { MODULES, respond } from "../gradbench/tool.ts";

const [modulePath, outDir] = process.argv.slice(2) as [string, string];
const generated = (await import(pathToFileURL(path.resolve(modulePath)).href)) as { odeLastGradInto: (x: number[], s: number, grad: { x: number[] }) => number };

type OdeInput = { x: number[]; s: number };
MODULES["ode"]!["gradient"] = {
  prepare: (input: OdeInput) => ({ input, grad: { x: new Array<number>(input.x.length).fill(0) } }),
  evaluate: ({ input, grad }: { input: OdeInput; grad: { x: number[] } }) => {
    generated.odeLastGradInto(input.x, input.s, grad);
    return grad.x;
  },
};

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === "") continue;
  const message = JSON.parse(line) as { id: number; kind: string; module?: string; function?: string; input?: OdeInput };
  const response = respond(message);
  if (message.kind === "evaluate" && message.function === "gradient" && response["success"] === true) {
    const bits = Float64Array.from(response["output"] as number[]);
    writeFileSync(path.join(outDir, `${message.input!.x.length}-${message.input!.s}.f64`), new Uint8Array(bits.buffer));
  }
  process.stdout.write(`${JSON.stringify(response)}\n`);
}
writeFileSync(path.join(outDir, "rss"), String(process.resourceUsage().maxRSS));
