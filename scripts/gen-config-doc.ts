// Writes docs/config.md from the JSON Schemas: the top-level schema and every built-in plugin's
// (`node --import tsx scripts/gen-config-doc.ts`). test/docs/config-doc.test.ts fails when the
// file is out of date, so the reference cannot drift from what the loader checks.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  $ref?: string;
  oneOf?: Schema[];
  anyOf?: Schema[];
  $defs?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
};

const ROOT = new URL("../", import.meta.url);
const readSchema = (relative: string): Schema => JSON.parse(readFileSync(new URL(relative, ROOT), "utf8")) as Schema;

function deref(schema: Schema, document: Schema): Schema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace(/^#\/\$defs\//, "");
  const target = document.$defs?.[name];
  if (target === undefined) throw new Error(`unresolved $ref ${schema.$ref}`);
  const { $ref: _ref, ...rest } = schema;
  return { ...deref(target, document), ...rest };
}

function typeOf(schema: Schema, document: Schema): string {
  const s = deref(schema, document);
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives !== undefined) return alternatives.map((a) => typeOf(a, document)).join(" \\| ");
  const types = Array.isArray(s.type) ? s.type : s.type !== undefined ? [s.type] : [];
  return types.map((t) => (t === "array" && s.items !== undefined ? `${typeOf(s.items, document)}[]` : t)).join(" \\| ") || "any";
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Rows for every property of an object schema, nested objects flattened as `a.b`. */
function rows(schema: Schema, document: Schema, prefix = ""): string[] {
  const s = deref(schema, document);
  const out: string[] = [];
  for (const [name, raw] of Object.entries(s.properties ?? {})) {
    if (name === "$schema") continue;
    const property = deref(raw, document);
    const key = prefix + name;
    const fallback = property.default === undefined ? "—" : `\`${JSON.stringify(property.default)}\``;
    out.push(`| \`${key}\` | ${cell(typeOf(raw, document))} | ${cell(fallback)} | ${cell(property.description ?? "")} |`);
    const nested = property.items !== undefined ? deref(property.items, document) : property;
    if (nested.properties !== undefined) out.push(...rows(nested, document, property.items !== undefined ? `${key}[].` : `${key}.`));
  }
  return out;
}

const HEADER = ["| option | type | default | description |", "|---|---|---|---|"];

export function pluginSchemaIds(): string[] {
  return readdirSync(new URL("schemas/plugins/", ROOT))
    .filter((f) => f.endsWith(".schema.json"))
    .map((f) => f.slice(0, -".schema.json".length))
    .sort();
}

export function renderConfigDoc(): string {
  const top = readSchema("schemas/server.config.schema.json");
  const server = top.$defs?.server as Schema;
  const lines = [
    "# Configuration reference",
    "",
    "`server.config.json` is checked against `schemas/server.config.schema.json` before anything listens, and each",
    "plugin's options against `schemas/plugins/<id>.schema.json`. A problem is reported with the file, line and column,",
    "the JSON path, what was expected, and a \"did you mean\" for near misses; `npx plugd --check` checks without listening.",
    "Relative paths (`root`, `module`, and plugin paths such as `users` or `dir`) resolve against the folder of the file.",
    "",
    "Generated from the schemas by `node --import tsx scripts/gen-config-doc.ts`; a test fails when it is out of date.",
    "",
    "## A server (`servers[]`)",
    "",
    ...HEADER,
    ...rows(server, top),
    "",
    "A plugin entry is `true` (on, default options), `false` (off), or an object: `module` (a custom plugin's path) and",
    "`enabled` belong to plugd, every other key is an option of the plugin, checked against its schema below.",
  ];
  for (const id of pluginSchemaIds()) {
    const schema = readSchema(`schemas/plugins/${id}.schema.json`);
    lines.push("", `## Plugin \`${id}\``, "");
    if (schema.description !== undefined) lines.push(cell(schema.description), "");
    const body = rows(schema, schema);
    lines.push(...(body.length > 0 ? [...HEADER, ...body] : ["No options."]));
  }
  return lines.join("\n") + "\n";
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL("docs/config.md", ROOT), renderConfigDoc());
}
