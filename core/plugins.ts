// From a server's plugin entries to plugin definitions with validated options (DESIGN §4):
// find each plugin (built-in folder or module path), load it, compile its options schema,
// check its options and its dependencies. Built-in and custom plugins pass the same checks.
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AnySchemaObject, ValidateFunction } from "ajv";
import { compileSchema } from "./config/ajv.ts";
import { didYouMean, locateIssues, type ConfigIssue } from "./config/issues.ts";
import { configSource } from "./config/load.ts";
import { schemaIssues } from "./config/schema-errors.ts";
import { ConfigSource, type JsonPath } from "./config/source.ts";
import type { PlugdConfig, PluginEntry, ServerConfig } from "./config/types.ts";
import { isPluginDefinition, type PluginDefinition, type PluginSchema } from "./define-plugin.ts";
import { PlugdError, type ErrorCode } from "./errors.ts";

/** The plugd package root: built-ins are `plugins/<id>/index.ts` under it. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

export interface ResolvedPlugin {
  readonly id: string;
  // The options type belongs to each plugin; here they are all plain validated objects.
  readonly definition: PluginDefinition<any>;
  /** The options as written, checked against the plugin's schema, with its defaults filled in. */
  readonly options: Record<string, unknown>;
}

export interface ResolveOptions {
  /**
   * The configuration's text, for line:column in messages. Defaults to the one loadConfig /
   * parseConfig recorded for `config` (configSource); without either, messages name the file only.
   */
  readonly source?: ConfigSource;
  /** Where built-ins are looked for (`plugins/<id>/index.ts`) and their schema paths resolve. Default PACKAGE_ROOT. */
  readonly packageRoot?: string;
}

