// FastCGI 1.0 records (the FastCGI Specification, Open Market, 1996): the 8-byte header, the
// request-level bodies we send and receive, name-value pairs, and an incremental decoder.
// Pure: bytes in, bytes or records out; no sockets here.

/** FCGI_VERSION_1 (spec §8). */
export const FCGI_VERSION = 1;
/** FCGI_HEADER_LEN (spec §8). */
export const HEADER_LENGTH = 8;
/** contentLength is 16 bits (spec §3.3). */
export const MAX_CONTENT_LENGTH = 0xffff;

/** Record types (spec §8). */
export const RECORD = Object.freeze({
  BEGIN_REQUEST: 1,
  ABORT_REQUEST: 2,
  END_REQUEST: 3,
  PARAMS: 4,
  STDIN: 5,
  STDOUT: 6,
  STDERR: 7,
  DATA: 8,
  GET_VALUES: 9,
  GET_VALUES_RESULT: 10,
  UNKNOWN_TYPE: 11,
} as const);

/** FCGI_RESPONDER (spec §5.1, §6.2). */
export const ROLE_RESPONDER = 1;
/** FCGI_KEEP_CONN: the application keeps the connection open after the request (spec §5.1). */
export const FLAG_KEEP_CONN = 1;

/** protocolStatus of FCGI_END_REQUEST (spec §5.5). */
export const PROTOCOL_STATUS = Object.freeze({
  REQUEST_COMPLETE: 0,
  CANT_MPX_CONN: 1,
  OVERLOADED: 2,
  UNKNOWN_ROLE: 3,
} as const);

export interface FcgiRecord {
  readonly type: number;
  readonly requestId: number;
  /** The content, without padding (a view into the received bytes when it could be). */
  readonly content: Buffer;
}

const ZEROS = Buffer.alloc(8);

/** Padding that makes `contentLength` a multiple of 8, as the spec recommends (§3.3). */
export function paddingFor(contentLength: number): number {
  return (8 - (contentLength & 7)) & 7;
}

function writeHeader(out: Buffer, at: number, type: number, requestId: number, contentLength: number, paddingLength: number): void {
  out[at] = FCGI_VERSION;
  out[at + 1] = type;
  out.writeUInt16BE(requestId, at + 2);
  out.writeUInt16BE(contentLength, at + 4);
  out[at + 6] = paddingLength;
  out[at + 7] = 0;
}

/** Bytes of a stream of `length` content bytes cut into records, with the stream's end record when `end`. */
export function streamRecordsLength(length: number, end: boolean): number {
  let total = 0;
  for (let left = length; left > 0; left -= Math.min(left, MAX_CONTENT_LENGTH)) {
    const n = Math.min(left, MAX_CONTENT_LENGTH);
    total += HEADER_LENGTH + n + paddingFor(n);
  }
  return total + (end ? HEADER_LENGTH : 0);
}

/**
 * Writes `content` as records of `type` into `out` at `at` (as many as its length needs, each
 * at most 65535 bytes and padded to 8), then, when `end`, the empty record that ends a stream
 * (spec §3.3: "a stream record with contentLength 0"). Returns the offset after the last byte.
 */
export function writeStreamRecords(out: Buffer, at: number, type: number, requestId: number, content: Buffer, end: boolean): number {
  let offset = 0;
  while (offset < content.length) {
    const n = Math.min(content.length - offset, MAX_CONTENT_LENGTH);
    const pad = paddingFor(n);
    writeHeader(out, at, type, requestId, n, pad);
    content.copy(out, at + HEADER_LENGTH, offset, offset + n);
    at += HEADER_LENGTH + n;
    if (pad > 0) {
      ZEROS.copy(out, at, 0, pad);
      at += pad;
    }
    offset += n;
  }
  if (end) {
    writeHeader(out, at, type, requestId, 0, 0);
    at += HEADER_LENGTH;
  }
  return at;
}

/** `content` as records of `type` (a stream's data; its end record too when `end`). */
export function encodeStream(type: number, requestId: number, content: Buffer, end = false): Buffer {
  const out = Buffer.allocUnsafe(streamRecordsLength(content.length, end));
  writeStreamRecords(out, 0, type, requestId, content, end);
  return out;
}

