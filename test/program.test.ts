/** frontend/program.ts: what a name refers to follows the files of the build as they are added. */
import { describe, expect, it } from "vitest";
import { ProgramIndex } from "../compiler/frontend/program.ts";

describe("ProgramIndex", () => {
  it("finds a type declared in the file or imported from another, once that file is added", () => {
    const program = new ProgramIndex();
    program.add("model.ts", 'import { Layer } from "./layer.ts";\ninterface Point { x: number }\nexport function f(l: Layer, p: Point): number { return p.x; }\n');
    expect(program.typeDeclarationOf("model.ts", "Point")?.name?.text).toBe("Point");
    expect(program.typeDeclarationOf("model.ts", "Layer")).toBeUndefined();
    program.add("layer.ts", "export class Layer { w = 1; }\n");
    expect(program.typeDeclarationOf("model.ts", "Layer")?.name?.text).toBe("Layer");
    // Replaced by a file that no longer declares it.
    program.add("layer.ts", "export const Layer = 1;\n");
    expect(program.typeDeclarationOf("model.ts", "Layer")).toBeUndefined();
  });
});
