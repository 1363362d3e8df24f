// The parser's slow path: a head (or trailer section) that arrives in pieces is copied into a
// buffer bounded by its byte limit, and each line is handed to the HeadBuilder as its LF
// arrives -- the same line functions, in the same order, as for a head that arrives whole.
import type { ErrorCode } from "../errors.ts";
import { type HeadBuilder, MAX_EMPTY_LINES } from "./parser-head.ts";
import { RequestLineParts, scanRequestLine } from "./parser-target.ts";
import type { ParserLimits } from "./parser-types.ts";

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/** Buffer#latin1Slice: what toString("latin1", a, b) calls, minus its argument checks. */
export const latin1 = (Buffer.prototype as unknown as { latin1Slice(this: Buffer, a: number, b: number): string }).latin1Slice;

/** Partial request lines are re-checked (for an early 414) every this many bytes. */
const RECHECK_STEP = 1024;

/** What the last read() ended with. */
export const LINES_MORE = 0;
export const LINES_DONE = 1; // the empty line: the section is complete
export const LINES_ERROR = 2;

export class LineReader {
  readonly #limits: ParserLimits;
  readonly #head: HeadBuilder;
  readonly #scratch = new RequestLineParts();
  #buf: Buffer = EMPTY;
  #buffered = 0;
  /** Start of the current line in #buf. */
  #lineStart = 0;
  /** Buffered length at which a partial request line is next checked. */
  #nextCheck = 1;
  /** Bytes the section may take. */
  #limit: number;
  #trailers = false;
  result = LINES_MORE;
  error: ErrorCode = "PLUGD_ERR_HTTP_BAD_REQUEST_LINE";

  constructor(limits: ParserLimits, head: HeadBuilder) {
    this.#limits = limits;
    this.#head = head;
    this.#limit = limits.maxHeaderBytes;
  }

  /** Bytes of the section buffered so far. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Starts a section: the head (limit maxHeaderBytes) or trailers (the given limit). */
  begin(trailers: boolean, limit: number): void {
    // Keep a small buffer for the next split section; give a big one back.
    if (this.#buf.length > 4096) this.#buf = EMPTY;
    this.#buffered = 0;
    this.#lineStart = 0;
    this.#nextCheck = 1;
    this.#trailers = trailers;
    this.#limit = limit;
  }

  /** The buffered bytes (a copy), e.g. the head just completed. */
  take(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#buffered));
  }

  /** Consumes data from pos up to the end of the section or of data; then see `result`. */
  read(data: Buffer, pos: number): number {
    const len = data.length;
    const limit = this.#limit;
    this.result = LINES_MORE;
    while (pos < len) {
      const lf = data.indexOf(LF, pos);
      const stop = lf < 0 ? len : lf + 1;
      const room = limit + 1 - this.#buffered;
      const n = stop - pos < room ? stop - pos : room;
      this.#append(data, pos, n);
      pos += n;
      // The section is over its limit at a fixed offset, whatever the split.
      if (this.#buffered > limit) return this.#fail(this.#tooLarge(), pos);
      if (lf < 0) return this.#fail(this.#checkPartial(), pos);
      const err = this.#line();
      if (err === "") {
        this.result = LINES_DONE;
        return pos;
      }
      if (err !== undefined) return this.#fail(err, pos);
    }
    return pos;
  }

  /** The complete line buffered at #lineStart (its LF is the last buffered byte): an error,
   * "" for the empty line that ends the section, or undefined. */
  #line(): ErrorCode | "" | undefined {
    const b = this.#buf;
    const a = this.#lineStart;
    const lf = this.#buffered - 1;
    const head = this.#head;
    const empty = lf - a === 1 && b[a] === CR;
    this.#lineStart = this.#buffered;
    if (!this.#trailers && !head.lineDone) {
      if (!empty) return head.requestLine(b, latin1.call(b, a, lf), a, a, lf);
      // RFC 9112 §2.2: a few empty lines before the request line are ignored.
      if (++head.emptyLines > MAX_EMPTY_LINES) return "PLUGD_ERR_HTTP_BAD_REQUEST_LINE";
      this.#buffered = 0;
      this.#lineStart = 0;
      return undefined;
    }
    if (empty) return "";
    if (lf === a) return "PLUGD_ERR_HTTP_BAD_LINE_ENDING";
    const s = latin1.call(b, a, lf);
    const next = this.#trailers ? head.trailerLine(b, s, a, a, lf + 1) : head.fieldLine(b, s, a, a, lf + 1);
    return next < 0 ? head.error : undefined;
  }

  /**
   * A request line still without its LF: look at what has come so far, so that a garbage line
   * (a TLS hello on a plain port) or an over-long target (414) is refused without waiting for
   * the rest. Only prefixes of fixed lengths are judged (1, 2, 4, ..., then around
   * maxTargetLength, then every RECHECK_STEP bytes): the verdict then depends on the bytes, not
   * on how they were split, and the work stays linear.
   */
  #checkPartial(): ErrorCode | undefined {
    if (this.#trailers || this.#head.lineDone || this.#buffered < this.#nextCheck) return undefined;
    let t = this.#nextCheck;
    for (let next = this.#after(t); next <= this.#buffered; next = this.#after(t)) t = next;
    this.#nextCheck = this.#after(t);
    // A prefix's first error is the whole line's first error (scanRequestLine reads left to
    // right), so judging the longest checkpoint reached is the same as judging each one.
    return scanRequestLine(this.#buf, 0, t, false, this.#limits.maxTargetLength, this.#scratch);
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
  #tooLarge(): ErrorCode {
    if (!this.#trailers && !this.#head.lineDone) {
      // The request line alone is over the limit: judge exactly its first maxHeaderBytes bytes,
      // which tells an over-long target (414) or garbage from a merely huge head (431).
      const err = scanRequestLine(this.#buf, 0, this.#limit, false, this.#limits.maxTargetLength, this.#scratch);
      if (err !== undefined) return err;
    }
    return "PLUGD_ERR_HTTP_HEADERS_TOO_LARGE";
  }

  #fail(err: ErrorCode | undefined, pos: number): number {
    if (err !== undefined) {
      this.error = err;
      this.result = LINES_ERROR;
    }
    return pos;
  }

  #append(data: Buffer, pos: number, n: number): void {
    const need = this.#buffered + n;
    if (need > this.#buf.length) {
      const buf = Buffer.allocUnsafe(Math.max(need, Math.min(Math.max(256, 2 * this.#buf.length), this.#limit + 1)));
      this.#buf.copy(buf, 0, 0, this.#buffered);
      this.#buf = buf;
    }
    data.copy(this.#buf, this.#buffered, pos, pos + n);
    this.#buffered = need;
  }
}
