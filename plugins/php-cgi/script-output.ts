// A script's standard output, as the backend receives it (a php-cgi pipe, or FastCGI STDOUT
// records): first the CGI header section, which resolves `head`, then the body. A small body
// that has fully arrived by then is taken whole (takeWhole: one buffer, Content-Length, no
// stream at all); otherwise stream() gives the core a Readable with backpressure all the way
// to the script (a paused client pauses the pipe or the FastCGI socket). A body the core drops
// (HEAD, 204/304, a failed write) is drained and thrown away so the script can finish and its
// connection be reused.
import { Readable } from "node:stream";
import { PlugdError } from "../../core/errors.ts";
import { headEnd, MAX_HEAD_BYTES } from "./cgi-head.ts";
import type { Watchdog } from "./watchdog.ts";

/** The backend's side: stop and start reading the script's output. */
export interface OutputSource {
  pause(): void;
  resume(): void;
}

/** A body up to this size that has fully arrived when the head is parsed is sent whole (with Content-Length). */
export const WHOLE_BODY_BYTES = 256 * 1024;
/** Body bytes kept before a stream is asked for; past this the source is paused. */
const EARLY_BODY_BYTES = 64 * 1024;

const HEAD = 0;
/** Body bytes are kept in `#early` until takeWhole() or stream(). */
const BODY = 1;
const STREAMING = 2;
const ENDED = 3;
const DISCARDING = 4;

const ignore = (): void => {};

export class ScriptOutput {
  readonly #source: OutputSource;
  readonly #watchdog: Watchdog | undefined;
  #state = HEAD;
  #headChunks: Buffer[] = [];
  #headBytes = 0;
  #early: Buffer[] = [];
  #earlyBytes = 0;
  /** The output has ended (finish()) while body bytes were still kept. */
  #complete = false;
  #bodyBytes = 0;
  #paused = false;
  #stream: BodyStream | undefined;
  #waiters: ((hasBody: boolean) => void)[] | undefined;
  readonly head: Promise<Buffer>;
  #resolveHead!: (section: Buffer) => void;
  #rejectHead!: (err: Error) => void;

