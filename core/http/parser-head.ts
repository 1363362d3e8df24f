// Line-level parsing of a request head: the request line, field lines and trailer lines, and the
// checks that need the whole head (Host, framing, Expect). Lines arrive as latin1 strings; the
// parser feeds them one at a time, so nothing here depends on how the input was split.
import type { ErrorCode } from "../errors.ts";
import { HeaderFields, type RequestHead } from "./head.ts";
import type { ParserLimits } from "./parser-types.ts";
import {
  FIELD_CONNECTION,
  FIELD_CONTENT_LENGTH,
  FIELD_EXPECT,
  FIELD_HOST,
  FIELD_TRANSFER_ENCODING,
  FIELD_VALUE,
  KNOWN_KINDS,
  KNOWN_NAMES,
  LOWER,
  QDTEXT,
  TCHAR,
  knownName,
  listMatch,
} from "./parser-tables.ts";
import { RequestLineParts, TargetParts, classifyTarget, isAuthority, scanRequestLine } from "./parser-target.ts";

const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;

/** RFC 9112 §2.2 asks servers to ignore "at least one" empty line before a request; a few more
 * are tolerated, an endless stream of them is not. */
export const MAX_EMPTY_LINES = 4;

/** Content-Length digits: 15 decimal digits stay exact in a double and exceed any real body. */
const MAX_CONTENT_LENGTH_DIGITS = 15;

/** Where scanField found a field line's parts. */
class FieldParts {
  nameEnd = 0;
  valueStart = 0;
  valueEnd = 0;
}

/**
 * Checks a field line s[a, lf) (lf is the index of its LF; the line is not empty) against
 * RFC 9112 §5: `field-name ":" OWS field-value OWS CRLF`.
 */
function scanField(s: string, a: number, lf: number, out: FieldParts): ErrorCode | undefined {
  // RFC 9112 §2.2: a bare LF as line terminator is refused (we choose strict): parsers that
  // accept it and ones that don't split fields differently (CVE-2022-32214, CVE-2022-35256).
  if (s.charCodeAt(lf - 1) !== CR) return "PLUGD_ERR_HTTP_BAD_LINE_ENDING";
  const e = lf - 1;
  const c0 = s.charCodeAt(a);
  // RFC 9112 §5.2: obs-fold is refused with 400. A line starting with whitespace right after the
  // request line (RFC 9112 §2.2) is refused the same way: some parsers glue it to the previous
  // line, others read a new field (" Content-Length: 5" smuggling, CVE-2024-27982 in Node).
  if (c0 === SP || c0 === HTAB) return "PLUGD_ERR_HTTP_OBS_FOLD";
  let i = a;
  while (i < e && TCHAR[s.charCodeAt(i)] === 1) i++;
  if (i === e) return "PLUGD_ERR_HTTP_BAD_HEADER_NAME"; // no colon
  const c = s.charCodeAt(i);
  if (c !== 0x3a) {
    // Bare CR (RFC 9112 §2.2); Node once turned a CR in a name into "-" (CVE-2020-8201).
    if (c === CR) return "PLUGD_ERR_HTTP_BAD_LINE_ENDING";
    if (c === SP || c === HTAB) {
      let j = i;
      while (j < e && (s.charCodeAt(j) === SP || s.charCodeAt(j) === HTAB)) j++;
      // RFC 9112 §5.1: whitespace between name and colon MUST be rejected with 400: some
      // parsers strip it, others keep it in the name ("Transfer-Encoding : chunked" smuggling).
      if (j < e && s.charCodeAt(j) === 0x3a && i > a) return "PLUGD_ERR_HTTP_SPACE_BEFORE_COLON";
    }
    return "PLUGD_ERR_HTTP_BAD_HEADER_NAME";
  }
  if (i === a) return "PLUGD_ERR_HTTP_BAD_HEADER_NAME"; // empty name
  out.nameEnd = i;
  i++;
  while (i < e && (s.charCodeAt(i) === SP || s.charCodeAt(i) === HTAB)) i++;
  out.valueStart = i;
  for (; i < e; i++) {
    const v = s.charCodeAt(i);
    if (FIELD_VALUE[v] !== 1) return v === CR ? "PLUGD_ERR_HTTP_BAD_LINE_ENDING" : "PLUGD_ERR_HTTP_BAD_HEADER_VALUE";
  }
  let ve = e;
  while (ve > out.valueStart && (s.charCodeAt(ve - 1) === SP || s.charCodeAt(ve - 1) === HTAB)) ve--;
  out.valueEnd = ve;
  return undefined;
}

