import { afterEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../core/define-plugin.ts";
import { HttpError } from "../../core/errors.ts";
import type { RequestInfo } from "../../core/http/request.ts";
import { text, type Response } from "../../core/http/response.ts";
import type { Timing } from "../../core/http/lifecycle-types.ts";
import { STAGE_GATEWAY } from "../../core/stages.ts";
import { createServer } from "../../core/server.ts";
import { rawExchange, startServer, statuses, type TestServer } from "../helpers/server.ts";

const hello = definePlugin({
  name: "hello",
  apply(server) {
    server.hooks.handle.for("GET").tap("hello", (req) => (req.path === "/hello" ? text("hello\n") : undefined));
    server.hooks.handle.for("HEAD").tap("hello", (req) => (req.path === "/hello" ? text("hello\n") : undefined));
  },
});

type Logged = { info: RequestInfo; response: Response; timing: Timing };
function logger(into: Logged[]) {
  return definePlugin({
    name: "test-log",
    apply(server) {
      server.hooks.log.tap("test-log", (info, response, timing) => {
        into.push({ info, response, timing });
      });
    },
  });
}

let current: TestServer | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}Connection: close\r\n\r\n`;

describe("lifecycle", () => {
  it("answers from a handle tap; 404 when no tap answers", async () => {
    current = await startServer({ plugins: [hello] });
    const ok = (await rawExchange(current.port, get("/hello"))).toString();
    expect(ok).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(ok).toMatch(/\r\n\r\nhello\n$/);
    expect(ok).toMatch(/\r\nContent-Length: 6\r\n/);
    expect(ok).toMatch(/\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    expect(ok).toMatch(/\r\nServer: plugd\r\n/);
    expect(statuses(await rawExchange(current.port, get("/nothing")))).toEqual([404]);
  });

  it("405 with Allow for a known method nobody handles; 501 for an unknown one", async () => {
    current = await startServer({ plugins: [hello] });
    const put = (await rawExchange(current.port, "PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")).toString();
    expect(put).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(put).toMatch(/\r\nallow: GET, HEAD\r\n/);
    const brew = (await rawExchange(current.port, "BREW /pot HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")).toString();
    expect(brew).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
  });

  it("HEAD gets the GET headers without a body", async () => {
    current = await startServer({ plugins: [hello] });
    const res = (await rawExchange(current.port, `HEAD /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`)).toString();
    expect(res).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(res).toMatch(/\r\nContent-Length: 6\r\n/);
    expect(res.endsWith("\r\n\r\n")).toBe(true);
  });

  it("a throwing tap answers 500 for that request only and is reported with hook, plugin and id", async () => {
    const logged: Logged[] = [];
    const broken = definePlugin({
      name: "broken",
      apply(server) {
        server.hooks.handle.for("GET").tap("broken", (req) => {
          if (req.path === "/boom") throw new Error("kaput");
          return undefined;
        });
      },
    });
    current = await startServer({ plugins: [broken, hello, logger(logged)] });
    const both = await rawExchange(current.port, [
      "GET /boom HTTP/1.1\r\nHost: t\r\n\r\n",
      get("/hello"),
    ]);
    expect(statuses(both)).toEqual([500, 200]);
    expect(both.toString()).not.toContain("kaput");
    const failed = logged.find((l) => l.response.status === 500);
    expect(failed?.timing.error).toMatchObject({ code: "PLUGD_ERR_HOOK_TAP_FAILED", message: "kaput", hook: 'handle.for("GET")', plugin: "broken" });
    expect(failed?.info.id).toMatch(/\S+/);
  });

  it("an HttpError answers with its status and may show its message", async () => {
    const gate = definePlugin({
      name: "gate",
      apply(server) {
        server.hooks.authorize.tapPromise("gate", async () => {
          throw new HttpError(403, "members only");
        });
      },
    });
    current = await startServer({ plugins: [gate, hello] });
    const res = (await rawExchange(current.port, get("/hello"))).toString();
    expect(res).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(res).toContain("members only");
  });

  it("taps run by stage, not by load order; respond sees every response", async () => {
    const gateway = definePlugin({
      name: "gateway",
      apply(server) {
        server.hooks.handle.for("GET").tap({ name: "gateway", stage: STAGE_GATEWAY }, (req) => (req.path === "/hello" ? text("from gateway\n") : undefined));
        server.hooks.respond.tap("gateway", (res) => ({ ...res, headers: { ...res.headers, "x-seen": "yes" } }));
      },
    });
    current = await startServer({ plugins: [hello, gateway] });
    const res = (await rawExchange(current.port, get("/hello"))).toString();
    expect(res).toContain("from gateway");
    expect(res).toContain("x-seen: yes");
    expect((await rawExchange(current.port, get("/missing"))).toString()).toContain("x-seen: yes");
  });

  it("onRawRequest sees the head bytes as received and can answer and close", async () => {
    const seen: Buffer[] = [];
    const deny = definePlugin({
      name: "deny",
      apply(server) {
        server.hooks.onRawRequest.tap("deny", (raw) => {
          seen.push(raw.raw);
          return raw.raw.includes("X-Evil") ? text("denied\n", 403) : undefined;
        });
      },
    });
    current = await startServer({ plugins: [deny, hello] });
    const head = "GET /hello HTTP/1.1\r\nHost: t\r\nX-Evil: 1\r\n\r\n";
    const res = await rawExchange(current.port, [head, get("/hello")]);
    expect(statuses(res)).toEqual([403]);
    expect(res.toString()).toMatch(/\r\nConnection: close\r\n/);
    expect(seen[0]?.toString("latin1")).toBe(head);
  });

  it("a request that fails to parse still reaches log with peer, excerpt and code", async () => {
    const logged: Logged[] = [];
    current = await startServer({ plugins: [hello, logger(logged)] });
    const res = await rawExchange(current.port, "GET /hello HTTP/1.1\r\nHost: t\r\nBad-Header : x\r\n\r\n");
    expect(statuses(res)).toEqual([400]);
    const entry = logged[0];
    expect(entry?.info.parsed).toBe(false);
    expect(entry?.info.remoteAddress).toBe("127.0.0.1");
    expect(entry?.info.method).toBe("GET");
    expect(entry?.info.raw?.toString("latin1")).toContain("Bad-Header");
    expect(entry?.timing.error?.code).toBe("PLUGD_ERR_HTTP_SPACE_BEFORE_COLON");
  });

  it("a throwing log tap never breaks the response nor the next log tap", async () => {
    const logged: Logged[] = [];
    const badLog = definePlugin({
      name: "bad-log",
      apply(server) {
        server.hooks.log.tap("bad-log", () => {
          throw new Error("disk on fire");
        });
      },
    });
    current = await startServer({ plugins: [hello, badLog, logger(logged)] });
    expect(statuses(await rawExchange(current.port, get("/hello")))).toEqual([200]);
    expect(logged).toHaveLength(1);
  });

  it("tapping after listen is an error", async () => {
    const server = createServer();
    server.use(hello, {});
    await server.listen();
    try {
      expect(() => server.hooks.handle.for("GET").tap("late", () => undefined)).toThrow(expect.objectContaining({ code: "PLUGD_ERR_HOOK_TAP_AFTER_LISTEN" }));
    } finally {
      await server.stop(100);
    }
  });

  it("a header value with CR/LF from a plugin becomes a 500, never a split response", async () => {
    const splitter = definePlugin({
      name: "splitter",
      apply(server) {
        server.hooks.handle.for("GET").tap("splitter", () => text("x", 200, { "x-bad": "a\r\nSet-Cookie: evil=1" }));
      },
    });
    current = await startServer({ plugins: [splitter] });
    const res = (await rawExchange(current.port, get("/"))).toString();
    expect(res).toMatch(/^HTTP\/1\.1 500 /);
    expect(res).not.toContain("evil=1");
  });
});
