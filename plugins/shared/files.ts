// From a request's path to a file under the server's root, for every plugin that touches files
// (get, put, delete, options, php-cgi): one module, not five copies (DESIGN §8).
// The request path is already decoded once and normalized by the core (core/http/path.ts):
// no "..", no %2F/%5C/%00, no control bytes. Here we add what needs the file system: the real
// path (symlinks resolved) must stay under the real root, and dotfiles stay hidden.
import type { Stats } from "node:fs";
import { lstat, realpath, stat } from "node:fs/promises";
import path from "node:path";

export interface FilePolicy {
  /** "deny": any path segment starting with "." is answered 404, except `.well-known` (RFC 8615). */
  readonly dotfiles: "deny" | "allow";
  /** "inside": follow symlinks while the real path stays under the root; "refuse": never follow one. */
  readonly symlinks: "inside" | "refuse";
}

export const DEFAULT_FILE_POLICY: FilePolicy = Object.freeze({ dotfiles: "deny", symlinks: "inside" });

export type Resolved =
  | { readonly ok: true; /** root + path */ readonly file: string; /** symlinks resolved */ readonly real: string; readonly stats: Stats }
  | { readonly ok: false; readonly status: 403 | 404; readonly reason: string };

export type Target =
  | { readonly ok: true; readonly file: string; /** the existing entry, if any */ readonly stats: Stats | undefined }
  | { readonly ok: false; readonly status: 403 | 404 | 409; readonly reason: string };

/**
 * The root's real path, resolved on every call: a root that is a symlink switched to another
 * folder (a release deploy: current -> releases/43) must be followed at once. Remembering the
 * first answer made every file of the new release "outside the root" (404) until a restart.
 */
export function realRoot(root: string): Promise<string> {
  return realpath(root);
}

/** True when a segment of `urlPath` is a dotfile the policy hides. */
export function hidesDotfile(urlPath: string, policy: FilePolicy): boolean {
  if (policy.dotfiles === "allow" || urlPath.indexOf("/.") === -1) return false;
  for (const segment of urlPath.split("/")) {
    if (segment.startsWith(".") && segment !== ".well-known") return true;
  }
  return false;
}

function isUnder(real: string, rootReal: string): boolean {
  return real === rootReal || real.startsWith(rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep);
}

/** The file system path for a request path: root joined with it, never outside the root. */
export function joinUnderRoot(root: string, urlPath: string): string | undefined {
  const file = path.join(root, urlPath);
  const rootResolved = path.resolve(root);
  return file === rootResolved || file.startsWith(rootResolved + path.sep) || file === rootResolved + path.sep ? file : undefined;
}

/** An existing file or folder for `urlPath`, checked against the root and the policy. */
export async function resolveExisting(root: string, urlPath: string, policy: FilePolicy = DEFAULT_FILE_POLICY): Promise<Resolved> {
  if (hidesDotfile(urlPath, policy)) return { ok: false, status: 404, reason: "dotfile" };
  const file = joinUnderRoot(root, urlPath);
  if (file === undefined) return { ok: false, status: 404, reason: "outside root" };
  let real: string;
  let stats: Stats;
  let rootReal: string;
  try {
    [real, stats, rootReal] = await Promise.all([realpath(file), stat(file), realRoot(root)]);
  } catch (err) {
    return fsFailure(err);
  }
  if (!isUnder(real, rootReal)) return { ok: false, status: 404, reason: "symlink leaves the root" };
  if (policy.symlinks === "refuse" && real !== path.join(rootReal, path.relative(path.resolve(root), file))) {
    return { ok: false, status: 404, reason: "symlinks refused" };
  }
  return { ok: true, file, real, stats };
}

/**
 * A path to create or replace (PUT, MKCOL) or remove (DELETE): its parent folder must exist
 * under the root (real path), and the entry itself, if it is a symlink, is refused.
 */
export async function resolveTarget(root: string, urlPath: string, policy: FilePolicy = DEFAULT_FILE_POLICY): Promise<Target> {
  if (hidesDotfile(urlPath, policy)) return { ok: false, status: 403, reason: "dotfile" };
  const trimmed = urlPath.length > 1 && urlPath.endsWith("/") ? urlPath.slice(0, -1) : urlPath;
  const file = joinUnderRoot(root, trimmed);
  if (file === undefined || trimmed === "/") return { ok: false, status: 403, reason: "the root itself" };
  const parent = path.dirname(file);
  let parentReal: string;
  try {
    parentReal = await realpath(parent);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, status: 409, reason: "parent folder missing" };
    return fsFailure(err) as Target;
  }
  if (!isUnder(parentReal, await realRoot(root))) return { ok: false, status: 403, reason: "parent leaves the root" };
  let stats: Stats | undefined;
  try {
    stats = await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return fsFailure(err) as Target;
  }
  if (stats?.isSymbolicLink()) return { ok: false, status: 403, reason: "target is a symlink" };
  return { ok: true, file: path.join(parentReal, path.basename(file)), stats };
}

function fsFailure(err: unknown): { ok: false; status: 403 | 404; reason: string } {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return { ok: false, status: 403, reason: code };
  return { ok: false, status: 404, reason: code ?? "unknown" };
}
