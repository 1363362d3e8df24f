// The request fields a static response depends on, read in one pass over the head. Most
// requests carry none of them, and then nothing is allocated: the cache hit stays cheap.
import type { HeaderFields } from "../../core/http/head.ts";

export interface FileRequestFields {
  ifMatch: string | undefined;
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
  ifUnmodifiedSince: string | undefined;
  /** Every Range line: more than one is a malformed request (RFC 9110 §14.2 defines one). */
  range: string[] | undefined;
  ifRange: string | undefined;
  acceptEncoding: string | undefined;
}

/** The fields, or undefined when the request has none of them. */
export function readFileFields(headers: HeaderFields): FileRequestFields | undefined {
  const flat = headers.flat;
  let out: FileRequestFields | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    const first = name.charCodeAt(0);
    // Only names starting with "i", "r" or "a" can matter.
    if (first !== 0x69 && first !== 0x72 && first !== 0x61) continue;
    const value = flat[i + 1] as string;
    switch (name) {
      case "if-match":
        out ??= blank();
        out.ifMatch = join(out.ifMatch, value);
        break;
      case "if-none-match":
        out ??= blank();
        out.ifNoneMatch = join(out.ifNoneMatch, value);
        break;
      case "if-modified-since":
        out ??= blank();
        // A second line makes the field invalid (not one HTTP-date): keep both so parsing fails.
        out.ifModifiedSince = join(out.ifModifiedSince, value);
        break;
      case "if-unmodified-since":
        out ??= blank();
        out.ifUnmodifiedSince = join(out.ifUnmodifiedSince, value);
        break;
      case "range":
        out ??= blank();
        (out.range ??= []).push(value);
        break;
      case "if-range":
        out ??= blank();
        out.ifRange = join(out.ifRange, value);
        break;
      case "accept-encoding":
        out ??= blank();
        out.acceptEncoding = join(out.acceptEncoding, value);
        break;
    }
  }
  return out;
}

function blank(): FileRequestFields {
  return {
    ifMatch: undefined,
    ifNoneMatch: undefined,
    ifModifiedSince: undefined,
    ifUnmodifiedSince: undefined,
    range: undefined,
    ifRange: undefined,
    acceptEncoding: undefined,
  };
}

// RFC 9110 §5.3: repeated lines of a list field mean the same as one line joined with commas.
function join(prev: string | undefined, value: string): string {
  return prev === undefined ? value : `${prev}, ${value}`;
}
