// The project's test helper: a real plugd server on 127.0.0.1 port 0, and raw-socket clients.
// Plugin authors use it too (docs/plugins.md).
import net from "node:net";
import { createServer, type CreateServerOptions, type Server } from "../../core/server.ts";
import type { PluginDefinition } from "../../core/define-plugin.ts";
import { pluginOptions } from "../../core/plugin-options.ts";

export interface TestServer {
  readonly server: Server;
  readonly port: number;
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  stop(): Promise<void>;
}

export type PluginUse = PluginDefinition<any> | [PluginDefinition<any>, Record<string, unknown>?];

/** Starts a server with the given plugins; options are validated and defaulted by their schemas. */
export async function startServer(options: CreateServerOptions & { plugins?: PluginUse[] } = {}): Promise<TestServer> {
  const { plugins = [], ...serverOptions } = options;
  const server = createServer(serverOptions);
  for (const use of plugins) {
    const [definition, given] = Array.isArray(use) ? use : [use, {}];
    server.use(definition, await pluginOptions(definition, given ?? {}, definition.name), definition.name);
  }
  await server.listen();
  const address = server.addresses[0];
  if (address === undefined) throw new Error("server has no address");
  return { server, port: address.port, url: server.url(), stop: () => server.stop(1000) };
}

/**
 * Sends raw bytes and collects everything the server sends until it closes the connection
 * or `until` says the bytes so far are enough.
 */
export function rawExchange(
  port: number,
  input: string | Buffer | (string | Buffer)[],
  until?: (received: Buffer) => boolean,
  timeoutMs = 5000,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`rawExchange timed out; got ${JSON.stringify(Buffer.concat(chunks).toString("latin1"))}`));
    }, timeoutMs);
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      if (until?.(Buffer.concat(chunks))) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.on("error", () => {});
    for (const part of Array.isArray(input) ? input : [input]) socket.write(part);
  });
}

/** Counts complete responses in a raw byte stream (status lines), for `until`. */
export function countResponses(received: Buffer): number {
  return received.toString("latin1").split(/HTTP\/1\.[01] [1-5]\d\d /).length - 1;
}

/** Status codes of the responses in a raw byte stream, in order (interim 1xx included). */
export function statuses(received: Buffer): number[] {
  return [...received.toString("latin1").matchAll(/HTTP\/1\.[01] (\d\d\d) /g)].map((m) => Number(m[1]));
}
