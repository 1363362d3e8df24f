// A request body as a stream, fed by the connection, pulled by a plugin.
// Backpressure both ways: when the consumer stops reading, push() returns false and the
// connection stops reading the socket; when it reads again, _read() lets the connection resume.
import { Readable } from "node:stream";

/** What the connection offers a body stream. */
export interface BodyFeeder {
  /** The consumer asked for the body for the first time (send 100 Continue if expected). */
  bodyWanted(body: RequestBodyStream): void;
  /** The consumer wants more bytes (resume reading the socket). */
  bodyPull(body: RequestBodyStream): void;
}

export class RequestBodyStream extends Readable {
  readonly #feeder: BodyFeeder;
  #wanted = false;
  /** Bytes pushed so far (de-chunked). */
  received = 0;
  /** The whole body has arrived. */
  complete = false;

  constructor(feeder: BodyFeeder) {
    super({ highWaterMark: 64 * 1024 });
    this.#feeder = feeder;
    // The connection destroys a body with an error (client gone, over the limit) whether or not
    // a plugin has taken it yet; without a listener that 'error' event would kill the process.
    // The error stays on the stream: a consumer that takes it later still gets it.
    this.on("error", ignoreError);
  }

  /** Called once by Request when a plugin asks for the body. */
  want(): void {
    if (this.#wanted) return;
    this.#wanted = true;
    this.#feeder.bodyWanted(this);
  }

  get wanted(): boolean {
    return this.#wanted;
  }

  override _read(): void {
    this.#feeder.bodyPull(this);
  }

  /** From the connection: bytes. Returns false when the consumer is behind (stop reading). */
  feed(chunk: Buffer): boolean {
    this.received += chunk.length;
    return this.push(chunk);
  }

  /** From the connection: the body is complete. */
  feedEnd(): void {
    this.complete = true;
    this.push(null);
  }
}

function ignoreError(): void {}

/** Reads a whole stream into one Buffer (the parser has already bounded its size). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}
