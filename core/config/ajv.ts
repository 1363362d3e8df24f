// The ajv instances every plugd schema is compiled with: the configuration's own and plugins'.
import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { AnySchemaObject, Options, ValidateFunction } from "ajv";
import formatsModule from "ajv-formats";
import type { FormatsPlugin } from "ajv-formats";

// ajv-formats is CommonJS: under NodeNext the default import is typed as the whole module,
// while at run time it is the plugin function itself.
const addFormats: FormatsPlugin =
  (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);

const OPTIONS: Options = {
  allErrors: true,
  // error.data and error.parentSchema: "got ..." and "did you mean" need them.
  verbose: true,
  useDefaults: true,
  // Unknown keywords and formats are errors (a misspelt "additionalProperty" would otherwise
  // silently accept anything); the type-pedantic checks are not, as plugin authors write these.
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allowUnionTypes: true,
};

export const DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema";
export const DRAFT_07 = "http://json-schema.org/draft-07/schema";

let draft2020: Ajv2020 | undefined;
let draft07: Ajv | undefined;

/**
 * Compiles a schema with the ajv for its `$schema`: draft 2020-12 (also when `$schema` is
 * absent) or draft-07. Throws an Error (with ajv's words) when the schema is invalid or
 * names another draft. ajv keeps compiled schemas per schema object; callers that read a
 * schema from a file cache by path (see core/plugins.ts).
 */
export function compileSchema(schema: AnySchemaObject): ValidateFunction {
  const declared = typeof schema.$schema === "string" ? schema.$schema.replace(/#$/, "") : undefined;
  if (declared === undefined || declared === DRAFT_2020) {
    draft2020 ??= withFormats(new Ajv2020(OPTIONS));
    return draft2020.compile(schema);
  }
  if (declared === DRAFT_07) {
    draft07 ??= withFormats(new Ajv(OPTIONS));
    return draft07.compile(schema);
  }
  throw new Error(`unsupported $schema ${JSON.stringify(schema.$schema)}; use ${JSON.stringify(DRAFT_2020)} or ${JSON.stringify(DRAFT_07)}`);
}

function withFormats<T extends Ajv | Ajv2020>(ajv: T): T {
  addFormats(ajv);
  return ajv;
}