/** Accumulates one message's head (and then its trailers), line by line. Reused across messages. */
export class HeadBuilder {
  readonly #limits: ParserLimits;
  readonly #line = new RequestLineParts();
  readonly #target = new TargetParts();
  readonly #field = new FieldParts();

  /** The request line has been parsed. */
  lineDone = false;
  /** Empty lines skipped before the request line. */
  emptyLines = 0;
  #method = "";
  #targetText = "";
  #version: "1.0" | "1.1" = "1.1";
  #flat: string[] = [];
  #hostCount = 0;
  #host = "";
  #clCount = 0;
  #cl = "";
  #te: string[] | undefined;
  #close = false;
  #keepAlive = false;
  #expect: string[] | undefined;
  /** Field lines so far (head and trailers). */
  #count = 0;
  #trailers: string[] | undefined;

  constructor(limits: ParserLimits) {
    this.#limits = limits;
  }

  get isConnect(): boolean {
    return this.#method === "CONNECT";
  }

  /** Forget the previous message. */
  reset(): void {
    this.lineDone = false;
    this.emptyLines = 0;
    this.#flat = [];
    this.#hostCount = 0;
    this.#host = "";
    this.#clCount = 0;
    this.#cl = "";
    this.#te = undefined;
    this.#close = false;
    this.#keepAlive = false;
    this.#expect = undefined;
    this.#count = 0;
    this.#trailers = undefined;
  }

