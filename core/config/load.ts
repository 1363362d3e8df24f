// server.config.json -> PlugdConfig: read, parse, validate against the schema, check what a
// schema cannot, normalize (DESIGN §5).
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { AnySchemaObject, ValidateFunction } from "ajv";
import { PlugdError } from "../errors.ts";
import { compileSchema } from "./ajv.ts";
import { locateIssues, type ConfigIssue } from "./issues.ts";
import { schemaIssues } from "./schema-errors.ts";
import { semanticIssues } from "./semantics.ts";
import { ConfigSource } from "./source.ts";
import { DEFAULT_LIMITS, type ListenAddress, type PlugdConfig, type PluginEntry, type ServerConfig } from "./types.ts";
import { parseListenAddress } from "./listen.ts";

/** Where schemas/server.config.schema.json is: two folders up from core/config/. */
export const CONFIG_SCHEMA_URL = new URL("../../schemas/server.config.schema.json", import.meta.url);

const sources = new WeakMap<PlugdConfig, ConfigSource>();

/**
 * The text a configuration was parsed from, for errors found after loading (plugin options,
 * dependencies) to name line:column. Undefined for a configuration built in code.
 */
export function configSource(config: PlugdConfig): ConfigSource | undefined {
  return sources.get(config);
}

/**
 * Reads, validates and normalizes a configuration file. `file` appears in messages as given;
 * `config.file` is its absolute path. Throws PlugdError PLUGD_ERR_CONFIG_READ, _JSON or
 * _INVALID (see parseConfig).
 */
export async function loadConfig(file: string): Promise<PlugdConfig> {
  let text: string;
  try {
    const bytes = await readFile(file);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = err instanceof TypeError ? "not valid UTF-8" : describeReadError(err as NodeJS.ErrnoException);
    throw new PlugdError("PLUGD_ERR_CONFIG_READ", `${file}: cannot read the configuration: ${reason}`, { file, code }, { cause: err });
  }
  return parseConfig(text, file);
}

/**
 * Validates and normalizes configuration text. `file` names it in messages and its folder is
 * what relative `root` and `module` paths resolve against.
 *
 * Throws PLUGD_ERR_CONFIG_JSON for a syntax error (the first one), or PLUGD_ERR_CONFIG_INVALID
 * listing every problem, one per line, by position: `file:line:column: /json/path: message`.
 * `details.issues` holds them as LocatedIssue values.
 */
export function parseConfig(text: string, file: string): PlugdConfig {
  const { source, value } = ConfigSource.parse(text, file);
  const validate = configValidator();
  const issues: ConfigIssue[] = [];
  if (!validate(value)) issues.push(...schemaIssues([], validate.errors ?? []));
  issues.push(...semanticIssues(source, value));
  if (issues.length > 0) {
    const located = locateIssues(source, issues);
    throw new PlugdError("PLUGD_ERR_CONFIG_INVALID", located.map((i) => i.text).join("\n"), { file, issues: located });
  }
  const config = deepFreeze(normalize(value as RawConfig, resolve(file)));
  sources.set(config, source);
  return config;
}

let validator: ValidateFunction | undefined;

function configValidator(): ValidateFunction {
  validator ??= compileSchema(JSON.parse(readFileSync(CONFIG_SCHEMA_URL, "utf8")) as AnySchemaObject);
  return validator;
}

// The shape once the schema has passed (and ajv has filled `limits`, `timing`, `enabled`).
type RawPlugin = boolean | ({ module?: string; enabled?: boolean } & Record<string, unknown>);
interface RawServer {
  name: string;
  listen: string[];
  root: string;
  limits?: Record<string, number>;
  timing?: boolean;
  plugins: Record<string, RawPlugin>;
}
interface RawConfig {
  servers: RawServer[];
}

function normalize(raw: RawConfig, file: string): PlugdConfig {
  const folder = dirname(file);
  const servers = raw.servers.map((server): ServerConfig => ({
    name: server.name,
    listen: server.listen.map(listenAddress),
    root: resolve(folder, server.root),
    base: resolve(folder),
    limits: { ...DEFAULT_LIMITS, ...server.limits },
    timing: server.timing ?? false,
    plugins: Object.entries(server.plugins).flatMap(([id, entry]) => pluginEntry(id, entry, folder)),
  }));
  return { file, servers };
}

function listenAddress(text: string): ListenAddress {
  const parsed = parseListenAddress(text);
  if (!parsed.ok) throw new Error(`unreachable: ${text} passed the checks`);
  return parsed.address;
}

function pluginEntry(id: string, entry: RawPlugin, folder: string): PluginEntry[] {
  if (entry === false) return [];
  if (entry === true) return [{ id, options: {} }];
  if (entry.enabled === false) return [];
  // fromEntries defines properties, so an option named "__proto__" stays an option.
  const options = Object.fromEntries(Object.entries(entry).filter(([key]) => key !== "module" && key !== "enabled"));
  return [entry.module === undefined ? { id, options } : { id, module: resolve(folder, entry.module), options }];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function describeReadError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "it is a folder, not a file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return err.message;
  }
}
