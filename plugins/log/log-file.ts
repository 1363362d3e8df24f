// A log file written without ever making a request wait for the disk: lines are copied into a
// buffer in memory and written in one write() a short while later (FLUSH_MS), or at once when
// FLUSH_BYTES are waiting; the next lines fill a second buffer meanwhile (double buffering, no
// string building, one copy per line).
// Lines are ASCII: every producer escapes everything else (escape.ts, access-line.ts,
// error-line.ts), so a line is copied as latin1, byte for char. One write at a time, so lines keep their order and a line is never
// split between two files when the file is reopened (SIGUSR1, logrotate): the reopen waits for
// the write in flight, and the lines that came meanwhile go to the new file.
// The buffer is bounded (MAX_BUFFERED_BYTES): when the disk is slower than the traffic, new lines
// are dropped and counted, and stderr is told (rate-limited, warn.ts). A file that cannot be
// opened or written (a missing or read-only folder, a full disk) never stops serving either.
import fs from "node:fs";
import { dirname } from "node:path";
import { warnLimited } from "./warn.ts";

/** Longest a line waits in memory before its write starts. */
export const FLUSH_MS = 100;
/** Waiting bytes that start a write at once. */
export const FLUSH_BYTES = 64 * 1024;
/** Bytes kept in memory at most (waiting plus being written); past this, lines are dropped. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** A file that could not be opened is tried again after this long (or on SIGUSR1). */
export const RETRY_OPEN_MS = 5000;

const FULL_DISK = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);

function openAppend(path: string): Promise<number> {
  const open = (): Promise<number> =>
    new Promise((resolve, reject) => fs.open(path, "a", 0o644, (err, fd) => (err ? reject(err) : resolve(fd))));
  return open().catch(async (err: NodeJS.ErrnoException) => {
    // The folder is created when missing (at start, and again if it was removed since).
    if (err.code !== "ENOENT") throw err;
    await fs.promises.mkdir(dirname(path), { recursive: true });
    return open();
  });
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined ? `${e.code} (${e.message})` : String(e.message ?? e);
}

function countLines(data: Buffer): number {
  let n = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) n++;
  return n;
}

export class LogFile {
  /** Absolute path, or "-" with a stream (stdout, stderr). */
  readonly path: string;
  readonly #stream: NodeJS.WritableStream | undefined;
  #fd: number | undefined;
  /** Lines waiting: #fill[0, #len). */
  #fill: Buffer = Buffer.allocUnsafe(FLUSH_BYTES * 2);
  #len = 0;
  /** The buffer being written (reused as the next #fill once the write is done). */
  #spare: Buffer | undefined;
  #inFlight = 0;
  #writing = false;
  #opening = false;
  #reopenWanted = false;
  #draining = false;
  /** A write failed part-way through a line: the next write starts on a fresh line. */
  #torn = false;
  #timer: NodeJS.Timeout | undefined;
  #retryAt = 0;
  #openFailed = false;
  #dropping = false;
  #episodeDropped = 0;
  #idle: (() => void)[] = [];
  #afterOpen: (() => void)[] = [];
  /** Lines dropped since start (buffer full, unwritable file, full disk). */
  dropped = 0;
  /** Servers using this file (files.ts). */
  refs = 0;

  constructor(path: string, stream?: NodeJS.WritableStream) {
    this.path = path;
    this.#stream = stream;
  }

