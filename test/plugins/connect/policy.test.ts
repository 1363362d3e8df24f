// Who may be reached: the allow-list, the address deny list (every resolved address, the
// checked address dialled), the server's own listeners, and malformed targets. Refusals are
// checked against an echo server that counts connections: a refused target is never dialled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import connect from "../../../plugins/connect/index.ts";
import { rawExchange, startServer, statuses, type TestServer } from "../../helpers/server.ts";
import { connectStatus, echoServer, openTunnel, readBytes, recorder } from "./helpers.ts";

let echo: Awaited<ReturnType<typeof echoServer>>;
const started: TestServer[] = [];

async function proxy(options: Record<string, unknown>, plugins: [never, Record<string, unknown>][] = []): Promise<TestServer> {
  const s = await startServer({ plugins: [[connect, options], ...plugins] });
  started.push(s);
  return s;
}

beforeAll(async () => {
  echo = await echoServer();
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await echo?.close();
});

/** Opens a tunnel, checks one round trip through it. */
async function roundTrip(port: number, target: string): Promise<void> {
  const t = await openTunnel(port, target);
  expect(t.status).toBe(200);
  t.socket.write("ping");
  expect((await readBytes(t, 4)).toString()).toBe("ping");
  t.socket.destroy();
}

describe("connect: default configuration", () => {
  let s: TestServer;
  const log = recorder();
  beforeAll(async () => {
    s = await proxy({}, [[log.plugin as never, {}]]);
  });

  it("refuses 127.0.0.1:443 (allowed port, loopback address) with 403 and logs the code", async () => {
    expect((await connectStatus(s.port, "127.0.0.1:443")).status).toBe(403);
    const record = await log.next();
    expect(record.response.status).toBe(403);
    expect(record.response.error?.code).toBe("PLUGD_ERR_CONNECT_ADDRESS_DENIED");
  });

  it("refuses a port that is not on the allow-list (default: 443 only) with 403", async () => {
    const before = echo.connections;
    expect((await connectStatus(s.port, `127.0.0.1:${echo.port}`)).status).toBe(403);
    expect((await log.next()).response.error?.code).toBe("PLUGD_ERR_CONNECT_NOT_ALLOWED");
    expect(echo.connections).toBe(before);
  });

  it.each([
    ["the cloud metadata address", "169.254.169.254:443"],
    ["localhost (a name resolving to loopback)", "localhost:443"],
    ["LOCALHOST. (case and the root label)", "LOCALHOST.:443"],
    ["0.0.0.0 (reaches this host)", "0.0.0.0:443"],
    ["a private address", "10.1.2.3:443"],
    ["carrier-grade NAT", "100.64.0.1:443"],
    ["172.16/12", "172.31.255.255:443"],
    ["192.168/16", "192.168.1.1:443"],
    ["multicast", "224.0.0.1:443"],
    ["broadcast", "255.255.255.255:443"],
    ["IPv6 loopback", "[::1]:443"],
    ["IPv6 unspecified", "[::]:443"],
    ["IPv4-mapped loopback", "[::ffff:127.0.0.1]:443"],
    ["IPv4-mapped loopback, hex", "[::ffff:7f00:1]:443"],
    ["IPv4-mapped metadata", "[::ffff:169.254.169.254]:443"],
    ["NAT64 of loopback", "[64:ff9b::7f00:1]:443"],
    ["6to4 of a private address", "[2002:a00:1::1]:443"],
    ["unique local", "[fd12:3456::1]:443"],
    ["link-local", "[fe80::1]:443"],
    ["IPv6 multicast", "[ff02::1]:443"],
  ])("refuses %s with 403, without dialling it", async (_what, target) => {
    const { status } = await connectStatus(s.port, target);
    expect(status).toBe(403);
    expect((await log.next()).response.error?.code).toBe("PLUGD_ERR_CONNECT_ADDRESS_DENIED");
  });

  it.each([
    ["a numeric name getaddrinfo reads as 127.0.0.1", "2130706433:443"],
    ["a short dotted form", "127.1:443"],
    ["a hex label", "0x7f.0.0.1:443"],
    ["percent-encoding", "ex%61mple.com:443"],
    ["an IPv6 zone", "[fe80::1%25eth0]:443"],
    ["port 0", "example.com:0"],
  ])("answers 400 for %s", async (_what, target) => {
    const { status } = await connectStatus(s.port, target);
    expect(status).toBe(400);
  });

  it.each([
    ["origin-form", "CONNECT /path HTTP/1.1\r\nHost: a.example\r\n\r\n"],
    ["absolute-form", "CONNECT http://a.example:443/ HTTP/1.1\r\nHost: a.example\r\n\r\n"],
    ["no port", "CONNECT a.example HTTP/1.1\r\nHost: a.example\r\n\r\n"],
    ["asterisk", "CONNECT * HTTP/1.1\r\nHost: a.example\r\n\r\n"],
  ])("answers 400 for a CONNECT in %s", async (_what, bytes) => {
    expect(statuses(await rawExchange(s.port, bytes))).toEqual([400]);
  });
});

