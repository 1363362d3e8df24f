// What a logger knows of a request the core refused while parsing (DESIGN §2: a request that
// fails to parse still reaches `log`).
import type { ServerConfig } from "../config/types.ts";
import { HeaderFields } from "./head.ts";
import { newRequestId, type ConnectionInfo, type RequestInfo } from "./request.ts";

/** Bytes of the raw head kept for the error log. */
const EXCERPT_BYTES = 512;

export function rejectedInfo(server: ServerConfig, connection: ConnectionInfo, raw: Buffer, code: string): RequestInfo & { readonly code: string } {
  const excerpt = raw.subarray(0, EXCERPT_BYTES);
  // Best effort: the first line split on spaces, for "%r" in access logs. Escaping is the logger's job.
  const lineEnd = excerpt.indexOf(0x0a);
  const firstLine = excerpt.toString("latin1", 0, lineEnd === -1 ? excerpt.length : lineEnd).replace(/\r$/, "");
  const [method = "", target = "", protocol = ""] = firstLine.split(" ", 3);
  return {
    parsed: false,
    id: newRequestId(),
    method,
    target,
    version: protocol.startsWith("HTTP/") ? protocol.slice(5) : "",
    headers: new HeaderFields(),
    remoteAddress: connection.remoteAddress,
    remotePort: connection.remotePort,
    server,
    user: undefined,
    raw: excerpt,
    code,
  };
}
