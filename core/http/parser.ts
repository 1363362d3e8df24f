// The incremental, strict HTTP/1.1 request parser (RFC 9112). Pure: bytes in, events out.
//
// Heads are parsed line by line. When a whole head is in one input buffer (the usual case) it
// is decoded as latin1 once and its lines are sliced out of that string; otherwise the partial
// head is copied into a buffer (bounded by maxHeaderBytes) and each line is handled as its LF
// arrives. Both paths feed the same line functions in the same order, and every limit is
// decided at a fixed byte offset, so any split of the input gives the same events.
import { ERRORS, type ErrorCode } from "../errors.ts";
import { ChunkLine } from "./parser-chunk.ts";
import { HeadBuilder, MAX_EMPTY_LINES } from "./parser-head.ts";
import { RequestLineParts, scanRequestLine } from "./parser-target.ts";
import type { ParseError, ParserEvents, ParserLimits } from "./parser-types.ts";

const S_HEAD = 0;
const S_LENGTH = 1; // Content-Length body
const S_CHUNK_LINE = 2; // chunk-size [ chunk-ext ] CRLF
const S_CHUNK_DATA = 3;
const S_CHUNK_CR = 4; // the CRLF after chunk data
const S_CHUNK_LF = 5;
const S_TRAILERS = 6;
const S_COMPLETE = 7; // message complete, onMessageComplete not yet called
const S_DEAD = 8;

const LINE_OK = 0;
const LINE_END = 1; // the empty line ending the section
const LINE_SKIP = 2; // an empty line before the request line
const LINE_ERROR = 3;

const CR = 0x0d;
const LF = 0x0a;
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");
const EMPTY = Buffer.alloc(0);

/** Partial request lines are re-checked (for an early 414) every this many bytes. */
const RECHECK_STEP = 1024;

const PARSE_ERRORS = new Map<ErrorCode, ParseError>();

function parseError(code: ErrorCode): ParseError {
  let e = PARSE_ERRORS.get(code);
  if (e === undefined) {
    const spec = ERRORS[code];
    e = Object.freeze({ status: spec.status ?? 400, code, message: spec.summary });
    PARSE_ERRORS.set(code, e);
  }
  return e;
}

const HEAD_INCOMPLETE: ParseError = Object.freeze({
  status: 400,
  code: "PLUGD_ERR_HTTP_BAD_REQUEST_LINE",
  message: "Connection closed before the request head was complete",
});

/**
 * Parses requests from a byte stream (one per connection). Messages follow one another: after
 * onMessageComplete the parser re-arms itself for the next request (pipelining).
 *
 * Events for one message: onHead, then onBody zero or more times, then onMessageComplete --
 * or onError at any point, after which nothing more is called. Body chunks and `head.raw` may
 * be views into the buffers passed to execute: a caller that reuses its input buffers must
 * copy them.
 *
 * pause() from a callback makes execute return right after that callback; events still owed
 * for bytes already consumed (e.g. onMessageComplete of a body-less request paused in onHead)
 * come on the next execute after resume() -- so after resume(), call execute with the rest,
 * even if the rest is empty. For CONNECT the parser pauses itself after onHead (the bytes after
 * the head belong to the tunnel); resuming it continues with onMessageComplete and the next
 * request, for when the CONNECT was refused and the connection stays HTTP.
 *
 * Callbacks must not call execute or finish. An exception thrown by a callback propagates out
 * of execute; the parser itself never throws on input.
 */
export class RequestParser {
  readonly #limits: ParserLimits;
  readonly #events: ParserEvents;
  readonly #head: HeadBuilder;
  readonly #chunk = new ChunkLine();
  readonly #scratch = new RequestLineParts();
  #state = S_HEAD;
  #paused = false;
  #error: ErrorCode = "PLUGD_ERR_HTTP_BAD_REQUEST_LINE";
  /** Partial head (or trailer section) bytes. */
  #buf: Buffer = EMPTY;
  #buffered = 0;
  /** Start of the current line in #buf. */
  #lineStart = 0;
  /** Buffered length at which a partial request line is next checked. */
  #nextCheck = 0;
  /** Bytes the section being buffered (head or trailers) may take. */
  #sectionLimit: number;
  /** The current message's head bytes. */
  #raw: Buffer = EMPTY;
  /** Body bytes still expected (Content-Length, or the current chunk). */
  #remaining = 0;
  /** Chunked body bytes declared so far. */
  #bodyBytes = 0;

