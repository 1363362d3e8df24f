// Index file names per server. The get plugin's `index` option gives the base list; another
// plugin adds its own names (the PHP gateway: "index.php") with addIndexFiles(). Kept in a
// WeakMap<Server, ...> (DESIGN §2: a plugin's own per-server state), so a stopped server and
// its lists are collected together.
import type { Server } from "../../core/server.ts";

interface IndexNames {
  base: readonly string[];
  first: string[];
  last: string[];
  /** The merged list, rebuilt when a part changes. */
  merged: readonly string[] | undefined;
}

const registry = new WeakMap<Server, IndexNames>();

function namesOf(server: Server): IndexNames {
  let names = registry.get(server);
  if (names === undefined) {
    names = { base: [], first: [], last: [], merged: undefined };
    registry.set(server, names);
  }
  return names;
}

export interface AddIndexOptions {
  /** Try these names before the `index` option's (a gateway whose index should win). Default false: after. */
  readonly first?: boolean;
}

/**
 * Adds index file names for `server`: tried, in order, for a folder requested with a trailing
 * slash. Call it from your plugin's apply(); the get plugin may be applied before or after.
 * A name is one path segment (no "/" or "\", not "." or "..").
 *
 * A gateway that adds a name it executes ("index.php") must also answer for the folder itself
 * (tap handle at STAGE_GATEWAY and resolve "/dir/" with indexFiles()): otherwise the get
 * plugin finds the index file and sends its source.
 */
export function addIndexFiles(server: Server, names: readonly string[], options: AddIndexOptions = {}): void {
  for (const name of names) {
    if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
      throw new TypeError(`addIndexFiles: ${JSON.stringify(name)} is not a file name`);
    }
  }
  const entry = namesOf(server);
  (options.first === true ? entry.first : entry.last).push(...names);
  entry.merged = undefined;
}

/** The get plugin's own list (its `index` option). */
export function setBaseIndexFiles(server: Server, names: readonly string[]): void {
  const entry = namesOf(server);
  entry.base = [...names];
  entry.merged = undefined;
}

/** Every index name for `server`, in the order they are tried, without repeats. */
export function indexFiles(server: Server): readonly string[] {
  const entry = namesOf(server);
  entry.merged ??= Object.freeze([...new Set([...entry.first, ...entry.base, ...entry.last])]);
  return entry.merged;
}
