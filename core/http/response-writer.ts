// Writes the response at the head of a connection's queue: head and small bodies in one
// write, streams and files with backpressure, CONNECT tunnels handed the socket.
import { PlugdError } from "../errors.ts";
import { fileStream, pipeBody } from "./body-writer.ts";
import type { Connection } from "./connection.ts";
import type { Exchange } from "./exchange.ts";
import { error as errorResponse, isFileBody, type Response } from "./response.ts";
import { dateLine, FRAMING, joinHeadAndBody, serializeHead, SERVER_HEADER } from "./serialize.ts";
import { statusLine } from "./status.ts";

/**
 * Above this, a Buffer body is not joined with its head: Buffer.allocUnsafe serves up to
 * Buffer.poolSize / 2 (4 KiB) from a shared pool; past it, every join is a new allocation.
 */
const LARGE_BODY = Buffer.poolSize >>> 1;

export class ResponseWriter {
  readonly #connection: Connection;
  /** An exchange whose body is streaming. */
  #streaming: Exchange | undefined;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  /** Writes queue[0] when its response is ready and nothing is streaming. */
  writeNext(): void {
    const connection = this.#connection;
    if (this.#streaming !== undefined) return;
    const exchange = connection.queue[0];
    const response = exchange?.response;
    if (exchange === undefined || response === undefined) return;
    const request = exchange.request;
    const isHead = request?.method === "HEAD";
    const http10 = request?.version === "1.0";
    let keepAlive = connection.keepAliveAfter(exchange);

    if (response.tunnel !== undefined && request?.method === "CONNECT" && response.status >= 200 && response.status < 300) {
      this.#startTunnel(exchange, response);
      return;
    }

    let head;
    try {
      head = serializeHead(response, isHead, http10, keepAlive);
    } catch (err) {
      // A plugin's header would have split the response: answer 500 instead, and say why.
      const fallback = errorResponse(500);
      const e = err as PlugdError;
      fallback.error = { code: e.code, message: e.message };
      exchange.response = fallback;
      destroyBody(response);
      head = serializeHead(fallback, isHead, http10, keepAlive);
      return this.#writeWhole(exchange, head.text, fallback.body as string, head.keepAlive, isHead);
    }
    keepAlive = head.keepAlive;
    const socket = connection.socket;
    const body = response.body;

    if (head.framing === FRAMING.none || body === undefined) {
      destroyBody(response);
      return this.#finishWrite(exchange, socket.write(head.text, "latin1"), 0, keepAlive);
    }
    if (typeof body === "string" || Buffer.isBuffer(body)) {
      return this.#writeWhole(exchange, head.text, body, keepAlive, false);
    }
    let source;
    try {
      source = isFileBody(body) ? fileStream(body) : body;
    } catch (err) {
      // A file body the file system refuses before anything was written (a bad range, say):
      // a 500 for this request, the connection goes on (DESIGN §2).
      const fallback = errorResponse(500);
      fallback.error = { code: "PLUGD_ERR_HOOK_BAD_RESULT", message: (err as Error).message };
      exchange.response = fallback;
      const fallbackHead = serializeHead(fallback, isHead, http10, keepAlive);
      return this.#writeWhole(exchange, fallbackHead.text, fallback.body as string, fallbackHead.keepAlive, isHead);
    }
    this.#streaming = exchange;
    socket.write(head.text, "latin1");
    pipeBody(source, socket, head.framing, head.length, (ok, bytes) => {
      this.#streaming = undefined;
      // A body that failed half-way cannot be repaired on this connection: close it.
      if (!ok) connection.destroy();
      connection.exchangeWritten(exchange, ok, bytes, keepAlive && ok);
    }, () => connection.writeBlocked());
  }

  #writeWhole(exchange: Exchange, head: string, body: string | Buffer, keepAlive: boolean, isHead: boolean): void {
    const socket = this.#connection.socket;
    if (isHead) return this.#finishWrite(exchange, socket.write(head, "latin1"), 0, keepAlive);
    const bytes = typeof body === "string" ? Buffer.byteLength(body) : body.length;
    if (typeof body !== "string" && bytes > LARGE_BODY) {
      // A large Buffer goes out with the head as one writev, uncopied: joining them would
      // allocate and copy a fresh buffer per response (measured: a cached 64 KiB file served
      // ~3x more requests per CPU-second this way).
      socket.cork();
      socket.write(head, "latin1");
      socket.write(body);
      socket.uncork();
      return this.#finishWrite(exchange, socket.writableLength < socket.writableHighWaterMark, bytes, keepAlive);
    }
    this.#finishWrite(exchange, socket.write(joinHeadAndBody(head, body)), bytes, keepAlive);
  }

  #finishWrite(exchange: Exchange, flushed: boolean, bytes: number, keepAlive: boolean): void {
    if (!flushed) this.#connection.writeBlocked();
    this.#connection.exchangeWritten(exchange, true, bytes, keepAlive);
  }

  #startTunnel(exchange: Exchange, response: Response): void {
    const connection = this.#connection;
    const socket = connection.socket;
    // RFC 9110 §9.3.6: a 2xx to CONNECT has no content and no framing fields.
    let text = statusLine(response.status);
    for (const name in response.headers) {
      const lower = name.toLowerCase();
      if (lower === "content-length" || lower === "transfer-encoding" || lower === "connection") continue;
      const value = response.headers[name];
      if (value === undefined || /[\r\n\0]/.test(String(value))) continue;
      text += `${name}: ${String(value)}\r\n`;
    }
    text += dateLine() + SERVER_HEADER + "\r\n";
    const early = connection.detachForTunnel();
    this.#streaming = exchange;
    socket.write(text, "latin1");
    let reported = false;
    const done = (stats: { bytesUp: number; bytesDown: number }): void => {
      if (reported) return;
      reported = true;
      this.#streaming = undefined;
      connection.exchangeWritten(exchange, true, 0, false, stats);
    };
    (response.tunnel as NonNullable<Response["tunnel"]>)(socket, early, done);
  }

  /** The socket closed: nothing more will be written. */
  abort(): void {
    this.#streaming = undefined;
  }
}

function destroyBody(response: Response): void {
  const body = response.body;
  if (body === undefined || typeof body === "string" || Buffer.isBuffer(body)) return;
  if (isFileBody(body)) {
    void body.handle?.close();
    return;
  }
  body.destroy();
}
