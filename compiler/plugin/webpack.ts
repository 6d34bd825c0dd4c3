/** tsgrad's plugin for webpack: `import tsgrad from "tsgrad/webpack"`, then `tsgrad({ paths?, root?, debug?, cache?, checkpointBudget? })` in the plugins list. See plugin/index.ts. */
import { tsgrad } from "./index.ts";

export default tsgrad.webpack;
