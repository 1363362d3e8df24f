// multipart/byteranges bodies (RFC 9110 §14.6): from a cached Buffer in one piece, or from an
// open file as a stream that reads one chunk at a time (the core pulls it with backpressure).
import { randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ByteRange } from "./ranges.ts";

const CHUNK = 64 * 1024;

/** A boundary that cannot be guessed, so file content cannot forge a part (RFC 2046 §5.1.1). */
export function newBoundary(): string {
  return `plugd-${randomBytes(12).toString("hex")}`;
}

function partHead(first: boolean, boundary: string, type: string, r: ByteRange, size: number): Buffer {
  // The CRLF before every boundary but the first belongs to the boundary (RFC 2046 §5.1.1).
  return Buffer.from(`${first ? "" : "\r\n"}--${boundary}\r\ncontent-type: ${type}\r\ncontent-range: bytes ${r.start}-${r.end - 1}/${size}\r\n\r\n`, "latin1");
}

function closing(boundary: string): Buffer {
  return Buffer.from(`\r\n--${boundary}--\r\n`, "latin1");
}

export function multipartBuffer(data: Buffer, ranges: readonly ByteRange[], size: number, type: string, boundary: string): Buffer {
  const parts: Buffer[] = [];
  ranges.forEach((r, i) => parts.push(partHead(i === 0, boundary, type, r, size), data.subarray(r.start, r.end)));
  parts.push(closing(boundary));
  return Buffer.concat(parts);
}

/** The body as a stream and its exact length; the stream closes `handle` when it ends or is destroyed. */
export function multipartStream(handle: FileHandle, ranges: readonly ByteRange[], size: number, type: string, boundary: string): { body: Readable; length: number } {
  const heads = ranges.map((r, i) => partHead(i === 0, boundary, type, r, size));
  const tail = closing(boundary);
  let length = tail.length;
  ranges.forEach((r, i) => (length += (heads[i] as Buffer).length + r.end - r.start));
  async function* generate(): AsyncGenerator<Buffer> {
    try {
      for (let i = 0; i < ranges.length; i++) {
        yield heads[i] as Buffer;
        const r = ranges[i] as ByteRange;
        for (let pos = r.start; pos < r.end; ) {
          const want = Math.min(CHUNK, r.end - pos);
          const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(want), 0, want, pos);
          // A file that shrank under us: end short; the core sees the length mismatch and closes.
          if (bytesRead === 0) return;
          pos += bytesRead;
          yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
        }
      }
      yield tail;
    } finally {
      await handle.close().catch(() => {});
    }
  }
  const body = Readable.from(generate(), { objectMode: false });
  // A stream destroyed before its first read never runs the generator's finally.
  body.once("close", () => void handle.close().catch(() => {}));
  return { body, length };
}
