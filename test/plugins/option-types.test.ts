import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderOptionTypes, schemaIds } from "../../scripts/gen-option-types.ts";

// Each built-in plugin's options type is generated from its schema; this keeps the two in
// agreement (DESIGN §4). Regenerate with `node --import tsx scripts/gen-option-types.ts`.
describe("plugin option types", () => {
  for (const id of schemaIds()) {
    it(`plugins/${id}/options.ts matches schemas/plugins/${id}.schema.json`, async () => {
      const onDisk = readFileSync(new URL(`../../plugins/${id}/options.ts`, import.meta.url), "utf8");
      expect(onDisk).toBe(await renderOptionTypes(id));
    });
  }
});
