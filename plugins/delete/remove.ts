// Removing what a DELETE names: a file, an empty folder, or (with `recursive`) a whole tree.
import type { Dirent } from "node:fs";
import { lstat, readdir, rm, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { errorCode, PlugdError } from "../../core/errors.ts";
import type { Request } from "../../core/http/request.ts";
import { preconditionsPass, underFileLock } from "../shared/etag.ts";

export interface RemoveOptions {
  readonly recursive: boolean;
  /** Refuse a tree that holds a dotfile (the policy hides them: they are not ours to delete). */
  readonly keepDotfiles: boolean;
}

/** Not found: answered 404 by the caller. */
export const MISSING = Symbol("missing");

/**
 * Removes `file` (the entry itself, never a symlink's target: the caller refused symlinks).
 * Preconditions are checked on what is there now, under the lock PUT takes for its rename.
 */
export function removeEntry(request: Request, file: string, wantFolder: boolean, options: RemoveOptions): Promise<typeof MISSING | void> {
  return underFileLock(file, async () => {
    const current = await lstat(file).catch(() => undefined);
    if (current === undefined || (wantFolder && !current.isDirectory())) return MISSING;
    if (current.isSymbolicLink()) throw new PlugdError("PLUGD_ERR_DELETE_FORBIDDEN", "DELETE refused (target is a symlink)");
    if (!preconditionsPass(request.headers, current)) throw new PlugdError("PLUGD_ERR_DELETE_PRECONDITION_FAILED", "precondition failed");
    try {
      if (!current.isDirectory()) return await unlink(file);
      try {
        return await rmdir(file);
      } catch (err) {
        const code = errorCode(err);
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
        if (!options.recursive) throw new PlugdError("PLUGD_ERR_DELETE_NOT_EMPTY", "the folder is not empty");
      }
      // RFC 4918 §9.6.1: Depth infinity removes the folder and everything in it. WebDAV would
      // answer a partial failure with 207 Multi-Status; we have no XML body to give, so a
      // failure part-way is the status of what failed (403 when the OS refused), and what could
      // not be removed stays.
      if (options.keepDotfiles && (await holdsDotfile(file))) {
        throw new PlugdError("PLUGD_ERR_DELETE_FORBIDDEN", "DELETE refused (the folder holds hidden files)");
      }
      // rm never follows a symlink inside the tree: it removes the link, not what it points to.
      await rm(file, { recursive: true });
    } catch (err) {
      throw removalError(err);
    }
  });
}

/** Whether any entry under `folder` (symlinks not followed) has a name starting with ".". */
async function holdsDotfile(folder: string): Promise<boolean> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (err) {
    if (errorCode(err) === "ENOENT") return false;
    throw err;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(".")) return true;
    if (entry.isDirectory() && (await holdsDotfile(path.join(folder, entry.name)))) return true;
  }
  return false;
}

function removalError(err: unknown): unknown {
  if (typeof err === "object" && err !== null && typeof (err as { status?: unknown }).status === "number") return err;
  switch (errorCode(err)) {
    case "EACCES":
    case "EPERM":
    case "EROFS":
    case "EBUSY":
      return new PlugdError("PLUGD_ERR_DELETE_FORBIDDEN", "the file system refused to remove it", undefined, { cause: err });
    case "ENOTEMPTY":
    case "EEXIST":
      return new PlugdError("PLUGD_ERR_DELETE_NOT_EMPTY", "the folder is not empty", undefined, { cause: err });
    default:
      return err;
  }
}
