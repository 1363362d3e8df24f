// A plugd server in a process of its own, for what cannot be tested in the test process:
// - under `prlimit --fsize=N`, a write past N bytes fails with EFBIG (Node ignores SIGXFSZ);
// - a crash (an uncaught exception) shows as the process dying, as it would in production.
// Plugins: put, and "late-reader", which answers POST /late only after the client went away
// and then reads the body (a consumer that takes the body after an await, as gateways do).
// Usage: node --import tsx test/plugins/put/server-process.ts <root>; prints {"port": N} once listening.
import { once } from "node:events";
import { definePlugin } from "../../../core/define-plugin.ts";
import { text } from "../../../core/http/response.ts";
import put from "../../../plugins/put/index.ts";
import { startServer } from "../../helpers/server.ts";

const lateReader = definePlugin({
  name: "late-reader",
  apply(server) {
    server.hooks.handle.for("POST").tapPromise("late-reader", async (request) => {
      if (request.path !== "/late") return undefined;
      await once(request.signal, "abort");
      const body = await request.body();
      return text(`${body.length}\n`);
    });
  },
});

const root = process.argv[2];
if (root === undefined) throw new Error("usage: server-process.ts <root>");
const server = await startServer({ root, plugins: [put, lateReader] });
process.stdout.write(JSON.stringify({ port: server.port }) + "\n");
process.on("SIGTERM", () => {
  void server.stop().then(() => process.exit(0));
});
