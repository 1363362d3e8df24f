// CONNECT tunnels are logged when they close, through the core's real path: a test plugin
// answers CONNECT with a `tunnel` response to a local echo server, a client talks through it.
import net from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../helpers/server.ts";
import log from "../../../plugins/log/index.ts";
import site from "./fixtures/site.ts";
import { goaccess, removeTempDirs, tempDir } from "./helpers.ts";

let echo: net.Server;
let echoPort = 0;

beforeAll(async () => {
  echo = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", () => resolve()));
  echoPort = (echo.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => echo.close(() => resolve()));
  removeTempDirs();
});

/** Opens a tunnel, sends `early` with the CONNECT head and then each of `chunks`, waits for every echo, closes. */
function throughTunnel(port: number, early: string, chunks: string[]): Promise<{ head: string; echoed: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const expected = early + chunks.join("");
    let received = Buffer.alloc(0);
    let head: string | undefined;
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (head === undefined) {
        const end = received.indexOf("\r\n\r\n");
        if (end < 0) return;
        head = received.subarray(0, end).toString("latin1");
        received = received.subarray(end + 4);
        if (!head.startsWith("HTTP/1.1 200 ")) return reject(new Error(`tunnel refused: ${head}`));
        for (const c of chunks) socket.write(c);
      }
      if (received.length >= expected.length) socket.end();
    });
    socket.on("close", () => resolve({ head: head ?? "", echoed: received.toString("latin1") }));
    socket.write(`CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nHost: 127.0.0.1:${echoPort}\r\nUser-Agent: tunnel-test\r\n\r\n${early}`);
  });
}

describe("log: CONNECT tunnels", () => {
  // Bytes sent with the CONNECT head (early data) count as bytes up too.
  const early = "early bytes;";
  const chunks = ["ping-1;", "ping-2;", "a longer third chunk;"];
  const total = Buffer.byteLength(early + chunks.join(""));

  it("writes a JSON line with the tunnel's target and its bytes up and down when it closes", async () => {
    const dir = tempDir();
    const s = await startServer({ root: tempDir(), plugins: [site, [log, { dir, format: "json" }]] });
    const { echoed } = await throughTunnel(s.port, early, chunks);
    await s.stop();
    expect(echoed).toBe(early + chunks.join(""));
    const text = readFileSync(join(dir, "access.log"), "utf8");
    const lines = text.slice(0, -1).split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      method: "CONNECT",
      target: `127.0.0.1:${echoPort}`,
      status: 200,
      bytes_up: total,
      bytes_down: total,
      bytes: total,
      user_agent: "tunnel-test",
      completed: true,
    });
  });

  it("writes a Combined line (%b = bytes sent down the tunnel) that goaccess counts as valid", async () => {
    const dir = tempDir();
    const s = await startServer({ root: tempDir(), plugins: [site, [log, { dir }]] });
    await throughTunnel(s.port, early, chunks);
    await s.stop();
    const file = join(dir, "access.log");
    expect(readFileSync(file, "latin1")).toMatch(new RegExp(`^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "CONNECT 127\\.0\\.0\\.1:${echoPort} HTTP/1\\.1" 200 ${total} "-" "tunnel-test"\\n$`));
    expect(await goaccess(file)).toMatchObject({ total: 1, valid: 1, failed: 0 });
  });
});
