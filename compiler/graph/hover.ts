/**
 * The graph's hover panel, shared by `tsgrad graph -o x.html` (html.ts) and the
 * playground. Nothing here imports the layout, so the playground's page loads it without
 * the layout library (which runs in its worker).
 */
import { FONT_FAMILY } from "./text.ts";

/**
 * Browser script defining `attachGraphHover(root, panel, texts)`: shows `texts[id]` in
 * `panel` while the pointer is over an element with `data-node` or `data-edge` inside
 * `root`, and marks the hovered node's edges. Plain JavaScript in a string (the compiler
 * is typechecked without the DOM): html.ts inlines it in its page, the playground evaluates it.
 */
export const HOVER_SCRIPT = `function attachGraphHover(root, panel, texts) {
  const clear = () => root.querySelectorAll(".edge.lit").forEach((e) => e.classList.remove("lit"));
  root.addEventListener("mouseover", (event) => {
    const target = event.target.closest("[data-node], [data-edge]");
    if (!target) return;
    const id = target.getAttribute("data-node") || target.getAttribute("data-edge");
    if (texts[id] === undefined) return;
    const [head, ...rest] = texts[id].split("\\n");
    panel.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = head;
    const body = document.createElement("pre");
    body.textContent = rest.join("\\n");
    panel.append(strong, body);
    panel.setAttribute("data-for", id);
    panel.style.display = "block";
    panel.style.left = (event.pageX + 14) + "px";
    panel.style.top = (event.pageY + 14) + "px";
    clear();
    if (target.hasAttribute("data-node")) {
      root.querySelectorAll('[data-from="' + id + '"], [data-to="' + id + '"]').forEach((e) => e.classList.add("lit"));
    }
  });
  root.addEventListener("mouseout", (event) => {
    const to = event.relatedTarget;
    if (to && to.closest && to.closest("[data-node], [data-edge]")) return;
    panel.style.display = "none";
    clear();
  });
}`;

export const HOVER_CSS = `
.tsgrad-hover { position: absolute; display: none; max-width: 640px; background: #fffff4; border: 1px solid #999;
  border-radius: 4px; padding: 6px 10px; box-shadow: 0 2px 8px rgba(0,0,0,.2); font: 12px ${FONT_FAMILY}; pointer-events: none; z-index: 10; }
.tsgrad-hover pre { margin: 4px 0 0; white-space: pre-wrap; font: inherit; }
.tsgrad-graph .edge.lit path { stroke: #b03a2e; stroke-width: 2.4; }
.tsgrad-graph [data-node], .tsgrad-graph [data-edge] { cursor: default; }
`;
