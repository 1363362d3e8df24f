// Writing a PUT body atomically (DESIGN §8): streamed into a temp file in the target's folder,
// then renamed into place. Until the rename the old file is untouched; whatever fails (the
// client goes away mid-body, the body passes limits.maxBodyBytes, the disk fills) the temp file
// is removed and the old file stays exactly as it was. Two PUTs to one path each write their
// own temp file; the last rename wins, and either way the file holds one whole body.
import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { lstat, open, rename, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { errorCode } from "../../core/errors.ts";
import type { Request } from "../../core/http/request.ts";
import { preconditionsPass, underFileLock } from "../shared/etag.ts";
import { fail, TEMP_PREFIX, type PutTarget } from "./target.ts";

export interface Written {
  /** Nothing was at the path before: 201, else 204. */
  readonly created: boolean;
  /** The new file's stats (its ETag). */
  readonly stats: Stats;
}

/** Streams the body to a temp file and renames it over `target.file`. */
export async function writeAtomically(request: Request, target: PutTarget, fsync: boolean): Promise<Written> {
  const temp = path.join(path.dirname(target.file), `${TEMP_PREFIX}${randomBytes(12).toString("base64url")}.tmp`);
  let handle: FileHandle;
  try {
    // "wx": never reuse a path someone else made; 0o666 less the umask, as any new file.
    handle = await open(temp, "wx", 0o666);
  } catch (err) {
    throw storageError(err);
  }
  let renamed = false;
  try {
    let stats: Stats;
    try {
      // Backpressure both ways: the sink pulls the next chunk only once the last one is on disk,
      // and the body stream stops reading the socket while nobody pulls (core/http/body.ts).
      await pipeline(request.stream(), (source: AsyncIterable<Buffer>) => writeAll(source, handle));
      // A replaced file keeps its permission bits (never set-id bits: an upload is not a program).
      if (target.stats !== undefined) await handle.chmod(target.stats.mode & 0o777);
      if (fsync) await handle.datasync();
      stats = await handle.stat();
    } finally {
      await handle.close().catch(() => {});
    }
    return await underFileLock(target.file, async () => {
      // The body took a while: check again what is there now, under the lock that PUT and
      // DELETE take for their check-and-change, so an If-Match still holds at the rename.
      const current = await lstat(target.file).catch(() => undefined);
      if (current?.isDirectory() === true) throw fail("PLUGD_ERR_PUT_CONFLICT", "the target is a folder");
      if (current !== undefined && !current.isFile()) throw fail("PLUGD_ERR_PUT_FORBIDDEN", "the target is not a regular file");
      if (!preconditionsPass(request.headers, current)) throw fail("PLUGD_ERR_PUT_PRECONDITION_FAILED", "precondition failed");
      await rename(temp, target.file);
      renamed = true;
      return { created: current === undefined, stats };
    });
  } catch (err) {
    throw storageError(err);
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
  }
}

/** Writes every chunk at the file's current position; a short write is continued. */
async function writeAll(source: AsyncIterable<Buffer>, handle: FileHandle): Promise<void> {
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
  }
}

/** An fs error as the status it deserves; errors that already carry a status pass through. */
function storageError(err: unknown): unknown {
  if (typeof err === "object" && err !== null && typeof (err as { status?: unknown }).status === "number") return err;
  switch (errorCode(err)) {
    // RFC 4918 §11.5: unable to store the representation.
    case "ENOSPC":
    case "EDQUOT":
    case "EFBIG":
      return fail("PLUGD_ERR_PUT_NO_SPACE", "not enough space to store the body");
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return fail("PLUGD_ERR_PUT_FORBIDDEN", "the file system refused the write");
    case "ENOENT":
    case "ENOTDIR":
    case "EISDIR":
      return fail("PLUGD_ERR_PUT_CONFLICT", "the target folder changed during the upload");
    default:
      return err;
  }
}
