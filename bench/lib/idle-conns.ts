// Opens many keep-alive connections from this process, sends one GET on each and waits for
// its whole response, so that each is left as an idle keep-alive connection on the server.
import net from "node:net";

export interface IdleSet {
  /** Connections that got their response and are open. */
  readonly opened: number;
  /** Connections that failed to connect or to get a response. */
  readonly failed: number;
  /** First failure, for the report. */
  readonly firstError: string | undefined;
  /** Connections closed since they went idle (by the server, say). */
  closedSince(): number;
  destroy(): void;
}

export async function openIdleConnections(url: string, count: number, concurrency = 256, timeoutMs = 60_000): Promise<IdleSet> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, "");
  const request = `GET / HTTP/1.1\r\nHost: ${new URL(url).host}\r\n\r\n`;
  const sockets: net.Socket[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let closed = 0;
  let next = 0;
  const deadline = Date.now() + timeoutMs;

  const openOne = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = net.connect({ host, port: Number(port) });
      let received = "";
      let settled = false;
      let idle = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        failed++;
        firstError ??= why;
        socket.destroy();
        resolve();
      };
      socket.setTimeout(Math.max(1000, deadline - Date.now()), () => fail("timed out waiting for the response"));
      socket.on("connect", () => socket.write(request));
      socket.on("data", (chunk: Buffer) => {
        if (settled) return;
        received += chunk.toString("latin1");
        const end = received.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = /\r\ncontent-length:\s*(\d+)\r\n/i.exec(received.slice(0, end + 2));
        if (!received.startsWith("HTTP/1.1 200") || length === null) return fail(`unexpected response: ${JSON.stringify(received.slice(0, 200))}`);
        if (received.length < end + 4 + Number(length[1])) return;
        settled = true;
        idle = true;
        socket.setTimeout(0);
        sockets.push(socket);
        resolve();
      });
      socket.on("error", (err) => fail(err.message));
      socket.on("close", () => {
        if (idle) closed++;
        else fail("closed before the response");
      });
    });

  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      next++;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return {
    opened: sockets.length,
    failed: failed + (count - next),
    firstError,
    closedSince: () => closed,
    destroy: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
