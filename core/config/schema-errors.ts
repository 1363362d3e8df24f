// ajv's errors turned into ConfigIssues: a JSON path, what was expected and what was found.
import type { ErrorObject } from "ajv";
import { formatIssues, suggestion, type ConfigIssue } from "./issues.ts";
import { pointerSegments, type ConfigSource, type JsonPath } from "./source.ts";

export interface SchemaErrorOptions {
  /** What the object's keys are called in messages: "key" (default) or "option" (plugin options). */
  readonly noun?: string;
}

/**
 * Formats ajv errors (from a validator compiled with `allErrors` and `verbose`) for the
 * sub-tree at `basePath` of the configuration: one line per problem, sorted by position.
 * `where` is the source (for line:column) or, for a configuration built in code, its file name.
 */
export function formatSchemaErrors(
  where: ConfigSource | string,
  basePath: JsonPath,
  errors: readonly ErrorObject[],
  options: SchemaErrorOptions = {},
): string[] {
  return formatIssues(where, schemaIssues(basePath, errors, options));
}

/** The issues of `formatSchemaErrors`, unformatted, to merge with issues found elsewhere. */
export function schemaIssues(basePath: JsonPath, errors: readonly ErrorObject[], options: SchemaErrorOptions = {}): ConfigIssue[] {
  const noun = options.noun ?? "key";
  return simplify(errors).map((error) => issueFor(basePath, error, noun));
}

/** The internal keyword of a collapsed anyOf/oneOf whose branches all failed on their type. */
const ALTERNATIVES = "plugd:alternatives";

function issueFor(basePath: JsonPath, error: ErrorObject, noun: string): ConfigIssue {
  const path = [...basePath, ...pointerSegments(error.instancePath)];
  const p = error.params as Record<string, unknown>;
  const data: unknown = error.data;
  const got = `got ${shown(data)}`;
  switch (error.keyword) {
    case "additionalProperties":
    case "unevaluatedProperties": {
      const key = String(p.additionalProperty ?? p.unevaluatedProperty);
      // Keys already present are not left out of the suggestions: useDefaults has filled them in.
      const known = Object.keys(propertiesOf(error.parentSchema));
      return { path: [...path, key], target: "key", message: `unknown ${noun}${suggestion(key, known, `known ${noun}s`)}` };
    }
    case "required":
      return { path, message: `missing required ${noun} ${JSON.stringify(p.missingProperty)}` };
    case "dependentRequired":
    case "dependencies":
      return { path, message: `${noun} ${JSON.stringify(p.property)} requires ${noun} ${JSON.stringify(p.missingProperty)}` };
    case "type":
      return { path, message: `expected ${[p.type].flat().join(" or ")}, ${got}` };
    case ALTERNATIVES:
      return { path, message: `expected ${(p.expected as string[]).join(" or ")}, ${got}` };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { path, message: `expected a number ${String(p.comparison)} ${String(p.limit)}, got ${String(data)}` };
    case "multipleOf":
      return { path, message: `expected a multiple of ${String(p.multipleOf)}, got ${String(data)}` };
    case "minLength":
      return {
        path,
        message: p.limit === 1 ? "expected a non-empty string" : `expected at least ${String(p.limit)} characters, ${got}`,
      };
    case "maxLength":
      return { path, message: `expected at most ${String(p.limit)} characters, ${got}` };
    case "minItems":
    case "maxItems":
      return { path, message: `expected ${error.keyword === "minItems" ? "at least" : "at most"} ${plural(p.limit, "item")}, got ${countOf(data)}` };
    case "minProperties":
    case "maxProperties":
      return { path, message: `expected ${error.keyword === "minProperties" ? "at least" : "at most"} ${plural(p.limit, noun)}, got ${countOf(data)}` };
    case "uniqueItems":
      return { path: [...path, Number(p.j)], message: `duplicate of item ${String(p.i)}` };
    case "pattern":
      if (error.propertyName !== undefined) {
        // The propertyNames schema's description says in words what the pattern wants.
        const description = isObject(error.parentSchema) ? error.parentSchema.description : undefined;
        const expected = typeof description === "string" ? description : `a name matching ${String(p.pattern)}`;
        return { path: [...path, error.propertyName], target: "key", message: `invalid ${noun} ${JSON.stringify(error.propertyName)}; expected ${expected}` };
      }
      return { path, message: `expected a string matching ${String(p.pattern)}, ${got}` };
    case "format":
      return { path, message: `expected ${String(p.format)}, ${got}` };
    case "enum":
      return { path, message: `expected ${alternatives((p.allowedValues as unknown[]).map((v) => JSON.stringify(v)))}, ${got}` };
    case "const":
      return { path, message: `expected ${JSON.stringify(p.allowedValue)}, ${got}` };
    case "oneOf":
      if (Array.isArray(p.passingSchemas)) {
        return { path, message: `matches more than one allowed form (${p.passingSchemas.join(" and ")} of the "oneOf")` };
      }
      return { path, message: `does not match any allowed form, ${got}` };
    case "anyOf":
      return { path, message: `does not match any allowed form, ${got}` };
    case "false schema":
      return { path, target: "key", message: "not allowed here" };
    default:
      return { path, message: error.message ?? `fails "${error.keyword}"` };
  }
}

