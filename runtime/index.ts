/** Helpers that generated code may import. Nothing here depends on the compiler. */
export { NumberStack, IntStack } from "./stack.ts";
