// A script's standard error (php-cgi's stderr, FastCGI STDERR records) to the error log, one
// log line per line of text, bounded so a script cannot flood the log.
import { StringDecoder } from "node:string_decoder";

/** Most bytes of one script's stderr that are logged; the rest is counted and reported once. */
export const MAX_STDERR_BYTES = 64 * 1024;
/** A line longer than this is logged in pieces. */
const MAX_LINE = 8 * 1024;

export class StderrLines {
  readonly #write: (line: string) => void;
  readonly #decoder = new StringDecoder("utf8");
  #partial = "";
  #logged = 0;
  #dropped = 0;

  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  push(chunk: Buffer): void {
    if (this.#logged >= MAX_STDERR_BYTES) {
      this.#dropped += chunk.length;
      return;
    }
    const room = MAX_STDERR_BYTES - this.#logged;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#dropped += chunk.length - part.length;
    this.#logged += part.length;
    const text = this.#partial + this.#decoder.write(part);
    const lines = text.split("\n");
    this.#partial = lines.pop() as string;
    for (const line of lines) this.#emit(line);
    while (this.#partial.length > MAX_LINE) {
      this.#emit(this.#partial.slice(0, MAX_LINE));
      this.#partial = this.#partial.slice(MAX_LINE);
    }
  }

  /** The script is done: write what is left. */
  end(): void {
    this.#partial += this.#decoder.end();
    if (this.#partial !== "") this.#emit(this.#partial);
    this.#partial = "";
    if (this.#dropped > 0) this.#write(`(${this.#dropped} more bytes of stderr not logged)`);
    this.#dropped = 0;
  }

  #emit(line: string): void {
    const clean = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (clean.trim() !== "") this.#write(clean);
  }
}
