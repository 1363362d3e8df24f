// "A file under the root changed": plugins that write (put, delete, a user's MKCOL) say so,
// plugins that remember files (get's small-file cache) listen, so a GET right after a PUT
// sees the new bytes instead of waiting for the cache's revalidation bound. Per server, in a
// WeakMap, so neither side imports the other and either may be turned off.
import type { Server } from "../../core/server.ts";

export type ChangeListener = (urlPath: string) => void;

const listeners = new WeakMap<Server, Set<ChangeListener>>();

/** Calls `listener` with the request path of every change a plugin reports on `server`. */
export function onFilesChanged(server: Server, listener: ChangeListener): void {
  let set = listeners.get(server);
  if (set === undefined) listeners.set(server, (set = new Set()));
  set.add(listener);
}

/** Reports that the file or folder at `urlPath` was created, replaced or removed. */
export function filesChanged(server: Server, urlPath: string): void {
  const set = listeners.get(server);
  if (set === undefined) return;
  for (const listener of set) listener(urlPath);
}
