import net from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { text } from "../../../core/http/response.ts";
import { countResponses, rawExchange, startServer, statuses, type TestServer } from "../../helpers/server.ts";

/** GET /slow waits for a signal; GET /fast answers at once; POST /echo echoes the body;
 * GET /stream streams chunks; GET /big sends `size` bytes. */
function testPlugin(release: Promise<void>) {
  return definePlugin({
    name: "t",
    apply(server) {
      const get = server.hooks.handle.for("GET");
      get.tapPromise("slow", async (req) => {
        if (req.path !== "/slow") return undefined;
        await release;
        return text("slow\n");
      });
      get.tap("fast", (req) => (req.path.startsWith("/fast") ? text(`fast ${req.path}\n`) : undefined));
      get.tap("stream", (req) => {
        if (req.path !== "/stream") return undefined;
        return { status: 200, headers: { "content-type": "text/plain" }, body: Readable.from(["one ", "two ", "three\n"]) };
      });
      get.tap("big", (req) => {
        if (!req.path.startsWith("/big/")) return undefined;
        return { status: 200, headers: {}, body: Buffer.alloc(Number(req.path.slice(5)), 0x61) };
      });
      server.hooks.handle.for("HEAD").tap("fast", (req) => (req.path.startsWith("/fast") ? text(`fast ${req.path}\n`) : undefined));
      const post = server.hooks.handle.for("POST");
      post.tapPromise("echo", async (req) => {
        if (req.path === "/ignore") return text("ignored\n");
        const body = await req.body();
        return text(`got ${body.length}: ${body.toString()}`);
      });
    },
  });
}

let current: TestServer | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

async function start(limits = {}, release: Promise<void> = Promise.resolve()) {
  current = await startServer({ plugins: [testPlugin(release)], limits });
  return current;
}

const req = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

