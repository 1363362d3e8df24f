// Fastify peer for the bench: same body and content type as bench/hello-plugin.ts.
// Options: --keep-alive-ms N (idle keep-alive timeout).
import { parseArgs } from "node:util";
import Fastify from "fastify";

const BODY = "hello world\n";
const TYPE = "text/plain; charset=utf-8";

const { values } = parseArgs({ options: { "keep-alive-ms": { type: "string" } } });
const keepAliveTimeout = values["keep-alive-ms"] !== undefined ? Number(values["keep-alive-ms"]) : 72000;

const app = Fastify({ logger: false, keepAliveTimeout });
app.get("/", (_req, reply) => {
  reply.type(TYPE).send(BODY);
});

const address = await app.listen({ host: "127.0.0.1", port: 0, backlog: 2048 });
process.stdout.write(`fastify listening on ${address}\n`);

const stop = (): void => {
  app.close().then(() => process.exit(0), () => process.exit(1));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
