/**
 * The page: fits the bump to the data a few Adam steps per animation frame and redraws
 * the loss curve and the fit with Observable Plot as it goes. When it is done it sets
 * `data-state="done"` on <body> and leaves the run in `window.curveFit` (the browser
 * test reads both).
 */
import * as Plot from "@observablehq/plot";
import { bump } from "./model.ts";
import { Fit, makeData, TRUTH } from "./fit.ts";

const STEPS = 400;
const STEPS_PER_FRAME = 5;

const { xs, ys } = makeData();
const fit = new Fit(xs, ys);
const data = Array.from(xs, (x, i) => ({ x, y: ys[i] }));
const grid = Array.from({ length: 161 }, (_, i) => -4 + i / 20);

declare global {
  interface Window {
    curveFit: { losses: number[]; params: number[]; truth: number[]; done: boolean };
  }
}
window.curveFit = { losses: fit.losses, params: [...fit.params], truth: [...TRUTH], done: false };

function draw(): void {
  const losses = fit.losses.map((loss, step) => ({ step, loss }));
  document.getElementById("loss")!.replaceChildren(
    Plot.plot({
      width: 460,
      height: 300,
      grid: true,
      x: { label: "Adam step", domain: [0, STEPS] },
      y: { label: "mean squared error", type: "log", tickFormat: "~g" },
      marks: [Plot.line(losses, { x: "step", y: "loss", stroke: "steelblue" })],
    }),
  );
  const curve = grid.map((x) => ({ x, y: bump(fit.params, x) }));
  document.getElementById("fit")!.replaceChildren(
    Plot.plot({
      width: 460,
      height: 300,
      grid: true,
      x: { label: "x" },
      y: { label: "y" },
      marks: [Plot.dot(data, { x: "x", y: "y", r: 2.5, fill: "grey" }), Plot.line(curve, { x: "x", y: "y", stroke: "crimson", strokeWidth: 2 })],
    }),
  );
  const last = fit.losses.at(-1);
  const [amp, center, logWidth, base] = fit.params;
  document.getElementById("status")!.textContent =
    `step ${fit.losses.length} of ${STEPS}: loss ${last?.toExponential(3) ?? "-"}; ` +
    `amp ${amp.toFixed(3)}, center ${center.toFixed(3)}, width ${Math.exp(logWidth).toFixed(3)}, base ${base.toFixed(3)}`;
}

let frame = 0;
function tick(): void {
  fit.step(Math.min(STEPS_PER_FRAME, STEPS - fit.losses.length));
  window.curveFit.params = [...fit.params];
  const done = fit.losses.length >= STEPS;
  if (done || frame++ % 4 === 0) draw();
  if (done) {
    window.curveFit.done = true;
    document.body.dataset.state = "done";
  } else {
    requestAnimationFrame(tick);
  }
}

draw();
requestAnimationFrame(tick);
