/**
 * tsgrad/tape: an operator-overloading reverse-mode AD runtime, the independent oracle the
 * compiler's generated derivatives are tested against. It shares nothing with compiler/.
 */
export { loadTapeModule, tapeModuleFromSource, type TapeModule } from "./api.ts";
export { Box, newTrace, primal, type Value } from "./box.ts";
export { RULES, MATH_FUNCTIONS, OPERATORS, type Rule, type PrimitiveName } from "./rules.ts";
export { rewriteSource, type RewrittenModule } from "./rewrite.ts";
export { backward } from "./trace.ts";
export * as t from "./ops.ts";
