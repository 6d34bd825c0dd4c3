/** tsgrad's plugin for rollup: `import tsgrad from "tsgrad/rollup"`, then `tsgrad({ paths?, root?, debug?, cache?, checkpointBudget? })` in the plugins list. See plugin/index.ts. */
import { tsgrad } from "./index.ts";

export default tsgrad.rollup;
