// node:http peer for the bench: the idiomatic hello world, same body and content type as
// bench/hello-plugin.ts. Options: --keep-alive-ms N (idle keep-alive timeout).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

const BODY = Buffer.from("hello world\n");
const TYPE = "text/plain; charset=utf-8";
// Content-Length given explicitly: writeHead(status, headers) stores the head at once, so
// without it node:http would frame this body chunked, unlike plugd and Fastify.
const HEADERS = { "content-type": TYPE, "content-length": String(BODY.length) };

const { values } = parseArgs({ options: { "keep-alive-ms": { type: "string" } } });

const server = http.createServer((_req, res) => {
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
if (values["keep-alive-ms"] !== undefined) {
  const ms = Number(values["keep-alive-ms"]);
  server.keepAliveTimeout = ms;
  // headersTimeout must not be shorter than keepAliveTimeout on an idle socket (node docs).
  server.headersTimeout = ms + 1000;
}
server.listen({ host: "127.0.0.1", port: 0, backlog: 2048 }, () => {
  const a = server.address() as AddressInfo;
  process.stdout.write(`node:http listening on http://${a.address}:${a.port}\n`);
});

const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
