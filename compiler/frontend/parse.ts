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
 * parents (test/parse.test.ts compares them node by node) and allocates nothing.
 */
import { ts } from "../typescript.ts";

/** TypeScript's `languageVersion` for every source (the generated code's target). */
const TARGET = ts.ScriptTarget.ES2022;

export function parseSource(fileName: string, text: string): ts.SourceFile {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const sourceFile = ts.createSourceFile(fileName, withoutBom, TARGET, false);
  setParents(sourceFile);
  return sourceFile;
}

/** The node whose children `bindChild` is visiting (one walk at a time: it is synchronous). */
let parent: ts.Node;

/**
 * Sets the parent of every node under `root`, doc comments and their tags included, as
 * TypeScript's setParentNodes does: a child's parent is the node `forEachChild` reaches it
 * from, a doc comment's the node it documents.
 */
function setParents(root: ts.Node): void {
  const outer = parent;
  parent = root;
  try {
    ts.forEachChild(root, bindChild);
  } finally {
    parent = outer;
  }
}

function bindChild(child: ts.Node): undefined {
  (child as { parent: ts.Node }).parent = parent;
  const docs = (child as { jsDoc?: ts.JSDoc[] }).jsDoc;
  if (docs) {
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