describe("connection", () => {
  it("keeps a 1.1 connection alive across requests", async () => {
    const { port } = await start();
    const out = await rawExchange(port, [req("/fast/1"), req("/fast/2"), req("/fast/3", "Connection: close\r\n")]);
    expect(statuses(out)).toEqual([200, 200, 200]);
    const text = out.toString();
    expect(text.indexOf("fast /fast/1")).toBeLessThan(text.indexOf("fast /fast/2"));
    expect(text).toMatch(/Connection: close\r\n\r\nfast \/fast\/3\n$/);
  });

  it("pipelined responses keep request order even when the first handler is slow", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const { port } = await start({}, released);
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c) => chunks.push(c));
    socket.write(req("/slow") + req("/fast/a") + req("/fast/b", "Connection: close\r\n"));
    // The fast answers are ready long before the slow one; nothing may be written yet.
    await new Promise((r) => setTimeout(r, 100));
    expect(Buffer.concat(chunks).length).toBe(0);
    release();
    await new Promise((r) => socket.on("close", r));
    const out = Buffer.concat(chunks).toString();
    expect(statuses(Buffer.from(out))).toEqual([200, 200, 200]);
    expect(out.indexOf("slow\n")).toBeLessThan(out.indexOf("fast /fast/a"));
    expect(out.indexOf("fast /fast/a")).toBeLessThan(out.indexOf("fast /fast/b"));
  });

  it("HTTP/1.0 closes unless keep-alive is asked; keep-alive is echoed", async () => {
    const { port } = await start();
    const plain = await rawExchange(port, "GET /fast/x HTTP/1.0\r\n\r\n");
    expect(plain.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n/);
    const kept = await rawExchange(port, ["GET /fast/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET /fast/y HTTP/1.0\r\n\r\n"]);
    expect(statuses(kept)).toEqual([200, 200]);
    expect(kept.toString()).toMatch(/Connection: keep-alive\r\n/);
  });

  it("HEAD gets no body", async () => {
    const { port } = await start();
    const out = await rawExchange(port, [`HEAD /fast/h HTTP/1.1\r\nHost: t\r\n\r\n`, req("/fast/after", "Connection: close\r\n")]);
    expect(statuses(out)).toEqual([200, 200]);
    expect(out.toString()).not.toContain("fast /fast/h");
  });

  it("reads Content-Length and chunked request bodies", async () => {
    const { port } = await start();
    const cl = await rawExchange(port, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    expect(cl.toString()).toMatch(/got 5: hello$/);
    const chunked = await rawExchange(port, [
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      "3\r\nabc\r\n",
      "4;ext=1\r\ndefg\r\n0\r\nTrailer-Field: x\r\n\r\n",
    ]);
    expect(chunked.toString()).toMatch(/got 7: abcdefg$/);
  });

  it("an unread body is drained and the connection kept", async () => {
    const { port } = await start();
    const out = await rawExchange(port, [
      "POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789",
      req("/fast/next", "Connection: close\r\n"),
    ]);
    expect(statuses(out)).toEqual([200, 200]);
    expect(out.toString()).toContain("fast /fast/next");
  });

  it("streams an unsized response with chunked encoding, and close-delimits it for 1.0", async () => {
    const { port } = await start();
    const out = (await rawExchange(port, req("/stream", "Connection: close\r\n"))).toString();
    expect(out).toMatch(/Transfer-Encoding: chunked\r\n/);
    expect(out).toMatch(/\r\n\r\n4\r\none \r\n4\r\ntwo \r\n6\r\nthree\n\r\n0\r\n\r\n$/);
    const old = (await rawExchange(port, "GET /stream HTTP/1.0\r\n\r\n")).toString();
    expect(old).not.toMatch(/Transfer-Encoding/);
    expect(old).toMatch(/Connection: close\r\n\r\none two three\n$/);
  });

  it("sends 100 Continue only when the handler reads the body", async () => {
    const { port } = await start();
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (c) => (received += c.toString()));
    socket.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
    await waitFor(() => received.includes("100 Continue"));
    expect(received).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    socket.write("ping");
    await new Promise((r) => socket.on("close", r));
    expect(received).toMatch(/got 4: ping$/);

    // A handler that answers without reading: no 100, a final answer, and the connection closes
    // (the client may or may not send the body now, RFC 9110 §10.1.1).
    const ignored = await rawExchange(port, "POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    expect(statuses(ignored)).toEqual([200]);
    expect(ignored.toString()).toMatch(/Connection: close\r\n/);
  });

  it("answers 408 and closes when a head does not arrive in time (slowloris)", async () => {
    const { port } = await start({ headersTimeoutMs: 200 });
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (c) => (received += c.toString()));
    socket.write("GET /fast/x HTTP/1.1\r\nHost: t\r\n");
    // Trickling bytes does not extend the deadline.
    const trickle = setInterval(() => socket.write("X-A: b\r\n"), 50);
    await new Promise((r) => socket.on("close", r));
    clearInterval(trickle);
    expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(received).toMatch(/Connection: close\r\n/);
  });

  it("closes an idle keep-alive connection after keepAliveTimeoutMs", async () => {
    const { port } = await start({ keepAliveTimeoutMs: 150 });
    const started = Date.now();
    const out = await rawExchange(port, req("/fast/x"));
    expect(statuses(out)).toEqual([200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("answers 413 when Content-Length is over the limit, and keeps serving others", async () => {
    const { port } = await start({ maxBodyBytes: 10 });
    const out = await rawExchange(port, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n01234567890");
    expect(statuses(out)).toEqual([413]);
    expect(statuses(await rawExchange(port, req("/fast/x", "Connection: close\r\n")))).toEqual([200]);
  });

  it("a client that never reads its responses makes the server stop reading (memory bounded)", async () => {
    const { port, server } = await start({ maxPipelinedRequests: 16 });
    const socket = net.connect(port, "127.0.0.1");
    socket.pause(); // never read
    // Padded requests so that the kernel's socket buffers fill long before 20,000 of them.
    const oneRequest = req("/big/65536", `X-Pad: ${"p".repeat(2000)}\r\n`);
    let written = 0;
    // Write until our own side buffers: the server has stopped reading us.
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (written < 20000) {
          written++;
          if (!socket.write(oneRequest)) {
            socket.once("drain", pump);
            setTimeout(resolve, 300);
            return;
          }
        }
        resolve();
      };
      socket.on("connect", pump);
    });
    const rss = process.memoryUsage().rss;
    // If the server kept reading it would have built thousands of 64 KiB responses by now.
    expect(written).toBeLessThan(20000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
    socket.destroy();
    // And it still serves others.
    expect(statuses(await rawExchange(port, req("/fast/x", "Connection: close\r\n")))).toEqual([200]);
    expect(server.listening).toBe(true);
  });

  it("counts pipelined requests in one write", async () => {
    const { port } = await start();
    const many = Array.from({ length: 40 }, (_, i) => req(`/fast/${i}`)).join("") + req("/fast/last", "Connection: close\r\n");
    const out = await rawExchange(port, many);
    expect(countResponses(out)).toBe(41);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
