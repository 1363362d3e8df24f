// The shape of a parser wire case and helpers to build the bytes (see parser-cases.ts).
import type { ErrorCode } from "../../../core/errors.ts";
import type { ParserLimits } from "../../../core/http/parser-types.ts";

/** What a valid message must look like; only the keys given are checked. */
export interface ExpectedMessage {
  method?: string;
  target?: string;
  targetForm?: "origin" | "absolute" | "authority" | "asterisk";
  version?: "1.0" | "1.1";
  rawPath?: string;
  query?: string;
  authority?: string;
  bodyKind?: "none" | "length" | "chunked";
  contentLength?: number;
  keepAlive?: boolean;
  expectContinue?: boolean;
  /** Each listed field's value as HeaderFields.get returns it (undefined: absent). */
  headers?: Record<string, string | undefined>;
  /** Number of field lines. */
  fieldCount?: number;
  /** The concatenated body (default ""). */
  body?: string;
  /** Trailer fields, flat [name, value, ...] (default: none). */
  trailers?: string[];
  /** onMessageComplete was called (default true). */
  complete?: boolean;
}

export interface WireCase {
  name: string;
  /** The bytes (latin1 string or Buffer). */
  input: string | Buffer;
  limits?: Partial<ParserLimits>;
  /** Call finish() after the input (the peer closed). */
  eof?: boolean;
  /** The messages parsed before the end or the error, in order. */
  messages: ExpectedMessage[];
  /** The error that ends the input, if any. */
  error?: { status: number; code: ErrorCode };
  /** Bytes left for a CONNECT tunnel (the parser paused itself). */
  rest?: string;
}

export const err = (status: number, code: ErrorCode): { status: number; code: ErrorCode } => ({ status, code });

export const HOST = "Host: example.com\r\n";

/** A request head: request line, Host (unless host is null), the extra field lines, CRLF. */
export function head(line: string, fields = "", host: string | null = "example.com"): string {
  return `${line}\r\n${host === null ? "" : `Host: ${host}\r\n`}${fields}\r\n`;
}

/** A GET with the given extra field lines. */
export const get = (fields = "", target = "/"): string => head(`GET ${target} HTTP/1.1`, fields);

/** A chunked POST head followed by `body` (raw chunked bytes). */
export const chunked = (body: string, fields = ""): string => head("POST /up HTTP/1.1", `Transfer-Encoding: chunked\r\n${fields}`) + body;

/** A Content-Length POST. */
export const post = (body: string, fields = ""): string => head("POST /p HTTP/1.1", `Content-Length: ${body.length}\r\n${fields}`) + body;
