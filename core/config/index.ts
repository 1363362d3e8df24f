// The configuration loader's public face (DESIGN §5). Named exports only.
export { loadConfig, parseConfig, configSource, CONFIG_SCHEMA_URL } from "./load.ts";
export { ConfigSource, jsonPointer, pointerSegments } from "./source.ts";
export type { JsonPath, SourcePosition, PositionTarget } from "./source.ts";
export { formatIssues, locateIssues, lineColumn, didYouMean, editDistance, suggestion } from "./issues.ts";
export type { ConfigIssue, LocatedIssue } from "./issues.ts";
export { formatSchemaErrors, schemaIssues } from "./schema-errors.ts";
export type { SchemaErrorOptions } from "./schema-errors.ts";
export { compileSchema } from "./ajv.ts";
export { parseListenAddress, listenKey } from "./listen.ts";
export type { ParsedListen } from "./listen.ts";
export { DEFAULT_LIMITS } from "./types.ts";
export type { PlugdConfig, ServerConfig, Limits, ListenAddress, PluginEntry } from "./types.ts";
