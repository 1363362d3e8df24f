// One access log line per answered request, in the Combined or Common Log Format (as Apache's
// mod_log_config and nginx write them, so goaccess, awstats and friends read them as is) or as
// a JSON object. Every value that came from the client is escaped (escape.ts).
import type { RequestInfo } from "../../core/http/request.ts";
import type { Response } from "../../core/http/response.ts";
import type { Timing } from "../../core/http/lifecycle-types.ts";
import { escapeBare, escapeQuoted, jsonString, redactHead } from "./escape.ts";

export type AccessFormat = "combined" | "common" | "json";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let clfSecond = -1;
let clfText = "";

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** `%t`: "[10/Oct/2000:13:55:36 -0700]" in local time; built once per second. */
export function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== clfSecond) {
    const d = new Date(second * 1000);
    const offset = -d.getTimezoneOffset();
    const abs = Math.abs(offset);
    const zone = (offset < 0 ? "-" : "+") + pad2(Math.floor(abs / 60)) + pad2(abs % 60);
    clfText =
      `[${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zone}]`;
    clfSecond = second;
  }
  return clfText;
}

/**
 * The first line of a rejected request's head, as received (Apache and nginx log the request
 * line as sent, even when it does not parse): up to the first LF, without the CR before it, so
 * a bare CR inside stays (escaped) in the field. Empty lines before it are skipped, as a server
 * does (RFC 9112 §2.2); secrets are redacted first in case a header stands there.
 */
export function rawRequestLine(raw: Buffer | undefined): string {
  if (raw === undefined || raw.length === 0) return "";
  const text = redactHead(raw).toString("latin1");
  const m = /^(?:\r?\n)*([^\n]*)/.exec(text) as RegExpExecArray;
  const line = m[1] as string;
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** `%r`, escaped: "GET /a?b HTTP/1.1"; "-" when nothing was received. */
function requestLine(info: RequestInfo): string {
  if (!info.parsed) {
    const line = rawRequestLine(info.raw);
    return line === "" ? "-" : escapeQuoted(line);
  }
  // A parsed request's method is a token (no quote, backslash or control byte) and its version
  // "1.0" or "1.1" (RFC 9112 §3): only the target can hold a quote or a backslash.
  return `${info.method} ${escapeQuoted(info.target)} HTTP/${info.version}`;
}

/** `%b` and JSON `bytes`: body bytes sent; for a tunnel, the bytes sent down to the client. */
function sentBytes(timing: Timing): number {
  return timing.tunnel !== undefined ? timing.tunnel.bytesDown : timing.bodyBytes;
}

function user(info: RequestInfo): string {
  const name = info.user?.name;
  return name === undefined || name === "" ? "-" : escapeBare(name);
}

function quotedHeader(info: RequestInfo, name: string): string {
  const value = info.headers.get(name);
  return value === undefined || value === "" ? "-" : escapeQuoted(value);
}

/** `%h %l %u %t "%r" %>s %b`, without the newline. */
export function commonLine(info: RequestInfo, response: Response, timing: Timing): string {
  const bytes = sentBytes(timing);
  // The peer address comes from the socket, not from the client's bytes.
  return (
    `${info.remoteAddress === "" ? "-" : info.remoteAddress} - ${user(info)} ${clfTime(timing.startedAt)} ` +
    `"${requestLine(info)}" ${response.status} ${bytes === 0 ? "-" : bytes}`
  );
}

/** `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, with the newline. */
export function combinedLine(info: RequestInfo, response: Response, timing: Timing): string {
  return `${commonLine(info, response, timing)} "${quotedHeader(info, "referer")}" "${quotedHeader(info, "user-agent")}"\n`;
}

export function commonLineNl(info: RequestInfo, response: Response, timing: Timing): string {
  return commonLine(info, response, timing) + "\n";
}

let isoSecond = -1;
let isoPrefix = "";

/** ISO 8601 in UTC with milliseconds, as toISOString(); the part up to the second built once per second. */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    isoSecond = second;
  }
  const frac = ms - second * 1000;
  return isoPrefix + (frac < 10 ? "00" : frac < 100 ? "0" : "") + frac + "Z";
}

function jsonOrNull(value: string | undefined): string {
  return value === undefined ? "null" : jsonString(value);
}

/**
 * One JSON object: time (ISO 8601, UTC), id, server, peer, port, method, target, protocol,
 * status, bytes, duration_ms, user, referer, user_agent, completed; `error` (the stable code)
 * when the response came from an error, and `request` (the line as received) for a request the
 * core rejected; bytes_up and bytes_down for a CONNECT tunnel. Strings are JSON-escaped and
 * ASCII-only, so a line stays one line whatever the request held.
 */
export function jsonLine(info: RequestInfo, response: Response, timing: Timing): string {
  let line =
    `{"time":"${isoTime(timing.startedAt)}","id":${jsonString(info.id)},"server":${jsonString(info.server.name)},` +
    `"peer":${jsonString(info.remoteAddress)},"port":${info.remotePort},"method":${jsonString(info.method)},` +
    `"target":${jsonString(info.target)},"protocol":${info.version === "" ? "null" : jsonString(`HTTP/${info.version}`)},` +
    `"status":${response.status},"bytes":${sentBytes(timing)},"duration_ms":${timing.durationMs},` +
    `"user":${jsonOrNull(info.user?.name)},"referer":${jsonOrNull(info.headers.get("referer"))},` +
    `"user_agent":${jsonOrNull(info.headers.get("user-agent"))},"completed":${timing.completed}`;
  if (timing.error !== undefined) line += `,"error":${jsonString(timing.error.code)}`;
  if (!info.parsed) line += `,"request":${jsonString(rawRequestLine(info.raw))}`;
  if (timing.tunnel !== undefined) line += `,"bytes_up":${timing.tunnel.bytesUp},"bytes_down":${timing.tunnel.bytesDown}`;
  return line + "}\n";
}

export type AccessLine = (info: RequestInfo, response: Response, timing: Timing) => string;

export const ACCESS_LINES: Readonly<Record<AccessFormat, AccessLine>> = Object.freeze({
  combined: combinedLine,
  common: commonLineNl,
  json: jsonLine,
});
