// Start-up (DESIGN §4): read config -> validate everything -> construct -> apply -> listening
// -> listen. If any step fails nothing listens, and what was started is stopped.
import { loadConfig } from "./config/load.ts";
import type { PlugdConfig } from "./config/types.ts";
import { resolvePlugins, type ResolvedPlugin } from "./plugins.ts";
import { Server } from "./server.ts";

export interface Started {
  readonly config: PlugdConfig;
  readonly servers: readonly Server[];
  /** Stops every server (graceful, see Server.stop). */
  stop(graceMs?: number): Promise<void>;
}

/** Loads, validates and applies every server of a config file; listens unless `listen` is false. */
export async function startFromConfig(file: string, options: { listen?: boolean } = {}): Promise<Started> {
  const config = await loadConfig(file);
  // Validate every server's plugins before constructing any: a bad second server must not
  // leave the first one listening.
  const resolved: ResolvedPlugin[][] = [];
  for (const serverConfig of config.servers) resolved.push(await resolvePlugins(config, serverConfig));
  const servers = config.servers.map((serverConfig, i) => {
    const server = new Server(serverConfig);
    for (const plugin of resolved[i] ?? []) server.use(plugin.definition, plugin.options, plugin.id);
    return server;
  });
  const stop = async (graceMs?: number): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop(graceMs)));
  };
  if (options.listen !== false) {
    try {
      for (const server of servers) await server.listen();
    } catch (err) {
      await stop(0);
      throw err;
    }
  }
  return { config, servers, stop };
}
