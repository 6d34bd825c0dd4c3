/** Helpers that generated code may import. Nothing here depends on the compiler. */
export { NumberStack, IntStack, allStacks, pendingStackEntries, stackBytes } from "./stack.ts";
