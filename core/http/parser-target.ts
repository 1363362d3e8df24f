// The request line (RFC 9112 §3), request-target forms (RFC 9112 §3.2) and authorities
// (RFC 3986 §3.2, as used by Host in RFC 9110 §7.2). Pure functions over latin1 strings.
import type { ErrorCode } from "../errors.ts";
import type { TargetForm } from "./head.ts";
import { HEX, LOWER, REG_NAME, TCHAR } from "./parser-tables.ts";

const CR = 0x0d;
const SP = 0x20;

/** Where scanRequestLine found the parts of a line (indexes into the scanned string). */
export class RequestLineParts {
  methodEnd = 0;
  targetStart = 0;
  targetEnd = 0;
  /** Index of the first "?" in the target, or -1. */
  query = -1;
  /** The two version digits as char codes. */
  major = 0;
  minor = 0;
}

/**
 * Checks a request line left to right: `method SP request-target SP HTTP-version` (RFC 9112 §3).
 * b[a, end) is what has arrived. When `complete`, b[end] is the line's LF; otherwise the line is
 * still partial and the scan stops, without error, where the bytes run out.
 * Returns the first error in wire order, or undefined. Because the scan is strictly left to
 * right and only reports what no later byte can repair, the verdict on a prefix never
 * contradicts the verdict on the whole line: that is what lets the parser refuse an over-long
 * target (414) before the line ends, whatever the split of the input.
 */
export function scanRequestLine(
  b: Buffer,
  a: number,
  end: number,
  complete: boolean,
  maxTarget: number,
  out: RequestLineParts,
): ErrorCode | undefined {
  const tchar = TCHAR;
  let i = a;
  while (i < end && tchar[b[i] as number] === 1) i++;
  if (i === end) return lineEnd(complete);
  if (b[i] !== SP) return stop(b, i, end, complete, i === a ? "PLUGD_ERR_HTTP_BAD_REQUEST_LINE" : "PLUGD_ERR_HTTP_BAD_METHOD");
  // RFC 9112 §3: exactly one SP. A second SP would make an empty target; parsers that collapse
  // whitespace here disagree with ones that don't about where the target starts.
  if (i === a) return "PLUGD_ERR_HTTP_BAD_REQUEST_LINE";
  out.methodEnd = i;
  const t0 = ++i;
  // Scan at most maxTarget + 1 bytes: one more than the limit is enough to answer 414.
  const lim = end < t0 + maxTarget + 1 ? end : t0 + maxTarget + 1;
  let q = -1;
  let c = 0;
  while (i < lim) {
    c = b[i] as number;
    if (c <= SP || c >= 0x7f) break;
    // RFC 9112 §3.2: no form of request-target has a fragment; a client never sends one.
    if (c === 0x23) return "PLUGD_ERR_HTTP_BAD_TARGET";
    if (c === 0x3f && q < 0) q = i;
    i++;
  }
  if (i - t0 > maxTarget) return "PLUGD_ERR_HTTP_TARGET_TOO_LONG";
  if (i === end) return lineEnd(complete);
  if (c !== SP) return stop(b, i, end, complete, "PLUGD_ERR_HTTP_BAD_TARGET");
  if (i === t0) return "PLUGD_ERR_HTTP_BAD_REQUEST_LINE";
  out.targetStart = t0;
  out.targetEnd = i;
  out.query = q;
  // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
  const v0 = i + 1;
  for (let k = 0; k < 8; k++) {
    const j = v0 + k;
    if (j === end) return lineEnd(complete);
    c = b[j] as number;
    if (c === CR) return stop(b, j, end, complete, "PLUGD_ERR_HTTP_BAD_VERSION", "PLUGD_ERR_HTTP_BAD_VERSION");
    const ok = k < 5 ? c === VERSION_PREFIX[k] : k === 6 ? c === 0x2e : c >= 0x30 && c <= 0x39;
    if (!ok) return "PLUGD_ERR_HTTP_BAD_VERSION";
  }
  const j = v0 + 8;
  if (j === end) return lineEnd(complete);
  if (b[j] !== CR) return "PLUGD_ERR_HTTP_BAD_VERSION";
  if (j + 1 !== end) return "PLUGD_ERR_HTTP_BAD_LINE_ENDING";
  out.major = b[v0 + 5] as number;
  out.minor = b[v0 + 7] as number;
  return undefined;
}

const VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

