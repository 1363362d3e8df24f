// Where a PUT writes: the checks made before the body is read, so a refused upload costs
// nothing (and `Expect: 100-continue` is never answered for it).
import type { Stats } from "node:fs";
import { lstat, mkdir, realpath } from "node:fs/promises";
import path from "node:path";
import { PlugdError, type ErrorCode } from "../../core/errors.ts";
import type { Request } from "../../core/http/request.ts";
import type { Server } from "../../core/server.ts";
import { joinUnderRoot, realRoot, resolveTarget, type FilePolicy } from "../shared/files.ts";
import { findScriptExtension, normalizeExtension, scriptExtensions } from "../shared/scripts.ts";
import type { PutOptions } from "./options.ts";

/** Temp files are dotfiles with this prefix, so `get` hides them and PUT never targets one. */
export const TEMP_PREFIX = ".plugd-put-";

export interface PutTarget {
  /** Absolute path to write (its parent's real path + the name). */
  readonly file: string;
  /** The entry there now (lstat), if any. */
  readonly stats: Stats | undefined;
}

export function fail(code: ErrorCode, message: string, headers?: Record<string, string>): PlugdError {
  const err = new PlugdError(code, message);
  // The core answers a thrown error with its status, message and `headers` (core/tap-errors.ts).
  return headers === undefined ? err : Object.assign(err, { headers });
}

/** The plugin's own script list, normalized once. */
export function ownScriptExtensions(options: PutOptions): ReadonlySet<string> {
  return new Set(options.scriptExtensions.map(normalizeExtension));
}

/** The script extension that makes `urlPath` off limits, or undefined. */
export function scriptIn(server: Server, urlPath: string, own: ReadonlySet<string>, options: PutOptions): string | undefined {
  if (options.allowScripts) return undefined;
  return findScriptExtension(urlPath, own, scriptExtensions(server));
}

/** Throws the 400/411/415 a PUT's head earns. */
export function checkHead(request: Request): void {
  // RFC 9110 §14.5: a partial PUT would be stored as the whole representation; refuse it.
  if (request.headers.has("content-range")) {
    throw fail("PLUGD_ERR_PUT_CONTENT_RANGE", "Content-Range is not supported on PUT (RFC 9110 §14.5)");
  }
  // RFC 9110 §15.5.12: without framing, a truncated upload would store an empty file.
  if (request.head.bodyKind === "none") {
    throw fail("PLUGD_ERR_PUT_LENGTH_REQUIRED", "PUT needs Content-Length or Transfer-Encoding: chunked");
  }
  // RFC 9110 §8.4: stored as-is, encoded bytes would later be served as if they were the
  // representation itself, without their Content-Encoding. RFC 7694 §3: say what we accept.
  const encoding = request.headers.get("content-encoding");
  if (encoding !== undefined && encoding.split(",").some((c) => c.trim() !== "" && c.trim().toLowerCase() !== "identity")) {
    throw fail("PLUGD_ERR_PUT_CONTENT_ENCODING", "PUT content must not be content-coded", { "accept-encoding": "identity" });
  }
}

/** Resolves the file a PUT writes, creating parent folders when allowed. Throws 403/409. */
export async function putTarget(root: string, urlPath: string, policy: FilePolicy, createDirs: boolean): Promise<PutTarget> {
  let target = await resolveTarget(root, urlPath, policy);
  if (!target.ok && target.status === 409 && createDirs) {
    await makeParents(root, urlPath);
    target = await resolveTarget(root, urlPath, policy);
  }
  if (!target.ok) {
    if (target.status === 403) throw fail("PLUGD_ERR_PUT_FORBIDDEN", `PUT refused (${target.reason})`);
    throw fail("PLUGD_ERR_PUT_CONFLICT", target.status === 409 ? "the parent folder does not exist" : "the parent folder cannot be used");
  }
  const stats = target.stats;
  // A PUT replaces a file; it cannot turn a folder into one (RFC 9110 §9.3.4: 409 for a
  // state conflict), and a path ending in "/" names a folder.
  if (stats?.isDirectory() === true || urlPath.endsWith("/")) throw fail("PLUGD_ERR_PUT_CONFLICT", "the target is a folder");
  if (stats !== undefined && !stats.isFile()) throw fail("PLUGD_ERR_PUT_FORBIDDEN", "the target is not a regular file");
  if (path.basename(target.file).startsWith(TEMP_PREFIX)) throw fail("PLUGD_ERR_PUT_FORBIDDEN", "that name is reserved for uploads in progress");
  return { file: target.file, stats };
}

/**
 * Creates the missing folders above `urlPath`, one at a time (never `mkdir -p`: that would
 * follow a symlink out of the root before anything could check it). A component that exists
 * must be a folder whose real path stays under the root.
 */
async function makeParents(root: string, urlPath: string): Promise<void> {
  const rootReal = await realRoot(root);
  const segments = path.posix.dirname(urlPath.endsWith("/") ? urlPath.slice(0, -1) : urlPath).split("/").filter((s) => s !== "");
  let current = joinUnderRoot(root, "/");
  if (current === undefined) return;
  for (const segment of segments) {
    current = path.join(current, segment);
    try {
      await mkdir(current, { mode: 0o755 });
      continue;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EACCES" || code === "EPERM" || code === "EROFS") throw fail("PLUGD_ERR_PUT_FORBIDDEN", "a parent folder cannot be created");
      if (code !== "EEXIST") throw fail("PLUGD_ERR_PUT_CONFLICT", "a parent folder cannot be created");
    }
    const entry = await lstat(current);
    if (entry.isDirectory()) continue;
    if (entry.isSymbolicLink()) {
      const real = await realpath(current).catch(() => undefined);
      const inside = real !== undefined && (real === rootReal || real.startsWith(rootReal + path.sep));
      if (!inside) throw fail("PLUGD_ERR_PUT_FORBIDDEN", "a parent folder leaves the root");
      if ((await lstat(real)).isDirectory()) continue;
    }
    throw fail("PLUGD_ERR_PUT_CONFLICT", "a parent path is a file");
  }
}

