// Message framing fields (RFC 9112 §6): Content-Length and Transfer-Encoding values.
import type { ErrorCode } from "../errors.ts";
import { LOWER, QDTEXT, TCHAR } from "./parser-tables.ts";

const SP = 0x20;
const HTAB = 0x09;

/** Content-Length digits: 15 decimal digits stay exact in a double and exceed any real body. */
const MAX_CONTENT_LENGTH_DIGITS = 15;

/** RFC 9110 §8.6: Content-Length = 1*DIGIT. Returns -1 unless the value is exactly that. */
export function parseContentLength(v: string): number {
  const n = v.length;
  // No sign, no spaces, no list ("5, 5"): each of those has been read differently by some peer
  // (Node once read "1 2" as 12: CVE-2018-7159).
  if (n === 0 || n > MAX_CONTENT_LENGTH_DIGITS) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/**
 * RFC 9112 §6.1 / §7: the Transfer-Encoding list (all its field lines, in order) must end in
 * exactly one `chunked`; codings are case-insensitive; empty list elements are ignored
 * (RFC 9110 §5.6.1). Codings we do not implement give 501 (RFC 9112 §6.1).
 */
export function checkTransferEncoding(values: readonly string[]): ErrorCode | undefined {
  let chunked = 0;
  let other = false;
  let lastChunked = false;
  for (const v of values) {
    const n = v.length;
    let i = 0;
    for (;;) {
      while (i < n && (v.charCodeAt(i) === SP || v.charCodeAt(i) === HTAB || v.charCodeAt(i) === 0x2c)) i++;
      if (i === n) break;
      const t0 = i;
      while (i < n && TCHAR[v.charCodeAt(i)] === 1) i++;
      if (i === t0) return "PLUGD_ERR_HTTP_BAD_TRANSFER_ENCODING";
      const isChunkedName = i - t0 === 7 && lowerEquals(v, t0, "chunked");
      let params = false;
      // transfer-coding = token *( OWS ";" OWS transfer-parameter )
      for (;;) {
        let j = i;
        while (j < n && (v.charCodeAt(j) === SP || v.charCodeAt(j) === HTAB)) j++;
        if (j === n || v.charCodeAt(j) !== 0x3b) {
          i = j;
          break;
        }
        i = skipParameter(v, j + 1);
        if (i < 0) return "PLUGD_ERR_HTTP_BAD_TRANSFER_ENCODING";
        params = true;
      }
      if (i < n && v.charCodeAt(i) !== 0x2c) return "PLUGD_ERR_HTTP_BAD_TRANSFER_ENCODING";
      // `chunked` takes no parameters; "chunked;x=y" is not the chunked we frame by.
      lastChunked = isChunkedName && !params;
      if (lastChunked) chunked++;
      else other = true;
    }
  }
  // A final coding other than chunked leaves the body length unknowable (RFC 9112 §6.3 (4)):
  // `xchunked`, `chunked, identity` and the like are the TE.TE obfuscation tricks.
  if (!lastChunked) return "PLUGD_ERR_HTTP_BAD_TRANSFER_ENCODING";
  // RFC 9112 §7: chunked MUST NOT be applied more than once.
  if (chunked > 1) return "PLUGD_ERR_HTTP_BAD_TRANSFER_ENCODING";
  if (other) return "PLUGD_ERR_HTTP_UNKNOWN_TRANSFER_CODING";
  return undefined;
}

function lowerEquals(v: string, a: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) if (LOWER[v.charCodeAt(a + k)] !== lower.charCodeAt(k)) return false;
  return true;
}

/** transfer-parameter = token BWS "=" BWS ( token / quoted-string ), from v[i] after OWS.
 * Returns the index after it, or -1. */
function skipParameter(v: string, i: number): number {
  const n = v.length;
  while (i < n && (v.charCodeAt(i) === SP || v.charCodeAt(i) === HTAB)) i++;
  const t0 = i;
  while (i < n && TCHAR[v.charCodeAt(i)] === 1) i++;
  if (i === t0) return -1;
  while (i < n && (v.charCodeAt(i) === SP || v.charCodeAt(i) === HTAB)) i++;
  if (i === n || v.charCodeAt(i) !== 0x3d) return -1;
  i++;
  while (i < n && (v.charCodeAt(i) === SP || v.charCodeAt(i) === HTAB)) i++;
  if (i < n && v.charCodeAt(i) === 0x22) {
    for (i++; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c === 0x22) return i + 1;
      if (c === 0x5c) i++;
      else if (QDTEXT[c] !== 1) return -1;
    }
    return -1;
  }
  const v0 = i;
  while (i < n && TCHAR[v.charCodeAt(i)] === 1) i++;
  return i === v0 ? -1 : i;
}
