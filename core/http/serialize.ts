// Response framing and head serialization (RFC 9112 §6, RFC 9110 §6.4.1, §8.6).
// The core, not plugins, decides Content-Length vs chunked vs close-delimited, strips bodies
// from HEAD/204/304, and adds Date and Server.
import { PlugdError } from "../errors.ts";
import { isFileBody, type Response } from "./response.ts";
import { statusLine } from "./status.ts";

export const SERVER_HEADER = "Server: plugd\r\n";

let cachedDate = "";
let cachedDateUntil = 0;

/** "Date: <IMF-fixdate>\r\n", rebuilt once a second (RFC 9110 §6.6.1). */
export function dateLine(now = Date.now()): string {
  if (now >= cachedDateUntil) {
    cachedDate = `Date: ${new Date(now).toUTCString()}\r\n`;
    cachedDateUntil = now - (now % 1000) + 1000;
  }
  return cachedDate;
}

/** How the body goes on the wire. */
export const FRAMING = Object.freeze({ none: 0, length: 1, chunked: 2, close: 3 } as const);
export type Framing = (typeof FRAMING)[keyof typeof FRAMING];

/** Header names the core owns; a plugin's value for them is ignored. */
const CORE_OWNED = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "date"]);
// RFC 9110 §5.5: field values must not contain CR, LF or NUL; a plugin that lets one through
// would split the response (CWE-113). Refused with a 500, never written.
const UNSAFE_VALUE = /[\r\n\0]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A status whose response never has content (RFC 9110 §6.4.1). */
export function statusForbidsBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** Content length of a body the core can measure, or -1 for a stream. */
export function bodyLength(res: Response): number {
  const body = res.body;
  if (body === undefined) return 0;
  if (typeof body === "string") return Buffer.byteLength(body);
  if (Buffer.isBuffer(body)) return body.length;
  if (isFileBody(body)) return body.end - body.start;
  const declared = res.headers["content-length"];
  if (declared !== undefined) {
    const n = Number(declared);
    if (Number.isSafeInteger(n) && n >= 0) return n;
  }
  return -1;
}

export interface Head {
  readonly text: string;
  readonly framing: Framing;
  /** Bytes of body to write when framing is "length". */
  readonly length: number;
}

/**
 * Builds the head. `keepAlive` is the core's decision so far; a close-delimited body forces
 * it off, and the returned text says so with `Connection: close`.
 */
export function serializeHead(res: Response, isHeadRequest: boolean, http10: boolean, keepAlive: boolean): Head & { keepAlive: boolean } {
  const status = res.status;
  let text = statusLine(status);
  const headers = res.headers;
  let hasServer = false;
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (CORE_OWNED.has(lower)) continue;
    if (lower === "server") hasServer = true;
    if (!TOKEN.test(name)) throw new PlugdError("PLUGD_ERR_HOOK_BAD_RESULT", `Response header name ${JSON.stringify(name)} is not a token`);
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === "object") {
      for (const v of value) text += headerLine(name, v);
    } else {
      text += headerLine(name, String(value));
    }
  }
  text += dateLine();
  if (!hasServer) text += SERVER_HEADER;

  let framing: Framing;
  let length = 0;
  if (statusForbidsBody(status)) {
    framing = FRAMING.none;
  } else {
    length = bodyLength(res);
    if (length >= 0) {
      framing = FRAMING.length;
      text += `Content-Length: ${length}\r\n`;
    } else if (isHeadRequest) {
      framing = FRAMING.none;
    } else if (!http10) {
      framing = FRAMING.chunked;
      text += "Transfer-Encoding: chunked\r\n";
    } else {
      // RFC 9112 §6.3 rule 8: an HTTP/1.0 client learns the end of an unsized body by the close.
      framing = FRAMING.close;
      keepAlive = false;
    }
  }
  if (isHeadRequest) framing = FRAMING.none;
  if (!keepAlive) text += "Connection: close\r\n";
  else if (http10) text += "Connection: keep-alive\r\n";
  text += "\r\n";
  return { text, framing, length, keepAlive };
}

function headerLine(name: string, value: string): string {
  if (UNSAFE_VALUE.test(value)) {
    throw new PlugdError("PLUGD_ERR_HOOK_BAD_RESULT", `Response header ${name} holds CR, LF or NUL`);
  }
  return `${name}: ${value}\r\n`;
}

/** One Buffer holding head and a small body, so it goes out in one write (DESIGN §11). */
export function joinHeadAndBody(head: string, body: string | Buffer): Buffer {
  const headLength = head.length;
  if (typeof body === "string") {
    const bodyLength = Buffer.byteLength(body);
    const out = Buffer.allocUnsafe(headLength + bodyLength);
    out.write(head, 0, headLength, "latin1");
    out.write(body, headLength, bodyLength, "utf8");
    return out;
  }
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, headLength, "latin1");
  body.copy(out, headLength);
  return out;
}
