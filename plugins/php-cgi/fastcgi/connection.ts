// One FastCGI connection to an application (php-fpm, php-cgi -b), kept open between requests
// (FCGI_KEEP_CONN) and carrying one request at a time: PHP does not multiplex (it answers
// FCGI_MPXS_CONNS with 0), so the request id is always 1 (spec §3.3: ids are reused).
import net from "node:net";
import { Writable } from "node:stream";
import type { Cancel } from "../cancel.ts";
import { decodeEndRequest, encodeRequestStart, encodeStream, RECORD, RecordDecoder, type FcgiRecord } from "./records.ts";

const REQUEST_ID = 1;
const STDIN_END = encodeStream(RECORD.STDIN, REQUEST_ID, Buffer.alloc(0), true);

/** Where the application listens. */
export type FcgiAddress = { readonly path: string } | { readonly host: string; readonly port: number };

/** "127.0.0.1:9000", "[::1]:9000", "/run/php/fpm.sock", "unix:/run/php/fpm.sock"; undefined when none of these. */
export function parseFcgiAddress(text: string): FcgiAddress | undefined {
  if (text.startsWith("unix:")) return text.length > 5 ? { path: text.slice(5) } : undefined;
  if (text.startsWith("/")) return { path: text };
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

export function describeAddress(address: FcgiAddress): string {
  return "path" in address ? `unix:${address.path}` : address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** What the connection reports about the request it carries. */
export interface RequestSink {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** FCGI_END_REQUEST (spec §5.5). */
  end(appStatus: number, protocolStatus: number): void;
  /** The connection failed or closed before FCGI_END_REQUEST. */
  lost(err: Error): void;
}

export class FcgiConnection {
  readonly socket: net.Socket;
  readonly #decoder: RecordDecoder;
  #sink: RequestSink | undefined;
  #closed = false;
  #inputOpen = false;
  /** Requests started on this connection. */
  requests = 0;
  /** Called once when the connection closes, whatever the reason. */
  onClose: (() => void) | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    this.#decoder = new RecordDecoder((record) => this.#onRecord(record));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      if (!this.#decoder.push(chunk)) this.#fail(new Error(this.#decoder.failed ?? "not FastCGI"));
    });
    socket.on("error", (err) => this.#fail(err));
    socket.on("close", () => this.#fail(new Error("the FastCGI connection closed before the end of the request")));
  }

  /** Connects; rejects with the socket's error, or when `cancel` is cancelled first. */
  static connect(address: FcgiAddress, cancel?: Cancel): Promise<FcgiConnection> {
    return new Promise((resolve, reject) => {
      const socket = "path" in address ? net.connect({ path: address.path }) : net.connect({ host: address.host, port: address.port });
      const onError = (err: Error): void => {
        cancel?.unlisten();
        reject(err);
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError);
        cancel?.unlisten();
        resolve(new FcgiConnection(socket));
      });
      cancel?.listen((reason) => {
        socket.off("error", onError);
        socket.on("error", () => {});
        socket.destroy();
        reject(reason);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The current (or last) request's FCGI_STDIN stream has not been ended yet. A connection
   * whose input is still open cannot carry another request: the empty STDIN record still to
   * come would end the next request's input instead.
   */
  get inputOpen(): boolean {
    return this.#inputOpen;
  }

  /** Whether a request is in progress. */
  get busy(): boolean {
    return this.#sink !== undefined;
  }

  /**
   * Starts a Responder request: BEGIN_REQUEST (keep the connection), PARAMS, and for a request
   * without a body the end of STDIN, all in one write. Then the body goes through stdin().
   */
  begin(params: ReadonlyMap<string, string>, hasBody: boolean, sink: RequestSink): void {
    if (this.#closed) {
      sink.lost(new Error("the FastCGI connection is closed"));
      return;
    }
    if (this.#sink !== undefined) throw new Error("FastCGI connection already carries a request");
    this.#sink = sink;
    this.#inputOpen = hasBody;
    this.requests++;
    this.socket.write(encodeRequestStart(REQUEST_ID, params, true, !hasBody));
  }

  /** The request body as FCGI_STDIN records; its end() writes the empty record that ends the stream. */
  stdin(): Writable {
    const socket = this.socket;
    return new Writable({
      highWaterMark: 64 * 1024,
      write: (chunk: Buffer, _encoding, callback) => {
        if (this.#closed) return callback(new Error("the FastCGI connection closed"));
        if (socket.write(encodeStream(RECORD.STDIN, REQUEST_ID, chunk))) return callback();
        const onDrain = (): void => {
          socket.off("close", onClose);
          callback();
        };
        const onClose = (): void => {
          socket.off("drain", onDrain);
          callback(new Error("the FastCGI connection closed"));
        };
        socket.once("drain", onDrain);
        socket.once("close", onClose);
      },
      final: (callback) => {
        if (this.#closed) return callback(new Error("the FastCGI connection closed"));
        socket.write(STDIN_END);
        this.#inputOpen = false;
        callback();
      },
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onRecord(record: FcgiRecord): void {
    const sink = this.#sink;
    if (record.requestId !== REQUEST_ID || sink === undefined) {
      // Management records (id 0) need no answer from a client; anything else is a protocol error.
      if (record.requestId === 0) return;
      this.#decoder.fail(`FastCGI record for request ${record.requestId} while none is open`);
      return;
    }
    switch (record.type) {
      case RECORD.STDOUT:
        // The empty record only marks the stream's end; END_REQUEST follows.
        if (record.content.length > 0) sink.stdout(record.content);
        return;
      case RECORD.STDERR:
        if (record.content.length > 0) sink.stderr(record.content);
        return;
      case RECORD.END_REQUEST: {
        const end = decodeEndRequest(record.content);
        this.#sink = undefined;
        if (end === undefined) {
          this.#decoder.fail("short FCGI_END_REQUEST body");
          sink.lost(new Error("short FCGI_END_REQUEST body"));
          return;
        }
        sink.end(end.appStatus, end.protocolStatus);
        return;
      }
      default:
      // FCGI_UNKNOWN_TYPE, GET_VALUES_RESULT: nothing we asked for a request.
    }
  }

  #fail(err: Error): void {
    if (!this.#closed) {
      this.#closed = true;
      this.socket.destroy();
      this.onClose?.();
    }
    const sink = this.#sink;
    this.#sink = undefined;
    sink?.lost(err);
  }
}
