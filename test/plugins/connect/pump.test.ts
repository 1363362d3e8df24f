// The tunnel's pump on real sockets: a target that sends faster than the client reads must be
// paused (not buffered in the server's memory) until the client's socket drains; and the
// target's reused read buffers (upstream-reads.ts) are never handed to a read while in use.
import { createHash } from "node:crypto";
import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { runTunnel, type TunnelStats } from "../../../plugins/connect/tunnel.ts";
import { ReadBufferPool, UpstreamReads } from "../../../plugins/connect/upstream-reads.ts";

const servers: net.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

function listen(server: net.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
}

const MIB = 1 << 20;
const TOTAL = 64 * MIB;

describe("connect: the pump from the target", () => {
  it.each([
    ["reads at full speed", false],
    ["reads a chunk per turn of its event loop (writes often complete partially, buffers stay in flight)", true],
  ])("pauses the target while the client's socket is full, and delivers every byte intact once it %s", async (_how, slow) => {
    const block = Buffer.alloc(MIB);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + (i >> 10)) & 0xff;
    const sent = createHash("sha256");
    for (let i = 0; i < TOTAL / MIB; i++) sent.update(block);

    // The target: writes TOTAL bytes as fast as its socket takes them, then ends.
    const sourcePort = await listen(
      net.createServer({ allowHalfOpen: true }, (socket) => {
        socket.on("error", () => {});
        let left = TOTAL / MIB;
        const more = (): void => {
          while (left > 0) {
            left--;
            if (!socket.write(block)) return void socket.once("drain", more);
          }
          socket.end();
        };
        more();
      }),
    );
    // The front: its accepted socket stands for the one the core hands to the tunnel (paused).
    const front = net.createServer();
    const frontPort = await listen(front);
    const accepted = new Promise<net.Socket>((resolve) => front.once("connection", resolve));
    const far = net.connect({ port: frontPort, host: "127.0.0.1", allowHalfOpen: true });
    far.pause();
    const clientSide = await accepted;
    clientSide.pause();
    // As the plugin dials a tunnel's target: reading into reused buffers. The pump is watched
    // from behind: after each read it hands on, was reading stopped whenever the client's socket was full?
    const reads = new UpstreamReads(new ReadBufferPool());
    let maxBuffered = 0;
    let fullSeen = 0;
    let fullButFlowing = 0;
    const deliver = reads.onread.callback;
    reads.onread.callback = (n, buffer) => {
      const more = deliver(n, buffer);
      maxBuffered = Math.max(maxBuffered, clientSide.writableLength);
      if (clientSide.writableNeedDrain) {
        fullSeen++;
        if (more) fullButFlowing++;
        // The first time the client's socket is full, the far client starts reading.
        if (fullSeen === 1) far.resume();
      }
      return more;
    };
    const upstream = net.connect({ port: sourcePort, host: "127.0.0.1", allowHalfOpen: true, onread: reads.onread });
    await new Promise<void>((resolve) => upstream.once("connect", resolve));

    const stats = new Promise<TunnelStats>((resolve) => runTunnel(clientSide, upstream, reads, Buffer.alloc(0), 30_000, resolve));

    const received = createHash("sha256");
    let receivedBytes = 0;
    far.on("data", (chunk: Buffer) => {
      received.update(chunk);
      receivedBytes += chunk.length;
      if (slow) {
        far.pause();
        setImmediate(() => far.resume());
      }
    });
    await new Promise<void>((resolve) => far.once("end", resolve));
    far.end();

    expect(fullSeen).toBeGreaterThan(0);
    expect(fullButFlowing).toBe(0);
    // One socket's high-water mark plus a read's worth, never megabytes.
    expect(maxBuffered).toBeLessThan(MIB);
    expect(receivedBytes).toBe(TOTAL);
    expect(received.digest("hex")).toBe(sent.digest("hex"));
    expect(await stats).toEqual({ bytesUp: 0, bytesDown: TOTAL });
  });

  it("never gives a read a buffer whose chunk is still being written (reused only once released)", () => {
    const reads = new UpstreamReads(new ReadBufferPool());
    const inFlight = new Map<Buffer, () => void>();
    reads.attach((chunk, release) => {
      inFlight.set(chunk.buffer as unknown as Buffer, release);
      return true;
    });
    // Node asks for the next buffer after each read; a read fills it and hands it on.
    const read = (): void => {
      const buffer = reads.onread.buffer();
      expect([...inFlight.keys()].includes(buffer.buffer as unknown as Buffer)).toBe(false);
      reads.onread.callback(16, buffer);
    };
    for (let round = 0; round < 50; round++) {
      read();
      read();
      read();
      // Writes complete in any order; each release may return its buffer to the pool.
      const pending = [...inFlight.entries()];
      const [first, second] = [pending[round % pending.length], pending[(round + 1) % pending.length]];
      for (const entry of [first, second]) {
        if (entry === undefined || !inFlight.has(entry[0])) continue;
        inFlight.delete(entry[0]);
        entry[1]();
        entry[1](); // a callback called twice must not put a buffer in the pool twice
      }
    }
  });

  it("keeps what the target sends before the tunnel starts, in order, and pauses a target that floods meanwhile", () => {
    const reads = new UpstreamReads(new ReadBufferPool());
    const fill = (text: string): boolean => {
      const buffer = reads.onread.buffer();
      const n = buffer.write(text, "latin1");
      return reads.onread.callback(n, buffer);
    };
    expect(fill("SSH-2.0-banner\r\n")).toBe(true);
    expect(fill("more;")).toBe(true);
    let more = true;
    for (let i = 0; i < 8 && more; i++) more = fill("x".repeat(16 * 1024));
    expect(more).toBe(false);
    const early = reads.attach(() => true);
    expect(Buffer.concat(early).toString("latin1").startsWith("SSH-2.0-banner\r\nmore;xxx")).toBe(true);
    expect(Buffer.concat(early).length).toBe(16 + 5 + 4 * 16 * 1024);
  });

  it.each([["the target", "upstream"], ["the client", "client"]] as const)("reports a tunnel when %s had closed before it started (the log still gets it)", async (_who, which) => {
    const sink = await listen(net.createServer((s) => s.on("error", () => {})));
    const front = net.createServer();
    const frontPort = await listen(front);
    const accepted = new Promise<net.Socket>((resolve) => front.once("connection", resolve));
    const far = net.connect(frontPort, "127.0.0.1");
    far.on("error", () => {});
    const clientSide = await accepted;
    clientSide.pause();
    const reads = new UpstreamReads(new ReadBufferPool());
    const upstream = net.connect({ port: sink, host: "127.0.0.1", allowHalfOpen: true, onread: reads.onread });
    await new Promise<void>((resolve) => upstream.once("connect", resolve));
    const gone = which === "upstream" ? upstream : clientSide;
    await new Promise<void>((resolve) => {
      gone.once("close", () => resolve());
      gone.destroy();
    });
    const stats = await new Promise<TunnelStats>((resolve) => runTunnel(clientSide, upstream, reads, Buffer.alloc(0), 30_000, resolve));
    expect(stats).toEqual({ bytesUp: 0, bytesDown: 0 });
    far.destroy();
  });
});
