// core/instrument.ts: the core's own interceptor sits on every hook, and tapable counts
// interceptors as use (Hook.isUsed: taps or interceptors). So every hook looked used: the
// lifecycle called hooks nobody tapped, and without a logger the core's stderr report of a 5xx
// (the PHP gateway's 503 "php-cgi is not available") never ran. Only taps must count.
import { describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { error as errorResponse } from "../../../core/http/response.ts";
import { createServer } from "../../../core/server.ts";
import { rawExchange, startServer } from "../../helpers/server.ts";

describe("hooks without taps", () => {
  it("are not used: isUsed() counts taps, not the core's interceptor", () => {
    const server = createServer();
    expect(server.hooks.log.isUsed()).toBe(false);
    expect(server.hooks.respond.isUsed()).toBe(false);
    expect(server.hooks.onParsed.isUsed()).toBe(false);
    expect(server.hooks.handle.for("GET").isUsed()).toBe(false);
    server.hooks.log.tap("x", () => {});
    expect(server.hooks.log.isUsed()).toBe(true);
  });

  it("a 5xx with no log tap is reported on stderr, with its code and message", async () => {
    const failing = definePlugin({
      name: "failing",
      apply(server) {
        server.hooks.handle.for("GET").tap("failing", () => {
          const res = errorResponse(503);
          res.error = { code: "PLUGD_ERR_PHP_UNAVAILABLE", message: "php-cgi is not available: test", hook: "handle", plugin: "failing" };
          return res;
        });
      },
    });
    const server = await startServer({ plugins: [failing] });
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const raw = await rawExchange(server.port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      expect(raw.toString("latin1")).toMatch(/^HTTP\/1\.1 503 /);
    } finally {
      process.stderr.write = original;
      await server.stop();
    }
    expect(written.join("")).toMatch(/PLUGD_ERR_PHP_UNAVAILABLE in handle \(plugin failing\).*php-cgi is not available: test/);
  });
});
