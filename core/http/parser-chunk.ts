// The chunk-size line of the chunked coding (RFC 9112 §7.1): `chunk-size [ chunk-ext ] CRLF`,
// a byte-at-a-time state machine so that it can stop and resume anywhere in the input.
import type { ErrorCode } from "../errors.ts";
import { HEX, QDTEXT, TCHAR } from "./parser-tables.ts";

/**
 * chunk-size digits, leading zeros not counted: 16 hex digits fill 64 bits. llhttp stops at the
 * same point; a parser that lets the value wrap reads a huge size as a small one (chunk-size
 * overflow smuggling).
 */
const MAX_SIZE_DIGITS = 16;

/**
 * Chunk-extension bytes (and leading zeros of chunk sizes) allowed in one message. Both are
 * ignored, so without a cap a client could stream them forever without sending a body byte
 * (CVE-2024-22019 in Node, CVE-2023-39326 in Go). 16 KiB is Node's figure.
 */
export const MAX_CHUNK_EXT_BYTES = 16 * 1024;

const SIZE = 0; // chunk-size = 1*HEXDIG
const BWS_SEMI = 1; // BWS before ";" (whitespace must lead to another extension)
const BWS_NAME = 2; // after ";": BWS then chunk-ext-name
const NAME = 3; // chunk-ext-name = token
const NAME_WS = 4; // BWS after a name: must lead to "=" or ";"
const BWS_VALUE = 5; // after "=": BWS then value
const TOKEN_VALUE = 6;
const QUOTED = 7; // inside a quoted-string
const QUOTED_PAIR = 8; // after a backslash
const AFTER_VALUE = 9; // after the closing DQUOTE
const LF_NEXT = 10; // CR seen: LF must follow

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;

/** Parses one chunk-size line at a time; `reset` before each. */
export class ChunkLine {
  #state = SIZE;
  #digits = 0;
  #significant = 0;
  /** The chunk size, once `done`. */
  size = 0;
  /** The line is complete (its LF consumed). */
  done = false;
  /** Extension bytes and leading zeros seen in this message (across lines). */
  extBytes = 0;
  /** Set when feed found the line malformed. */
  error: ErrorCode | undefined;

  reset(): void {
    this.#state = SIZE;
    this.#digits = 0;
    this.#significant = 0;
    this.size = 0;
    this.done = false;
  }

  /**
   * Consumes bytes of data from pos up to the end of the line or of data. Returns the index
   * after the last byte consumed (`done` tells whether that ended the line; then `size` is
   * set), or -1 on a malformed line (then `error` is set).
   */
  feed(data: Buffer, pos: number): number {
    // Local copies of the tables: V8 re-loads imported bindings on every use in a loop.
    const hex = HEX;
    const tchar = TCHAR;
    const qdtext = QDTEXT;
    const len = data.length;
    let state = this.#state;
    // Where the extension bytes in this call start, or -1 outside an extension.
    let ext = state !== SIZE && state !== LF_NEXT ? pos : -1;
    let i = pos;
    for (; i < len; i++) {
      const c = data[i] as number;
      switch (state) {
        case SIZE: {
          const d = hex[c] as number;
          if (d !== 255) {
            this.#digits++;
            // Leading zeros carry nothing either: they count toward the same cap.
            if (this.#significant === 0 && d === 0 && !this.#count(1)) return -1;
            if (this.#significant > 0 || d !== 0) {
              // No "0x", sign or space: only HEXDIG (RFC 9112 §7.1); a size that cannot be
              // represented is refused rather than wrapped.
              if (++this.#significant > MAX_SIZE_DIGITS) return this.#fail();
              this.size = this.size * 16 + d;
            }
            continue;
          }
          if (this.#digits === 0) return this.#fail();
          if (c === CR) state = LF_NEXT;
          else if (c === 0x3b) state = BWS_NAME;
          else if (c === SP || c === HTAB) state = BWS_SEMI;
          else return this.#fail();
          if (state !== LF_NEXT) ext = i;
          continue;
        }
        case BWS_SEMI:
          if (c === 0x3b) state = BWS_NAME;
          else if (c !== SP && c !== HTAB) return this.#fail();
          continue;
        case BWS_NAME:
          if (tchar[c] === 1) state = NAME;
          else if (c !== SP && c !== HTAB) return this.#fail();
          continue;
        case NAME:
          if (tchar[c] === 1) continue;
          if (c === 0x3d) state = BWS_VALUE;
          else if (c === 0x3b) state = BWS_NAME;
          else if (c === CR) {
            if (!this.#count(i - ext)) return -1;
            state = LF_NEXT;
          } else if (c === SP || c === HTAB) state = NAME_WS;
          else return this.#fail();
          continue;
        case NAME_WS:
          if (c === 0x3d) state = BWS_VALUE;
          else if (c === 0x3b) state = BWS_NAME;
          else if (c !== SP && c !== HTAB) return this.#fail();
          continue;
        case BWS_VALUE:
          if (tchar[c] === 1) state = TOKEN_VALUE;
          else if (c === 0x22) state = QUOTED;
          else if (c !== SP && c !== HTAB) return this.#fail();
          continue;
        case TOKEN_VALUE:
          if (tchar[c] === 1) continue;
          if (c === 0x3b) state = BWS_NAME;
          else if (c === CR) {
            if (!this.#count(i - ext)) return -1;
            state = LF_NEXT;
          } else if (c === SP || c === HTAB) state = BWS_SEMI;
          else return this.#fail();
          continue;
        case QUOTED:
          if (c === 0x22) state = AFTER_VALUE;
          else if (c === 0x5c) state = QUOTED_PAIR;
          // A CR or LF inside an extension ends the line for some parsers and not for others.
          else if (qdtext[c] !== 1) return this.#fail();
          continue;
        case QUOTED_PAIR:
          // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
          if (c !== HTAB && c < SP) return this.#fail();
          if (c === 0x7f) return this.#fail();
          state = QUOTED;
          continue;
        case AFTER_VALUE:
          if (c === 0x3b) state = BWS_NAME;
          else if (c === CR) {
            if (!this.#count(i - ext)) return -1;
            state = LF_NEXT;
          } else if (c === SP || c === HTAB) state = BWS_SEMI;
          else return this.#fail();
          continue;
        default: // LF_NEXT
          // RFC 9112 §7.1: the line ends in CRLF exactly. A lone CR taken as a line end is what
          // CVE-2023-30589 (Node's parser, for fields) was about.
          if (c !== LF) return this.#fail();
          this.#state = SIZE;
          this.done = true;
          return i + 1;
      }
    }
    this.#state = state;
    if (ext >= 0 && state !== LF_NEXT && !this.#count(len - ext)) return -1;
    return len;
  }

  /** Counts ignored bytes toward the per-message cap. */
  #count(n: number): boolean {
    this.extBytes += n;
    if (this.extBytes <= MAX_CHUNK_EXT_BYTES) return true;
    this.#fail();
    return false;
  }

  #fail(): number {
    this.error = "PLUGD_ERR_HTTP_BAD_CHUNK";
    return -1;
  }
}
