// Range requests (RFC 9110 §14): parse a Range field against a representation's length and
// decide between the whole representation (200), some ranges (206) and none (416).

/** A byte range; `end` is exclusive. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export type RangeDecision =
  /** Send the whole representation with 200. */
  | { readonly kind: "ignore" }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: "unsatisfiable" }
  /** 206: one range, or several as multipart/byteranges, in the order asked. */
  | { readonly kind: "ranges"; readonly ranges: readonly ByteRange[] };

const IGNORE: RangeDecision = Object.freeze({ kind: "ignore" });
const UNSATISFIABLE: RangeDecision = Object.freeze({ kind: "unsatisfiable" });

/**
 * `lines`: every Range field line of the request. Choices where the RFC leaves one:
 * - a malformed field, a unit other than "bytes", or more than one Range line: ignored (§14.2
 *   lets a server ignore an invalid ranges-specifier); the whole representation is sent.
 * - more than `maxRanges` ranges, or ranges that overlap: ignored too, and the whole
 *   representation is sent with 200. This defeats CVE-2011-3192 (Apache "Range: bytes=0-,5-0,
 *   5-1,..." amplification): the response is never larger than the file, and never costs more
 *   than `maxRanges` parts (§14.2 allows ignoring such sets; §17.15).
 * - an empty representation: Range ignored (§14.2 MAY), 200 with no content.
 */
export function decideRanges(lines: readonly string[], size: number, maxRanges: number): RangeDecision {
  if (lines.length !== 1) return IGNORE;
  const value = lines[0] as string;
  const eq = value.indexOf("=");
  // RFC 9110 §14.1: range units are compared case-insensitively.
  if (eq !== 5 || value.slice(0, 5).toLowerCase() !== "bytes") return IGNORE;
  if (size === 0) return IGNORE;
  const ranges: ByteRange[] = [];
  let specs = 0;
  let i = eq + 1;
  const n = value.length;
  for (;;) {
    // RFC 9110 §5.6.1: list elements are separated by "," with optional whitespace; empty
    // elements are allowed and skipped.
    while (i < n && (value[i] === " " || value[i] === "\t" || value[i] === ",")) i++;
    if (i >= n) break;
    if (++specs > maxRanges) return IGNORE;
    let first = -1;
    let last = -1;
    let suffix = -1;
    if (value[i] === "-") {
      i++;
      const start = i;
      while (i < n && isDigit(value.charCodeAt(i))) i++;
      if (i === start) return IGNORE;
      suffix = toNumber(value.slice(start, i));
    } else {
      const start = i;
      while (i < n && isDigit(value.charCodeAt(i))) i++;
      if (i === start || value[i] !== "-") return IGNORE;
      first = toNumber(value.slice(start, i));
      i++;
      const lastStart = i;
      while (i < n && isDigit(value.charCodeAt(i))) i++;
      if (i > lastStart) last = toNumber(value.slice(lastStart, i));
    }
    while (i < n && (value[i] === " " || value[i] === "\t")) i++;
    if (i < n && value[i] !== ",") return IGNORE;
    // §14.1.1: an int-range whose last is below its first is invalid.
    if (last !== -1 && last < first) return IGNORE;
    // §14.1.1: satisfiable when first-pos is below the length, or the suffix is non-zero;
    // unsatisfiable ranges are dropped from the set.
    if (suffix !== -1) {
      if (suffix > 0) ranges.push({ start: Math.max(0, size - suffix), end: size });
    } else if (first < size) {
      ranges.push({ start: first, end: last === -1 || last >= size ? size : last + 1 });
    }
  }
  if (specs === 0) return IGNORE;
  if (ranges.length === 0) return UNSATISFIABLE;
  if (ranges.length > 1 && overlapping(ranges)) return IGNORE;
  return { kind: "ranges", ranges };
}

function overlapping(ranges: readonly ByteRange[]): boolean {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (let k = 1; k < sorted.length; k++) {
    if ((sorted[k] as ByteRange).start < (sorted[k - 1] as ByteRange).end) return true;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * A decimal; past 2^53 it is inexact or Infinity, which still compares right against a length:
 * a huge first-pos is unsatisfiable, a huge last-pos or suffix means "to the end".
 */
function toNumber(digits: string): number {
  return Number(digits);
}
