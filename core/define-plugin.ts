// The shape every plugin has, built-in or custom (DESIGN §4).
import type { Server } from "./server.ts";

/**
 * A JSON Schema for the plugin's options: an object (inline or an imported JSON), a file URL,
 * or a path string. A path string is resolved against the plugd package root for built-ins
 * ("schemas/plugins/get.schema.json") and against the plugin module's folder for custom plugins.
 */
export type PluginSchema = Record<string, unknown> | URL | string;

export interface PluginDefinition<Options = Record<string, unknown>> {
  /** The id used in server.config.json: lower-case letters, digits and dashes. */
  readonly name: string;
  /** Options schema; ajv fills its defaults before apply() sees the options. */
  readonly schema?: PluginSchema;
  /** Other plugin ids that must be enabled on the same server. */
  readonly dependencies?: readonly string[];
  /**
   * Taps the server's hooks. No I/O here: open files and pools in a `listening` tap and close
   * them in a `close` tap. Called once per server the plugin is enabled on.
   */
  apply(server: Server, options: Options): void;
}

const PLUGIN_BRAND = Symbol.for("plugd.plugin");

/** Declares a plugin. Returns the definition, frozen and marked so the loader can recognize it. */
export function definePlugin<Options = Record<string, unknown>>(
  definition: PluginDefinition<Options>,
): PluginDefinition<Options> {
  return Object.freeze({ ...definition, [PLUGIN_BRAND]: true });
}

/** True for a value made by definePlugin (or shaped exactly like one). */
export function isPluginDefinition(value: unknown): value is PluginDefinition<unknown> {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<PluginDefinition<unknown>>;
  return typeof v.name === "string" && typeof v.apply === "function";
}
