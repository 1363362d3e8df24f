// From a request path to the script to run, through plugins/shared/files.ts (root, dotfiles,
// symlinks). The gateway answers for every path that names a script, so that a path it will
// not run is never handed to the static file handler (which would send the script's source).
import type { Stats } from "node:fs";
import { realRoot, resolveExisting, type FilePolicy } from "../shared/files.ts";
import type { ScriptTarget } from "./environment.ts";

export type Located =
  /** Run this script; `documentRoot` is the root's real path. */
  | { readonly kind: "script"; readonly target: ScriptTarget; readonly documentRoot: string; readonly stats: Stats }
  /** Not a script: let the next handler (static files) answer. */
  | { readonly kind: "pass" }
  /** A script path that will not run: answer with this status. */
  | { readonly kind: "refuse"; readonly status: 403 | 404; readonly reason: string };

const PASS: Located = Object.freeze({ kind: "pass" });

export interface LocateSettings {
  readonly root: string;
  /** Lower-case, with the dot. */
  readonly extensions: ReadonlySet<string>;
  readonly policy: FilePolicy;
}

/** The last extension of one path segment, lower-case ("" when none; a leading dot is no extension). */
function segmentExtension(path: string, start: number, end: number): string {
  const dot = path.lastIndexOf(".", end - 1);
  return dot > start ? path.slice(dot, end).toLowerCase() : "";
}

/**
 * The end offsets of the segments of `path` whose last extension is a script's, left to right:
 * "/a.php/x/b.php" -> [6, 14]. Cheap enough for every request (no allocation when none).
 */
export function scriptSegments(path: string, extensions: ReadonlySet<string>): number[] | undefined {
  if (path.indexOf(".") === -1) return undefined;
  let out: number[] | undefined;
  let start = 0;
  while (start < path.length) {
    let end = path.indexOf("/", start + 1);
    if (end === -1) end = path.length;
    if (extensions.has(segmentExtension(path, start + 1, end))) (out ??= []).push(end);
    start = end;
  }
  return out;
}

/** Whether a name (an index file name) is a script by its extension. */
export function isScriptName(name: string, extensions: ReadonlySet<string>): boolean {
  return extensions.has(segmentExtension(name, 0, name.length));
}

async function script(root: string, scriptName: string, pathInfo: string, real: string, stats: Stats): Promise<Located> {
  // The root's real path, for DOCUMENT_ROOT: the script's real path less its URL path when no
  // symlink inside the root was followed (no extra file system call), else asked for.
  const documentRoot = real.endsWith(scriptName) ? real.slice(0, real.length - scriptName.length) || "/" : await realRoot(root);
  return { kind: "script", target: { scriptName, filename: real, pathInfo }, documentRoot, stats };
}

/**
 * Finds the script for `path` (decoded and normalized by the core).
 * - PATH_INFO is split only at a segment that is an existing regular file with a script
 *   extension: "/a.php/x/y" -> "/a.php" + "/x/y". A segment that is a file without one ends
 *   the search: "/upload/img.jpg/x.php" is 404 and the image is never run (the
 *   CVE-2019-11043 class, where a split by pattern alone runs whatever file precedes).
 * - A folder "/dir/": its index files in order (`indexNames`: the get plugin's, then ours);
 *   the first that exists decides, as nginx's `index`: a script runs here, anything else is
 *   left to the static handler.
 */
export async function locateScript(path: string, indexNames: readonly string[], settings: LocateSettings): Promise<Located> {
  const { root, extensions, policy } = settings;
  const ends = scriptSegments(path, extensions);
  if (ends !== undefined) {
    for (const end of ends) {
      const scriptName = path.slice(0, end);
      const found = await resolveExisting(root, scriptName, policy);
      if (!found.ok) return { kind: "refuse", status: found.status, reason: found.reason };
      if (found.stats.isFile()) return script(root, scriptName, path.slice(end), found.real, found.stats);
      // A folder named like a script ("lib.php/"): keep walking.
      if (!found.stats.isDirectory()) return { kind: "refuse", status: 404, reason: "not a regular file" };
    }
  }
  if (!path.endsWith("/")) return PASS;
  return locateIndex(path, indexNames, settings);
}

async function locateIndex(dir: string, indexNames: readonly string[], settings: LocateSettings): Promise<Located> {
  const { root, extensions, policy } = settings;
  if (!indexNames.some((name) => isScriptName(name, extensions))) return PASS;
  const folder = await resolveExisting(root, dir, policy);
  if (!folder.ok || !folder.stats.isDirectory()) return PASS;
  for (const name of indexNames) {
    const scriptName = dir + name;
    const found = await resolveExisting(root, scriptName, policy);
    if (!found.ok || !found.stats.isFile()) continue;
    return isScriptName(name, extensions) ? script(root, scriptName, "", found.real, found.stats) : PASS;
  }
  return PASS;
}

/** The quick test every GET/HEAD/POST goes through: could this path be ours at all? */
export function mayBeScript(path: string, extensions: ReadonlySet<string>, indexHasScript: boolean): boolean {
  if (indexHasScript && path.endsWith("/")) return true;
  return scriptSegments(path, extensions) !== undefined;
}