describe("connect: allow-listed targets", () => {
  it("allows 127.0.0.1 once both the allow-list and allowAddresses list it", async () => {
    const s = await proxy({ allow: [`127.0.0.1:${echo.port}`], allowAddresses: ["127.0.0.1/32"] });
    await roundTrip(s.port, `127.0.0.1:${echo.port}`);
  });

  it("still refuses it when only the allow-list names it (403: the address rule is apart)", async () => {
    const s = await proxy({ allow: [`127.0.0.1:${echo.port}`] });
    const before = echo.connections;
    expect((await connectStatus(s.port, `127.0.0.1:${echo.port}`)).status).toBe(403);
    expect(echo.connections).toBe(before);
  });

  it("resolves a name, checks its address and dials that address (localhost -> 127.0.0.1)", async () => {
    const s = await proxy({ allow: [`localhost:${echo.port}`], allowAddresses: ["127.0.0.0/8"] });
    await roundTrip(s.port, `localhost:${echo.port}`);
    await roundTrip(s.port, `LocalHost.:${echo.port}`);
  });

  it("judges an IPv4-mapped address as the IPv4 address it maps", async () => {
    const s = await proxy({ allow: ["*:*"], allowAddresses: ["127.0.0.1"] });
    await roundTrip(s.port, `[::ffff:127.0.0.1]:${echo.port}`);
    const denied = await proxy({ allow: ["*:*"], allowAddresses: ["10.0.0.0/8"] });
    expect((await connectStatus(denied.port, `[::ffff:127.0.0.1]:${echo.port}`)).status).toBe(403);
  });

  it("allows 127.0.0.1 but still not the cloud metadata address", async () => {
    const s = await proxy({ allow: ["*:*"], allowAddresses: ["127.0.0.1/32"] });
    expect((await connectStatus(s.port, "169.254.169.254:80")).status).toBe(403);
    expect((await connectStatus(s.port, "127.0.0.2:443")).status).toBe(403);
  });

  it("refuses the server's own listener even when its address is allowed (no tunnel into itself)", async () => {
    const s = await proxy({ allow: ["*:*"], allowAddresses: ["127.0.0.0/8"] });
    expect((await connectStatus(s.port, `127.0.0.1:${s.port}`)).status).toBe(403);
    expect((await connectStatus(s.port, `localhost:${s.port}`)).status).toBe(403);
    await roundTrip(s.port, `127.0.0.1:${echo.port}`);
  });

  it("matches host patterns: *.suffix (not the bare suffix), exact names, port ranges", async () => {
    const s = await proxy({ allow: [`*.localhost:${echo.port}`, `127.0.0.1:${echo.port - 1}-${echo.port}`], allowAddresses: ["127.0.0.1/32"] });
    expect((await connectStatus(s.port, `localhost:${echo.port}`)).status).toBe(403);
    await roundTrip(s.port, `127.0.0.1:${echo.port}`);
    expect((await connectStatus(s.port, `127.0.0.1:${echo.port + 1}`)).status).toBe(403);
  });
});
