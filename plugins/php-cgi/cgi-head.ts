// The script's response header section (RFC 3875 §6): where it ends, what it says, and the
// Response head it becomes. Shared by CGI and FastCGI (both carry the same CGI response).
import type { ResponseHeaders } from "../../core/http/response.ts";

/** The most header bytes a script may send before its blank line (nginx's default buffer is 4-8 KiB). */
export const MAX_HEAD_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Where the header section of `bytes` ends: the index just after the blank line, or -1 when
 * it has not been seen yet. RFC 3875 §6.3 says lines end with NL; scripts send CRLF or LF, so
 * a line is "…LF", with an optional CR before the LF.
 */
export function headEnd(bytes: Buffer, from = 0): number {
  let i = bytes.indexOf(LF, from);
  while (i !== -1) {
    // A blank line: LF right after the previous LF (or at the very start), or "LF CR LF".
    if (i === 0 || bytes[i - 1] === LF) return i + 1;
    if (bytes[i - 1] === CR && (i === 1 || bytes[i - 2] === LF)) return i + 1;
    i = bytes.indexOf(LF, i + 1);
  }
  return -1;
}

/** A header name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value must hold no control character but HTAB (RFC 9110 §5.5): a bare CR would split the response. */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

// RFC 9110 §7.6.1: hop-by-hop fields belong to one connection and are never forwarded; the
// core frames the response itself. Also dropped: fields the core owns (Date is the server's).
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

export interface ScriptHead {
  /** From Status (RFC 3875 §6.3.3); undefined when the script sent none. */
  readonly status: number | undefined;
  /** From Location (RFC 3875 §6.3.2), when sent. */
  readonly location: string | undefined;
  /** Every other field to pass to the client, lower-case names, repeated ones as arrays. */
  readonly headers: ResponseHeaders;
  /** Fields left out and why (for the error log). */
  readonly dropped: readonly string[];
}

export type HeadResult = { readonly ok: true; readonly head: ScriptHead } | { readonly ok: false; readonly reason: string };

/**
 * Parses the header section (the bytes before the blank line). Malformed (a line without a
 * colon, a name that is not a token, a folded line, a Status that is not a 2xx-5xx code) is an
 * error, which the gateway answers with 502. A value holding a control character (CR, NUL ...)
 * is dropped rather than passed on (response splitting, CWE-113), and so are hop-by-hop fields.
 */
export function parseHead(section: Buffer): HeadResult {
  // latin1: one char per byte, so the values pass through unchanged.
  const text = section.toString("latin1");
  let status: number | undefined;
  let location: string | undefined;
  const headers: Record<string, string | string[]> = {};
  let fields = 0;
  let dropped: string[] | undefined;
  let connection: string | undefined;
  let at = 0;
  while (at < text.length) {
    let eol = text.indexOf("\n", at);
    if (eol === -1) eol = text.length;
    const lineEnd = eol > at && text.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol;
    const start = at;
    at = eol + 1;
    if (lineEnd === start) continue;
    const first = text.charCodeAt(start);
    if (first === 0x20 || first === 0x09) return { ok: false, reason: "folded header line" };
    const colon = text.indexOf(":", start);
    if (colon <= start || colon > lineEnd) return { ok: false, reason: `header line without a name and colon: ${JSON.stringify(text.slice(start, Math.min(lineEnd, start + 80)))}` };
    const name = text.slice(start, colon);
    if (!TOKEN.test(name)) return { ok: false, reason: `header name is not a token: ${JSON.stringify(name.slice(0, 80))}` };
    let from = colon + 1;
    let to = lineEnd;
    while (from < to && (text.charCodeAt(from) === 0x20 || text.charCodeAt(from) === 0x09)) from++;
    while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x09)) to--;
    const value = text.slice(from, to);
    if (BAD_VALUE.test(value)) {
      (dropped ??= []).push(`${name} (control character in its value)`);
      continue;
    }
    const lower = name.toLowerCase();
    if (lower === "status") {
      // RFC 3875 §6.3.3: Status = "Status:" status-code SP reason-phrase.
      const m = /^(\d{3})(?:[ \t].*)?$/.exec(value);
      const code = m === null ? NaN : Number(m[1]);
      if (!(code >= 200 && code <= 599)) return { ok: false, reason: `bad Status: ${JSON.stringify(value.slice(0, 80))}` };
      status = code;
      continue;
    }
    if (lower === "location") {
      location = value;
      continue;
    }
    fields++;
    if (HOP_BY_HOP.has(lower) || lower === "date") {
      if (lower === "connection") connection = connection === undefined ? value : `${connection}, ${value}`;
      (dropped ??= []).push(`${lower} (hop-by-hop or the server's)`);
      continue;
    }
    if (lower === "content-length" && !/^\d{1,15}$/.test(value)) {
      (dropped ??= []).push("content-length (not a number)");
      continue;
    }
    const had = headers[lower];
    if (had === undefined) headers[lower] = value;
    else if (Array.isArray(had)) had.push(value);
    else headers[lower] = [had, value];
  }
  // RFC 3875 §6.2: every response has at least one CGI header field (Content-Type, Location or Status).
  if (status === undefined && location === undefined && fields === 0) return { ok: false, reason: "no header fields" };
  // RFC 9110 §7.6.1: a field named by Connection is hop-by-hop too.
  if (connection !== undefined) {
    for (const option of connection.split(",")) {
      const name = option.trim().toLowerCase();
      if (name !== "" && headers[name] !== undefined) {
        delete headers[name];
        (dropped ??= []).push(`${name} (named by Connection)`);
      }
    }
  }
  const length = headers["content-length"];
  if (Array.isArray(length)) {
    // Two lengths: keep one only if they agree (RFC 9110 §8.6), else send none (chunked).
    if (length.every((v) => v === length[0])) headers["content-length"] = length[0] as string;
    else delete headers["content-length"];
  }
  return { ok: true, head: { status, location, headers, dropped: dropped ?? NONE } };
}

const NONE: readonly string[] = Object.freeze([]);

/** A Location that names a resource on this server (RFC 3875 §6.2.2 local-Location: an abs-path). */
export function isLocalLocation(location: string): boolean {
  return location.startsWith("/") && !location.startsWith("//");
}
