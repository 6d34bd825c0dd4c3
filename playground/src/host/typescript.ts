/**
 * TypeScript's API in the browser: ts-morph imported as the bundle imports any module.
 * (In Node the compiler loads it with `require`, which the browser has not:
 * compiler/typescript.ts.) vite.config.ts substitutes this module for that one.
 */
export { ts } from "ts-morph";