/** One record (content at most 65535 bytes), padded to a multiple of 8. */
export function encodeRecord(type: number, requestId: number, content: Buffer = ZEROS.subarray(0, 0)): Buffer {
  if (content.length > MAX_CONTENT_LENGTH) throw new RangeError(`FastCGI record content of ${content.length} bytes (at most ${MAX_CONTENT_LENGTH})`);
  const pad = paddingFor(content.length);
  const out = Buffer.alloc(HEADER_LENGTH + content.length + pad);
  writeHeader(out, 0, type, requestId, content.length, pad);
  content.copy(out, HEADER_LENGTH);
  return out;
}

/** FCGI_BEGIN_REQUEST with FCGI_BeginRequestBody { roleB1, roleB0, flags, reserved[5] } (spec §5.1). */
export function encodeBeginRequest(requestId: number, role: number, keepConn: boolean): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH + 8);
  writeBeginRequest(out, 0, requestId, role, keepConn);
  return out;
}

function writeBeginRequest(out: Buffer, at: number, requestId: number, role: number, keepConn: boolean): number {
  writeHeader(out, at, RECORD.BEGIN_REQUEST, requestId, 8, 0);
  out.writeUInt16BE(role, at + 8);
  out[at + 10] = keepConn ? FLAG_KEEP_CONN : 0;
  out.fill(0, at + 11, at + 16);
  return at + 16;
}

/** FCGI_EndRequestBody { appStatusB3..B0, protocolStatus, reserved[3] } (spec §5.5). */
export function decodeEndRequest(content: Buffer): { appStatus: number; protocolStatus: number } | undefined {
  if (content.length < 8) return undefined;
  return { appStatus: content.readUInt32BE(0), protocolStatus: content[4] as number };
}

export function encodeEndRequest(requestId: number, appStatus: number, protocolStatus: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(appStatus >>> 0, 0);
  body[4] = protocolStatus;
  return encodeRecord(RECORD.END_REQUEST, requestId, body);
}

// --- name-value pairs (spec §3.4) ---------------------------------------------------------------
// Each length is one byte when it is below 128, else four bytes, big-endian, with the top bit of
// the first byte set (so lengths go up to 2^31 - 1). Names and values are bytes: we write each
// string's code units as latin1, so callers give byte strings (see environment.ts).

function lengthSize(n: number): number {
  return n < 0x80 ? 1 : 4;
}

function writeLength(out: Buffer, at: number, n: number): number {
  if (n < 0x80) {
    out[at] = n;
    return at + 1;
  }
  out.writeUInt32BE((n | 0x80000000) >>> 0, at);
  return at + 4;
}

/** Bytes the pairs take (names and values as latin1 byte strings). */
export function nameValuePairsLength(pairs: Iterable<readonly [string, string]>): number {
  let total = 0;
  for (const [name, value] of pairs) total += lengthSize(name.length) + lengthSize(value.length) + name.length + value.length;
  return total;
}

/** Writes the pairs at `at`; returns the offset after them. */
export function writeNameValuePairs(out: Buffer, at: number, pairs: Iterable<readonly [string, string]>): number {
  for (const [name, value] of pairs) {
    at = writeLength(out, at, name.length);
    at = writeLength(out, at, value.length);
    at += out.write(name, at, "latin1");
    at += out.write(value, at, "latin1");
  }
  return at;
}

export function encodeNameValuePairs(pairs: Iterable<readonly [string, string]>): Buffer {
  const list = [...pairs];
  const out = Buffer.allocUnsafe(nameValuePairsLength(list));
  writeNameValuePairs(out, 0, list);
  return out;
}

/** Decodes pairs; undefined when the bytes end inside a pair (malformed). */
export function decodeNameValuePairs(bytes: Buffer): [string, string][] | undefined {
  const out: [string, string][] = [];
  let at = 0;
  const readLength = (): number | undefined => {
    if (at >= bytes.length) return undefined;
    const first = bytes[at] as number;
    if ((first & 0x80) === 0) {
      at += 1;
      return first;
    }
    if (at + 4 > bytes.length) return undefined;
    const n = bytes.readUInt32BE(at) & 0x7fffffff;
    at += 4;
    return n;
  };
  while (at < bytes.length) {
    const nameLength = readLength();
    const valueLength = readLength();
    if (nameLength === undefined || valueLength === undefined || at + nameLength + valueLength > bytes.length) return undefined;
    const name = bytes.toString("latin1", at, at + nameLength);
    at += nameLength;
    const value = bytes.toString("latin1", at, at + valueLength);
    at += valueLength;
    out.push([name, value]);
  }
  return out;
}

