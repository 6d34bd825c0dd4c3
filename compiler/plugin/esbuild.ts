/** tsgrad's plugin for esbuild: `import tsgrad from "tsgrad/esbuild"`, then `tsgrad({ paths?, root?, debug?, cache?, checkpointBudget? })` in the plugins list. See plugin/index.ts. */
import { tsgrad } from "./index.ts";

export default tsgrad.esbuild;
