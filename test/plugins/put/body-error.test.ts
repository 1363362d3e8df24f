// Core bug regression (core/http/body.ts): a request body that fails (client gone mid-body,
// chunked body over the limit) before any plugin took it must not be an unhandled 'error'
// event, which kills the process. Run in a server process of its own, so a crash shows.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, it } from "vitest";
import { rawExchange, statuses } from "../../helpers/server.ts";
import { removeRoot, tempRoot } from "./http.ts";

let root: string;
let child: ChildProcess | undefined;
beforeEach(async () => {
  root = await tempRoot("body-error");
});
afterEach(async () => {
  child?.kill("SIGTERM");
  child = undefined;
  await removeRoot(root);
});

function startChild(): Promise<{ port: number; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./server-process.ts", import.meta.url)), root], {
    cwd: fileURLToPath(new URL("../../../", import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let text = "";
    proc.stdout?.on("data", (c: Buffer) => {
      text += c.toString();
      const nl = text.indexOf("\n");
      if (nl !== -1) resolve({ port: (JSON.parse(text.slice(0, nl)) as { port: number }).port, exited });
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

it("a body that breaks before its consumer takes it does not crash the server", async () => {
  const { port, exited } = await startChild();
  const crashed = exited.then(() => "crashed" as const);
  // Head and part of the body, then gone: the handler reads the body only after the abort.
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write("POST /late HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789");
  socket.destroy();
  // The server must still answer.
  const next = rawExchange(port, "PUT /after.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").then((b) => statuses(b));
  expect(await Promise.race([next, crashed])).toEqual([201]);
});