function lengthChars(n: number): string {
  return n < 0x80 ? String.fromCharCode(n) : String.fromCharCode(((n >>> 24) & 0x7f) | 0x80, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function headerChars(type: number, requestId: number, contentLength: number, paddingLength: number): string {
  return String.fromCharCode(FCGI_VERSION, type, requestId >> 8, requestId & 0xff, contentLength >> 8, contentLength & 0xff, paddingLength, 0);
}

const PADDING = "\0\0\0\0\0\0\0";

/**
 * The records that open a Responder request in one buffer: FCGI_BEGIN_REQUEST, the
 * environment as FCGI_PARAMS records and the empty one that ends them, and, for a request
 * without a body, the empty FCGI_STDIN that ends the (empty) input stream (spec §6.2).
 * Built as one latin1 string and converted once: several times faster than writing each
 * name and value into a Buffer (this runs for every request).
 */
export function encodeRequestStart(requestId: number, params: ReadonlyMap<string, string>, keepConn: boolean, noBody: boolean): Buffer {
  let pairs = "";
  // forEach, not for-of: no [name, value] array per entry.
  params.forEach((value, name) => {
    pairs += lengthChars(name.length) + lengthChars(value.length) + name + value;
  });
  let out = headerChars(RECORD.BEGIN_REQUEST, requestId, 8, 0) + String.fromCharCode(0, ROLE_RESPONDER, keepConn ? FLAG_KEEP_CONN : 0, 0, 0, 0, 0, 0);
  for (let at = 0; at < pairs.length; at += MAX_CONTENT_LENGTH) {
    const part = pairs.length <= MAX_CONTENT_LENGTH ? pairs : pairs.slice(at, at + MAX_CONTENT_LENGTH);
    const pad = paddingFor(part.length);
    out += headerChars(RECORD.PARAMS, requestId, part.length, pad) + part + PADDING.slice(0, pad);
  }
  out += headerChars(RECORD.PARAMS, requestId, 0, 0);
  if (noBody) out += headerChars(RECORD.STDIN, requestId, 0, 0);
  return Buffer.from(out, "latin1");
}

/**
 * An incremental record decoder: feed it bytes as they arrive, in any split, and it calls
 * `onRecord` for each complete record. A record inside one chunk is passed as a view of that
 * chunk (no copy); only a record split across chunks is copied together.
 */
export class RecordDecoder {
  readonly #onRecord: (record: FcgiRecord) => void;
  /** Bytes of an incomplete record kept from earlier chunks. */
  #pending: Buffer | undefined;
  #failed: string | undefined;

  constructor(onRecord: (record: FcgiRecord) => void) {
    this.#onRecord = onRecord;
  }

  /** Why the stream is not FastCGI (a bad version byte); undefined while it is. */
  get failed(): string | undefined {
    return this.#failed;
  }

  /** True when no partial record is waiting for more bytes. */
  get idle(): boolean {
    return this.#pending === undefined;
  }

  /** Feeds bytes; returns false (and stops) when they are not FastCGI records. */
  push(chunk: Buffer): boolean {
    if (this.#failed !== undefined) return false;
    let bytes = chunk;
    if (this.#pending !== undefined) {
      bytes = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let at = 0;
    while (bytes.length - at >= HEADER_LENGTH) {
      if (bytes[at] !== FCGI_VERSION) {
        this.#failed = `FastCGI record with version ${bytes[at]} (want ${FCGI_VERSION})`;
        return false;
      }
      const contentLength = bytes.readUInt16BE(at + 4);
      const end = at + HEADER_LENGTH + contentLength + (bytes[at + 6] as number);
      if (end > bytes.length) break;
      const record: FcgiRecord = {
        type: bytes[at + 1] as number,
        requestId: bytes.readUInt16BE(at + 2),
        content: bytes.subarray(at + HEADER_LENGTH, at + HEADER_LENGTH + contentLength),
      };
      at = end;
      this.#onRecord(record);
      if (this.#failed !== undefined) return false;
    }
    if (at < bytes.length) this.#pending = Buffer.from(bytes.subarray(at));
    return true;
  }

  /** Stops decoding (the connection is being dropped). */
  fail(reason: string): void {
    this.#failed ??= reason;
  }
}
