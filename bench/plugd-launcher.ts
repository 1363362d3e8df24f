// Fallback launcher for plugd in the bench (`--plugd launcher`): createServer + the hello
// plugin directly, without the config loader and CLI. Prints its address the way the CLI does
// ("... listening on http://HOST:PORT"). Options: --keep-alive-ms N, --max-connections N.
import { parseArgs } from "node:util";
import { createServer } from "../core/server.ts";
import hello from "./hello-plugin.ts";

const { values } = parseArgs({
  options: {
    "keep-alive-ms": { type: "string" },
    "max-connections": { type: "string" },
  },
});

const limits: Record<string, number> = {};
if (values["keep-alive-ms"] !== undefined) limits.keepAliveTimeoutMs = Number(values["keep-alive-ms"]);
if (values["max-connections"] !== undefined) limits.maxConnections = Number(values["max-connections"]);

const server = createServer({ name: "hello", listen: ["127.0.0.1:0"], root: import.meta.dirname, limits });
server.use(hello, {}, "hello");
await server.listen();
process.stdout.write(`plugd (launcher): server "hello" listening on ${server.url()}\n`);

const stop = (): void => {
  server.stop(0).then(() => process.exit(0), () => process.exit(1));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