  /** The request line s[a, lf). */
  requestLine(s: string, a: number, lf: number): ErrorCode | undefined {
    const line = this.#line;
    const err = scanRequestLine(s, a, lf, true, this.#limits.maxTargetLength, line);
    if (err !== undefined) return err;
    // RFC 9112 §2.3: only 1.0 and 1.1 are HTTP/1.x versions we speak; a well-formed other
    // version gets 505 (RFC 9110 §15.6.6).
    if (line.major !== 0x31 || (line.minor !== 0x31 && line.minor !== 0x30)) return "PLUGD_ERR_HTTP_VERSION_NOT_SUPPORTED";
    this.#version = line.minor === 0x31 ? "1.1" : "1.0";
    this.#method = s.slice(a, line.methodEnd);
    this.#targetText = s.slice(line.targetStart, line.targetEnd);
    const q = line.query < 0 ? -1 : line.query - line.targetStart;
    const err2 = classifyTarget(this.#method, this.#targetText, q, this.#target);
    if (err2 !== undefined) return err2;
    this.lineDone = true;
    return undefined;
  }

  /** A header field line s[a, lf) (not the empty line). */
  fieldLine(s: string, a: number, lf: number): ErrorCode | undefined {
    const f = this.#field;
    const err = scanField(s, a, lf, f);
    if (err !== undefined) return err;
    if (++this.#count > this.#limits.maxHeaderCount) return "PLUGD_ERR_HTTP_HEADERS_TOO_LARGE";
    const index = knownName(s, a, f.nameEnd);
    const name = index >= 0 ? (KNOWN_NAMES[index] as string) : s.slice(a, f.nameEnd).toLowerCase();
    const value = s.slice(f.valueStart, f.valueEnd);
    this.#flat.push(name, value);
    if (index < 0) return undefined;
    switch (KNOWN_KINDS[index]) {
      case FIELD_HOST:
        this.#hostCount++;
        this.#host = value;
        break;
      case FIELD_CONTENT_LENGTH:
        this.#clCount++;
        this.#cl = value;
        break;
      case FIELD_TRANSFER_ENCODING:
        (this.#te ??= []).push(value);
        break;
      case FIELD_CONNECTION:
        // RFC 9112 §9.3: connection options are case-insensitive tokens in a list.
        if ((listMatch(value, "close") & 1) !== 0) this.#close = true;
        if ((listMatch(value, "keep-alive") & 1) !== 0) this.#keepAlive = true;
        break;
      case FIELD_EXPECT:
        (this.#expect ??= []).push(value);
        break;
    }
    return undefined;
  }

  /** A trailer field line s[a, lf) (RFC 9112 §7.1.2: same syntax as header fields). */
  trailerLine(s: string, a: number, lf: number): ErrorCode | undefined {
    const f = this.#field;
    const err = scanField(s, a, lf, f);
    if (err !== undefined) return err === "PLUGD_ERR_HTTP_BAD_LINE_ENDING" ? err : "PLUGD_ERR_HTTP_BAD_TRAILER";
    if (++this.#count > this.#limits.maxHeaderCount) return "PLUGD_ERR_HTTP_HEADERS_TOO_LARGE";
    const index = knownName(s, a, f.nameEnd);
    const name = index >= 0 ? (KNOWN_NAMES[index] as string) : s.slice(a, f.nameEnd).toLowerCase();
    (this.#trailers ??= []).push(name, s.slice(f.valueStart, f.valueEnd));
    return undefined;
  }

  /** The trailer fields received, if any. */
  takeTrailers(): HeaderFields | undefined {
    const t = this.#trailers;
    this.#trailers = undefined;
    return t === undefined ? undefined : new HeaderFields(t);
  }

  /** The head is complete: the checks that need all fields, then the RequestHead (or an error). */
  build(raw: Buffer): RequestHead | ErrorCode {
    const v11 = this.#version === "1.1";
    const form = this.#target.form;
    // RFC 9112 §3.2: 400 for a 1.1 request without Host, and for any request with more than one
    // Host line or an invalid one. Two Hosts let a proxy and an origin pick different ones
    // (host-header confusion, cache poisoning).
    if (this.#hostCount > 1) return "PLUGD_ERR_HTTP_REPEATED_HOST";
    if (this.#hostCount === 0 && v11) return "PLUGD_ERR_HTTP_MISSING_HOST";
    const host = this.#host;
    // RFC 9110 §7.2: Host is empty only when the target has no authority; origin-form and
    // asterisk-form targets rely on Host for it, so there it must name a host.
    if (this.#hostCount === 1 && !isAuthority(host, 0, host.length, false, form === "absolute" || form === "authority")) {
      return "PLUGD_ERR_HTTP_BAD_HOST";
    }
    let bodyKind: "none" | "length" | "chunked" = "none";
    let contentLength = 0;
    const te = this.#te;
    if (this.#clCount > 0) {
      // RFC 9112 §6.3 (5): several Content-Length lines, even equal ones, are refused: peers that
      // take the first and peers that take the last frame the body differently (CL.CL smuggling).
      if (this.#clCount > 1) return "PLUGD_ERR_HTTP_REPEATED_CONTENT_LENGTH";
      contentLength = parseContentLength(this.#cl);
      if (contentLength < 0) return "PLUGD_ERR_HTTP_BAD_CONTENT_LENGTH";
      bodyKind = "length";
    }
    if (te !== undefined) {
      // RFC 9112 §6.1: a 1.0 recipient cannot know TE; a 1.0 request carrying it is refused
      // since an intermediary may have framed it differently.
      if (!v11) return "PLUGD_ERR_HTTP_TE_IN_HTTP10";
      // RFC 9112 §6.1: TE with CL "ought to be handled as an error": it is the CL.TE / TE.CL
      // request-smuggling pattern (in Node's own parser: CVE-2019-15605, CVE-2022-32215).
      if (this.#clCount > 0) return "PLUGD_ERR_HTTP_CL_AND_TE";
      const err = checkTransferEncoding(te);
      if (err !== undefined) return err;
      bodyKind = "chunked";
    }
    const connect = this.isConnect;
    // RFC 9110 §9.3.6: a CONNECT request has no content. Framing on one means a front end may
    // forward "body" bytes that we would take as tunnel data: refuse rather than guess.
    if (connect && bodyKind === "chunked") return "PLUGD_ERR_HTTP_BAD_TRANSFER_ENCODING";
    if (connect && contentLength > 0) return "PLUGD_ERR_HTTP_BAD_CONTENT_LENGTH";
    let expectContinue = false;
    // RFC 9110 §10.1.1: a 100-continue expectation in 1.0 MUST be ignored; any other
    // expectation may be answered with 417.
    if (this.#expect !== undefined && v11) {
      for (const value of this.#expect) {
        const m = listMatch(value, "100-continue");
        if ((m & 2) !== 0) return "PLUGD_ERR_HTTP_EXPECTATION_FAILED";
        if (m !== 0) expectContinue = true;
      }
    }
    if (bodyKind === "length" && contentLength > this.#limits.maxBodyBytes) return "PLUGD_ERR_HTTP_BODY_TOO_LARGE";
    const target = this.#target;
    return {
      method: this.#method,
      target: this.#targetText,
      targetForm: form,
      version: this.#version,
      headers: new HeaderFields(this.#flat),
      rawPath: target.rawPath,
      query: target.query,
      authority: form === "origin" || form === "asterisk" ? host : target.authority,
      bodyKind: connect ? "none" : bodyKind,
      contentLength: connect ? 0 : contentLength,
      // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
      keepAlive: !this.#close && (v11 || this.#keepAlive),
      expectContinue,
      raw,
    };
  }
}

/** RFC 9110 §8.6: Content-Length = 1*DIGIT. Returns -1 unless the value is exactly that. */
function parseContentLength(v: string): number {
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
function checkTransferEncoding(values: readonly string[]): ErrorCode | undefined {
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
