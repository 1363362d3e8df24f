// Conditional requests (RFC 9110 §13): If-Match, If-Unmodified-Since, If-None-Match,
// If-Modified-Since, evaluated in the order of §13.2.2, and If-Range (§13.1.5).
import { parseEntityTags } from "../shared/etag.ts";
import { parseHttpDate } from "./http-date.ts";
import type { FileRequestFields } from "./request-fields.ts";

/** The validators of the selected representation. */
export interface Validators {
  /** Strong entity-tag with its quotes, e.g. "\"1a2b-3c\"". */
  readonly etag: string;
  /** Last-Modified, in seconds since the epoch (what the field says, not the file's ms). */
  readonly lastModified: number;
}

export const PASS = 0;
export const NOT_MODIFIED = 304;
export const PRECONDITION_FAILED = 412;
export type PreconditionOutcome = typeof PASS | typeof NOT_MODIFIED | typeof PRECONDITION_FAILED;

/** RFC 9110 §13.2.2 steps 1-4, for GET and HEAD on a representation that exists. */
export function evaluatePreconditions(fields: FileRequestFields, v: Validators): PreconditionOutcome {
  // Step 1: If-Match, strong comparison (§13.1.1); step 2 only when it is absent.
  if (fields.ifMatch !== undefined) {
    if (!matchesTagList(fields.ifMatch, v.etag, true)) return PRECONDITION_FAILED;
  } else if (fields.ifUnmodifiedSince !== undefined) {
    // §13.1.4: an invalid date is ignored; true when not modified after the date.
    const date = parseHttpDate(fields.ifUnmodifiedSince);
    if (date !== undefined && v.lastModified > date) return PRECONDITION_FAILED;
  }
  // Step 3: If-None-Match, weak comparison (§13.1.2); for GET/HEAD a false condition is 304.
  if (fields.ifNoneMatch !== undefined) {
    if (matchesTagList(fields.ifNoneMatch, v.etag, false)) return NOT_MODIFIED;
  } else if (fields.ifModifiedSince !== undefined) {
    // Step 4 (§13.1.3): ignored when If-None-Match is present or the date is invalid.
    const date = parseHttpDate(fields.ifModifiedSince);
    if (date !== undefined && v.lastModified <= date) return NOT_MODIFIED;
  }
  return PASS;
}

/**
 * RFC 9110 §13.1.5: whether a Range may be honoured. An entity-tag must match strongly (a
 * weak one never does); a date must equal Last-Modified exactly. Anything else is false:
 * the whole representation is sent.
 */
export function ifRangeHolds(ifRange: string, v: Validators): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return value === v.etag;
  const date = parseHttpDate(value);
  return date !== undefined && date === v.lastModified;
}

/**
 * Whether an If-Match / If-None-Match value ("*" or a list of entity-tags, RFC 9110 §8.8.3)
 * matches `etag` (always strong here). Strong comparison: both strong and identical; weak:
 * identical opaque tags. A malformed field matches nothing: for If-None-Match that means the
 * full 200 (never a 304 for a cache the client may not have), for If-Match a 412.
 */
export function matchesTagList(list: string, etag: string, strong: boolean): boolean {
  const tags = parseEntityTags(list);
  if (tags === undefined) return false;
  if (tags === "*") return true;
  for (const t of tags) if (t.opaque === etag && (!strong || !t.weak)) return true;
  return false;
}
