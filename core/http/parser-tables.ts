// Character classes and interned field names for the request parser. Lookup tables indexed by
// char code (0-255: the head is decoded as latin1, one char per byte) keep the hot loops free
// of regexes and branches.

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** RFC 9110 §5.6.2 tchar: the characters of a token (method, field name, coding, ext name). */
export const TCHAR = table((c) => isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));

/**
 * RFC 9110 §5.5 field-value characters: VCHAR, obs-text, SP and HTAB (the last two only inside
 * a value; the caller trims). Everything else -- NUL, other C0 controls, DEL -- is refused:
 * a NUL or CR smuggled inside a value splits fields differently in other parsers.
 */
export const FIELD_VALUE = table((c) => c === 0x09 || c === 0x20 || (c >= 0x21 && c <= 0x7e) || c >= 0x80);

/** RFC 9110 §5.6.4 qdtext (inside a quoted-string, excluding the DQUOTE and backslash). */
export const QDTEXT = table((c) => c === 0x09 || c === 0x20 || c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80);

/** RFC 3986 §3.2.2 reg-name characters: unreserved / sub-delims ("%" handled separately). */
export const REG_NAME = table((c) => isAlpha(c) || isDigit(c) || "-._~!$&'()*+,;=".includes(String.fromCharCode(c)));

/** Hex digit value, or 255. */
export const HEX = new Uint8Array(256).fill(255);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[0x41 + c] = 10 + c;
  HEX[0x61 + c] = 10 + c;
}

/** ASCII lower-casing (field names and codings are case-insensitive ASCII, RFC 9110 §5.1). */
export const LOWER = new Uint8Array(256);
for (let c = 0; c < 256; c++) LOWER[c] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;

/** Which field a name is, for the ones the parser itself interprets. */
export const FIELD_OTHER = 0;
export const FIELD_HOST = 1;
export const FIELD_CONTENT_LENGTH = 2;
export const FIELD_TRANSFER_ENCODING = 3;
export const FIELD_CONNECTION = 4;
export const FIELD_EXPECT = 5;

// Common request field names, interned: matching one costs a few char compares and saves
// allocating a lower-cased copy of the name for every field of every request.
const KNOWN: ReadonlyArray<readonly [string, number]> = [
  ["host", FIELD_HOST],
  ["content-length", FIELD_CONTENT_LENGTH],
  ["transfer-encoding", FIELD_TRANSFER_ENCODING],
  ["connection", FIELD_CONNECTION],
  ["expect", FIELD_EXPECT],
  ["accept", 0], ["accept-encoding", 0], ["accept-language", 0], ["accept-charset", 0],
  ["user-agent", 0], ["content-type", 0], ["cookie", 0], ["referer", 0], ["origin", 0],
  ["authorization", 0], ["proxy-authorization", 0], ["cache-control", 0], ["pragma", 0],
  ["if-none-match", 0], ["if-modified-since", 0], ["if-match", 0], ["if-unmodified-since", 0],
  ["if-range", 0], ["range", 0], ["te", 0], ["trailer", 0], ["upgrade", 0], ["via", 0],
  ["keep-alive", 0], ["dnt", 0], ["priority", 0], ["x-forwarded-for", 0], ["x-forwarded-proto", 0],
  ["x-forwarded-host", 0], ["x-real-ip", 0], ["x-requested-with", 0], ["forwarded", 0],
  ["upgrade-insecure-requests", 0], ["sec-fetch-site", 0], ["sec-fetch-mode", 0],
  ["sec-fetch-dest", 0], ["sec-fetch-user", 0], ["sec-ch-ua", 0], ["sec-ch-ua-mobile", 0],
  ["sec-ch-ua-platform", 0], ["content-encoding", 0], ["content-md5", 0], ["date", 0],
];

/** Names and kinds of the interned fields, by index. */
export const KNOWN_NAMES: readonly string[] = KNOWN.map(([name]) => name);
export const KNOWN_KINDS: Uint8Array = Uint8Array.from(KNOWN.map(([, kind]) => kind));

/** Longest interned name; longer names are never looked up. */
const MAX_KNOWN_LENGTH = 31;
/** The names' bytes end to end, and where each starts. */
const NAME_BYTES = new Uint8Array(Buffer.from(KNOWN_NAMES.join(""), "latin1"));
const NAME_START = new Int32Array(KNOWN_NAMES.length);
/** First name index by (length, first char), and the next with the same key: -1 ends. */
const FIRST = new Int16Array((MAX_KNOWN_LENGTH + 1) << 8).fill(-1);
const NEXT = new Int16Array(KNOWN_NAMES.length).fill(-1);
{
  let start = 0;
  KNOWN_NAMES.forEach((name, index) => {
    NAME_START[index] = start;
    start += name.length;
    const key = (name.length << 8) | name.charCodeAt(0);
    NEXT[index] = FIRST[key] as number;
    FIRST[key] = index;
  });
}

/** The index in KNOWN_NAMES of field name b[a, end) compared case-insensitively, or -1. */
export function knownName(b: Buffer, a: number, end: number): number {
  const n = end - a;
  if (n > MAX_KNOWN_LENGTH) return -1;
  const lower = LOWER;
  const bytes = NAME_BYTES;
  let index = FIRST[(n << 8) | (lower[b[a] as number] as number)] as number;
  while (index >= 0) {
    const o = (NAME_START[index] as number) - a;
    let i = a + 1;
    while (i < end && lower[b[i] as number] === bytes[o + i]) i++;
    if (i === end) return index;
    index = NEXT[index] as number;
  }
  return -1;
}

/**
 * Matches the elements of the comma-separated list `v` (RFC 9110 §5.6.1) against `token` (given
 * lower-case), ASCII case-insensitively. Empty elements and OWS around elements are skipped.
 * Returns a bit set: 1 if some element is `token`, 2 if some element is something else.
 */
export function listMatch(v: string, token: string): number {
  const n = v.length;
  let found = 0;
  let i = 0;
  while (i < n) {
    let c = v.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2c) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && v.charCodeAt(i) !== 0x2c) i++;
    let end = i;
    while ((c = v.charCodeAt(end - 1)) === 0x20 || c === 0x09) end--;
    let k = 0;
    if (end - start === token.length) while (k < token.length && LOWER[v.charCodeAt(start + k)] === token.charCodeAt(k)) k++;
    found |= k === token.length ? 1 : 2;
  }
  return found;
}