/**
 * Drops errors that only repeat others (propertyNames and if umbrellas; range checks on a
 * value of the wrong type) and makes anyOf/oneOf readable: a branch whose type fitted is the
 * one the author meant, so its errors are reported alone; when no branch's type fitted, one
 * "expected A or B" is.
 */
function simplify(errors: readonly ErrorObject[]): ErrorObject[] {
  let result = errors.filter((e) => e.keyword !== "propertyNames" && e.keyword !== "if");
  const umbrellas = result
    .filter((e) => (e.keyword === "anyOf" || e.keyword === "oneOf") && !Array.isArray(e.params.passingSchemas))
    .sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const umbrella of umbrellas) {
    const prefix = umbrella.schemaPath + "/";
    const branches = new Map<string, ErrorObject[]>();
    for (const e of result) {
      if (!e.schemaPath.startsWith(prefix) || !e.instancePath.startsWith(umbrella.instancePath)) continue;
      const branch = e.schemaPath.slice(prefix.length).split("/")[0] ?? "";
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    // Branches reached through a $ref report schema paths outside the umbrella: leave as is.
    if (branches.size === 0) continue;
    const inBranches = new Set([...branches.values()].flat());
    result = result.filter((e) => e !== umbrella && !inBranches.has(e));
    const mismatch = (e: ErrorObject) =>
      e.instancePath === umbrella.instancePath && (e.keyword === "type" || e.keyword === "const" || e.keyword === "enum");
    const fitting = [...branches.values()].filter((errs) => !errs.some(mismatch));
    const best = fitting.sort((a, b) => a.length - b.length)[0];
    if (best !== undefined) {
      result.push(...best);
      continue;
    }
    const expected = [...branches.values()].flatMap((errs) => errs.filter(mismatch).flatMap(expectation));
    result.push({ ...umbrella, keyword: ALTERNATIVES, params: { expected: [...new Set(expected)] } });
  }
  // A value of the wrong type also fails its range or length checks: the type error says it all.
  const mistyped = new Set(result.filter((e) => e.keyword === "type" || e.keyword === ALTERNATIVES).map((e) => e.instancePath));
  return result.filter((e) => e.keyword === "type" || e.keyword === ALTERNATIVES || !mistyped.has(e.instancePath));
}

function expectation(e: ErrorObject): string[] {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === "type") return [p.type].flat().map(String);
  if (e.keyword === "const") return [JSON.stringify(p.allowedValue)];
  return (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
}

function propertiesOf(schema: unknown): Record<string, unknown> {
  if (!isObject(schema)) return {};
  const properties = schema.properties;
  return isObject(properties) ? properties : {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function alternatives(values: readonly string[]): string {
  return values.length === 1 ? (values[0] ?? "") : `one of ${values.join(", ")}`;
}

function plural(n: unknown, word: string): string {
  return `${String(n)} ${word}${n === 1 ? "" : "s"}`;
}

function countOf(data: unknown): string {
  if (Array.isArray(data)) return String(data.length);
  if (isObject(data)) return String(Object.keys(data).length);
  return shown(data);
}

/** A value as a message shows it: its JSON type, and the value itself when it is short. */
export function shown(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const text = JSON.stringify(value);
    return `string ${text.length > 42 ? text.slice(0, 40) + '..."' : text}`;
  }
  if (typeof value === "number") return `${Number.isInteger(value) ? "integer" : "number"} ${String(value)}`;
  return `${typeof value} ${String(value)}`;
}
