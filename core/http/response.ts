// Response values (DESIGN §3). A handler returns a value; the core frames and writes it.
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import type { FileHandle } from "node:fs/promises";
import { reasonPhrase } from "./status.ts";

/** A byte range of a file, sent with sendfile-like streaming. `end` is exclusive. */
export interface FileBody {
  readonly kind: "file";
  /** Path to open, or an open handle (the core closes a handle it was given when done). */
  readonly path?: string;
  readonly handle?: FileHandle;
  readonly start: number;
  readonly end: number;
}

export type ResponseBody = string | Buffer | Readable | FileBody | undefined;

/** Header values as plugins give them. Names should be lower-case (compared that way). */
export type ResponseHeaders = Record<string, string | number | readonly string[]>;

/**
 * A CONNECT handler's takeover: called once the 2xx head has been written. `head` holds any
 * bytes the client sent after the CONNECT request's head (early data). From then on the socket
 * belongs to the tunnel; the core keeps only its bookkeeping, and calls `log` when the socket
 * closes with the stats the tunnel reports through `done`.
 * The socket is handed over paused, so nothing is lost while the tunnel dials its upstream:
 * `pipe()` resumes it; a tunnel that listens for 'data' itself must call `socket.resume()`.
 */
export type TunnelHandler = (socket: Socket, head: Buffer, done: (stats: { bytesUp: number; bytesDown: number }) => void) => void;

export interface Response {
  status: number;
  headers: ResponseHeaders;
  body?: ResponseBody;
  /** CONNECT only: the tunnel to run after a 2xx. */
  tunnel?: TunnelHandler;
  /**
   * Set by the core when it made the response from an error: the stable code, and for a tap
   * failure, the hook and plugin. Loggers read it; it is never sent.
   */
  error?: { code: string; message: string; hook?: string; plugin?: string; stack?: string };
}

const TEXT = "text/plain; charset=utf-8";
const HTML = "text/html; charset=utf-8";

export function text(body: string, status = 200, headers: ResponseHeaders = {}): Response {
  return { status, headers: { "content-type": TEXT, ...headers }, body };
}

export function html(body: string, status = 200, headers: ResponseHeaders = {}): Response {
  return { status, headers: { "content-type": HTML, ...headers }, body };
}

export function json(value: unknown, status = 200, headers: ResponseHeaders = {}): Response {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(value) };
}

/** A response without a body (204, 304, or a status whose body is not wanted). */
export function empty(status: number, headers: ResponseHeaders = {}): Response {
  return { status, headers };
}

/** A file range as the body; the core streams it with backpressure. */
export function file(path: string, start: number, end: number, status = 200, headers: ResponseHeaders = {}): Response {
  return { status, headers, body: { kind: "file", path, start, end } };
}

/** A short plain-text error page: "404 Not Found\n", or the message when it may be shown. */
export function error(status: number, message?: string, headers: ResponseHeaders = {}): Response {
  const reason = reasonPhrase(status);
  const body = message === undefined ? `${status} ${reason}\n` : `${status} ${reason}: ${message}\n`;
  return text(body, status, headers);
}

export function redirect(location: string, status = 301, headers: ResponseHeaders = {}): Response {
  return { status, headers: { ...headers, location, "content-type": TEXT }, body: `${status} ${reasonPhrase(status)}: ${location}\n` };
}

export function isFileBody(body: ResponseBody): body is FileBody {
  return typeof body === "object" && body !== null && !Buffer.isBuffer(body) && (body as FileBody).kind === "file";
}

/** Loose check that a tap returned a Response. */
export function isResponse(value: unknown): value is Response {
  return typeof value === "object" && value !== null && typeof (value as Response).status === "number" && typeof (value as Response).headers === "object";
}
