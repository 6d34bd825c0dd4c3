/** tsgrad's plugin for vite: `import tsgrad from "tsgrad/vite"`, then `tsgrad({ paths?, root?, debug?, cache?, checkpointBudget? })` in the plugins list. See plugin/index.ts. */
import { tsgrad } from "./index.ts";

export default tsgrad.vite;
