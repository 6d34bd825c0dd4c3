/**
 * Parsing one source file: TypeScript's parser, then every node's `parent` set by one walk.
 *
 * Takes: a file name (its extension decides .ts or .tsx, as TypeScript decides it) and its
 * text. Gives: the syntax tree, with parents, as ts-morph's `createSourceFile` gave it
 * (a byte-order mark dropped first, as ts-morph drops it). No type checker, no binder: the
 * frontend reads the syntax only.
 *
 * TypeScript can set the parents itself (`setParentNodes`), but its walk gathers each
 * node's children into a new array and runs a closure per child; on a large function that
 * was about a fifth of the parse when cold and half of it warm. This walk sets the same
 * parents (test/parse.test.ts compares them node by node) and allocates nothing. On its way
 * it notes the nodes that carry doc comments, which annotation discovery would otherwise
 * walk the whole file to find (`documentedNodes`).
 */
import { ts } from "../typescript.ts";

/** TypeScript's `languageVersion` for every source (the generated code's target). */
const TARGET = ts.ScriptTarget.ES2022;

/** Each parsed file's nodes that carry doc comments, outside doc comments, in source order. */
const documentedByFile = new WeakMap<ts.SourceFile, ts.Node[]>();

export function parseSource(fileName: string, text: string): ts.SourceFile {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const sourceFile = ts.createSourceFile(fileName, withoutBom, TARGET, false);
  const found: ts.Node[] = [];
  documented = found;
  setParents(sourceFile);
  documented = [];
  documentedByFile.set(sourceFile, found);
  return sourceFile;
}

/**
 * The nodes of a file that carry doc comments (`/** … *\/` blocks TypeScript attached to
 * them), in the order `ts.forEachChild` reaches them.
 */
export function documentedNodes(sourceFile: ts.SourceFile): readonly ts.Node[] {
  const known = documentedByFile.get(sourceFile);
  if (known) return known;
  // A tree parsed elsewhere: found by a walk.
  const found: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if ((node as { jsDoc?: unknown }).jsDoc) found.push(node);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

/** The node whose children `bindChild` is visiting (one walk at a time: it is synchronous). */
let parent: ts.Node;
/** Where the walk notes documented nodes. */
let documented: ts.Node[] = [];

/**
 * Sets the parent of every node under `root`, doc comments and their tags included, as
 * TypeScript's setParentNodes does: a child's parent is the node `forEachChild` reaches it
 * from, a doc comment's the node it documents.
 */
function setParents(root: ts.Node): void {
  const outer = parent;
  parent = root;
  ts.forEachChild(root, bindChild);
  parent = outer;
}

function bindChild(child: ts.Node): undefined {
  (child as { parent: ts.Node }).parent = parent;
  const docs = (child as { jsDoc?: ts.JSDoc[] }).jsDoc;
  if (docs) {
    // (A doc comment cannot hold another: nothing inside one is noted.)
    documented.push(child);
    for (const doc of docs) {
      (doc as { parent: ts.Node }).parent = child;
      setParents(doc);
    }
  }
  const outer = parent;
  parent = child;
  ts.forEachChild(child, bindChild);
  parent = outer;
  return undefined;
}