/** The scan reached the end of what has arrived. */
function lineEnd(complete: boolean): ErrorCode | undefined {
  // Complete: b[end] is an LF not preceded by CR (a CR would have stopped the scan first).
  return complete ? "PLUGD_ERR_HTTP_BAD_LINE_ENDING" : undefined;
}

/** The scan stopped at b[i], a byte the current part cannot hold. */
function stop(
  b: Buffer,
  i: number,
  end: number,
  complete: boolean,
  code: ErrorCode,
  early: ErrorCode = "PLUGD_ERR_HTTP_BAD_REQUEST_LINE",
): ErrorCode | undefined {
  if (b[i] !== CR) return code;
  if (i + 1 < end) return "PLUGD_ERR_HTTP_BAD_LINE_ENDING"; // RFC 9112 §2.2: bare CR
  // CRLF ends the line here, too early (or, if partial, the LF may still come).
  return complete ? early : undefined;
}

/** The method s[a, b) as a constant string when it is a common one (saves an allocation). */
export function methodName(b: Buffer, a: number, end: number, s: string, off: number): string {
  const n = end - a;
  const c0 = b[a];
  if (n === 3 && c0 === 0x47 && b[a + 1] === 0x45 && b[a + 2] === 0x54) return "GET";
  if (n === 4 && c0 === 0x50 && b[a + 1] === 0x4f && b[a + 2] === 0x53 && b[a + 3] === 0x54) return "POST";
  if (n === 4 && c0 === 0x48 && b[a + 1] === 0x45 && b[a + 2] === 0x41 && b[a + 3] === 0x44) return "HEAD";
  if (n === 3 && c0 === 0x50 && b[a + 1] === 0x55 && b[a + 2] === 0x54) return "PUT";
  return s.slice(a - off, end - off);
}

/** What classifyTarget found. */
export class TargetParts {
  form: TargetForm = "origin";
  rawPath = "";
  query = "";
  /** The target's authority (absolute and authority form), else "". */
  authority = "";
}

/**
 * RFC 9112 §3.2: which form the target has, and whether the method allows it. origin-form for
 * any method but CONNECT; absolute-form (http/https) for any method but CONNECT; authority-form
 * only and always for CONNECT (§3.2.3); asterisk-form only for OPTIONS (§3.2.4).
 * `q` is the index of the first "?" in target, or -1.
 */
export function classifyTarget(method: string, target: string, q: number, out: TargetParts): ErrorCode | undefined {
  const c0 = target.charCodeAt(0);
  const connect = method === "CONNECT";
  if (c0 === 0x2f) {
    if (connect) return "PLUGD_ERR_HTTP_BAD_TARGET";
    out.form = "origin";
    out.authority = "";
    if (q < 0) {
      out.rawPath = target;
      out.query = "";
    } else {
      out.rawPath = target.slice(0, q);
      out.query = target.slice(q + 1);
    }
    return undefined;
  }
  if (connect) {
    // authority-form = uri-host ":" port; the port is required (RFC 9110 §9.3.6).
    if (!isAuthority(target, 0, target.length, true, false)) return "PLUGD_ERR_HTTP_BAD_TARGET";
    out.form = "authority";
    out.rawPath = "";
    out.query = "";
    out.authority = target;
    return undefined;
  }
  if (c0 === 0x2a && target.length === 1) {
    if (method !== "OPTIONS") return "PLUGD_ERR_HTTP_BAD_TARGET";
    out.form = "asterisk";
    out.rawPath = "/";
    out.query = "";
    out.authority = "";
    return undefined;
  }
  return absoluteForm(target, q, out);
}

/** absolute-form (RFC 9112 §3.2.2) with an http or https scheme (RFC 9110 §4.2). */
function absoluteForm(target: string, q: number, out: TargetParts): ErrorCode | undefined {
  let i = 0;
  if (!startsWithLower(target, "http")) return "PLUGD_ERR_HTTP_BAD_TARGET";
  i = 4;
  if (LOWER[target.charCodeAt(i)] === 0x73) i++; // "s"
  if (!target.startsWith("://", i)) return "PLUGD_ERR_HTTP_BAD_TARGET";
  const a0 = i + 3;
  let a1 = a0;
  while (a1 < target.length) {
    const c = target.charCodeAt(a1);
    if (c === 0x2f || c === 0x3f) break;
    a1++;
  }
  // RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid and MUST be rejected.
  // RFC 9110 §4.2.4: userinfo ("@") is deprecated and treated as an error: it has been used to
  // disguise the real host ("http://trusted.example@evil.example/").
  if (!isAuthority(target, a0, a1, false, false)) return "PLUGD_ERR_HTTP_BAD_TARGET";
  out.form = "absolute";
  out.authority = target.slice(a0, a1);
  if (q < 0) {
    // RFC 9110 §4.2.3: an empty path is equivalent to "/".
    out.rawPath = a1 === target.length ? "/" : target.slice(a1);
    out.query = "";
  } else {
    out.rawPath = a1 === q ? "/" : target.slice(a1, q);
    out.query = target.slice(q + 1);
  }
  return undefined;
}

