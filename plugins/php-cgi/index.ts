// The `php-cgi` plugin: PHP scripts under the web root, for GET, HEAD and POST, at
// STAGE_GATEWAY (before static files). Mode "cgi" spawns php-cgi per request (RFC 3875);
// mode "fastcgi" talks FastCGI 1.0 to php-fpm or to a pool of php-cgi -b children plugd
// supervises. Both share the environment builder (environment.ts) and the response parser
// (cgi-head.ts, script-output.ts). See plugins/php-cgi/README.md.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { definePlugin } from "../../core/define-plugin.ts";
import { PlugdError } from "../../core/errors.ts";
import type { Server } from "../../core/server.ts";
import { STAGE_GATEWAY } from "../../core/stages.ts";
import { addIndexFiles } from "../get/index.ts";
import { errorLog } from "../log/index.ts";
import { addScriptExtensions, normalizeExtension } from "../shared/scripts.ts";
import type { Backend } from "./backend.ts";
import { CgiBackend } from "./cgi-backend.ts";
import { FastCgiBackend } from "./fastcgi/backend.ts";
import { parseFcgiAddress } from "./fastcgi/connection.ts";
import { ExternalPool } from "./fastcgi/external-pool.ts";
import { OwnPool } from "./fastcgi/own-pool.ts";
import { Gateway } from "./gateway.ts";
import type { PhpCgiOptions } from "./options.ts";

export { phpCgiHooks, type PhpCgiHooks } from "./hooks.ts";
export type { PhpCgiOptions } from "./options.ts";

/** What a running gateway exposes for diagnostics and tests. */
export interface GatewayState {
  readonly backend: Backend;
  readonly gateway: Gateway;
}

const STATES = new WeakMap<Server, GatewayState>();

/** The gateway of `server` (undefined when the plugin is not on it). */
export function gatewayState(server: Server): GatewayState | undefined {
  return STATES.get(server);
}

function makeBackend(server: Server, options: PhpCgiOptions): Backend {
  const log = errorLog(server);
  if (options.mode === "cgi") return new CgiBackend(options.binary, (message) => log.write("warn", message, { plugin: "php-cgi" }));
  if (options.address !== "") {
    const address = parseFcgiAddress(options.address);
    // The schema's pattern checks the form; this also checks the port's range.
    if (address === undefined) {
      throw new PlugdError("PLUGD_ERR_CONFIG_PLUGIN_OPTIONS", `php-cgi: address ${JSON.stringify(options.address)} is neither host:port nor a unix socket path`);
    }
    return new FastCgiBackend(new ExternalPool(address, options.idleTimeoutMs));
  }
  return new FastCgiBackend(
    new OwnPool({
      binary: options.binary,
      children: options.children,
      log: (level, message) => log.write(level, message, { plugin: "php-cgi" }),
    }),
  );
}

export default definePlugin<PhpCgiOptions>({
  name: "php-cgi",
  schema: "schemas/plugins/php-cgi.schema.json",
  apply(server, options) {
    const extensions = new Set(options.extensions.map(normalizeExtension));
    // PUT must never create a file this gateway would run (DESIGN §8).
    addScriptExtensions(server, extensions);
    // After get's own names: "index index.html index.php" (locate.ts).
    addIndexFiles(server, options.index);
    const backend = makeBackend(server, options);
    // The folder for spooled chunked bodies: made the first time one is needed, removed at close.
    let spoolDir: Promise<string> | undefined;
    const makeSpoolDir = (): Promise<string> =>
      (spoolDir ??= mkdtemp(join(tmpdir(), "plugd-php-body-")).catch((err: unknown) => {
        spoolDir = undefined; // try again next time
        throw err;
      }));
    const gateway = new Gateway({ server, options, backend, log: errorLog(server), spoolDir: makeSpoolDir }, extensions);
    STATES.set(server, { backend, gateway });

    server.hooks.listening.tapPromise("php-cgi", async () => {
      gateway.ready();
      await backend.start();
    });
    server.hooks.close.tapPromise("php-cgi", async () => {
      gateway.close();
      await backend.stop();
      const dir = await spoolDir?.catch(() => undefined);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });
    for (const method of ["GET", "HEAD", "POST"]) {
      server.hooks.handle.for(method).tapPromise({ name: "php-cgi", stage: STAGE_GATEWAY }, gateway.handle);
    }
  },
});