  constructor(source: OutputSource, watchdog?: Watchdog) {
    this.#source = source;
    this.#watchdog = watchdog;
    this.head = new Promise((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    // The gateway awaits it; a rejection nobody awaits (the request was given up) is no crash.
    this.head.catch(ignore);
  }

  /** Bytes from the script. */
  feed(chunk: Buffer): void {
    this.#watchdog?.touch();
    switch (this.#state) {
      case HEAD:
        return this.#feedHead(chunk);
      case BODY:
        this.#bodyBytes += chunk.length;
        this.#early.push(chunk);
        this.#earlyBytes += chunk.length;
        this.#wake(true);
        if (this.#earlyBytes > EARLY_BODY_BYTES) this.#pause();
        return;
      case STREAMING:
        this.#bodyBytes += chunk.length;
        if (!(this.#stream as BodyStream).push(chunk)) this.#pause();
        return;
      default:
      // ended or discarding: dropped.
    }
  }

  /** The script's output ended. */
  finish(): void {
    const state = this.#state;
    if (state === HEAD) {
      this.#state = ENDED;
      this.#rejectHead(new PlugdError("PLUGD_ERR_PHP_BAD_GATEWAY", "the script's output ended before its header section did (no blank line)"));
    } else if (state === BODY) {
      // Kept until takeWhole() or stream() comes for it.
      this.#complete = true;
      this.#wake(false);
    } else if (state === STREAMING) {
      this.#state = ENDED;
      (this.#stream as BodyStream).push(null);
    } else {
      this.#state = ENDED;
    }
  }

  /** The backend failed (connection lost, process error): the head rejects, or the body errors. */
  fail(err: Error): void {
    const state = this.#state;
    this.#state = ENDED;
    this.#early = [];
    if (state === HEAD) this.#rejectHead(err);
    else if (state === BODY) this.#wake(false);
    else if (state === STREAMING) (this.#stream as BodyStream).destroy(err);
  }

  /** Whether the body has any bytes: resolves at the first byte, or false at its end. */
  hasBody(): Promise<boolean> {
    if (this.#bodyBytes > 0) return Promise.resolve(true);
    if (this.#state !== BODY || this.#complete) return Promise.resolve(false);
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  /**
   * The whole body, when the script has already finished and it was small: the response can
   * then go out with a Content-Length in one write. Undefined when it must be streamed.
   */
  takeWhole(): Buffer | undefined {
    if (this.#state !== BODY || !this.#complete || this.#bodyBytes > WHOLE_BODY_BYTES) return undefined;
    const early = this.#early;
    this.#early = [];
    this.#state = ENDED;
    return early.length === 1 ? (early[0] as Buffer) : Buffer.concat(early, this.#earlyBytes);
  }

  /** The body as a stream for the core (once). */
  stream(): Readable {
    if (this.#stream !== undefined) return this.#stream;
    const stream = new BodyStream(this);
    this.#stream = stream;
    if (this.#state !== BODY) {
      stream.push(null);
      return stream;
    }
    for (const chunk of this.#early) stream.push(chunk);
    this.#early = [];
    this.#earlyBytes = 0;
    if (this.#complete) {
      this.#state = ENDED;
      stream.push(null);
    } else {
      this.#state = STREAMING;
    }
    return stream;
  }

  /** Throw away the rest of the output (the body is not wanted); the script runs to its end. */
  discard(): void {
    if (this.#state === HEAD || this.#state === BODY || this.#state === STREAMING) this.#state = DISCARDING;
    this.#early = [];
    this.#wake(false);
    if (this.#paused) this.unpause();
  }

  /** Whether the script's output is held back because the client is not reading. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Bytes the stream given to the core holds, not yet taken by it. */
  get buffered(): number {
    return (this.#state === BODY ? this.#earlyBytes : 0) + (this.#stream?.readableLength ?? 0);
  }

  /** Body bytes received so far (after the header section). */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** The core wants more (BodyStream._read). */
  unpause(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#source.resume();
    this.#watchdog?.release();
  }

  #feedHead(chunk: Buffer): void {
    const from = Math.max(0, this.#headBytes - 3);
    this.#headChunks.push(chunk);
    this.#headBytes += chunk.length;
    const bytes = this.#headChunks.length === 1 ? chunk : Buffer.concat(this.#headChunks, this.#headBytes);
    const end = headEnd(bytes, from);
    if (end === -1) {
      if (this.#headBytes > MAX_HEAD_BYTES) {
        this.fail(new PlugdError("PLUGD_ERR_PHP_BAD_GATEWAY", `the script's header section is longer than ${MAX_HEAD_BYTES} bytes`));
        return;
      }
      if (this.#headChunks.length > 1) this.#headChunks = [bytes];
      return;
    }
    this.#headChunks = [];
    this.#state = BODY;
    this.#resolveHead(bytes.subarray(0, end));
    if (end < bytes.length) this.feed(bytes.subarray(end));
  }

  #wake(hasBody: boolean): void {
    const waiters = this.#waiters;
    if (waiters === undefined) return;
    this.#waiters = undefined;
    for (const resolve of waiters) resolve(hasBody);
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#source.pause();
    this.#watchdog?.hold();
  }
}

/** The body as the core reads it. */
class BodyStream extends Readable {
  readonly #output: ScriptOutput;

  constructor(output: ScriptOutput) {
    super({ highWaterMark: 64 * 1024 });
    this.#output = output;
    // A failure after the core stopped listening (the client left first) is no crash.
    this.on("error", ignore);
  }

  override _read(): void {
    this.#output.unpause();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // The core dropped the body (HEAD, 204/304, the client went away): keep the script's
    // output flowing into nothing so it can finish; the gateway kills it when it must.
    this.#output.discard();
    callback(err);
  }
}
