import { afterEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../core/define-plugin.ts";
import { text } from "../../core/http/response.ts";
import { printHooks } from "../../core/print-hooks.ts";
import { createServer } from "../../core/server.ts";
import { STAGE_GATEWAY } from "../../core/stages.ts";
import { rawExchange, startServer, type TestServer } from "../helpers/server.ts";

const slowAuth = definePlugin({
  name: "slow-auth",
  apply(server) {
    server.hooks.authorize.tapPromise("slow-auth", async () => {
      await new Promise((r) => setTimeout(r, 20));
      return undefined;
    });
  },
});
const hello = definePlugin({
  name: "hello",
  apply(server) {
    server.hooks.handle.for("GET").tap("hello", () => text("hi\n"));
  },
});

let current: TestServer | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

const GET = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

describe("Server-Timing", () => {
  it("names each plugin that ran with its time when timing is on", async () => {
    current = await startServer({ timing: true, plugins: [slowAuth, hello] });
    const res = (await rawExchange(current.port, GET)).toString();
    const header = /\r\nserver-timing: ([^\r]*)\r\n/.exec(res)?.[1];
    expect(header).toMatch(/^slow-auth;dur=\d+\.\d, hello;dur=\d+\.\d$/);
    const authMs = Number(/slow-auth;dur=([\d.]+)/.exec(header ?? "")?.[1]);
    expect(authMs).toBeGreaterThanOrEqual(15);
  });

  it("is absent when timing is off", async () => {
    current = await startServer({ plugins: [slowAuth, hello] });
    const res = (await rawExchange(current.port, GET)).toString();
    expect(res).toMatch(/^HTTP\/1\.1 200 /);
    expect(res).not.toMatch(/server-timing/i);
  });
});

describe("printHooks", () => {
  it("lists taps in the order they run, with plugin and stage", () => {
    const server = createServer({ name: "site" });
    const gateway = definePlugin({
      name: "gw",
      apply(s) {
        s.hooks.handle.for("GET").tap({ name: "gw-get", stage: STAGE_GATEWAY }, () => undefined);
      },
    });
    server.use(hello, {});
    server.use(gateway, {});
    server.use(slowAuth, {});
    const out = printHooks([server]);
    expect(out).toContain('server "site" (plugins: hello, gw, slow-auth)');
    expect(out).toMatch(/handle GET\s+gw\/gw-get \(stage -100, sync\) -> hello \(stage 0, sync\)\n/);
    expect(out).toMatch(/authorize\s+slow-auth \(stage 0, promise\)\n/);
    expect(out).toMatch(/onParsed\s+\(no taps\)\n/);
  });
});
