// When the target cannot be reached (502, 504) and when there are too many tunnels (503, 429).
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import connect, { connectOf } from "../../../plugins/connect/index.ts";
import { startServer, type TestServer } from "../../helpers/server.ts";
import { closed, connectStatus, deadPort, echoServer, openTunnel, readBytes, recorder, stalledListener } from "./helpers.ts";

let echo: Awaited<ReturnType<typeof echoServer>>;
const started: TestServer[] = [];

async function proxy(options: Record<string, unknown>, log?: ReturnType<typeof recorder>): Promise<TestServer> {
  const s = await startServer({ plugins: [[connect, { allowAddresses: ["127.0.0.1/32"], ...options }], ...(log !== undefined ? [log.plugin] : [])] });
  started.push(s);
  return s;
}

/** Resolves once `test()` holds, checking after each turn of the event loop. */
function until(test: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (test() ? resolve() : void setImmediate(check));
    check();
  });
}

function open(s: TestServer): number {
  return connectOf(s.server)?.limits.open ?? -1;
}

beforeAll(async () => {
  echo = await echoServer();
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await echo?.close();
});

describe("connect: unreachable targets", () => {
  it("answers 502 when the target refuses the connection (a port that was listened on, then closed)", async () => {
    const port = await deadPort();
    const log = recorder();
    const s = await proxy({ allow: [`127.0.0.1:${port}`] }, log);
    const { status, head } = await connectStatus(s.port, `127.0.0.1:${port}`);
    expect(status).toBe(502);
    expect(head).toMatch(/^HTTP\/1\.1 502 /);
    expect((await log.next()).response.error?.code).toBe("PLUGD_ERR_CONNECT_REFUSED");
    expect(open(s)).toBe(0);
  });

  it("answers 502 when the name does not resolve (a 64-character label: the resolver refuses it without a query)", async () => {
    const log = recorder();
    const s = await proxy({}, log);
    const { status } = await connectStatus(s.port, `${"a".repeat(64)}.test:443`);
    expect(status).toBe(502);
    expect((await log.next()).response.error?.code).toBe("PLUGD_ERR_CONNECT_DNS");
    expect(open(s)).toBe(0);
  });

  it("answers 504 when the connection is not made within connectTimeoutMs (a listener whose accept queue is full)", async () => {
    const stalled = await stalledListener();
    try {
      const log = recorder();
      const s = await proxy({ allow: [`127.0.0.1:${stalled.port}`], connectTimeoutMs: 300 }, log);
      const t0 = Date.now();
      const { status } = await connectStatus(s.port, `127.0.0.1:${stalled.port}`);
      expect(status).toBe(504);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      expect((await log.next()).response.error?.code).toBe("PLUGD_ERR_CONNECT_TIMEOUT");
      expect(open(s)).toBe(0);
    } finally {
      await stalled.close();
    }
  });

  it("gives the slot back when the client goes away while the target is being dialled", async () => {
    const stalled = await stalledListener();
    try {
      const log = recorder();
      const s = await proxy({ allow: [`127.0.0.1:${stalled.port}`], connectTimeoutMs: 60_000 }, log);
      const socket = net.connect(s.port, "127.0.0.1");
      socket.on("error", () => {});
      socket.write(`CONNECT 127.0.0.1:${stalled.port} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      await until(() => open(s) === 1);
      socket.destroy();
      expect((await log.next()).response.error?.code).toBe("PLUGD_ERR_CONNECT_ABORTED");
      expect(open(s)).toBe(0);
    } finally {
      await stalled.close();
    }
  });
});

describe("connect: limits", () => {
  it("answers 503 past maxTunnels, and takes new tunnels again once one closes", async () => {
    const s = await proxy({ allow: [`127.0.0.1:${echo.port}`], maxTunnels: 1 });
    const first = await openTunnel(s.port, `127.0.0.1:${echo.port}`);
    expect(first.status).toBe(200);
    expect((await connectStatus(s.port, `127.0.0.1:${echo.port}`)).status).toBe(503);
    first.socket.end();
    await closed(first.socket);
    await until(() => open(s) === 0);
    const again = await openTunnel(s.port, `127.0.0.1:${echo.port}`);
    expect(again.status).toBe(200);
    again.socket.write("x");
    expect((await readBytes(again, 1)).toString()).toBe("x");
    again.socket.destroy();
  });

  it("answers 429 past maxTunnelsPerClient for that client only (another address still gets in)", async () => {
    const s = await proxy({ allow: [`127.0.0.1:${echo.port}`], maxTunnels: 10, maxTunnelsPerClient: 1 });
    const first = await openTunnel(s.port, `127.0.0.1:${echo.port}`, undefined, { localAddress: "127.0.0.1" });
    expect(first.status).toBe(200);
    expect((await openTunnel(s.port, `127.0.0.1:${echo.port}`, undefined, { localAddress: "127.0.0.1" })).status).toBe(429);
    const other = await openTunnel(s.port, `127.0.0.1:${echo.port}`, undefined, { localAddress: "127.0.0.2" });
    expect(other.status).toBe(200);
    first.socket.destroy();
    other.socket.destroy();
  });
});
