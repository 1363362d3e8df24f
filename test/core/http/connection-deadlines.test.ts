// Deadlines, lingering closes and graceful stop: each case here was a defect found in review
// (a connection cut off, kept forever, or a request dropped), and failed before its fix.
import net from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { text } from "../../../core/http/response.ts";
import { rawExchange, startServer, statuses, type TestServer } from "../../helpers/server.ts";

const BIG = 32 * 1024 * 1024;

const plugin = definePlugin({
  name: "t",
  apply(server) {
    const get = server.hooks.handle.for("GET");
    get.tapPromise("big-async", async (req) => (req.path === "/big" ? { status: 200, headers: {}, body: Buffer.alloc(BIG, 0x62) } : undefined));
    get.tap("stream", (req) => (req.path === "/stream" ? { status: 200, headers: {}, body: Readable.from((function* () { for (let i = 0; i < 4096; i++) yield Buffer.alloc(16384, 0x73); })()) } : undefined));
    get.tapPromise("wait", async (req) => {
      const ms = Number(new URLSearchParams(req.query).get("ms") ?? "");
      if (req.path !== "/wait" || !Number.isFinite(ms)) return undefined;
      await new Promise((r) => setTimeout(r, ms));
      return text(`waited ${ms}\n`);
    });
    get.tap("bad-file", (req) => (req.path === "/bad-file" ? { status: 200, headers: {}, body: { kind: "file", path: "/dev/null", start: -1, end: 3 } } : undefined));
    get.tap("ok", (req) => (req.path === "/ok" ? text("ok\n") : undefined));
    const post = server.hooks.handle.for("POST");
    post.tapPromise("ignore", async (req) => {
      if (req.path === "/ignore") {
        await new Promise((r) => setTimeout(r, 50));
        return text("ignored\n");
      }
      const body = await req.body();
      return text(`got ${body.length}\n`);
    });
  },
});

let current: TestServer | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

/** Resolves once the server holds `n` connections. */
async function serverHolds(server: TestServer, n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (server.server.connectionCount < n) {
    if (Date.now() > deadline) throw new Error("the server never got the connection");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves when the server holds no connection any more (its side was closed and freed). */
async function serverLetGo(server: TestServer): Promise<void> {
  const deadline = Date.now() + 15000;
  while (server.server.connectionCount > 0) {
    if (Date.now() > deadline) throw new Error(`the server still holds ${server.server.connectionCount} connection(s)`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once("close", () => resolve());
  });
}

describe("connection deadlines", () => {
  it("a large response is not cut off by the keep-alive timeout while a slow client reads it", async () => {
    current = await startServer({ plugins: [plugin], limits: { keepAliveTimeoutMs: 200, bodyTimeoutMs: 5000 } });
    const socket = net.connect(current.port, "127.0.0.1");
    socket.pause();
    // Keep-alive: once the response is handed to the socket the connection looks idle, but most
    // of the body is still waiting for the client.
    socket.write("GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    // Read nothing for longer than the keep-alive timeout, then everything.
    await new Promise((r) => setTimeout(r, 800));
    let bytes = 0;
    const whole = new Promise<void>((resolve) => {
      socket.on("data", (c: Buffer) => {
        bytes += c.length;
        if (bytes > BIG) resolve();
      });
    });
    socket.resume();
    await Promise.race([whole, closed(socket)]);
    expect(bytes).toBeGreaterThan(BIG);
    socket.destroy();
  });

  it("a client that never reads a streamed response is cut off after bodyTimeoutMs", async () => {
    current = await startServer({ plugins: [plugin], limits: { headersTimeoutMs: 200, bodyTimeoutMs: 300, keepAliveTimeoutMs: 200 } });
    const socket = net.connect(current.port, "127.0.0.1");
    socket.pause();
    socket.on("error", () => {});
    socket.write("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
    await serverHolds(current, 1);
    const started = Date.now();
    // The paused client cannot see the close; the server's side is what must be let go.
    await serverLetGo(current);
    expect(Date.now() - started).toBeLessThan(5000);
    socket.destroy();
  });

  it("a stalled upload whose response went out unread is cut off after bodyTimeoutMs", async () => {
    current = await startServer({ plugins: [plugin], limits: { bodyTimeoutMs: 300, keepAliveTimeoutMs: 300 } });
    const socket = net.connect(current.port, "127.0.0.1");
    socket.on("data", () => {});
    socket.write("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Type: x/y\r\nContent-Length: 300000\r\n\r\n");
    socket.write(Buffer.alloc(200000, 0x75)); // then nothing more
    const started = Date.now();
    await closed(socket);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("after Connection: close, a peer that never closes its side is cut off", async () => {
    current = await startServer({ plugins: [plugin] });
    const socket = net.connect({ port: current.port, host: "127.0.0.1", allowHalfOpen: true });
    let got = "";
    socket.on("data", (c: Buffer) => (got += c.toString()));
    socket.write("GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    await new Promise<void>((resolve) => socket.once("end", () => resolve()));
    expect(got).toMatch(/^HTTP\/1\.1 200 /);
    // We got the server's FIN and keep our side open: the server must not wait for us forever.
    await serverLetGo(current as TestServer);
    socket.destroy();
  });
});

describe("graceful stop", () => {
  it("lets an upload that is mid-body arrive and be answered", async () => {
    current = await startServer({ plugins: [plugin] });
    const socket = net.connect(current.port, "127.0.0.1");
    let got = "";
    socket.on("data", (c: Buffer) => (got += c.toString()));
    socket.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: x/y\r\nContent-Length: 10\r\n\r\nhello");
    await new Promise((r) => setTimeout(r, 50));
    const stopped = current.server.stop(3000);
    socket.write("world");
    await closed(socket);
    await stopped;
    current = undefined;
    expect(got).toMatch(/^HTTP\/1\.1 200 [^]*Connection: close\r\n[^]*got 10\n$/);
  });

  it("answers every pipelined request already received, then closes", async () => {
    current = await startServer({ plugins: [plugin] });
    const socket = net.connect(current.port, "127.0.0.1");
    let got = "";
    socket.on("data", (c: Buffer) => (got += c.toString()));
    socket.write("GET /wait?ms=200 HTTP/1.1\r\nHost: t\r\n\r\nGET /wait?ms=400 HTTP/1.1\r\nHost: t\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50));
    const stopped = current.server.stop(3000);
    await closed(socket);
    await stopped;
    current = undefined;
    expect(statuses(Buffer.from(got))).toEqual([200, 200]);
    expect(got).toContain("waited 200");
    expect(got).toMatch(/waited 400\n$/);
  });
});

describe("a response the core cannot write", () => {
  it("a file body the file system refuses is a 500, and the server keeps serving", async () => {
    current = await startServer({ plugins: [plugin] });
    const out = await rawExchange(current.port, ["GET /bad-file HTTP/1.1\r\nHost: t\r\n\r\n", "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"]);
    expect(statuses(out)).toEqual([500, 200]);
  });
});
