/**
 * Programmatic API (`import { compileSources } from "tsgrad"`): compile TypeScript sources
 * to their generated derivative files without touching the disk.
 */
export { compileSources, outputPathFor, type CompileOptions, type CompileResult, type OutputFile, type OutputStyle, type SourceInput } from "./pipeline.ts";
export type { ImportExtension } from "./backend/imports.ts";
export { Codes, formatCode, type Diagnostic, type DiagnosticCode } from "./diagnostics.ts";
export { main } from "./cli.ts";
