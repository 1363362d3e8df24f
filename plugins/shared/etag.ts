// Entity tags and conditional requests for files (RFC 9110 §8.8.3, §13), shared by every plugin
// that sends or checks a validator: `get` sends the ETag, `put` and `delete` check If-Match /
// If-None-Match / If-Unmodified-Since against it. One function makes the tag, so a tag `get`
// sent is the tag `put` compares.
import type { Stats } from "node:fs";
// A pure module of get's; it belongs here in plugins/shared (the one HTTP-date parser).
import { parseHttpDate } from "../get/http-date.ts";

/**
 * The strong ETag of a file: `"<size>-<mtime in µs>-<inode>"`, each in hex.
 * The inode is part of it because `put` replaces a file by renaming a new one into place: a
 * replacement written within the same microsecond with the same size still gets a new tag.
 * Strong (no `W/`), because If-Match uses the strong comparison (RFC 9110 §13.1.1) and a
 * weak tag could never satisfy it.
 */
export function fileETag(stats: Pick<Stats, "size" | "mtimeMs" | "ino">): string {
  return `"${stats.size.toString(16)}-${Math.trunc(stats.mtimeMs * 1000).toString(16)}-${stats.ino.toString(16)}"`;
}

interface EntityTag {
  readonly weak: boolean;
  /** With its quotes, as compared. */
  readonly opaque: string;
}

// RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc excludes DQUOTE, CTLs, SP.
const TAG = /^\s*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/;

/** "*", or the listed tags; undefined when the field value is malformed. */
export function parseEntityTags(value: string): "*" | EntityTag[] | undefined {
  if (value.trim() === "*") return "*";
  const tags: EntityTag[] = [];
  let rest = value;
  while (rest.trim() !== "") {
    const m = TAG.exec(rest);
    if (m === null) {
      // Empty list elements are allowed (RFC 9110 §5.6.1); anything else is malformed.
      const empty = /^\s*,/.exec(rest);
      if (empty === null) return undefined;
      rest = rest.slice(empty[0].length);
      continue;
    }
    tags.push({ weak: m[1] !== undefined, opaque: m[2] as string });
    rest = rest.slice(m[0].length);
  }
  return tags;
}

/** The tag's opaque part and weakness, from a value made by fileETag (or any entity-tag). */
function own(etag: string): EntityTag {
  return etag.startsWith("W/") ? { weak: true, opaque: etag.slice(2) } : { weak: false, opaque: etag };
}

/**
 * RFC 9110 §13.1.1: If-Match is false when the target has no current representation (for "*"),
 * or when no listed tag matches by the strong comparison. A malformed field is false too.
 * `etag` undefined: nothing is there.
 */
export function ifMatchPasses(field: string, etag: string | undefined): boolean {
  const tags = parseEntityTags(field);
  if (tags === undefined || etag === undefined) return false;
  if (tags === "*") return true;
  const current = own(etag);
  if (current.weak) return false;
  return tags.some((t) => !t.weak && t.opaque === current.opaque);
}

/**
 * RFC 9110 §13.1.2: If-None-Match is false when the target exists (for "*"), or when a listed
 * tag matches by the weak comparison. False means: 304 for GET/HEAD, 412 for other methods.
 */
export function ifNoneMatchPasses(field: string, etag: string | undefined): boolean {
  const tags = parseEntityTags(field);
  if (tags === undefined) return false;
  if (etag === undefined) return true;
  if (tags === "*") return false;
  const current = own(etag).opaque;
  return !tags.some((t) => t.opaque === current);
}

/**
 * RFC 9110 §13.1.4: If-Unmodified-Since is false when the file changed after the given date.
 * An invalid date is ignored (the field is then true), as the RFC requires.
 */
export function ifUnmodifiedSincePasses(field: string, mtimeMs: number | undefined): boolean {
  if (mtimeMs === undefined) return true;
  const since = parseHttpDate(field.trim());
  if (since === undefined) return true;
  // HTTP dates have one-second resolution.
  return Math.floor(mtimeMs / 1000) <= since;
}

/** The header fields the precondition checks read. */
export interface ConditionalHeaders {
  get(name: string): string | undefined;
}

/**
 * The preconditions of a state-changing request (PUT, DELETE, POST) against the target's
 * current state (`stats` undefined: nothing there), in the order of RFC 9110 §13.2.2:
 * If-Match, else If-Unmodified-Since; then If-None-Match. True: go on; false: answer 412.
 */
export function preconditionsPass(headers: ConditionalHeaders, stats: Pick<Stats, "size" | "mtimeMs" | "ino"> | undefined): boolean {
  const etag = stats === undefined ? undefined : fileETag(stats);
  const ifMatch = headers.get("if-match");
  if (ifMatch !== undefined) {
    if (!ifMatchPasses(ifMatch, etag)) return false;
  } else {
    const ifUnmodifiedSince = headers.get("if-unmodified-since");
    if (ifUnmodifiedSince !== undefined && !ifUnmodifiedSincePasses(ifUnmodifiedSince, stats?.mtimeMs)) return false;
  }
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== undefined && !ifNoneMatchPasses(ifNoneMatch, etag)) return false;
  return true;
}

/** Whether the request carries any precondition a state-changing method must evaluate. */
export function hasPreconditions(headers: ConditionalHeaders): boolean {
  return headers.get("if-match") !== undefined || headers.get("if-none-match") !== undefined || headers.get("if-unmodified-since") !== undefined;
}

const locks = new Map<string, Promise<void>>();

/**
 * Runs `action` while no other action on the same file path runs in this process, so a
 * precondition checked inside it still holds when the change is made (PUT's rename, DELETE's
 * unlink): the lost-update protection If-Match exists for (RFC 9110 §13.1.1).
 * Hold it only for the check-and-change, never while a body is read.
 */
export async function underFileLock<T>(file: string, action: () => Promise<T>): Promise<T> {
  const before = locks.get(file) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chained = before.then(() => mine);
  locks.set(file, chained);
  await before;
  try {
    return await action();
  } finally {
    release();
    if (locks.get(file) === chained) locks.delete(file);
  }
}
