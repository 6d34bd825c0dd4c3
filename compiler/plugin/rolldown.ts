/** tsgrad's plugin for rolldown: `import tsgrad from "tsgrad/rolldown"`, then `tsgrad({ paths?, root?, debug?, cache?, checkpointBudget? })` in the plugins list. See plugin/index.ts. */
import { tsgrad } from "./index.ts";

export default tsgrad.rolldown;
