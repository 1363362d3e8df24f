// Line-level parsing of a request head: the request line, field lines and trailer lines, and the
// checks that need the whole head (Host, framing, Expect). Each line is checked on its bytes
// and its strings are sliced from the same bytes decoded as latin1. The parser feeds lines one
// at a time, in order, so nothing here depends on how the input was split.
import type { ErrorCode } from "../errors.ts";
import { HeaderFields, type RequestHead } from "./head.ts";
import { checkTransferEncoding, parseContentLength } from "./parser-framing.ts";
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
  TCHAR,
  knownName,
  listMatch,
} from "./parser-tables.ts";
import { RequestLineParts, TargetParts, classifyTarget, isAuthority, methodName, scanRequestLine } from "./parser-target.ts";

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;

/** RFC 9112 §2.2 asks servers to ignore "at least one" empty line before a request; a few more
 * are tolerated, an endless stream of them is not. */
export const MAX_EMPTY_LINES = 4;

/** Where a field line's parts are (buffer indexes). */
class FieldParts {
  nameEnd = 0;
  valueStart = 0;
  valueEnd = 0;
}

/**
 * Scans the field line starting at b[a] (RFC 9112 §5: `field-name ":" OWS field-value OWS CRLF`)
 * the quick way, assuming it is well formed. Returns the index after its CRLF, or -1 when the
 * line is anything but plain -- then scanField judges it precisely. The line's LF is before end.
 */
function quickField(b: Buffer, a: number, end: number, out: FieldParts): number {
  // Local copies of the tables: V8 re-loads imported bindings on every use in a loop.
  const tchar = TCHAR;
  const value = FIELD_VALUE;
  let i = a;
  while (i < end && tchar[b[i] as number] === 1) i++;
  if (i === a || b[i] !== 0x3a) return -1;
  out.nameEnd = i++;
  let c = b[i];
  while (c === SP || c === HTAB) c = b[++i];
  out.valueStart = i;
  while (i < end && value[b[i] as number] === 1) i++;
  if (b[i] !== CR || b[i + 1] !== LF) return -1;
  let ve = i;
  while (ve > out.valueStart && ((c = b[ve - 1]) === SP || c === HTAB)) ve--;
  out.valueEnd = ve;
  return i + 2;
}

/** Judges the field line b[a, lf) (lf: index of its LF, the line not empty) precisely. */
function scanField(b: Buffer, a: number, lf: number): ErrorCode | undefined {
  // RFC 9112 §2.2: a bare LF as line terminator is refused (we choose strict): parsers that
  // accept it and ones that don't split fields differently (CVE-2022-32214, CVE-2022-35256).
  if (b[lf - 1] !== CR) return "PLUGD_ERR_HTTP_BAD_LINE_ENDING";
  const e = lf - 1;
  const c0 = b[a];
  // RFC 9112 §5.2: obs-fold is refused with 400. A line starting with whitespace right after the
  // request line (RFC 9112 §2.2) is refused the same way: some parsers glue it to the previous
  // line, others read a new field (" Content-Length: 5" smuggling, CVE-2024-27982 in Node).
  if (c0 === SP || c0 === HTAB) return "PLUGD_ERR_HTTP_OBS_FOLD";
  let i = a;
  while (i < e && TCHAR[b[i] as number] === 1) i++;
  if (i === e) return "PLUGD_ERR_HTTP_BAD_HEADER_NAME"; // no colon
  const c = b[i];
  if (c !== 0x3a) {
    // Bare CR (RFC 9112 §2.2); Node once turned a CR in a name into "-" (CVE-2020-8201).
    if (c === CR) return "PLUGD_ERR_HTTP_BAD_LINE_ENDING";
    if (c === SP || c === HTAB) {
      let j = i;
      while (j < e && (b[j] === SP || b[j] === HTAB)) j++;
      // RFC 9112 §5.1: whitespace between name and colon MUST be rejected with 400: some
      // parsers strip it, others keep it in the name ("Transfer-Encoding : chunked" smuggling).
      if (j < e && b[j] === 0x3a) return "PLUGD_ERR_HTTP_SPACE_BEFORE_COLON";
    }
    return "PLUGD_ERR_HTTP_BAD_HEADER_NAME";
  }
  if (i === a) return "PLUGD_ERR_HTTP_BAD_HEADER_NAME"; // empty name
  for (i++; i < e; i++) {
    const v = b[i] as number;
    if (FIELD_VALUE[v] !== 1) return v === CR ? "PLUGD_ERR_HTTP_BAD_LINE_ENDING" : "PLUGD_ERR_HTTP_BAD_HEADER_VALUE";
  }
  return undefined; // well formed after all (quickField takes those, so not reached)
}

/** Accumulates one message's head (and then its trailers), line by line. Reused across messages. */
export class HeadBuilder {
  readonly #limits: ParserLimits;
  readonly #line = new RequestLineParts();
  readonly #target = new TargetParts();
  readonly #field = new FieldParts();

