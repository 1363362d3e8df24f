import net from "node:net";
import { describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { startServer } from "../../helpers/server.ts";

// A tunnel that echoes: after the 200, every byte comes back.
const echoTunnel = definePlugin({
  name: "echo-tunnel",
  apply(server) {
    server.hooks.handle.for("CONNECT").tap("echo-tunnel", () => ({
      status: 200,
      headers: {},
      tunnel(socket, head, done) {
        if (head.length > 0) socket.write(head);
        socket.pipe(socket);
        socket.on("close", () => done({ bytesUp: 0, bytesDown: 0 }));
      },
    }));
  },
});

function once(socket: net.Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const onData = (chunk: Buffer): void => {
      got += chunk.toString("latin1");
      if (got.includes(text)) {
        socket.off("data", onData);
        resolve(got);
      }
    };
    socket.on("data", onData);
  });
}

describe("graceful stop with an open tunnel", () => {
  it("leaves the tunnel running through the grace period, and the stop ends when it closes", async () => {
    const server = await startServer({ plugins: [echoTunnel] });
    const socket = net.connect(server.port, "127.0.0.1");
    socket.write("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n");
    expect(await once(socket, "\r\n\r\n")).toMatch(/^HTTP\/1\.1 200 /);

    const stopped = server.server.stop(5000);
    // The server stops accepting and is waiting for its connections; the tunnel still works.
    socket.write("ping-after-stop");
    expect(await once(socket, "ping-after-stop")).toContain("ping-after-stop");
    const started = Date.now();
    socket.end();
    await stopped;
    // Ended by the tunnel closing, not by the 5 s grace running out.
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