  /** Queues one line (with its newline). Never blocks, never throws. */
  append(line: string): void {
    const need = this.#len + line.length;
    if (need + this.#inFlight > MAX_BUFFERED_BYTES) return this.#dropFull();
    if (need > this.#fill.length) this.#grow(need);
    this.#len += this.#fill.write(line, this.#len, "latin1");
    if (this.#writing || this.#opening) return;
    if (this.#len >= FLUSH_BYTES) this.#flush();
    else this.#arm(FLUSH_MS);
  }

  #grow(need: number): void {
    let size = this.#fill.length * 2;
    while (size < need) size *= 2;
    const bigger = Buffer.allocUnsafe(Math.min(size, MAX_BUFFERED_BYTES));
    this.#fill.copy(bigger, 0, 0, this.#len);
    this.#fill = bigger;
  }

  /** Opens the file now (at start-up), so a problem is reported before the first request. */
  open(): Promise<void> {
    if (this.#stream !== undefined || this.#fd !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#afterOpen.push(resolve);
      if (!this.#opening) this.#openThenFlush();
    });
  }

  /**
   * Closes and opens the file again by its name (logrotate renamed it), once the write in
   * flight is done. Resolves when the new file is open (or failed to open, which is reported).
   */
  reopen(): Promise<void> {
    if (this.#stream !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#afterOpen.push(resolve);
      this.#reopenWanted = true;
      if (!this.#writing && !this.#opening) this.#reopen();
    });
  }

  /** Writes everything waiting, then closes the file. */
  async close(): Promise<void> {
    await this.drain();
    this.#disarm();
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  }

  /** Resolves once nothing is waiting and nothing is being written. */
  drain(): Promise<void> {
    this.#draining = true;
    return new Promise((resolve) => {
      this.#idle.push(() => {
        this.#draining = false;
        resolve();
      });
      if (!this.#writing && !this.#opening) this.#flush();
    });
  }

  #arm(ms: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(this.#onTimer, ms);
    // A pending flush never keeps the process alive; close() writes what is left.
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#flush();
  };

  #flush(): void {
    this.#disarm();
    if (this.#writing || this.#opening) return;
    if (this.#reopenWanted) return this.#reopen();
    if (this.#len === 0) return this.#settle();
    if (this.#stream === undefined && this.#fd === undefined) {
      const wait = this.#retryAt - Date.now();
      if (wait > 0 && !this.#draining) return this.#arm(wait);
      return this.#openThenFlush();
    }
    let data = this.#fill.subarray(0, this.#len);
    if (this.#torn) {
      data = Buffer.concat([Buffer.from("\n"), data]);
      this.#torn = false;
    }
    // Swap: the filled buffer goes to the disk, the spare one takes the next lines.
    const spare = this.#spare ?? Buffer.allocUnsafe(FLUSH_BYTES * 2);
    this.#spare = this.#fill;
    this.#fill = spare;
    this.#len = 0;
    this.#inFlight = data.length;
    this.#writing = true;
    if (this.#stream !== undefined) this.#stream.write(data, (err?: Error | null) => this.#written(err ?? null, data, 0));
    else this.#writeFd(this.#fd as number, data, 0);
  }

  #writeFd(fd: number, data: Buffer, offset: number): void {
    fs.write(fd, data, offset, data.length - offset, null, (err, n) => {
      if (err !== null) return this.#written(err, data, offset);
      if (offset + n < data.length) return this.#writeFd(fd, data, offset + n);
      this.#written(null, data, data.length);
    });
  }

  /** A write finished: `done` bytes of `data` reached the file. */
  #written(err: NodeJS.ErrnoException | null, data: Buffer, done: number): void {
    this.#writing = false;
    this.#inFlight = 0;
    if (err !== null) {
      const rest = data.subarray(done);
      const lost = countLines(rest);
      this.dropped += lost;
      if (done > 0 && data[done - 1] !== 10) this.#torn = true;
      warnLimited(`write ${this.path}`, `cannot write ${this.path}: ${reason(err)}; ${lost} line(s) dropped; requests are still served`);
      if (!FULL_DISK.has(err.code ?? "") && this.#fd !== undefined) {
        // Not a full disk: the descriptor itself may be bad. Open the file again later.
        fs.close(this.#fd, () => {});
        this.#fd = undefined;
        this.#retryAt = Date.now() + RETRY_OPEN_MS;
      }
    } else if (this.#dropping) {
      this.#dropping = false;
      warnLimited(`caught up ${this.path}`, `${this.path}: ${this.#episodeDropped} line(s) were dropped while the disk was slower than the traffic`);
      this.#episodeDropped = 0;
    }
    this.#continue();
  }

  #continue(): void {
    if (this.#reopenWanted) return this.#reopen();
    if (this.#len === 0) return this.#settle();
    if (this.#draining || this.#len >= FLUSH_BYTES) return this.#flush();
    this.#arm(FLUSH_MS);
  }

  #reopen(): void {
    this.#reopenWanted = false;
    const old = this.#fd;
    this.#fd = undefined;
    this.#retryAt = 0;
    // Nothing is being written (the caller made sure): every line before this point is in the old file.
    if (old !== undefined) fs.close(old, () => {});
    this.#openThenFlush();
  }

  #openThenFlush(): void {
    this.#disarm();
    this.#opening = true;
    const opened = (): void => {
      const waiters = this.#afterOpen;
      this.#afterOpen = [];
      for (const resolve of waiters) resolve();
    };
    openAppend(this.path).then(
      (fd) => {
        this.#opening = false;
        this.#openFailed = false;
        if (this.#reopenWanted) {
          // Another SIGUSR1 came while opening: this descriptor may already name the old file.
          fs.close(fd, () => {});
          return this.#reopen();
        }
        this.#fd = fd;
        opened();
        this.#continue();
      },
      (err: unknown) => {
        this.#opening = false;
        this.#openFailed = true;
        this.#retryAt = Date.now() + RETRY_OPEN_MS;
        let dropped = "";
        if (this.#draining && this.#len > 0) {
          const lost = countLines(this.#fill.subarray(0, this.#len));
          this.dropped += lost;
          this.#len = 0;
          dropped = `; ${lost} line(s) dropped`;
        }
        warnLimited(
          `open ${this.path}`,
          `cannot open ${this.path}: ${reason(err)}${dropped}; lines are kept in memory (up to ${MAX_BUFFERED_BYTES >> 20} MiB) and the file tried again every ${RETRY_OPEN_MS / 1000} s and on SIGUSR1; requests are still served`,
        );
        if (this.#reopenWanted) return this.#reopen();
        opened();
        if (this.#len === 0) return this.#settle();
        this.#arm(RETRY_OPEN_MS);
      },
    );
  }

  #dropFull(): void {
    this.dropped++;
    this.#episodeDropped++;
    if (this.#dropping) return;
    this.#dropping = true;
    // An unwritable file was reported when it failed to open; this is about a slow disk.
    if (!this.#openFailed) {
      warnLimited(`full ${this.path}`, `${this.path}: the disk is slower than the traffic and ${MAX_BUFFERED_BYTES >> 20} MiB are waiting; dropping new lines until it catches up`);
    }
  }

  #settle(): void {
    if (this.#writing || this.#opening || this.#len > 0) return;
    const waiters = this.#idle;
    if (waiters.length === 0) return;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }
}