  constructor(limits: ParserLimits, events: ParserEvents) {
    this.#limits = limits;
    this.#events = events;
    this.#head = new HeadBuilder(limits);
    this.#sectionLimit = limits.maxHeaderBytes;
    this.#nextCheck = 1;
  }

  /** True between messages with no partial head buffered. */
  get idle(): boolean {
    return this.#state === S_HEAD && this.#buffered === 0 && this.#head.emptyLines === 0;
  }

  /** True while receiving a head: its first byte seen, the head not complete. */
  get inHead(): boolean {
    return this.#state === S_HEAD && !this.idle;
  }

  /** True while receiving a body (chunked trailers included). */
  get inBody(): boolean {
    return this.#state >= S_LENGTH && this.#state <= S_TRAILERS;
  }

  /** True after onError. */
  get dead(): boolean {
    return this.#state === S_DEAD;
  }

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  /**
   * Feeds bytes. Returns how many were consumed: all of them, unless a callback paused the
   * parser (then up to the end of that event; feed the rest after resume()) or the input was
   * invalid (then the rest is ignored). Returns 0 while paused or dead.
   */
  execute(data: Buffer): number {
    if (this.#paused || this.#state === S_DEAD) return 0;
    const len = data.length;
    let pos = 0;
    for (;;) {
      switch (this.#state) {
        case S_HEAD:
          if (pos === len) return pos;
          pos = this.#readHead(data, pos);
          break;
        case S_LENGTH:
        case S_CHUNK_DATA: {
          if (pos === len) return pos;
          const n = this.#remaining < len - pos ? this.#remaining : len - pos;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = this.#state === S_LENGTH ? S_COMPLETE : S_CHUNK_CR;
          // Slices of the input: no copy.
          this.#events.onBody(data.subarray(pos, pos + n));
          pos += n;
          break;
        }
        case S_CHUNK_LINE:
          if (pos === len) return pos;
          pos = this.#readChunkLine(data, pos);
          break;
        case S_CHUNK_CR:
        case S_CHUNK_LF:
          if (pos === len) return pos;
          // RFC 9112 §7.1: chunk-data is followed by exactly CRLF. Anything else means the
          // size lied, and guessing where the next chunk starts is how TE.CL smuggling works.
          if (data[pos] !== (this.#state === S_CHUNK_CR ? CR : LF)) return this.#fail("PLUGD_ERR_HTTP_BAD_CHUNK", this.#raw, pos);
          this.#state = this.#state === S_CHUNK_CR ? S_CHUNK_LF : S_CHUNK_LINE;
          pos++;
          break;
        case S_TRAILERS:
          if (pos === len) return pos;
          if (this.#buffered === 0 && pos + 1 < len && data[pos] === CR && data[pos + 1] === LF) {
            this.#state = S_COMPLETE;
            pos += 2;
          } else {
            pos = this.#readLines(data, pos);
          }
          break;
        case S_COMPLETE: {
          const trailers = this.#head.takeTrailers();
          this.#nextMessage();
          this.#events.onMessageComplete(trailers);
          break;
        }
        default:
          return pos;
      }
      if (this.#paused) return pos;
    }
  }

  /**
   * The peer closed its side. Mid-head -> 400, mid-body -> PLUGD_ERR_HTTP_BODY_INCOMPLETE;
   * between messages (or after a complete one) nothing happens.
   */
  finish(): void {
    const state = this.#state;
    if (state === S_HEAD) {
      if (this.#buffered > 0) {
        this.#state = S_DEAD;
        this.#events.onError(HEAD_INCOMPLETE, this.#copyBuffered());
      }
    } else if (state >= S_LENGTH && state <= S_TRAILERS) {
      this.#fail("PLUGD_ERR_HTTP_BODY_INCOMPLETE", this.#raw, 0);
    }
  }

  #readHead(data: Buffer, pos: number): number {
    const len = data.length;
    if (this.#buffered === 0) {
      // RFC 9112 §2.2: empty lines before a request line are ignored (clients send a stray
      // CRLF after a POST body), a few of them.
      while (pos + 1 < len && data[pos] === CR && data[pos + 1] === LF) {
        if (++this.#head.emptyLines > MAX_EMPTY_LINES) return this.#fail("PLUGD_ERR_HTTP_BAD_REQUEST_LINE", EMPTY, pos);
        pos += 2;
      }
      if (pos === len) return pos;
      const end = data.indexOf(CRLFCRLF, pos);
      if (end >= 0 && end + 4 - pos <= this.#limits.maxHeaderBytes) {
        // The whole head is here: decode it once and slice lines out of the string.
        const stop = end + 4;
        const s = data.toString("latin1", pos, stop);
        const raw = data.subarray(pos, stop);
        let a = 0;
        for (;;) {
          const lf = s.indexOf("\n", a);
          const r = this.#line(s, a, lf);
          if (r === LINE_END) return this.#headDone(raw, stop);
          if (r !== LINE_OK) return this.#fail(this.#error, raw, pos + lf + 1);
          a = lf + 1;
        }
      }
    }
    return this.#readLines(data, pos);
  }

  /** Buffers a partial head or trailer section, handling each line as its LF arrives. */
  #readLines(data: Buffer, pos: number): number {
    const len = data.length;
    const limit = this.#sectionLimit;
    while (pos < len) {
      const lf = data.indexOf(LF, pos);
      const stop = lf < 0 ? len : lf + 1;
      const room = limit + 1 - this.#buffered;
      const n = stop - pos < room ? stop - pos : room;
      this.#append(data, pos, n);
      pos += n;
      // The section is over its limit at a fixed offset, whatever the split.
      if (this.#buffered > limit) return this.#tooLarge(pos);
      if (lf < 0) return this.#checkPartial(pos);
      const s = this.#buf.toString("latin1", this.#lineStart, this.#buffered);
      const r = this.#line(s, 0, s.length - 1);
      if (r === LINE_OK) {
        this.#lineStart = this.#buffered;
      } else if (r === LINE_SKIP) {
        this.#buffered = 0;
      } else if (r === LINE_END) {
        if (this.#state === S_TRAILERS) {
          this.#buffered = 0;
          this.#lineStart = 0;
          this.#state = S_COMPLETE;
          return pos;
        }
        return this.#headDone(this.#copyBuffered(), pos);
      } else {
        return this.#fail(this.#error, this.#copyBuffered(), pos);
      }
    }
    return pos;
  }

  /** One complete line s[a, lf) of the head or trailers (lf: index of its LF). */
  #line(s: string, a: number, lf: number): number {
    const head = this.#head;
    const empty = lf - a === 1 && s.charCodeAt(a) === CR;
    let err: ErrorCode | undefined;
    if (this.#state === S_TRAILERS) {
      if (empty) return LINE_END;
      err = lf === a ? "PLUGD_ERR_HTTP_BAD_LINE_ENDING" : head.trailerLine(s, a, lf);
    } else if (!head.lineDone) {
      if (empty) {
        if (++head.emptyLines <= MAX_EMPTY_LINES) return LINE_SKIP;
        err = "PLUGD_ERR_HTTP_BAD_REQUEST_LINE";
      } else {
        err = head.requestLine(s, a, lf);
      }
    } else {
      if (empty) return LINE_END;
      err = lf === a ? "PLUGD_ERR_HTTP_BAD_LINE_ENDING" : head.fieldLine(s, a, lf);
    }
    if (err === undefined) return LINE_OK;
    this.#error = err;
    return LINE_ERROR;
  }

  /**
   * A request line still without its LF: look at what has come so far, so that a garbage line
   * (a TLS hello on a plain port) or an over-long target (414) is refused without waiting for
   * the rest. Only prefixes of fixed lengths are judged (1, 2, 4, ..., then around
   * maxTargetLength, then every RECHECK_STEP bytes): the verdict then depends on the bytes, not
   * on how they were split, and the work stays linear.
   */
  #checkPartial(pos: number): number {
    if (this.#state !== S_HEAD || this.#head.lineDone || this.#buffered < this.#nextCheck) return pos;
    let t = this.#nextCheck;
    for (let next = this.#after(t); next <= this.#buffered; next = this.#after(t)) t = next;
    this.#nextCheck = this.#after(t);
    // A prefix's first error is the whole line's first error (scanRequestLine reads left to
    // right), so judging the longest checkpoint reached is the same as judging each one.
    const s = this.#buf.toString("latin1", 0, t);
    const err = scanRequestLine(s, 0, t, false, this.#limits.maxTargetLength, this.#scratch);
    return err === undefined ? pos : this.#fail(err, this.#copyBuffered(), pos);
  }

  /** The checkpoint after t. */
  #after(t: number): number {
    // The first length where 414 is possible ("M" SP + maxTargetLength + 1), then that plus
    // 16 (414 for any method up to 17 chars is known by maxTargetLength + ~20 bytes).
    const first414 = this.#limits.maxTargetLength + 3;
    if (t < first414) return Math.min(2 * t, first414);
    return t < first414 + 16 ? first414 + 16 : t + RECHECK_STEP;
  }

  /** The section passed its byte limit (the buffer holds limit + 1 bytes). */
  #tooLarge(pos: number): number {
    let err: ErrorCode | undefined;
    if (this.#state === S_HEAD && !this.#head.lineDone) {
      // The request line alone is over the limit: judge exactly its first maxHeaderBytes bytes,
      // which tells an over-long target (414) or garbage from a merely huge head (431).
      const limit = this.#sectionLimit;
      const s = this.#buf.toString("latin1", 0, limit);
      err = scanRequestLine(s, 0, limit, false, this.#limits.maxTargetLength, this.#scratch);
    }
    return this.#fail(err ?? "PLUGD_ERR_HTTP_HEADERS_TOO_LARGE", this.#copyBuffered(), pos);
  }

  #headDone(raw: Buffer, pos: number): number {
    const head = this.#head.build(raw);
    if (typeof head === "string") return this.#fail(head, raw, pos);
    this.#raw = raw;
    this.#buffered = 0;
    this.#lineStart = 0;
    if (head.bodyKind === "chunked") {
      this.#state = S_CHUNK_LINE;
      this.#chunk.reset();
      this.#chunk.extBytes = 0;
      this.#bodyBytes = 0;
      // RFC 9112 §7.1.2: trailers count toward the same budget as the head (plus their CRLF).
      this.#sectionLimit = this.#limits.maxHeaderBytes - raw.length + 2;
    } else if (head.bodyKind === "length" && head.contentLength > 0) {
      this.#state = S_LENGTH;
      this.#remaining = head.contentLength;
    } else {
      this.#state = S_COMPLETE;
    }
    this.#events.onHead(head);
    if (this.#head.isConnect) this.#paused = true;
    return pos;
  }

  #readChunkLine(data: Buffer, pos: number): number {
    const chunk = this.#chunk;
    const next = chunk.feed(data, pos);
    if (next < 0) return this.#fail(chunk.error ?? "PLUGD_ERR_HTTP_BAD_CHUNK", this.#raw, pos);
    if (!chunk.done) return next;
    const size = chunk.size;
    chunk.reset();
    if (size === 0) {
      // last-chunk: the trailer section follows (RFC 9112 §7.1.2).
      this.#state = S_TRAILERS;
      this.#buffered = 0;
      this.#lineStart = 0;
      return next;
    }
    // Refuse as soon as the declared sizes pass the limit, before reading the data.
    this.#bodyBytes += size;
    if (this.#bodyBytes > this.#limits.maxBodyBytes) return this.#fail("PLUGD_ERR_HTTP_BODY_TOO_LARGE", this.#raw, next);
    this.#remaining = size;
    this.#state = S_CHUNK_DATA;
    return next;
  }

  #nextMessage(): void {
    this.#state = S_HEAD;
    // Keep a small head buffer for the next split head; give a big one back.
    if (this.#buf.length > 4096) this.#buf = EMPTY;
    this.#head.reset();
    this.#raw = EMPTY;
    this.#buffered = 0;
    this.#lineStart = 0;
    this.#nextCheck = 1;
    this.#sectionLimit = this.#limits.maxHeaderBytes;
  }

  #append(data: Buffer, pos: number, n: number): void {
    const need = this.#buffered + n;
    if (need > this.#buf.length) {
      const grown = Math.min(Math.max(256, 2 * this.#buf.length, need), this.#limits.maxHeaderBytes + 1);
      const buf = Buffer.allocUnsafe(Math.max(grown, need));
      this.#buf.copy(buf, 0, 0, this.#buffered);
      this.#buf = buf;
    }
    data.copy(this.#buf, this.#buffered, pos, pos + n);
    this.#buffered = need;
  }

  #copyBuffered(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#buffered));
  }

  #fail(code: ErrorCode, raw: Buffer, pos: number): number {
    this.#state = S_DEAD;
    this.#events.onError(parseError(code), raw);
    return pos;
  }
}
