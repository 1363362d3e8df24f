// The tunnel itself, through the real server over raw sockets: the 200 head, every byte value
// both ways, early data, half-close in both directions, the idle timeout, and the log record.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import connect from "../../../plugins/connect/index.ts";
import { startServer, type TestServer } from "../../helpers/server.ts";
import { closed, echoServer, halfCloseServer, openTunnel, readBytes, readToEnd, recorder, resetServer, type Listening } from "./helpers.ts";

/** Every byte value, in a pattern that is not its own rotation: 256 values x 257 = 65,792 bytes. */
function allBytes(): Buffer {
  const out = Buffer.alloc(256 * 257);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

let echo: Awaited<ReturnType<typeof echoServer>>;
let halfClose: Awaited<ReturnType<typeof halfCloseServer>>;
let banner: Awaited<ReturnType<typeof halfCloseServer>>;
let resetter: Listening;
let s: TestServer;
const log = recorder();

beforeAll(async () => {
  echo = await echoServer();
  halfClose = await halfCloseServer();
  banner = await halfCloseServer("banner first;");
  resetter = await resetServer();
  const allow = [echo, halfClose, banner, resetter].map((t: Listening) => `127.0.0.1:${t.port}`);
  s = await startServer({ plugins: [[connect, { allow, allowAddresses: ["127.0.0.1/32"], idleTimeoutMs: 300 }], log.plugin] });
});

afterAll(async () => {
  await s?.stop();
  await Promise.all([echo?.close(), halfClose?.close(), banner?.close(), resetter?.close()]);
});

describe("connect: the tunnel", () => {
  it("answers 200 with no Content-Length or Transfer-Encoding, then carries all 256 byte values both ways", async () => {
    const t = await openTunnel(s.port, `127.0.0.1:${echo.port}`);
    expect(t.head).toMatch(/^HTTP\/1\.1 200 /);
    expect(t.head).not.toMatch(/\r\n(content-length|transfer-encoding):/i);
    const bytes = allBytes();
    t.socket.write(bytes);
    const back = await readBytes(t, bytes.length);
    expect(back.equals(bytes)).toBe(true);
    t.socket.end();
    await closed(t.socket);
    const record = await log.next();
    expect(record.info.method).toBe("CONNECT");
    expect(record.response.status).toBe(200);
    expect(record.timing.tunnel).toEqual({ target: `127.0.0.1:${echo.port}`, bytesUp: bytes.length, bytesDown: bytes.length });
    expect(record.timing.completed).toBe(true);
    expect(record.timing.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("forwards early data: bytes sent in the same write as the CONNECT head reach the target first", async () => {
    const early = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x47, 0x45, 0x54, 0x20, 0x00]);
    const t = await openTunnel(s.port, `127.0.0.1:${echo.port}`, early);
    expect(t.status).toBe(200);
    const later = Buffer.from("and then more");
    t.socket.write(later);
    const back = await readBytes(t, early.length + later.length);
    expect(back.equals(Buffer.concat([early, later]))).toBe(true);
    t.socket.end();
    await closed(t.socket);
    expect((await log.next()).timing.tunnel).toMatchObject({ bytesUp: early.length + later.length, bytesDown: early.length + later.length });
  });

  it("passes a client half-close on: the client stops writing and still receives the answer", async () => {
    const t = await openTunnel(s.port, `127.0.0.1:${halfClose.port}`);
    expect(t.status).toBe(200);
    const payload = allBytes();
    t.socket.end(payload);
    const answer = await readToEnd(t);
    expect(answer.toString()).toBe(`got ${payload.length} bytes`);
    expect((await halfClose.inputs.at(-1))?.equals(payload)).toBe(true);
    await closed(t.socket);
    expect((await log.next()).timing.tunnel).toMatchObject({ bytesUp: payload.length, bytesDown: answer.length });
  });

  it("passes a target half-close on: the target stops writing and still receives what the client sends", async () => {
    const t = await openTunnel(s.port, `127.0.0.1:${banner.port}`);
    expect(t.status).toBe(200);
    expect((await readToEnd(t)).toString()).toBe("banner first;");
    t.socket.end("sent after the target's FIN");
    expect((await banner.inputs.at(-1))?.toString()).toBe("sent after the target's FIN");
    await closed(t.socket);
    await log.next();
  });

  it("closes both sides after idleTimeoutMs without a byte either way, and logs the tunnel", async () => {
    const upstreams = echo.connections + 1;
    const t = await openTunnel(s.port, `127.0.0.1:${echo.port}`);
    t.socket.write("one exchange, then silence");
    await readBytes(t, 26);
    const started = Date.now();
    await closed(t.socket);
    await echo.untilClosed(upstreams);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const record = await log.next();
    expect(record.timing.tunnel).toMatchObject({ bytesUp: 26, bytesDown: 26 });
  });

  it("closes the client's side when the target resets the connection (no half-open leftover)", { timeout: 5000 }, async () => {
    // Its own server, with the default idle timeout (5 minutes): only the reset can close the tunnel in time.
    const quiet = await startServer({ plugins: [[connect, { allow: [`127.0.0.1:${resetter.port}`], allowAddresses: ["127.0.0.1/32"] }], log.plugin] });
    try {
      const t = await openTunnel(quiet.port, `127.0.0.1:${resetter.port}`);
      expect(t.status).toBe(200);
      t.socket.on("error", () => {});
      t.socket.write("this makes the target reset");
      await closed(t.socket);
      expect((await log.next()).timing.tunnel).toMatchObject({ bytesDown: 0 });
    } finally {
      await quiet.stop();
    }
  });
});
