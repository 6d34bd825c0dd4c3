/**
 * The idiomatic suite (test/idioms/cases.ts): each function built on its own and checked
 * against the tape, central differences and, where tagged, its HVP and JVP (idioms/check.ts).
 */
import { describe, it } from "vitest";
import { IDIOMS } from "./idioms/cases.ts";
import { checkIdiom } from "./idioms/check.ts";

describe("idiomatic TypeScript", () => {
  for (const idiom of IDIOMS) {
    it(idiom.name, async () => {
      await checkIdiom(idiom);
    });
  }
});
