// Streams a response body (readable or file range) to the socket with backpressure,
// in the framing the serializer chose.
import { createReadStream } from "node:fs";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { FRAMING, type Framing } from "./serialize.ts";
import type { FileBody } from "./response.ts";

const CRLF = Buffer.from("\r\n");
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

/** Called once: `ok` false when the body could not be fully sent (socket or source failed). */
export type BodyDone = (ok: boolean, bytes: number, error?: Error) => void;

export function fileStream(body: FileBody): Readable {
  if (body.end <= body.start) {
    // createReadStream with end < start would read to EOF; an empty range reads nothing.
    void body.handle?.close();
    return Readable.from([]);
  }
  const options = { start: body.start, end: body.end - 1, highWaterMark: 64 * 1024 };
  if (body.handle !== undefined) return createReadStream("", { ...options, fd: body.handle, autoClose: true });
  return createReadStream(body.path as string, options);
}

/**
 * Pipes `source` to `socket`. With FRAMING.length, exactly `length` bytes must come (a short
 * source fails: the client would wait for bytes that never come); with chunked, each chunk is
 * framed and the last-chunk written at the end.
 */
export function pipeBody(source: Readable, socket: Socket, framing: Framing, length: number, done: BodyDone, blocked: () => void): void {
  let sent = 0;
  let finished = false;
  const chunked = framing === FRAMING.chunked;

  const finish = (ok: boolean, error?: Error): void => {
    if (finished) return;
    finished = true;
    source.off("data", onData);
    source.off("end", onEnd);
    source.off("error", onError);
    socket.off("drain", onDrain);
    socket.off("close", onClose);
    if (!ok) source.destroy();
    done(ok, sent, error);
  };
  const onData = (chunk: Buffer | string): void => {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (buf.length === 0) return;
    if (framing === FRAMING.length && sent + buf.length > length) {
      finish(false, new Error(`body longer than its Content-Length ${length}`));
      return;
    }
    sent += buf.length;
    let flushed: boolean;
    if (chunked) {
      socket.cork();
      socket.write(buf.length.toString(16) + "\r\n", "latin1");
      socket.write(buf);
      flushed = socket.write(CRLF);
      socket.uncork();
    } else {
      flushed = socket.write(buf);
    }
    if (!flushed) {
      // The client is behind: wait for 'drain', and let the connection time the wait.
      source.pause();
      blocked();
    }
  };
  const onDrain = (): void => {
    source.resume();
  };
  const onEnd = (): void => {
    if (framing === FRAMING.length && sent !== length) {
      finish(false, new Error(`body ended after ${sent} of ${length} bytes`));
      return;
    }
    if (chunked) socket.write(LAST_CHUNK);
    finish(true);
  };
  const onError = (err: Error): void => finish(false, err);
  const onClose = (): void => finish(false, new Error("client closed the connection"));

  source.on("data", onData);
  source.on("end", onEnd);
  source.on("error", onError);
  socket.on("drain", onDrain);
  socket.on("close", onClose);
}
