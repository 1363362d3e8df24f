// The POST gate (onParsed): what every POST must satisfy before a gateway sees it.
import { PlugdError } from "../../core/errors.ts";
import type { Request } from "../../core/http/request.ts";
import type { PostOptions } from "./options.ts";

/** "Text/HTML; charset=x" -> "text/html"; undefined when the value is not type/subtype. */
export function mediaTypeEssence(value: string): string | undefined {
  const semi = value.indexOf(";");
  const essence = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  // RFC 9110 §8.3.1: media-type = type "/" subtype, both tokens.
  return /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(essence) ? essence : undefined;
}

/** Whether `essence` is one of `allowed` ("type/subtype" or "type/*"), compared lower-case. */
export function typeAllowed(essence: string, allowed: readonly string[]): boolean {
  for (const entry of allowed) {
    const want = entry.toLowerCase();
    if (want === essence) return true;
    if (want.endsWith("/*") && essence.startsWith(want.slice(0, -1))) return true;
  }
  return false;
}

/** Throws the 411/400/415 a POST earns, or returns when it may go on. Other methods pass. */
export function checkPost(request: Request, options: PostOptions): void {
  if (request.method !== "POST") return;
  const head = request.head;
  // RFC 9110 §15.5.12: a server may refuse a request without a defined length. A POST with
  // neither Content-Length nor chunked framing has no content by RFC 9112 §6.3, which for a
  // form or upload is a client (or proxy) that lost it, not an empty submission.
  if (head.bodyKind === "none") {
    throw new PlugdError("PLUGD_ERR_POST_LENGTH_REQUIRED", "POST needs Content-Length or Transfer-Encoding: chunked");
  }
  // RFC 9110 §8.3: Content-Type describes content; Content-Length: 0 has none to describe.
  if (head.bodyKind === "length" && head.contentLength === 0) return;
  const types = request.headers.getAll("content-type");
  if (types.length === 0 || (types.length === 1 && (types[0] as string).trim() === "")) {
    if (options.requireContentType) throw new PlugdError("PLUGD_ERR_POST_NO_CONTENT_TYPE", "POST content needs a Content-Type header");
    return;
  }
  if (types.length > 1) {
    // Two Content-Types: a script and a filter in front of it could each believe a different one.
    throw new PlugdError("PLUGD_ERR_POST_NO_CONTENT_TYPE", "POST content needs exactly one Content-Type header");
  }
  if (options.contentTypes.length === 0) return;
  const essence = mediaTypeEssence(types[0] as string);
  if (essence === undefined || !typeAllowed(essence, options.contentTypes)) {
    throw new PlugdError("PLUGD_ERR_POST_UNSUPPORTED_TYPE", `POST Content-Type must be one of: ${options.contentTypes.join(", ")}`);
  }
}
