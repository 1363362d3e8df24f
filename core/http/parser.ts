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
import { LINES_DONE, LINES_ERROR, LineReader, latin1 } from "./parser-lines.ts";
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

const CR = 0x0d;
const LF = 0x0a;
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");
const EMPTY = Buffer.alloc(0);

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

const HEAD_INCOMPLETE: ParseError = parseError("PLUGD_ERR_HTTP_HEAD_INCOMPLETE");

/**
 * Parses requests from a byte stream (one per connection). Messages follow one another: after
 * onMessageComplete the parser re-arms itself for the next request (pipelining).
 *
 * Events for one message: onHead, then onBody zero or more times, then onMessageComplete --
 * or onError at any point, after which nothing more is called. Body chunks and `head.raw` may
 * be views into the buffers passed to execute: a caller that reuses its input buffers must
 * copy them.
 *
 * pause() from a callback makes execute return right after that callback. An event still owed
 * for bytes already consumed (onMessageComplete of a body-less request paused in onHead) comes
 * from resume(), or from the next execute if resume() was called inside a callback. For
 * CONNECT the parser pauses itself after onHead (the bytes after the head belong to the
 * tunnel); resuming it goes on with onMessageComplete and the next request, for when the
 * CONNECT was refused and the connection stays HTTP.
 *
 * Callbacks must not call execute or finish. An exception thrown by a callback propagates out
 * of execute; the parser itself never throws on input.
 */
export class RequestParser {
  readonly #limits: ParserLimits;
  #events: ParserEvents;
  readonly #head: HeadBuilder;
  /** Heads and trailer sections that arrive in pieces. */
  readonly #lines: LineReader;
  readonly #chunk = new ChunkLine();
  #state = S_HEAD;
  #paused = false;
  /** Inside execute (callbacks then run from its loop, not from resume). */
  #executing = false;
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
    this.#lines = new LineReader(limits, this.#head);
  }

  /**
   * Hands an idle parser to another connection (connections that sit idle give theirs back to
   * a pool: an idle keep-alive connection then costs no parser). Drops the last head's bytes.
   */
  attach(events: ParserEvents): this {
    this.#events = events;
    this.#raw = EMPTY;
    return this;
  }

  /** True between messages with no partial head buffered. */
  get idle(): boolean {
    return this.#state === S_HEAD && this.#lines.buffered === 0 && this.#head.emptyLines === 0;
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

  /**
   * Undoes pause(). Outside execute, it also delivers what is owed for bytes already consumed
   * (onMessageComplete of a message whose head or body ended right where the parser paused),
   * so a caller with no bytes left need not call execute just for that.
   */
  resume(): void {
    this.#paused = false;
    if (!this.#executing && this.#state === S_COMPLETE) this.#complete();
  }

  /**
   * Feeds bytes. Returns how many were consumed: all of them, unless a callback paused the
   * parser (then up to the end of that event; feed the rest after resume()) or the input was
   * invalid (then the rest is ignored). Returns 0 while paused or dead.
   */
  execute(data: Buffer): number {
    if (this.#paused || this.#state === S_DEAD) return 0;
    this.#executing = true;
    try {
      return this.#run(data);
    } finally {
      this.#executing = false;
    }
  }

  #run(data: Buffer): number {
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
          if (this.#lines.buffered === 0 && pos + 1 < len && data[pos] === CR && data[pos + 1] === LF) {
            this.#state = S_COMPLETE;
            pos += 2;
          } else {
            pos = this.#readLines(data, pos);
          }
          break;
        case S_COMPLETE:
          this.#complete();
          break;
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
      if (this.#lines.buffered > 0) {
        this.#state = S_DEAD;
        this.#events.onError(HEAD_INCOMPLETE, this.#lines.take());
      }
    } else if (state >= S_LENGTH && state <= S_TRAILERS) {
      this.#fail("PLUGD_ERR_HTTP_BODY_INCOMPLETE", this.#raw, 0);
    }
  }

  #readHead(data: Buffer, pos: number): number {
    const len = data.length;
    if (this.#lines.buffered === 0) {
      // RFC 9112 §2.2: empty lines before a request line are ignored (clients send a stray
      // CRLF after a POST body), a few of them.
      while (pos + 1 < len && data[pos] === CR && data[pos + 1] === LF) {
        if (++this.#head.emptyLines > MAX_EMPTY_LINES) return this.#fail("PLUGD_ERR_HTTP_BAD_REQUEST_LINE", EMPTY, pos);
        pos += 2;
      }
      if (pos === len) return pos;
      const end = data.indexOf(CRLFCRLF, pos);
      if (end >= 0 && end + 4 - pos <= this.#limits.maxHeaderBytes) {
        // The whole head is here: check its bytes in place, decode it once for the strings.
        const stop = end + 4;
        const s = latin1.call(data, pos, stop);
        const head = this.#head;
        const lf = pos + s.indexOf("\n");
        const err = head.requestLine(data, s, pos, pos, lf);
        if (err !== undefined) return this.#fail(err, data.subarray(pos, stop), lf + 1);
        let a = lf + 1;
        // The first empty line is the one indexOf found (an earlier one would have matched).
        while (a < end + 2) {
          a = head.fieldLine(data, s, pos, a, stop);
          if (a < 0) return this.#fail(head.error, data.subarray(pos, stop), stop);
        }
        return this.#headDone(data.subarray(pos, stop), stop);
      }
    }
    return this.#readLines(data, pos);
  }

  /** A head or trailer section in pieces: buffer it, line by line. */
  #readLines(data: Buffer, pos: number): number {
    const lines = this.#lines;
    const next = lines.read(data, pos);
    if (lines.result === LINES_ERROR) return this.#fail(lines.error, this.#state === S_HEAD ? lines.take() : this.#raw, next);
    if (lines.result !== LINES_DONE) return next;
    if (this.#state === S_HEAD) return this.#headDone(lines.take(), next);
    this.#state = S_COMPLETE;
    return next;
  }

  #headDone(raw: Buffer, pos: number): number {
    const head = this.#head.build(raw);
    if (typeof head === "string") return this.#fail(head, raw, pos);
    this.#raw = raw;
    if (head.bodyKind === "chunked") {
      this.#state = S_CHUNK_LINE;
      this.#chunk.reset();
      this.#chunk.extBytes = 0;
      this.#bodyBytes = 0;
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
      // last-chunk: the trailer section follows (RFC 9112 §7.1.2). Trailers count toward the
      // same budget as the head (plus their final CRLF).
      this.#state = S_TRAILERS;
      this.#lines.begin(true, this.#limits.maxHeaderBytes - this.#raw.length + 2);
      return next;
    }
    // Refuse as soon as the declared sizes pass the limit, before reading the data.
    this.#bodyBytes += size;
    if (this.#bodyBytes > this.#limits.maxBodyBytes) return this.#fail("PLUGD_ERR_HTTP_BODY_TOO_LARGE", this.#raw, next);
    this.#remaining = size;
    this.#state = S_CHUNK_DATA;
    return next;
  }

  #complete(): void {
    const trailers = this.#head.takeTrailers();
    this.#nextMessage();
    this.#events.onMessageComplete(trailers);
  }

  #nextMessage(): void {
    this.#state = S_HEAD;
    this.#head.reset();
    this.#lines.begin(false, this.#limits.maxHeaderBytes);
    this.#raw = EMPTY;
  }

  #fail(code: ErrorCode, raw: Buffer, pos: number): number {
    this.#state = S_DEAD;
    this.#events.onError(parseError(code), raw);
    return pos;
  }
}
