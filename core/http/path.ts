// Turning a request-target's path into the one path every plugin uses (DESIGN §8).
// Decoded exactly once, normalized, and never above "/". Everything that matches paths
// (auth patterns, file lookup, gateways) uses this value, so an encoding trick cannot make two
// plugins see two different paths.

/** Why a path was refused; the core answers 400 with PLUGD_ERR_HTTP_BAD_PATH. */
export type PathProblem =
  | "not-absolute"
  | "bad-percent"
  | "encoded-slash" // %2F, %5C: would let "a%2F..%2Fb" mean something else to the file system
  | "nul" // %00: truncates paths in C APIs
  | "control" // CR, LF and other controls: header and log injection
  | "bad-utf8" // invalid or overlong UTF-8 (CVE-2000-0884 class)
  | "above-root"; // ".." climbing past "/"

export type PathResult = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly problem: PathProblem };

const PERCENT = 0x25;
const SLASH = 0x2f;
const DOT = 0x2e;

const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes and normalizes `rawPath` (the part of an origin-form target before "?").
 * - percent-decoding happens once (RFC 3986 §2.1); "%252e" stays the literal "%2e".
 * - "%2F", "%5C", "%00", and any control character, raw or encoded, are refused.
 * - the bytes must be valid UTF-8; overlong forms are invalid UTF-8 and refused.
 * - dot-segments are removed (RFC 3986 §5.2.4) and repeated slashes merged (as nginx's
 *   merge_slashes); a ".." that would climb above "/" is refused rather than clamped,
 *   as nginx does (400), because a client that sends it is probing.
 * - a trailing slash is kept: "/dir/" and "/dir" mean different things to file servers.
 */
export function normalizePath(rawPath: string): PathResult {
  if (rawPath.charCodeAt(0) !== SLASH) return { ok: false, problem: "not-absolute" };
  let decoded = rawPath;
  if (rawPath.indexOf("%") !== -1) {
    const result = percentDecode(rawPath);
    if (typeof result !== "string") return result;
    decoded = result;
  } else {
    for (let i = 0; i < rawPath.length; i++) {
      const c = rawPath.charCodeAt(i);
      if (c < 0x20 || c === 0x7f) return { ok: false, problem: "control" };
      if (c === 0x5c) return { ok: false, problem: "encoded-slash" };
    }
  }
  if (!needsDotSegmentWork(decoded)) return { ok: true, path: decoded };
  return removeDotSegments(decoded);
}

function percentDecode(raw: string): string | { ok: false; problem: PathProblem } {
  const bytes = Buffer.allocUnsafe(raw.length);
  let n = 0;
  let nonAscii = false;
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i);
    if (c === PERCENT) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return { ok: false, problem: "bad-percent" };
      c = (hi << 4) | lo;
      i += 2;
      if (c === SLASH || c === 0x5c) return { ok: false, problem: "encoded-slash" };
      if (c === 0) return { ok: false, problem: "nul" };
    } else if (c === 0x5c) {
      // A raw backslash is a path separator on Windows and in some proxies; refuse it too.
      return { ok: false, problem: "encoded-slash" };
    }
    if (c < 0x20 || c === 0x7f) return { ok: false, problem: "control" };
    if (c >= 0x80) nonAscii = true;
    bytes[n++] = c;
  }
  if (!nonAscii) return bytes.toString("latin1", 0, n);
  try {
    return fatalDecoder.decode(bytes.subarray(0, n));
  } catch {
    return { ok: false, problem: "bad-utf8" };
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Fast check: only "//", "/." sequences need the slow path. */
function needsDotSegmentWork(path: string): boolean {
  for (let i = 0; i < path.length - 1; i++) {
    if (path.charCodeAt(i) === SLASH) {
      const next = path.charCodeAt(i + 1);
      if (next === SLASH || next === DOT) return true;
    }
  }
  return false;
}

function removeDotSegments(path: string): PathResult {
  const segments = path.split("/");
  const out: string[] = [];
  const last = segments.length - 1;
  let trailingSlash = false;
  for (let i = 1; i <= last; i++) {
    const seg = segments[i] as string;
    if (seg === "" || seg === ".") {
      trailingSlash = i === last;
      continue;
    }
    if (seg === "..") {
      if (out.length === 0) return { ok: false, problem: "above-root" };
      out.pop();
      trailingSlash = i === last;
      continue;
    }
    out.push(seg);
    trailingSlash = false;
  }
  const joined = "/" + out.join("/");
  return { ok: true, path: trailingSlash && out.length > 0 ? joined + "/" : joined };
}