  /** The request line has been parsed. */
  lineDone = false;
  /** Set when fieldLine or trailerLine returns -1. */
  error: ErrorCode = "PLUGD_ERR_HTTP_BAD_HEADER_NAME";
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

  /** The request line b[a, lf); s holds the same bytes decoded, s[i - off] = b[i]. */
  requestLine(b: Buffer, s: string, off: number, a: number, lf: number): ErrorCode | undefined {
    const line = this.#line;
    const err = scanRequestLine(b, a, lf, true, this.#limits.maxTargetLength, line);
    if (err !== undefined) return err;
    // RFC 9112 §2.3: only 1.0 and 1.1 are HTTP/1.x versions we speak; a well-formed other
    // version gets 505 (RFC 9110 §15.6.6).
    if (line.major !== 0x31 || (line.minor !== 0x31 && line.minor !== 0x30)) return "PLUGD_ERR_HTTP_VERSION_NOT_SUPPORTED";
    this.#version = line.minor === 0x31 ? "1.1" : "1.0";
    this.#method = methodName(b, a, line.methodEnd, s, off);
    this.#targetText = s.slice(line.targetStart - off, line.targetEnd - off);
    const q = line.query < 0 ? -1 : line.query - line.targetStart;
    const err2 = classifyTarget(this.#method, this.#targetText, q, this.#target);
    if (err2 !== undefined) return err2;
    this.lineDone = true;
    return undefined;
  }

  /**
   * The header field line at b[a] (not the empty line), whose LF is before `end`; s holds the
   * same bytes decoded, s[i - off] = b[i]. Returns the index after the line, or -1 with `error`
   * set.
   */
  fieldLine(b: Buffer, s: string, off: number, a: number, end: number): number {
    const f = this.#field;
    const next = this.#scan(b, a, end, f);
    if (next < 0) return -1;
    if (++this.#count > this.#limits.maxHeaderCount) return this.#fail("PLUGD_ERR_HTTP_HEADERS_TOO_LARGE");
    const index = knownName(b, a, f.nameEnd);
    const name = index >= 0 ? (KNOWN_NAMES[index] as string) : s.slice(a - off, f.nameEnd - off).toLowerCase();
    const value = f.valueStart === f.valueEnd ? "" : s.slice(f.valueStart - off, f.valueEnd - off);
    this.#flat.push(name, value);
    if (index < 0) return next;
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
    return next;
  }

  /** A trailer field line, as fieldLine (RFC 9112 §7.1.2: same syntax as header fields). */
  trailerLine(b: Buffer, s: string, off: number, a: number, end: number): number {
    const f = this.#field;
    const next = this.#scan(b, a, end, f);
    if (next < 0) {
      if (this.error !== "PLUGD_ERR_HTTP_BAD_LINE_ENDING") this.error = "PLUGD_ERR_HTTP_BAD_TRAILER";
      return -1;
    }
    if (++this.#count > this.#limits.maxHeaderCount) return this.#fail("PLUGD_ERR_HTTP_HEADERS_TOO_LARGE");
    const index = knownName(b, a, f.nameEnd);
    const name = index >= 0 ? (KNOWN_NAMES[index] as string) : s.slice(a - off, f.nameEnd - off).toLowerCase();
    (this.#trailers ??= []).push(name, s.slice(f.valueStart - off, f.valueEnd - off));
    return next;
  }

  /** quickField, or on anything unusual the precise verdict of scanField. */
  #scan(b: Buffer, a: number, end: number, f: FieldParts): number {
    const next = quickField(b, a, end, f);
    if (next >= 0) return next;
    return this.#fail(scanField(b, a, b.indexOf(LF, a)) ?? "PLUGD_ERR_HTTP_BAD_HEADER_NAME");
  }

  #fail(code: ErrorCode): number {
    this.error = code;
    return -1;
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
      // RFC 9112 §6.3 (5), RFC 9110 §8.6: several Content-Length lines, even equal ones, are
      // refused: peers that take the first and peers that take the last frame the body
      // differently (CL.CL smuggling).
      if (this.#clCount > 1) return "PLUGD_ERR_HTTP_REPEATED_CONTENT_LENGTH";
      contentLength = parseContentLength(this.#cl);
      if (contentLength < 0) return "PLUGD_ERR_HTTP_BAD_CONTENT_LENGTH";
      bodyKind = "length";
    }
    if (te !== undefined) {
      // RFC 9112 §6.1: a 1.0 message with Transfer-Encoding MUST be treated as having faulty
      // framing (a 1.0 hop likely forwarded it without de-chunking).
      if (!v11) return "PLUGD_ERR_HTTP_TE_IN_HTTP10";
      // RFC 9112 §6.3 (3), §6.1: TE with CL "ought to be handled as an error": it is the CL.TE /
      // TE.CL request-smuggling pattern (in Node's own parser: CVE-2019-15605, CVE-2022-32215).
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