function startsWithLower(s: string, prefix: string): boolean {
  if (s.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (LOWER[s.charCodeAt(i)] !== prefix.charCodeAt(i)) return false;
  return true;
}

/**
 * s[a, b) is `uri-host [":" port]` (RFC 3986 §3.2.2-3): IP-literal, or reg-name (which covers
 * IPv4address). `requirePort`: authority-form needs ":" 1*DIGIT. `allowEmptyHost`: RFC 9110
 * §7.2 lets a Host field be empty when the target has no authority. A port, when present
 * and non-empty, is at most 65535.
 */
export function isAuthority(s: string, a: number, b: number, requirePort: boolean, allowEmptyHost: boolean): boolean {
  let i = a;
  if (i < b && s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf("]", i);
    if (close < 0 || close >= b || !isIpLiteral(s, i + 1, close)) return false;
    i = close + 1;
  } else {
    while (i < b) {
      const c = s.charCodeAt(i);
      if (REG_NAME[c] === 1) i++;
      else if (c === 0x25 && i + 2 < b && HEX[s.charCodeAt(i + 1)] !== 255 && HEX[s.charCodeAt(i + 2)] !== 255) i += 3;
      else break;
    }
    if (i === a && !allowEmptyHost) return false;
  }
  if (i === b) return !requirePort;
  if (s.charCodeAt(i) !== 0x3a) return false;
  i++;
  if (i === b) return !requirePort; // RFC 3986 §3.2.3: port = *DIGIT
  if (b - i > 5) return false;
  let port = 0;
  for (; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
    port = port * 10 + (c - 0x30);
  }
  return port <= 65535;
}

/** IP-literal content (between the brackets): IPv6address or IPvFuture (RFC 3986 §3.2.2). */
function isIpLiteral(s: string, a: number, b: number): boolean {
  if (a < b && LOWER[s.charCodeAt(a)] === 0x76) {
    // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    let i = a + 1;
    while (i < b && HEX[s.charCodeAt(i)] !== 255) i++;
    if (i === a + 1 || i >= b || s.charCodeAt(i) !== 0x2e) return false;
    i++;
    if (i === b) return false;
    for (; i < b; i++) {
      const c = s.charCodeAt(i);
      if (REG_NAME[c] !== 1 && c !== 0x3a) return false;
    }
    return true;
  }
  return isIPv6(s, a, b);
}

/** RFC 3986 §3.2.2 IPv6address (no zone identifier). */
function isIPv6(s: string, a: number, b: number): boolean {
  if (b - a < 2) return false;
  let i = a;
  let groups = 0;
  let compressed = false;
  if (s.charCodeAt(i) === 0x3a) {
    if (s.charCodeAt(i + 1) !== 0x3a) return false;
    compressed = true;
    i += 2;
  }
  while (i < b) {
    let j = i;
    while (j < b && HEX[s.charCodeAt(j)] !== 255) j++;
    if (j < b && s.charCodeAt(j) === 0x2e) {
      // A trailing IPv4address stands for the last two groups.
      if (!isIPv4(s, i, b)) return false;
      groups += 2;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups++;
    i = j;
    if (i === b) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < b && s.charCodeAt(i) === 0x3a) {
      if (compressed) return false;
      compressed = true;
      i++;
    } else if (i === b) {
      return false;
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}

/** RFC 3986 §3.2.2 IPv4address: four dec-octets (no leading zeros). */
function isIPv4(s: string, a: number, b: number): boolean {
  let i = a;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= b || s.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
    const start = i;
    let value = 0;
    while (i < b && i - start < 3) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    const len = i - start;
    if (len === 0 || value > 255 || (len > 1 && s.charCodeAt(start) === 0x30)) return false;
  }
  return i === b;
}
