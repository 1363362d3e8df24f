// The request body on its way to the script. php-cgi needs CONTENT_LENGTH up front (it reads
// exactly that many bytes of stdin), so:
// - a Content-Length body is streamed to the script as it arrives, never held whole;
// - a chunked body is first spooled: kept in memory up to 1 MiB, past that written to a
//   temporary file (mode 0600, in the gateway's private 0700 folder, made when first needed)
//   and streamed from there. The core stops it at limits.maxBodyBytes (413), so the spool is
//   bounded by that too.
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Readable, type Writable } from "node:stream";
import type { Request } from "../../core/http/request.ts";
import type { Watchdog } from "./watchdog.ts";

/** Bytes of a chunked body kept in memory before it goes to a temporary file. */
export const SPOOL_MEMORY_BYTES = 1024 * 1024;

export interface BodyInput {
  readonly stream: Readable;
  readonly length: number;
  /** Removes the spool file, if any. Safe to call twice. */
  cleanup(): void;
}

const NOTHING = (): void => {};

/** The request's body ready for a script, or undefined when it has none. */
export async function prepareBody(request: Request, spoolDir: () => Promise<string>): Promise<BodyInput | undefined> {
  const head = request.head;
  if (!request.hasBody) return undefined;
  if (head.bodyKind === "length") return { stream: request.stream(), length: head.contentLength, cleanup: NOTHING };
  return spool(request.stream(), spoolDir);
}

async function spool(stream: Readable, dir: () => Promise<string>): Promise<BodyInput> {
  let chunks: Buffer[] = [];
  let length = 0;
  let file: FileHandle | undefined;
  let path: string | undefined;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      length += buf.length;
      if (file !== undefined) {
        await file.write(buf);
        continue;
      }
      chunks.push(buf);
      if (length > SPOOL_MEMORY_BYTES) {
        path = join(await dir(), `body-${randomUUID()}`);
        file = await open(path, "wx", 0o600);
        await file.write(Buffer.concat(chunks, length));
        chunks = [];
      }
    }
  } catch (err) {
    await file?.close().catch(NOTHING);
    if (path !== undefined) await unlink(path).catch(NOTHING);
    throw err;
  }
  if (file === undefined || path === undefined) {
    const whole = Buffer.concat(chunks, length);
    return { stream: Readable.from(length === 0 ? [] : [whole]), length, cleanup: NOTHING };
  }
  await file.close();
  const spooled = path;
  let removed = false;
  return {
    stream: createReadStream(spooled, { highWaterMark: 64 * 1024 }),
    length,
    cleanup: () => {
      if (removed) return;
      removed = true;
      void unlink(spooled).catch(NOTHING);
    },
  };
}

/**
 * Copies `body` into the script's input with backpressure, each chunk a sign of life for the
 * watchdog. Resolves true when all of it was written and the input ended, false when the
 * script stopped taking input (it exited or closed it: what is left of the body is not its
 * business). Rejects with the body's own error (413, 408, 400 from the core).
 */
export function pumpBody(body: Readable, input: Writable, watchdog: Watchdog): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: boolean | Error): void => {
      if (settled) return;
      settled = true;
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onError);
      input.off("drain", onDrain);
      input.off("error", onInputGone);
      input.off("close", onInputGone);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      watchdog.touch();
      if (!input.write(chunk)) body.pause();
    };
    const onDrain = (): void => {
      watchdog.touch();
      body.resume();
    };
    const onEnd = (): void => {
      input.end();
      finish(true);
    };
    const onError = (err: Error): void => finish(err);
    const onInputGone = (): void => {
      body.pause();
      finish(false);
    };
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onError);
    input.on("drain", onDrain);
    input.on("error", onInputGone);
    input.on("close", onInputGone);
  });
}
