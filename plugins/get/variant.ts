// One representation of a file (the file itself or a precompressed sibling), its validators
// and prebuilt header values, and the response a request gets for it: 200, 206 (one range or
// multipart/byteranges), 304, 412 or 416.
import type { FileHandle } from "node:fs/promises";
import { error, type Response, type ResponseHeaders } from "../../core/http/response.ts";
import { fileETag } from "../shared/etag.ts";
import { evaluatePreconditions, ifRangeHolds, NOT_MODIFIED, PRECONDITION_FAILED, type Validators } from "./conditional.ts";
import type { Coding } from "./encoding.ts";
import { formatHttpDate } from "./http-date.ts";
import { multipartBuffer, multipartStream, newBoundary } from "./multipart.ts";
import { decideRanges, type ByteRange } from "./ranges.ts";
import type { FileRequestFields } from "./request-fields.ts";

/** What identifies a file's content on disk; a change to any of these is a new representation. */
export interface FileStamp {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface Variant {
  readonly coding: Coding | undefined;
  readonly size: number;
  readonly contentType: string;
  readonly validators: Validators;
  /** Header values of a 200 (Content-Length is the core's). */
  readonly headers: ResponseHeaders;
  /** Header values of a 304 (RFC 9110 §15.4.5: those a 200 would carry for caches). */
  readonly notModified: ResponseHeaders;
}

export interface VariantShape {
  readonly contentType: string;
  readonly cacheControl: string | undefined;
  /** The file has precompressed siblings: every variant says `Vary: Accept-Encoding`. */
  readonly vary: boolean;
}

const CODING_TAG: Readonly<Record<Coding, string>> = Object.freeze({ br: "-br", gzip: "-gz" });

/**
 * Validators from the file's stamp (RFC 9110 §8.8). The ETag is the one plugins/shared/etag.ts
 * makes, so a tag GET sent is the tag PUT and DELETE compare with If-Match; a precompressed
 * sibling's tag (from its own stamp) carries the coding, so each encoding of a file has its
 * own tag (§8.8.3.3).
 */
export function makeVariant(coding: Coding | undefined, stamp: FileStamp, shape: VariantShape, now: number): Variant {
  const tag = fileETag(stamp);
  const etag = coding === undefined ? tag : `${tag.slice(0, -1)}${CODING_TAG[coding]}"`;
  // RFC 9110 §8.8.2.1: a modification time in the future is replaced by the current time.
  const modifiedMs = Math.min(stamp.mtimeMs, now);
  const lastModified = formatHttpDate(modifiedMs);
  const headers: Record<string, string> = {
    "content-type": shape.contentType,
    etag,
    "last-modified": lastModified,
    "accept-ranges": "bytes",
  };
  const notModified: Record<string, string> = { etag, "last-modified": lastModified };
  if (coding !== undefined) headers["content-encoding"] = coding;
  if (shape.vary) headers.vary = notModified.vary = "accept-encoding";
  if (shape.cacheControl !== undefined) headers["cache-control"] = notModified["cache-control"] = shape.cacheControl;
  return {
    coding,
    size: stamp.size,
    contentType: shape.contentType,
    validators: { etag, lastModified: Math.floor(modifiedMs / 1000) },
    // Shared by every response made from this variant: frozen, so nothing can edit them.
    headers: Object.freeze(headers),
    notModified: Object.freeze(notModified),
  };
}

/**
 * Where the bytes come from: a cached Buffer, an open file (closed here when unused), or a
 * path for a HEAD (the core never opens it: a HEAD response has no content).
 */
export type Source = Buffer | FileHandle | string;

/**
 * The response to a GET (`isGet`) or HEAD for `v`. `fields` undefined: no conditional or
 * Range field, the plain 200. Preconditions first (RFC 9110 §13.2.2), then Range (§14.2;
 * only for GET, and only while If-Range holds).
 */
export function respond(v: Variant, source: Source, fields: FileRequestFields | undefined, isGet: boolean, maxRanges: number): Response {
  if (fields !== undefined) {
    const outcome = evaluatePreconditions(fields, v.validators);
    if (outcome === NOT_MODIFIED) return release(source, { status: 304, headers: v.notModified });
    if (outcome === PRECONDITION_FAILED) return release(source, error(412));
    if (isGet && fields.range !== undefined && (fields.ifRange === undefined || ifRangeHolds(fields.ifRange, v.validators))) {
      const decision = decideRanges(fields.range, v.size, maxRanges);
      if (decision.kind === "unsatisfiable") {
        // RFC 9110 §15.5.17: say the current length.
        return release(source, error(416, undefined, { "content-range": `bytes */${v.size}` }));
      }
      if (decision.kind === "ranges") return partial(v, source, decision.ranges);
    }
  }
  return { status: 200, headers: v.headers, body: bodyOf(source, 0, v.size) };
}

function partial(v: Variant, source: Source, ranges: readonly ByteRange[]): Response {
  if (ranges.length === 1) {
    const r = ranges[0] as ByteRange;
    // RFC 9110 §14.4: Content-Range: bytes first-last/complete-length.
    const headers = { ...v.headers, "content-range": `bytes ${r.start}-${r.end - 1}/${v.size}` };
    return { status: 206, headers, body: bodyOf(source, r.start, r.end) };
  }
  // RFC 9110 §14.6: several ranges go as multipart/byteranges, each part with its own
  // Content-Type and Content-Range, in the order they were asked for.
  const boundary = newBoundary();
  const headers: Record<string, string | number | readonly string[]> = { ...v.headers, "content-type": `multipart/byteranges; boundary=${boundary}` };
  if (Buffer.isBuffer(source)) {
    return { status: 206, headers, body: multipartBuffer(source, ranges, v.size, v.contentType, boundary) };
  }
  if (typeof source === "string") return { status: 200, headers: v.headers, body: bodyOf(source, 0, v.size) };
  const stream = multipartStream(source, ranges, v.size, v.contentType, boundary);
  // The core frames a stream by the declared length when there is one.
  headers["content-length"] = stream.length;
  return { status: 206, headers, body: stream.body };
}

function bodyOf(source: Source, start: number, end: number): Response["body"] {
  if (Buffer.isBuffer(source)) return start === 0 && end === source.length ? source : source.subarray(start, end);
  if (typeof source === "string") return { kind: "file", path: source, start, end };
  return { kind: "file", handle: source, start, end };
}

function release(source: Source, response: Response): Response {
  if (typeof source === "object" && !Buffer.isBuffer(source)) void source.close().catch(() => {});
  return response;
}
