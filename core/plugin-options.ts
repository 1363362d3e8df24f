// Options for a plugin applied from code (createServer().use / the test helper): checked
// against the plugin's schema with its defaults filled, by the same rules as the config loader.
import { formatIssues } from "./config/issues.ts";
import type { PluginDefinition } from "./define-plugin.ts";
import { PlugdError } from "./errors.ts";
import { checkOptions, compilePluginSchema } from "./plugins.ts";

export async function pluginOptions<O>(definition: PluginDefinition<O>, given: Record<string, unknown>, id: string): Promise<O> {
  const options = structuredClone(given);
  const issues = checkOptions(id, await compilePluginSchema(definition), options, []);
  if (issues.length > 0) {
    throw new PlugdError("PLUGD_ERR_CONFIG_PLUGIN_OPTIONS", formatIssues(`options of plugin "${id}"`, issues).join("\n"));
  }
  return options as O;
}
