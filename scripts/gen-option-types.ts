// Generates each built-in plugin's options type from its schema:
// schemas/plugins/<id>.schema.json -> plugins/<id>/options.ts
// (`node --import tsx scripts/gen-option-types.ts`). The plugin imports that type for
// definePlugin<Options>, so its options have the type of its schema (DESIGN §4);
// test/plugins/option-types.test.ts fails when a generated file is out of date.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";

const ROOT = new URL("../", import.meta.url);

export function schemaIds(): string[] {
  return readdirSync(new URL("schemas/plugins/", ROOT))
    .filter((f) => f.endsWith(".schema.json"))
    .map((f) => f.slice(0, -".schema.json".length))
    .filter((id) => existsSync(new URL(`plugins/${id}/`, ROOT)))
    .sort();
}

/** The generated TypeScript for one plugin's options. */
export async function renderOptionTypes(id: string): Promise<string> {
  const schema = JSON.parse(readFileSync(new URL(`schemas/plugins/${id}.schema.json`, ROOT), "utf8"));
  const typeName = id.split("-").map((w) => w[0]?.toUpperCase() + w.slice(1)).join("") + "Options";
  // ajv fills every default before apply() runs, so properties with a default are present.
  const body = await compile({ ...schema, title: typeName }, typeName, {
    bannerComment: `// Generated from schemas/plugins/${id}.schema.json by scripts/gen-option-types.ts. Do not edit.`,
    additionalProperties: false,
    strictIndexSignatures: true,
    format: false,
    ignoreMinAndMaxItems: true,
  });
  return body.replace(/\n{3,}/g, "\n\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const id of schemaIds()) {
    writeFileSync(new URL(`plugins/${id}/options.ts`, ROOT), await renderOptionTypes(id));
    console.log(`plugins/${id}/options.ts`);
  }
}
