/**
 * Finds the samples and their annotated functions, independently of the compiler:
 * lists `samples/*.ts` (not the generated `*.grad.ts`), parses each with ts-morph and
 * reports every top-level function declaration carrying one of the tsgrad JSDoc tags,
 * with the tag, the wrt parameter names (explicit, or every differentiable parameter
 * when the tag names none) and all parameter names in order.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Node, Project, type JSDoc, type ParameterDeclaration, type Type } from "ts-morph";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/**
 * The samples folder. TSGRAD_SAMPLES_DIR points the suites at another folder holding the
 * same layout (sources beside their generated files), e.g. to try the harness on a copy.
 */
export const SAMPLES_DIR = process.env["TSGRAD_SAMPLES_DIR"]
  ? path.resolve(process.env["TSGRAD_SAMPLES_DIR"])
  : path.join(REPO_ROOT, "samples");

export const TAGS = ["grad", "jvp", "vjp", "hvp", "hessian", "jacobian"] as const;
export type Tag = (typeof TAGS)[number];

export interface AnnotatedFunction {
  /** Absolute path of the source file. */
  file: string;
  /** File name without directory and `.ts`, e.g. "quadratic". */
  module: string;
  name: string;
  tag: Tag;
  /** Parameters to differentiate with respect to, in the order the tag lists them. */
  wrt: string[];
  /** True when the tag named the parameters, false when it named none (all differentiable). */
  explicitWrt: boolean;
  params: string[];
  /** Type text of each parameter as written. */
  paramTypes: string[];
  line: number;
}

/** Absolute paths of `dir/*.ts` sources, sorted, excluding `*.grad.ts` and `*.d.ts`. */
export function listSampleSources(dir: string = SAMPLES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".grad.ts") && !f.endsWith(".d.ts"))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Absolute paths of the generated `dir/*.grad.ts` files, sorted. */
export function listGeneratedFiles(dir: string = SAMPLES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".grad.ts"))
    .sort()
    .map((f) => path.join(dir, f));
}

export function generatedPathFor(source: string): string {
  return source.replace(/\.ts$/, ".grad.ts");
}

/** number, number[], Float64Array, number[][] and their readonly / Array<> spellings. */
export function isDifferentiableTypeText(text: string): boolean {
  const t = text
    .replace(/\s+/g, "")
    .replace(/readonly/g, "")
    .replace(/ReadonlyArray<|Array</g, "(")
    .replace(/>/g, ")[]");
  // Strip redundant parentheses: "(number[])[]" → "number[][]".
  let prev = "";
  let s = t;
  while (s !== prev) {
    prev = s;
    s = s.replace(/\((number(?:\[\])*|Float64Array)\)/g, "$1");
  }
  return /^(number(\[\]){0,2}|Float64Array)$/.test(s);
}

/**
 * By the checker: number, arrays (also readonly) of differentiable types, Float64Array,
 * and object types (interfaces, aliases, literals) whose fields are all differentiable.
 */
export function isDifferentiableType(type: Type, at: Node, depth = 0): boolean {
  if (depth > 8) return false;
  if (type.isNumber()) return true;
  if (type.getSymbol()?.getName() === "Float64Array") return true;
  if (type.isTuple()) return type.getTupleElements().every((t) => isDifferentiableType(t, at, depth + 1));
  if (type.isArray() || type.isReadonlyArray()) {
    const element = type.getArrayElementType() ?? type.getTypeArguments()[0];
    return element !== undefined && isDifferentiableType(element, at, depth + 1);
  }
  if (type.isObject() && type.getCallSignatures().length === 0) {
    const props = type.getProperties();
    return props.length > 0 && props.every((p) => isDifferentiableType(p.getTypeAtLocation(at), at, depth + 1));
  }
  return false;
}

function tagsOf(fn: { getJsDocs(): JSDoc[] }): { tag: Tag; names: string[] }[] {
  const out: { tag: Tag; names: string[] }[] = [];
  for (const doc of fn.getJsDocs()) {
    for (const t of doc.getTags()) {
      const tag = t.getTagName();
      if (!(TAGS as readonly string[]).includes(tag)) continue;
      const comment = t.getCommentText() ?? "";
      const names = comment.split(/[\s,]+/).filter((s) => s.length > 0);
      out.push({ tag: tag as Tag, names });
    }
  }
  return out;
}

function typeText(p: ParameterDeclaration): string {
  return p.getTypeNode()?.getText() ?? p.getType().getText(p);
}

export function discoverAnnotated(files: readonly string[] = listSampleSources()): AnnotatedFunction[] {
  const project = new Project({ skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true });
  const found: AnnotatedFunction[] = [];
  for (const file of files) {
    const sf = project.addSourceFileAtPath(file);
    // Function declarations, and `const f = (…) => …` / `const f = function (…) {…}` with the tags on the const.
    const arrows = sf.getVariableStatements().flatMap((st) =>
      st.getDeclarations().flatMap((d) => {
        const init = d.getInitializer();
        return init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init)) ? [{ getName: () => d.getName(), getParameters: () => init.getParameters(), getJsDocs: () => st.getJsDocs(), getStartLineNumber: () => st.getStartLineNumber() }] : [];
      }),
    );
    for (const fn of [...sf.getFunctions(), ...arrows]) {
      const name = fn.getName();
      if (!name) continue;
      // A destructured parameter is named as tsgrad names it: after its type (`{ w, b }: Linear` → linear), else arg<i>.
      const params = fn.getParameters().map((p, i) => {
        if (Node.isIdentifier(p.getNameNode())) return p.getName();
        const type = p.getTypeNode()?.getText() ?? "";
        return /^[A-Za-z_$][\w$]*$/.test(type) ? type.charAt(0).toLowerCase() + type.slice(1) : `arg${i}`;
      });
      const paramTypes = fn.getParameters().map(typeText);
      for (const { tag, names } of tagsOf(fn)) {
        const decls = fn.getParameters();
        const wrt =
          names.length > 0
            ? names
            : params.filter((_, i) => isDifferentiableTypeText(paramTypes[i]!) || isDifferentiableType(decls[i]!.getType(), decls[i]!));
        found.push({
          file,
          module: path.basename(file, ".ts"),
          name,
          tag,
          wrt,
          explicitWrt: names.length > 0,
          params,
          paramTypes,
          line: fn.getStartLineNumber(),
        });
      }
    }
  }
  return found;
}