/** The ids of the built-in plugins: the folders of `<packageRoot>/plugins` that hold an index.ts, sorted. */
export async function builtinPluginIds(packageRoot: string = PACKAGE_ROOT): Promise<string[]> {
  let folders;
  try {
    folders = await readdir(join(packageRoot, "plugins"), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const ids = await Promise.all(
    folders.filter((f) => f.isDirectory()).map(async (f) => ((await isFile(builtinModule(packageRoot, f.name))) ? f.name : undefined)),
  );
  return ids.filter((id): id is string => id !== undefined).sort();
}

/**
 * Resolves the enabled plugins of `server` (one of `config.servers`), in config order.
 *
 * - An entry with `module` is a custom plugin: the module (already an absolute path) is
 *   imported and its default export must be a definePlugin() value. The config id is its id;
 *   the definition's `name` is not checked, so a custom module may stand in for a built-in.
 * - Otherwise the id names a built-in, `<packageRoot>/plugins/<id>/index.ts`, whose
 *   definition's `name` must equal the id.
 * - The plugin's `schema` (object, file URL, or path: relative to the package root for
 *   built-ins, to the module's folder for custom plugins) validates a copy of the options
 *   with ajv, which fills in defaults. Compiled schemas are cached per object or file.
 *   A plugin without a schema takes no options: only an empty object passes.
 * - Every id in `dependencies` must be enabled on the same server.
 *
 * Each step checks every plugin before failing, and fails with one PlugdError listing all
 * its problems, one per line, by position: PLUGD_ERR_CONFIG_UNKNOWN_PLUGIN, then
 * PLUGD_ERR_PLUGIN_LOAD (module or schema), PLUGD_ERR_CONFIG_PLUGIN_OPTIONS, and
 * PLUGD_ERR_PLUGIN_DEPENDENCY.
 */
export async function resolvePlugins(config: PlugdConfig, server: ServerConfig, options: ResolveOptions = {}): Promise<ResolvedPlugin[]> {
  const index = config.servers.indexOf(server);
  if (index < 0) throw new TypeError(`resolvePlugins: server "${server.name}" is not one of config.servers`);
  const where = options.source ?? configSource(config) ?? config.file;
  const packageRoot = options.packageRoot ?? PACKAGE_ROOT;
  const pathOf = (id: string, ...rest: (string | number)[]): JsonPath => ["servers", index, "plugins", id, ...rest];
  const fail = (code: ErrorCode, issues: ConfigIssue[]): never => {
    const located = locateIssues(where, issues);
    throw new PlugdError(code, located.map((i) => i.text).join("\n"), { file: config.file, server: server.name, issues: located });
  };

  const builtins = await builtinPluginIds(packageRoot);
  const unknown = server.plugins.filter((p) => p.module === undefined && !builtins.includes(p.id));
  if (unknown.length > 0) fail("PLUGD_ERR_CONFIG_UNKNOWN_PLUGIN", unknown.map((p) => unknownPlugin(p.id, pathOf(p.id), builtins)));

  const loaded = await Promise.all(server.plugins.map((entry) => load(entry, packageRoot, pathOf)));
  const loadIssues = loaded.filter((l): l is ConfigIssue => !("definition" in l));
  if (loadIssues.length > 0) fail("PLUGD_ERR_PLUGIN_LOAD", loadIssues);
  const plugins = loaded as Loaded[];

  const optionIssues: ConfigIssue[] = [];
  const resolved = plugins.map(({ entry, definition, validate }): ResolvedPlugin => {
    const values = structuredClone(entry.options) as Record<string, unknown>;
    optionIssues.push(...checkOptions(entry.id, validate, values, pathOf(entry.id)));
    return { id: entry.id, definition, options: values };
  });
  if (optionIssues.length > 0) fail("PLUGD_ERR_CONFIG_PLUGIN_OPTIONS", optionIssues);

  const enabled = new Set(server.plugins.map((p) => p.id));
  const source = where instanceof ConfigSource ? where : undefined;
  const dependencyIssues = plugins.flatMap(({ entry, definition }) =>
    (definition.dependencies ?? [])
      .filter((dependency) => !enabled.has(dependency))
      .map((dependency): ConfigIssue => {
        const off = source?.node(pathOf(dependency)) !== undefined;
        const state = off ? "turned off" : "not enabled";
        return {
          path: pathOf(entry.id),
          target: "key",
          message: `plugin "${entry.id}" needs plugin "${dependency}", which is ${state} on server "${server.name}"`,
        };
      }),
  );
  if (dependencyIssues.length > 0) fail("PLUGD_ERR_PLUGIN_DEPENDENCY", dependencyIssues);

  return resolved;
}

/**
 * Checks `values` (mutated: ajv fills defaults) against a plugin's compiled schema; a plugin
 * without a schema takes no options. Returns the problems found, positioned under `path`.
 */
export function checkOptions(id: string, validate: ValidateFunction | undefined, values: Record<string, unknown>, path: JsonPath): ConfigIssue[] {
  if (validate === undefined) {
    return Object.keys(values).map((key) => ({ path: [...path, key], target: "key", message: `unknown option; plugin "${id}" takes no options` }));
  }
  return validate(values) ? [] : schemaIssues(path, validate.errors ?? [], { noun: "option" });
}

interface Loaded {
  readonly entry: PluginEntry;
  readonly definition: PluginDefinition<any>;
  readonly validate: ValidateFunction | undefined;
}

function unknownPlugin(id: string, path: JsonPath, builtins: readonly string[]): ConfigIssue {
  const close = didYouMean(id, builtins);
  const hint = close === undefined ? "" : `; did you mean "${close}"?`;
  const list = builtins.length === 0 ? "there are no built-in plugins" : `built-in plugins: ${builtins.join(", ")}`;
  return { path, target: "key", message: `unknown plugin "${id}"${hint} (${list}; a custom plugin needs a "module" path)` };
}

async function load(entry: PluginEntry, packageRoot: string, pathOf: (id: string, ...rest: string[]) => JsonPath): Promise<Loaded | ConfigIssue> {
  const custom = entry.module !== undefined;
  const file = entry.module ?? builtinModule(packageRoot, entry.id);
  const at: ConfigIssue = custom ? { path: pathOf(entry.id, "module"), message: "" } : { path: pathOf(entry.id), target: "key", message: "" };
  const what = custom ? `plugin module ${file}` : `built-in plugin "${entry.id}" (${file})`;
  const problem = (message: string): ConfigIssue => ({ ...at, message });

  if (custom) {
    const info = await stat(file).catch(() => undefined);
    if (info === undefined) return problem(`cannot load ${what}: no such file`);
    if (!info.isFile()) return problem(`cannot load ${what}: not a file`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    return problem(`cannot load ${what}: ${firstLine(err)}`);
  }
  const definition = exports.default;
  if (!isPluginDefinition(definition)) {
    return problem(`${what} ${notAPlugin(definition)}; expected "export default definePlugin({ name, apply, ... })"`);
  }
  if (!custom && definition.name !== entry.id) return problem(`${what} is named "${definition.name}", not "${entry.id}"`);
  const dependencies: unknown = definition.dependencies;
  if (dependencies !== undefined && !(Array.isArray(dependencies) && dependencies.every((d) => typeof d === "string"))) {
    return problem(`${what} has "dependencies" that are not an array of plugin ids`);
  }
  try {
    const validate = await schemaValidator(definition.schema, custom ? dirname(file) : packageRoot);
    return { entry, definition, validate };
  } catch (err) {
    return problem(`${what} has an unusable options schema: ${firstLine(err)}`);
  }
}

function builtinModule(packageRoot: string, id: string): string {
  return join(packageRoot, "plugins", id, "index.ts");
}

function notAPlugin(value: unknown): string {
  if (value === undefined) return "has no default export";
  if (typeof value !== "object" || value === null) return `has a default export that is ${value === null ? "null" : `a ${typeof value}`}, not a plugin`;
  const v = value as Record<string, unknown>;
  const missing = [typeof v.name !== "string" ? 'a string "name"' : undefined, typeof v.apply !== "function" ? 'an "apply" function' : undefined];
  return `has a default export without ${missing.filter((m) => m !== undefined).join(" and ")}`;
}

/**
 * The compiled options validator of a plugin (ajv, defaults filled in, all errors), or
 * undefined when it has no schema. For plugins applied from code: a path `schema` resolves
 * against `baseDir` (default: the package root, as for built-ins). Throws
 * PLUGD_ERR_PLUGIN_LOAD when the schema cannot be read or compiled.
 */
export async function compilePluginSchema(
  definition: Pick<PluginDefinition<any>, "name" | "schema">,
  baseDir: string = PACKAGE_ROOT,
): Promise<ValidateFunction | undefined> {
  try {
    return await schemaValidator(definition.schema, baseDir);
  } catch (err) {
    throw new PlugdError("PLUGD_ERR_PLUGIN_LOAD", `plugin "${definition.name}" has an unusable options schema: ${firstLine(err)}`, undefined, {
      cause: err,
    });
  }
}

const byObject = new WeakMap<object, ValidateFunction>();
const byFile = new Map<string, ValidateFunction>();

/** Compiles a plugin's options schema once per schema object or file. */
async function schemaValidator(schema: PluginSchema | undefined, baseDir: string): Promise<ValidateFunction | undefined> {
  if (schema === undefined) return undefined;
  if (typeof schema === "string" || schema instanceof URL) {
    if (schema instanceof URL && schema.protocol !== "file:") throw new Error(`${schema.href}: only file: URLs can be read`);
    const file = schema instanceof URL ? fileURLToPath(schema) : resolve(baseDir, schema);
    const cached = byFile.get(file);
    if (cached !== undefined) return cached;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, "utf8"));
    } catch (err) {
      throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : firstLine(err)}`, { cause: err });
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${file}: not a JSON Schema object`);
    const validate = compileSchema(json as AnySchemaObject);
    byFile.set(file, validate);
    return validate;
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new Error("schema is not an object, a file URL or a path");
  const cached = byObject.get(schema);
  if (cached !== undefined) return cached;
  const validate = compileSchema(schema as AnySchemaObject);
  byObject.set(schema, validate);
  return validate;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n", 1)[0] ?? message;
}
